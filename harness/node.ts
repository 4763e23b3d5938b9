// A node assembled from triad.yaml: the CRI runtime, its network and the CSI drivers — started
// in-process when they are in-memory (still reached over their gRPC sockets), started as a
// private containerd (runtime.type containerd without an endpoint: private-containerd.ts), or
// connected when they are external — and the harness kubelet on top. close() undoes all of it.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CsiClient } from '../interfaces/csi/client.js';
import { CriClient } from '../interfaces/cri/client.js';
import { ControllerServiceCapability_RPC_Type as CtlCap, NodeServiceCapability_RPC_Type as NodeCap } from '../interfaces/gen/csi/csi.js';
import { invokeMemoryCni, MEMORY_CNI_TYPE } from '../plugins/memory-cni/index.js';
import { loadImageFile, serveMemoryCri } from '../plugins/memory-cri/index.js';
import { serveMemoryCsi } from '../plugins/memory-csi/index.js';
import { isPrivateContainerd, type TriadConfig } from './config/config.js';
import { interposeCni, interposeGrpc, type CniInterposer } from './interpose.js';
import { shimInProcess } from '../interfaces/interposer/cni-shim.js';
import type { RunningProxy } from '../interfaces/interposer/proxy.js';
import { hostResolvConf, Kubelet } from './kubelet/kubelet.js';
import type { CsiDriver } from './kubelet/volumes.js';
import { checkPrivateContainerd, startPrivateContainerd, type PrivateContainerdInfo } from './private-containerd.js';

export interface Node {
  kubelet: Kubelet;
  cri: CriClient;
  config: TriadConfig;
  /** The private containerd this node started (runtime.type containerd without endpoint). */
  privateContainerd?: PrivateContainerdInfo;
  /** The interposers in front of the runtime (its RuntimeService endpoint), of each CSI driver (by name) and of the CNI network, when any. */
  interposers: { runtime?: RunningProxy; image?: RunningProxy; drivers: Map<string, RunningProxy>; cni?: CniInterposer };
  /** Tear down every pod and claim, stop the kubelet and every plugin this node started. */
  close(): Promise<Error[]>;
}

export interface NodeOptions {
  log?: (msg: string) => void;
  /** Keep pods running on close (a daemon restart test); default false. */
  keepPods?: boolean;
  /** Put the interposer in front of the runtime, every CSI driver and (where triad runs it) the CNI network even when triad.yaml asks for none (no rules: transparent), so a test can set fault rules while the node runs. */
  interpose?: boolean;
}

