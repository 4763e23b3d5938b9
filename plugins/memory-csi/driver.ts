// MemoryCsiDriver: options, state and the four CSI services of an in-memory CSI driver whose
// volumes are real directories on the host (see host.ts for how they reach a target path).
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  ControllerDefinition,
  GroupControllerDefinition,
  IdentityDefinition,
  NodeDefinition,
  type Volume,
  type VolumeCondition,
} from '../../interfaces/gen/csi/csi.js';
import { FaultInjector, type FaultRule } from '../../interfaces/faults.js';
import { invalidArgument, notFound } from '../../interfaces/grpc/errors.js';
import { bind, type Binding, type CallContext } from '../../interfaces/grpc/server.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import { triadVersion } from '../../interfaces/util/root.js';
import { validPluginName } from '../../interfaces/csi/sdk/index.js';
import { volumeMethods } from './controller.js';
import { groupControllerService } from './group-controller.js';
import {
  createData,
  detectMechanism,
  mkParents,
  mountPoints,
  pruneOwnDirs,
  removeTarget,
  rmParents,
  unmount,
  type Mechanism,
  type PublishMode,
} from './host.js';
import { identityService } from './identity.js';
import { nodeService } from './node.js';
import { snapshotMethods } from './snapshots.js';
import { Store, type Segments, type SnapshotRec, type VolumeRec } from './store.js';
import { userTempDir } from '../../interfaces/util/tmp.js';

export const DEFAULT_DRIVER_NAME = 'memory.csi.triad.dev';
export const TOPOLOGY_NODE_KEY = 'topology.triad.dev/node';
/** The mutable parameters memory-csi knows unless configured otherwise (stored and reported, no effect). */
export const DEFAULT_MUTABLE_PARAMETER_KEYS = ['iops', 'tier'];
const GiB = 1024n ** 3n;

export interface MemoryCsiOptions {
  /** Driver name reported by GetPluginInfo (default memory.csi.triad.dev). */
  name?: string;
  /** Default: triad's version. */
  vendorVersion?: string;
  /** This node's id (default: the hostname). */
  nodeId?: string;
  /** NodeGetInfo max_volumes_per_node, enforced by ControllerPublishVolume; 0 = no limit (default). */
  maxVolumesPerNode?: number;
  /** This node's topology segments (default {"topology.triad.dev/node": nodeId}). */
  topology?: Segments;
  /**
   * Other nodes the controller accepts in ControllerPublishVolume (a simulated cluster). A node
   * given by id alone gets {"topology.triad.dev/node": id}.
   */
  nodes?: Array<string | { id: string; topology?: Segments }>;
  /** Size of the storage pool (default 100 GiB). Volumes count their full capacity, snapshots their real data. */
  capacityBytes?: bigint | number;
  /** Capacity of a volume whose CreateVolume gives no capacity_range and no source (default 1 GiB, at most maxVolumeBytes). */
  defaultVolumeBytes?: bigint | number;
  /** Largest single volume (default: capacityBytes); bigger requests answer OUT_OF_RANGE. */
  maxVolumeBytes?: bigint | number;
  /**
   * Where volume and snapshot data live. Default: a fresh directory per driver instance under
   * os.tmpdir()/triad-memory-csi-<uid>/<name>/. close() removes what the driver created there.
   */
  dataDir?: string;
  /** How NodePublishVolume places volumes: bind mounts (root), symlinks, or auto (default). */
  publishMode?: PublishMode;
  /** Advertise and implement NodeStageVolume/NodeUnstageVolume (default true). */
  stageUnstage?: boolean;
  /**
   * Enforce the CO's ordering duties from the spec (default true): NodeStage/NodePublish only after
   * ControllerPublishVolume to this node, NodeUnstage only after every NodeUnpublish,
   * ControllerUnpublish only after the node let go. Violations answer FAILED_PRECONDITION.
   */
  strict?: boolean;
  /**
   * Keys ControllerModifyVolume (and CreateVolume mutable_parameters) accept (default
   * DEFAULT_MUTABLE_PARAMETER_KEYS); any other key is INVALID_ARGUMENT, as the spec makes the
   * plugin responsible for validating them.
   */
  mutableParameterKeys?: string[];
  /** Also advertise GET_SNAPSHOT (GetSnapshot is implemented either way). */
  advertiseGetSnapshot?: boolean;
  faults?: FaultRule[];
}

