// csi-dir: a CSI driver whose volumes are directories under its root. It has the three services a
// typical driver has, each kept to what a one-node driver needs:
//
//   Identity    GetPluginInfo, GetPluginCapabilities (CONTROLLER_SERVICE), Probe
//   Controller  CreateVolume / DeleteVolume (idempotent by name), ValidateVolumeCapabilities
//   Node        NodePublishVolume / NodeUnpublishVolume, NodeGetVolumeStats, NodeGetInfo
//
// It serves PersistentVolumeClaims (CreateVolume, then NodePublishVolume per pod) and inline
// ephemeral volumes (a pod's `csi:` volume: NodePublishVolume with
// csi.storage.k8s.io/ephemeral=true creates the volume, its last NodeUnpublishVolume deletes it).
// Copy this directory to start a driver of your own.
//
// A volume is published at a target path as a symlink to its directory, so the driver needs no
// root. A real node plugin bind-mounts instead (triad/sdk/csi: bindMount, unmount), which is
// also what enforces `readonly`; here readonly is recorded and compared, not enforced. Capacity is
// recorded and reported, not enforced either.
//
// On disk, under root:
//   volumes/<id>/volume.json   the record: name, capacity, parameters, publications by target path
//   volumes/<id>/data/         the volume's contents (what every target path links to)
//   released/<id>              an ephemeral volume already unpublished (and deleted), so that a
//                              repeated NodeUnpublishVolume answers OK instead of NOT_FOUND
//
// Every handler is synchronous, so two calls never interleave. A driver whose handlers await
// (mounts, external commands) guards each volume with the SDK's OperationLocks (ABORTED when busy).
// Everything left out (ControllerPublish, NodeStage, snapshots, expansion…) answers UNIMPLEMENTED:
// serve() does that for any method an implementation does not define.
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import {
  MULTI_TARGET_MODES,
  SINGLE_NODE_MODES,
  absolutePath,
  capabilityKey,
  controllerCapabilities,
  directoryVolumeUsage,
  isWithin,
  nodeCapabilities,
  pluginCapabilities,
  realPathOf,
  required,
  resolveCapacity,
  safeId,
  sameMap,
  unsupported,
  validCapabilities,
  validCapability,
  validName,
  validPluginName,
  validRange,
  writeFileAtomic,
  type CapabilitySupport,
  ControllerDefinition,
  ControllerServiceCapability_RPC_Type as CtrlCap,
  IdentityDefinition,
  NodeDefinition,
  NodeServiceCapability_RPC_Type as NodeCap,
  PluginCapability_Service_Type as ServiceCap,
} from 'triad/sdk/csi';
import { alreadyExists, bind, failedPrecondition, invalidArgument, notFound, serve, type Binding, type RunningServer, type ServeOptions } from 'triad/sdk';

export const DEFAULT_NAME = 'dir.csi.example.triad.dev';
/** volume_context key with which kubelet marks an inline ephemeral volume. */
export const EPHEMERAL_KEY = 'csi.storage.k8s.io/ephemeral';
const GiB = 1024n ** 3n;
/** Size of a volume asked for without capacity_range (and of ephemeral volumes). */
const DEFAULT_BYTES = GiB;
/** The largest volume this driver agrees to make: above it CreateVolume answers OUT_OF_RANGE. */
const MAX_BYTES = 1024n * GiB;
/** Directories on one node: mount access, single-node modes. Anything else is INVALID_ARGUMENT. */
const SUPPORT: CapabilitySupport = { accessTypes: ['mount'], modes: SINGLE_NODE_MODES };

export interface CsiDirOptions {
  /** Where volumes live; created if missing. */
  root: string;
  /** GetPluginInfo name (default dir.csi.example.triad.dev). */
  name?: string;
  /** NodeGetInfo node_id (default: the hostname). */
  nodeId?: string;
}

interface Publication {
  readonly: boolean;
  capability: string;
}
interface VolumeRecord {
  id: string;
  /** CreateVolume's name ('' for an ephemeral volume). */
  name: string;
  capacityBytes: string; // a bigint, as JSON has none
  parameters: Record<string, string>;
  ephemeral: boolean;
  /** Publications by (resolved) target path. */
  targets: Record<string, Publication>;
}

