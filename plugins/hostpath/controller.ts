// Controller service, volume half: create (empty, from a snapshot, or a clone) idempotent by name,
// delete, publish to this node, list, validate, capacity, expansion, get. Snapshots: snapshots.ts.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { ControllerDefinition, CreateVolumeRequest } from '../../interfaces/gen/csi/csi.js';
import {
  capabilityKey,
  checkNodeReleased,
  checkVolumesPerNode,
  expansionTarget,
  incompatibility,
  mountsUnder,
  paginate,
  repeatedPublication,
  required,
  resolveCapacity,
  resourceExhausted,
  safeId,
  safeName,
  sameMap,
  unsupported,
  validCapabilities,
  validCapability,
  validExpansionRange,
  validRange,
  validRequirement,
  within,
  type Range,
} from '../../interfaces/csi/sdk/index.js';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../../interfaces/grpc/errors.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import { CONTROLLER_CAPABILITIES, SUPPORT } from './capabilities.js';
import { copyTree, extract, makeVolumeDir, removeData } from './data.js';
import type { HostpathDriver } from './driver.js';
import { snapshotMethods } from './snapshots.js';
import type { VolumeRec } from './state.js';

/** Why an existing volume of this name does not answer this CreateVolume, or undefined if it does. */
function mismatch(d: HostpathDriver, v: VolumeRec, req: CreateVolumeRequest, range: Range | undefined): string | undefined {
  if (range?.required && v.capacity < range.required) return `its capacity ${v.capacity} is below required_bytes ${range.required}`;
  if (range?.limit && v.capacity > range.limit) return `its capacity ${v.capacity} is above limit_bytes ${range.limit}`;
  for (const cap of req.volumeCapabilities) {
    const why = incompatibility(cap, { accessType: 'mount', fsType: v.fsType });
    if (why) return why;
  }
  if (!sameMap(v.parameters, req.parameters)) return 'it was created with different parameters';
  const src = req.volumeContentSource;
  if ((src?.snapshot?.snapshotId ?? '') !== (v.source?.snapshotId ?? '') || (src?.volume?.volumeId ?? '') !== (v.source?.volumeId ?? '')) {
    return 'it was created from a different volume_content_source';
  }
  const requisite = req.accessibilityRequirements?.requisite ?? [];
  if (requisite.length && !requisite.some((r) => within(r.segments, d.topology))) return 'it lives on a node outside the requisite topologies';
  return undefined;
}

