// Controller service, volume half: create/delete (idempotent by name), publish per node, list,
// validate, capacity, expansion, get and modify. Snapshots are in snapshots.ts.
import {
  VolumeCapability_AccessMode_Mode as Mode,
  type ControllerDefinition,
  type CreateVolumeRequest,
  type TopologyRequirement,
} from '../../interfaces/gen/csi/csi.js';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../../interfaces/grpc/errors.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import { controllerCapabilities } from './capabilities.js';
import type { MemoryCsiDriver } from './driver.js';
import { copyData, growBlock } from './host.js';
import type { AccessType, Segments, VolumeRec } from './store.js';
import {
  MULTI_NODE_MODES,
  capabilityKey,
  checkNodeReleased,
  checkVolumesPerNode,
  expansionTarget,
  incompatibility,
  paginate,
  repeatedPublication,
  required,
  resolveCapacity,
  resourceExhausted as exhausted,
  sameMap,
  validCapabilities,
  validCapability,
  validExpansionRange,
  validName,
  validRange,
  validRequirement,
  within,
} from '../../interfaces/csi/sdk/index.js';

type VolumeMethods = Pick<
  ServiceImpl<typeof ControllerDefinition>,
  | 'createVolume'
  | 'deleteVolume'
  | 'controllerPublishVolume'
  | 'controllerUnpublishVolume'
  | 'validateVolumeCapabilities'
  | 'listVolumes'
  | 'getCapacity'
  | 'controllerGetCapabilities'
  | 'controllerExpandVolume'
  | 'controllerGetVolume'
  | 'controllerModifyVolume'
>;

const show = (s: Segments) => JSON.stringify(s);

/**
 * Where a new volume will be reachable from. A volume only single-node access modes can use lives
 * in one topology (preferred first, else the first servable requisite); a volume with a MULTI_NODE
 * capability is shared storage, reachable from every servable requisite (or preferred) topology,
 * and — when the CO states no requirement — from every node the driver knows.
 */
function chooseTopology(d: MemoryCsiDriver, req: TopologyRequirement | undefined, multiNode: boolean): Segments[] {
  const known = [...d.nodes.values()];
  const served = (t: Segments) => known.some((n) => within(t, n));
  const distinct = (list: Segments[]) => list.filter((t, i) => list.findIndex((u) => sameMap(u, t)) === i);
  if (!req) return multiNode ? distinct(known) : [d.topology];
  const allowed = (t: Segments) => !req.requisite.length || req.requisite.some((r) => sameMap(r.segments, t));
  const ordered = distinct([...req.preferred.map((p) => p.segments).filter(allowed), ...req.requisite.map((r) => r.segments)]).filter(served);
  if (ordered.length) return multiNode ? ordered : [ordered[0]];
  if (!req.requisite.length) return [d.topology];
  throw exhausted(
    `cannot provision in accessibility_requirements: no known node serves any requisite topology ${req.requisite.map((r) => show(r.segments)).join(', ')} (nodes: ${known.map(show).join(', ')})`,
  );
}

/** Why an existing volume of this name does not answer this CreateVolume, or undefined if it does. */
function mismatch(v: VolumeRec, req: CreateVolumeRequest, range: { required: bigint; limit: bigint } | undefined): string | undefined {
  if (range?.required && v.capacity < range.required) return `its capacity ${v.capacity} is below required_bytes ${range.required}`;
  if (range?.limit && v.capacity > range.limit) return `its capacity ${v.capacity} is above limit_bytes ${range.limit}`;
  for (const cap of req.volumeCapabilities) {
    const why = incompatibility(cap, v);
    if (why) return why;
  }
  if (!sameMap(v.parameters, req.parameters)) return 'it was created with different parameters';
  if (!sameMap(v.createMutable, req.mutableParameters)) return 'it was created with different mutable_parameters';
  const src = req.volumeContentSource;
  if ((src?.snapshot?.snapshotId ?? '') !== (v.source?.snapshotId ?? '') || (src?.volume?.volumeId ?? '') !== (v.source?.volumeId ?? '')) {
    return 'it was created from a different volume_content_source';
  }
  const requisite = req.accessibilityRequirements?.requisite ?? [];
  if (requisite.length && !v.topology.every((t) => requisite.some((r) => sameMap(r.segments, t)))) {
    return `it is accessible from ${v.topology.map(show).join(', ')}, outside the requisite topologies`;
  }
  return undefined;
}

