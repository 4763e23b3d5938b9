// Deliberately broken pod stacks: the in-memory runtime, CNI plugin and CSI driver served on their
// own sockets (the runtime's CNI plugin in-process) with ONE thing broken at one interface — a CRI
// handler, a CNI verb or a CSI handler wrapped, never the plugins' code changed. Each names the
// pod conformance case that must catch it. The healthy stack (no variant) is built the same way,
// so a test can tell the scaffolding from the break.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseConfig, type TriadConfig } from '../../harness/config/config.js';
import { CONTAINER_KIND } from '../../harness/kubelet/labels.js';
import { dispatch, formatIp, parseIp, type PluginFuncs } from '../../interfaces/cni/index.js';
import { ContainerState } from '../../interfaces/gen/cri/api.js';
import { ControllerDefinition, IdentityDefinition, NodeDefinition } from '../../interfaces/gen/csi/csi.js';
import { RuntimeServiceDefinition } from '../../interfaces/gen/cri/api.js';
import { serve, type Binding } from '../../interfaces/grpc/server.js';
import { parseMemoryConf } from '../../plugins/memory-cni/config.js';
import { createMemoryCni, MEMORY_CNI_TYPE } from '../../plugins/memory-cni/plugin.js';
import { MemoryRuntime } from '../../plugins/memory-cri/index.js';
import { EPHEMERAL_KEY, MemoryCsiDriver } from '../../plugins/memory-csi/index.js';
import type { PodSuiteOptions } from '../pod/kit.js';
import { mountTable } from '../pod/kit.js';

type Impl = Record<string, (req: any, ctx: any) => any>;

