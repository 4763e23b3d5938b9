// MemoryRuntime: options, state and the two CRI services of an in-memory container runtime whose
// containers run simulated processes (sim/) against real host directories for their mounts.
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { ContainerEventType, ImageServiceDefinition, RuntimeServiceDefinition, type PodSandboxStatus } from '../../interfaces/gen/cri/api.js';
import { FaultInjector, type FaultRule } from '../../interfaces/faults.js';
import { unavailable } from '../../interfaces/grpc/errors.js';
import { bind, type Binding, type CallContext } from '../../interfaces/grpc/server.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import { triadVersion } from '../../interfaces/util/root.js';
import { BUILTIN_IMAGES, Catalogue, type CatalogueImage } from './catalogue.js';
import { containerService, containerStatus } from './container.js';
import { eventService, EventBus } from './events.js';
import { execService } from './exec.js';
import { parseImageRef, refString } from './image-ref.js';
import { ImageStore, imageService, type LocalImage } from './images.js';
import { deleteNetns, podNetworkFrom, type NetworkSpec, type PodNetwork } from './network.js';
import { podCheckpointService } from './pod-checkpoint.js';
import { networkRequest, sandboxService, sandboxStatus } from './sandbox.js';
import { statsService, containerUsage } from './stats.js';
import { statusService } from './status.js';
import { Store, nowNs, type ContainerRec, type SandboxRec } from './store.js';
import { imageStreams, runtimeStreams } from './streams.js';
import { MemoryStreaming, type StreamingOptions } from './streaming-server.js';

export interface MemoryRuntimeOptions {
  /**
   * The pod network: any PodNetwork object (add/del/status), a spec — `{ type: 'cni', config |
   * confDir | confList, binDirs, cacheDir, inProcess?, netns? }` or `{ type: 'none' }` — or
   * nothing: sandboxes then get no IP.
   */
  network?: PodNetwork | NetworkSpec;
  /** Create a real network namespace per sandbox (`ip netns add`) when running as root. Default false. */
  netns?: boolean;
  /** Images the runtime can pull, added to (and overriding tags of) the built-in catalogue. */
  images?: CatalogueImage[];
  /** Start from the built-in catalogue (busybox, pause, alpine, nginx, distroless). Default true. */
  builtinImages?: boolean;
  /** Present without a pull (references resolved against the catalogue). */
  preloadedImages?: string[];
  /** Reported pinned in ImageStatus/ListImages (default registry.k8s.io/pause:3.10, as containerd's sandbox image). */
  sandboxImage?: string;
  /** Simulated pull time. Default 0. */
  pullDelayMs?: number;
  /** RuntimeConfig's cgroup driver. Default systemd (as recent containerd). */
  cgroupDriver?: 'systemd' | 'cgroupfs';
  /** RuntimeClass handlers besides the default (''). Default ['runc']. */
  runtimeHandlers?: string[];
  faults?: FaultRule[];
  /** The runtime's own directory: default socket location; reported as the image and container filesystem. Nothing is written there but the socket. */
  stateDir?: string;
  /** Longest CRI log line before it is split into P chunks. Default 16 KiB (containerd's max_container_log_line_size). */
  maxLogLineBytes?: number;
  /** Address simulated listeners bind (httpd, nc). Default 127.0.0.1. */
  listenHost?: string;
  /** VersionResponse.runtime_version. Default: triad's version. */
  runtimeVersion?: string;
  /** Hostname of host-network pods (and of pods without one). Default os.hostname(). */
  nodeHostname?: string;
  /** close() also detaches every still attached pod from the network. Default true. */
  teardownOnClose?: boolean;
  /** The streaming server behind Exec/Attach/PortForward (default: both transports on listenHost); false: none (UNIMPLEMENTED). */
  streaming?: StreamingOptions | false;
}