export function csiDirBindings(opts: CsiDirOptions): Binding[] {
  const name = validPluginName(opts.name ?? DEFAULT_NAME, 'csi-dir');
  const nodeId = opts.nodeId ?? hostname();
  mkdirSync(join(opts.root, 'volumes'), { recursive: true });
  mkdirSync(join(opts.root, 'released'), { recursive: true });
  const root = realpathSync(opts.root);

  const volumeDir = (id: string) => join(root, 'volumes', id);
  const dataDir = (id: string) => join(volumeDir(id), 'data');
  const tombstone = (id: string) => join(root, 'released', id);
  const read = (id: string): VolumeRecord | undefined => {
    try {
      return JSON.parse(readFileSync(join(volumeDir(id), 'volume.json'), 'utf8')) as VolumeRecord;
    } catch {
      return undefined;
    }
  };
  const write = (v: VolumeRecord) => writeFileAtomic(join(volumeDir(v.id), 'volume.json'), JSON.stringify(v, null, 2));
  /** A new volume: data dir first, record last, so a record always has its directory. */
  const create = (v: VolumeRecord) => {
    mkdirSync(dataDir(v.id), { recursive: true });
    write(v);
    rmSync(tombstone(v.id), { force: true });
    return v;
  };
  const volumeMessage = (v: VolumeRecord) => ({ volumeId: v.id, capacityBytes: BigInt(v.capacityBytes), volumeContext: {} });

  /**
   * A target path as the driver records it: absolute, its parent resolved (the last component may
   * be our own symlink, which must not be followed), and neither inside the root nor above it.
   */
  const pathOf = (value: string, field: string) => {
    absolutePath(value, field);
    const p = join(realPathOf(dirname(value)), basename(value));
    if (isWithin(p, root) || isWithin(root, p)) throw invalidArgument(`${field} ${value} is inside the driver root ${root}, or contains it`);
    return p;
  };
  /** Our symlink is at target (and not something else the CO or a user put there). */
  const linked = (id: string, target: string) => {
    try {
      return lstatSync(target).isSymbolicLink() && readlinkSync(target) === dataDir(id);
    } catch {
      return false;
    }
  };
  /** Replace nothing or an empty directory at target with the symlink; refuse anything else. */
  const link = (id: string, target: string) => {
    if (linked(id, target)) return;
    if (!existsSync(dirname(target))) throw failedPrecondition(`the parent directory of target_path ${target} does not exist (the CO creates it)`);
    let st;
    try {
      st = lstatSync(target);
    } catch {
      /* nothing there: fine */
    }
    if (st?.isDirectory() && readdirSync(target).length === 0) rmdirSync(target);
    else if (st) throw failedPrecondition(`target_path ${target} already exists and is not an empty directory`);
    symlinkSync(dataDir(id), target);
  };

  const identity = bind(IdentityDefinition, {
    getPluginInfo: () => ({ name, vendorVersion: '0.1.0' }),
    getPluginCapabilities: () => ({ capabilities: pluginCapabilities([ServiceCap.CONTROLLER_SERVICE]) }),
    probe: () => ({ ready: existsSync(join(root, 'volumes')) }),
  });

  const controller = bind(ControllerDefinition, {
    controllerGetCapabilities: () => ({ capabilities: controllerCapabilities([CtrlCap.CREATE_DELETE_VOLUME]) }),

    createVolume(req) {
      const volName = validName(req.name, 'name');
      validCapabilities(req.volumeCapabilities, 'volume_capabilities', SUPPORT);
      if (req.volumeContentSource) throw invalidArgument('volume_content_source: this driver creates empty volumes only (no snapshots, no clones)');
      const range = validRange(req.capacityRange, 'capacity_range');
      // The name is the idempotency key: the id is derived from it, so a retry finds the same volume.
      const id = `vol-${createHash('sha256').update(volName).digest('hex').slice(0, 40)}`;
      const have = read(id);
      if (have) {
        const cap = BigInt(have.capacityBytes);
        const fits = !range || ((!range.required || cap >= range.required) && (!range.limit || cap <= range.limit));
        if (!fits || !sameMap(have.parameters, req.parameters)) {
          throw alreadyExists(`volume ${volName} exists (${id}, ${cap} bytes) with a capacity or parameters incompatible with this request`);
        }
        return { volume: volumeMessage(have) };
      }
      const size = resolveCapacity(range, { natural: DEFAULT_BYTES, max: MAX_BYTES });
      const v = create({ id, name: volName, capacityBytes: String(size), parameters: req.parameters, ephemeral: false, targets: {} });
      return { volume: volumeMessage(v) };
    },

    deleteVolume(req) {
      const id = safeId(req.volumeId, 'volume_id');
      const v = read(id);
      if (!v) return {}; // never existed, or deleted before: OK (idempotent)
      const at = Object.keys(v.targets);
      if (at.length) throw failedPrecondition(`volume ${id} is still published at ${at.join(', ')}: NodeUnpublishVolume first`);
      rmSync(volumeDir(id), { recursive: true, force: true });
      return {};
    },

    validateVolumeCapabilities(req) {
      const id = safeId(req.volumeId, 'volume_id');
      if (!req.volumeCapabilities.length) throw invalidArgument('volume_capabilities is required: give at least one volume capability');
      req.volumeCapabilities.forEach((c, i) => validCapability(c, `volume_capabilities[${i}]`));
      const v = read(id);
      if (!v) throw notFound(`volume ${id} does not exist`);
      const why = req.volumeCapabilities.map((c, i) => unsupported(c, SUPPORT) && `volume_capabilities[${i}]: ${unsupported(c, SUPPORT)}`).filter(Boolean);
      if (why.length) return { message: why.join('; ') }; // not confirmed, and why
      return { confirmed: { volumeContext: req.volumeContext, volumeCapabilities: req.volumeCapabilities, parameters: req.parameters } };
    },
  });

  const node = bind(NodeDefinition, {
    nodeGetInfo: () => ({ nodeId }),
    nodeGetCapabilities: () => ({ capabilities: nodeCapabilities([NodeCap.GET_VOLUME_STATS]) }),

    nodePublishVolume(req) {
      const id = safeId(req.volumeId, 'volume_id');
      const target = pathOf(req.targetPath, 'target_path');
      const cap = validCapability(req.volumeCapability, 'volume_capability', SUPPORT);
      const want: Publication = { readonly: req.readonly, capability: capabilityKey(cap) };
      let v = read(id);
      if (!v) {
        if (req.volumeContext[EPHEMERAL_KEY] !== 'true') throw notFound(`volume ${id} does not exist`);
        v = create({ id, name: '', capacityBytes: String(DEFAULT_BYTES), parameters: {}, ephemeral: true, targets: {} });
      }
      const have = v.targets[target];
      if (have && (have.readonly !== want.readonly || have.capability !== want.capability)) {
        throw alreadyExists(`volume ${id} is already published at ${target} with a different volume_capability or readonly flag`);
      }
      // The spec's second-publish table: another target path only for modes that allow several.
      const elsewhere = Object.keys(v.targets).find((t) => t !== target);
      if (!have && elsewhere && !MULTI_TARGET_MODES.has(cap.accessMode!.mode)) {
        throw failedPrecondition(`volume ${id} is already published at ${elsewhere}; its access mode allows one target path per node`);
      }
      link(id, target); // also repairs a missing link when the same call comes again
      if (!have) write({ ...v, targets: { ...v.targets, [target]: want } });
      return {};
    },

    nodeUnpublishVolume(req) {
      const id = safeId(req.volumeId, 'volume_id');
      const target = pathOf(req.targetPath, 'target_path');
      const v = read(id);
      if (!v) {
        if (existsSync(tombstone(id))) return {}; // an ephemeral volume unpublished before: still OK
        throw notFound(`volume ${id} does not exist`);
      }
      if (linked(id, target)) unlinkSync(target);
      if (!v.targets[target]) return {}; // not published there: nothing to undo
      const { [target]: _gone, ...targets } = v.targets;
      if (v.ephemeral && Object.keys(targets).length === 0) {
        // An ephemeral volume ends with its last publication. Tombstone first: after a crash
        // before the rm, the record is still there and the CO's retry finishes the job.
        writeFileSync(tombstone(id), '');
        rmSync(volumeDir(id), { recursive: true, force: true });
      } else {
        write({ ...v, targets });
      }
      return {};
    },

    nodeGetVolumeStats(req) {
      const id = safeId(req.volumeId, 'volume_id');
      required(req.volumePath, 'volume_path');
      const v = read(id);
      if (!v) throw notFound(`volume ${id} does not exist`);
      // After the volume lookup: a relative path is no place the volume was published (NOT_FOUND).
      const path = isAbsolute(req.volumePath) ? pathOf(req.volumePath, 'volume_path') : '';
      if (!path || !v.targets[path]) throw notFound(`volume ${id} is not published at volume_path ${req.volumePath}`);
      return { usage: directoryVolumeUsage(dataDir(id), BigInt(v.capacityBytes)).usage };
    },
  });

  return [identity, controller, node];
}

/** Serve the three services on one endpoint (unix:///path, a socket path, or host:port). */
export function serveCsiDir(endpoint: string, opts: CsiDirOptions, serveOpts?: ServeOptions): Promise<RunningServer> {
  return serve(endpoint, csiDirBindings(opts), serveOpts);
}
