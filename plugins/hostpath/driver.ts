// HostpathDriver: a real hostPath CSI driver. Volumes are directories under <root>/volumes,
// snapshots tar.gz archives under <root>/snapshots, state in <root>/state.json; the node service
// stages and publishes with real bind mounts. Everything a request names is checked so that no
// call can make the driver read, write or mount outside its root (see interfaces/csi/sdk/paths.ts).
import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, rmdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControllerDefinition, IdentityDefinition, NodeDefinition, type Volume, type VolumeCondition } from '../../interfaces/gen/csi/csi.js';
import { OperationLocks, filesystemStats, mountsUnder, resolveInside, unmount, validPluginName, type Segments } from '../../interfaces/csi/sdk/index.js';
import { failedPrecondition, notFound } from '../../interfaces/grpc/errors.js';
import { bind, type Binding } from '../../interfaces/grpc/server.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import { triadVersion } from '../../interfaces/util/root.js';
import { controllerService } from './controller.js';
import { identityService } from './identity.js';
import { nodeService } from './node.js';
import { State, type SnapshotRec, type VolumeRec } from './state.js';

export const DEFAULT_DRIVER_NAME = 'hostpath.csi.triad.dev';
export const TOPOLOGY_NODE_KEY = 'topology.hostpath.csi/node';
const GiB = 1024n ** 3n;

export interface HostpathOptions {
  /** Directory holding volumes, snapshots and state.json; created if missing. */
  root: string;
  /** This node's id (NodeGetInfo; the only node ControllerPublishVolume accepts). */
  nodeId: string;
  /** Driver name reported by GetPluginInfo (default hostpath.csi.triad.dev). */
  name?: string;
  /** Default: triad's version. */
  vendorVersion?: string;
  /** Size of the pool volumes are carved from (default: the size of the filesystem holding root). */
  capacityBytes?: bigint | number;
  /** Capacity of a volume whose CreateVolume gives none (default 1 GiB, at most the pool). */
  defaultVolumeBytes?: bigint | number;
  /** NodeGetInfo max_volumes_per_node, enforced by ControllerPublishVolume; 0 = no limit (default). */
  maxVolumesPerNode?: number;
}

/** Roots served by a driver of this process: two drivers on one state file would overwrite each other. */
const held = new Set<string>();

const positive = (v: bigint | number | undefined, what: string): bigint | undefined => {
  if (v === undefined) return undefined;
  const b = BigInt(v);
  if (b <= 0n) throw new Error(`hostpath: ${what} must be positive`);
  return b;
};

export class HostpathDriver {
  readonly name: string;
  readonly vendorVersion: string;
  readonly nodeId: string;
  /** The root's real path: every containment check compares against it. */
  readonly root: string;
  readonly topology: Segments;
  readonly capacityBytes: bigint;
  readonly maxVolumeBytes: bigint;
  readonly defaultVolumeBytes: bigint;
  readonly maxVolumesPerNode: number;
  /** @internal */
  readonly state: State;
  /** @internal */
  readonly locks = new OperationLocks();
  ready = true;
  private released = false;

  constructor(opts: HostpathOptions) {
    this.name = validPluginName(opts.name ?? DEFAULT_DRIVER_NAME, 'hostpath');
    this.vendorVersion = opts.vendorVersion ?? triadVersion();
    if (!opts.nodeId) throw new Error('hostpath: nodeId is required');
    this.nodeId = opts.nodeId;
    if (!opts.root) throw new Error('hostpath: root is required');
    this.maxVolumesPerNode = opts.maxVolumesPerNode ?? 0;
    if (!Number.isInteger(this.maxVolumesPerNode) || this.maxVolumesPerNode < 0) throw new Error('hostpath: maxVolumesPerNode must be a non-negative integer');
    mkdirSync(opts.root, { recursive: true });
    this.root = realpathSync(opts.root);
    if (!statSync(this.root).isDirectory()) throw new Error(`hostpath: root ${opts.root} is not a directory`);
    for (const sub of ['volumes', 'snapshots']) {
      const p = join(this.root, sub);
      if (existsSync(p) && !lstatSync(p).isDirectory()) throw new Error(`hostpath: ${p} is not a directory (a symlink?); refusing to use this root`);
      mkdirSync(p, { recursive: true, mode: 0o711 });
    }
    this.topology = { [TOPOLOGY_NODE_KEY]: this.nodeId };
    this.capacityBytes = positive(opts.capacityBytes, 'capacityBytes') ?? filesystemStats(this.root).totalBytes;
    this.maxVolumeBytes = this.capacityBytes;
    this.defaultVolumeBytes = positive(opts.defaultVolumeBytes, 'defaultVolumeBytes') ?? (GiB < this.capacityBytes ? GiB : this.capacityBytes);
    this.claimRoot();
    this.state = new State(join(this.root, 'state.json'));
    try {
      this.state.load();
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /** ServiceImpl bindings for serve(): Identity, Controller and Node. */
  bindings(): Binding<any>[] {
    return [bind(IdentityDefinition, identityService(this)), bind(ControllerDefinition, controllerService(this)), bind(NodeDefinition, nodeService(this))];
  }

  /** What Probe answers. */
  setReady(ready: boolean): void {
    this.ready = ready;
  }

  /** A plain view of every volume: for tests and the harness, never for the wire. */
  inspect() {
    return [...this.state.volumes.values()].map((v) => ({
      id: v.id,
      name: v.name,
      capacity: v.capacity,
      nodeCapacity: v.nodeCapacity,
      dir: this.volumePath(v.id),
      publishedNodeIds: [...v.publications.keys()],
      stagingPath: v.staging?.path,
      targets: [...v.targets.values()].map((t) => ({ path: t.path, readonly: t.readonly, ro: t.ro })),
    }));
  }

  /** Let go of the root so another instance may serve it. Volumes and mounts stay (they persist by design). */
  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this.root);
    const pidFile = join(this.root, 'driver.pid');
    try {
      if (readFileSync(pidFile, 'utf8').trim() === String(process.pid)) rmSync(pidFile, { force: true });
    } catch {
      /* gone */
    }
  }

