// CSI Node service: NodeGetInfo, capabilities, the stage → publish → unpublish → unstage order
// with idempotency at every step, required fields, unknown volumes, readonly publish, stats and
// expansion. Staging and target parents are per-case directories under --staging-dir and
// --target-dir (the CO's duty, per the spec); the plugin creates and removes the target itself.
import { lstatSync } from 'node:fs';
import { PluginCapability_Service_Type as ServiceCap, VolumeUsage_Unit as Unit } from '../../interfaces/gen/csi/csi.js';
import { expectCode, expectNonEmpty, expectOk, expectTrue } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { csiCase, type CsiCaseDef } from './case.js';
import { CONTROLLER, CREATE_DELETE, CtrlCap, NodeCap, PUBLISH_UNPUBLISH, RULES, STAGE_UNSTAGE, cap, type CsiEnv, type CsiKit } from './kit.js';

const G = 'csi.Node';
const c = (d: Omit<CsiCaseDef, 'group'> & { group?: string }) => csiCase({ group: G, ...d });
const N = (t: NodeCap) => cap.node(t);
/** Cases that need a real volume on this node. */
const vol = [CONTROLLER, CREATE_DELETE];
const present = (p: string) => { try { lstatSync(p); return true; } catch { return false; } };

function missing(id: string, rpc: string, field: string, needs: string[], call: (k: CsiKit) => Promise<{ p: Promise<unknown> }>): CaseDef<CsiEnv> {
  return c({
    id, needs, name: `${rpc} without ${field} fails with INVALID_ARGUMENT`,
    async run(k) { await expectCode((await call(k)).p, 'INVALID_ARGUMENT', RULES.required(rpc, field)); },
  });
}

/** A ready volume published at a fresh target path. */
async function published(k: CsiKit, readonly = false) {
  const r = await k.readyVolume();
  const targetPath = await k.publish(r.volume.volumeId, { stagingTargetPath: r.stagingTargetPath, publishContext: r.publishContext, volumeContext: r.volume.volumeContext, readonly });
  return { ...r, targetPath };
}

