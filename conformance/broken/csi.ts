// Deliberately broken CSI drivers: memory-csi with ONE handler overridden so it breaks ONE rule
// of the spec. Each names the conformance case that must catch it (the tests assert exactly
// that case fails). They prove the suite can fail, and show plugin authors what each failure
// looks like.
import { randomBytes } from 'node:crypto';
import { isAbsolute } from 'node:path';
import {
  ControllerDefinition,
  GroupControllerDefinition,
  IdentityDefinition,
  NodeDefinition,
  PluginCapability_VolumeExpansion_Type as Expansion,
  VolumeCapability_AccessMode_Mode as Mode,
} from '../../interfaces/gen/csi/csi.js';
import { failedPrecondition, internal, invalidArgument, notFound, outOfRange, Status, StatusError } from '../../interfaces/grpc/errors.js';
import { serve, type Binding } from '../../interfaces/grpc/server.js';
import { MemoryCsiDriver, type MemoryCsiOptions } from '../../plugins/memory-csi/index.js';
import { snapshotMessage } from '../../plugins/memory-csi/snapshots.js';

type Impl = Record<string, (req: any, ctx: any) => any>;

export interface BrokenCsiVariant {
  description: string;
  /** The case id that catches this break. */
  caughtBy: string;
  /** Other cases the same break makes fail (the break touches rules they check too); none else may fail. */
  alsoCaughtBy?: string[];
  patch(b: { identity: Impl; controller: Impl; node: Impl; group: Impl }, d: MemoryCsiDriver): void;
}