export class MemoryRuntime {
  readonly store = new Store();
  readonly images = new ImageStore();
  readonly catalogue: Catalogue;
  readonly events = new EventBus();
  readonly faults: FaultInjector;
  readonly network?: PodNetwork;
  readonly netns: boolean;
  readonly cgroupDriver: 'systemd' | 'cgroupfs';
  readonly runtimeHandlers: string[];
  readonly sandboxImage: string;
  readonly pullDelayMs: number;
  readonly stateDir: string;
  readonly maxLogLineBytes: number;
  readonly listenHost: string;
  readonly runtimeVersion: string;
  readonly nodeHostname: string;
  readonly imageFsMountpoint: string;
  readonly containerFsMountpoint: string;
  /** Every netns created and not yet deleted (close() removes them). */
  readonly netnsCreated = new Set<string>();
  podCidr = '';
  /** Why NetworkReady is false though no network is configured (`{ type: 'none', ready: false }`). */
  readonly networkNotReady?: string;
  closing = false;
  /** The streaming server (started with the first Exec/Attach/PortForward), unless disabled. */
  readonly streaming?: MemoryStreaming;
  private readonly teardownOnClose: boolean;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed?: Promise<void>;

  constructor(opts: MemoryRuntimeOptions = {}) {
    const net = podNetworkFrom(opts.network);
    this.network = net.network;
    this.networkNotReady = net.notReady;
    this.netns = !!opts.netns || net.netns;
    this.catalogue = new Catalogue([...(opts.builtinImages === false ? [] : BUILTIN_IMAGES), ...(opts.images ?? [])]);
    this.faults = new FaultInjector(opts.faults ?? []);
    this.cgroupDriver = opts.cgroupDriver ?? 'systemd';
    if (this.cgroupDriver !== 'systemd' && this.cgroupDriver !== 'cgroupfs')
      throw new Error(`memory-cri: cgroupDriver must be systemd or cgroupfs, not ${JSON.stringify(opts.cgroupDriver)}`);
    this.runtimeHandlers = (opts.runtimeHandlers ?? ['runc']).filter(Boolean);
    this.sandboxImage = refString(parseImageRef(opts.sandboxImage ?? 'registry.k8s.io/pause:3.10'));
    this.pullDelayMs = opts.pullDelayMs ?? 0;
    this.stateDir = opts.stateDir ?? '/var/lib/triad-memory-cri';
    this.maxLogLineBytes = opts.maxLogLineBytes ?? 16 * 1024;
    if (!(this.maxLogLineBytes > 0)) throw new Error('memory-cri: maxLogLineBytes must be positive');
    this.listenHost = opts.listenHost ?? '127.0.0.1';
    this.runtimeVersion = opts.runtimeVersion ?? triadVersion();
    this.nodeHostname = opts.nodeHostname ?? osHostname();
    this.imageFsMountpoint = join(this.stateDir, 'images');
    this.containerFsMountpoint = join(this.stateDir, 'containers');
    this.teardownOnClose = opts.teardownOnClose ?? true;
    if (opts.streaming !== false) this.streaming = new MemoryStreaming(this, opts.streaming);
    for (const ref of opts.preloadedImages ?? []) {
      const r = parseImageRef(ref);
      const entry = this.catalogue.find(r);
      if (!entry) throw new Error(`memory-cri: preloaded image ${ref} is not in the catalogue`);
      this.images.add(entry, r);
    }
  }

  /** The RuntimeService and ImageService bindings for serve(). */
  bindings(): Binding<any>[] {
    return [
      bind(RuntimeServiceDefinition, {
        ...statusService(this),
        ...sandboxService(this),
        ...containerService(this),
        ...execService(this),
        ...statsService(this),
        ...eventService(this),
        ...runtimeStreams(this),
        ...podCheckpointService(this),
      }),
      bind(ImageServiceDefinition, { ...imageService(this), ...imageStreams(this) }),
    ];
  }

  /** Replace the fault rules (uses are counted afresh). */
  setFaults(rules: FaultRule[]): void {
    this.faults.setRules(rules);
  }