export function controllerService(d: HostpathDriver): ServiceImpl<typeof ControllerDefinition> {
  const { state, locks } = d;
  const status = (v: VolumeRec) => ({ publishedNodeIds: [...v.publications.keys()], volumeCondition: d.controllerCondition(v) });

  return {
    ...snapshotMethods(d),

    async createVolume(req) {
      safeName(req.name, 'name');
      const { fsType } = validCapabilities(req.volumeCapabilities, 'volume_capabilities', SUPPORT);
      const range = validRange(req.capacityRange, 'capacity_range');
      const requirement = validRequirement(req.accessibilityRequirements, 'accessibility_requirements');
      const src = req.volumeContentSource;
      if (src && !src.snapshot && !src.volume) throw invalidArgument('volume_content_source: set snapshot or volume');
      if (src?.snapshot) safeId(src.snapshot.snapshotId, 'volume_content_source.snapshot.snapshot_id');
      if (src?.volume) safeId(src.volume.volumeId, 'volume_content_source.volume.volume_id');

      const keys = [`volume named ${req.name}`];
      if (src?.snapshot) keys.push(`snapshot ${src.snapshot.snapshotId}`);
      if (src?.volume) keys.push(`volume ${src.volume.volumeId}`);
      return locks.exclusive(keys, async () => {
        const v = state.volumes.named(req.name);
        if (v) {
          const why = mismatch(d, v, req, range);
          if (why) throw alreadyExists(`volume ${req.name} already exists as ${v.id} but is incompatible: ${why}`);
          return { volume: d.volumeMessage(v) };
        }

        // The source is checked (and its path resolved inside the root) before anything is created.
        let from: { capacity: bigint; what: string; fill: (dir: string) => Promise<void> } | undefined;
        if (src?.snapshot) {
          const field = 'volume_content_source.snapshot.snapshot_id';
          const s = d.snapshotOrNotFound(src.snapshot.snapshotId, field);
          const file = d.snapshotFile(s.id, field);
          if (!existsSync(file)) throw failedPrecondition(`snapshot ${s.id} has lost its archive ${file}`);
          from = { capacity: s.sizeBytes, what: `snapshot ${s.id}`, fill: (dir) => extract(file, dir) };
        } else if (src?.volume) {
          const field = 'volume_content_source.volume.volume_id';
          const v = d.volumeOrNotFound(src.volume.volumeId, field);
          const dir = d.volumeDir(v.id, field);
          if (!existsSync(dir)) throw failedPrecondition(`volume ${v.id} has lost its directory ${dir}`);
          if (v.fsType && fsType && v.fsType !== fsType)
            throw invalidArgument(`volume_content_source: volume ${v.id} has filesystem ${v.fsType}, the request asks for ${fsType}`);
          from = { capacity: v.capacity, what: `volume ${v.id}`, fill: (to) => copyTree(dir, to) };
        }

        const size = resolveCapacity(range, {
          natural: from?.capacity ?? d.defaultVolumeBytes,
          max: d.maxVolumeBytes,
          source: from && { bytes: from.capacity, what: from.what },
        });
        if (requirement?.requisite.length && !requirement.requisite.some((r) => within(r.segments, d.topology))) {
          throw resourceExhausted(`cannot provision in accessibility_requirements: this driver only serves ${JSON.stringify(d.topology)}`);
        }
        const available = d.availableBytes();
        if (size > available) throw resourceExhausted(`not enough capacity for ${size} bytes: ${available} of ${d.capacityBytes} bytes available`);

        const seq = state.nextSeq();
        const id = `vol-${randomUUID()}`;
        const dir = d.volumeDir(id, 'volume_id');
        makeVolumeDir(dir);
        const rec: VolumeRec = {
          seq,
          id,
          name: req.name,
          capacity: size,
          nodeCapacity: size,
          fsType,
          parameters: { ...req.parameters },
          source: src?.snapshot ? { snapshotId: src.snapshot.snapshotId } : src?.volume ? { volumeId: src.volume.volumeId } : undefined,
          createdAt: new Date().toISOString(),
          publications: new Map(),
          targets: new Map(),
        };
        try {
          await from?.fill(dir);
          state.volumes.add(rec);
          state.save();
        } catch (err) {
          state.volumes.remove(rec);
          removeData(dir);
          throw err;
        }
        return { volume: d.volumeMessage(rec) };
      });
    },

    async deleteVolume(req) {
      safeId(req.volumeId, 'volume_id');
      return locks.exclusive([`volume ${req.volumeId}`], () => {
        const v = state.volumes.get(req.volumeId);
        if (!v) return {};
        // Our choice (the spec allows it): a volume in use is not deleted.
        if (v.publications.size) {
          throw failedPrecondition(
            `volume ${v.id} is in use: still published to node(s) ${[...v.publications.keys()].join(', ')}; ControllerUnpublishVolume first`,
          );
        }
        if (v.staging || v.targets.size) throw failedPrecondition(`volume ${v.id} is in use: still staged or published on node ${d.nodeId}`);
        const dir = d.volumePath(v.id);
        const mounted = mountsUnder(dir);
        if (mounted.length)
          throw failedPrecondition(`volume ${v.id} has something mounted inside it (${mounted.join(', ')}); refusing to delete through a mount`);
        removeData(dir); // a symlink put in the directory's place is removed, not followed
        state.volumes.remove(v);
        state.save();
        return {};
      });
    },

    async controllerPublishVolume(req) {
      safeId(req.volumeId, 'volume_id');
      required(req.nodeId, 'node_id');
      const cap = validCapability(req.volumeCapability, 'volume_capability', SUPPORT);
      return locks.exclusive([`volume ${req.volumeId}`], () => {
        const v = d.volumeOrNotFound(req.volumeId);
        if (req.nodeId !== d.nodeId) throw notFound(`node ${req.nodeId} (node_id) does not exist; this driver serves node ${d.nodeId}`);
        const why = incompatibility(cap, { accessType: 'mount', fsType: v.fsType });
        if (why) throw failedPrecondition(`volume_capability exceeds the volume's capabilities: ${why}`);
        const key = capabilityKey(cap);
        const repeated = repeatedPublication(v, req.nodeId, key, req.readonly);
        if (repeated) return { publishContext: repeated };
        checkVolumesPerNode(state.volumes.values(), req.nodeId, d.maxVolumesPerNode);
        const publishContext = { readonly: String(req.readonly) };
        v.publications.set(req.nodeId, { nodeId: req.nodeId, readonly: req.readonly, mode: cap.accessMode!.mode, capabilityKey: key, publishContext });
        state.save();
        return { publishContext };
      });
    },

    async controllerUnpublishVolume(req) {
      safeId(req.volumeId, 'volume_id');
      return locks.exclusive([`volume ${req.volumeId}`], () => {
        // An unknown volume or node is safely regarded as unpublished (the spec's 0 OK case).
        const v = state.volumes.get(req.volumeId);
        if (!v) return {};
        const from = req.nodeId ? [req.nodeId] : [...v.publications.keys()];
        checkNodeReleased(v, d.nodeId, from);
        if (!from.some((n) => v.publications.has(n))) return {};
        for (const n of from) v.publications.delete(n);
        state.save();
        return {};
      });
    },

    async validateVolumeCapabilities(req) {
      safeId(req.volumeId, 'volume_id');
      if (!req.volumeCapabilities.length) throw invalidArgument('volume_capabilities is required: give at least one volume capability');
      req.volumeCapabilities.forEach((c, i) => validCapability(c, `volume_capabilities[${i}]`));
      const v = d.volumeOrNotFound(req.volumeId);
      const reasons: string[] = [];
      req.volumeCapabilities.forEach((c, i) => {
        const why = unsupported(c, SUPPORT) ?? incompatibility(c, { accessType: 'mount', fsType: v.fsType });
        if (why) reasons.push(`volume_capabilities[${i}]: ${why}`);
      });
      if (Object.keys(req.parameters).length && !sameMap(req.parameters, v.parameters))
        reasons.push('parameters differ from those the volume was created with');
      if (reasons.length) return { message: reasons.join('; ') };
      return { confirmed: { volumeContext: req.volumeContext, volumeCapabilities: req.volumeCapabilities, parameters: req.parameters } };
    },

    async listVolumes(req) {
      const { page, nextToken } = paginate('volumes', [...state.volumes.values()], req.maxEntries, req.startingToken);
      return { entries: page.map((v) => ({ volume: d.volumeMessage(v), status: status(v) })), nextToken };
    },

    async getCapacity(req) {
      req.volumeCapabilities.forEach((c, i) => validCapability(c, `volume_capabilities[${i}]`));
      const segments = req.accessibleTopology?.segments ?? {};
      const servable = req.volumeCapabilities.every((c) => !unsupported(c, SUPPORT));
      if (!servable || (Object.keys(segments).length && !within(segments, d.topology))) return { availableCapacity: 0n, maximumVolumeSize: 0n };
      const available = d.availableBytes();
      return { availableCapacity: available, maximumVolumeSize: available < d.maxVolumeBytes ? available : d.maxVolumeBytes };
    },

    controllerGetCapabilities: () => ({ capabilities: CONTROLLER_CAPABILITIES }),

    async controllerExpandVolume(req) {
      safeId(req.volumeId, 'volume_id');
      const range = validExpansionRange(req.capacityRange);
      const cap = req.volumeCapability ? validCapability(req.volumeCapability, 'volume_capability', SUPPORT) : undefined;
      return locks.exclusive([`volume ${req.volumeId}`], () => {
        const v = d.volumeOrNotFound(req.volumeId);
        const why = cap && incompatibility(cap, { accessType: 'mount', fsType: v.fsType });
        if (why) throw invalidArgument(`volume_capability exceeds the volume's capabilities: ${why}`);
        const want = expansionTarget(range, v.capacity, d.maxVolumeBytes, `volume ${v.id}`);
        if (want <= v.capacity) return { capacityBytes: v.capacity, nodeExpansionRequired: v.nodeCapacity < v.capacity };
        const available = d.availableBytes();
        if (want - v.capacity > available)
          throw resourceExhausted(`not enough capacity to grow volume ${v.id} by ${want - v.capacity} bytes: ${available} available`);
        v.capacity = want;
        state.save();
        // A directory has no filesystem to grow, but the node is told its new size (NodeExpandVolume).
        return { capacityBytes: want, nodeExpansionRequired: true };
      });
    },

    async controllerGetVolume(req) {
      safeId(req.volumeId, 'volume_id');
      const v = d.volumeOrNotFound(req.volumeId);
      return { volume: d.volumeMessage(v), status: status(v) };
    },
  };
}
