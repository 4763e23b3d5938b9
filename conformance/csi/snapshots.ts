// CSI Controller service (snapshots): CreateSnapshot (fields, idempotency, name clashes),
// DeleteSnapshot, ListSnapshots (filters, pagination, bad tokens), GetSnapshot.
import { expectCode, expectEqual, expectNonEmpty, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { missing } from './case.js';
import { CONTROLLER, CREATE_DELETE, CtrlCap, LIST_SNAPSHOTS, SNAPSHOT, SNAPSHOTS, cap, type CsiEnv, CsiKit } from './kit.js';

const G = 'csi.Snapshots';
const c = defineCases(CsiKit, G);
const base = [CONTROLLER, CREATE_DELETE, SNAPSHOTS];
const listing = [...base, LIST_SNAPSHOTS];

/** Every page of ListSnapshots for `req`; fails on a token loop. */
async function listAll(k: CsiKit, req: { snapshotId?: string; sourceVolumeId?: string; maxEntries?: number } = {}) {
  const out: Array<{ snapshotId: string; sourceVolumeId: string }> = [];
  let token = '';
  for (let i = 0; i < 10_000; i++) {
    const res = await expectOk(k.controller.listSnapshots({ ...req, startingToken: token }), { rule: 'csi.list-snapshots.implemented' });
    for (const e of res.entries) out.push({ snapshotId: e.snapshot?.snapshotId ?? '', sourceVolumeId: e.snapshot?.sourceVolumeId ?? '' });
    if (!res.nextToken) return out;
    if (res.nextToken === token) fail(`ListSnapshots returned next_token ${JSON.stringify(token)} again`, { rule: 'csi.list-snapshots.pagination' });
    token = res.nextToken;
  }
  return fail('ListSnapshots pagination did not end after 10000 pages', { rule: 'csi.list-snapshots.pagination' });
}

export const snapshotCases: CaseDef<CsiEnv>[] = [
  c({
    id: 'csi.snapshots.create.basic',
    rpc: 'CreateSnapshot',
    rules: [...SNAPSHOT, 'csi.create-snapshot.snapshot-id-on-cut'],
    needs: base,
    name: 'CreateSnapshot returns a snapshot with an id, the source volume, a creation time and a size that is not negative',
    async run(k) {
      const v = await k.createVolume();
      const s = await k.createSnapshot(v.volumeId);
      expectEqual(s.sourceVolumeId, v.volumeId, { rule: 'csi.create-snapshot.snapshot-fields', what: 'snapshot.source_volume_id' });
      expectTrue(s.creationTime !== undefined && (s.creationTime.seconds > 0n || s.creationTime.nanos > 0), 'snapshot.creation_time is unset', {
        rule: 'csi.create-snapshot.snapshot-fields',
        actual: s,
      });
      expectTrue(s.sizeBytes >= 0n, `snapshot.size_bytes is ${s.sizeBytes}`, { rule: 'csi.create-snapshot.snapshot-fields', actual: s });
    },
  }),
  c({
    id: 'csi.snapshots.create.ready-to-use',
    rpc: 'CreateSnapshot',
    rules: [...SNAPSHOT, 'csi.create-snapshot.ready-to-use'],
    needs: base,
    tags: ['Optional'],
    name: 'A snapshot becomes ready_to_use: repeating CreateSnapshot reports ready_to_use true within 5 s',
    async run(k) {
      const v = await k.createVolume();
      const name = k.ctx.unique('snap');
      let s = await k.createSnapshot(v.volumeId, name);
      let last: Promise<unknown> | undefined;
      for (let i = 0; !s.readyToUse && i < 10; i++) {
        await new Promise((r) => setTimeout(r, 500));
        const p = k.controller.createSnapshot({ name, sourceVolumeId: v.volumeId, parameters: {} });
        last = p;
        s = (await expectOk(p, { rule: 'csi.create-snapshot.ready-to-use' })).snapshot ?? s;
      }
      expectTrue(s.readyToUse, `snapshot ${s.snapshotId} is still not ready_to_use after 5 s`, {
        rule: 'csi.create-snapshot.ready-to-use',
        actual: s,
        call: last,
      });
    },
  }),
  missing(G, 'csi.snapshots.create.missing-name', 'CreateSnapshot', 'name', 'csi.create-snapshot.name-required', base, async (k) => {
    const v = await k.createVolume();
    return { p: k.controller.createSnapshot({ name: '', sourceVolumeId: v.volumeId }) };
  }),
  missing(
    G,
    'csi.snapshots.create.missing-source',
    'CreateSnapshot',
    'source_volume_id',
    'csi.create-snapshot.source-required',
    [CONTROLLER, SNAPSHOTS],
    async (k) => ({ p: k.controller.createSnapshot({ name: k.ctx.unique('snap'), sourceVolumeId: '' }) }),
  ),
  c({
    id: 'csi.snapshots.create.max-length-name',
    rpc: 'CreateSnapshot',
    rules: [...SNAPSHOT, 'csi.field-requirements.string-128-bytes'],
    needs: base,
    name: 'CreateSnapshot accepts a name of 128 bytes',
    async run(k) {
      const v = await k.createVolume();
      await k.createSnapshot(v.volumeId, k.ctx.unique('long').padEnd(128, 'x'), 'csi.field-requirements.string-128-bytes');
    },
  }),
  c({
    id: 'csi.snapshots.create.idempotent',
    rpc: 'CreateSnapshot',
    rules: [...SNAPSHOT, 'csi.create-snapshot.idempotent'],
    needs: base,
    name: 'CreateSnapshot twice with the same name and source returns the same snapshot',
    async run(k) {
      const v = await k.createVolume();
      const name = k.ctx.unique('snap');
      const s = await k.createSnapshot(v.volumeId, name);
      const p = k.controller.createSnapshot({ name, sourceVolumeId: v.volumeId });
      const again = await expectOk(p, { rule: 'csi.create-snapshot.idempotent' });
      if (again.snapshot?.snapshotId && again.snapshot.snapshotId !== s.snapshotId) k.trackSnapshot(again.snapshot.snapshotId);
      expectEqual(again.snapshot?.snapshotId, s.snapshotId, {
        rule: 'csi.create-snapshot.idempotent',
        what: 'snapshot_id of the second CreateSnapshot',
        call: p,
      });
    },
  }),
  c({
    id: 'csi.snapshots.create.same-name-different-source',
    rpc: 'CreateSnapshot',
    rules: [...SNAPSHOT, 'csi.create-snapshot.incompatible-already-exists'],
    needs: base,
    name: 'CreateSnapshot with an existing name but another source volume fails with ALREADY_EXISTS',
    async run(k) {
      const v1 = await k.createVolume();
      const v2 = await k.createVolume();
      const name = k.ctx.unique('snap');
      const s = await k.createSnapshot(v1.volumeId, name);
      const p = k.controller.createSnapshot({ name, sourceVolumeId: v2.volumeId });
      p.then(
        (r) => {
          if (r.snapshot?.snapshotId && r.snapshot.snapshotId !== s.snapshotId) k.trackSnapshot(r.snapshot.snapshotId);
        },
        () => undefined,
      );
      await expectCode(p, 'ALREADY_EXISTS', { rule: 'csi.create-snapshot.incompatible-already-exists' });
    },
  }),
  c({
    id: 'csi.snapshots.create.unknown-source',
    rpc: 'CreateSnapshot',
    rules: ['csi.create-snapshot.source-not-found'],
    needs: [CONTROLLER, SNAPSHOTS],
    tags: ['Optional'],
    name: 'CreateSnapshot of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      const p = k.controller.createSnapshot({ name: k.ctx.unique('snap'), sourceVolumeId: k.ctx.unique('missing-volume') });
      p.then(
        (r) => r.snapshot?.snapshotId && k.trackSnapshot(r.snapshot.snapshotId),
        () => undefined,
      );
      await expectCode(p, 'NOT_FOUND', { rule: 'csi.create-snapshot.source-not-found' });
    },
  }),
  c({
    id: 'csi.snapshots.delete.basic',
    rpc: 'DeleteSnapshot',
    rules: [...SNAPSHOT, 'csi.list-snapshots.implemented', 'csi.list-snapshots.pagination', 'csi.delete-snapshot.implemented', 'csi.list-snapshots.current'],
    needs: base,
    name: 'DeleteSnapshot removes the snapshot',
    async run(k) {
      const v = await k.createVolume();
      const s = await k.createSnapshot(v.volumeId);
      await expectOk(k.controller.deleteSnapshot({ snapshotId: s.snapshotId }), { rule: 'csi.delete-snapshot.implemented' });
      if (k.has(LIST_SNAPSHOTS)) {
        const left = await listAll(k, { snapshotId: s.snapshotId });
        expectTrue(!left.some((x) => x.snapshotId === s.snapshotId), `ListSnapshots still lists deleted snapshot ${s.snapshotId}`, {
          rule: 'csi.list-snapshots.current',
          actual: left,
        });
      }
    },
  }),
  c({
    id: 'csi.snapshots.delete.idempotent',
    rpc: 'DeleteSnapshot',
    rules: [...SNAPSHOT, 'csi.delete-snapshot.implemented', 'csi.delete-snapshot.idempotent'],
    needs: base,
    name: 'DeleteSnapshot twice answers OK both times',
    async run(k) {
      const v = await k.createVolume();
      const s = await k.createSnapshot(v.volumeId);
      await expectOk(k.controller.deleteSnapshot({ snapshotId: s.snapshotId }), { rule: 'csi.delete-snapshot.implemented' });
      await expectOk(k.controller.deleteSnapshot({ snapshotId: s.snapshotId }), { rule: 'csi.delete-snapshot.idempotent' });
    },
  }),
  c({
    id: 'csi.snapshots.delete.unknown-id',
    rpc: 'DeleteSnapshot',
    rules: ['csi.delete-snapshot.idempotent'],
    needs: [CONTROLLER, SNAPSHOTS],
    name: 'DeleteSnapshot of a snapshot id that never existed answers OK',
    async run(k) {
      await expectOk(k.controller.deleteSnapshot({ snapshotId: k.ctx.unique('missing-snapshot') }), { rule: 'csi.delete-snapshot.idempotent' });
    },
  }),
  missing(
    G,
    'csi.snapshots.delete.missing-id',
    'DeleteSnapshot',
    'snapshot_id',
    'csi.delete-snapshot.snapshot-id-required',
    [CONTROLLER, SNAPSHOTS],
    async (k) => ({ p: k.controller.deleteSnapshot({ snapshotId: '' }) }),
  ),
  c({
    id: 'csi.snapshots.list.lists-created',
    rpc: 'ListSnapshots',
    rules: [...SNAPSHOT, 'csi.list-snapshots.implemented', 'csi.list-snapshots.pagination'],
    needs: listing,
    name: 'ListSnapshots lists a new snapshot, and every entry has ids',
    async run(k) {
      const v = await k.createVolume();
      const s = await k.createSnapshot(v.volumeId);
      const all = await listAll(k);
      all.forEach((x, i) => expectNonEmpty(x.snapshotId, { rule: 'csi.list-snapshots.implemented', what: `entries[${i}].snapshot.snapshot_id` }));
      expectTrue(
        all.some((x) => x.snapshotId === s.snapshotId),
        `ListSnapshots does not list snapshot ${s.snapshotId}`,
        { rule: 'csi.list-snapshots.implemented', actual: all },
      );
    },
  }),
  c({
    id: 'csi.snapshots.list.by-snapshot-id',
    rpc: 'ListSnapshots',
    rules: [...SNAPSHOT, 'csi.list-snapshots.implemented', 'csi.list-snapshots.pagination', 'csi.list-snapshots.by-id'],
    needs: listing,
    name: 'ListSnapshots with snapshot_id returns exactly that snapshot',
    async run(k) {
      const v = await k.createVolume();
      const s = await k.createSnapshot(v.volumeId);
      await k.createSnapshot(v.volumeId);
      const got = await listAll(k, { snapshotId: s.snapshotId });
      expectEqual(
        got.map((x) => x.snapshotId),
        [s.snapshotId],
        { rule: 'csi.list-snapshots.by-id', what: 'listed snapshot ids' },
      );
    },
  }),
  c({
    id: 'csi.snapshots.list.unknown-snapshot-id',
    rpc: 'ListSnapshots',
    rules: ['csi.list-snapshots.by-id'],
    needs: [CONTROLLER, SNAPSHOTS, LIST_SNAPSHOTS],
    name: 'ListSnapshots with a snapshot_id that does not exist returns no entries and no error',
    async run(k) {
      const p = k.controller.listSnapshots({ snapshotId: k.ctx.unique('missing-snapshot') });
      const res = await expectOk(p, { rule: 'csi.list-snapshots.by-id' });
      expectEqual(res.entries.length, 0, { rule: 'csi.list-snapshots.by-id', what: 'number of entries', call: p });
    },
  }),
  c({
    id: 'csi.snapshots.list.by-source-volume',
    rpc: 'ListSnapshots',
    rules: [...SNAPSHOT, 'csi.list-snapshots.implemented', 'csi.list-snapshots.pagination', 'csi.list-snapshots.by-source'],
    needs: listing,
    name: 'ListSnapshots with source_volume_id returns only snapshots of that volume',
    async run(k) {
      const v1 = await k.createVolume();
      const v2 = await k.createVolume();
      const s1 = await k.createSnapshot(v1.volumeId);
      await k.createSnapshot(v2.volumeId);
      const got = await listAll(k, { sourceVolumeId: v1.volumeId });
      expectTrue(
        got.some((x) => x.snapshotId === s1.snapshotId),
        `snapshot ${s1.snapshotId} of ${v1.volumeId} is not listed`,
        { rule: 'csi.list-snapshots.by-source', actual: got },
      );
      const other = got.find((x) => x.sourceVolumeId !== v1.volumeId);
      expectTrue(other === undefined, `snapshot ${other?.snapshotId} of volume ${other?.sourceVolumeId} is listed`, {
        rule: 'csi.list-snapshots.by-source',
        actual: got,
      });
    },
  }),
  c({
    id: 'csi.snapshots.list.max-entries',
    rpc: 'ListSnapshots',
    rules: [
      ...SNAPSHOT,
      'csi.list-snapshots.implemented',
      'csi.list-snapshots.pagination',
      'csi.list-snapshots.max-entries',
      'csi.list-snapshots.no-consistent-view',
    ],
    needs: listing,
    serial: true,
    name: 'ListSnapshots with max_entries pages through every snapshot once',
    async run(k) {
      const v = await k.createVolume();
      const mine = [];
      for (let i = 0; i < 3; i++) mine.push((await k.createSnapshot(v.volumeId)).snapshotId);
      const p = k.controller.listSnapshots({ maxEntries: 2 });
      const first = await expectOk(p, { rule: 'csi.list-snapshots.implemented' });
      const rule = 'csi.list-snapshots.max-entries';
      expectTrue(first.entries.length <= 2, `max_entries 2 answered ${first.entries.length} entries`, { rule, call: p });
      expectTrue(first.nextToken !== '', 'at least 3 snapshots exist but the first page of 2 has no next_token', { rule, call: p });
      const seen = (await listAll(k, { maxEntries: 2 })).map((x) => x.snapshotId);
      const dup = seen.find((id, i) => seen.indexOf(id) !== i);
      expectTrue(dup === undefined, `snapshot ${dup} listed twice across pages`, { rule: 'csi.list-snapshots.no-consistent-view', actual: seen });
      for (const id of mine) expectTrue(seen.includes(id), `snapshot ${id} missing when paging with max_entries 2`, { rule, actual: seen });
    },
  }),
  c({
    id: 'csi.snapshots.list.invalid-token',
    rpc: 'ListSnapshots',
    rules: ['csi.list-snapshots.invalid-token-aborted'],
    needs: [CONTROLLER, LIST_SNAPSHOTS],
    name: 'ListSnapshots with a starting_token the plugin never issued fails with ABORTED',
    async run(k) {
      await expectCode(k.controller.listSnapshots({ startingToken: 'triad-invalid-token' }), 'ABORTED', { rule: 'csi.list-snapshots.invalid-token-aborted' });
    },
  }),
  missing(
    G,
    'csi.snapshots.get.missing-id',
    'GetSnapshot',
    'snapshot_id',
    'csi.get-snapshot.snapshot-id-required',
    [CONTROLLER, cap.controller(CtrlCap.GET_SNAPSHOT)],
    async (k) => ({ p: k.controller.getSnapshot({ snapshotId: '' }) }),
  ),
  c({
    id: 'csi.snapshots.get',
    rpc: 'GetSnapshot',
    rules: [...SNAPSHOT, 'csi.get-snapshot.implemented', 'csi.get-snapshot.not-found'],
    needs: [...base, cap.controller(CtrlCap.GET_SNAPSHOT)],
    name: 'GetSnapshot returns the snapshot; an unknown id is NOT_FOUND',
    async run(k) {
      const v = await k.createVolume();
      const s = await k.createSnapshot(v.volumeId);
      const p = k.controller.getSnapshot({ snapshotId: s.snapshotId });
      const res = await expectOk(p, { rule: 'csi.get-snapshot.implemented' });
      expectEqual(res.snapshot?.snapshotId, s.snapshotId, { rule: 'csi.get-snapshot.implemented', what: 'snapshot.snapshot_id', call: p });
      await expectCode(k.controller.getSnapshot({ snapshotId: k.ctx.unique('missing-snapshot') }), 'NOT_FOUND', { rule: 'csi.get-snapshot.not-found' });
    },
  }),
];
