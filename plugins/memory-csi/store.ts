// The driver's whole state: volumes, snapshots, group snapshots, what is published where, and
// capacity accounting. Only records live here; the services decide what the spec allows.
import { randomBytes } from 'node:crypto';
import type { VolumeCapability, VolumeCondition } from '../../interfaces/gen/csi/csi.js';
import { Status, StatusError } from '../../interfaces/grpc/errors.js';

export type AccessType = 'mount' | 'block';
export type Segments = Record<string, string>;

/** ControllerPublishVolume to one node. */
export interface PublicationRec {
  nodeId: string;
  readonly: boolean;
  mode: number;
  capabilityKey: string;
  publishContext: Record<string, string>;
}

/** NodeStageVolume on this node. `bind`: the data is bind-mounted there; `record`: bookkeeping only. */
export interface StageRec {
  path: string;
  capabilityKey: string;
  how: 'bind' | 'record';
}

/** NodePublishVolume on this node. */
export interface TargetRec {
  path: string;
  readonly: boolean;
  capability: VolumeCapability;
  capabilityKey: string;
  stagingPath: string;
  how: 'bind' | 'symlink';
}

export interface VolumeRec {
  seq: number;
  id: string;
  name: string;
  capacity: bigint;
  /** Size the node has grown the filesystem to (NodeExpandVolume); lags `capacity` after ControllerExpandVolume. */
  nodeCapacity: bigint;
  accessType: AccessType;
  /** fs_type the volume was created with ('' = driver default). */
  fsType: string;
  parameters: Record<string, string>;
  createMutable: Record<string, string>;
  mutable: Record<string, string>;
  context: Record<string, string>;
  source?: { snapshotId?: string; volumeId?: string };
  topology: Segments[];
  /** Inline ephemeral volume: created by NodePublishVolume, invisible to the controller. */
  ephemeral: boolean;
  /** Real directory (mount) or sparse image file (block) holding the data. */
  dataPath: string;
  createdAt: Date;
  publications: Map<string, PublicationRec>;
  staging?: StageRec;
  targets: Map<string, TargetRec>;
  /** Set through MemoryCsiDriver.setVolumeCondition: reported instead of the computed condition. */
  condition?: VolumeCondition;
}

export interface SnapshotRec {
  seq: number;
  id: string;
  /** CO-chosen name; '' for members of a group snapshot. */
  name: string;
  sourceVolumeId: string;
  /** Reported size_bytes: the source volume's capacity (smallest volume it can be restored into). */
  sizeBytes: bigint;
  /** Bytes of real data copied; what the snapshot costs against the driver's capacity. */
  dataBytes: bigint;
  accessType: AccessType;
  fsType: string;
  parameters: Record<string, string>;
  groupId: string;
  dataPath: string;
  createdAt: Date;
}

export interface GroupRec {
  id: string;
  name: string;
  sourceVolumeIds: string[];
  parameters: Record<string, string>;
  snapshotIds: string[];
  createdAt: Date;
}

const rand = () => randomBytes(4).toString('hex');

export class Store {
  readonly volumes = new Map<string, VolumeRec>();
  readonly volumeByName = new Map<string, string>();
  readonly snapshots = new Map<string, SnapshotRec>();
  readonly snapshotByName = new Map<string, string>();
  readonly groups = new Map<string, GroupRec>();
  readonly groupByName = new Map<string, string>();
  /** Inline ephemeral volumes already removed: a repeated NodeUnpublishVolume for them is OK. */
  readonly goneEphemeral = new Set<string>();
  /** Directories the driver created outside its data dir (target parents, staging dirs). */
  readonly ownDirs = new Set<string>();
  private seq = 0;
  private readonly busy = new Set<string>();

  constructor(readonly totalBytes: bigint) {}

  nextSeq(): number { return ++this.seq; }
  newVolumeId(seq: number): string { return `vol-${String(seq).padStart(6, '0')}-${rand()}`; }
  newSnapshotId(seq: number): string { return `snap-${String(seq).padStart(6, '0')}-${rand()}`; }
  newGroupId(): string { return `group-${String(this.nextSeq()).padStart(6, '0')}-${rand()}`; }

  /** Bytes taken: every volume's full capacity (thick provisioning) plus the real data of every snapshot. */
  usedBytes(): bigint {
    let used = 0n;
    for (const v of this.volumes.values()) used += v.capacity;
    for (const s of this.snapshots.values()) used += s.dataBytes;
    return used;
  }

  availableBytes(): bigint {
    const free = this.totalBytes - this.usedBytes();
    return free > 0n ? free : 0n;
  }

  /** Volumes the controller knows (inline ephemeral volumes are the node's own business). */
  controllerVolume(id: string): VolumeRec | undefined {
    const v = this.volumes.get(id);
    return v && !v.ephemeral ? v : undefined;
  }

  /**
   * Run `fn` holding the given keys. A second call for a key that is busy answers ABORTED, as the
   * spec's "operation pending for volume" case says, instead of interleaving with the first.
   */
  async exclusive<T>(keys: string[], fn: () => T | Promise<T>): Promise<T> {
    const clash = keys.find((k) => this.busy.has(k));
    if (clash) throw new StatusError(Status.ABORTED, `an operation is already pending for ${clash}`);
    for (const k of keys) this.busy.add(k);
    try {
      return await fn();
    } finally {
      for (const k of keys) this.busy.delete(k);
    }
  }
}

/** List pagination over records ordered by `seq`. Tokens name the kind, so one list's token is no good for another. */
export function paginate<T extends { seq: number }>(kind: string, all: T[], maxEntries: number, startingToken: string): { page: T[]; nextToken: string } {
  if (maxEntries < 0) throw new StatusError(Status.INVALID_ARGUMENT, 'max_entries must not be negative');
  let from = 0;
  if (startingToken) {
    const m = new RegExp(`^${kind}:(\\d{1,15})$`).exec(startingToken);
    if (!m) throw new StatusError(Status.ABORTED, `starting_token ${JSON.stringify(startingToken)} is not a token this driver issued for ${kind}`);
    from = Number(m[1]);
  }
  const sorted = all.filter((r) => r.seq >= from).sort((a, b) => a.seq - b.seq);
  if (maxEntries === 0 || sorted.length <= maxEntries) return { page: sorted, nextToken: '' };
  return { page: sorted.slice(0, maxEntries), nextToken: `${kind}:${sorted[maxEntries].seq}` };
}

export function timestamp(d: Date): { seconds: bigint; nanos: number } {
  const ms = d.getTime();
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}
