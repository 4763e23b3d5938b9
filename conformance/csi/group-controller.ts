// CSI GroupController service: capabilities, CreateVolumeGroupSnapshot (fields, idempotency),
// GetVolumeGroupSnapshot, DeleteVolumeGroupSnapshot (idempotent, unknown id OK).
import { RpcError } from '../../interfaces/grpc/errors.js';
import type { VolumeGroupSnapshot } from '../../interfaces/gen/csi/csi.js';
import { expectCode, expectEqual, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { MISSING_FIELD_RULES } from './case.js';
import { CONTROLLER, CREATE_DELETE, GroupCap, ServiceCap, VOLUME, cap, type CsiEnv, CsiKit } from './kit.js';

const G = 'csi.GroupController';
const c = defineCases(CsiKit, G);
const SERVICE = cap.plugin(ServiceCap.GROUP_CONTROLLER_SERVICE);
const GROUPS = cap.group(GroupCap.CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT);
const full = [SERVICE, GROUPS, CONTROLLER, CREATE_DELETE];

function trackGroup(k: CsiKit, g: VolumeGroupSnapshot): void {
  k.env.created.groups.add(g.groupSnapshotId);
  for (const s of g.snapshots) k.env.created.snapshots.add(s.snapshotId);
  const snapshotIds = g.snapshots.map((s) => s.snapshotId);
  k.ctx.cleanup(async () => {
    try {
      await k.env.client.groupController.deleteVolumeGroupSnapshot({ groupSnapshotId: g.groupSnapshotId, snapshotIds });
    } catch (e) {
      if (!(e instanceof RpcError && e.codeName === 'NOT_FOUND')) throw e;
    }
  }, `DeleteVolumeGroupSnapshot ${g.groupSnapshotId}`);
}

async function createGroup(k: CsiKit, name = k.ctx.unique('group')) {
  const v1 = await k.createVolume();
  const v2 = await k.createVolume();
  const req = { name, sourceVolumeIds: [v1.volumeId, v2.volumeId], parameters: {} };
  const p = k.group.createVolumeGroupSnapshot(req);
  const res = await expectOk(p, { rule: 'csi.create-volume-group-snapshot.implemented' });
  const g = res.groupSnapshot;
  if (!g?.groupSnapshotId)
    return fail('CreateVolumeGroupSnapshot answered without group_snapshot.group_snapshot_id', {
      rule: 'csi.create-volume-group-snapshot.group-fields',
      call: p,
    });
  trackGroup(k, g);
  return { g, req, p };
}

export const groupControllerCases: CaseDef<CsiEnv>[] = [
  c({
    id: 'csi.group-controller.get-capabilities',
    rpc: 'GroupControllerGetCapabilities',
    rules: ['csi.group-controller-get-capabilities.implemented'],
    needs: [SERVICE],
    name: 'GroupControllerGetCapabilities answers OK and every capability has a known type',
    async run(k) {
      const p = k.group.groupControllerGetCapabilities({});
      const res = await expectOk(p, { rule: 'csi.group-controller-get-capabilities.implemented' });
      res.capabilities.forEach((x, i) =>
        expectTrue((x.rpc?.type ?? 0) > 0, `capabilities[${i}].rpc.type is ${x.rpc ? (GroupCap[x.rpc.type] ?? x.rpc.type) : 'unset'}`, {
          rule: 'csi.group-controller-get-capabilities.implemented',
          call: p,
        }),
      );
    },
  }),
  c({
    id: 'csi.group-controller.create.basic',
    rpc: ['CreateVolumeGroupSnapshot', 'GetVolumeGroupSnapshot'],
    needs: full,
    rules: [
      ...VOLUME,
      'csi.create-volume-group-snapshot.implemented',
      'csi.create-volume-group-snapshot.group-fields',
      'csi.create-snapshot.group-member',
      'csi.get-volume-group-snapshot.implemented',
      'csi.create-volume-group-snapshot.ready-to-use',
    ],
    name: 'CreateVolumeGroupSnapshot snapshots every source volume, and GetVolumeGroupSnapshot returns the group',
    async run(k) {
      const { g, req, p } = await createGroup(k);
      const sources = g.snapshots.map((s) => s.sourceVolumeId).sort();
      expectEqual(sources, [...req.sourceVolumeIds].sort(), {
        rule: 'csi.create-volume-group-snapshot.implemented',
        what: 'source_volume_id of the snapshots',
        call: p,
      });
      for (const s of g.snapshots)
        expectEqual(s.groupSnapshotId, g.groupSnapshotId, {
          rule: 'csi.create-snapshot.group-member',
          what: `group_snapshot_id of snapshot ${s.snapshotId}`,
          call: p,
        });
      expectTrue(g.creationTime !== undefined, 'group_snapshot.creation_time is unset', { rule: 'csi.create-volume-group-snapshot.group-fields', call: p });
      const unready = g.snapshots.find((s) => !s.readyToUse);
      expectTrue(!unready || !g.readyToUse, `the group is ready_to_use while member ${unready?.snapshotId} is not`, {
        rule: 'csi.create-volume-group-snapshot.ready-to-use',
        call: p,
      });
      const gp = k.group.getVolumeGroupSnapshot({ groupSnapshotId: g.groupSnapshotId, snapshotIds: g.snapshots.map((s) => s.snapshotId) });
      const got = await expectOk(gp, { rule: 'csi.get-volume-group-snapshot.implemented' });
      expectEqual(got.groupSnapshot?.groupSnapshotId, g.groupSnapshotId, {
        rule: 'csi.get-volume-group-snapshot.implemented',
        what: 'group_snapshot_id',
        call: gp,
      });
    },
  }),
  c({
    id: 'csi.group-controller.create.idempotent',
    rpc: 'CreateVolumeGroupSnapshot',
    rules: [
      ...VOLUME,
      'csi.create-volume-group-snapshot.implemented',
      'csi.create-volume-group-snapshot.group-fields',
      'csi.create-volume-group-snapshot.idempotent',
    ],
    needs: full,
    name: 'CreateVolumeGroupSnapshot twice with the same name and sources returns the same group',
    async run(k) {
      const { g, req } = await createGroup(k);
      const p = k.group.createVolumeGroupSnapshot(req);
      const again = await expectOk(p, { rule: 'csi.create-volume-group-snapshot.idempotent' });
      if (again.groupSnapshot && again.groupSnapshot.groupSnapshotId !== g.groupSnapshotId) trackGroup(k, again.groupSnapshot);
      expectEqual(again.groupSnapshot?.groupSnapshotId, g.groupSnapshotId, {
        rule: 'csi.create-volume-group-snapshot.idempotent',
        what: 'group_snapshot_id of the second call',
        call: p,
      });
    },
  }),
  c({
    id: 'csi.group-controller.create.missing-name',
    rpc: 'CreateVolumeGroupSnapshot',
    rules: [...VOLUME, 'csi.create-volume-group-snapshot.name-required', ...MISSING_FIELD_RULES],
    needs: full,
    name: 'CreateVolumeGroupSnapshot without name fails with INVALID_ARGUMENT',
    async run(k) {
      const v = await k.createVolume();
      const p = k.group.createVolumeGroupSnapshot({ name: '', sourceVolumeIds: [v.volumeId] });
      p.then(
        (r) => r.groupSnapshot && trackGroup(k, r.groupSnapshot),
        () => undefined,
      );
      await expectCode(p, 'INVALID_ARGUMENT', { rule: 'csi.create-volume-group-snapshot.name-required' });
    },
  }),
  c({
    id: 'csi.group-controller.create.missing-sources',
    rpc: 'CreateVolumeGroupSnapshot',
    rules: ['csi.create-volume-group-snapshot.sources-required', 'csi.field-requirements.required-list-non-empty', ...MISSING_FIELD_RULES],
    needs: [SERVICE, GROUPS],
    name: 'CreateVolumeGroupSnapshot without source_volume_ids fails with INVALID_ARGUMENT',
    async run(k) {
      const p = k.group.createVolumeGroupSnapshot({ name: k.ctx.unique('group'), sourceVolumeIds: [] });
      p.then(
        (r) => r.groupSnapshot && trackGroup(k, r.groupSnapshot),
        () => undefined,
      );
      await expectCode(p, 'INVALID_ARGUMENT', { rule: 'csi.create-volume-group-snapshot.sources-required' });
    },
  }),
  c({
    id: 'csi.group-controller.delete.idempotent',
    rpc: 'DeleteVolumeGroupSnapshot',
    rules: [
      ...VOLUME,
      'csi.create-volume-group-snapshot.implemented',
      'csi.create-volume-group-snapshot.group-fields',
      'csi.delete-volume-group-snapshot.implemented',
      'csi.delete-volume-group-snapshot.idempotent',
    ],
    needs: full,
    name: 'DeleteVolumeGroupSnapshot twice answers OK both times',
    async run(k) {
      const { g } = await createGroup(k);
      const req = { groupSnapshotId: g.groupSnapshotId, snapshotIds: g.snapshots.map((s) => s.snapshotId) };
      await expectOk(k.group.deleteVolumeGroupSnapshot(req), { rule: 'csi.delete-volume-group-snapshot.implemented' });
      await expectOk(k.group.deleteVolumeGroupSnapshot(req), { rule: 'csi.delete-volume-group-snapshot.idempotent' });
    },
  }),
  c({
    id: 'csi.group-controller.delete.unknown-id',
    rpc: 'DeleteVolumeGroupSnapshot',
    rules: ['csi.delete-volume-group-snapshot.idempotent'],
    needs: [SERVICE, GROUPS],
    name: 'DeleteVolumeGroupSnapshot of an id that never existed answers OK',
    async run(k) {
      await expectOk(k.group.deleteVolumeGroupSnapshot({ groupSnapshotId: k.ctx.unique('missing-group'), snapshotIds: [k.ctx.unique('missing-snapshot')] }), {
        rule: 'csi.delete-volume-group-snapshot.idempotent',
      });
    },
  }),
  c({
    id: 'csi.group-controller.delete.missing-id',
    rpc: 'DeleteVolumeGroupSnapshot',
    rules: ['csi.delete-volume-group-snapshot.group-id-required', ...MISSING_FIELD_RULES],
    needs: [SERVICE, GROUPS],
    name: 'DeleteVolumeGroupSnapshot without group_snapshot_id fails with INVALID_ARGUMENT',
    async run(k) {
      await expectCode(k.group.deleteVolumeGroupSnapshot({ groupSnapshotId: '' }), 'INVALID_ARGUMENT', {
        rule: 'csi.delete-volume-group-snapshot.group-id-required',
      });
    },
  }),
  c({
    id: 'csi.group-controller.get.unknown-id',
    rpc: 'GetVolumeGroupSnapshot',
    rules: ['csi.get-volume-group-snapshot.not-found'],
    needs: [SERVICE, GROUPS],
    name: 'GetVolumeGroupSnapshot of an id that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(
        k.group.getVolumeGroupSnapshot({ groupSnapshotId: k.ctx.unique('missing-group'), snapshotIds: [k.ctx.unique('missing-snapshot')] }),
        'NOT_FOUND',
        { rule: 'csi.get-volume-group-snapshot.not-found' },
      );
    },
  }),
  c({
    id: 'csi.group-controller.create.incompatible',
    rpc: 'CreateVolumeGroupSnapshot',
    rules: [
      ...VOLUME,
      'csi.create-volume-group-snapshot.implemented',
      'csi.create-volume-group-snapshot.group-fields',
      'csi.create-volume-group-snapshot.incompatible-already-exists',
    ],
    needs: full,
    name: 'CreateVolumeGroupSnapshot with an existing name but other source volumes fails with ALREADY_EXISTS',
    async run(k) {
      const { req } = await createGroup(k);
      const p = k.group.createVolumeGroupSnapshot({ ...req, sourceVolumeIds: [req.sourceVolumeIds[0]] });
      p.then(
        (r) => r.groupSnapshot && trackGroup(k, r.groupSnapshot),
        () => undefined,
      );
      await expectCode(p, 'ALREADY_EXISTS', { rule: 'csi.create-volume-group-snapshot.incompatible-already-exists' });
    },
  }),
  c({
    id: 'csi.group-controller.get.snapshot-list-mismatch',
    rpc: 'GetVolumeGroupSnapshot',
    rules: [
      ...VOLUME,
      'csi.create-volume-group-snapshot.implemented',
      'csi.create-volume-group-snapshot.group-fields',
      'csi.get-volume-group-snapshot.mismatch',
    ],
    needs: full,
    tags: ['Optional'],
    name: 'GetVolumeGroupSnapshot with snapshot_ids that do not match the group fails with INVALID_ARGUMENT',
    async run(k) {
      const { g } = await createGroup(k);
      await expectCode(
        k.group.getVolumeGroupSnapshot({ groupSnapshotId: g.groupSnapshotId, snapshotIds: [k.ctx.unique('missing-snapshot')] }),
        'INVALID_ARGUMENT',
        { rule: 'csi.get-volume-group-snapshot.mismatch' },
      );
    },
  }),
  c({
    id: 'csi.group-controller.delete.snapshot-list-mismatch',
    rpc: 'DeleteVolumeGroupSnapshot',
    rules: [
      ...VOLUME,
      'csi.create-volume-group-snapshot.implemented',
      'csi.create-volume-group-snapshot.group-fields',
      'csi.delete-volume-group-snapshot.mismatch',
    ],
    needs: full,
    tags: ['Optional'],
    name: 'DeleteVolumeGroupSnapshot with snapshot_ids that do not match the group fails with INVALID_ARGUMENT',
    async run(k) {
      const { g } = await createGroup(k);
      await expectCode(
        k.group.deleteVolumeGroupSnapshot({ groupSnapshotId: g.groupSnapshotId, snapshotIds: [k.ctx.unique('missing-snapshot')] }),
        'INVALID_ARGUMENT',
        { rule: 'csi.delete-volume-group-snapshot.mismatch' },
      );
    },
  }),
  c({
    id: 'csi.group-controller.member-get-snapshot',
    rpc: 'GetSnapshot',
    rules: [...VOLUME, 'csi.create-volume-group-snapshot.implemented', 'csi.create-volume-group-snapshot.group-fields', 'csi.get-snapshot.for-groups'],
    needs: full,
    tags: ['Optional'],
    name: 'GetSnapshot returns a member snapshot of a group (a plugin with group snapshots should serve it)',
    async run(k) {
      const { g } = await createGroup(k);
      const id = g.snapshots[0]?.snapshotId;
      if (!id) return fail('the group has no member snapshots', { rule: 'csi.create-volume-group-snapshot.implemented' });
      const p = k.controller.getSnapshot({ snapshotId: id });
      const res = await expectOk(p, { rule: 'csi.get-snapshot.for-groups' });
      expectEqual(res.snapshot?.groupSnapshotId, g.groupSnapshotId, { rule: 'csi.get-snapshot.for-groups', what: 'group_snapshot_id of the member', call: p });
    },
  }),
  c({
    id: 'csi.group-controller.get.missing-id',
    rpc: 'GetVolumeGroupSnapshot',
    rules: ['csi.get-volume-group-snapshot.group-id-required', ...MISSING_FIELD_RULES],
    needs: [SERVICE, GROUPS],
    name: 'GetVolumeGroupSnapshot without group_snapshot_id fails with INVALID_ARGUMENT',
    async run(k) {
      await expectCode(k.group.getVolumeGroupSnapshot({ groupSnapshotId: '', snapshotIds: [k.ctx.unique('missing-snapshot')] }), 'INVALID_ARGUMENT', {
        rule: 'csi.get-volume-group-snapshot.group-id-required',
      });
    },
  }),
];
