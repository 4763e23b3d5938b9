// The pod conformance suite: CRI, CNI and CSI together, through the harness kubelet. Setup builds
// a node from a triad.yaml (whatever runtime, network and storage it names) in a state dir of its
// own with fast kubelet timings, finds out how it can observe each plugin besides the harness
// (libcni's result cache, host-local style IPAM state, the mount table, CSI's controller), and
// runs pods whose every step is checked on the plugin that did it. The leak check looks for pods,
// sandboxes, containers, addresses, cached results, volumes and mounts of this run afterwards.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TriadConfig } from '../../harness/config/config.js';
import { MANAGED, POD_NAME } from '../../harness/kubelet/labels.js';
import { startNode, type Node } from '../../harness/node.js';
import { loadConfFile, loadFirstConfList } from '../../interfaces/cni/index.js';
import { ControllerServiceCapability_RPC_Type as CtrlCap } from '../../interfaces/gen/csi/csi.js';
import { RpcError } from '../../interfaces/grpc/errors.js';
import { DEFAULT_DATA_DIR, MEMORY_CNI_TYPE } from '../../plugins/memory-cni/index.js';
import { stateDirOf } from '../cni/kit.js';
import type { Suite, SuiteSession } from '../runner/types.js';
import { faultCases } from './faults.js';
import { initCases } from './init.js';
import { CAP, cachedResults, explainCapability, mountsAt, NS, readAllocations, type NetworkObserver, type PodEnv, type PodSuiteOptions } from './kit.js';
import { lifecycleCases } from './lifecycle.js';
import { networkCases } from './network.js';
import { probeCases } from './probes.js';
import { teardownCases } from './teardown.js';
import { volumeCases } from './volumes.js';

export { type PodEnv, type PodSuiteOptions } from './kit.js';

export const podCases = [...networkCases, ...volumeCases, ...initCases, ...lifecycleCases, ...probeCases, ...teardownCases, ...faultCases];

/** Kubelet timings of the suite's node: restarts and probes fast enough for a conformance run. */
export const SUITE_KUBELET = { plegPeriodMs: 100, backoff: { initialMs: 200, maxMs: 1600 }, probeTimeScale: 0.1 };

/** Where the suite can watch the pod network besides the runtime. */
export function networkObserver(cfg: TriadConfig, stateDir: string, opts: Pick<PodSuiteOptions, 'cniCacheDir' | 'ipamDir'> = {}): NetworkObserver {
  const out: NetworkObserver = {};
  if (cfg.runtime.type === 'memory') {
    if (cfg.network.type === 'none') return out;
    // the harness runs the memory runtime's CNI calls with this cache (harness/node.ts)
    out.cache = { dir: join(stateDir, 'network', 'cache'), certain: true };
    if (cfg.network.type === 'memory') {
      out.name = 'triad-memory';
      out.ipamDir = join(stateDir, 'network', 'ipam', 'triad-memory');
    }
  } else {
    // containerd's CRI plugin (go-cni) uses libcni's default cache dir, which its config cannot
    // change; any other runtime behind an endpoint may cache elsewhere
    out.cache = { dir: '/var/lib/cni', certain: cfg.runtime.type === 'containerd' };
  }
  // a private containerd (no endpoint: the harness starts it) keeps the conflist it was given, or
  // the triad-memory one it wrote, in <root>/cni/net.d (harness/private-containerd.ts)
  const privateConfDir =
    cfg.runtime.type === 'containerd' && !cfg.runtime.endpoint ? join(cfg.runtime.containerd?.root ?? join(stateDir, 'containerd'), 'cni', 'net.d') : undefined;
  const where = privateConfDir && existsSync(privateConfDir) ? privateConfDir : cfg.network.type === 'cni' ? cfg.network.config : undefined;
  if (where) {
    try {
      const list = statSync(where).isDirectory() ? loadFirstConfList(where) : loadConfFile(where);
      out.name = list.name;
      for (const p of list.plugins) {
        const d = stateDirOf(p, { type: MEMORY_CNI_TYPE, dir: DEFAULT_DATA_DIR });
        if (d) {
          out.ipamDir = join(d, list.name);
          break;
        }
      }
    } catch {
      /* an unreadable config: the observations stay unknown and the cases say so */
    }
  }
  if (opts.cniCacheDir) out.cache = { dir: opts.cniCacheDir, certain: true };
  if (opts.ipamDir) out.ipamDir = opts.ipamDir;
  return out;
}

