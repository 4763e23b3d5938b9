// CSI Controller service (snapshots): CreateSnapshot (fields, idempotency, name clashes),
// DeleteSnapshot, ListSnapshots (filters, pagination, bad tokens), GetSnapshot.
import { expectCode, expectEqual, expectNonEmpty, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { csiCase, type CsiCaseDef } from './case.js';
import { CONTROLLER, CREATE_DELETE, CtrlCap, LIST_SNAPSHOTS, RULES, SNAPSHOTS, cap, type CsiEnv, type CsiKit } from './kit.js';

const G = 'csi.Snapshots';
const c = (d: Omit<CsiCaseDef, 'group'> & { group?: string }) => csiCase({ group: G, ...d });
const base = [CONTROLLER, CREATE_DELETE, SNAPSHOTS];
const listing = [...base, LIST_SNAPSHOTS];

function missing(id: string, field: string, needs: string[], call: (k: CsiKit) => Promise<{ p: Promise<unknown> }>): CaseDef<CsiEnv> {
  return c({
    id, needs, name: `${id.includes('delete') ? 'DeleteSnapshot' : 'CreateSnapshot'} without ${field} fails with INVALID_ARGUMENT`,
    async run(k) {
      const { p } = await call(k);
      p.then((r) => { const s = (r as { snapshot?: { snapshotId?: string } })?.snapshot; if (s?.snapshotId) k.trackSnapshot(s.snapshotId); }, () => undefined);
      await expectCode(p, 'INVALID_ARGUMENT', RULES.required(id.includes('delete') ? 'DeleteSnapshot' : 'CreateSnapshot', field));
    },
  });
}

/** Every page of ListSnapshots for `req`; fails on a token loop. */
async function listAll(k: CsiKit, req: { snapshotId?: string; sourceVolumeId?: string; maxEntries?: number } = {}) {
  const out: Array<{ snapshotId: string; sourceVolumeId: string }> = [];
  let token = '';
  for (let i = 0; i < 10_000; i++) {
    const res = await expectOk(k.controller.listSnapshots({ ...req, startingToken: token }), 'CSI ListSnapshots MUST answer OK with the snapshots the plugin knows');
    for (const e of res.entries) out.push({ snapshotId: e.snapshot?.snapshotId ?? '', sourceVolumeId: e.snapshot?.sourceVolumeId ?? '' });
    if (!res.nextToken) return out;
    if (res.nextToken === token) fail(`ListSnapshots returned next_token ${JSON.stringify(token)} again`, 'CSI ListSnapshots: next_token continues the list; an empty one ends it');
    token = res.nextToken;
  }
  return fail('ListSnapshots pagination did not end after 10000 pages', 'CSI ListSnapshots: next_token continues the list; an empty one ends it');
}

export const snapshotCases: CaseDef<CsiEnv>[] = [
  c({
    id: 'csi.snapshots.create.basic', needs: base,
    name: 'CreateSnapshot returns a snapshot with an id, the source volume and a creation time',
    async run(k) {
      const v = await k.createVolume();
      const s = await k.createSnapshot(v.volumeId);
      expectEqual(s.sourceVolumeId, v.volumeId, 'CSI Snapshot.source_volume_id is REQUIRED and names the volume snapshotted', 'snapshot.source_volume_id');
      expectTrue(s.creationTime !== undefined && (s.creationTime.seconds > 0n || s.creationTime.nanos > 0), 'snapshot.creation_time is unset', 'CSI Snapshot.creation_time is REQUIRED', { actual: s });
    },
  }),
  missing('csi.snapshots.create.missing-name', 'name', base, async (k) => {
    const v = await k.createVolume();
    return { p: k.controller.createSnapshot({ name: '', sourceVolumeId: v.volumeId }) };
  }),
  missing('csi.snapshots.create.missing-source', 'source_volume_id', [CONTROLLER, SNAPSHOTS], async (k) => ({ p: k.controller.createSnapshot({ name: k.ctx.unique('snap'), sourceVolumeId: '' }) })),
  c({
    id: 'csi.snapshots.create.max-length-name', needs: base,
    name: 'CreateSnapshot accepts a name of 128 bytes',
    async run(k) {
      const v = await k.createVolume();
      await k.createSnapshot(v.volumeId, k.ctx.unique('long').padEnd(128, 'x'), 'CSI: the plugin MUST support strings of up to 128 bytes in name fields (spec "Size Limits")');
    },
  }),
  c({
    id: 'csi.snapshots.create.idempotent', needs: base,
    name: 'CreateSnapshot twice with the same name and source returns the same snapshot',
    async run(k) {
      const v = await k.createVolume();
      const name = k.ctx.unique('snap');
      const s = await k.createSnapshot(v.volumeId, name);
      const p = k.controller.createSnapshot({ name, sourceVolumeId: v.volumeId });
      const again = await expectOk(p, RULES.idempotent('CreateSnapshot'));
      if (again.snapshot?.snapshotId && again.snapshot.snapshotId !== s.snapshotId) k.trackSnapshot(again.snapshot.snapshotId);
      expectEqual(again.snapshot?.snapshotId, s.snapshotId, 'CSI CreateSnapshot: if a snapshot with the name already exists for the same source volume, the plugin MUST reply OK with it', 'snapshot_id of the second CreateSnapshot', p);
    },
  }),
  c({
    id: 'csi.snapshots.create.same-name-different-source', needs: base,
    name: 'CreateSnapshot with an existing name but another source volume fails with ALREADY_EXISTS',
    async run(k) {
      const v1 = await k.createVolume();
      const v2 = await k.createVolume();
      const name = k.ctx.unique('snap');
      const s = await k.createSnapshot(v1.volumeId, name);
      const p = k.controller.createSnapshot({ name, sourceVolumeId: v2.volumeId });
      p.then((r) => { if (r.snapshot?.snapshotId && r.snapshot.snapshotId !== s.snapshotId) k.trackSnapshot(r.snapshot.snapshotId); }, () => undefined);
      await expectCode(p, 'ALREADY_EXISTS', 'CSI CreateSnapshot: a snapshot with the name exists but its source_volume_id differs → 6 ALREADY_EXISTS');
    },
  }),
  c({
    id: 'csi.snapshots.create.unknown-source', needs: [CONTROLLER, SNAPSHOTS], tags: ['Optional'],
    name: 'CreateSnapshot of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      const p = k.controller.createSnapshot({ name: k.ctx.unique('snap'), sourceVolumeId: k.ctx.unique('missing-volume') });
      p.then((r) => r.snapshot?.snapshotId && k.trackSnapshot(r.snapshot.snapshotId), () => undefined);
      await expectCode(p, 'NOT_FOUND', 'CSI CreateSnapshot: a source volume that does not exist cannot be snapshotted (5 NOT_FOUND)');
    },
  }),
  c({
    id: 'csi.snapshots.delete.basic', needs: base,
    name: 'DeleteSnapshot removes the snapshot',
    async run(k) {
      const v = await k.createVolume();
      const s = await k.createSnapshot(v.volumeId);
      await expectOk(k.controller.deleteSnapshot({ snapshotId: s.snapshotId }), 'CSI DeleteSnapshot MUST delete an existing snapshot and answer OK');
      if (k.has(LIST_SNAPSHOTS)) {
        const left = await listAll(k, { snapshotId: s.snapshotId });
        expectTrue(!left.some((x) => x.snapshotId === s.snapshotId), `ListSnapshots still lists deleted snapshot ${s.snapshotId}`, 'CSI DeleteSnapshot: after an OK answer the snapshot MUST no longer exist', { actual: left });
      }
    },
  }),
  c({
    id: 'csi.snapshots.delete.idempotent', needs: base,
    name: 'DeleteSnapshot twice answers OK both times',
    async run(k) {
      const v = await k.createVolume();
      const s = await k.createSnapshot(v.volumeId);
      await expectOk(k.controller.deleteSnapshot({ snapshotId: s.snapshotId }), 'CSI DeleteSnapshot MUST delete an existing snapshot and answer OK');
      await expectOk(k.controller.deleteSnapshot({ snapshotId: s.snapshotId }), 'CSI DeleteSnapshot: if the snapshot does not exist (anymore), the plugin MUST reply 0 OK');
    },
  }),
  c({
    id: 'csi.snapshots.delete.unknown-id', needs: [CONTROLLER, SNAPSHOTS],
    name: 'DeleteSnapshot of a snapshot id that never existed answers OK',
    async run(k) {
      await expectOk(k.controller.deleteSnapshot({ snapshotId: k.ctx.unique('missing-snapshot') }), 'CSI DeleteSnapshot: if a snapshot corresponding to snapshot_id does not exist, the plugin MUST reply 0 OK');
    },
  }),
  missing('csi.snapshots.delete.missing-id', 'snapshot_id', [CONTROLLER, SNAPSHOTS], async (k) => ({ p: k.controller.deleteSnapshot({ snapshotId: '' }) })),
  c({
    id: 'csi.snapshots.list.lists-created', needs: listing,
    name: 'ListSnapshots lists a new snapshot, and every entry has ids',
    async run(k) {
      const v = await k.createVolume();
      const s = await k.createSnapshot(v.volumeId);
      const all = await listAll(k);
      all.forEach((x, i) => expectNonEmpty(x.snapshotId, 'CSI ListSnapshots: every entry has a snapshot with snapshot_id', `entries[${i}].snapshot.snapshot_id`));
      expectTrue(all.some((x) => x.snapshotId === s.snapshotId), `ListSnapshots does not list snapshot ${s.snapshotId}`, 'CSI ListSnapshots MUST return the snapshots the plugin knows', { actual: all });
    },
  }),
  c({
    id: 'csi.snapshots.list.by-snapshot-id', needs: listing,
    name: 'ListSnapshots with snapshot_id returns exactly that snapshot',
    async run(k) {
      const v = await k.createVolume();
      const s = await k.createSnapshot(v.volumeId);
      await k.createSnapshot(v.volumeId);
      const got = await listAll(k, { snapshotId: s.snapshotId });
      expectEqual(got.map((x) => x.snapshotId), [s.snapshotId], 'CSI ListSnapshots: with snapshot_id set, the plugin MUST return only that snapshot', 'listed snapshot ids');
    },
  }),
  c({
    id: 'csi.snapshots.list.unknown-snapshot-id', needs: [CONTROLLER, SNAPSHOTS, LIST_SNAPSHOTS],
    name: 'ListSnapshots with a snapshot_id that does not exist returns no entries and no error',
    async run(k) {
      const p = k.controller.listSnapshots({ snapshotId: k.ctx.unique('missing-snapshot') });
      const res = await expectOk(p, 'CSI ListSnapshots: a snapshot_id that does not exist is not an error; the answer has no entries');
      expectEqual(res.entries.length, 0, 'CSI ListSnapshots: a snapshot_id that does not exist yields an empty list', 'number of entries', p);
    },
  }),
  c({
    id: 'csi.snapshots.list.by-source-volume', needs: listing,
    name: 'ListSnapshots with source_volume_id returns only snapshots of that volume',
    async run(k) {
      const v1 = await k.createVolume();
      const v2 = await k.createVolume();
      const s1 = await k.createSnapshot(v1.volumeId);
      await k.createSnapshot(v2.volumeId);
      const got = await listAll(k, { sourceVolumeId: v1.volumeId });
      expectTrue(got.some((x) => x.snapshotId === s1.snapshotId), `snapshot ${s1.snapshotId} of ${v1.volumeId} is not listed`, 'CSI ListSnapshots: with source_volume_id set, the plugin MUST return the snapshots of that volume', { actual: got });
      const other = got.find((x) => x.sourceVolumeId !== v1.volumeId);
      expectTrue(other === undefined, `snapshot ${other?.snapshotId} of volume ${other?.sourceVolumeId} is listed`, 'CSI ListSnapshots: with source_volume_id set, only snapshots of that volume are returned', { actual: got });
    },
  }),
  c({
    id: 'csi.snapshots.list.max-entries', needs: listing, serial: true,
    name: 'ListSnapshots with max_entries pages through every snapshot once',
    async run(k) {
      const v = await k.createVolume();
      const mine = [];
      for (let i = 0; i < 3; i++) mine.push((await k.createSnapshot(v.volumeId)).snapshotId);
      const p = k.controller.listSnapshots({ maxEntries: 2 });
      const first = await expectOk(p, 'CSI ListSnapshots MUST answer OK');
      const rule = 'CSI ListSnapshots: max_entries is the maximum number of entries to return; if more exist, next_token MUST be set';
      expectTrue(first.entries.length <= 2, `max_entries 2 answered ${first.entries.length} entries`, rule, { call: p });
      expectTrue(first.nextToken !== '', 'at least 3 snapshots exist but the first page of 2 has no next_token', rule, { call: p });
      const seen = (await listAll(k, { maxEntries: 2 })).map((x) => x.snapshotId);
      const dup = seen.find((id, i) => seen.indexOf(id) !== i);
      expectTrue(dup === undefined, `snapshot ${dup} listed twice across pages`, 'CSI ListSnapshots: pages MUST NOT repeat entries', { actual: seen });
      for (const id of mine) expectTrue(seen.includes(id), `snapshot ${id} missing when paging with max_entries 2`, rule, { actual: seen });
    },
  }),
  c({
    id: 'csi.snapshots.list.invalid-token', needs: [CONTROLLER, LIST_SNAPSHOTS],
    name: 'ListSnapshots with a starting_token the plugin never issued fails with ABORTED',
    async run(k) {
      await expectCode(k.controller.listSnapshots({ startingToken: 'triad-invalid-token' }), 'ABORTED', 'CSI ListSnapshots: an invalid starting_token → 10 ABORTED');
    },
  }),
  c({
    id: 'csi.snapshots.get', needs: [...base, cap.controller(CtrlCap.GET_SNAPSHOT)],
    name: 'GetSnapshot returns the snapshot; an unknown id is NOT_FOUND',
    async run(k) {
      const v = await k.createVolume();
      const s = await k.createSnapshot(v.volumeId);
      const p = k.controller.getSnapshot({ snapshotId: s.snapshotId });
      const res = await expectOk(p, 'CSI GetSnapshot MUST answer OK for an existing snapshot');
      expectEqual(res.snapshot?.snapshotId, s.snapshotId, 'CSI GetSnapshot returns the snapshot asked for', 'snapshot.snapshot_id', p);
      await expectCode(k.controller.getSnapshot({ snapshotId: k.ctx.unique('missing-snapshot') }), 'NOT_FOUND', 'CSI GetSnapshot: snapshot does not exist → 5 NOT_FOUND');
    },
  }),
];
