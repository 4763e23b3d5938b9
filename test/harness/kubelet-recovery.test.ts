// A harness that dies (no teardown) leaves its pods on an external runtime; the next harness on
// the same state dir adopts the running ones, rolls back half-started ones and removes orphan
// sandboxes — and leaks nothing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import tmp from 'tmp';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../harness/config/config.js';
import { startNode, type Node } from '../../harness/node.js';
import * as L from '../../harness/kubelet/labels.js';
import { CriClient } from '../../interfaces/cri/client.js';
import { CsiClient } from '../../interfaces/csi/client.js';
import { invokeMemoryCni, MEMORY_CNI_TYPE } from '../../plugins/memory-cni/index.js';
import { serveMemoryCri } from '../../plugins/memory-cri/index.js';
import { serveMemoryCsi } from '../../plugins/memory-csi/index.js';
import { manifests, phase } from './helpers.js';

const t = suite('kubelet: restart recovery');
let dir: tmp.DirResult;
let cri: Awaited<ReturnType<typeof serveMemoryCri>>;
let csi: Awaited<ReturnType<typeof serveMemoryCsi>>;
let cfgRaw: Record<string, unknown>;

t.before(async () => {
  dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'triad-recovery-' });
  const conflist = join(dir.name, 'net.conflist');
  writeFileSync(
    conflist,
    JSON.stringify({ cniVersion: '1.1.0', name: 'rec', plugins: [{ type: MEMORY_CNI_TYPE, subnet: '10.77.0.0/24', dataDir: join(dir.name, 'ipam') }] }),
  );
  cri = await serveMemoryCri({
    endpoint: join(dir.name, 'cri.sock'),
    network: { type: 'cni', config: conflist, binDirs: [dir.name], cacheDir: join(dir.name, 'cnicache'), inProcess: { [MEMORY_CNI_TYPE]: invokeMemoryCni } },
  });
  csi = await serveMemoryCsi({ endpoint: join(dir.name, 'csi.sock'), nodeId: 'triad-node' });
  cfgRaw = {
    runtime: { type: 'endpoint', endpoint: cri.endpoint },
    storage: { drivers: [{ name: 'memory.csi.triad.dev', type: 'endpoint', endpoint: csi.endpoint }] },
    kubelet: { stateDir: join(dir.name, 'state'), plegPeriodMs: 20, backoff: { initialMs: 100, maxMs: 1000 }, probeTimeScale: 0.02, cgroupRoot: '' },
  };
});

t.after(async () => {
  await cri.close();
  await csi.close();
  dir.removeCallback();
});

const start = () => startNode(parseConfig(cfgRaw, '(test)'));
/** What a crash leaves: no teardown, plugins keep running. */
const crash = (n: Node) => n.kubelet.shutdown({ deletePods: false }).then(() => n.cri.close());

const POD = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: keep }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Mi } } }
---
apiVersion: v1
kind: Pod
metadata: { name: survivor }
spec:
  volumes: [{ name: d, persistentVolumeClaim: { claimName: keep } }]
  containers: [{ name: c, image: busybox:1.36, command: [sh, -c, 'echo alive > /d/f; sleep 3600'], volumeMounts: [{ name: d, mountPath: /d }] }]