export interface BrokenPodVariant {
  description: string;
  /** The case id that catches this break. */
  caughtBy: string;
  /** Wrap RuntimeService handlers of memory-cri. */
  cri?(runtime: Impl, rt: MemoryRuntime): void;
  /** Replace verbs of memory-cni (the runtime's CNI plugin). */
  cni?(core: PluginFuncs): Partial<PluginFuncs>;
  /** Wrap handlers of memory-csi (or its internals, as conformance/broken/csi.ts does). */
  csi?(b: { identity: Impl; controller: Impl; node: Impl }, d: MemoryCsiDriver): void;
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/** Another address in the same /16: what a runtime that mixes up pods would report. */
function otherIp(ip: string): string {
  const p = parseIp(ip);
  if (!p || p.family !== 4) return ip;
  const low = Number(p.value & 0xffn);
  return formatIp({ ...p, value: (p.value & ~0xffn) | BigInt(((low + 100) % 253) + 1) });
}

export const brokenPod: Record<string, BrokenPodVariant> = {
  'cri-reports-other-ip': {
    description: 'PodSandboxStatus reports an address other than the one the CNI plugin gave the sandbox',
    caughtBy: 'pod.network.ip.cni-result-is-sandbox-ip',
    cri(r) {
      const orig = r.podSandboxStatus;
      r.podSandboxStatus = async (req, ctx) => {
        const res = await orig(req, ctx);
        const ip = res.status?.network?.ip;
        return ip ? { ...res, status: { ...res.status, network: { ...res.status.network, ip: otherIp(ip) } } } : res;
      };
    },
  },
  'cri-init-exits-early': {
    description:
      'the runtime reports init containers (as the kubelet annotates them) EXITED with code 0 100 ms after StartContainer while their process still runs, so the next one starts alongside',
    caughtBy: 'pod.init.sequential-seen-in-volume',
    cri(r) {
      const inits = new Set<string>();
      const fake = new Map<string, bigint>();
      const { createContainer, startContainer, containerStatus, listContainers } = r;
      r.createContainer = async (req, ctx) => {
        const res = await createContainer(req, ctx);
        if ((req.config?.annotations?.[CONTAINER_KIND] ?? req.config?.labels?.[CONTAINER_KIND]) === 'init') inits.add(res.containerId);
        return res;
      };
      r.startContainer = async (req, ctx) => {
        const res = await startContainer(req, ctx);
        if (inits.has(req.containerId)) setTimeout(() => fake.set(req.containerId, nowNs()), 100).unref();
        return res;
      };
      r.containerStatus = async (req, ctx) => {
        const res = await containerStatus(req, ctx);
        const at = fake.get(req.containerId);
        if (at === undefined || res.status?.state !== ContainerState.CONTAINER_RUNNING) return res;
        return { ...res, status: { ...res.status, state: ContainerState.CONTAINER_EXITED, exitCode: 0, reason: 'Completed', finishedAt: at } };
      };
      // the fake state holds in state filters too (a kubelet may list only EXITED containers)
      r.listContainers = async (req, ctx) => {
        const want = req.filter?.state?.state;
        const res = await listContainers(want === undefined ? req : { ...req, filter: { ...req.filter, state: undefined } }, ctx);
        const all = res.containers.map((c: { id: string; state: ContainerState }) =>
          fake.has(c.id) && c.state === ContainerState.CONTAINER_RUNNING ? { ...c, state: ContainerState.CONTAINER_EXITED } : c,
        );
        return { containers: want === undefined ? all : all.filter((c: { state: ContainerState }) => c.state === want) };
      };
    },
  },
  'cri-ignores-readonly': {
    description: 'CreateContainer mounts every volume read-write, whatever Mount.readonly says',
    caughtBy: 'pod.volumes.read-only-mount',
    cri(r) {
      const orig = r.createContainer;
      r.createContainer = (req, ctx) =>
        orig({ ...req, config: { ...req.config, mounts: (req.config?.mounts ?? []).map((m: object) => ({ ...m, readonly: false })) } }, ctx);
    },
  },
  'cri-remove-keeps-sandbox': {
    description: 'RemovePodSandbox stops the sandbox and answers OK, but keeps it',
    caughtBy: 'pod.teardown.runtime-forgets-pod',
    cri(r) {
      const stop = r.stopPodSandbox;
      r.removePodSandbox = async (req, ctx) => {
        await stop(req, ctx);
        return {};
      };
    },
  },
  'cni-del-leaks-ip': {
    description: 'CNI DEL answers success but keeps the address allocated',
    caughtBy: 'pod.teardown.ip-released',
    cni: () => ({
      async del(a) {
        parseMemoryConf(a.config);
      },
    }),
  },
  'cni-result-not-allocated': {
    description: 'CNI ADD allocates one address but reports the next one in its result',
    caughtBy: 'pod.network.ip.ipam-allocated-to-sandbox',
    cni: (core) => ({
      async add(a) {
        const r = await core.add(a);
        return { ...r, ips: (r.ips ?? []).map((x, i) => (i === 0 ? { ...x, address: `${otherIp(x.address.split('/')[0])}/${x.address.split('/')[1]}` } : x)) };
      },
    }),
  },
  'csi-publish-empty-target': {
    description: 'NodePublishVolume of a provisioned volume creates an empty directory at target_path instead of exposing the volume',
    caughtBy: 'pod.volumes.pvc.data-outlives-pod',
    csi({ node }) {
      const orig = node.nodePublishVolume;
      node.nodePublishVolume = async (req, ctx) => {
        if (req.volumeContext?.[EPHEMERAL_KEY] === 'true') return orig(req, ctx);
        mkdirSync(req.targetPath, { recursive: true });
        return {};
      };
    },
  },
  'csi-unpublish-leaves-mount': {
    description: 'NodeUnpublishVolume answers OK but leaves the volume mounted at target_path',
    caughtBy: 'pod.teardown.volumes-unmounted',
    csi({ node }) {
      node.nodeUnpublishVolume = async () => ({});
    },
  },
  'csi-delete-keeps-data': {
    description: 'DeleteVolume of a provisioned volume answers OK and forgets the volume, but keeps its data',
    caughtBy: 'pod.teardown.claim-volume-deleted',
    csi(_b, d) {
      const orig = d.dropVolume.bind(d);
      d.dropVolume = (v) => {
        if (v.ephemeral) return orig(v);
        d.store.volumes.remove(v);
      };
    },
  },
  'csi-ephemeral-data-kept': {
    description: 'NodeUnpublishVolume of an inline ephemeral volume forgets the volume but keeps its data',
    caughtBy: 'pod.teardown.ephemeral-volume-deleted',
    csi(_b, d) {
      const orig = d.dropVolume.bind(d);
      d.dropVolume = (v) => {
        if (!v.ephemeral) return orig(v);
        d.store.volumes.remove(v);
      };
    },
  },
};

export interface BrokenPodStack {
  /** A triad.yaml for these plugins (runtime and driver as endpoints, the network as its conflist). */
  config: TriadConfig;
  /** What the pod suite needs to know besides the config (where the runtime caches CNI results, the ephemeral driver; a state dir inside the stack's, so close() also removes it). */
  options: Omit<PodSuiteOptions, 'config'>;
  close(): Promise<void>;
}

export const BROKEN_DRIVER = 'memory.csi.triad.dev';

/**
 * Serve memory-cri (with memory-cni in-process as its CNI plugin) and memory-csi under `dir`, with
 * one variant's break applied (none: the healthy stack, built the same way).
 */
export async function serveBrokenPodStack(variant: string | undefined, dir: string): Promise<BrokenPodStack> {
  const v = variant ? brokenPod[variant] : undefined;
  if (variant && !v) throw new Error(`unknown broken pod variant ${variant} (known: ${Object.keys(brokenPod).join(', ')})`);
  const net = join(dir, 'net');
  mkdirSync(join(net, 'bin'), { recursive: true });
  const conflist = join(net, '10-pod.conflist');
  const name = `triad-pod-${randomBytes(2).toString('hex')}`;
  writeFileSync(
    conflist,
    JSON.stringify({ cniVersion: '1.1.0', name, plugins: [{ type: MEMORY_CNI_TYPE, subnet: '10.124.0.0/16', dataDir: join(net, 'ipam') }] }, null, 2),
  );
  const core = createMemoryCni();
  const funcs: PluginFuncs = { ...core, ...(v?.cni?.(core) ?? {}) };
  const cacheDir = join(net, 'cache');

  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    // a break may leave mounts behind (that is what some variants do): never rm -rf through them
    for (const m of mountTable()
      .map((x) => x.mountPoint)
      .filter((p) => p.startsWith(`${dir}/`))
      .reverse()) {
      await execa('umount', ['-l', m], { reject: false });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const rt = new MemoryRuntime({
      network: {
        type: 'cni',
        config: conflist,
        binDirs: [join(net, 'bin')],
        cacheDir,
        inProcess: { [MEMORY_CNI_TYPE]: (env, stdin) => dispatch(funcs, env, stdin) },
      },
      stateDir: join(dir, 'cri'),
    });
    closers.push(() => rt.close());
    const criBindings = rt.bindings() as Binding<any>[];
    const rs = criBindings.find((b) => b.def === RuntimeServiceDefinition)!;
    rs.impl = { ...rs.impl };
    v?.cri?.(rs.impl as Impl, rt);
    const criServer = await serve(join(dir, 'cri.sock'), criBindings);
    closers.push(() => criServer.close(2000));

    const d = new MemoryCsiDriver({ name: BROKEN_DRIVER, nodeId: 'triad-node', dataDir: join(dir, 'csi-data') });
    closers.push(() => d.close());
    await d.mechanism();
    const csiBindings = d.bindings() as Binding<any>[];
    const find = (def: unknown) => {
      const b = csiBindings.find((x) => x.def === def)!;
      b.impl = { ...b.impl };
      return b.impl as Impl;
    };
    const b = { identity: find(IdentityDefinition), controller: find(ControllerDefinition), node: find(NodeDefinition) };
    v?.csi?.(b, d);
    const csiServer = await serve(join(dir, 'csi.sock'), csiBindings);
    closers.push(() => csiServer.close());

    const config = parseConfig(
      {
        runtime: { type: 'endpoint', endpoint: criServer.endpoint.display },
        network: { type: 'cni', config: conflist, binDirs: [join(net, 'bin')] },
        storage: {
          drivers: [{ name: BROKEN_DRIVER, type: 'endpoint', endpoint: csiServer.endpoint.display }],
          classes: [{ name: 'standard', driver: BROKEN_DRIVER, default: true }],
        },
        kubelet: { stateDir: join(dir, 'kubelet'), cgroupRoot: '' },
      },
      `(pod stack${variant ? `, broken: ${variant}` : ''})`,
    );
    return { config, options: { cniCacheDir: cacheDir, ephemeralDriver: BROKEN_DRIVER, stateDir: join(dir, 'suite') }, close };
  } catch (e) {
    await close();
    throw e;
  }
}