export async function startNode(given: TriadConfig, opts: NodeOptions = {}): Promise<Node> {
  let cfg = given;
  const log = opts.log ?? (() => {});
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    const errors: Error[] = [];
    for (const c of closers.reverse()) await c().catch((e: Error) => errors.push(e));
    closers.length = 0;
    return errors;
  };
  // A private containerd takes seconds to start and outlives this process (detached, like any
  // daemon): a Ctrl-C or SIGTERM while the node starts must not leave it behind. The signal is
  // held until everything started so far is cleaned up, then raised again when nothing else
  // listens for it (so the process still ends the way the signal says).
  const privateCd = isPrivateContainerd(cfg.runtime);
  if (privateCd) checkPrivateContainerd(cfg); // config, root, binaries: before anything is created
  let signalled: NodeJS.Signals | undefined;
  let reraise = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) return;
    signalled = sig;
    reraise = process.listenerCount(sig) === 1;
    log(`${sig} while the node starts: cleaning up what was started…`);
  };
  const guarded: NodeJS.Signals[] = privateCd ? ['SIGINT', 'SIGTERM'] : [];
  for (const sig of guarded) process.on(sig, onSignal);
  const unguard = () => {
    for (const sig of guarded) process.off(sig, onSignal);
  };
  const interrupted = () => (signalled ? `interrupted by ${signalled}` : undefined);
  const checkpoint = () => {
    if (signalled) throw new Error(`${cfg.source}: node start-up interrupted by ${signalled}; everything it started is stopped`);
  };
  try {
    const stateDir = cfg.kubelet.stateDir;
    const sockDir = join(stateDir, 'sockets');
    mkdirSync(sockDir, { recursive: true });
    const embedded = cfg.runtime.type === 'memory' && cfg.storage.drivers.every((d) => d.type === 'memory');
    // the CNI shim first in binDirs (or around the memory network's plugin) when network.faults / record ask for it
    const shim = interposeCni(cfg, closers, opts.interpose);
    cfg = shim.cfg;

    // ---- runtime (+ network) ----
    let endpoint: string;
    let privateInfo: PrivateContainerdInfo | undefined;
    if (cfg.runtime.type === 'memory') {
      const netDir = join(stateDir, 'network');
      let network;
      if (cfg.network.type === 'memory') {
        const conflist = {
          cniVersion: '1.1.0',
          name: 'triad-memory',
          plugins: [{ type: MEMORY_CNI_TYPE, subnet: cfg.network.subnet, dataDir: join(netDir, 'ipam'), faults: cfg.network.faults }],
        };
        mkdirSync(netDir, { recursive: true });
        writeFileSync(join(netDir, '10-triad-memory.conflist'), JSON.stringify(conflist, null, 2));
        network = {
          type: 'cni' as const,
          config: join(netDir, '10-triad-memory.conflist'),
          binDirs: [netDir],
          cacheDir: join(netDir, 'cache'),
          inProcess: { [MEMORY_CNI_TYPE]: shim.cni ? shimInProcess(shim.cni.dir, MEMORY_CNI_TYPE, invokeMemoryCni) : invokeMemoryCni },
        };
      } else if (cfg.network.type === 'cni') {
        network = { type: 'cni' as const, config: cfg.network.config!, binDirs: cfg.network.binDirs, cacheDir: join(netDir, 'cache'), netns: true };
      } else {
        network = { type: 'none' as const };
      }
      const images = cfg.runtime.images ? loadImageFile(cfg.runtime.images) : undefined;
      const cri = await serveMemoryCri({
        endpoint: join(sockDir, 'memory-cri.sock'),
        network,
        faults: cfg.runtime.faults,
        stateDir: join(stateDir, 'memory-cri'),
        images,
      });
      closers.push(() => cri.close());
      closers.push(async () => rmSync(netDir, { recursive: true, force: true }));
      endpoint = cri.endpoint;
    } else if (cfg.runtime.type === 'endpoint') {
      endpoint = cfg.runtime.endpoint!;
    } else if (privateCd) {
      // closed after the kubelet (pods deleted) and after the CRI client (pushed before it)
      const p = await startPrivateContainerd(cfg, { log, abort: interrupted });
      closers.push(() => p.close({ keep: opts.keepPods }));
      const { close: _close, ...info } = p;
      privateInfo = info;
      endpoint = p.endpoint;
      checkpoint();
    } else {
      endpoint = cfg.runtime.endpoint!;
    }
    let imageEndpoint = cfg.runtime.imageEndpoint === endpoint ? undefined : cfg.runtime.imageEndpoint;
    const interposers: Node['interposers'] = { drivers: new Map(), cni: shim.cni };
    const runtimeInterpose = cfg.runtime.interpose ?? (opts.interpose ? { rules: [] } : undefined);
    if (runtimeInterpose) {
      // the proxy is closed after the CRI client (pushed before it), so no call of the kubelet is cut
      if (imageEndpoint && imageEndpoint !== endpoint) {
        interposers.image = await interposeGrpc('cri-image', imageEndpoint, runtimeInterpose, sockDir, closers);
        imageEndpoint = interposers.image.endpoint.display;
      }
      interposers.runtime = await interposeGrpc('cri', endpoint, runtimeInterpose, sockDir, closers);
      endpoint = interposers.runtime.endpoint.display;
    }
    const cri = new CriClient(endpoint, { imageEndpoint, timeoutMs: cfg.kubelet.rpcTimeoutMs });
    closers.push(async () => cri.close());
    await cri.waitForReady(10_000);
    checkpoint();

    // ---- storage ----
    const drivers = new Map<string, CsiDriver>();
    for (const d of cfg.storage.drivers) {
      let ep = d.endpoint;
      if (d.type === 'memory') {
        const s = await serveMemoryCsi({ name: d.name, endpoint: join(sockDir, `csi-${d.name}.sock`), faults: d.faults, nodeId: cfg.kubelet.nodeName });
        closers.push(() => s.close());
        ep = s.endpoint;
      } else if (d.type === 'hostpath' && !ep) {
        throw new Error(`${cfg.source}: storage driver ${d.name} (hostpath) needs an endpoint (run \`triad serve hostpath-csi\` or \`triad reference up\`)`);
      }
      let controllerEndpoint = d.controllerEndpoint;
      const how = d.interpose ?? (opts.interpose ? { rules: [] } : undefined);
      if (how) {
        if (controllerEndpoint && controllerEndpoint !== ep)
          controllerEndpoint = (await interposeGrpc(`csi-${d.name}-controller`, controllerEndpoint, how, sockDir, closers)).endpoint.display;
        const p = await interposeGrpc(`csi-${d.name}`, ep!, how, sockDir, closers);
        interposers.drivers.set(d.name, p);
        ep = p.endpoint.display;
      }
      const client = new CsiClient(ep!, { controllerEndpoint, timeoutMs: cfg.kubelet.rpcTimeoutMs });
      closers.push(async () => client.close());
      await client.waitForReady(10_000);
      drivers.set(d.name, await probeDriver(d.name, client));
      checkpoint();
    }

    const kubelet = new Kubelet({
      cri,
      drivers,
      classes: cfg.storage.classes,
      stateDir,
      timings: {
        plegPeriodMs: cfg.kubelet.plegPeriodMs,
        eventedPleg: cfg.kubelet.eventedPleg,
        backoff: cfg.kubelet.backoff,
        probeTimeScale: cfg.kubelet.probeTimeScale,
      },
      checkpoints: !embedded,
      cgroupRoot: cfg.kubelet.cgroupRoot,
      resolvConf: hostResolvConf(),
      log,
    });
    await kubelet.start();
    if (signalled) {
      await kubelet.shutdown({ deletePods: !opts.keepPods }).catch(() => undefined);
      checkpoint();
    }
    unguard();
    const kubeletCloser = async () => {
      const errors = await kubelet.shutdown({ deletePods: !opts.keepPods });
      if (errors.length) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
    };
    let closed: Promise<Error[]> | undefined;
    return {
      kubelet,
      cri,
      config: cfg,
      privateContainerd: privateInfo,
      interposers,
      close: () =>
        (closed ??= (async () => {
          const errors: Error[] = [];
          await kubeletCloser().catch((e: AggregateError) => errors.push(...(e.errors ?? [e])));
          errors.push(...(await closeAll()));
          return errors;
        })()),
    };
  } catch (err) {
    await closeAll();
    unguard();
    if (signalled) {
      if (reraise) process.kill(process.pid, signalled);
      const why = err instanceof Error && !/interrupted/.test(err.message) ? ` (${err.message.split('\n')[0]})` : '';
      throw new Error(`${cfg.source}: node start-up interrupted by ${signalled}; everything it started is stopped${why}`);
    }
    throw err;
  }
}

/** What the harness needs to know of a CSI driver: its node id and the optional steps it wants. */
async function probeDriver(name: string, client: CsiClient): Promise<CsiDriver> {
  const info = await client.identity.getPluginInfo({});
  if (info.name !== name) throw new Error(`CSI driver at ${client.endpoint} calls itself ${JSON.stringify(info.name)}, configured as ${JSON.stringify(name)}`);
  const node = await client.node.nodeGetInfo({});
  const ncaps = await client.node.nodeGetCapabilities({});
  const ccaps = await client.controller.controllerGetCapabilities({}).catch(() => ({ capabilities: [] }));
  const has = (list: { rpc?: { type: number } }[], t: number) => list.some((c) => c.rpc?.type === t);
  return {
    name,
    client,
    nodeId: node.nodeId || hostname(),
    controllerPublish: has(ccaps.capabilities, CtlCap.PUBLISH_UNPUBLISH_VOLUME),
    createDelete: has(ccaps.capabilities, CtlCap.CREATE_DELETE_VOLUME),
    stage: has(ncaps.capabilities, NodeCap.STAGE_UNSTAGE_VOLUME),
  };
}
