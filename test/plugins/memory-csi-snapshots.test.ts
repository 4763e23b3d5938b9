// memory-csi snapshots and group snapshots over a real unix socket: idempotent create, codes for
// every failure, list filters and pagination, snapshot → volume with real data, snapshots that
// outlive their source, space accounting, and volume group snapshots.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blockCap, mountCap, startTestDriver, type TestDriver } from '../../plugins/memory-csi/testing.js';
import { fails } from '../helpers/rpc.js';

const MiB = 1024n ** 2n;
const t = suite('memory-csi: snapshots');
let h: TestDriver;

const volume = async (name: string, bytes = MiB) =>
  (await h.client.controller.createVolume({ name, volumeCapabilities: [mountCap()], capacityRange: { requiredBytes: bytes } })).volume!;
const dataOf = (id: string) => h.driver.inspect().find((v) => v.id === id)!.dataPath;

t.before(async () => {
  h = await startTestDriver({ capacityBytes: 64n * MiB });
});
t.after(async () => {
  await h?.close();
});

t('CreateSnapshot: idempotent by name; same name for another volume is ALREADY_EXISTS; fields reported', async () => {
  const v = await volume('snap-src');
  const before = Date.now();
  const s1 = (await h.client.controller.createSnapshot({ name: 's1', sourceVolumeId: v.volumeId })).snapshot!;
  assert.ok(s1.snapshotId);
  assert.is(s1.sourceVolumeId, v.volumeId);
  assert.is(s1.readyToUse, true);
  assert.is(s1.sizeBytes, MiB);
  assert.is(s1.groupSnapshotId, '');
  const ms = Number(s1.creationTime!.seconds) * 1000 + s1.creationTime!.nanos / 1e6;
  assert.ok(ms >= before - 1000 && ms <= Date.now() + 1000, `creation_time ${ms}`);
  const again = (await h.client.controller.createSnapshot({ name: 's1', sourceVolumeId: v.volumeId })).snapshot!;
  assert.equal(again, s1);
  const other = await volume('snap-other');
  await fails(h.client.controller.createSnapshot({ name: 's1', sourceVolumeId: other.volumeId }), 'ALREADY_EXISTS', /not of/);
  await fails(h.client.controller.createSnapshot({ name: 's1', sourceVolumeId: v.volumeId, parameters: { x: 'y' } }), 'ALREADY_EXISTS', /parameters/);
  await h.client.controller.deleteSnapshot({ snapshotId: s1.snapshotId });
  for (const x of [v, other]) await h.client.controller.deleteVolume({ volumeId: x.volumeId });
});

t('CreateSnapshot / DeleteSnapshot / GetSnapshot: required fields, NOT_FOUND, idempotent delete', async () => {
  await fails(h.client.controller.createSnapshot({ sourceVolumeId: 'v' }), 'INVALID_ARGUMENT', /name is required/);
  await fails(h.client.controller.createSnapshot({ name: 'n' }), 'INVALID_ARGUMENT', /source_volume_id is required/);
  await fails(h.client.controller.createSnapshot({ name: 'n', sourceVolumeId: 'nope' }), 'NOT_FOUND', /source_volume_id/);
  await fails(h.client.controller.deleteSnapshot({}), 'INVALID_ARGUMENT', /snapshot_id/);
  await h.client.controller.deleteSnapshot({ snapshotId: 'no-such-snapshot' });
  await fails(h.client.controller.getSnapshot({}), 'INVALID_ARGUMENT', /snapshot_id/);
  await fails(h.client.controller.getSnapshot({ snapshotId: 'nope' }), 'NOT_FOUND');
  const v = await volume('get-src');
  const s = (await h.client.controller.createSnapshot({ name: 'get', sourceVolumeId: v.volumeId })).snapshot!;
  assert.equal((await h.client.controller.getSnapshot({ snapshotId: s.snapshotId })).snapshot, s);
  await h.client.controller.deleteSnapshot({ snapshotId: s.snapshotId });
  await h.client.controller.deleteSnapshot({ snapshotId: s.snapshotId });
  await fails(h.client.controller.getSnapshot({ snapshotId: s.snapshotId }), 'NOT_FOUND');
  await h.client.controller.deleteVolume({ volumeId: v.volumeId });
});