export const brokenCsi: Record<string, BrokenCsiVariant> = {
  'create-not-idempotent': {
    description: 'CreateVolume makes a new volume (new id) every time, even for a name it already has',
    caughtBy: 'csi.controller.create-volume.idempotent',
    alsoCaughtBy: [
      'csi.controller.create-volume.max-length-name',
      'csi.controller.create-volume.different-capacity-already-exists',
      'csi.controller.create-volume.concurrent-same-name',
    ],
    patch({ controller }) {
      const orig = controller.createVolume;
      controller.createVolume = (req, ctx) => orig({ ...req, name: req.name ? `${req.name}-${randomBytes(3).toString('hex')}` : '' }, ctx);
    },
  },
  'missing-name-internal': {
    description: 'CreateVolume without a name answers INTERNAL instead of INVALID_ARGUMENT',
    caughtBy: 'csi.controller.create-volume.missing-name',
    patch({ controller }) {
      const orig = controller.createVolume;
      controller.createVolume = (req, ctx) => {
        if (!req.name) throw internal('no name');
        return orig(req, ctx);
      };
    },
  },
  'delete-unknown-not-found': {
    description: 'DeleteVolume of an unknown volume id answers NOT_FOUND instead of OK',
    caughtBy: 'csi.controller.delete-volume.unknown-id',
    alsoCaughtBy: ['csi.controller.delete-volume.idempotent'],
    patch({ controller }, d) {
      const orig = controller.deleteVolume;
      controller.deleteVolume = (req, ctx) => {
        if (req.volumeId && !d.store.volumes.has(req.volumeId)) throw notFound(`volume ${req.volumeId} not found`);
        return orig(req, ctx);
      };
    },
  },
  'delete-keeps-volume': {
    description: 'DeleteVolume answers OK but keeps the volume',
    caughtBy: 'csi.leak-check',
    alsoCaughtBy: ['csi.controller.delete-volume.basic', 'csi.controller.delete-volume.missing-id'],
    patch({ controller }) {
      controller.deleteVolume = async () => ({});
    },
  },
  'list-ignores-max-entries': {
    description: 'ListVolumes returns every volume whatever max_entries says',
    caughtBy: 'csi.controller.list-volumes.max-entries',
    patch({ controller }) {
      const orig = controller.listVolumes;
      controller.listVolumes = (req, ctx) => orig({ ...req, maxEntries: 0 }, ctx);
    },
  },
  'bad-token-not-aborted': {
    description: 'ListVolumes treats a starting_token it never issued as "from the start" instead of ABORTED',
    caughtBy: 'csi.controller.list-volumes.invalid-token',
    patch({ controller }) {
      const orig = controller.listVolumes;
      controller.listVolumes = (req, ctx) => orig({ ...req, startingToken: /^volumes:\d+$/.test(req.startingToken) ? req.startingToken : '' }, ctx);
    },
  },
  'validate-unknown-confirms': {
    description: 'ValidateVolumeCapabilities confirms the capabilities of a volume that does not exist',
    caughtBy: 'csi.controller.validate-volume-capabilities.unknown-volume',
    patch({ controller }, d) {
      const orig = controller.validateVolumeCapabilities;
      controller.validateVolumeCapabilities = (req, ctx) =>
        req.volumeId && !d.store.volumes.has(req.volumeId)
          ? { confirmed: { volumeCapabilities: req.volumeCapabilities, volumeContext: {}, parameters: {}, mutableParameters: {} } }
          : orig(req, ctx);
    },
  },
  'publish-unknown-node-ok': {
    description: 'ControllerPublishVolume to a node that does not exist answers OK',
    caughtBy: 'csi.controller.publish-volume.unknown-node',
    patch({ controller }, d) {
      const orig = controller.controllerPublishVolume;
      controller.controllerPublishVolume = (req, ctx) => (req.nodeId && !d.nodes.has(req.nodeId) && d.store.volumes.has(req.volumeId) ? {} : orig(req, ctx));
    },
  },
  'snapshot-name-clash-accepted': {
    description: 'CreateSnapshot with an existing name but another source volume returns the existing snapshot',
    caughtBy: 'csi.snapshots.create.same-name-different-source',
    patch({ controller }, d) {
      const orig = controller.createSnapshot;
      controller.createSnapshot = (req, ctx) => {
        const s = d.store.snapshots.named(req.name);
        return s ? { snapshot: snapshotMessage(s) } : orig(req, ctx);
      };
    },
  },
  'node-publish-not-idempotent': {
    description: 'NodePublishVolume fails when the volume is already published at the target path',
    caughtBy: 'csi.node.publish-volume.idempotent',
    alsoCaughtBy: ['csi.node.publish-volume.readonly'],
    patch({ node }, d) {
      const orig = node.nodePublishVolume;
      node.nodePublishVolume = (req, ctx) => {
        if (d.store.volumes.get(req.volumeId)?.targets.has(req.targetPath))
          throw failedPrecondition(`volume ${req.volumeId} is already published at ${req.targetPath}`);
        return orig(req, ctx);
      };
    },
  },
  'node-unpublish-unknown-target-errors': {
    description: 'NodeUnpublishVolume at a target path where the volume is not published answers NOT_FOUND',
    caughtBy: 'csi.node.unpublish-volume.unknown-target',
    alsoCaughtBy: ['csi.node.unpublish-volume.idempotent'],
    patch({ node }, d) {
      const orig = node.nodeUnpublishVolume;
      node.nodeUnpublishVolume = (req, ctx) => {
        const v = d.store.volumes.get(req.volumeId);
        if (v && req.targetPath && !v.targets.has(req.targetPath)) throw notFound(`volume ${req.volumeId} is not published at ${req.targetPath}`);
        return orig(req, ctx);
      };
    },
  },
  'create-ignores-unknown-mutable': {
    description: 'CreateVolume silently drops mutable_parameters keys it does not support instead of INVALID_ARGUMENT',
    caughtBy: 'csi.controller.create-volume.unknown-mutable-parameter',
    patch({ controller }, d) {
      const orig = controller.createVolume;
      controller.createVolume = (req, ctx) => orig({ ...req, mutableParameters: known(d, req.mutableParameters) }, ctx);
    },
  },
  'modify-ignores-unknown-mutable': {
    description: 'ControllerModifyVolume answers OK to mutable_parameters keys it does not support (ignoring them)',
    caughtBy: 'csi.controller.modify-volume.unknown-parameter',
    patch({ controller }, d) {
      const orig = controller.controllerModifyVolume;
      controller.controllerModifyVolume = (req, ctx) => {
        const kept = known(d, req.mutableParameters);
        return Object.keys(kept).length < Object.keys(req.mutableParameters).length && d.store.volumes.has(req.volumeId) ? {} : orig(req, ctx);
      };
    },
  },
  'modify-empty-ok': {
    description: 'ControllerModifyVolume answers OK to an empty mutable_parameters map (a missing REQUIRED field)',
    caughtBy: 'csi.controller.modify-volume.missing-parameters',
    patch({ controller }, d) {
      const orig = controller.controllerModifyVolume;
      controller.controllerModifyVolume = (req, ctx) => (!Object.keys(req.mutableParameters).length && d.store.volumes.has(req.volumeId) ? {} : orig(req, ctx));
    },
  },
  'modify-not-idempotent': {
    description: 'ControllerModifyVolume fails with FAILED_PRECONDITION when the volume already has the requested values',
    caughtBy: 'csi.controller.modify-volume.applies',
    patch({ controller }, d) {
      const orig = controller.controllerModifyVolume;
      controller.controllerModifyVolume = (req, ctx) => {
        const v = d.store.volumes.get(req.volumeId);
        const same = v && Object.keys(req.mutableParameters).length && Object.entries(req.mutableParameters).every(([k, x]) => v.mutable[k] === x);
        if (same) throw failedPrecondition(`volume ${req.volumeId} already has these mutable parameters`);
        return orig(req, ctx);
      };
    },
  },
  'publish-staging-checked-first': {
    description: 'NodePublishVolume checks staging_target_path (FAILED_PRECONDITION) before the required volume_capability (INVALID_ARGUMENT)',
    caughtBy: 'csi.node.publish-volume.missing-capability-and-staging',
    patch({ node }) {
      const orig = node.nodePublishVolume;
      node.nodePublishVolume = (req, ctx) => {
        if (req.volumeId && req.targetPath && !req.stagingTargetPath)
          throw failedPrecondition('staging_target_path is not set, but the plugin has STAGE_UNSTAGE_VOLUME');
        return orig(req, ctx);
      };
    },
  },
  'stats-relative-path-invalid': {
    description: 'NodeGetVolumeStats rejects a relative volume_path with INVALID_ARGUMENT before looking the volume up',
    caughtBy: 'csi.node.get-volume-stats.unknown-volume-relative-path',
    patch({ node }) {
      const orig = node.nodeGetVolumeStats;
      node.nodeGetVolumeStats = (req, ctx) => {
        if (req.volumePath && !isAbsolute(req.volumePath)) throw invalidArgument(`volume_path ${req.volumePath} is not absolute`);
        return orig(req, ctx);
      };
    },
  },
  'expand-relative-path-invalid': {
    description: 'NodeExpandVolume rejects a relative volume_path with INVALID_ARGUMENT before looking the volume up',
    caughtBy: 'csi.node.expand-volume.unknown-volume-relative-path',
    patch({ node }) {
      const orig = node.nodeExpandVolume;
      node.nodeExpandVolume = (req, ctx) => {
        if (req.volumePath && !isAbsolute(req.volumePath)) throw invalidArgument(`volume_path ${req.volumePath} is not absolute`);
        return orig(req, ctx);
      };
    },
  },
  'capabilities-flap': {
    description: 'GetPluginCapabilities leaves out the volume expansion capability on every second call',
    caughtBy: 'csi.identity.capabilities-consistent',
    patch({ identity }) {
      const orig = identity.getPluginCapabilities;
      let n = 0;
      identity.getPluginCapabilities = async (req, ctx) => {
        const res = await orig(req, ctx);
        return ++n % 2 ? res : { capabilities: res.capabilities.filter((c: { volumeExpansion?: unknown }) => !c.volumeExpansion) };
      };
    },
  },
  'concurrent-create-duplicates': {
    description: 'CreateVolume calls with one name that overlap create one volume each',
    caughtBy: 'csi.controller.create-volume.concurrent-same-name',
    patch({ controller }) {
      const orig = controller.createVolume;
      const inFlight = new Map<string, number>();
      controller.createVolume = async (req, ctx) => {
        const n = inFlight.get(req.name) ?? 0;
        inFlight.set(req.name, n + 1);
        try {
          await new Promise((r) => setTimeout(r, 30)); // a slow backend: calls overlap
          return await orig(n && req.name ? { ...req, name: `${req.name}-${n}` } : req, ctx);
        } finally {
          inFlight.set(req.name, (inFlight.get(req.name) ?? 1) - 1);
        }
      };
    },
  },
  'access-mode-defaulted': {
    description: 'CreateVolume fills in SINGLE_NODE_WRITER for a volume capability without access_mode instead of INVALID_ARGUMENT',
    caughtBy: 'csi.controller.create-volume.capability-without-access-mode',
    patch({ controller }) {
      const orig = controller.createVolume;
      controller.createVolume = (req, ctx) =>
        orig(
          {
            ...req,
            volumeCapabilities: req.volumeCapabilities.map((c: { accessMode?: unknown }) =>
              c.accessMode ? c : { ...c, accessMode: { mode: Mode.SINGLE_NODE_WRITER } },
            ),
          },
          ctx,
        );
    },
  },
  'restore-ignores-size': {
    description: "CreateVolume from a snapshot ignores capacity_range and answers a volume of the snapshot's size",
    caughtBy: 'csi.controller.create-volume.larger-than-snapshot',
    patch({ controller }) {
      const orig = controller.createVolume;
      controller.createVolume = (req, ctx) => orig(req.volumeContentSource?.snapshot ? { ...req, capacityRange: undefined } : req, ctx);
    },
  },
  'delete-volume-drops-snapshots': {
    description: 'DeleteVolume also deletes the snapshots of the volume',
    caughtBy: 'csi.controller.delete-volume.keeps-snapshots',
    patch({ controller }, d) {
      const orig = controller.deleteVolume;
      controller.deleteVolume = async (req, ctx) => {
        const res = await orig(req, ctx);
        for (const s of [...d.store.snapshots.values()]) if (s.sourceVolumeId === req.volumeId && !s.groupId) d.dropSnapshot(s);
        return res;
      };
    },
  },
  'unpublish-all-ignored': {
    description: 'ControllerUnpublishVolume without node_id answers OK but unpublishes nothing',
    caughtBy: 'csi.controller.unpublish-volume.all-nodes',
    patch({ controller }) {
      const orig = controller.controllerUnpublishVolume;
      controller.controllerUnpublishVolume = (req, ctx) => (req.volumeId && !req.nodeId ? {} : orig(req, ctx));
    },
  },
  'expand-again-fails': {
    description: 'ControllerExpandVolume fails with FAILED_PRECONDITION when the volume already has the asked size',
    caughtBy: 'csi.controller.expand-volume.idempotent',
    alsoCaughtBy: ['csi.controller.expand-volume.already-large'],
    patch({ controller }, d) {
      const orig = controller.controllerExpandVolume;
      controller.controllerExpandVolume = (req, ctx) => {
        const v = d.store.volumes.get(req.volumeId);
        if (v && req.capacityRange && v.capacity >= req.capacityRange.requiredBytes) throw failedPrecondition(`volume ${v.id} already has ${v.capacity} bytes`);
        return orig(req, ctx);
      };
    },
  },
  'expand-smaller-out-of-range': {
    description: 'ControllerExpandVolume to less than the volume has answers OUT_OF_RANGE instead of OK',
    caughtBy: 'csi.controller.expand-volume.already-large',
    patch({ controller }, d) {
      const orig = controller.controllerExpandVolume;
      controller.controllerExpandVolume = (req, ctx) => {
        const v = d.store.volumes.get(req.volumeId);
        if (v && req.capacityRange && v.capacity > req.capacityRange.requiredBytes) throw outOfRange('volumes do not shrink');
        return orig(req, ctx);
      };
    },
  },
  'offline-expands-published': {
    description: 'The plugin advertises only OFFLINE expansion, yet ControllerExpandVolume grows a published volume',
    caughtBy: 'csi.controller.expand-volume.offline-published',
    patch({ identity }) {
      const orig = identity.getPluginCapabilities;
      identity.getPluginCapabilities = async (req, ctx) => {
        const res = await orig(req, ctx);
        return {
          capabilities: res.capabilities.map((c: { volumeExpansion?: unknown }) => (c.volumeExpansion ? { volumeExpansion: { type: Expansion.OFFLINE } } : c)),
        };
      };
    },
  },
  'stage-incompatible-ok': {
    description: 'NodeStageVolume at the staging path of the volume answers OK whatever the volume_capability',
    caughtBy: 'csi.node.stage-volume.incompatible-capability',
    patch({ node }, d) {
      const orig = node.nodeStageVolume;
      node.nodeStageVolume = (req, ctx) =>
        d.store.volumes.get(req.volumeId)?.staging?.path === req.stagingTargetPath && req.stagingTargetPath ? {} : orig(req, ctx);
    },
  },
  'unstage-unknown-ok': {
    description: 'NodeUnstageVolume of a volume that does not exist answers OK instead of NOT_FOUND',
    caughtBy: 'csi.node.unstage-volume.unknown-volume',
    patch({ node }, d) {
      const orig = node.nodeUnstageVolume;
      node.nodeUnstageVolume = (req, ctx) => (req.volumeId && req.stagingTargetPath && !d.store.volumes.has(req.volumeId) ? {} : orig(req, ctx));
    },
  },
  'second-target-ok': {
    description: 'NodePublishVolume of a single-target volume at a second target path answers OK (without publishing)',
    caughtBy: 'csi.node.publish-volume.second-target',
    patch({ node }) {
      const orig = node.nodePublishVolume;
      node.nodePublishVolume = async (req, ctx) => {
        try {
          return await orig(req, ctx);
        } catch (e) {
          if (e instanceof StatusError && e.code === Status.FAILED_PRECONDITION && /one target path/.test(e.message)) return {};
          throw e;
        }
      };
    },
  },
  'short-paths-only': {
    description: 'NodeStageVolume and NodePublishVolume refuse paths longer than 150 bytes',
    caughtBy: 'csi.node.long-paths',
    patch({ node }) {
      for (const [rpc, field] of [
        ['nodeStageVolume', 'stagingTargetPath'],
        ['nodePublishVolume', 'targetPath'],
      ] as const) {
        const orig = node[rpc];
        node[rpc] = (req, ctx) => {
          if (Buffer.byteLength(req[field]) > 150) throw invalidArgument(`${field} is longer than 150 bytes`);
          return orig(req, ctx);
        };
      }
    },
  },
  'snapshot-never-ready': {
    description: 'CreateSnapshot always answers ready_to_use false',
    caughtBy: 'csi.snapshots.create.ready-to-use',
    patch({ controller }) {
      const orig = controller.createSnapshot;
      controller.createSnapshot = async (req, ctx) => {
        const res = await orig(req, ctx);
        return { snapshot: { ...res.snapshot, readyToUse: false } };
      };
    },
  },
  'group-name-clash-accepted': {
    description: 'CreateVolumeGroupSnapshot with an existing name but other source volumes returns the existing group',
    caughtBy: 'csi.group-controller.create.incompatible',
    patch({ group }, d) {
      const orig = group.createVolumeGroupSnapshot;
      group.createVolumeGroupSnapshot = (req, ctx) => {
        const g = d.store.groups.named(req.name);
        return g ? orig({ ...req, sourceVolumeIds: g.sourceVolumeIds, parameters: g.parameters }, ctx) : orig(req, ctx);
      };
    },
  },
  'group-get-ignores-snapshot-ids': {
    description: 'GetVolumeGroupSnapshot does not check snapshot_ids against the group',
    caughtBy: 'csi.group-controller.get.snapshot-list-mismatch',
    patch({ group }, d) {
      const orig = group.getVolumeGroupSnapshot;
      group.getVolumeGroupSnapshot = (req, ctx) => orig({ ...req, snapshotIds: d.store.groups.get(req.groupSnapshotId)?.snapshotIds ?? req.snapshotIds }, ctx);
    },
  },
  'group-delete-ignores-snapshot-ids': {
    description: 'DeleteVolumeGroupSnapshot does not check snapshot_ids against the group',
    caughtBy: 'csi.group-controller.delete.snapshot-list-mismatch',
    patch({ group }, d) {
      const orig = group.deleteVolumeGroupSnapshot;
      group.deleteVolumeGroupSnapshot = (req, ctx) =>
        orig({ ...req, snapshotIds: d.store.groups.get(req.groupSnapshotId)?.snapshotIds ?? req.snapshotIds }, ctx);
    },
  },
  'get-snapshot-hides-members': {
    description: 'GetSnapshot answers NOT_FOUND for snapshots that belong to a group',
    caughtBy: 'csi.group-controller.member-get-snapshot',
    patch({ controller }, d) {
      const orig = controller.getSnapshot;
      controller.getSnapshot = (req, ctx) => {
        if (d.store.snapshots.get(req.snapshotId)?.groupId) throw notFound(`snapshot ${req.snapshotId} not found`);
        return orig(req, ctx);
      };
    },
  },
  'group-get-empty-id-not-found': {
    description: 'GetVolumeGroupSnapshot without group_snapshot_id answers NOT_FOUND instead of INVALID_ARGUMENT',
    caughtBy: 'csi.group-controller.get.missing-id',
    patch({ group }) {
      const orig = group.getVolumeGroupSnapshot;
      group.getVolumeGroupSnapshot = (req, ctx) => {
        if (!req.groupSnapshotId) throw notFound('group snapshot "" not found');
        return orig(req, ctx);
      };
    },
  },
  'huge-volume-context': {
    description: 'CreateVolume answers a volume_context of 5 KiB, above the 4 KiB map limit',
    caughtBy: 'csi.controller.create-volume.basic',
    // The case passes the volume_context back, as a CO does: validation sees the bad context too.
    alsoCaughtBy: ['csi.controller.validate-volume-capabilities.confirmed'],
    patch({ controller }) {
      const orig = controller.createVolume;
      controller.createVolume = async (req, ctx) => {
        const res = await orig(req, ctx);
        return { volume: { ...res.volume, volumeContext: { ...res.volume.volumeContext, 'triad.test/padding': 'x'.repeat(5 * 1024) } } };
      };
    },
  },
  'volume-context-changes': {
    description: 'CreateVolume answers a different volume_context each time, also for the same volume',
    caughtBy: 'csi.controller.create-volume.idempotent',
    // The case passes the volume_context back, as a CO does: validation sees the bad context too.
    alsoCaughtBy: ['csi.controller.validate-volume-capabilities.confirmed'],
    patch({ controller }) {
      const orig = controller.createVolume;
      let n = 0;
      controller.createVolume = async (req, ctx) => {
        const res = await orig(req, ctx);
        return { volume: { ...res.volume, volumeContext: { ...res.volume.volumeContext, 'triad.test/call': String(++n) } } };
      };
    },
  },
  'validate-flaps': {
    description: 'ValidateVolumeCapabilities confirms only every second time it is asked',
    caughtBy: 'csi.controller.validate-volume-capabilities.confirmed',
    patch({ controller }) {
      const orig = controller.validateVolumeCapabilities;
      let n = 0;
      controller.validateVolumeCapabilities = async (req, ctx) => {
        const res = await orig(req, ctx);
        return ++n % 2 ? res : { message: 'not this time' };
      };
    },
  },
  'bad-topology-key': {
    description: 'NodeGetInfo reports a topology key that is not in the key format',
    caughtBy: 'csi.node.get-info',
    patch({ node }) {
      const orig = node.nodeGetInfo;
      node.nodeGetInfo = async (req, ctx) => {
        const res = await orig(req, ctx);
        return { ...res, accessibleTopology: { segments: { ...res.accessibleTopology?.segments, 'Zone Name!': 'a' } } };
      };
    },
  },
  'node-expand-again-fails': {
    description: 'NodeExpandVolume fails with FAILED_PRECONDITION when the node already has the asked size',
    caughtBy: 'csi.node.expand-volume',
    patch({ node }, d) {
      const orig = node.nodeExpandVolume;
      node.nodeExpandVolume = (req, ctx) => {
        const v = d.store.volumes.get(req.volumeId);
        if (v && req.capacityRange && v.nodeCapacity >= req.capacityRange.requiredBytes)
          throw failedPrecondition(`volume ${v.id} is already ${v.nodeCapacity} bytes on the node`);
        return orig(req, ctx);
      };
    },
  },
  'group-ready-with-unready-member': {
    description: 'CreateVolumeGroupSnapshot answers a ready group whose member snapshots are not ready',
    caughtBy: 'csi.group-controller.create.basic',
    patch({ group }) {
      const orig = group.createVolumeGroupSnapshot;
      group.createVolumeGroupSnapshot = async (req, ctx) => {
        const res = await orig(req, ctx);
        return {
          groupSnapshot: { ...res.groupSnapshot, readyToUse: true, snapshots: res.groupSnapshot.snapshots.map((x: object) => ({ ...x, readyToUse: false })) },
        };
      };
    },
  },
  'node-expand-huge-ok': {
    description: 'NodeExpandVolume answers OK to a capacity no volume can have (4 EiB), reporting it as the new size',
    caughtBy: 'csi.node.expand-volume.unsupported-capacity',
    patch({ node }) {
      const orig = node.nodeExpandVolume;
      node.nodeExpandVolume = (req, ctx) =>
        req.volumeId && req.capacityRange?.requiredBytes >= 2n ** 62n ? { capacityBytes: req.capacityRange.requiredBytes } : orig(req, ctx);
    },
  },
  'bad-plugin-name': {
    description: 'GetPluginInfo reports a name that is not in domain-name notation',
    caughtBy: 'csi.identity.get-plugin-info.name',
    patch({ identity }) {
      const orig = identity.getPluginInfo;
      identity.getPluginInfo = async (req, ctx) => ({ ...(await orig(req, ctx)), name: 'Triad Memory CSI_driver!' });
    },
  },
};