let instances = 0;
const bytes = (v: bigint | number | undefined, dflt: bigint, what: string): bigint => {
  if (v === undefined) return dflt;
  const b = BigInt(v);
  if (b <= 0n) throw new Error(`memory-csi: ${what} must be positive`);
  return b;
};

export class MemoryCsiDriver {
  readonly name: string;
  readonly vendorVersion: string;
  readonly nodeId: string;
  readonly topology: Segments;
  readonly maxVolumesPerNode: number;
  readonly defaultVolumeBytes: bigint;
  readonly maxVolumeBytes: bigint;
  readonly dataDir: string;
  readonly stageUnstage: boolean;
  readonly strict: boolean;
  readonly advertiseGetSnapshot: boolean;
  readonly mutableParameterKeys: ReadonlySet<string>;
  /** @internal node id → topology segments, this node included. */
  readonly nodes = new Map<string, Segments>();
  /** @internal */
  readonly store: Store;
  /** @internal */
  readonly faults: FaultInjector;
  ready = true;
  private readonly publishMode: PublishMode;
  private mechanismP?: Promise<Mechanism>;
  /** The data dir and the ancestors the driver created for it (outermost first); empty if it existed. */
  private readonly createdDirs: string[];
  private readonly preexisting: Set<string>;
  private closed?: Promise<void>;

  constructor(opts: MemoryCsiOptions = {}) {
    this.name = validPluginName(opts.name ?? DEFAULT_DRIVER_NAME, 'memory-csi');
    this.vendorVersion = opts.vendorVersion ?? triadVersion();
    this.nodeId = opts.nodeId ?? hostname();
    if (!this.nodeId) throw new Error('memory-csi: nodeId must not be empty');
    this.topology = opts.topology ?? { [TOPOLOGY_NODE_KEY]: this.nodeId };
    this.maxVolumesPerNode = opts.maxVolumesPerNode ?? 0;
    if (!Number.isInteger(this.maxVolumesPerNode) || this.maxVolumesPerNode < 0)
      throw new Error('memory-csi: maxVolumesPerNode must be a non-negative integer');
    const total = bytes(opts.capacityBytes, 100n * GiB, 'capacityBytes');
    this.maxVolumeBytes = bytes(opts.maxVolumeBytes, total, 'maxVolumeBytes');
    this.defaultVolumeBytes = bytes(opts.defaultVolumeBytes, GiB < this.maxVolumeBytes ? GiB : this.maxVolumeBytes, 'defaultVolumeBytes');
    this.stageUnstage = opts.stageUnstage ?? true;
    this.strict = opts.strict ?? true;
    this.advertiseGetSnapshot = opts.advertiseGetSnapshot ?? false;
    this.mutableParameterKeys = new Set(opts.mutableParameterKeys ?? DEFAULT_MUTABLE_PARAMETER_KEYS);
    this.publishMode = opts.publishMode ?? 'auto';
    this.store = new Store(total);
    this.faults = new FaultInjector(opts.faults ?? []);
    this.nodes.set(this.nodeId, this.topology);
    for (const n of opts.nodes ?? []) typeof n === 'string' ? this.addNode(n) : this.addNode(n.id, n.topology);
    this.dataDir = opts.dataDir ?? join(userTempDir('triad-memory-csi'), this.name, `${process.pid}-${++instances}`);
    this.preexisting = new Set(['volumes', 'snapshots'].filter((sub) => existsSync(join(this.dataDir, sub))));
    this.createdDirs = mkParents(join(this.dataDir, 'x'));
  }

