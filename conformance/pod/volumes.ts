// Pod volumes across CSI and CRI: the directory CSI published (NodePublishVolume's target_path)
// is what the containers see — a file the suite writes there is read in the container and what a
// container writes shows up there — the runtime reports that path as the mount's host_path,
// containers of the pod share it, a claim keeps its data from one pod to the next, readOnly
// mounts refuse writes, and an emptyDir is shared by every container.
import { realpathSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../../harness/api/types.js';
import { expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { CAP, exists, RULES, type PodEnv, PodKit } from './kit.js';

const G = 'pod.Volumes';
const c = defineCases(PodKit, G);

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

/** Write a file atomically (temp + rename), so a container polling for it never reads it half written. */
function put(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Two containers passing a token along through the volume at `at`: host → a → b → host. */
function chain(volume: string, at: string) {
  const mounts = [{ name: volume, mountPath: at }];
  return [
    {
      name: 'a',
      mounts,
      script: `until test -f ${at}/from-host; do sleep 0.1; done; v=$(cat ${at}/from-host); echo "a read $v"; echo "a-$v" > ${at}/.from-a && mv ${at}/.from-a ${at}/from-a; sleep 3600`,
    },
    {
      name: 'b',
      mounts,
      script: `until test -f ${at}/from-a; do sleep 0.1; done; v=$(cat ${at}/from-a); echo "b read $v"; echo "b-$v" > ${at}/.from-b && mv ${at}/.from-b ${at}/from-b; sleep 3600`,
    },
  ];
}

/** The runtime's view of a container's mount at `containerPath` matches the published path (when the runtime reports mounts). */
async function checkRuntimeMount(k: PodKit, pod: Pod, container: string, containerPath: string, hostPath: string, readonly?: boolean): Promise<void> {
  const st = await k.containerStatus(pod, container);
  if (!st.mounts.length) {
    k.ctx.log(`the runtime reports no mounts in ContainerStatus of ${container}: host_path not cross-checked`);
    return;
  }
  const m = st.mounts.find((x) => x.containerPath === containerPath);
  if (!m)
    fail(`ContainerStatus of ${container} reports mounts ${st.mounts.map((x) => x.containerPath).join(', ')} but none at ${containerPath}`, {
      rule: RULES.runtimeMount,
      call: k.ctx.lastCall,
      expected: containerPath,
    });
  expectTrue(
    real(m.hostPath) === real(hostPath),
    `container ${container} mounts ${m.hostPath} at ${containerPath}, but the volume was published at ${hostPath}`,
    { rule: RULES.runtimeMount, call: k.ctx.lastCall, expected: hostPath, actual: m.hostPath },
  );
  if (readonly !== undefined)
    expectTrue(m.readonly === readonly, `ContainerStatus of ${container} reports the mount at ${containerPath} readonly=${m.readonly}, expected ${readonly}`, {
      rule: RULES.runtimeMount,
      call: k.ctx.lastCall,
      actual: m,
    });
}

/** Run the chain pod over `volumes` and follow the token through the published directory. */
async function seenAndShared(k: PodKit, p: { claims?: string[]; volumes: Array<Record<string, unknown>>; volume: string }): Promise<void> {
  const pod = await k.run({ label: 'vol', claims: p.claims, volumes: p.volumes, containers: chain(p.volume, '/data') });
  await k.running(pod.metadata.name);
  const v = k.volume(pod.metadata.name, p.volume);
  expectTrue(exists(v.hostPath), `nothing exists at the published target path ${v.hostPath}`, { rule: RULES.publishedIsSeen });
  await checkRuntimeMount(k, pod, 'a', '/data', v.hostPath);
  await checkRuntimeMount(k, pod, 'b', '/data', v.hostPath);
  const token = k.token();
  put(join(v.hostPath, 'from-host'), `${token}\n`);
  await k.waitLog(
    pod.metadata.name,
    'a',
    new RegExp(`a read ${token}`),
    `the file written at ${v.hostPath}/from-host was not read in the container at /data/from-host`,
    RULES.publishedIsSeen,
  );
  await k.waitLog(pod.metadata.name, 'b', new RegExp(`b read a-${token}`), 'what container a wrote in the volume was not read by container b', RULES.shared);
  await k.waitFile(
    join(v.hostPath, 'from-b'),
    new RegExp(`^b-a-${token}\\s*$`),
    `what container b wrote at /data/from-b is not at the published path`,
    RULES.publishedIsSeen,
  );
}

export const volumeCases: CaseDef<PodEnv>[] = [
  c({
    id: 'pod.volumes.pvc.containers-see-published-volume',
    needs: [CAP.provisioning],
    name: "A claim's volume published by CSI is what both containers see at their mount, and it is shared between them",
    async run(k) {
      const claim = k.name('claim');
      await seenAndShared(k, { claims: [claim], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }], volume: 'data' });
    },
  }),
  c({
    id: 'pod.volumes.ephemeral.containers-see-published-volume',
    needs: [CAP.ephemeral],
    name: 'An inline ephemeral CSI volume published for the pod is what both containers see, and it is shared between them',
    async run(k) {
      await seenAndShared(k, { volumes: [{ name: 'data', csi: { driver: k.env.ephemeralDriver, volumeAttributes: { size: '16Mi' } } }], volume: 'data' });
    },
  }),
  c({
    id: 'pod.volumes.pvc.data-outlives-pod',
    needs: [CAP.provisioning],
    name: 'What one pod wrote to a claim is there for the next pod using the claim',
    async run(k) {
      const claim = k.name('claim');
      const token = k.token();
      const vols = [{ name: 'data', persistentVolumeClaim: { claimName: claim } }];
      const mounts = [{ name: 'data', mountPath: '/data' }];
      const first = await k.run({
        label: 'writer',
        claims: [claim],
        restartPolicy: 'Never',
        volumes: vols,
        containers: [{ name: 'w', mounts, script: `echo ${token} > /data/persist` }],
      });
      const done = await k.waitFor(first.metadata.name, (p) => ['Succeeded', 'Failed'].includes(p.status?.phase ?? ''), 'Succeeded');
      expectTrue(done.status?.phase === 'Succeeded', `the writer pod ${done.status?.phase}: ${await k.logs(first.metadata.name, 'w')}`, {
        rule: RULES.publishedIsSeen,
        actual: done.status?.containerStatuses,
      });
      await k.delete(first.metadata.name);
      const second = await k.run({
        label: 'reader',
        restartPolicy: 'Never',
        volumes: vols,
        containers: [{ name: 'r', mounts, script: 'cat /data/persist; echo "files: $(ls /data)"' }],
      });
      await k.waitFor(second.metadata.name, (p) => ['Succeeded', 'Failed'].includes(p.status?.phase ?? ''), 'completed');
      const log = await k.logs(second.metadata.name, 'r');
      expectTrue(
        log.includes(token),
        `the second pod does not find what the first wrote to claim ${claim} (/data/persist holding ${token}); it logged ${JSON.stringify(log.slice(0, 300))}`,
        { rule: RULES.persists, expected: token, actual: log },
      );
    },
  }),
  c({
    id: 'pod.volumes.read-only-mount',
    name: 'A readOnly volumeMount refuses writes in that container while another container of the pod writes the same volume',
    async run(k) {
      let claims: string[] = [];
      let volume: Record<string, unknown>;
      if (k.has(CAP.provisioning)) {
        const claim = k.name('claim');
        claims = [claim];
        volume = { name: 'data', persistentVolumeClaim: { claimName: claim } };
      } else if (k.has(CAP.ephemeral)) {
        volume = { name: 'data', csi: { driver: k.env.ephemeralDriver, volumeAttributes: { size: '16Mi' } } };
      } else {
        volume = { name: 'data', emptyDir: {} };
      }
      k.ctx.log(`volume: ${JSON.stringify(volume)}`);
      const token = k.token();
      const pod = await k.run({
        label: 'ro',
        claims,
        volumes: [volume],
        containers: [
          { name: 'writer', mounts: [{ name: 'data', mountPath: '/data' }], script: `echo ${token} > /data/.w && mv /data/.w /data/w; sleep 3600` },
          {
            name: 'reader',
            mounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
            script:
              'until test -f /data/w; do sleep 0.1; done; echo "saw $(cat /data/w)"; if touch /data/ro-attempt; then echo WRITE-SUCCEEDED; else echo WRITE-REFUSED; fi; sleep 3600',
          },
        ],
      });
      await k.running(pod.metadata.name);
      const v = k.volume(pod.metadata.name, 'data');
      const log = await k.waitLog(pod.metadata.name, 'reader', /WRITE-(SUCCEEDED|REFUSED)/, 'the read-only container never tried its write', RULES.readonly);
      expectTrue(log.includes(`saw ${token}`), `the read-only container did not read what the writer wrote: ${JSON.stringify(log.slice(0, 300))}`, {
        rule: RULES.shared,
        actual: log,
      });
      expectTrue(
        !/WRITE-SUCCEEDED/.test(log) && !exists(join(v.hostPath, 'ro-attempt')),
        `a write through the readOnly mount succeeded (${v.hostPath}/ro-attempt ${exists(join(v.hostPath, 'ro-attempt')) ? 'exists' : 'is not in the volume'})`,
        { rule: RULES.readonly, actual: log },
      );
      await checkRuntimeMount(k, pod, 'reader', '/data', v.hostPath, true);
      await checkRuntimeMount(k, pod, 'writer', '/data', v.hostPath, false);
    },
  }),
  c({
    id: 'pod.volumes.empty-dir.shared',
    name: "An emptyDir is shared by the pod's init container and both app containers",
    async run(k) {
      const token = k.token();
      const mounts = [{ name: 'cache', mountPath: '/cache' }];
      const pod = await k.run({
        label: 'empty',
        volumes: [{ name: 'cache', emptyDir: {} }],
        initContainers: [{ name: 'init', mounts, script: `echo init-${token} > /cache/i` }],
        containers: [
          { name: 'a', mounts, script: 'v=$(cat /cache/i); echo "a-$v" > /cache/.a && mv /cache/.a /cache/a; sleep 3600' },
          { name: 'b', mounts, script: 'until test -f /cache/a; do sleep 0.1; done; echo "b read $(cat /cache/a)"; sleep 3600' },
        ],
      });
      await k.running(pod.metadata.name);
      await k.waitLog(
        pod.metadata.name,
        'b',
        new RegExp(`b read a-init-${token}`),
        "the emptyDir did not carry the init container's file through container a to container b",
        RULES.emptyDir,
      );
      const v = k.volume(pod.metadata.name, 'cache');
      await k.waitFile(
        join(v.hostPath, 'a'),
        new RegExp(`a-init-${token}`),
        "the emptyDir's host directory does not hold what the containers wrote",
        RULES.emptyDir,
      );
    },
  }),
];
