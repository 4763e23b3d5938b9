// Deleting a pod through the harness releases everything on every plugin: the address (CNI DEL:
// the allocation and libcni's cached result are gone), the mounts (CSI NodeUnpublish and
// NodeUnstage: nothing mounted at the target and staging paths), the volumes (an inline ephemeral
// volume's data; a claim's volume once the claim is deleted), and the runtime's sandbox and
// containers.
import { join } from 'node:path';
import { POD_UID } from '../../harness/kubelet/labels.js';
import type { CsiClient } from '../../interfaces/csi/client.js';
import { ControllerServiceCapability_RPC_Type as CtrlCap } from '../../interfaces/gen/csi/csi.js';
import { RpcError } from '../../interfaces/grpc/errors.js';
import { expectCode, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { backingDir, CAP, cachedResults, exists, mountsAt, NS, readAllocations, RULES, type PodEnv, PodKit } from './kit.js';

const G = 'pod.Teardown';
const c = defineCases(PodKit, G);

/** Delete the pod; an error is returned (the checks after it say more precisely what was left). */
async function deletePod(k: PodKit, name: string): Promise<Error | undefined> {
  try {
    await k.delete(name);
    return undefined;
  } catch (e) {
    k.ctx.log(`deleting pod ${name} failed: ${(e as Error).message}`);
    return e as Error;
  }
}

function deleteError(err: Error | undefined, what: string): void {
  if (err)
    fail(`deleting the pod failed: ${err.message}`, {
      rule: `The harness deletes a pod by undoing every step at the plugins (${what}); each step MUST succeed when the plugins keep their contracts`,
      actual: err.message,
    });
}

const csiClient = (k: PodKit, driver: string): CsiClient => k.kubelet.volumes.driver(driver).client;

/** Is the volume still known to the controller? undefined when the driver cannot tell (neither LIST_VOLUMES nor GET_VOLUME). */
async function volumeListed(k: PodKit, driver: string, volumeId: string): Promise<boolean | undefined> {
  const cl = csiClient(k, driver);
  const caps = await cl.controller.controllerGetCapabilities({}).catch(() => ({ capabilities: [] }));
  const has = (t: CtrlCap) => caps.capabilities.some((x) => x.rpc?.type === t);
  if (has(CtrlCap.LIST_VOLUMES)) {
    let token = '';
    for (let page = 0; page < 1000; page++) {
      const res = await expectOk(k.ctx.track('Controller/ListVolumes', { startingToken: token }, cl.controller.listVolumes({ startingToken: token })), {
        rule: 'CSI ListVolumes MUST answer OK',
      });
      if (res.entries.some((e) => e.volume?.volumeId === volumeId)) return true;
      if (!res.nextToken || res.nextToken === token) return false;
      token = res.nextToken;
    }
    return false;
  }
  if (has(CtrlCap.GET_VOLUME)) {
    try {
      await k.ctx.track('Controller/ControllerGetVolume', { volumeId }, cl.controller.controllerGetVolume({ volumeId }));
      return true;
    } catch (e) {
      if (e instanceof RpcError && e.codeName === 'NOT_FOUND') return false;
      throw e;
    }
  }
  return undefined;
}

export const teardownCases: CaseDef<PodEnv>[] = [
  c({
    id: 'pod.teardown.ip-released',
    needs: [CAP.network],
    name: 'Deleting the pod releases its address: no allocation and no cached CNI result remain for its sandbox',
    async run(k) {
      const net = k.env.net;
      if (!net.cache && !net.ipamDir) return k.skip('neither the CNI result cache nor the IPAM state is observable (pass --cni-cache-dir or --ipam-dir)');
      const pod = await k.run({ label: 'release', containers: [{ name: 'c', script: 'sleep 3600' }] });
      await k.running(pod.metadata.name);
      const sb = await k.sandbox(pod);
      const ip = sb.status.network?.ip ?? '';
      const held = readAllocations(net.ipamDir).filter((a) => a.containerID === sb.id);
      const cached = cachedResults(net, sb.id);
      if (!held.length && !cached.length)
        return k.skip(
          `neither an allocation (under ${net.ipamDir ?? 'no ipam dir'}) nor a cached result (under ${net.cache?.dir ?? 'no cache dir'}) exists for running sandbox ${sb.id}: a release cannot be told`,
        );
      k.ctx.log(
        `before: ${held.length ? `allocated ${held.map((a) => a.ip).join(', ')}` : 'no allocation seen'}, ${cached.length} cached result(s), pod IP ${ip}`,
      );
      const err = await deletePod(k, pod.metadata.name);
      const left = readAllocations(net.ipamDir).filter((a) => a.containerID === sb.id);
      expectTrue(left.length === 0, `after deleting the pod, ${net.ipamDir} still allocates ${left.map((a) => `${a.ip} to ${a.containerID}`).join(', ')}`, {
        rule: RULES.ipReleased,
        actual: left,
      });
      const still = cachedResults(net, sb.id);
      expectTrue(still.length === 0, `after deleting the pod, libcni's cache still holds the ADD result for sandbox ${sb.id} (${net.cache?.dir}/results)`, {
        rule: RULES.ipReleased,
        actual: still.map((e) => e.result),
      });
      deleteError(err, 'StopPodSandbox, RemovePodSandbox');
    },
  }),
  c({
    id: 'pod.teardown.volumes-unmounted',
    name: 'Deleting the pod unmounts every CSI target path and the staging path, and leaves nothing at them',
    applies: (env) =>
      env.capabilities.has(CAP.provisioning) || env.capabilities.has(CAP.ephemeral)
        ? undefined
        : 'no CSI volume can be published here (no provisioning storage class and no ephemeral-capable driver)',
    async run(k) {
      const claim = k.has(CAP.provisioning) ? k.name('claim') : undefined;
      const volumes: Array<Record<string, unknown>> = [{ name: 'scratch', emptyDir: {} }];
      if (claim) volumes.push({ name: 'claim', persistentVolumeClaim: { claimName: claim } });
      if (k.has(CAP.ephemeral)) volumes.push({ name: 'inline', csi: { driver: k.env.ephemeralDriver, volumeAttributes: { size: '16Mi' } } });
      const mounts = volumes.map((v) => ({ name: v.name as string, mountPath: `/v/${v.name as string}` }));
      const pod = await k.run({
        label: 'unmount',
        claims: claim ? [claim] : [],
        volumes,
        containers: [{ name: 'c', mounts, script: 'for d in /v/*; do echo x > $d/f; done; sleep 3600' }],
      });
      await k.running(pod.metadata.name);
      const recs = k.volumes(pod.metadata.name).filter((v) => v.kind === 'pvc' || v.kind === 'csi');
      const targets = recs.map((v) => ({ name: v.name, path: v.hostPath }));
      const staging = claim ? k.stagingPath(claim) : undefined;
      for (const t of targets)
        expectTrue(exists(t.path), `nothing at target path ${t.path} of volume ${t.name} while the pod runs`, { rule: RULES.publishedIsSeen });
      k.ctx.log(
        `targets: ${targets.map((t) => `${t.name} ${t.path} (${mountsAt(t.path).length ? 'mounted' : 'not a mount point'})`).join('; ')}${staging ? `; staging ${staging} (${mountsAt(staging).length ? 'mounted' : 'not a mount point'})` : ''}`,
      );
      const err = await deletePod(k, pod.metadata.name);
      for (const t of targets) {
        const m = mountsAt(t.path);
        expectTrue(m.length === 0, `after deleting the pod, ${m.join(', ')} is still mounted (volume ${t.name}'s target path)`, {
          rule: RULES.unpublished,
          actual: m,
        });
      }
      if (staging) {
        const m = mountsAt(staging);
        expectTrue(m.length === 0, `after deleting the pod (the claim's last user), the staging path ${staging} is still mounted`, {
          rule: RULES.unpublished,
          actual: m,
        });
      }
      deleteError(err, 'NodeUnpublishVolume, NodeUnstageVolume, ControllerUnpublishVolume');
      for (const t of targets)
        expectTrue(!exists(t.path), `after deleting the pod, something is still at volume ${t.name}'s target path ${t.path}`, { rule: RULES.unpublished });
      const podDir = join(k.kubelet.volumes.podDir(pod.metadata.uid!));
      expectTrue(!exists(podDir), `the pod's directory ${podDir} is still there after deletion`, {
        rule: "kubelet removes the pod's directory once every volume is torn down",
      });
    },
  }),
  c({
    id: 'pod.teardown.claim-volume-deleted',
    needs: [CAP.provisioning],
    name: 'Deleting the pod and then its claim deletes the volume at the CSI driver (reclaim policy Delete): not listed any more, its data gone',
    async run(k) {
      const claim = k.name('claim');
      const pod = await k.run({
        label: 'reclaim',
        claims: [claim],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
        containers: [{ name: 'c', mounts: [{ name: 'data', mountPath: '/data' }], script: 'echo x > /data/f; sleep 3600' }],
      });
      await k.running(pod.metadata.name);
      const rec = k.kubelet.volumes.claims.get(`${NS}/${claim}`)!;
      const v = k.volume(pod.metadata.name, 'data');
      const backing = backingDir(v.hostPath);
      k.ctx.log(`volume ${rec.volumeId} at ${rec.driver}; published at ${v.hostPath}${backing ? `, backed by ${backing}` : ''}`);
      const listedBefore = await volumeListed(k, rec.driver, rec.volumeId!);
      if (listedBefore === undefined && !backing)
        return k.skip(
          `driver ${rec.driver} advertises neither LIST_VOLUMES nor GET_VOLUME and the volume is not a bind mount of a host directory: its deletion cannot be observed`,
        );
      if (listedBefore === false)
        fail(`the controller does not know volume ${rec.volumeId} while a pod uses it`, { rule: RULES.claimDeleted, call: k.ctx.lastCall });
      deleteError(await deletePod(k, pod.metadata.name), 'NodeUnpublishVolume, NodeUnstageVolume, ControllerUnpublishVolume');
      await k.kubelet.deleteClaim(NS, claim);
      if (listedBefore !== undefined) {
        const after = await volumeListed(k, rec.driver, rec.volumeId!);
        expectTrue(after === false, `DeleteVolume ${rec.volumeId} answered OK but the controller still has the volume`, {
          rule: RULES.claimDeleted,
          call: k.ctx.lastCall,
        });
      }
      if (backing)
        expectTrue(!exists(backing), `DeleteVolume ${rec.volumeId} answered OK but its data directory ${backing} is still there`, { rule: RULES.claimDeleted });
    },
  }),
  c({
    id: 'pod.teardown.ephemeral-volume-deleted',
    needs: [CAP.ephemeral],
    name: 'Deleting the pod deletes its inline ephemeral volume: the data behind the target path is gone',
    async run(k) {
      const pod = await k.run({
        label: 'ephemeral',
        volumes: [{ name: 'inline', csi: { driver: k.env.ephemeralDriver, volumeAttributes: { size: '16Mi' } } }],
        containers: [{ name: 'c', mounts: [{ name: 'inline', mountPath: '/data' }], script: 'echo x > /data/f; sleep 3600' }],
      });
      await k.running(pod.metadata.name);
      const v = k.volume(pod.metadata.name, 'inline');
      const backing = backingDir(v.hostPath);
      if (!backing)
        return k.skip(
          `the ephemeral volume at ${v.hostPath} is neither a bind mount of a host directory nor a symlink to one: its data cannot be looked for after unpublish`,
        );
      k.ctx.log(`ephemeral volume ${v.volumeId} published at ${v.hostPath}, backed by ${backing}`);
      await k.waitFile(join(backing, 'f'), /x/, "the container's file is not in the directory behind the target path", RULES.publishedIsSeen);
      deleteError(await deletePod(k, pod.metadata.name), 'NodeUnpublishVolume');
      expectTrue(!exists(backing), `NodeUnpublishVolume of inline ephemeral volume ${v.volumeId} answered OK, but its data ${backing} is still there`, {
        rule: RULES.ephemeralDeleted,
      });
    },
  }),
  c({
    id: 'pod.teardown.runtime-forgets-pod',
    name: 'Deleting the pod removes its sandbox and containers from the runtime: not listed, and their status is NOT_FOUND',
    async run(k) {
      const pod = await k.run({
        label: 'forget',
        initContainers: [{ name: 'init', script: 'true' }],
        containers: [
          { name: 'a', script: 'sleep 3600' },
          { name: 'b', script: 'sleep 3600' },
        ],
      });
      await k.running(pod.metadata.name);
      const sb = await k.sandbox(pod);
      const sel = { labelSelector: { [POD_UID]: pod.metadata.uid! } };
      const before = await expectOk(k.cri.listContainers({ filter: sel }), { rule: 'CRI ListContainers MUST answer OK' });
      const ids = before.containers.map((x) => x.id);
      expectTrue(ids.length >= 3, `the runtime lists ${ids.length} container(s) for the pod, expected init, a and b`, {
        rule: RULES.oneSandbox,
        call: k.ctx.lastCall,
      });
      deleteError(await deletePod(k, pod.metadata.name), 'StopContainer, StopPodSandbox, RemoveContainer, RemovePodSandbox');
      const sbs = await expectOk(k.cri.listPodSandbox({ filter: sel }), { rule: RULES.listOk });
      expectTrue(sbs.items.length === 0, `after deleting the pod the runtime still lists sandbox(es) ${sbs.items.map((x) => x.id).join(', ')}`, {
        rule: RULES.runtimeClean,
        call: k.ctx.lastCall,
      });
      const cs = await expectOk(k.cri.listContainers({ filter: sel }), { rule: 'CRI ListContainers MUST answer OK' });
      expectTrue(
        cs.containers.length === 0,
        `after deleting the pod the runtime still lists container(s) ${cs.containers.map((x) => x.metadata?.name).join(', ')}`,
        { rule: RULES.runtimeClean, call: k.ctx.lastCall },
      );
      await expectCode(k.cri.podSandboxStatus({ podSandboxId: sb.id }), 'NOT_FOUND', { rule: RULES.runtimeClean });
      for (const id of ids) await expectCode(k.cri.containerStatus({ containerId: id }), 'NOT_FOUND', { rule: RULES.runtimeClean });
    },
  }),
];
