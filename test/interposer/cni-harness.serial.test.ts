// network.faults / record with network.type cni: the harness puts the CNI shim in front of the
// real plugins (here Debian's `loopback`, run by the memory runtime in a network namespace of the
// sandbox's own). A failing ADD fails RunPodSandbox once; the kubelet retries; the pod runs; the
// transcript has the failed ADD, the good one, and the DEL of teardown. Needs root (network
// namespaces): skipped elsewhere, with the reason in the test's name. Run it under
// `flock /tmp/triad-reference.lock`.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTranscript } from '../../interfaces/interposer/index.js';
import { tmp } from '../conformance/helpers.js';
import { manifests, phase, testNode } from '../harness/helpers.js';

const test = suite('interposer: the CNI shim in front of a real plugin, from triad.yaml');
const BIN = ['/usr/lib/cni', '/opt/cni/bin'].find((d) => existsSync(join(d, 'loopback')));
const why = process.getuid?.() !== 0 ? 'not root: network namespaces need root' : !BIN ? 'no CNI loopback plugin installed' : undefined;

test(`a CNI ADD failing once: the sandbox is retried, the pod runs, teardown goes through the shim too${why ? ` — SKIPPED: ${why}` : ''}`, async () => {
  if (why) {
    if (process.env.CI === 'true') throw new Error(`required in CI: ${why}`);
    return;
  }
  const t = tmp('triad-shim-harness-');
  const conf = join(t.dir, '10-lo.conflist');
  writeFileSync(conf, JSON.stringify({ cniVersion: '1.0.0', name: 'lo-only', plugins: [{ type: 'loopback' }] }));
  const record = join(t.dir, 'cni.jsonl');
  const node = await testNode({
    network: {
      type: 'cni',
      config: conf,
      binDirs: [BIN],
      record,
      faults: [{ rpc: 'ADD', times: 1, fail: { code: 11, message: 'injected: try again later' } }],
    },
  });
  try {
    await node.kubelet.apply(
      manifests('apiVersion: v1\nkind: Pod\nmetadata: { name: web }\nspec:\n  containers: [{ name: app, image: busybox:1.36, command: [sleep, "3600"] }]\n'),
    );
    const p = await node.kubelet.waitFor('default', 'web', (x) => phase(x) === 'Running', 20_000);
    assert.is(phase(p), 'Running');
    const ev = node.kubelet.events('default', 'web').map((e) => `${e.reason}: ${e.message}`);
    assert.ok(
      ev.some((e) => /injected: try again later/.test(e)),
      `the CNI failure is an event: ${ev.join(' | ')}`,
    );
  } finally {
    const errors = await node.cleanup().then(
      () => [],
      (e: Error) => [e.message],
    );
    assert.equal(errors, []);
  }
  const calls = readTranscript(record).map((c) => `${c.method} ${c.status.name}`);
  assert.equal(
    calls.filter((c) => c.includes('/ADD')),
    ['loopback/ADD CNI_ERROR', 'loopback/ADD OK'],
    calls.join(', '),
  );
  assert.ok(calls.includes('loopback/DEL OK'), `teardown ran DEL through the shim: ${calls.join(', ')}`);
  t.cleanup();
});

test.run();