t('ListSnapshots: filters by snapshot_id and source_volume_id, pages, ABORTED on a bad token', async () => {
  const a = await volume('list-a');
  const b = await volume('list-b');
  const snaps = [];
  for (let i = 0; i < 3; i++) snaps.push((await h.client.controller.createSnapshot({ name: `la-${i}`, sourceVolumeId: a.volumeId })).snapshot!);
  snaps.push((await h.client.controller.createSnapshot({ name: 'lb-0', sourceVolumeId: b.volumeId })).snapshot!);
  const ids = (r: { entries: Array<{ snapshot?: { snapshotId: string } }> }) => r.entries.map((e) => e.snapshot!.snapshotId);
  assert.equal(
    ids(await h.client.controller.listSnapshots({})),
    snaps.map((s) => s.snapshotId),
  );
  assert.equal(ids(await h.client.controller.listSnapshots({ snapshotId: snaps[1].snapshotId })), [snaps[1].snapshotId]);
  assert.equal(ids(await h.client.controller.listSnapshots({ snapshotId: 'none-exist-id' })), []);
  assert.equal(ids(await h.client.controller.listSnapshots({ sourceVolumeId: b.volumeId })), [snaps[3].snapshotId]);
  assert.equal(ids(await h.client.controller.listSnapshots({ sourceVolumeId: 'nope' })), []);
  const p1 = await h.client.controller.listSnapshots({ maxEntries: 2, sourceVolumeId: a.volumeId });
  assert.equal(
    ids(p1),
    snaps.slice(0, 2).map((s) => s.snapshotId),
  );
  const p2 = await h.client.controller.listSnapshots({ sourceVolumeId: a.volumeId, startingToken: p1.nextToken });
  assert.equal(ids(p2), [snaps[2].snapshotId]);
  assert.is(p2.nextToken, '');
  await fails(h.client.controller.listSnapshots({ startingToken: 'volumes:1' }), 'ABORTED', /starting_token/);
  for (const s of snaps) await h.client.controller.deleteSnapshot({ snapshotId: s.snapshotId });
  for (const x of [a, b]) await h.client.controller.deleteVolume({ volumeId: x.volumeId });
});

t('snapshot → volume: the new volume holds the data as it was when the snapshot was cut, even after the source is gone', async () => {
  const v = await volume('restore-src', 2n * MiB);
  writeFileSync(join(dataOf(v.volumeId), 'state.txt'), 'version 1');
  const s = (await h.client.controller.createSnapshot({ name: 'restore', sourceVolumeId: v.volumeId })).snapshot!;
  writeFileSync(join(dataOf(v.volumeId), 'state.txt'), 'version 2');
  await h.client.controller.deleteVolume({ volumeId: v.volumeId });
  assert.equal((await h.client.controller.listSnapshots({ snapshotId: s.snapshotId })).entries.length, 1, 'independent of its source');
  const src = { snapshot: { snapshotId: s.snapshotId } };
  const r = (await h.client.controller.createVolume({ name: 'restored', volumeCapabilities: [mountCap()], volumeContentSource: src })).volume!;
  assert.is(r.contentSource?.snapshot?.snapshotId, s.snapshotId);
  assert.is(r.capacityBytes, 2n * MiB, 'no smaller than the snapshot');
  assert.is(readFileSync(join(dataOf(r.volumeId), 'state.txt'), 'utf8'), 'version 1');
  await fails(
    h.client.controller.createVolume({ name: 'r2', volumeCapabilities: [mountCap()], volumeContentSource: src, capacityRange: { limitBytes: MiB } }),
    'OUT_OF_RANGE',
    /smaller than snapshot/,
  );
  await fails(
    h.client.controller.createVolume({ name: 'r3', volumeCapabilities: [mountCap()], volumeContentSource: { snapshot: { snapshotId: 'nope' } } }),
    'NOT_FOUND',
    /snapshot nope/,
  );
  await fails(h.client.controller.createVolume({ name: 'r4', volumeCapabilities: [blockCap()], volumeContentSource: src }), 'INVALID_ARGUMENT', /mount volume/);
  await h.client.controller.deleteVolume({ volumeId: r.volumeId });
  await h.client.controller.deleteSnapshot({ snapshotId: s.snapshotId });
});