export function volumeMethods(d: MemoryCsiDriver): VolumeMethods {
  const { store } = d;
  return {
    async createVolume(req, ctx) {
      await d.fault('CreateVolume', ctx, req.name);
      validName(req.name, 'name');
      const { accessType, fsType } = validCapabilities(req.volumeCapabilities, 'volume_capabilities');
      const range = validRange(req.capacityRange, 'capacity_range');
      const requirement = validRequirement(req.accessibilityRequirements, 'accessibility_requirements');
      d.checkMutable(req.mutableParameters, 'mutable_parameters');
      const src = req.volumeContentSource;
      if (src && !src.snapshot && !src.volume) throw invalidArgument('volume_content_source: set snapshot or volume');
      if (src?.snapshot) required(src.snapshot.snapshotId, 'volume_content_source.snapshot.snapshot_id');
      if (src?.volume) required(src.volume.volumeId, 'volume_content_source.volume.volume_id');

      const keys = [`volume named ${req.name}`];
      if (src?.snapshot) keys.push(`snapshot ${src.snapshot.snapshotId}`);
      if (src?.volume) keys.push(`volume ${src.volume.volumeId}`);
      return store.exclusive(keys, async () => {
        const v = store.volumes.named(req.name);
        if (v) {
          const why = mismatch(v, req, range);
          if (why) throw alreadyExists(`volume ${req.name} already exists as ${v.id} but is incompatible: ${why}`);
          return { volume: d.volumeMessage(v) };
        }

        let from: { accessType: AccessType; fsType: string; capacity: bigint; dataPath: string; what: string } | undefined;
        if (src?.snapshot) {
          const s = store.snapshots.get(src.snapshot.snapshotId);
          if (!s) throw notFound(`snapshot ${src.snapshot.snapshotId} (volume_content_source.snapshot.snapshot_id) does not exist`);
          from = { accessType: s.accessType, fsType: s.fsType, capacity: s.sizeBytes, dataPath: s.dataPath, what: `snapshot ${s.id}` };
        } else if (src?.volume) {
          const v = d.volumeOrNotFound(src.volume.volumeId, 'volume_content_source.volume.volume_id');
          from = { accessType: v.accessType, fsType: v.fsType, capacity: v.capacity, dataPath: v.dataPath, what: `volume ${v.id}` };
        }
        if (from && from.accessType !== accessType) {
          throw invalidArgument(`volume_content_source: ${from.what} holds a ${from.accessType} volume; cannot create a ${accessType} volume from it`);
        }
        if (from && from.fsType && fsType && from.fsType !== fsType) {
          throw invalidArgument(`volume_content_source: ${from.what} has filesystem ${from.fsType}, the request asks for ${fsType}`);
        }

        // No capacity asked for: the source's size, else the default, within limit_bytes if given.
        const size = resolveCapacity(range, {
          natural: from?.capacity ?? d.defaultVolumeBytes,
          max: d.maxVolumeBytes,
          source: from && { bytes: from.capacity, what: from.what },
        });
        const topology = chooseTopology(
          d,
          requirement,
          req.volumeCapabilities.some((c) => MULTI_NODE_MODES.has(c.accessMode!.mode)),
        );
        const available = store.availableBytes();
        if (size > available) throw exhausted(`not enough capacity for ${size} bytes: ${available} of ${store.totalBytes} bytes available`);

        const seq = store.nextSeq();
        const id = store.newVolumeId(seq);
        const block = accessType === 'block';
        const dataPath = d.dataPathFor('volumes', id, block);
        if (from) {
          await copyData(from.dataPath, dataPath, block);
          if (block) growBlock(dataPath, size);
        } else {
          d.newData(dataPath, block, size);
        }
        const rec: VolumeRec = {
          seq,
          id,
          name: req.name,
          capacity: size,
          nodeCapacity: size,
          accessType,
          fsType,
          parameters: { ...req.parameters },
          createMutable: { ...req.mutableParameters },
          mutable: { ...req.mutableParameters },
          context: fsType ? { accessType, fsType } : { accessType },
          source: src?.snapshot ? { snapshotId: src.snapshot.snapshotId } : src?.volume ? { volumeId: src.volume.volumeId } : undefined,
          topology,
          ephemeral: false,
          dataPath,
          createdAt: new Date(),
          publications: new Map(),
          targets: new Map(),
        };
        store.volumes.add(rec);
        return { volume: d.volumeMessage(rec) };
      });
    },

    async deleteVolume(req, ctx) {
      await d.fault('DeleteVolume', ctx, req.volumeId);
      required(req.volumeId, 'volume_id');
      return store.exclusive([`volume ${req.volumeId}`], () => {
        const v = store.controllerVolume(req.volumeId);
        if (!v) return {};
        // Our choice (the spec allows it): a volume in use is not deleted.
        if (v.publications.size) {
          throw failedPrecondition(
            `volume ${v.id} is in use: still published to node(s) ${[...v.publications.keys()].join(', ')}; ControllerUnpublishVolume first`,
          );
        }
        if (v.staging || v.targets.size) throw failedPrecondition(`volume ${v.id} is in use: still staged or published on node ${d.nodeId}`);
        d.dropVolume(v);
        return {};
      });
    },

    async controllerPublishVolume(req, ctx) {
      await d.fault('ControllerPublishVolume', ctx, req.volumeId, req.nodeId);
      required(req.volumeId, 'volume_id');
      required(req.nodeId, 'node_id');
      const cap = validCapability(req.volumeCapability, 'volume_capability');
      return store.exclusive([`volume ${req.volumeId}`], () => {
        const v = d.volumeOrNotFound(req.volumeId);
        const segments = d.nodes.get(req.nodeId);
        if (!segments) throw notFound(`node ${req.nodeId} (node_id) does not exist; known nodes: ${[...d.nodes.keys()].join(', ')}`);
        const why = incompatibility(cap, v);
        if (why) throw failedPrecondition(`volume_capability exceeds the volume's capabilities: ${why}`);
        d.checkContext(v, req.volumeContext);
        const key = capabilityKey(cap);
        const repeated = repeatedPublication(v, req.nodeId, key, req.readonly);
        if (repeated) return { publishContext: repeated };
        const mode = cap.accessMode!.mode;
        const other = [...v.publications.values()].find((p) => !MULTI_NODE_MODES.has(p.mode) || !MULTI_NODE_MODES.has(mode));
        if (other) {
          throw failedPrecondition(
            `volume ${v.id} is already published to node ${other.nodeId}; several nodes need MULTI_NODE access modes (requested ${Mode[mode]}, node ${other.nodeId} has ${Mode[other.mode]})`,
          );
        }
        if (!v.topology.some((t) => within(t, segments))) {
          throw failedPrecondition(`volume ${v.id} is accessible from ${v.topology.map(show).join(', ')}, not from node ${req.nodeId} (${show(segments)})`);
        }
        checkVolumesPerNode(store.volumes.values(), req.nodeId, d.maxVolumesPerNode);
        const publishContext = { nodeId: req.nodeId, readonly: String(req.readonly), accessType: v.accessType };
        v.publications.set(req.nodeId, { nodeId: req.nodeId, readonly: req.readonly, mode, capabilityKey: key, publishContext });
        return { publishContext };
      });
    },

    async controllerUnpublishVolume(req, ctx) {
      await d.fault('ControllerUnpublishVolume', ctx, req.volumeId, req.nodeId);
      required(req.volumeId, 'volume_id');
      return store.exclusive([`volume ${req.volumeId}`], () => {
        const v = store.controllerVolume(req.volumeId);
        if (!v) return {}; // an unknown volume is safely regarded as unpublished
        const from = req.nodeId ? [req.nodeId] : [...v.publications.keys()];
        if (d.strict) checkNodeReleased(v, d.nodeId, from);
        for (const n of from) v.publications.delete(n);
        return {};
      });
    },

    async validateVolumeCapabilities(req, ctx) {
      await d.fault('ValidateVolumeCapabilities', ctx, req.volumeId);
      required(req.volumeId, 'volume_id');
      if (!req.volumeCapabilities.length) throw invalidArgument('volume_capabilities is required: give at least one volume capability');
      req.volumeCapabilities.forEach((c, i) => validCapability(c, `volume_capabilities[${i}]`));
      const v = d.volumeOrNotFound(req.volumeId);
      const reasons: string[] = [];
      req.volumeCapabilities.forEach((c, i) => {
        const why = incompatibility(c, v);
        if (why) reasons.push(`volume_capabilities[${i}]: ${why}`);
      });
      if (Object.keys(req.volumeContext).length && !sameMap(req.volumeContext, v.context)) reasons.push("volume_context does not match the volume's");
      if (Object.keys(req.parameters).length && !sameMap(req.parameters, v.parameters))
        reasons.push('parameters differ from those the volume was created with');
      for (const [k, val] of Object.entries(req.mutableParameters)) {
        if (v.mutable[k] !== val) reasons.push(`mutable_parameters.${k} is ${JSON.stringify(v.mutable[k] ?? null)} on the volume`);
      }
      if (reasons.length) return { message: reasons.join('; ') };
      return {
        confirmed: {
          volumeContext: req.volumeContext,
          volumeCapabilities: req.volumeCapabilities,
          parameters: req.parameters,
          mutableParameters: req.mutableParameters,
        },
      };
    },

    async listVolumes(req, ctx) {
      await d.fault('ListVolumes', ctx);
      const all = [...store.volumes.values()].filter((v) => !v.ephemeral);
      const { page, nextToken } = paginate('volumes', all, req.maxEntries, req.startingToken);
      return {
        entries: page.map((v) => ({
          volume: d.volumeMessage(v),
          status: { publishedNodeIds: [...v.publications.keys()], volumeCondition: d.controllerCondition(v) },
        })),
        nextToken,
      };
    },

    async getCapacity(req, ctx) {
      await d.fault('GetCapacity', ctx);
      req.volumeCapabilities.forEach((c, i) => validCapability(c, `volume_capabilities[${i}]`));
      const segments = req.accessibleTopology?.segments ?? {};
      if (Object.keys(segments).length && ![...d.nodes.values()].some((n) => within(segments, n))) {
        return { availableCapacity: 0n, maximumVolumeSize: 0n };
      }
      const available = store.availableBytes();
      return { availableCapacity: available, maximumVolumeSize: available < d.maxVolumeBytes ? available : d.maxVolumeBytes };
    },

    async controllerGetCapabilities(_req, ctx) {
      await d.fault('ControllerGetCapabilities', ctx);
      return { capabilities: controllerCapabilities(d.advertiseGetSnapshot) };
    },

    async controllerExpandVolume(req, ctx) {
      await d.fault('ControllerExpandVolume', ctx, req.volumeId);
      required(req.volumeId, 'volume_id');
      const range = validExpansionRange(req.capacityRange);
      const cap = req.volumeCapability ? validCapability(req.volumeCapability, 'volume_capability') : undefined;
      return store.exclusive([`volume ${req.volumeId}`], () => {
        const v = d.volumeOrNotFound(req.volumeId);
        const why = cap && incompatibility(cap, v);
        if (why) throw invalidArgument(`volume_capability exceeds the volume's capabilities: ${why}`);
        const want = expansionTarget(range, v.capacity, d.maxVolumeBytes, `volume ${v.id}`);
        if (want <= v.capacity) {
          return { capacityBytes: v.capacity, nodeExpansionRequired: v.accessType === 'mount' && v.nodeCapacity < v.capacity };
        }
        const available = store.availableBytes();
        if (want - v.capacity > available) throw exhausted(`not enough capacity to grow volume ${v.id} by ${want - v.capacity} bytes: ${available} available`);
        v.capacity = want;
        if (v.accessType === 'block') {
          growBlock(v.dataPath, want);
          v.nodeCapacity = want; // no filesystem to grow on the node
        }
        return { capacityBytes: want, nodeExpansionRequired: v.accessType === 'mount' };
      });
    },

    async controllerGetVolume(req, ctx) {
      await d.fault('ControllerGetVolume', ctx, req.volumeId);
      required(req.volumeId, 'volume_id');
      const v = d.volumeOrNotFound(req.volumeId);
      return {
        volume: d.volumeMessage(v),
        status: { publishedNodeIds: [...v.publications.keys()], volumeCondition: d.controllerCondition(v) },
      };
    },

    async controllerModifyVolume(req, ctx) {
      await d.fault('ControllerModifyVolume', ctx, req.volumeId);
      required(req.volumeId, 'volume_id');
      // REQUIRED map: at least one entry (spec "REQUIRED vs. OPTIONAL").
      if (!Object.keys(req.mutableParameters).length) throw invalidArgument('mutable_parameters is required: name at least one parameter to modify');
      d.checkMutable(req.mutableParameters, 'mutable_parameters');
      return store.exclusive([`volume ${req.volumeId}`], () => {
        const v = d.volumeOrNotFound(req.volumeId);
        Object.assign(v.mutable, req.mutableParameters);
        return {};
      });
    },
  };
}
