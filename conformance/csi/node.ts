// CSI Node service: NodeGetInfo, capabilities, the stage → publish → unpublish → unstage order
// with idempotency at every step, required fields, unknown volumes, readonly publish, stats and
// expansion. Staging and target parents are per-case directories under --staging-dir and
// --target-dir (the CO's duty, per the spec); the plugin creates and removes the target itself.
import { lstatSync } from 'node:fs';
import { PluginCapability_Service_Type as ServiceCap, VolumeUsage_Unit as Unit } from '../../interfaces/gen/csi/csi.js';
import { RpcError } from '../../interfaces/grpc/errors.js';
import { expectCode, expectNonEmpty, expectOk, expectTrue } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { missing } from './case.js';
import {
  CONTROLLER,
  CREATE_DELETE,
  CtrlCap,
  LIFECYCLE,
  Mode,
  checkTopology,
  NodeCap,
  PUBLISH_UNPUBLISH,
  RULES,
  STAGE_UNSTAGE,
  VOLUME,
  cap,
  type CsiEnv,
  CsiKit,
} from './kit.js';

const G = 'csi.Node';
const c = defineCases(CsiKit, G);
const N = (t: NodeCap) => cap.node(t);
/** Cases that need a real volume on this node. */
const vol = [CONTROLLER, CREATE_DELETE];
const present = (p: string) => {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
};

/** A ready volume published at a fresh target path. */
async function published(k: CsiKit, readonly = false) {
  const r = await k.readyVolume();
  const targetPath = await k.publish(r.volume.volumeId, {
    stagingTargetPath: r.stagingTargetPath,
    publishContext: r.publishContext,
    volumeContext: r.volume.volumeContext,
    readonly,
  });
  return { ...r, targetPath };
}