/** The mutable parameters of `params` the driver supports. */
function known(d: MemoryCsiDriver, params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([k]) => d.mutableParameterKeys.has(k)));
}

export interface RunningBrokenCsi {
  endpoint: string;
  driver: MemoryCsiDriver;
  close(): Promise<void>;
}

/** Serve memory-csi with one variant's break applied (no variant: the healthy driver, same way). */
export async function serveBrokenCsi(variant: string | undefined, opts: MemoryCsiOptions & { endpoint: string }): Promise<RunningBrokenCsi> {
  const v = variant ? brokenCsi[variant] : undefined;
  if (variant && !v) throw new Error(`unknown broken CSI variant ${variant} (known: ${Object.keys(brokenCsi).join(', ')})`);
  const d = new MemoryCsiDriver(opts);
  await d.mechanism();
  const bindings = d.bindings() as Binding<any>[];
  const find = (def: unknown) => {
    const b = bindings.find((x) => x.def === def);
    if (!b) throw new Error('memory-csi binding missing');
    b.impl = { ...b.impl };
    return b.impl as Impl;
  };
  v?.patch(
    { identity: find(IdentityDefinition), controller: find(ControllerDefinition), node: find(NodeDefinition), group: find(GroupControllerDefinition) },
    d,
  );
  const server = await serve(opts.endpoint, bindings);
  return {
    endpoint: server.endpoint.display,
    driver: d,
    close: async () => {
      await server.close();
      await d.close();
    },
  };
}
