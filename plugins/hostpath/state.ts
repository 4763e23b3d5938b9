// The driver's records and their persistence. Everything a restarted driver needs to carry on —
// volumes, snapshots, where each volume is published, staged and mounted — lives in
// <root>/state.json, rewritten atomically after every change, so a crash or restart loses no
// volume and can still undo every mount it made.
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../interfaces/csi/sdk/index.js';

/** ControllerPublishVolume to a node. */
export interface PublicationRec {
  nodeId: string;
  readonly: boolean;
  mode: number;
  capabilityKey: string;
  publishContext: Record<string, string>;
}

/** NodeStageVolume: the volume directory bind-mounted at `path` (`realPath` is what was mounted). */
export interface StageRec {
  path: string;
  realPath: string;
  capabilityKey: string;
}

/** NodePublishVolume: the staging mount bind-mounted at `path`. */
export interface TargetRec {
  path: string;
  realPath: string;
  readonly: boolean;
  /** Mounted read-only (readonly, a read-only access mode, or a read-only controller publication). */
  ro: boolean;
  capabilityKey: string;
  stagingPath: string;
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

const VERSION = 1;

interface StateFileV1 {
  version: 1;
  seq: number;
  volumes: Array<Omit<VolumeRec, 'capacity' | 'nodeCapacity' | 'publications' | 'targets'> & {
    capacity: string; nodeCapacity: string; publications: PublicationRec[]; targets: TargetRec[];
  }>;
  snapshots: Array<Omit<SnapshotRec, 'sizeBytes' | 'archiveBytes'> & { sizeBytes: string; archiveBytes: string }>;
}

export class State {
  readonly volumes = new Map<string, VolumeRec>();
  readonly volumeByName = new Map<string, string>();
  readonly snapshots = new Map<string, SnapshotRec>();
  readonly snapshotByName = new Map<string, string>();
  private seq = 0;

  constructor(readonly file: string) {}

  nextSeq(): number { return ++this.seq; }

  /** Read the state file if there is one. A file that cannot be read is an error, never a silent fresh start. */
  load(): void {
    if (!existsSync(this.file)) return;
    let data: StateFileV1;
    try {
      data = JSON.parse(readFileSync(this.file, 'utf8')) as StateFileV1;
    } catch (err) {
      throw new Error(`hostpath: cannot read ${this.file}: ${(err as Error).message}; refusing to start with an empty state over existing volumes`);
    }
    if (data?.version !== VERSION) throw new Error(`hostpath: ${this.file} has state version ${data?.version}, this driver reads version ${VERSION}`);
    this.seq = data.seq;
    for (const v of data.volumes) {
      this.addVolume({
        ...v, capacity: BigInt(v.capacity), nodeCapacity: BigInt(v.nodeCapacity),
        publications: new Map(v.publications.map((p) => [p.nodeId, p])), targets: new Map(v.targets.map((t) => [t.path, t])),
      });
    }
    for (const s of data.snapshots) this.addSnapshot({ ...s, sizeBytes: BigInt(s.sizeBytes), archiveBytes: BigInt(s.archiveBytes) });
  }

  /** Write everything, atomically (temp file, fsync, rename). Called after every change. */
  save(): void {
    const data: StateFileV1 = {
      version: VERSION,
      seq: this.seq,
      volumes: [...this.volumes.values()].map((v) => ({
        ...v, capacity: String(v.capacity), nodeCapacity: String(v.nodeCapacity),
        publications: [...v.publications.values()], targets: [...v.targets.values()],
      })),
      snapshots: [...this.snapshots.values()].map((s) => ({ ...s, sizeBytes: String(s.sizeBytes), archiveBytes: String(s.archiveBytes) })),
    };
    writeFileAtomic(this.file, JSON.stringify(data, null, 1) + '\n');
  }

  addVolume(v: VolumeRec): void {
    this.volumes.set(v.id, v);
    this.volumeByName.set(v.name, v.id);
  }

  removeVolume(v: VolumeRec): void {
    this.volumes.delete(v.id);
    if (this.volumeByName.get(v.name) === v.id) this.volumeByName.delete(v.name);
  }

  addSnapshot(s: SnapshotRec): void {
    this.snapshots.set(s.id, s);
    this.snapshotByName.set(s.name, s.id);
  }

  removeSnapshot(s: SnapshotRec): void {
    this.snapshots.delete(s.id);
    if (this.snapshotByName.get(s.name) === s.id) this.snapshotByName.delete(s.name);
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
    this.volumeByName.clear();
    this.snapshots.clear();
    this.snapshotByName.clear();
  }
}