`;

t('running pods are adopted after a crash: same sandbox, same container, no restart', async () => {
  const a = await start();
  await a.kubelet.apply(manifests(POD));
  const before = await a.kubelet.waitFor('default', 'survivor', (p) => phase(p) === 'Running', 10_000);
  await crash(a);

  const b = await start();
  try {
    const after = await b.kubelet.waitFor('default', 'survivor', (p) => phase(p) === 'Running', 10_000);
    assert.is(after.metadata.uid, before.metadata.uid);
    assert.is(after.status!.containerStatuses[0].containerID, before.status!.containerStatuses[0].containerID);
    assert.is(after.status!.containerStatuses[0].restartCount, 0);
    assert.is(after.status!.podIP, before.status!.podIP);
    assert.ok(b.kubelet.events('default', 'survivor').some((e) => e.reason === 'Adopted'));
    assert.is(b.kubelet.claims()[0].status?.phase, 'Bound', 'claim state restored');
    // the adopted pod still notices its container dying
    const id = after.status!.containerStatuses[0].containerID!.split('://')[1];
    await b.cri.runtime.stopContainer({ containerId: id, timeout: 0n });
    await b.kubelet.waitFor('default', 'survivor', (p) => p.status!.containerStatuses[0].restartCount === 1, 10_000);
  } finally {
    await b.close().then((errs) =>
      assert.equal(
        errs.map((e) => e.message),
        [],
      ),
    );
  }
  const c = new CriClient(cri.endpoint);
  assert.is((await c.runtime.listPodSandbox({})).items.length, 0, 'no sandbox left');
  assert.is((await c.runtime.listContainers({})).containers.length, 0, 'no container left');
  c.close();
  const v = new CsiClient(csi.endpoint);
  assert.is((await v.controller.listVolumes({})).entries.length, 0, 'claim volume deleted');
  v.close();
  assert.is(readdirSync(join(dir.name, 'state', 'checkpoints', 'pods')).length, 0, 'no checkpoint left');
});

t('a half-started pod is rolled back and started afresh; orphan sandboxes are removed', async () => {
  const a = await start();
  await a.kubelet.apply(manifests(POD.replace(/survivor/g, 'halfway').replace(/keep/g, 'keep2')));
  const p = await a.kubelet.waitFor('default', 'halfway', (x) => phase(x) === 'Running', 10_000);
  await crash(a);
  // rewrite the checkpoint as if the crash came right after the volumes, before RunPodSandbox returned
  const cpFile = join(dir.name, 'state', 'checkpoints', 'pods', `${p.metadata.uid}.json`);
  const cp = JSON.parse(readFileSync(cpFile, 'utf8'));
  const orphanSandbox = cp.sandboxId as string;
  cp.sandboxId = undefined;
  for (const c of cp.containers) {
    c.id = undefined;
    c.oldIds = [];
  }
  writeFileSync(cpFile, JSON.stringify(cp));

  const b = await start();
  try {
    const c = new CriClient(cri.endpoint);
    const sandboxes = (await c.runtime.listPodSandbox({})).items.map((s) => s.id);
    assert.not.ok(sandboxes.includes(orphanSandbox), 'the sandbox no checkpoint knew of was removed');
    const again = await b.kubelet.waitFor('default', 'halfway', (x) => phase(x) === 'Running', 10_000);
    assert.ok(
      b.kubelet.events('default', 'halfway').some((e) => e.reason === 'Recovered') ||
        again.status!.containerStatuses[0].containerID !== p.status!.containerStatuses[0].containerID,
    );
    const mine = (await c.runtime.listPodSandbox({ filter: { labelSelector: { [L.POD_UID]: p.metadata.uid! } } })).items;
    assert.is(mine.length, 1, 'exactly one sandbox for the pod');
    c.close();
  } finally {
    await b.close().then((errs) =>
      assert.equal(
        errs.map((e) => e.message),
        [],
      ),
    );
  }
  assert.not.ok(existsSync(cpFile));
});

t('an adopted pod is probed again: a liveness failure after the restart restarts the container', async () => {
  const a = await start();
  await a.kubelet.apply(
    manifests(`
apiVersion: v1
kind: Pod
metadata: { name: probed-survivor }
spec:
  containers:
  - name: c
    image: busybox
    command: [sh, -c, 'touch /tmp/healthy; sleep 3600']
    livenessProbe: { exec: { command: [test, -f, /tmp/healthy] }, periodSeconds: 5, failureThreshold: 2 }
`),
  );
  const before = await a.kubelet.waitFor('default', 'probed-survivor', (p) => phase(p) === 'Running', 10_000);
  await crash(a);

  const b = await start();
  try {
    const after = await b.kubelet.waitFor('default', 'probed-survivor', (p) => phase(p) === 'Running', 10_000);
    const id = after.status!.containerStatuses[0].containerID!.split('://')[1];
    assert.is(id, before.status!.containerStatuses[0].containerID!.split('://')[1], 'adopted, not restarted');
    const rm = await b.cri.runtime.execSync({ containerId: id, cmd: ['rm', '-f', '/tmp/healthy'], timeout: 5n });
    assert.is(rm.exitCode, 0);
    await b.kubelet.waitFor('default', 'probed-survivor', (p) => p.status!.containerStatuses[0].restartCount === 1, 10_000);
    assert.ok(b.kubelet.events('default', 'probed-survivor').some((e) => e.reason === 'Unhealthy' && /Liveness probe failed/.test(e.message)));
  } finally {
    await b.close().then((errs) =>
      assert.equal(
        errs.map((e) => e.message),
        [],
      ),
    );
  }
});

t.run();