  /** A plain view of the state, for tests and the harness (never for the wire). */
  inspect() {
    return {
      sandboxes: [...this.store.sandboxes.values()].map((s) => ({
        id: s.id,
        name: s.metadata.name,
        namespace: s.metadata.namespace,
        state: s.state,
        ips: [...s.ips],
        netns: s.netns,
        netnsCreated: s.netnsCreated,
        networkAttached: s.networkAttached,
        portForwards: s.ports.forwards(),
      })),
      containers: [...this.store.containers.values()].map((c) => ({
        id: c.id,
        sandboxId: c.sandboxId,
        name: c.metadata.name,
        state: c.state,
        pid: c.pid,
        argv: [...c.argv],
        exitCode: c.exitCode,
        reason: c.reason,
      })),
      netns: [...this.netnsCreated],
      images: [...this.images.byId.values()].map((i) => ({ id: i.entry.id, repoTags: [...i.repoTags], repoDigests: [...i.repoDigests] })),
    };
  }

  /** Stop every simulated process, listener and timer; detach pods from the network; remove every netns created. Idempotent. */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    this.events.close();
    await this.streaming?.close();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const containers = [...this.store.containers.values()];
    for (const c of containers) {
      if (c.fate) clearTimeout(c.fate);
      c.fate = undefined;
      c.proc?.kill('KILL');
    }
    await Promise.all(containers.map((c) => c.exited));
    for (const c of containers) c.log?.close();
    const errors: string[] = [];
    for (const sb of this.store.sandboxes.values()) {
      await sb.ports.closeAll();
      if (this.teardownOnClose && sb.networkAttached && this.network) {
        try {
          await this.network.del(networkRequest(sb));
          sb.networkAttached = false;
        } catch (e) {
          errors.push(`sandbox ${sb.id}: network teardown: ${(e as Error).message}`);
        }
      }
    }
    for (const name of [...this.netnsCreated]) {
      try {
        await deleteNetns(name);
        this.netnsCreated.delete(name);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    if (errors.length) throw new Error(`memory-cri close: ${errors.join('; ')}`);
  }

  // ---- helpers for the services ---------------------------------------------------------------

  /** @internal Call-level fault injection at the start of every RPC; refuses calls once closing. */
  async fault(rpc: string, ctx: CallContext, ...targets: Array<string | undefined>): Promise<void> {
    if (this.closing) throw unavailable('memory-cri is shutting down');
    await this.faults.before(rpc, targets, ctx.signal);
  }

  /** @internal Fault targets of a container: its name and id, its pod's name, namespace and ns/name. */
  containerTargets(c: ContainerRec): string[] {
    const sb = this.store.sandboxes.get(c.sandboxId);
    return [c.metadata.name, c.id, ...(sb ? this.sandboxTargets(sb) : [])];
  }

  /** @internal Fault targets of a sandbox: pod name, namespace, uid, namespace/name and its id. */
  sandboxTargets(sb: SandboxRec): string[] {
    const m = sb.metadata;
    return [m.name, m.namespace, m.uid, `${m.namespace}/${m.name}`, sb.id];
  }

  /** @internal Publish a container event with the sandbox status and its containers' statuses. */
  emit(containerId: string, sandboxId: string, type: ContainerEventType, lastSandboxStatus?: DeepPartial<PodSandboxStatus>): void {
    if (this.events.subscribers === 0) return;
    const sb = this.store.sandboxes.get(sandboxId);
    this.events.publish({
      containerId,
      containerEventType: type,
      createdAt: nowNs(),
      podSandboxStatus: lastSandboxStatus ?? (sb ? sandboxStatus(this, sb) : undefined),
      containersStatuses: this.store.containersOf(sandboxId).map((c) => containerStatus(this, c)),
    });
  }

  /** @internal `alloc` in a container: past its memory limit the container is OOM-killed. */
  allocate(c: ContainerRec, bytes: number): void {
    c.allocated += bytes;
    const limit = Number(c.resources?.memoryLimitInBytes ?? 0n);
    if (limit > 0 && Number(containerUsage(c).workingSet) > limit) c.proc?.terminate(137, 'OOMKilled');
  }

  /** @internal */
  isPinned(img: LocalImage): boolean {
    return img.repoTags.includes(this.sandboxImage);
  }

  /** @internal Images, or the one a reference/id names. */
  listImages(ref?: string): LocalImage[] {
    if (!ref) return [...this.images.byId.values()];
    const img = this.images.resolve(ref);
    return img ? [img] : [];
  }

  /** @internal A timer close() cancels. */
  delay(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          this.timers.delete(t);
          resolve();
        },
        { once: true },
      );
    });
  }
}