export function defaultImage(cfg: TriadConfig): string {
  const reg = cfg.runtime.containerd?.registry;
  return reg ? `${reg.replace(/\/+$/, '')}/busybox:1.36` : 'busybox:1.36';
}

export function podSuite(opts: PodSuiteOptions): Suite<PodEnv> {
  return {
    name: 'pod',
    title: 'Pod conformance (CRI × CNI × CSI through the harness kubelet)',
    cases: podCases,
    async setup(run): Promise<SuiteSession<PodEnv>> {
      const made = !opts.stateDir;
      const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'triad-conformance-pod-'));
      const base = opts.config;
      const cfg: TriadConfig = {
        ...base,
        kubelet: {
          ...base.kubelet,
          stateDir,
          plegPeriodMs: Math.min(base.kubelet.plegPeriodMs, SUITE_KUBELET.plegPeriodMs),
          backoff: SUITE_KUBELET.backoff,
          probeTimeScale: Math.min(base.kubelet.probeTimeScale, SUITE_KUBELET.probeTimeScale),
        },
      };
      const removeDir = () => {
        if (!made) return;
        const left = mountsAt(stateDir);
        if (left.length) throw new Error(`mounts left under the suite's state dir (kept): ${left.join(', ')}`);
        rmSync(stateDir, { recursive: true, force: true });
      };
      let node: Node;
      try {
        // the interposer in front of the runtime and each CSI driver (transparent until a fault case adds rules)
        node = await startNode(cfg, { interpose: true });
      } catch (e) {
        try {
          removeDir();
        } catch {
          /* reported by the error below */
        }
        throw new Error(`starting the node from ${base.source} failed: ${(e as Error).message}`);
      }
      const teardown = async () => {
        const errors = await node.close();
        removeDir();
        if (errors.length) throw new Error(`node teardown: ${errors.map((e) => e.message).join('; ')}`);
      };
      try {
        const cri = node.cri;
        const caps = new Set<string>();
        const facts: Record<string, string> = { config: base.source, stateDir };
        const v = await cri.runtime.version({ version: 'v1' });
        facts.runtime = `${v.runtimeName} ${v.runtimeVersion} (CRI ${v.runtimeApiVersion}) via ${base.runtime.type}${base.runtime.endpoint ? ` ${base.runtime.endpoint}` : ''}`;
        const st = await cri.runtime.status({ verbose: false });
        const netReady = st.status?.conditions.find((x) => x.type === 'NetworkReady');
        const net = networkObserver(base, stateDir, opts);
        const networkConfigured = base.runtime.type !== 'memory' || base.network.type !== 'none';
        if (networkConfigured && netReady?.status) caps.add(CAP.network);
        facts.network = `${base.runtime.type === 'memory' ? base.network.type : "the runtime's own"}${net.name ? ` (network ${net.name})` : ''}; NetworkReady=${netReady?.status ?? 'unreported'}${netReady?.message ? ` (${netReady.message})` : ''}`;
        facts.cniCache = net.cache
          ? `${net.cache.dir}${net.cache.certain ? '' : " (libcni's default; not known to be this runtime's: pass --cni-cache-dir)"}`
          : 'unknown';
        facts.ipamDir = net.ipamDir ?? 'unknown';

        const classes = base.storage.classes;
        const sc = opts.storageClass ? classes.find((x) => x.name === opts.storageClass) : (classes.find((x) => x.default) ?? classes[0]);
        if (opts.storageClass && !sc)
          throw new Error(
            `--storage-class ${opts.storageClass}: no such class in ${base.source} (classes: ${classes.map((x) => x.name).join(', ') || 'none'})`,
          );
        let storageClass: PodEnv['storageClass'];
        if (sc) {
          storageClass = { name: sc.name, driver: sc.driver };
          const d = node.kubelet.volumes.driver(sc.driver);
          if (d.createDelete) caps.add(CAP.provisioning);
          const cc = await d.client.controller.controllerGetCapabilities({}).catch(() => ({ capabilities: [] }));
          if (cc.capabilities.some((x) => x.rpc?.type === CtrlCap.LIST_VOLUMES || x.rpc?.type === CtrlCap.GET_VOLUME)) caps.add(CAP.volumeLookup);
          facts.storageClass = `${sc.name} → ${sc.driver}${d.stage ? ' (stages)' : ''}${d.controllerPublish ? ' (controller-publishes)' : ''}`;
        }
        const ephemeralDriver = opts.ephemeralDriver ?? base.storage.drivers.find((d) => d.type === 'memory')?.name;
        if (opts.ephemeralDriver && !base.storage.drivers.some((d) => d.name === opts.ephemeralDriver)) {
          throw new Error(
            `--ephemeral-driver ${opts.ephemeralDriver}: no such driver in ${base.source} (drivers: ${base.storage.drivers.map((d) => d.name).join(', ')})`,
          );
        }
        if (ephemeralDriver) caps.add(CAP.ephemeral);
        facts.ephemeralDriver = ephemeralDriver ?? 'none';
        const image = opts.image ?? defaultImage(base);
        facts.image = image;
        facts.kubelet = `pleg ${cfg.kubelet.plegPeriodMs} ms, backoff ${cfg.kubelet.backoff.initialMs}–${cfg.kubelet.backoff.maxMs} ms, probe time ×${cfg.kubelet.probeTimeScale}`;

        const created: PodEnv['created'] = { pods: new Set(), sandboxes: new Set(), claims: new Set(), volumes: new Map(), paths: new Set() };
        const env: PodEnv = { opts, node, cri, image, port: opts.port ?? 8080, storageClass, ephemeralDriver, net, capabilities: caps, created };
        return {
          env,
          capabilities: caps,
          facts,
          teardown,
          explain: explainCapability,
          async leakCheck() {
            const leaks: string[] = [];
            for (const p of node.kubelet.list(NS)) if (created.pods.has(p.metadata.name)) leaks.push(`pod ${p.metadata.name} (the harness still has it)`);
            for (const c of created.claims) if (node.kubelet.volumes.claims.has(`${NS}/${c}`)) leaks.push(`claim ${c} (the harness still has it)`);
            const sbs = await cri.runtime.listPodSandbox({ filter: { labelSelector: { [MANAGED]: 'true' } } });
            for (const s of sbs.items) if (s.metadata?.name.startsWith(`${run.prefix}-`)) leaks.push(`sandbox ${s.id} of pod ${s.metadata.name} (runtime)`);
            const cs = await cri.runtime.listContainers({ filter: { labelSelector: { [MANAGED]: 'true' } } });
            for (const c of cs.containers)
              if ((c.labels[POD_NAME] ?? '').startsWith(`${run.prefix}-`))
                leaks.push(`container ${c.id} (${c.metadata?.name}) of pod ${c.labels[POD_NAME]} (runtime)`);
            for (const a of readAllocations(net.ipamDir))
              if (created.sandboxes.has(a.containerID)) leaks.push(`address ${a.ip} allocated to sandbox ${a.containerID} (CNI IPAM)`);
            for (const id of created.sandboxes) if (cachedResults(net, id).length) leaks.push(`cached CNI result of sandbox ${id} (libcni cache)`);
            for (const [id, driver] of created.volumes) {
              const cl = node.kubelet.volumes.driver(driver).client;
              try {
                await cl.controller.controllerGetVolume({ volumeId: id });
                leaks.push(`volume ${id} at ${driver} (CSI)`);
              } catch (e) {
                if (e instanceof RpcError && e.codeName === 'UNIMPLEMENTED') {
                  const res = await cl.controller.listVolumes({}).catch(() => undefined);
                  if (res?.entries.some((x) => x.volume?.volumeId === id)) leaks.push(`volume ${id} at ${driver} (CSI)`);
                }
              }
            }
            for (const p of created.paths) for (const m of mountsAt(p)) leaks.push(`mount ${m}`);
            return leaks;
          },
        };
      } catch (e) {
        await teardown().catch(() => undefined);
        throw e;
      }
    },
  };
}