  /**
   * Remove every mount this driver made (targets, then staging paths, then anything left under the
   * root) and the root's whole content. For tests and `reference down`; the driver is unusable after.
   */
  async destroy(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (fn: () => unknown) => {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    };
    const rmdirQuietly = (p: string) => {
      try {
        rmdirSync(p);
      } catch {
        /* absent, or holds something not ours */
      }
    };
    for (const v of this.state.volumes.values()) {
      for (const t of v.targets.values()) {
        await attempt(() => unmount(t.realPath));
        rmdirQuietly(t.realPath);
      }
      if (v.staging) {
        const st = v.staging;
        await attempt(() => unmount(st.realPath));
        rmdirQuietly(st.realPath);
      }
    }
    // Never delete through a mount: whatever is still mounted below the root goes first.
    for (const p of mountsUnder(this.root).reverse()) await attempt(() => unmount(p));
    if (mountsUnder(this.root).length) {
      errors.push(new Error(`mounts remain under ${this.root}; its content was left in place`));
    } else {
      for (const entry of readdirSync(this.root)) await attempt(() => rmSync(join(this.root, entry), { recursive: true, force: true }));
    }
    this.state.clear();
    this.release();
    if (errors.length)
      throw new AggregateError(errors, `hostpath: destroy left ${errors.length} problem(s): ${errors.map((e) => (e as Error).message).join('; ')}`);
  }

  // ---- helpers for the services -------------------------------------------------------------

  /** @internal Where a volume's directory is (not checked: for messages and listings). */
  volumePath(id: string): string {
    return join(this.root, 'volumes', id);
  }

  /** @internal A volume's directory, refused (INVALID_ARGUMENT naming `field`) if it would leave the root or is a symlink. */
  volumeDir(id: string, field: string): string {
    return resolveInside(this.root, ['volumes', id], field);
  }

  /** @internal Where a snapshot's archive is (not checked). */
  snapshotPath(id: string): string {
    return join(this.root, 'snapshots', `${id}.tgz`);
  }

  /** @internal A snapshot's archive, refused like volumeDir. */
  snapshotFile(id: string, field: string): string {
    return resolveInside(this.root, ['snapshots', `${id}.tgz`], field);
  }

  /** @internal */
  volumeOrNotFound(id: string, field = 'volume_id'): VolumeRec {
    const v = this.state.volumes.get(id);
    if (!v) throw notFound(`volume ${id} (${field}) does not exist`);
    return v;
  }

  /** @internal */
  snapshotOrNotFound(id: string, field: string): SnapshotRec {
    const s = this.state.snapshots.get(id);
    if (!s) throw notFound(`snapshot ${id} (${field}) does not exist`);
    return s;
  }

  /** @internal Bytes of the pool still free. */
  availableBytes(): bigint {
    const free = this.capacityBytes - this.state.usedBytes();
    return free > 0n ? free : 0n;
  }

  /** @internal Bind mounts need root; say so plainly instead of letting mount(8) fail obscurely. */
  requireRoot(what: string): void {
    if (process.getuid?.() !== 0) {
      throw failedPrecondition(`${what} needs root for bind mounts; this driver runs as uid ${process.getuid?.()}`);
    }
  }

  /** @internal Is the volume's directory there, a real directory of ours? */
  controllerCondition(v: VolumeRec): VolumeCondition {
    const p = this.volumePath(v.id);
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return { abnormal: true, message: `volume directory ${p} is missing` };
    }
    if (!st.isDirectory())
      return { abnormal: true, message: `volume directory ${p} has been replaced by a ${st.isSymbolicLink() ? 'symlink' : 'non-directory'}` };
    return { abnormal: false, message: 'volume directory is present' };
  }

  /** @internal */
  volumeMessage(v: VolumeRec): DeepPartial<Volume> {
    return {
      volumeId: v.id,
      capacityBytes: v.capacity,
      volumeContext: v.fsType ? { fsType: v.fsType } : {},
      contentSource: v.source?.snapshotId
        ? { snapshot: { snapshotId: v.source.snapshotId } }
        : v.source?.volumeId
          ? { volume: { volumeId: v.source.volumeId } }
          : undefined,
      accessibleTopology: [{ segments: this.topology }],
    };
  }

  /** Refuse a root another live driver (this process or another) serves. */
  private claimRoot(): void {
    if (held.has(this.root)) throw new Error(`hostpath: another driver in this process serves ${this.root}; close it first`);
    const pidFile = join(this.root, 'driver.pid');
    let other = NaN;
    try {
      other = Number(readFileSync(pidFile, 'utf8').trim());
    } catch {
      /* none */
    }
    if (Number.isInteger(other) && other > 0 && other !== process.pid && alive(other)) {
      throw new Error(`hostpath: process ${other} serves ${this.root} (see ${pidFile}); stop it first`);
    }
    writeFileSync(pidFile, `${process.pid}\n`);
    held.add(this.root);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