export const nodeCases: CaseDef<CsiEnv>[] = [
  c({
    id: 'csi.node.get-info', name: 'NodeGetInfo returns a node_id (and topology only with VOLUME_ACCESSIBILITY_CONSTRAINTS)',
    async run(k) {
      const p = k.node.nodeGetInfo({});
      const info = await expectOk(p, 'CSI NodeGetInfo MUST answer OK');
      expectNonEmpty(info.nodeId, 'CSI NodeGetInfo: node_id is REQUIRED', 'node_id', p);
      expectTrue(info.maxVolumesPerNode >= 0n, `max_volumes_per_node is ${info.maxVolumesPerNode}`, 'CSI NodeGetInfo: max_volumes_per_node MUST NOT be negative', { call: p });
      if (info.accessibleTopology && Object.keys(info.accessibleTopology.segments).length) {
        expectTrue(k.has(cap.plugin(ServiceCap.VOLUME_ACCESSIBILITY_CONSTRAINTS)), 'accessible_topology is set but the plugin does not advertise VOLUME_ACCESSIBILITY_CONSTRAINTS',
          'CSI NodeGetInfo: a plugin that returns accessible_topology MUST also set the VOLUME_ACCESSIBILITY_CONSTRAINTS plugin capability', { call: p });
      }
    },
  }),
  c({
    id: 'csi.node.get-capabilities', name: 'NodeGetCapabilities answers OK and every capability has a known type',
    async run(k) {
      const p = k.node.nodeGetCapabilities({});
      const res = await expectOk(p, 'CSI NodeGetCapabilities MUST answer OK');
      res.capabilities.forEach((x, i) => expectTrue((x.rpc?.type ?? 0) > 0, `capabilities[${i}].rpc.type is ${x.rpc ? NodeCap[x.rpc.type] ?? x.rpc.type : 'unset'}`, 'CSI NodeServiceCapability: rpc.type is set and not UNKNOWN', { call: p }));
    },
  }),
  c({
    id: 'csi.node.lifecycle', needs: vol,
    name: 'A volume goes through ControllerPublish, NodeStage, NodePublish, NodeUnpublish, NodeUnstage, ControllerUnpublish, DeleteVolume',
    async run(k) {
      const { volume, publishContext, stagingTargetPath, targetPath } = await published(k);
      expectTrue(present(targetPath), `nothing exists at target_path ${targetPath} after NodePublishVolume`, 'CSI NodePublishVolume: the plugin makes the volume available at target_path (creating it)');
      await expectOk(k.node.nodeUnpublishVolume({ volumeId: volume.volumeId, targetPath }), 'CSI NodeUnpublishVolume MUST undo NodePublishVolume and answer OK');
      if (stagingTargetPath) await expectOk(k.node.nodeUnstageVolume({ volumeId: volume.volumeId, stagingTargetPath }), 'CSI NodeUnstageVolume MUST undo NodeStageVolume and answer OK');
      if (k.has(PUBLISH_UNPUBLISH)) await expectOk(k.controller.controllerUnpublishVolume({ volumeId: volume.volumeId, nodeId: k.env.nodeId }), 'CSI ControllerUnpublishVolume MUST undo ControllerPublishVolume and answer OK');
      await expectOk(k.controller.deleteVolume({ volumeId: volume.volumeId }), 'CSI DeleteVolume MUST delete a volume no longer in use and answer OK');
      void publishContext;
    },
  }),
  c({
    id: 'csi.node.unpublish.removes-target', needs: vol,
    name: 'NodeUnpublishVolume removes what NodePublishVolume created at target_path',
    async run(k) {
      const { volume, targetPath } = await published(k);
      await expectOk(k.node.nodeUnpublishVolume({ volumeId: volume.volumeId, targetPath }), 'CSI NodeUnpublishVolume MUST undo NodePublishVolume and answer OK');
      expectTrue(!present(targetPath), `target_path ${targetPath} still exists after NodeUnpublishVolume`, 'CSI NodeUnpublishVolume: the SP MUST delete the file or directory it created at target_path');
    },
  }),
  c({
    id: 'csi.node.publish.idempotent', needs: vol,
    name: 'NodePublishVolume twice with the same arguments answers OK both times',
    async run(k) {
      const { volume, publishContext, stagingTargetPath, targetPath } = await published(k);
      await expectOk(k.node.nodePublishVolume({ volumeId: volume.volumeId, targetPath, stagingTargetPath, volumeCapability: k.cap(), publishContext, volumeContext: volume.volumeContext, readonly: false }),
        'CSI NodePublishVolume is idempotent: if the volume is already published at target_path with the same capability and readonly flag, the plugin MUST reply 0 OK');
      expectTrue(present(targetPath), `target_path ${targetPath} is gone after the repeated NodePublishVolume`, 'CSI NodePublishVolume: the volume stays available at target_path');
    },
  }),
  c({
    id: 'csi.node.stage.idempotent', needs: [...vol, STAGE_UNSTAGE],
    name: 'NodeStageVolume twice with the same arguments answers OK both times',
    async run(k) {
      const { volume, publishContext, stagingTargetPath } = await k.readyVolume();
      await expectOk(k.node.nodeStageVolume({ volumeId: volume.volumeId, stagingTargetPath, volumeCapability: k.cap(), publishContext, volumeContext: volume.volumeContext }),
        'CSI NodeStageVolume is idempotent: if the volume is already staged at staging_target_path with the same capability, the plugin MUST reply 0 OK');
    },
  }),
  c({
    id: 'csi.node.unpublish.idempotent', needs: vol,
    name: 'NodeUnpublishVolume twice answers OK both times',
    async run(k) {
      const { volume, targetPath } = await published(k);
      await expectOk(k.node.nodeUnpublishVolume({ volumeId: volume.volumeId, targetPath }), 'CSI NodeUnpublishVolume MUST undo NodePublishVolume and answer OK');
      await expectOk(k.node.nodeUnpublishVolume({ volumeId: volume.volumeId, targetPath }), 'CSI NodeUnpublishVolume is idempotent: if the volume is not published at target_path (anymore), the plugin MUST reply 0 OK');
    },
  }),
  c({
    id: 'csi.node.unstage.idempotent', needs: [...vol, STAGE_UNSTAGE],
    name: 'NodeUnstageVolume twice answers OK both times',
    async run(k) {
      const { volume, stagingTargetPath } = await k.readyVolume();
      await expectOk(k.node.nodeUnstageVolume({ volumeId: volume.volumeId, stagingTargetPath }), 'CSI NodeUnstageVolume MUST undo NodeStageVolume and answer OK');
      await expectOk(k.node.nodeUnstageVolume({ volumeId: volume.volumeId, stagingTargetPath }), 'CSI NodeUnstageVolume is idempotent: if the volume is not staged at staging_target_path (anymore), the plugin MUST reply 0 OK');
    },
  }),
  c({
    id: 'csi.node.unpublish.unknown-target', needs: vol,
    name: 'NodeUnpublishVolume at a target_path where the volume was never published answers OK',
    async run(k) {
      const { volume } = await k.readyVolume();
      await expectOk(k.node.nodeUnpublishVolume({ volumeId: volume.volumeId, targetPath: k.targetPath() }),
        'CSI NodeUnpublishVolume is idempotent: a volume not published at target_path is already in the desired state, and the plugin MUST reply 0 OK');
    },
  }),
  c({
    id: 'csi.node.publish.readonly', needs: vol,
    name: 'NodePublishVolume readonly answers OK; publishing again writable at the same target fails with ALREADY_EXISTS',
    async run(k) {
      const { volume, publishContext, stagingTargetPath, targetPath } = await published(k, true);
      await expectCode(k.node.nodePublishVolume({ volumeId: volume.volumeId, targetPath, stagingTargetPath, volumeCapability: k.cap(), publishContext, volumeContext: volume.volumeContext, readonly: false }), 'ALREADY_EXISTS',
        'CSI NodePublishVolume: the volume is already published at target_path with an incompatible readonly flag → 6 ALREADY_EXISTS');
    },
  }),
  c({
    id: 'csi.node.publish.without-staging', needs: [...vol, STAGE_UNSTAGE],
    name: 'NodePublishVolume without staging_target_path on a plugin with STAGE_UNSTAGE_VOLUME fails with FAILED_PRECONDITION',
    async run(k) {
      const v = await k.createVolume();
      const publishContext = await k.controllerPublish(v.volumeId);
      const targetPath = k.targetPath();
      const p = k.node.nodePublishVolume({ volumeId: v.volumeId, targetPath, stagingTargetPath: '', volumeCapability: k.cap(), publishContext, volumeContext: v.volumeContext });
      p.then(() => k.ctx.cleanup(() => k.env.client.node.nodeUnpublishVolume({ volumeId: v.volumeId, targetPath }), `NodeUnpublishVolume ${targetPath}`), () => undefined);
      await expectCode(p, 'FAILED_PRECONDITION', 'CSI NodePublishVolume: STAGE_UNSTAGE_VOLUME is set but no staging_target_path was given → 9 FAILED_PRECONDITION');
    },
  }),
  c({
    id: 'csi.node.publish.unknown-volume', name: 'NodePublishVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      const staging = k.has(STAGE_UNSTAGE) ? k.stagingPath() : '';
      await expectCode(k.node.nodePublishVolume({ volumeId: k.ctx.unique('missing-volume'), targetPath: k.targetPath(), stagingTargetPath: staging, volumeCapability: k.cap() }), 'NOT_FOUND',
        'CSI NodePublishVolume: volume does not exist → 5 NOT_FOUND');
    },
  }),
  c({
    id: 'csi.node.stage.unknown-volume', needs: [STAGE_UNSTAGE], name: 'NodeStageVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.node.nodeStageVolume({ volumeId: k.ctx.unique('missing-volume'), stagingTargetPath: k.stagingPath(), volumeCapability: k.cap() }), 'NOT_FOUND',
        'CSI NodeStageVolume: volume does not exist → 5 NOT_FOUND');
    },
  }),
  c({
    id: 'csi.node.unpublish.unknown-volume', tags: ['Optional'], name: 'NodeUnpublishVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.node.nodeUnpublishVolume({ volumeId: k.ctx.unique('missing-volume'), targetPath: k.targetPath() }), 'NOT_FOUND',
        'CSI NodeUnpublishVolume: volume does not exist → 5 NOT_FOUND');
    },
  }),
  missing('csi.node.publish.missing-volume-id', 'NodePublishVolume', 'volume_id', [], async (k) => ({ p: k.node.nodePublishVolume({ volumeId: '', targetPath: k.targetPath(), stagingTargetPath: k.has(STAGE_UNSTAGE) ? k.stagingPath() : '', volumeCapability: k.cap() }) })),
  missing('csi.node.publish.missing-target-path', 'NodePublishVolume', 'target_path', vol, async (k) => {
    const r = await k.readyVolume();
    return { p: k.node.nodePublishVolume({ volumeId: r.volume.volumeId, targetPath: '', stagingTargetPath: r.stagingTargetPath, volumeCapability: k.cap(), publishContext: r.publishContext }) };
  }),
  missing('csi.node.publish.missing-capability', 'NodePublishVolume', 'volume_capability', vol, async (k) => {
    const r = await k.readyVolume();
    const targetPath = k.targetPath();
    const p = k.node.nodePublishVolume({ volumeId: r.volume.volumeId, targetPath, stagingTargetPath: r.stagingTargetPath, publishContext: r.publishContext });
    p.then(() => k.ctx.cleanup(() => k.env.client.node.nodeUnpublishVolume({ volumeId: r.volume.volumeId, targetPath }), `NodeUnpublishVolume ${targetPath}`), () => undefined);
    return { p };
  }),
  missing('csi.node.unpublish.missing-volume-id', 'NodeUnpublishVolume', 'volume_id', [], async (k) => ({ p: k.node.nodeUnpublishVolume({ volumeId: '', targetPath: k.targetPath() }) })),
  missing('csi.node.unpublish.missing-target-path', 'NodeUnpublishVolume', 'target_path', vol, async (k) => {
    const { volume } = await published(k);
    return { p: k.node.nodeUnpublishVolume({ volumeId: volume.volumeId, targetPath: '' }) };
  }),
  missing('csi.node.stage.missing-volume-id', 'NodeStageVolume', 'volume_id', [STAGE_UNSTAGE], async (k) => ({ p: k.node.nodeStageVolume({ volumeId: '', stagingTargetPath: k.stagingPath(), volumeCapability: k.cap() }) })),
  missing('csi.node.stage.missing-staging-path', 'NodeStageVolume', 'staging_target_path', [...vol, STAGE_UNSTAGE], async (k) => {
    const v = await k.createVolume();
    const publishContext = await k.controllerPublish(v.volumeId);
    return { p: k.node.nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: '', volumeCapability: k.cap(), publishContext }) };
  }),
  missing('csi.node.stage.missing-capability', 'NodeStageVolume', 'volume_capability', [...vol, STAGE_UNSTAGE], async (k) => {
    const v = await k.createVolume();
    const publishContext = await k.controllerPublish(v.volumeId);
    const stagingTargetPath = k.stagingPath();
    const p = k.node.nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath, publishContext });
    p.then(() => k.ctx.cleanup(() => k.env.client.node.nodeUnstageVolume({ volumeId: v.volumeId, stagingTargetPath }), `NodeUnstageVolume ${stagingTargetPath}`), () => undefined);
    return { p };
  }),
  missing('csi.node.unstage.missing-volume-id', 'NodeUnstageVolume', 'volume_id', [STAGE_UNSTAGE], async (k) => ({ p: k.node.nodeUnstageVolume({ volumeId: '', stagingTargetPath: k.stagingPath() }) })),
  missing('csi.node.unstage.missing-staging-path', 'NodeUnstageVolume', 'staging_target_path', [...vol, STAGE_UNSTAGE], async (k) => {
    const r = await k.readyVolume();
    return { p: k.node.nodeUnstageVolume({ volumeId: r.volume.volumeId, stagingTargetPath: '' }) };
  }),

  // ---- NodeGetVolumeStats ------------------------------------------------------------------
  c({
    id: 'csi.node.get-volume-stats', needs: [...vol, N(NodeCap.GET_VOLUME_STATS)],
    name: 'NodeGetVolumeStats of a published volume reports usage',
    async run(k) {
      const { volume, targetPath } = await published(k);
      const p = k.node.nodeGetVolumeStats({ volumeId: volume.volumeId, volumePath: targetPath });
      const res = await expectOk(p, 'CSI NodeGetVolumeStats MUST answer OK for a volume published at volume_path');
      expectTrue(res.usage.length > 0, 'usage is empty', 'CSI NodeGetVolumeStats: usage is REQUIRED (at least one VolumeUsage)', { call: p });
      res.usage.forEach((u, i) => expectTrue(u.unit === Unit.BYTES || u.unit === Unit.INODES, `usage[${i}].unit is ${Unit[u.unit] ?? u.unit}`, 'CSI VolumeUsage.unit is BYTES or INODES', { call: p }));
      if (k.has(N(NodeCap.VOLUME_CONDITION))) expectTrue(res.volumeCondition !== undefined, 'volume_condition is unset', 'CSI NodeGetVolumeStats: with node VOLUME_CONDITION, volume_condition MUST be set', { call: p });
    },
  }),
  missing('csi.node.get-volume-stats.missing-volume-id', 'NodeGetVolumeStats', 'volume_id', [N(NodeCap.GET_VOLUME_STATS)], async (k) => ({ p: k.node.nodeGetVolumeStats({ volumeId: '', volumePath: k.targetPath() }) })),
  missing('csi.node.get-volume-stats.missing-volume-path', 'NodeGetVolumeStats', 'volume_path', [...vol, N(NodeCap.GET_VOLUME_STATS)], async (k) => {
    const { volume } = await published(k);
    return { p: k.node.nodeGetVolumeStats({ volumeId: volume.volumeId, volumePath: '' }) };
  }),
  c({
    id: 'csi.node.get-volume-stats.unknown-volume', needs: [N(NodeCap.GET_VOLUME_STATS)],
    name: 'NodeGetVolumeStats of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.node.nodeGetVolumeStats({ volumeId: k.ctx.unique('missing-volume'), volumePath: k.targetPath() }), 'NOT_FOUND', 'CSI NodeGetVolumeStats: volume does not exist → 5 NOT_FOUND');
    },
  }),
  c({
    id: 'csi.node.get-volume-stats.unknown-path', needs: [...vol, N(NodeCap.GET_VOLUME_STATS)],
    name: 'NodeGetVolumeStats at a volume_path where the volume is not published fails with NOT_FOUND',
    async run(k) {
      const { volume } = await published(k);
      await expectCode(k.node.nodeGetVolumeStats({ volumeId: volume.volumeId, volumePath: k.targetPath() }), 'NOT_FOUND', 'CSI NodeGetVolumeStats: the volume does not exist at volume_path → 5 NOT_FOUND');
    },
  }),

  // ---- NodeExpandVolume --------------------------------------------------------------------
  c({
    id: 'csi.node.expand-volume', needs: [...vol, N(NodeCap.EXPAND_VOLUME), cap.controller(CtrlCap.EXPAND_VOLUME)],
    name: 'NodeExpandVolume after ControllerExpandVolume grows the published volume',
    async run(k) {
      const { volume, targetPath, stagingTargetPath } = await published(k);
      const want = k.env.size * 2n;
      await expectOk(k.controller.controllerExpandVolume({ volumeId: volume.volumeId, capacityRange: { requiredBytes: want }, volumeCapability: k.cap() }), 'CSI ControllerExpandVolume MUST grow an existing volume and answer OK');
      const p = k.node.nodeExpandVolume({ volumeId: volume.volumeId, volumePath: targetPath, stagingTargetPath, capacityRange: { requiredBytes: want }, volumeCapability: k.cap() });
      const res = await expectOk(p, 'CSI NodeExpandVolume MUST expand a volume published at volume_path and answer OK');
      expectTrue(res.capacityBytes === 0n || res.capacityBytes >= want, `capacity_bytes ${res.capacityBytes} is below required_bytes ${want}`, 'CSI NodeExpandVolume: capacity_bytes, when set, is the capacity after expansion', { call: p });
    },
  }),
  missing('csi.node.expand-volume.missing-volume-id', 'NodeExpandVolume', 'volume_id', [N(NodeCap.EXPAND_VOLUME)], async (k) => ({ p: k.node.nodeExpandVolume({ volumeId: '', volumePath: k.targetPath() }) })),
  missing('csi.node.expand-volume.missing-volume-path', 'NodeExpandVolume', 'volume_path', [...vol, N(NodeCap.EXPAND_VOLUME)], async (k) => {
    const { volume } = await published(k);
    return { p: k.node.nodeExpandVolume({ volumeId: volume.volumeId, volumePath: '' }) };
  }),
  c({
    id: 'csi.node.expand-volume.unknown-volume', needs: [N(NodeCap.EXPAND_VOLUME)],
    name: 'NodeExpandVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.node.nodeExpandVolume({ volumeId: k.ctx.unique('missing-volume'), volumePath: k.targetPath(), capacityRange: { requiredBytes: k.env.size } }), 'NOT_FOUND', 'CSI NodeExpandVolume: volume does not exist → 5 NOT_FOUND');
    },
  }),
];