t('block snapshots copy the image; snapshots count their real data against capacity (RESOURCE_EXHAUSTED)', async () => {
  const b = (await h.client.controller.createVolume({ name: 'blk', volumeCapabilities: [blockCap()], capacityRange: { requiredBytes: 4n * MiB } })).volume!;
  const fd = (await import('node:fs')).openSync(dataOf(b.volumeId), 'r+');
  (await import('node:fs')).writeSync(fd, Buffer.from('BLOCKDATA'), 0, 9, 1024 * 1024);
  (await import('node:fs')).closeSync(fd);
  const s = (await h.client.controller.createSnapshot({ name: 'blk-snap', sourceVolumeId: b.volumeId })).snapshot!;
  const r = (
    await h.client.controller.createVolume({
      name: 'blk-restored',
      volumeCapabilities: [blockCap()],
      volumeContentSource: { snapshot: { snapshotId: s.snapshotId } },
    })
  ).volume!;
  const img = readFileSync(dataOf(r.volumeId));
  assert.is(img.length, 4 * 1024 * 1024);
  assert.is(img.subarray(1024 * 1024, 1024 * 1024 + 9).toString(), 'BLOCKDATA');
  for (const x of [b, r]) await h.client.controller.deleteVolume({ volumeId: x.volumeId });
  await h.client.controller.deleteSnapshot({ snapshotId: s.snapshotId });

  // a 40 MiB volume holding 30 MiB of data cannot be snapshotted into the 24 MiB left of a 64 MiB pool
  const big = await volume('big', 40n * MiB);
  writeFileSync(join(dataOf(big.volumeId), 'blob'), Buffer.alloc(30 * 1024 * 1024));
  const free = (await h.client.controller.getCapacity({})).availableCapacity;
  assert.is(free, 24n * MiB);
  await fails(h.client.controller.createSnapshot({ name: 'too-big', sourceVolumeId: big.volumeId }), 'RESOURCE_EXHAUSTED', /not enough space/);
  writeFileSync(join(dataOf(big.volumeId), 'blob'), Buffer.alloc(1024 * 1024));
  const small = (await h.client.controller.createSnapshot({ name: 'fits', sourceVolumeId: big.volumeId })).snapshot!;
  assert.is((await h.client.controller.getCapacity({})).availableCapacity, 23n * MiB, 'the snapshot costs its data');
  await h.client.controller.deleteSnapshot({ snapshotId: small.snapshotId });
  await h.client.controller.deleteVolume({ volumeId: big.volumeId });
});

