// A CSI driver whose NodeUnpublishVolume answers OK but leaves the bind mount: the kubelet must
// not remove the pod directory through that mount (which would delete the volume's data); it
// reports the leftover mount as a teardown error instead. Needs root (real bind mounts).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import tmp from 'tmp';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveBrokenPodStack } from '../../conformance/broken/pod.js';
import { parseConfig } from '../../harness/config/config.js';
import { startNode } from '../../harness/node.js';
import { mountsUnder } from '../../interfaces/csi/sdk/mount.js';
import { manifests, phase } from './helpers.js';

const t = suite('kubelet: volume teardown never deletes through a leftover mount');
const root = process.getuid?.() === 0;
const it = root ? t : (name: string, fn: () => Promise<void>) => t.skip(`${name} [skipped: needs root for real bind mounts]`, fn);

it('NodeUnpublish OK with the mount left: delete reports it, the data survives', async () => {
  const dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'triad-guard-' });
  const stack = await serveBrokenPodStack('csi-unpublish-leaves-mount', join(dir.name, 'stack'));
  const raw = {
    runtime: { type: 'endpoint', endpoint: stack.config.runtime.endpoint },
    storage: { drivers: [{ name: 'memory.csi.triad.dev', type: 'endpoint', endpoint: stack.config.storage.drivers[0].endpoint }] },
    kubelet: { stateDir: join(dir.name, 'kubelet'), plegPeriodMs: 20, cgroupRoot: '' },
  };
  const node = await startNode(parseConfig(raw, '(test)'));
  try {
    await node.kubelet.apply(
      manifests(`
apiVersion: v1
kind: Pod
metadata: { name: guarded }
spec:
  restartPolicy: Never
  volumes: [{ name: d, csi: { driver: memory.csi.triad.dev } }]
  containers: [{ name: c, image: busybox, command: [sh, -c, 'echo precious > /d/f'], volumeMounts: [{ name: d, mountPath: /d }] }]
`),
    );
    const p = await node.kubelet.waitFor('default', 'guarded', (x) => phase(x) === 'Succeeded', 10_000);
    const podDir = join(dir.name, 'kubelet', 'pods', p.metadata.uid!);
    const err = await node.kubelet.delete('default', 'guarded', 0).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err, 'deletion reports the leftover mount');
    assert.match(err!.message, /still has mounts after the CSI driver answered OK/);
    const [mount] = mountsUnder(podDir);
    assert.ok(mount, 'the mount is still there');
    assert.is(readFileSync(join(mount, 'f'), 'utf8'), 'precious\n', 'the volume data was not deleted through the mount');
    assert.ok(readdirSync(podDir).length > 0);
  } finally {
    await node.close();
    await stack.close();
    dir.removeCallback();
  }
});

t.run();
