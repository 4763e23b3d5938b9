// The driver's whole state: volumes, snapshots, group snapshots, what is published where, and
// capacity accounting. Only records live here; the services decide what the spec allows.
import { randomBytes } from 'node:crypto';
import type { VolumeCapability, VolumeCondition } from '../../interfaces/gen/csi/csi.js';
import {
  NamedRecords,
  OperationLocks,
  type AccessType,
  type PublicationRec,
  type Segments,
  type StagingUse,
  type TargetUse,
} from '../../interfaces/csi/sdk/index.js';

export type { AccessType, PublicationRec, Segments };

/** NodeStageVolume on this node. `bind`: the data is bind-mounted there; `record`: bookkeeping only. */
export interface StageRec extends StagingUse {
  how: 'bind' | 'record';
}

/** NodePublishVolume on this node. */
export interface TargetRec extends TargetUse {
  capability: VolumeCapability;
  /** '' when published without staging. */
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
  readonly volumes = new NamedRecords<VolumeRec>();
  readonly snapshots = new NamedRecords<SnapshotRec>();
  readonly groups = new NamedRecords<GroupRec>();
  /** Inline ephemeral volumes already removed: a repeated NodeUnpublishVolume for them is OK. */
  readonly goneEphemeral = new Set<string>();
  /** Directories the driver created outside its data dir (target parents, staging dirs). */
  readonly ownDirs = new Set<string>();
  private seq = 0;
  private readonly locks = new OperationLocks();

  constructor(readonly totalBytes: bigint) {}

  nextSeq(): number {
    return ++this.seq;
  }
  newVolumeId(seq: number): string {
    return `vol-${String(seq).padStart(6, '0')}-${rand()}`;
  }
  newSnapshotId(seq: number): string {
    return `snap-${String(seq).padStart(6, '0')}-${rand()}`;
  }
  newGroupId(): string {
    return `group-${String(this.nextSeq()).padStart(6, '0')}-${rand()}`;
  }

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
  exclusive<T>(keys: string[], fn: () => T | Promise<T>): Promise<T> {
    return this.locks.exclusive(keys, fn);
  }
}