  // ---- public API beyond the gRPC services ------------------------------------------------

  /** ServiceImpl bindings for serve(): Identity, Controller, Node and GroupController. */
  bindings(): Binding<any>[] {
    return [
      bind(IdentityDefinition, identityService(this)),
      bind(ControllerDefinition, { ...volumeMethods(this), ...snapshotMethods(this) }),
      bind(NodeDefinition, nodeService(this)),
      bind(GroupControllerDefinition, groupControllerService(this)),
    ];
  }

  /** Replace the fault rules (uses are counted afresh). */
  setFaults(rules: FaultRule[]): void {
    this.faults.setRules(rules);
  }

  /** Make another node known to the controller. */
  addNode(id: string, topology: Segments = { [TOPOLOGY_NODE_KEY]: id }): void {
    if (!id) throw new Error('memory-csi: node id must not be empty');
    this.nodes.set(id, topology);
  }

  /** What Probe answers. */
  setReady(ready: boolean): void {
    this.ready = ready;
  }

  /** Report this condition for a volume (controller and node) instead of the computed one; undefined clears it. */
  setVolumeCondition(volumeId: string, condition: VolumeCondition | undefined): void {
    const v = this.store.volumes.get(volumeId);
    if (!v) throw new Error(`memory-csi: no volume ${volumeId}`);
    v.condition = condition;
  }

  /** How targets are published on this host: 'bind' (root, mount --bind) or 'symlink'. */
  mechanism(): Promise<Mechanism> {
    this.mechanismP ??= detectMechanism(this.publishMode, this.dataDir);
    return this.mechanismP;
  }

  /** A plain view of every volume: for tests and the harness, never for the wire. */
  inspect() {
    return [...this.store.volumes.values()].map((v) => ({
      id: v.id,
      name: v.name,
      capacity: v.capacity,
      nodeCapacity: v.nodeCapacity,
      accessType: v.accessType,
      ephemeral: v.ephemeral,
      dataPath: v.dataPath,
      mutableParameters: { ...v.mutable },
      publishedNodeIds: [...v.publications.keys()],
      stagingPath: v.staging?.path,
      targets: [...v.targets.values()].map((t) => ({ path: t.path, readonly: t.readonly, how: t.how })),
    }));
  }

  /** Unmount and remove everything the driver created on the host; idempotent. */
  close(): Promise<void> {
    this.closed ??= this.cleanup();
    return this.closed;
  }

  // ---- helpers for the services -------------------------------------------------------------

  /**
   * @internal Call-level fault injection at the start of every RPC. Targets are the call's ids
   * (volume, snapshot, node); a known volume id also brings its name, so `target: pvc-*` matches
   * node calls as well.
   */
  async fault(rpc: string, ctx: CallContext, ...targets: Array<string | undefined>): Promise<void> {
    if (!this.faults.size) return;
    const names = targets.map((t) => (t ? this.store.volumes.get(t)?.name : undefined));
    await this.faults.before(rpc, [...targets, ...names], ctx.signal);
  }

  /** @internal */
  dataPathFor(kind: 'volumes' | 'snapshots', id: string, block: boolean): string {
    return join(this.dataDir, kind, block ? `${id}.img` : id);
  }

  /** @internal */
  newData(path: string, block: boolean, capacity: bigint): void {
    createData(path, block, capacity);
  }

  /** @internal */
  checkMutable(params: Record<string, string>, field: string): void {
    for (const k of Object.keys(params)) {
      if (!this.mutableParameterKeys.has(k))
        throw invalidArgument(`${field}.${k} is not a parameter this driver can modify (supported: ${[...this.mutableParameterKeys].join(', ') || 'none'})`);
    }
  }

