// CSI GroupController service: capabilities, CreateVolumeGroupSnapshot (fields, idempotency),
// GetVolumeGroupSnapshot, DeleteVolumeGroupSnapshot (idempotent, unknown id OK).
import { RpcError } from '../../interfaces/grpc/errors.js';
import type { VolumeGroupSnapshot } from '../../interfaces/gen/csi/csi.js';
import { expectCode, expectEqual, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { csiCase, type CsiCaseDef } from './case.js';
import { CONTROLLER, CREATE_DELETE, GroupCap, RULES, ServiceCap, cap, type CsiEnv, type CsiKit } from './kit.js';

const G = 'csi.GroupController';
const c = (d: Omit<CsiCaseDef, 'group'> & { group?: string }) => csiCase({ group: G, ...d });
const SERVICE = cap.plugin(ServiceCap.GROUP_CONTROLLER_SERVICE);
const GROUPS = cap.group(GroupCap.CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT);
const full = [SERVICE, GROUPS, CONTROLLER, CREATE_DELETE];

function trackGroup(k: CsiKit, g: VolumeGroupSnapshot): void {
  k.env.created.groups.add(g.groupSnapshotId);
  for (const s of g.snapshots) k.env.created.snapshots.add(s.snapshotId);
  const snapshotIds = g.snapshots.map((s) => s.snapshotId);
  k.ctx.cleanup(async () => {
    try { await k.env.client.groupController.deleteVolumeGroupSnapshot({ groupSnapshotId: g.groupSnapshotId, snapshotIds }); } catch (e) { if (!(e instanceof RpcError && e.codeName === 'NOT_FOUND')) throw e; }
  }, `DeleteVolumeGroupSnapshot ${g.groupSnapshotId}`);
}

async function createGroup(k: CsiKit, name = k.ctx.unique('group')) {
  const v1 = await k.createVolume();
  const v2 = await k.createVolume();
  const req = { name, sourceVolumeIds: [v1.volumeId, v2.volumeId], parameters: {} };
  const p = k.group.createVolumeGroupSnapshot(req);
  const res = await expectOk(p, 'CSI CreateVolumeGroupSnapshot MUST snapshot the given volumes together and answer OK');
  const g = res.groupSnapshot;
  if (!g?.groupSnapshotId) return fail('CreateVolumeGroupSnapshot answered without group_snapshot.group_snapshot_id', 'CSI VolumeGroupSnapshot.group_snapshot_id is REQUIRED', { call: p });
  trackGroup(k, g);
  return { g, req, p };
}

export const groupControllerCases: CaseDef<CsiEnv>[] = [
  c({
    id: 'csi.group-controller.get-capabilities', needs: [SERVICE],
    name: 'GroupControllerGetCapabilities answers OK and every capability has a known type',
    async run(k) {
      const p = k.group.groupControllerGetCapabilities({});
      const res = await expectOk(p, 'CSI GroupControllerGetCapabilities MUST answer OK when the plugin has GROUP_CONTROLLER_SERVICE');
      res.capabilities.forEach((x, i) => expectTrue((x.rpc?.type ?? 0) > 0, `capabilities[${i}].rpc.type is ${x.rpc ? GroupCap[x.rpc.type] ?? x.rpc.type : 'unset'}`, 'CSI GroupControllerServiceCapability: rpc.type is set and not UNKNOWN', { call: p }));
    },
  }),
  c({
    id: 'csi.group-controller.create.basic', needs: full,
    name: 'CreateVolumeGroupSnapshot snapshots every source volume, and GetVolumeGroupSnapshot returns the group',
    async run(k) {
      const { g, req, p } = await createGroup(k);
      const sources = g.snapshots.map((s) => s.sourceVolumeId).sort();
      expectEqual(sources, [...req.sourceVolumeIds].sort(), 'CSI VolumeGroupSnapshot.snapshots: one snapshot per source volume, each naming its source', 'source_volume_id of the snapshots', p);
      for (const s of g.snapshots) expectEqual(s.groupSnapshotId, g.groupSnapshotId, 'CSI Snapshot.group_snapshot_id names the group a member snapshot belongs to', `group_snapshot_id of snapshot ${s.snapshotId}`, p);
      const gp = k.group.getVolumeGroupSnapshot({ groupSnapshotId: g.groupSnapshotId, snapshotIds: g.snapshots.map((s) => s.snapshotId) });
      const got = await expectOk(gp, 'CSI GetVolumeGroupSnapshot MUST answer OK for an existing group snapshot');
      expectEqual(got.groupSnapshot?.groupSnapshotId, g.groupSnapshotId, 'CSI GetVolumeGroupSnapshot returns the group asked for', 'group_snapshot_id', gp);
    },
  }),
  c({
    id: 'csi.group-controller.create.idempotent', needs: full,
    name: 'CreateVolumeGroupSnapshot twice with the same name and sources returns the same group',
    async run(k) {
      const { g, req } = await createGroup(k);
      const p = k.group.createVolumeGroupSnapshot(req);
      const again = await expectOk(p, RULES.idempotent('CreateVolumeGroupSnapshot'));
      if (again.groupSnapshot && again.groupSnapshot.groupSnapshotId !== g.groupSnapshotId) trackGroup(k, again.groupSnapshot);
      expectEqual(again.groupSnapshot?.groupSnapshotId, g.groupSnapshotId, 'CSI CreateVolumeGroupSnapshot: if a group snapshot with the name exists for the same volumes, the plugin MUST reply OK with it', 'group_snapshot_id of the second call', p);
    },
  }),
  c({
    id: 'csi.group-controller.create.missing-name', needs: full,
    name: 'CreateVolumeGroupSnapshot without name fails with INVALID_ARGUMENT',
    async run(k) {
      const v = await k.createVolume();
      const p = k.group.createVolumeGroupSnapshot({ name: '', sourceVolumeIds: [v.volumeId] });
      p.then((r) => r.groupSnapshot && trackGroup(k, r.groupSnapshot), () => undefined);
      await expectCode(p, 'INVALID_ARGUMENT', RULES.required('CreateVolumeGroupSnapshot', 'name'));
    },
  }),
  c({
    id: 'csi.group-controller.create.missing-sources', needs: [SERVICE, GROUPS],
    name: 'CreateVolumeGroupSnapshot without source_volume_ids fails with INVALID_ARGUMENT',
    async run(k) {
      const p = k.group.createVolumeGroupSnapshot({ name: k.ctx.unique('group'), sourceVolumeIds: [] });
      p.then((r) => r.groupSnapshot && trackGroup(k, r.groupSnapshot), () => undefined);
      await expectCode(p, 'INVALID_ARGUMENT', RULES.required('CreateVolumeGroupSnapshot', 'source_volume_ids'));
    },
  }),
  c({
    id: 'csi.group-controller.delete.idempotent', needs: full,
    name: 'DeleteVolumeGroupSnapshot twice answers OK both times',
    async run(k) {
      const { g } = await createGroup(k);
      const req = { groupSnapshotId: g.groupSnapshotId, snapshotIds: g.snapshots.map((s) => s.snapshotId) };
      await expectOk(k.group.deleteVolumeGroupSnapshot(req), 'CSI DeleteVolumeGroupSnapshot MUST delete an existing group snapshot and answer OK');
      await expectOk(k.group.deleteVolumeGroupSnapshot(req), 'CSI DeleteVolumeGroupSnapshot: if the group snapshot does not exist (anymore), the plugin MUST reply 0 OK');
    },
  }),
  c({
    id: 'csi.group-controller.delete.unknown-id', needs: [SERVICE, GROUPS],
    name: 'DeleteVolumeGroupSnapshot of an id that never existed answers OK',
    async run(k) {
      await expectOk(k.group.deleteVolumeGroupSnapshot({ groupSnapshotId: k.ctx.unique('missing-group') }), 'CSI DeleteVolumeGroupSnapshot: if the group snapshot does not exist, the plugin MUST reply 0 OK');
    },
  }),
  c({
    id: 'csi.group-controller.delete.missing-id', needs: [SERVICE, GROUPS],
    name: 'DeleteVolumeGroupSnapshot without group_snapshot_id fails with INVALID_ARGUMENT',
    async run(k) {
      await expectCode(k.group.deleteVolumeGroupSnapshot({ groupSnapshotId: '' }), 'INVALID_ARGUMENT', RULES.required('DeleteVolumeGroupSnapshot', 'group_snapshot_id'));
    },
  }),
  c({
    id: 'csi.group-controller.get.unknown-id', needs: [SERVICE, GROUPS],
    name: 'GetVolumeGroupSnapshot of an id that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.group.getVolumeGroupSnapshot({ groupSnapshotId: k.ctx.unique('missing-group') }), 'NOT_FOUND', 'CSI GetVolumeGroupSnapshot: group snapshot does not exist → 5 NOT_FOUND');
    },
  }),
];
