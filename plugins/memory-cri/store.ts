// The runtime's state: sandboxes, containers and the names they reserve. Records only; the
// services (sandbox.ts, container.ts, …) decide what CRI allows. Ids are 64 hex characters and
// may be given as a unique prefix, as containerd's truncindex allows.
import { randomBytes } from 'node:crypto';
import type { ContainerConfig, ContainerMetadata, LinuxContainerResources, PodSandboxConfig, PodSandboxMetadata } from '../../interfaces/gen/cri/api.js';
import { ContainerState, PodSandboxState } from '../../interfaces/gen/cri/api.js';
import { invalidArgument } from '../../interfaces/grpc/errors.js';
import type { CatalogueEntry } from './catalogue.js';
import type { CriLogWriter } from './logs.js';
import type { ContainerFs, ExitResult, Host, PortTable, SimProcess } from './sim/index.js';
import type { ContainerStdio } from './stdio.js';

export { ContainerState, PodSandboxState };

export const newId = (): string => randomBytes(32).toString('hex');

// Nanosecond wall clock that never goes backwards and never repeats, so createdAt < startedAt <
// finishedAt holds even for a container that exits within the same millisecond.
const wallBase = BigInt(Date.now()) * 1_000_000n;
const hrBase = process.hrtime.bigint();
let lastNs = 0n;
export function nowNs(): bigint {
  let t = wallBase + (process.hrtime.bigint() - hrBase);
  if (t <= lastNs) t = lastNs + 1n;
  lastNs = t;
  return t;
}

export interface SandboxRec {
  id: string;
  config: PodSandboxConfig;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: bigint;
  runtimeHandler: string;
  hostNetwork: boolean;
  /** Path handed to the network; a real one when created with `ip netns add`. */
  netns: string;
  netnsCreated?: string;
  ips: string[];
  /** The network was set up and not torn down yet (StopPodSandbox retries DEL until it succeeds). */
  networkAttached: boolean;
  pid: number;
  ports: PortTable;
  nameKey: string;
  overhead?: LinuxContainerResources;
  resources?: LinuxContainerResources;
  /** Serializes stop/remove of this sandbox. */
  lock: Promise<unknown>;
}

/** The image a container was created from, as resolved at CreateContainer. */
export interface ContainerImage {
  entry: CatalogueEntry;
  /** What ContainerStatus.image.image shows: a repo tag of the image, or the reference given. */
  name: string;
  /** A repo digest (name@sha256:…), or the id. */
  ref: string;
}

export interface ContainerRec {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  metadata: ContainerMetadata;
  image: ContainerImage;
  state: ContainerState;
  createdAt: bigint;
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  reason: string;
  message: string;
  /** Full log path (sandbox log directory + config.logPath), '' when none. */
  logPath: string;
  log?: CriLogWriter;
  argv: string[];
  env: Map<string, string>;
  cwd: string;
  user: { uid: number; gid: number; groups: number[]; name: string; group: string; username?: string; groupNames?: Record<number, string> };
  fs: ContainerFs;
  host: Host;
  resources?: LinuxContainerResources;
  proc?: SimProcess;
  /** The running process's stdio, for Attach. */
  stdio?: ContainerStdio;
  exited?: Promise<ExitResult>;
  pid: number;
  nameKey: string;
  /** Bytes held by `alloc` in the running process. */
  allocated: number;
  fate?: NodeJS.Timeout;
  lock: Promise<unknown>;
}

/** Run fn after everything queued on rec's lock (stop/remove of one object never interleave). */
export function serialized<T>(rec: { lock: Promise<unknown> }, fn: () => Promise<T>): Promise<T> {
  const p = rec.lock.then(fn, fn);
  rec.lock = p.catch(() => undefined);
  return p;
}

/** The containers by id, also indexed by sandbox: a pod's containers without scanning the node's. */
export class ContainerMap extends Map<string, ContainerRec> {
  private readonly bySandbox = new Map<string, Map<string, ContainerRec>>();

  override set(id: string, c: ContainerRec): this {
    const old = super.get(id);
    if (old && old.sandboxId !== c.sandboxId) this.unindex(old);
    super.set(id, c);
    let m = this.bySandbox?.get(c.sandboxId);
    if (!m && this.bySandbox) this.bySandbox.set(c.sandboxId, (m = new Map()));
    m?.set(id, c);
    return this;
  }

  override delete(id: string): boolean {
    const c = super.get(id);
    if (c) this.unindex(c);
    return super.delete(id);
  }

  override clear(): void {
    this.bySandbox.clear();
    super.clear();
  }

  /** The sandbox's containers, in creation order. */
  of(sandboxId: string): ContainerRec[] {
    const m = this.bySandbox.get(sandboxId);
    return m ? [...m.values()] : [];
  }

  private unindex(c: ContainerRec): void {
    const m = this.bySandbox.get(c.sandboxId);
    if (!m) return;
    m.delete(c.id);
    if (m.size === 0) this.bySandbox.delete(c.sandboxId);
  }
}

export class Store {
  readonly sandboxes = new Map<string, SandboxRec>();
  readonly containers = new ContainerMap();
  /** Reserved names (containerd's name index): key → id. */
  readonly names = new Map<string, string>();

  /** Exact id, or a unique prefix; undefined when nothing matches; INVALID_ARGUMENT when ambiguous. */
  static lookup<T>(map: Map<string, T>, id: string, what: string): T | undefined {
    if (!id) throw invalidArgument(`${what} id must not be empty`);
    const exact = map.get(id);
    if (exact) return exact;
    const hits = [...map.keys()].filter((k) => k.startsWith(id));
    if (hits.length > 1) throw invalidArgument(`${what} id prefix ${JSON.stringify(id)} is ambiguous (${hits.length} matches)`);
    return hits.length ? map.get(hits[0]) : undefined;
  }

  /** Like lookup, but for list filters: ambiguous or unknown simply match nothing. */
  static filterId<T>(map: Map<string, T>, id: string): string | undefined {
    if (map.has(id)) return id;
    const hits = [...map.keys()].filter((k) => k.startsWith(id));
    return hits.length === 1 ? hits[0] : undefined;
  }

  sandbox(id: string): SandboxRec | undefined {
    return Store.lookup(this.sandboxes, id, 'sandbox');
  }
  container(id: string): ContainerRec | undefined {
    return Store.lookup(this.containers, id, 'container');
  }
  containersOf(sandboxId: string): ContainerRec[] {
    return this.containers.of(sandboxId);
  }
}

export const matchLabels = (labels: Record<string, string>, selector: Record<string, string> | undefined): boolean =>
  Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

/** JSON for verbose info maps: bigints (int64 fields) as strings. */
export const jsonInfo = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
