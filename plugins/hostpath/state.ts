// The driver's records and their persistence. Everything a restarted driver needs to carry on —
// volumes, snapshots, where each volume is published, staged and mounted — lives in
// <root>/state.json, rewritten atomically after every change, so a crash or restart loses no
// volume and can still undo every mount it made.
import { NamedRecords, readStateFile, writeStateFile, type PublicationRec, type StagingUse, type TargetUse } from '../../interfaces/csi/sdk/index.js';

export type { PublicationRec };

/** NodeStageVolume: the volume directory bind-mounted at `path` (`realPath` is what was mounted). */
export interface StageRec extends StagingUse {
  realPath: string;
}

/** NodePublishVolume: the staging mount bind-mounted at `path`. */
export interface TargetRec extends TargetUse {
  realPath: string;
  /** Mounted read-only (readonly, a read-only access mode, or a read-only controller publication). */
  ro: boolean;
}

export interface VolumeRec {
  seq: number;
  id: string;
  name: string;
  /** Bytes taken from the pool (accounted, not enforced by the kernel: a directory has no quota). */
  capacity: bigint;
  /** Size the node was told to use (NodeExpandVolume); lags `capacity` after ControllerExpandVolume. */
  nodeCapacity: bigint;
  fsType: string;
  parameters: Record<string, string>;
  source?: { snapshotId?: string; volumeId?: string };
  createdAt: string;
  publications: Map<string, PublicationRec>;
  staging?: StageRec;
  targets: Map<string, TargetRec>;
}

export interface SnapshotRec {
  seq: number;
  id: string;
  name: string;
  sourceVolumeId: string;
  /** The source's capacity: the smallest volume it can be restored into. */
  sizeBytes: bigint;
  /** Size of the archive on disk; what the snapshot costs against the pool. */
  archiveBytes: bigint;
  parameters: Record<string, string>;
  createdAt: string;
}

const VERSION = 1 as const;

interface StateFileV1 {
  version: 1;
  seq: number;
  volumes: Array<
    Omit<VolumeRec, 'capacity' | 'nodeCapacity' | 'publications' | 'targets'> & {
      capacity: string;
      nodeCapacity: string;
      publications: PublicationRec[];
      targets: TargetRec[];
    }
  >;
  snapshots: Array<Omit<SnapshotRec, 'sizeBytes' | 'archiveBytes'> & { sizeBytes: string; archiveBytes: string }>;
}

export class State {
  readonly volumes = new NamedRecords<VolumeRec>();
  readonly snapshots = new NamedRecords<SnapshotRec>();
  private seq = 0;

  constructor(readonly file: string) {}

  nextSeq(): number {
    return ++this.seq;
  }

  /** Read the state file if there is one. A file that cannot be read is an error, never a silent fresh start. */
  load(): void {
    const data = readStateFile<StateFileV1>(this.file, VERSION, 'hostpath');
    if (!data) return;
    this.seq = data.seq;
    for (const v of data.volumes) {
      this.volumes.add({
        ...v,
        capacity: BigInt(v.capacity),
        nodeCapacity: BigInt(v.nodeCapacity),
        publications: new Map(v.publications.map((p) => [p.nodeId, p])),
        targets: new Map(v.targets.map((t) => [t.path, t])),
      });
    }
    for (const s of data.snapshots) this.snapshots.add({ ...s, sizeBytes: BigInt(s.sizeBytes), archiveBytes: BigInt(s.archiveBytes) });
  }

  /** Write everything, atomically (temp file, fsync, rename). Called after every change. */
  save(): void {
    const data: StateFileV1 = {
      version: VERSION,
      seq: this.seq,
      volumes: [...this.volumes.values()].map((v) => ({
        ...v,
        capacity: String(v.capacity),
        nodeCapacity: String(v.nodeCapacity),
        publications: [...v.publications.values()],
        targets: [...v.targets.values()],
      })),
      snapshots: [...this.snapshots.values()].map((s) => ({ ...s, sizeBytes: String(s.sizeBytes), archiveBytes: String(s.archiveBytes) })),
    };
    writeStateFile(this.file, data);
  }

  /** Pool bytes taken: every volume's capacity plus every snapshot archive. */
  usedBytes(): bigint {
    let used = 0n;
    for (const v of this.volumes.values()) used += v.capacity;
    for (const s of this.snapshots.values()) used += s.archiveBytes;
    return used;
  }

  clear(): void {
    this.volumes.clear();
    this.snapshots.clear();
  }
}
