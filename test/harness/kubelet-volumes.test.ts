// Volumes through the harness on the in-memory CSI driver: a PVC provisioned, published and
// shared by two containers; inline ephemeral CSI; emptyDir; and nothing left after deletion.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CsiClient } from '../../interfaces/csi/client.js';
import { cstatus, manifests, phase, testNode, type TestNode } from './helpers.js';

const t = suite('kubelet: volumes');
let node: TestNode;
t.before(async () => {
  node = await testNode();
});
t.after(async () => {
  await node.cleanup();
});
const W = 15_000;

async function waitUntil(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (pred()) return;
    } catch {
      /* not there yet */
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function csi(): CsiClient {
  return new CsiClient(join(node.dir, 'sockets', 'csi-memory.csi.triad.dev.sock'));
}

t('a PVC is provisioned, published to the pod, and shared between its two containers', async () => {
  const k = node.kubelet;
  await k.apply(
    manifests(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } }, storageClassName: standard }
---
apiVersion: v1
kind: Pod
metadata: { name: sharer }
spec:
  restartPolicy: Never
  volumes: [{ name: d, persistentVolumeClaim: { claimName: data } }]
  initContainers: [{ name: writer, image: busybox, command: [sh, -c, 'echo shared-bytes > /data/f'], volumeMounts: [{ name: d, mountPath: /data }] }]
  containers:
  - { name: reader, image: busybox, command: [sh, -c, 'cat /data/f'], volumeMounts: [{ name: d, mountPath: /data, readOnly: true }] }
  - { name: reader2, image: busybox, command: [sh, -c, 'cat /data/f; echo x > /data/g'], volumeMounts: [{ name: d, mountPath: /data, readOnly: true }] }
`),
  );
  const claim = k.claims().find((c) => c.metadata.name === 'data')!;
  assert.is(claim.status?.phase, 'Bound');
  const p = await k.waitFor('default', 'sharer', (x) => ['Succeeded', 'Failed'].includes(phase(x) ?? ''), W);
  assert.match(await k.logs('default', 'sharer', { container: 'reader' }), /shared-bytes/);
  assert.match(await k.logs('default', 'sharer', { container: 'reader2' }), /Read-only file system/);
  assert.is(phase(p), 'Failed', 'reader2 failed writing to a readonly mount');
  const steps = k.timeline('default', 'sharer').steps.map((s) => s.name);
  assert.ok(
    steps.some((s) => s.startsWith('NodeStageVolume d')),
    'staged',
  );
  assert.ok(
    steps.some((s) => s.startsWith('NodePublishVolume d')),
    'published',
  );
  const c = csi();
  const before = await c.controller.listVolumes({});
  assert.is(before.entries.length, 1);
  assert.is(before.entries[0].status?.publishedNodeIds.length, 1, 'ControllerPublish to this node');
  await k.delete('default', 'sharer', 0);
  const after = await c.controller.listVolumes({});
  assert.is(after.entries[0].status?.publishedNodeIds.length ?? 0, 0, 'ControllerUnpublish after the last pod');
  await k.deleteClaim('default', 'data');
  assert.is((await c.controller.listVolumes({})).entries.length, 0, 'DeleteVolume when the claim is deleted');
  c.close();
});

t('inline ephemeral CSI volume and emptyDir; teardown removes the pod dir', async () => {
  const k = node.kubelet;
  const [pod] = await k.apply(
    manifests(`
apiVersion: v1
kind: Pod
metadata: { name: eph }
spec:
  volumes:
  - { name: scratch, csi: { driver: memory.csi.triad.dev, volumeAttributes: { size: 1Mi } } }
  - { name: cache, emptyDir: {} }
  containers: [{ name: c, image: busybox, command: [sh, -c, 'echo a > /s/x && echo b > /c/y && sleep 3600'], volumeMounts: [{ name: scratch, mountPath: /s }, { name: cache, mountPath: /c }] }]
`),
  );
  await k.waitFor('default', 'eph', (x) => phase(x) === 'Running', W);
  const podDir = join(node.dir, 'pods', pod.metadata.uid!);
  assert.ok(existsSync(join(podDir, 'volumes', 'kubernetes.io~empty-dir', 'cache')));
  await k.delete('default', 'eph', 0);
  assert.not.ok(existsSync(podDir), 'pod dir removed');
  const c = csi();
  assert.is((await c.controller.listVolumes({})).entries.length, 0, 'ephemeral volume gone');
  c.close();
});

t('bindMountOptions reach the runtime as CRI mount_options (noexec applied); a runtime without the feature gets no such pod', async () => {
  const k = node.kubelet;
  await k.apply(
    manifests(`
apiVersion: v1
kind: Pod
metadata: { name: bind-opts }
spec:
  volumes: [{ name: scratch, emptyDir: {} }]
  containers: [{ name: c, image: busybox, command: [sh, -c, 'printf "#!/bin/sh\\necho ran\\n" > /s/run.sh; /s/run.sh || echo "refused $?"; sh /s/run.sh; sleep 3600'], volumeMounts: [{ name: scratch, mountPath: /s, bindMountOptions: [noexec, nosuid] }] }]
`),
  );
  const p = await k.waitFor('default', 'bind-opts', (x) => phase(x) === 'Running', W);
  const id = cstatus(p, 'c').containerID!.replace(/^[^:]+:\/\//, '');
  const st = (await node.cri.runtime.containerStatus({ containerId: id })).status!;
  assert.equal(st.mounts.find((m) => m.containerPath === '/s')?.mountOptions, ['noexec', 'nosuid']);
  await waitUntil(() => / ran\n/.test(readFileSync(st.logPath, 'utf8')), W, 'the script run through sh');
  const log = readFileSync(st.logPath, 'utf8');
  assert.match(log, /Permission denied/);
  assert.match(log, /refused 126/);
  await k.delete('default', 'bind-opts', 0);
  // As kubelet 1.37 on a node whose runtime does not advertise RuntimeFeatures.mount_options.
  (k as unknown as { mountOptions: boolean }).mountOptions = false;
  try {
    const err = await k
      .apply(
        manifests(`
apiVersion: v1
kind: Pod
metadata: { name: bind-opts-2 }
spec:
  volumes: [{ name: scratch, emptyDir: {} }]
  containers: [{ name: c, image: busybox, command: [sleep, '3600'], volumeMounts: [{ name: scratch, mountPath: /s, bindMountOptions: [nodev] }] }]
`),
      )
      .then(
        () => undefined,
        (e: Error) => e,
      );
    assert.match(
      err?.message ?? 'applied',
      /spec\.containers\[0\]\.volumeMounts\[0\]\.bindMountOptions: the container runtime .* does not support bind mount options/,
    );
    assert.is(
      k.list('default').find((x) => x.metadata.name === 'bind-opts-2'),
      undefined,
    );
  } finally {
    (k as unknown as { mountOptions: boolean }).mountOptions = true;
  }
});

t('deletion releases the IP allocation in the network', async () => {
  const k = node.kubelet;
  await k.apply(
    manifests(`
apiVersion: v1
kind: Pod
metadata: { name: netpod }
spec: { containers: [{ name: c, image: busybox, command: [sleep, '3600'] }] }
`),
  );
  const p = await k.waitFor('default', 'netpod', (x) => phase(x) === 'Running', W);
  const ip = p.status!.podIP!;
  const ipamDir = join(node.dir, 'network', 'ipam');
  const held = () => (existsSync(ipamDir) ? readdirSync(ipamDir, { recursive: true }).map(String) : []);
  assert.ok(
    held().some((f) => f.endsWith(ip)),
    `allocation for ${ip} exists`,
  );
  await k.delete('default', 'netpod', 0);
  assert.not.ok(
    held().some((f) => f.endsWith(ip)),
    `allocation for ${ip} released`,
  );
});

t.run();
