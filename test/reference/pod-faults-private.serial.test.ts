// The pod suite's fault section on containerd + bridge + hostPath with the CNI shim in front of
// the bridge network: a private containerd (runtime.type containerd without endpoint, so triad
// runs its CNI and can put the shim first in its plugin folder), a bridge conflist of this file
// (bridge with host-local, then portmap), the stack's hostPath driver and registry. Every fault
// case passes — pod.faults.cni-add-fails with portmap's ADD failing after bridge set up the
// interface and host-local took an address, so the runtime has something to undo — and nothing of
// the run is left: no address in the network's host-local dir, no mount, no private containerd.
// Root; run under `flock /tmp/triad-reference.lock`.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../harness/config/config.js';
import { removePrivateContainerd } from '../../harness/private-containerd.js';
import { readAllocations } from '../../conformance/pod/kit.js';
import { podSuite } from '../../conformance/pod/suite.js';
import { runSuites } from '../../conformance/runner/index.js';
import { linkExists, writeBridgeConfList } from '../../plugins/bridge/index.js';
import { mountsUnder } from '../../plugins/containerd/index.js';
import { pickExtraSubnet } from '../../plugins/reference/index.js';
import { testOrSkip, useStack } from './stack.js';

const t = suite('reference stack: pod fault scenarios on a private containerd + bridge (CNI shim) + hostPath');
const h = await useStack();
const it = testOrSkip(t, h);
t.after(() => h.release());

it('every pod.faults case passes, CNI ADD failing included; nothing of the run is left', async () => {
  const s = h.stack!;
  const dir = mkdtempSync(join(tmpdir(), 'triad-ref-pod-faults-'));
  const stateDir = join(dir, 'node');
  try {
    const name = `triad-faults-${process.pid}`;
    const bridge = `triadf${process.pid % 1_000_000}`;
    const subnet = await pickExtraSubnet(bridge);
    const ipam = join(dir, 'ipam');
    const { path: conflist } = writeBridgeConfList(join(dir, 'net.d'), { name, bridge, subnet, dataDir: ipam });
    const raw = parseYaml(readFileSync(s.triadYaml, 'utf8')) as Record<string, unknown>;
    raw.runtime = { type: 'containerd', containerd: { sandboxImage: s.images!.pause, registry: s.registry!.host } };
    raw.network = { type: 'cni', config: conflist, binDirs: [s.network.sourceBinDir] };
    const config = parseConfig(raw, s.triadYaml);
    const rep = await runSuites([podSuite({ config, stateDir })], { focus: 'pod\\.faults\\.', timeoutMs: 60_000, handleSigint: false, reporters: [] });
    const cases = rep.suites[0].cases;
    assert.is(rep.suites[0].setupError, undefined);
    const ran = cases.filter((c) => c.status !== 'skipped' || !/focus/i.test(c.reason ?? ''));
    const bad = ran.filter((c) => c.status !== 'passed');
    assert.equal(
      bad.map((c) => `${c.id}: ${c.status} ${c.reason ?? ''} ${c.failure?.message ?? ''}`),
      [],
    );
    for (const id of [
      'pod.faults.create-container-fails-once',
      'pod.faults.pull-image-not-found',
      'pod.faults.publish-deadline',
      'pod.faults.cni-add-fails',
      'pod.faults.runtime-outage',
      'pod.leak-check',
    ]) {
      assert.is(cases.find((c) => c.id === id)?.status, 'passed', id);
    }
    const cni = cases.find((c) => c.id === 'pod.faults.cni-add-fails')!;
    assert.ok(
      cni.notes?.some((n) => n.includes('"portmap/ADD"')),
      `the rule aims at the list's last plugin: ${cni.notes?.join(' | ')}`,
    );
    assert.ok(
      cni.notes?.some((n) => /bridge\/ADD [0-9a-f]{12} OK/.test(n) && /portmap\/ADD [0-9a-f]{12} CNI_ERROR/.test(n) && /bridge\/DEL [0-9a-f]{12} OK/.test(n)),
      `bridge set up, portmap failed, the runtime ran DEL: ${cni.notes?.join(' | ')}`,
    );
    assert.equal(
      readAllocations(join(ipam, name)).map((a) => a.ip),
      [],
      'every address of the run is released',
    );
    assert.not.ok(await linkExists(bridge), `the bridge ${bridge} made for the run is deleted with its private containerd`);
    assert.equal(mountsUnder(dir), []);
  } finally {
    await removePrivateContainerd(join(stateDir, 'containerd')).catch((e: Error) => console.error(`(cleanup: ${e.message})`));
    if (!mountsUnder(dir).length) rmSync(dir, { recursive: true, force: true });
    else console.error(`(cleanup: mounts left under ${dir}; not removing it)`);
  }
  assert.not.ok(existsSync(dir) && !mountsUnder(dir).length);
});

t.run();