export const nodeCases: CaseDef<CsiEnv>[] = [
  c({
    id: 'csi.node.get-info',
    rpc: 'NodeGetInfo',
    rules: [
      'csi.node-get-info.implemented',
      'csi.node-get-info.node-id',
      'csi.node-get-info.max-volumes-non-negative',
      'csi.node-get-info.topology-needs-capability',
      'csi.create-volume.topology-key-format',
    ],
    name: 'NodeGetInfo returns a node_id (and topology only with VOLUME_ACCESSIBILITY_CONSTRAINTS)',
    async run(k) {
      const p = k.node.nodeGetInfo({});
      const info = await expectOk(p, { rule: 'csi.node-get-info.implemented' });
      expectNonEmpty(info.nodeId, { rule: 'csi.node-get-info.node-id', what: 'node_id', call: p });
      expectTrue(Buffer.byteLength(info.nodeId) <= 256, `node_id has ${Buffer.byteLength(info.nodeId)} bytes`, { rule: 'csi.node-get-info.node-id', call: p });
      expectTrue(info.maxVolumesPerNode >= 0n, `max_volumes_per_node is ${info.maxVolumesPerNode}`, {
        rule: 'csi.node-get-info.max-volumes-non-negative',
        call: p,
      });
      if (info.accessibleTopology && Object.keys(info.accessibleTopology.segments).length) {
        expectTrue(
          k.has(cap.plugin(ServiceCap.VOLUME_ACCESSIBILITY_CONSTRAINTS)),
          'accessible_topology is set but the plugin does not advertise VOLUME_ACCESSIBILITY_CONSTRAINTS',
          { rule: 'csi.node-get-info.topology-needs-capability', call: p },
        );
        checkTopology(info.accessibleTopology.segments, 'accessible_topology', p);
      }
    },
  }),
  c({
    id: 'csi.node.get-capabilities',
    rpc: 'NodeGetCapabilities',
    rules: ['csi.node-get-capabilities.implemented', 'csi.architecture.node-service', 'csi.node-get-capabilities.volume-condition-needs-stats'],
    name: 'NodeGetCapabilities answers OK and every capability has a known type; with VOLUME_CONDITION, NodeGetVolumeStats is served',
    async run(k) {
      const p = k.node.nodeGetCapabilities({});
      const res = await expectOk(p, { rule: 'csi.node-get-capabilities.implemented' });
      res.capabilities.forEach((x, i) =>
        expectTrue((x.rpc?.type ?? 0) > 0, `capabilities[${i}].rpc.type is ${x.rpc ? (NodeCap[x.rpc.type] ?? x.rpc.type) : 'unset'}`, {
          rule: 'csi.node-get-capabilities.implemented',
          call: p,
        }),
      );
      if (k.has(N(NodeCap.VOLUME_CONDITION))) {
        const s = k.node.nodeGetVolumeStats({ volumeId: k.ctx.unique('missing-volume'), volumePath: k.targetPath() });
        const answer = await s.then(
          () => 'OK',
          (e) => (e instanceof RpcError ? e.codeName : String(e)),
        );
        expectTrue(answer !== 'UNIMPLEMENTED', 'the plugin advertises node VOLUME_CONDITION but NodeGetVolumeStats is UNIMPLEMENTED', {
          rule: 'csi.node-get-capabilities.volume-condition-needs-stats',
          call: s,
        });
      }
    },
  }),
  c({
    id: 'csi.node.lifecycle',
    rpc: 'DeleteVolume',
    rules: [
      ...LIFECYCLE,
      'csi.node-publish-volume.single-node-writer-accepted',
      'csi.node-get-capabilities.single-node-writer-accepted',
      'csi.node-publish-volume.target-placed',
      'csi.node-unpublish-volume.implemented',
      'csi.node-unstage-volume.implemented',
      'csi.controller-unpublish-volume.implemented',
      'csi.delete-volume.implemented',
    ],
    needs: vol,
    name: 'A volume goes through ControllerPublish, NodeStage, NodePublish, NodeUnpublish, NodeUnstage, ControllerUnpublish, DeleteVolume',
    async run(k) {
      const { volume, publishContext, stagingTargetPath, targetPath } = await published(k);
      expectTrue(present(targetPath), `nothing exists at target_path ${targetPath} after NodePublishVolume`, { rule: 'csi.node-publish-volume.target-placed' });
      await expectOk(k.node.nodeUnpublishVolume({ volumeId: volume.volumeId, targetPath }), { rule: 'csi.node-unpublish-volume.implemented' });
      if (stagingTargetPath)
        await expectOk(k.node.nodeUnstageVolume({ volumeId: volume.volumeId, stagingTargetPath }), { rule: 'csi.node-unstage-volume.implemented' });
      if (k.has(PUBLISH_UNPUBLISH))
        await expectOk(k.controller.controllerUnpublishVolume({ volumeId: volume.volumeId, nodeId: k.env.nodeId }), {
          rule: 'csi.controller-unpublish-volume.implemented',
        });
      await expectOk(k.controller.deleteVolume({ volumeId: volume.volumeId }), { rule: 'csi.delete-volume.implemented' });
      void publishContext;
    },
  }),
  c({
    id: 'csi.node.unpublish-volume.removes-target',
    rpc: 'NodeUnpublishVolume',
    rules: [...LIFECYCLE, 'csi.node-unpublish-volume.implemented', 'csi.node-unpublish-volume.removes-target'],
    needs: vol,
    name: 'NodeUnpublishVolume removes what NodePublishVolume created at target_path',
    async run(k) {
      const { volume, targetPath } = await published(k);
      await expectOk(k.node.nodeUnpublishVolume({ volumeId: volume.volumeId, targetPath }), { rule: 'csi.node-unpublish-volume.implemented' });
      expectTrue(!present(targetPath), `target_path ${targetPath} still exists after NodeUnpublishVolume`, {
        rule: 'csi.node-unpublish-volume.removes-target',
      });
    },
  }),
  c({
    id: 'csi.node.publish-volume.idempotent',
    rpc: 'NodePublishVolume',
    rules: [...LIFECYCLE, 'csi.node-publish-volume.idempotent'],
    needs: vol,
    name: 'NodePublishVolume twice with the same arguments answers OK both times',
    async run(k) {
      const { volume, publishContext, stagingTargetPath, targetPath } = await published(k);
      await expectOk(
        k.node.nodePublishVolume({
          volumeId: volume.volumeId,
          targetPath,
          stagingTargetPath,
          volumeCapability: k.cap(),
          publishContext,
          volumeContext: volume.volumeContext,
          readonly: false,
        }),
        { rule: 'csi.node-publish-volume.idempotent' },
      );
      expectTrue(present(targetPath), `target_path ${targetPath} is gone after the repeated NodePublishVolume`, { rule: 'csi.node-publish-volume.idempotent' });
    },
  }),
  c({
    id: 'csi.node.stage-volume.idempotent',
    rpc: 'NodeStageVolume',
    rules: [...LIFECYCLE, 'csi.node-stage-volume.idempotent'],
    needs: [...vol, STAGE_UNSTAGE],
    name: 'NodeStageVolume twice with the same arguments answers OK both times',
    async run(k) {
      const { volume, publishContext, stagingTargetPath } = await k.readyVolume();
      await expectOk(
        k.node.nodeStageVolume({
          volumeId: volume.volumeId,
          stagingTargetPath,
          volumeCapability: k.cap(),
          publishContext,
          volumeContext: volume.volumeContext,
        }),
        { rule: 'csi.node-stage-volume.idempotent' },
      );
    },
  }),
  c({
    id: 'csi.node.unpublish-volume.idempotent',
    rpc: 'NodeUnpublishVolume',
    rules: [...LIFECYCLE, 'csi.node-unpublish-volume.implemented', 'csi.node-unpublish-volume.idempotent'],
    needs: vol,
    name: 'NodeUnpublishVolume twice answers OK both times',
    async run(k) {
      const { volume, targetPath } = await published(k);
      await expectOk(k.node.nodeUnpublishVolume({ volumeId: volume.volumeId, targetPath }), { rule: 'csi.node-unpublish-volume.implemented' });
      await expectOk(k.node.nodeUnpublishVolume({ volumeId: volume.volumeId, targetPath }), { rule: 'csi.node-unpublish-volume.idempotent' });
    },
  }),
  c({
    id: 'csi.node.unstage-volume.idempotent',
    rpc: 'NodeUnstageVolume',
    rules: [...LIFECYCLE, 'csi.node-unstage-volume.implemented', 'csi.node-unstage-volume.idempotent'],
    needs: [...vol, STAGE_UNSTAGE],
    name: 'NodeUnstageVolume twice answers OK both times',
    async run(k) {
      const { volume, stagingTargetPath } = await k.readyVolume();
      await expectOk(k.node.nodeUnstageVolume({ volumeId: volume.volumeId, stagingTargetPath }), { rule: 'csi.node-unstage-volume.implemented' });
      await expectOk(k.node.nodeUnstageVolume({ volumeId: volume.volumeId, stagingTargetPath }), { rule: 'csi.node-unstage-volume.idempotent' });
    },
  }),
  c({
    id: 'csi.node.unpublish-volume.unknown-target',
    rpc: 'NodeUnpublishVolume',
    rules: [...LIFECYCLE, 'csi.node-unpublish-volume.idempotent'],
    needs: vol,
    name: 'NodeUnpublishVolume at a target_path where the volume was never published answers OK',
    async run(k) {
      const { volume } = await k.readyVolume();
      await expectOk(k.node.nodeUnpublishVolume({ volumeId: volume.volumeId, targetPath: k.targetPath() }), { rule: 'csi.node-unpublish-volume.idempotent' });
    },
  }),
  c({
    id: 'csi.node.publish-volume.readonly',
    rpc: 'NodePublishVolume',
    rules: [...LIFECYCLE, 'csi.node-publish-volume.incompatible-already-exists'],
    needs: vol,
    name: 'NodePublishVolume readonly answers OK; publishing again writable at the same target fails with ALREADY_EXISTS',
    async run(k) {
      const { volume, publishContext, stagingTargetPath, targetPath } = await published(k, true);
      await expectCode(
        k.node.nodePublishVolume({
          volumeId: volume.volumeId,
          targetPath,
          stagingTargetPath,
          volumeCapability: k.cap(),
          publishContext,
          volumeContext: volume.volumeContext,
          readonly: false,
        }),
        'ALREADY_EXISTS',
        { rule: 'csi.node-publish-volume.incompatible-already-exists' },
      );
    },
  }),
  c({
    id: 'csi.node.publish-volume.without-staging',
    rpc: 'NodePublishVolume',
    rules: [...VOLUME, RULES.publishOk, 'csi.node-publish-volume.staging-path-not-set'],
    needs: [...vol, STAGE_UNSTAGE],
    name: 'NodePublishVolume without staging_target_path on a plugin with STAGE_UNSTAGE_VOLUME fails with FAILED_PRECONDITION',
    async run(k) {
      const v = await k.createVolume();
      const publishContext = await k.controllerPublish(v.volumeId);
      const targetPath = k.targetPath();
      const p = k.node.nodePublishVolume({
        volumeId: v.volumeId,
        targetPath,
        stagingTargetPath: '',
        volumeCapability: k.cap(),
        publishContext,
        volumeContext: v.volumeContext,
      });
      p.then(
        () => k.ctx.cleanup(() => k.env.client.node.nodeUnpublishVolume({ volumeId: v.volumeId, targetPath }), `NodeUnpublishVolume ${targetPath}`),
        () => undefined,
      );
      await expectCode(p, 'FAILED_PRECONDITION', { rule: 'csi.node-publish-volume.staging-path-not-set' });
    },
  }),
  c({
    id: 'csi.node.publish-volume.missing-capability-and-staging',
    rpc: 'NodePublishVolume',
    rules: [...VOLUME, RULES.publishOk, 'csi.error-scheme.argument-before-state', 'csi.node-publish-volume.capability-required'],
    needs: [...vol, STAGE_UNSTAGE],
    name: 'NodePublishVolume without volume_capability and without staging_target_path fails with INVALID_ARGUMENT (the argument error wins over the state error)',
    async run(k) {
      // Both a missing REQUIRED field (INVALID_ARGUMENT) and the table's "staging target path not set"
      // (FAILED_PRECONDITION) apply. The request must be fixed before any state can make it succeed,
      // so the argument error is the answer (rule csi.error-scheme.argument-before-state).
      const v = await k.createVolume();
      const publishContext = await k.controllerPublish(v.volumeId);
      const targetPath = k.targetPath();
      const p = k.node.nodePublishVolume({ volumeId: v.volumeId, targetPath, stagingTargetPath: '', publishContext, volumeContext: v.volumeContext });
      p.then(
        () => k.ctx.cleanup(() => k.env.client.node.nodeUnpublishVolume({ volumeId: v.volumeId, targetPath }), `NodeUnpublishVolume ${targetPath}`),
        () => undefined,
      );
      await expectCode(p, 'INVALID_ARGUMENT', { rule: 'csi.error-scheme.argument-before-state' });
    },
  }),
  c({
    id: 'csi.node.publish-volume.unknown-volume',
    rpc: 'NodePublishVolume',
    rules: ['csi.node-publish-volume.not-found', 'csi.error-scheme.table-codes'],
    name: 'NodePublishVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      const staging = k.has(STAGE_UNSTAGE) ? k.stagingPath() : '';
      await expectCode(
        k.node.nodePublishVolume({
          volumeId: k.ctx.unique('missing-volume'),
          targetPath: k.targetPath(),
          stagingTargetPath: staging,
          volumeCapability: k.cap(),
        }),
        'NOT_FOUND',
        { rule: 'csi.node-publish-volume.not-found' },
      );
    },
  }),
  c({
    id: 'csi.node.stage-volume.unknown-volume',
    rpc: 'NodeStageVolume',
    rules: ['csi.node-stage-volume.not-found'],
    needs: [STAGE_UNSTAGE],
    name: 'NodeStageVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(
        k.node.nodeStageVolume({ volumeId: k.ctx.unique('missing-volume'), stagingTargetPath: k.stagingPath(), volumeCapability: k.cap() }),
        'NOT_FOUND',
        { rule: 'csi.node-stage-volume.not-found' },
      );
    },
  }),
  c({
    id: 'csi.node.unstage-volume.unknown-volume',
    rpc: 'NodeUnstageVolume',
    rules: ['csi.node-unstage-volume.not-found'],
    needs: [STAGE_UNSTAGE],
    tags: ['Optional'],
    name: 'NodeUnstageVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      // Optional: the table says NOT_FOUND, while idempotency lets a plugin regard an unknown volume as already unstaged.
      await expectCode(k.node.nodeUnstageVolume({ volumeId: k.ctx.unique('missing-volume'), stagingTargetPath: k.stagingPath() }), 'NOT_FOUND', {
        rule: 'csi.node-unstage-volume.not-found',
      });
    },
  }),
  c({
    id: 'csi.node.stage-volume.incompatible-capability',
    rpc: 'NodeStageVolume',
    rules: [...LIFECYCLE, 'csi.node-stage-volume.incompatible-already-exists'],
    needs: [...vol, STAGE_UNSTAGE],
    name: 'NodeStageVolume again at the same staging path with another access mode fails with ALREADY_EXISTS',
    async run(k) {
      const { volume, publishContext, stagingTargetPath } = await k.readyVolume();
      await expectCode(
        k.node.nodeStageVolume({
          volumeId: volume.volumeId,
          stagingTargetPath,
          volumeCapability: k.cap(Mode.SINGLE_NODE_READER_ONLY),
          publishContext,
          volumeContext: volume.volumeContext,
        }),
        'ALREADY_EXISTS',
        { rule: 'csi.node-stage-volume.incompatible-already-exists' },
      );
    },
  }),
  c({
    id: 'csi.node.publish-volume.second-target',
    rpc: 'NodePublishVolume',
    rules: [...LIFECYCLE, 'csi.node-publish-volume.second-publish-table'],
    needs: vol,
    tags: ['Optional'],
    name: 'NodePublishVolume of a SINGLE_NODE_WRITER volume at a second target path fails with FAILED_PRECONDITION',
    async run(k) {
      // The second-publish tables: a non-MULTI_NODE mode (SINGLE_NODE_WRITER here) at another target is FAILED_PRECONDITION.
      const { volume, publishContext, stagingTargetPath } = await published(k);
      const targetPath = k.targetPath();
      const p = k.node.nodePublishVolume({
        volumeId: volume.volumeId,
        targetPath,
        stagingTargetPath,
        volumeCapability: k.cap(),
        publishContext,
        volumeContext: volume.volumeContext,
        readonly: false,
      });
      p.then(
        () => k.ctx.cleanup(() => k.env.client.node.nodeUnpublishVolume({ volumeId: volume.volumeId, targetPath }), `NodeUnpublishVolume ${targetPath}`),
        () => undefined,
      );
      await expectCode(p, 'FAILED_PRECONDITION', { rule: 'csi.node-publish-volume.second-publish-table' });
    },
  }),
  c({
    id: 'csi.node.long-paths',
    rpc: ['NodePublishVolume', 'NodeUnpublishVolume'],
    rules: [...LIFECYCLE, 'csi.node.path-128-bytes', 'csi.node-unpublish-volume.implemented'],
    needs: vol,
    name: 'Staging and target paths of 200 bytes work through stage, publish, stats and unpublish',
    async run(k) {
      const r = await k.readyVolume(200);
      const targetPath = await k.publish(r.volume.volumeId, {
        stagingTargetPath: r.stagingTargetPath,
        publishContext: r.publishContext,
        volumeContext: r.volume.volumeContext,
        targetPath: k.targetPath(200),
      });
      if (k.has(N(NodeCap.GET_VOLUME_STATS)))
        await expectOk(k.node.nodeGetVolumeStats({ volumeId: r.volume.volumeId, volumePath: targetPath, stagingTargetPath: r.stagingTargetPath }), {
          rule: 'csi.node.path-128-bytes',
        });
      await expectOk(k.node.nodeUnpublishVolume({ volumeId: r.volume.volumeId, targetPath }), { rule: 'csi.node.path-128-bytes' });
    },
  }),
  c({
    id: 'csi.node.unpublish-volume.unknown-volume',
    rpc: 'NodeUnpublishVolume',
    rules: ['csi.node-unpublish-volume.not-found'],
    tags: ['Optional'],
    name: 'NodeUnpublishVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.node.nodeUnpublishVolume({ volumeId: k.ctx.unique('missing-volume'), targetPath: k.targetPath() }), 'NOT_FOUND', {
        rule: 'csi.node-unpublish-volume.not-found',
      });
    },
  }),
  missing(G, 'csi.node.publish-volume.missing-volume-id', 'NodePublishVolume', 'volume_id', 'csi.node-publish-volume.volume-id-required', [], async (k) => ({
    p: k.node.nodePublishVolume({
      volumeId: '',
      targetPath: k.targetPath(),
      stagingTargetPath: k.has(STAGE_UNSTAGE) ? k.stagingPath() : '',
      volumeCapability: k.cap(),
    }),
  })),
  missing(
    G,
    'csi.node.publish-volume.missing-target-path',
    'NodePublishVolume',
    'target_path',
    'csi.node-publish-volume.target-path-required',
    vol,
    async (k) => {
      const r = await k.readyVolume();
      return {
        p: k.node.nodePublishVolume({
          volumeId: r.volume.volumeId,
          targetPath: '',
          stagingTargetPath: r.stagingTargetPath,
          volumeCapability: k.cap(),
          publishContext: r.publishContext,
        }),
      };
    },
  ),
  missing(
    G,
    'csi.node.publish-volume.missing-capability',
    'NodePublishVolume',
    'volume_capability',
    'csi.node-publish-volume.capability-required',
    vol,
    async (k) => {
      const r = await k.readyVolume();
      const targetPath = k.targetPath();
      const p = k.node.nodePublishVolume({ volumeId: r.volume.volumeId, targetPath, stagingTargetPath: r.stagingTargetPath, publishContext: r.publishContext });
      p.then(
        () => k.ctx.cleanup(() => k.env.client.node.nodeUnpublishVolume({ volumeId: r.volume.volumeId, targetPath }), `NodeUnpublishVolume ${targetPath}`),
        () => undefined,
      );
      return { p };
    },
  ),
  missing(
    G,
    'csi.node.unpublish-volume.missing-volume-id',
    'NodeUnpublishVolume',
    'volume_id',
    'csi.node-unpublish-volume.volume-id-required',
    [],
    async (k) => ({ p: k.node.nodeUnpublishVolume({ volumeId: '', targetPath: k.targetPath() }) }),
  ),
  missing(
    G,
    'csi.node.unpublish-volume.missing-target-path',
    'NodeUnpublishVolume',
    'target_path',
    'csi.node-unpublish-volume.target-path-required',
    vol,
    async (k) => {
      const { volume } = await published(k);
      return { p: k.node.nodeUnpublishVolume({ volumeId: volume.volumeId, targetPath: '' }) };
    },
  ),
  missing(
    G,
    'csi.node.stage-volume.missing-volume-id',
    'NodeStageVolume',
    'volume_id',
    'csi.node-stage-volume.volume-id-required',
    [STAGE_UNSTAGE],
    async (k) => ({ p: k.node.nodeStageVolume({ volumeId: '', stagingTargetPath: k.stagingPath(), volumeCapability: k.cap() }) }),
  ),
  missing(
    G,
    'csi.node.stage-volume.missing-staging-path',
    'NodeStageVolume',
    'staging_target_path',
    'csi.node-stage-volume.staging-path-required',
    [...vol, STAGE_UNSTAGE],
    async (k) => {
      const v = await k.createVolume();
      const publishContext = await k.controllerPublish(v.volumeId);
      return { p: k.node.nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: '', volumeCapability: k.cap(), publishContext }) };
    },
  ),
  missing(
    G,
    'csi.node.stage-volume.missing-capability',
    'NodeStageVolume',
    'volume_capability',
    'csi.node-stage-volume.capability-required',
    [...vol, STAGE_UNSTAGE],
    async (k) => {
      const v = await k.createVolume();
      const publishContext = await k.controllerPublish(v.volumeId);
      const stagingTargetPath = k.stagingPath();
      const p = k.node.nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath, publishContext });
      p.then(
        () => k.ctx.cleanup(() => k.env.client.node.nodeUnstageVolume({ volumeId: v.volumeId, stagingTargetPath }), `NodeUnstageVolume ${stagingTargetPath}`),
        () => undefined,
      );
      return { p };
    },
  ),
  missing(
    G,
    'csi.node.unstage-volume.missing-volume-id',
    'NodeUnstageVolume',
    'volume_id',
    'csi.node-unstage-volume.volume-id-required',
    [STAGE_UNSTAGE],
    async (k) => ({ p: k.node.nodeUnstageVolume({ volumeId: '', stagingTargetPath: k.stagingPath() }) }),
  ),
  missing(
    G,
    'csi.node.unstage-volume.missing-staging-path',
    'NodeUnstageVolume',
    'staging_target_path',
    'csi.node-unstage-volume.staging-path-required',
    [...vol, STAGE_UNSTAGE],
    async (k) => {
      const r = await k.readyVolume();
      return { p: k.node.nodeUnstageVolume({ volumeId: r.volume.volumeId, stagingTargetPath: '' }) };
    },
  ),

  // ---- NodeGetVolumeStats ------------------------------------------------------------------
  c({
    id: 'csi.node.get-volume-stats',
    rpc: 'NodeGetVolumeStats',
    rules: [...LIFECYCLE, 'csi.node-get-volume-stats.implemented', 'csi.node-get-volume-stats.usage-fields', 'csi.node-get-volume-stats.volume-condition'],
    needs: [...vol, N(NodeCap.GET_VOLUME_STATS)],
    name: 'NodeGetVolumeStats of a published volume reports usage',
    async run(k) {
      const { volume, targetPath } = await published(k);
      const p = k.node.nodeGetVolumeStats({ volumeId: volume.volumeId, volumePath: targetPath });
      const res = await expectOk(p, { rule: 'csi.node-get-volume-stats.implemented' });
      expectTrue(res.usage.length > 0, 'usage is empty', { rule: 'csi.node-get-volume-stats.implemented', call: p });
      res.usage.forEach((u, i) =>
        expectTrue(u.unit === Unit.BYTES || u.unit === Unit.INODES, `usage[${i}].unit is ${Unit[u.unit] ?? u.unit}`, {
          rule: 'csi.node-get-volume-stats.usage-fields',
          call: p,
        }),
      );
      if (k.has(N(NodeCap.VOLUME_CONDITION)))
        expectTrue(res.volumeCondition !== undefined, 'volume_condition is unset', { rule: 'csi.node-get-volume-stats.volume-condition', call: p });
    },
  }),
  missing(
    G,
    'csi.node.get-volume-stats.missing-volume-id',
    'NodeGetVolumeStats',
    'volume_id',
    'csi.node-get-volume-stats.volume-id-required',
    [N(NodeCap.GET_VOLUME_STATS)],
    async (k) => ({ p: k.node.nodeGetVolumeStats({ volumeId: '', volumePath: k.targetPath() }) }),
  ),
  missing(
    G,
    'csi.node.get-volume-stats.missing-volume-path',
    'NodeGetVolumeStats',
    'volume_path',
    'csi.node-get-volume-stats.volume-path-required',
    [...vol, N(NodeCap.GET_VOLUME_STATS)],
    async (k) => {
      const { volume } = await published(k);
      return { p: k.node.nodeGetVolumeStats({ volumeId: volume.volumeId, volumePath: '' }) };
    },
  ),
  c({
    id: 'csi.node.get-volume-stats.unknown-volume',
    rpc: 'NodeGetVolumeStats',
    rules: ['csi.node-get-volume-stats.not-found'],
    needs: [N(NodeCap.GET_VOLUME_STATS)],
    name: 'NodeGetVolumeStats of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.node.nodeGetVolumeStats({ volumeId: k.ctx.unique('missing-volume'), volumePath: k.targetPath() }), 'NOT_FOUND', {
        rule: 'csi.node-get-volume-stats.not-found',
      });
    },
  }),
  c({
    id: 'csi.node.get-volume-stats.unknown-volume-relative-path',
    rpc: 'NodeGetVolumeStats',
    rules: ['csi.node-get-volume-stats.unknown-volume-not-found'],
    needs: [N(NodeCap.GET_VOLUME_STATS)],
    name: 'NodeGetVolumeStats of a volume that does not exist fails with NOT_FOUND also when volume_path is relative',
    async run(k) {
      // The volume lookup decides: the table's NOT_FOUND covers a volume_id that is not at volume_path,
      // and a relative path is no place a volume was put (rule csi.node-get-volume-stats.unknown-volume-not-found).
      await expectCode(k.node.nodeGetVolumeStats({ volumeId: k.ctx.unique('missing-volume'), volumePath: 'triad/relative/path' }), 'NOT_FOUND', {
        rule: 'csi.node-get-volume-stats.unknown-volume-not-found',
      });
    },
  }),
  c({
    id: 'csi.node.get-volume-stats.unknown-path',
    rpc: 'NodeGetVolumeStats',
    rules: [...LIFECYCLE, 'csi.node-get-volume-stats.not-found'],
    needs: [...vol, N(NodeCap.GET_VOLUME_STATS)],
    name: 'NodeGetVolumeStats at a volume_path where the volume is not published fails with NOT_FOUND',
    async run(k) {
      const { volume } = await published(k);
      await expectCode(k.node.nodeGetVolumeStats({ volumeId: volume.volumeId, volumePath: k.targetPath() }), 'NOT_FOUND', {
        rule: 'csi.node-get-volume-stats.not-found',
      });
    },
  }),

  // ---- NodeExpandVolume --------------------------------------------------------------------
  c({
    id: 'csi.node.expand-volume',
    rpc: 'NodeExpandVolume',
    rules: [
      ...LIFECYCLE,
      'csi.controller-expand-volume.implemented',
      'csi.node-expand-volume.implemented',
      'csi.node-expand-volume.idempotent',
      'csi.get-plugin-capabilities.online-expansion',
    ],
    needs: [...vol, N(NodeCap.EXPAND_VOLUME), cap.controller(CtrlCap.EXPAND_VOLUME)],
    name: 'NodeExpandVolume after ControllerExpandVolume grows the published volume',
    async run(k) {
      const { volume, targetPath, stagingTargetPath } = await published(k);
      const want = k.env.size * 2n;
      await expectOk(k.controller.controllerExpandVolume({ volumeId: volume.volumeId, capacityRange: { requiredBytes: want }, volumeCapability: k.cap() }), {
        rule: 'csi.controller-expand-volume.implemented',
      });
      const p = k.node.nodeExpandVolume({
        volumeId: volume.volumeId,
        volumePath: targetPath,
        stagingTargetPath,
        capacityRange: { requiredBytes: want },
        volumeCapability: k.cap(),
      });
      const res = await expectOk(p, { rule: 'csi.node-expand-volume.implemented' });
      expectTrue(res.capacityBytes === 0n || res.capacityBytes >= want, `capacity_bytes ${res.capacityBytes} is below required_bytes ${want}`, {
        rule: 'csi.node-expand-volume.implemented',
        call: p,
      });
      await expectOk(
        k.node.nodeExpandVolume({
          volumeId: volume.volumeId,
          volumePath: targetPath,
          stagingTargetPath,
          capacityRange: { requiredBytes: want },
          volumeCapability: k.cap(),
        }),
        { rule: 'csi.node-expand-volume.idempotent' },
      );
    },
  }),
  c({
    id: 'csi.node.expand-volume.unsupported-capacity',
    rpc: 'NodeExpandVolume',
    rules: [...LIFECYCLE, 'csi.node-expand-volume.unsupported-capacity-out-of-range'],
    needs: [...vol, N(NodeCap.EXPAND_VOLUME)],
    tags: ['Optional'],
    name: 'NodeExpandVolume to 4 EiB fails with OUT_OF_RANGE',
    async run(k) {
      const { volume, targetPath, stagingTargetPath } = await published(k);
      const huge = 2n ** 62n;
      await expectCode(
        k.node.nodeExpandVolume({
          volumeId: volume.volumeId,
          volumePath: targetPath,
          stagingTargetPath,
          capacityRange: { requiredBytes: huge, limitBytes: huge },
          volumeCapability: k.cap(),
        }),
        'OUT_OF_RANGE',
        { rule: 'csi.node-expand-volume.unsupported-capacity-out-of-range' },
      );
    },
  }),
  missing(
    G,
    'csi.node.expand-volume.missing-volume-id',
    'NodeExpandVolume',
    'volume_id',
    'csi.node-expand-volume.volume-id-required',
    [N(NodeCap.EXPAND_VOLUME)],
    async (k) => ({ p: k.node.nodeExpandVolume({ volumeId: '', volumePath: k.targetPath() }) }),
  ),
  missing(
    G,
    'csi.node.expand-volume.missing-volume-path',
    'NodeExpandVolume',
    'volume_path',
    'csi.node-expand-volume.volume-path-required',
    [...vol, N(NodeCap.EXPAND_VOLUME)],
    async (k) => {
      const { volume } = await published(k);
      return { p: k.node.nodeExpandVolume({ volumeId: volume.volumeId, volumePath: '' }) };
    },
  ),
  c({
    id: 'csi.node.expand-volume.unknown-volume',
    rpc: 'NodeExpandVolume',
    rules: ['csi.node-expand-volume.not-found'],
    needs: [N(NodeCap.EXPAND_VOLUME)],
    name: 'NodeExpandVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(
        k.node.nodeExpandVolume({ volumeId: k.ctx.unique('missing-volume'), volumePath: k.targetPath(), capacityRange: { requiredBytes: k.env.size } }),
        'NOT_FOUND',
        { rule: 'csi.node-expand-volume.not-found' },
      );
    },
  }),
  c({
    id: 'csi.node.expand-volume.unknown-volume-relative-path',
    rpc: 'NodeExpandVolume',
    rules: ['csi.node-expand-volume.not-found'],
    needs: [N(NodeCap.EXPAND_VOLUME)],
    name: 'NodeExpandVolume of a volume that does not exist fails with NOT_FOUND also when volume_path is relative',
    async run(k) {
      // NodeExpandVolume's volume_path has no form requirement in the spec: a relative one is not an
      // invalid argument, and an unknown volume is NOT_FOUND (rule csi.node-expand-volume.not-found).
      await expectCode(
        k.node.nodeExpandVolume({ volumeId: k.ctx.unique('missing-volume'), volumePath: 'triad/relative/path', capacityRange: { requiredBytes: k.env.size } }),
        'NOT_FOUND',
        { rule: 'csi.node-expand-volume.not-found' },
      );
    },
  }),
];