  /** @internal volume_context passed back by the CO must agree with the volume's own keys. */
  checkContext(v: VolumeRec, context: Record<string, string>): void {
    for (const [k, own] of Object.entries(v.context)) {
      if (context[k] !== undefined && context[k] !== own)
        throw invalidArgument(`volume_context.${k} is ${JSON.stringify(context[k])} but volume ${v.id} has ${JSON.stringify(own)}`);
    }
  }

  /** @internal */
  volumeMessage(v: VolumeRec): DeepPartial<Volume> {
    return {
      volumeId: v.id,
      capacityBytes: v.capacity,
      volumeContext: v.context,
      contentSource: v.source?.snapshotId
        ? { snapshot: { snapshotId: v.source.snapshotId } }
        : v.source?.volumeId
          ? { volume: { volumeId: v.source.volumeId } }
          : undefined,
      accessibleTopology: v.topology.map((segments) => ({ segments })),
    };
  }

  /** @internal Condition as the controller sees it: is the backing data there? */
  controllerCondition(v: VolumeRec): VolumeCondition {
    if (v.condition) return v.condition;
    return existsSync(v.dataPath)
      ? { abnormal: false, message: 'volume data is present' }
      : { abnormal: true, message: `volume data is missing at ${v.dataPath}` };
  }

  /** @internal Remove a volume and its data (nothing may be published). */
  dropVolume(v: VolumeRec): void {
    rmSync(v.dataPath, { recursive: true, force: true });
    this.store.volumes.remove(v);
  }

  /** @internal */
  dropSnapshot(s: SnapshotRec): void {
    rmSync(s.dataPath, { recursive: true, force: true });
    this.store.snapshots.remove(s);
  }

  /** @internal */
  volumeOrNotFound(id: string, field = 'volume_id'): VolumeRec {
    const v = this.store.controllerVolume(id);
    if (!v) throw notFound(`volume ${id} (${field}) does not exist`);
    return v;
  }

  private async cleanup(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (fn: () => unknown) => {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    };
    for (const v of this.store.volumes.values()) {
      for (const t of v.targets.values()) {
        await attempt(() => removeTarget(t.how, t.path));
      }
      v.targets.clear();
      const st = v.staging;
      if (st) {
        if (st.how === 'bind') await attempt(() => unmount(st.path));
        v.staging = undefined;
      }
    }
    // Directories made for targets and staging paths, deepest first, where nothing else was put.
    for (const dir of [...this.store.ownDirs].sort((a, b) => b.length - a.length)) pruneOwnDirs(this.store.ownDirs, dir);
    // Never delete through a mount: anything still mounted at or below the data dir goes first.
    const below = () => [...mountPoints()].filter((p) => p === this.dataDir || p.startsWith(this.dataDir + '/'));
    for (const p of below().reverse()) await attempt(() => unmount(p));
    if (below().length) {
      errors.push(new Error(`mounts remain under ${this.dataDir}; its data was left in place`));
    } else if (this.createdDirs.length) {
      await attempt(() => rmSync(this.dataDir, { recursive: true, force: true }));
      rmParents(this.createdDirs.slice(0, -1));
    } else {
      for (const v of this.store.volumes.values()) await attempt(() => rmSync(v.dataPath, { recursive: true, force: true }));
      for (const s of this.store.snapshots.values()) await attempt(() => rmSync(s.dataPath, { recursive: true, force: true }));
      for (const sub of ['volumes', 'snapshots']) {
        if (!this.preexisting.has(sub))
          try {
            rmdirSync(join(this.dataDir, sub));
          } catch {
            /* absent, or holds something not ours */
          }
      }
    }
    this.store.volumes.clear();
    this.store.snapshots.clear();
    this.store.groups.clear();
    if (errors.length)
      throw new AggregateError(errors, `memory-csi: cleanup left ${errors.length} problem(s): ${errors.map((e) => (e as Error).message).join('; ')}`);
  }
}
