// triad.yaml `faults:` and `record:` on real plugins: the harness puts the proxy in front of an
// external CRI runtime and CSI driver itself (here memory-cri and memory-csi served on their own
// sockets, configured as `type: endpoint`, so the node treats them as any real plugin).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { parseConfig } from '../../harness/config/config.js';
import { readTranscript } from '../../interfaces/interposer/index.js';
import { serveMemoryCri } from '../../plugins/memory-cri/index.js';
import { serveMemoryCsi } from '../../plugins/memory-csi/index.js';
import { tmp } from '../conformance/helpers.js';
import { manifests, phase, testNode } from '../harness/helpers.js';

const test = suite('interposer: faults and record in triad.yaml');

test('config: real plugins take interposer rules; memory ones keep theirs; errors name the field', () => {
  const c = parseConfig(
    {
      runtime: {
        type: 'endpoint',
        endpoint: '/run/x.sock',
        faults: [{ rpc: 'CreateContainer', match: { 'config.metadata.name': 'app' }, times: 1, fail: { code: 'UNKNOWN' } }],
        record: 'cri.jsonl',
      },
      storage: { drivers: [{ name: 'd', type: 'endpoint', endpoint: '/run/d.sock', record: '/tmp/d.jsonl' }] },
    },
    '/etc/triad/triad.yaml',
  );
  assert.equal(c.runtime.faults, []);
  assert.is(c.runtime.interpose!.rules[0].rpc, 'CreateContainer');
  assert.is(c.runtime.interpose!.record, '/etc/triad/cri.jsonl', 'relative to the config file');
  assert.equal(c.storage.drivers[0].interpose, { rules: [], record: '/tmp/d.jsonl' });
  const m = parseConfig({ runtime: { faults: [{ rpc: 'StartContainer', exitCode: 3, afterMs: 10 }] } }, '(t)');
  assert.is(m.runtime.faults.length, 1, 'the memory runtime runs its own rules, container exits included');
  assert.is(m.runtime.interpose, undefined);
  assert.throws(
    () => parseConfig({ runtime: { type: 'endpoint', endpoint: '/x.sock', faults: [{ rpc: 'StartContainer', oom: true }] } }, 'f.yaml'),
    /f\.yaml: runtime\.faults\[0\]\.oom: only the in-memory runtime/,
  );
  assert.throws(
    () => parseConfig({ storage: { drivers: [{ name: 'd', type: 'endpoint', endpoint: '/x.sock', faults: [{ rpc: 'NodePublishVolume' }] }] } }, 'f.yaml'),
    /storage\.drivers\[0\]\.faults\[0\]: needs an action/,
  );
  assert.throws(() => parseConfig({ network: { type: 'none', record: 'x' } }, 'f.yaml'), /network\.record: network\.type none runs no CNI plugin/);
});

test('a CreateContainer failing once and a slow NodePublishVolume on "real" plugins: the pod retries, runs, and both transcripts show it', async () => {
  const t = tmp('triad-interpose-cfg-');
  const cri = await serveMemoryCri({ endpoint: join(t.dir, 'cri.sock') });
  const csi = await serveMemoryCsi({ endpoint: join(t.dir, 'csi.sock'), dataDir: join(t.dir, 'csi'), nodeId: 'triad-node' });
  const node = await testNode({
    runtime: {
      type: 'endpoint',
      endpoint: cri.endpoint,
      record: join(t.dir, 'cri.jsonl'),
      faults: [
        { rpc: 'CreateContainer', match: { 'config.metadata.name': 'app' }, times: 1, fail: { code: 'RESOURCE_EXHAUSTED', message: 'injected: no room' } },
      ],
    },
    storage: {
      drivers: [
        {
          name: 'memory.csi.triad.dev',
          type: 'endpoint',
          endpoint: csi.endpoint,
          record: join(t.dir, 'csi.jsonl'),
          faults: [{ rpc: 'NodePublishVolume', times: 1, delayMs: 300 }],
        },
      ],
    },
  });
  try {
    await node.kubelet.apply(
      manifests(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Mi } } }
---
apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
  volumes: [{ name: data, persistentVolumeClaim: { claimName: data } }]
  containers:
  - { name: app, image: busybox:1.36, command: [sleep, '3600'], volumeMounts: [{ name: data, mountPath: /data }] }
`),
    );
    const p = await node.kubelet.waitFor('default', 'web', (x) => phase(x) === 'Running', 15_000);
    assert.is(phase(p), 'Running');
    const ev = node.kubelet.events('default', 'web').map((e) => `${e.reason}: ${e.message}`);
    assert.ok(
      ev.some((e) => /injected: no room/.test(e)),
      `the failure is an event: ${ev.join(' | ')}`,
    );
  } finally {
    const errors = await node.close();
    assert.equal(
      errors.map((e) => e.message),
      [],
    );
    await cri.close();
    await csi.close();
  }
  const calls = readTranscript(join(t.dir, 'cri.jsonl'));
  const creates = calls.filter((c) => c.method === 'RuntimeService/CreateContainer');
  assert.equal(
    creates.map((c) => c.status.name),
    ['RESOURCE_EXHAUSTED', 'OK'],
    'one failure, then the retry',
  );
  assert.ok(
    calls.some((c) => c.method === 'RuntimeService/RemovePodSandbox'),
    'the teardown went through the proxy too',
  );
  const publish = readTranscript(join(t.dir, 'csi.jsonl')).filter((c) => c.method === 'Node/NodePublishVolume');
  assert.ok(publish.length >= 1 && publish[0].fault === 'delay 300ms' && publish[0].durationMs >= 290, JSON.stringify(publish[0]));
  t.cleanup();
});

test.run();
