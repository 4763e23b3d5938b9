// The pod conformance suite on the reference stack — the harness kubelet from the stack's own
// triad.yaml: containerd 1.6 with runc, the bridge CNI with host-local IPAM, the hostPath CSI
// driver for claims and memory-csi for inline ephemeral volumes. Every case passes (the pod IP
// is on the stack's bridge, so the node reaches it too) but the gRPC readiness probe case, which
// is not applicable: the offline busybox image has no gRPC health server, and the CNI fault case,
// skipped: the stack's containerd runs CNI out of the suite's reach. Nothing of the run is
// left: no sandbox, no address, no mount.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../harness/config/config.js';
import { podSuite } from '../../conformance/pod/suite.js';
import { readAllocations } from '../../conformance/pod/kit.js';
import { runSuites } from '../../conformance/runner/index.js';
import { mountsUnder } from '../../plugins/containerd/index.js';
import { testOrSkip, useStack } from './stack.js';
import { reportFiles } from '../helpers/reports.js';

const t = suite('reference stack: pod conformance through the harness');
const h = await useStack();
const it = testOrSkip(t, h);
t.after(() => h.release());

it('the pod suite passes on containerd + bridge + hostPath: 0 failed, nothing left behind', async () => {
  const s = h.stack!;
  const dir = mkdtempSync(join(tmpdir(), 'triad-ref-conformance-pod-'));
  try {
    const ipamBefore = new Set(readAllocations(join(s.network.ipamDir, s.network.name)).map((a) => a.ip));
    const started = Date.now();
    const rep = await runSuites([podSuite({ config: loadConfig(s.triadYaml), stateDir: join(dir, 'node') })], {
      parallel: 2,
      timeoutMs: 60_000,
      handleSigint: false,
      reporters: reportFiles('pod-reference'),
    });
    const ms = Date.now() - started;
    const cases = rep.suites[0].cases;
    const failed = cases.filter((c) => c.status === 'failed');
    assert.is(failed.length, 0, failed.map((c) => `${c.id}: ${c.failure?.message}${c.failure?.rule ? ` [${c.failure.rule}]` : ''}`).join('\n'));
    for (const c of cases.filter((x) => x.status !== 'passed')) assert.ok(c.reason && c.reason.length > 20, `${c.id} has no reason`);
    // the two exceptions: no program in the stack's busybox serves grpc.health.v1, and the stack's
    // containerd runs CNI from its own configuration, where the suite cannot put the CNI shim
    // (test/reference/pod-faults-private.serial.test.ts runs that case on a private containerd)
    assert.equal(
      cases
        .filter((c) => c.status !== 'passed')
        .map((c) => `${c.id}: ${c.status}`)
        .sort(),
      ['pod.faults.cni-add-fails: skipped', 'pod.probes.grpc-readiness: not-applicable'],
      'on the reference stack every other case runs',
    );
    assert.match(cases.find((c) => c.id === 'pod.probes.grpc-readiness')!.reason!, /has no gRPC health server/);
    assert.match(cases.find((c) => c.id === 'pod.faults.cni-add-fails')!.reason!, /runs CNI from its own configuration/);
    assert.ok(rep.totals.passed >= 22, `only ${rep.totals.passed} passed`);
    for (const id of [
      'pod.network.answers-from-node',
      'pod.network.ip.cni-result-is-sandbox-ip',
      'pod.network.ip.ipam-allocated-to-sandbox',
      'pod.teardown.claim-volume-deleted',
      'pod.leak-check',
    ]) {
      assert.is(cases.find((c) => c.id === id)?.status, 'passed', id);
    }
    // nothing of the run is left: sandboxes, addresses, mounts
    const left = await h.client!.runtime.listPodSandbox({});
    assert.equal(
      left.items.filter((x) => x.metadata?.name.startsWith(`${rep.prefix}-`)).map((x) => x.id),
      [],
    );
    // (other users of the stack may hold addresses meanwhile: only an address whose sandbox is gone is a leak)
    const sandboxes = new Set((await h.client!.runtime.listPodSandbox({})).items.map((x) => x.id));
    const orphans = readAllocations(join(s.network.ipamDir, s.network.name)).filter((a) => !ipamBefore.has(a.ip) && !sandboxes.has(a.containerID));
    assert.equal(orphans, [], 'every address the run took is released');
    assert.equal(mountsUnder(dir), []);
    console.log(`(pod suite on the reference stack: ${rep.totals.passed} passed in ${ms} ms)`);
  } finally {
    if (!mountsUnder(dir).length) rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