t('group snapshots: create (idempotent), get, members, delete as a group; codes for every failure', async () => {
  const g = h.client.groupController;
  const a = await volume('g-a');
  const b = await volume('g-b');
  writeFileSync(join(dataOf(a.volumeId), 'a.txt'), 'A');
  await fails(g.createVolumeGroupSnapshot({ sourceVolumeIds: [a.volumeId] }), 'INVALID_ARGUMENT', /name is required/);
  await fails(g.createVolumeGroupSnapshot({ name: 'grp' }), 'INVALID_ARGUMENT', /source_volume_ids is required/);
  await fails(g.createVolumeGroupSnapshot({ name: 'grp', sourceVolumeIds: [a.volumeId, a.volumeId] }), 'INVALID_ARGUMENT', /twice/);
  await fails(g.createVolumeGroupSnapshot({ name: 'grp', sourceVolumeIds: [a.volumeId, 'nope'] }), 'NOT_FOUND', /source_volume_ids\[1\]/);
  assert.is((await h.client.controller.listSnapshots({})).entries.length, 0, 'a failed group leaves no snapshots');

  const grp = (await g.createVolumeGroupSnapshot({ name: 'grp', sourceVolumeIds: [a.volumeId, b.volumeId] })).groupSnapshot!;
  assert.ok(grp.groupSnapshotId);
  assert.is(grp.readyToUse, true);
  assert.equal(
    grp.snapshots.map((s) => s.sourceVolumeId),
    [a.volumeId, b.volumeId],
  );
  assert.ok(grp.snapshots.every((s) => s.groupSnapshotId === grp.groupSnapshotId && s.readyToUse));
  assert.ok(grp.snapshots.every((s) => s.creationTime!.seconds === grp.creationTime!.seconds && s.creationTime!.nanos === grp.creationTime!.nanos));
  const again = (await g.createVolumeGroupSnapshot({ name: 'grp', sourceVolumeIds: [b.volumeId, a.volumeId] })).groupSnapshot!;
  assert.is(again.groupSnapshotId, grp.groupSnapshotId, 'idempotent, order of source ids does not matter');
  await fails(g.createVolumeGroupSnapshot({ name: 'grp', sourceVolumeIds: [a.volumeId] }), 'ALREADY_EXISTS');

  const memberIds = grp.snapshots.map((s) => s.snapshotId);
  assert.equal((await g.getVolumeGroupSnapshot({ groupSnapshotId: grp.groupSnapshotId, snapshotIds: memberIds })).groupSnapshot, grp);
  await fails(g.getVolumeGroupSnapshot({}), 'INVALID_ARGUMENT', /group_snapshot_id/);
  await fails(g.getVolumeGroupSnapshot({ groupSnapshotId: 'nope' }), 'NOT_FOUND');
  await fails(g.getVolumeGroupSnapshot({ groupSnapshotId: grp.groupSnapshotId, snapshotIds: [memberIds[0]] }), 'INVALID_ARGUMENT', /do not match/);
  // members are listed, restorable, but not deletable on their own
  assert.equal((await h.client.controller.listSnapshots({ snapshotId: memberIds[0] })).entries[0].snapshot!.groupSnapshotId, grp.groupSnapshotId);
  await fails(h.client.controller.deleteSnapshot({ snapshotId: memberIds[0] }), 'INVALID_ARGUMENT', /DeleteVolumeGroupSnapshot/);
  const restored = (
    await h.client.controller.createVolume({
      name: 'from-group',
      volumeCapabilities: [mountCap()],
      volumeContentSource: { snapshot: { snapshotId: memberIds[0] } },
    })
  ).volume!;
  assert.is(readFileSync(join(dataOf(restored.volumeId), 'a.txt'), 'utf8'), 'A');

  await fails(g.deleteVolumeGroupSnapshot({}), 'INVALID_ARGUMENT', /group_snapshot_id/);
  await fails(g.deleteVolumeGroupSnapshot({ groupSnapshotId: grp.groupSnapshotId, snapshotIds: ['x'] }), 'INVALID_ARGUMENT', /do not match/);
  await g.deleteVolumeGroupSnapshot({ groupSnapshotId: grp.groupSnapshotId, snapshotIds: memberIds });
  await g.deleteVolumeGroupSnapshot({ groupSnapshotId: grp.groupSnapshotId });
  await g.deleteVolumeGroupSnapshot({ groupSnapshotId: 'never-existed' });
  await fails(g.getVolumeGroupSnapshot({ groupSnapshotId: grp.groupSnapshotId }), 'NOT_FOUND');
  assert.is((await h.client.controller.listSnapshots({})).entries.length, 0, 'members went with the group');
  for (const x of [a, b, restored]) await h.client.controller.deleteVolume({ volumeId: x.volumeId });
});

t.run();
