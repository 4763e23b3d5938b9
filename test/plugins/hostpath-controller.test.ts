// hostpath driver, Identity and Controller services over a real unix socket: plugin info and
// capabilities, CreateVolume idempotency and its error codes, capacity accounting (GetCapacity =
// pool − allocated, OUT_OF_RANGE, RESOURCE_EXHAUSTED), publish per node, validation, listing with
// pagination, ControllerGetVolume's condition, expansion, snapshots (tar.gz round trip), clones,
// and ABORTED while an operation is pending. No mounts here, so no root needed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ControllerServiceCapability_RPC_Type as Ctrl,
  NodeServiceCapability_RPC_Type as NodeCap,
  PluginCapability_Service_Type as Service,
  PluginCapability_VolumeExpansion_Type as Expansion,
} from '../../interfaces/gen/csi/csi.js';
import { Mode, blockCapability as blockCap, mountCapability as mountCap } from '../../interfaces/csi/sdk/index.js';
import { startTestHostpath, type TestHostpath } from '../../plugins/hostpath/testing.js';
import { fails } from '../helpers/rpc.js';

const MiB = 1024n ** 2n;
const t = suite('hostpath: identity and controller');
let h: TestHostpath;
const ctrl = () => h.client.controller;

const create = (name: string, extra: Record<string, unknown> = {}) =>
  ctrl().createVolume({ name, volumeCapabilities: [mountCap()], capacityRange: { requiredBytes: 10n * MiB }, ...extra });
const dirOf = (id: string) => join(h.driver.root, 'volumes', id);

t.before(async () => {
  h = await startTestHostpath({ capacityBytes: 100n * MiB, defaultVolumeBytes: 4n * MiB, maxVolumesPerNode: 3, vendorVersion: '1.2.3' });
});
t.after(async () => {
  await h?.close();
});

t('identity: name, version, capabilities, probe', async () => {
  const info = await h.client.identity.getPluginInfo({});
  assert.is(info.name, 'hostpath.csi.triad.dev');
  assert.is(info.vendorVersion, '1.2.3');
  const caps = (await h.client.identity.getPluginCapabilities({})).capabilities;
  assert.equal(
    caps
      .filter((c) => c.service)
      .map((c) => c.service!.type)
      .sort(),
    [Service.CONTROLLER_SERVICE, Service.VOLUME_ACCESSIBILITY_CONSTRAINTS],
  );
  assert.equal(
    caps.filter((c) => c.volumeExpansion).map((c) => c.volumeExpansion!.type),
    [Expansion.ONLINE],
  );
  assert.is((await h.client.identity.probe({})).ready, true);
  const ctrlCaps = (await ctrl().controllerGetCapabilities({})).capabilities.map((c) => c.rpc!.type);
  for (const c of [
    Ctrl.CREATE_DELETE_VOLUME,
    Ctrl.PUBLISH_UNPUBLISH_VOLUME,
    Ctrl.LIST_VOLUMES,
    Ctrl.GET_CAPACITY,
    Ctrl.CREATE_DELETE_SNAPSHOT,
    Ctrl.LIST_SNAPSHOTS,
    Ctrl.CLONE_VOLUME,
    Ctrl.EXPAND_VOLUME,
    Ctrl.GET_VOLUME,
    Ctrl.VOLUME_CONDITION,
    Ctrl.LIST_VOLUMES_PUBLISHED_NODES,
  ]) {
    assert.ok(ctrlCaps.includes(c), Ctrl[c]);
  }
  const nodeCaps = (await h.client.node.nodeGetCapabilities({})).capabilities.map((c) => c.rpc!.type);
  assert.equal(
    nodeCaps.sort(),
    [NodeCap.STAGE_UNSTAGE_VOLUME, NodeCap.GET_VOLUME_STATS, NodeCap.EXPAND_VOLUME, NodeCap.VOLUME_CONDITION, NodeCap.SINGLE_NODE_MULTI_WRITER].sort(),
  );
  const info2 = await h.client.node.nodeGetInfo({});
  assert.is(info2.nodeId, 'node-a');
  assert.is(info2.maxVolumesPerNode, 3n);
  assert.equal(info2.accessibleTopology!.segments, { 'topology.hostpath.csi/node': 'node-a' });
  await fails(ctrl().getSnapshot({ snapshotId: 'x' }), 'UNIMPLEMENTED');
});

t('CreateVolume makes a directory under root/volumes; idempotent by name; ALREADY_EXISTS when incompatible', async () => {
  const v = (await create('pvc-1', { parameters: { a: '1' } })).volume!;
  assert.match(v.volumeId, /^vol-[0-9a-f-]{36}$/);
  assert.is(v.capacityBytes, 10n * MiB);
  assert.equal(
    v.accessibleTopology.map((x) => x.segments),
    [{ 'topology.hostpath.csi/node': 'node-a' }],
  );
  assert.ok(statSync(dirOf(v.volumeId)).isDirectory());
  assert.is(statSync(dirOf(v.volumeId)).mode & 0o777, 0o777, 'writable by pods of any uid');
  const again = (await create('pvc-1', { parameters: { a: '1' } })).volume!;
  assert.is(again.volumeId, v.volumeId);
  await fails(create('pvc-1', { parameters: { a: '2' } }), 'ALREADY_EXISTS', /different parameters/);
  await fails(create('pvc-1', { capacityRange: { requiredBytes: 20n * MiB } }), 'ALREADY_EXISTS', /below required_bytes/);
  await fails(create('pvc-1', { parameters: { a: '1' }, capacityRange: { requiredBytes: MiB, limitBytes: 5n * MiB } }), 'ALREADY_EXISTS', /above limit_bytes/);
  await fails(
    create('pvc-1', { parameters: { a: '1' }, volumeContentSource: { volume: { volumeId: v.volumeId } } }),
    'ALREADY_EXISTS',
    /volume_content_source/,
  );
  await ctrl().deleteVolume({ volumeId: v.volumeId });
  assert.not.ok(existsSync(dirOf(v.volumeId)), 'the directory is gone');
  await ctrl().deleteVolume({ volumeId: v.volumeId }); // idempotent
});

t('CreateVolume: INVALID_ARGUMENT naming the field; block and multi-node access refused', async () => {
  await fails(ctrl().createVolume({ volumeCapabilities: [mountCap()] }), 'INVALID_ARGUMENT', /name is required/);
  await fails(ctrl().createVolume({ name: 'x' }), 'INVALID_ARGUMENT', /volume_capabilities is required/);
  await fails(
    ctrl().createVolume({ name: 'x', volumeCapabilities: [blockCap()] }),
    'INVALID_ARGUMENT',
    /volume_capabilities\[0\]: block access is not supported/,
  );
  await fails(
    ctrl().createVolume({ name: 'x', volumeCapabilities: [mountCap(Mode.MULTI_NODE_MULTI_WRITER)] }),
    'INVALID_ARGUMENT',
    /MULTI_NODE_MULTI_WRITER is not supported/,
  );
  await fails(create('x', { capacityRange: { requiredBytes: 10n, limitBytes: 5n } }), 'INVALID_ARGUMENT', /capacity_range.required_bytes/);
  await fails(create('x', { volumeContentSource: {} }), 'INVALID_ARGUMENT', /volume_content_source/);
  await fails(create('x', { accessibilityRequirements: { requisite: [], preferred: [] } }), 'INVALID_ARGUMENT', /accessibility_requirements/);
  await fails(
    create('x', { accessibilityRequirements: { requisite: [{ segments: { 'topology.hostpath.csi/node': 'node-z' } }] } }),
    'RESOURCE_EXHAUSTED',
    /only serves/,
  );
  const ok = (await create('topo', { accessibilityRequirements: { requisite: [{ segments: { 'topology.hostpath.csi/node': 'node-a' } }] } })).volume!;
  await ctrl().deleteVolume({ volumeId: ok.volumeId });
  assert.is((await ctrl().listVolumes({})).entries.length, 0, 'no refused request left a volume behind');
});

t('capacity: default size, GetCapacity = pool − allocated, OUT_OF_RANGE beyond the largest volume, RESOURCE_EXHAUSTED when full', async () => {
  const cap0 = await ctrl().getCapacity({});
  assert.is(cap0.availableCapacity, 100n * MiB);
  assert.is(cap0.maximumVolumeSize, 100n * MiB);
  const d = (await ctrl().createVolume({ name: 'default', volumeCapabilities: [mountCap()] })).volume!;
  assert.is(d.capacityBytes, 4n * MiB);
  const big = (await create('big', { capacityRange: { requiredBytes: 90n * MiB } })).volume!;
  assert.is((await ctrl().getCapacity({})).availableCapacity, 6n * MiB);
  await fails(create('too-much', { capacityRange: { requiredBytes: 7n * MiB } }), 'RESOURCE_EXHAUSTED', /not enough capacity/);
  await fails(create('huge', { capacityRange: { requiredBytes: 101n * MiB } }), 'OUT_OF_RANGE', /largest volume/);
  assert.is((await ctrl().getCapacity({ volumeCapabilities: [blockCap()] })).availableCapacity, 0n, 'block is not servable');
  assert.is((await ctrl().getCapacity({ accessibleTopology: { segments: { 'topology.hostpath.csi/node': 'elsewhere' } } })).availableCapacity, 0n);
  await ctrl().deleteVolume({ volumeId: big.volumeId });
  await ctrl().deleteVolume({ volumeId: d.volumeId });
  assert.is((await ctrl().getCapacity({})).availableCapacity, 100n * MiB, 'deleting gives the capacity back');
});

t('ControllerPublish/Unpublish: this node only, idempotent, ALREADY_EXISTS, max_volumes_per_node, NOT_FOUND', async () => {
  const v = (await create('pub')).volume!;
  const req = { volumeId: v.volumeId, nodeId: 'node-a', volumeCapability: mountCap() };
  const { publishContext } = await ctrl().controllerPublishVolume(req);
  assert.equal(await ctrl().controllerPublishVolume(req), { publishContext }, 'same call again: same answer');
  await fails(ctrl().controllerPublishVolume({ ...req, readonly: true }), 'ALREADY_EXISTS');
  await fails(ctrl().controllerPublishVolume({ ...req, nodeId: 'node-b' }), 'NOT_FOUND', /node node-b \(node_id\)/);
  await fails(ctrl().controllerPublishVolume({ ...req, volumeId: 'vol-missing' }), 'NOT_FOUND', /volume vol-missing/);
  await fails(ctrl().controllerPublishVolume({ ...req, nodeId: '' }), 'INVALID_ARGUMENT', /node_id is required/);
  await fails(ctrl().controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-a' }), 'INVALID_ARGUMENT', /volume_capability is required/);
  await fails(ctrl().controllerPublishVolume({ ...req, volumeCapability: mountCap(Mode.SINGLE_NODE_WRITER, 'xfs') }), 'ALREADY_EXISTS');
  await fails(ctrl().deleteVolume({ volumeId: v.volumeId }), 'FAILED_PRECONDITION', /still published to node/);
  const st = (await ctrl().controllerGetVolume({ volumeId: v.volumeId })).status!;
  assert.equal(st.publishedNodeIds, ['node-a']);

  const more = [];
  for (const n of ['p2', 'p3', 'p4']) more.push((await create(n, { capacityRange: { requiredBytes: MiB } })).volume!);
  await ctrl().controllerPublishVolume({ ...req, volumeId: more[0].volumeId });
  await ctrl().controllerPublishVolume({ ...req, volumeId: more[1].volumeId });
  await fails(ctrl().controllerPublishVolume({ ...req, volumeId: more[2].volumeId }), 'RESOURCE_EXHAUSTED', /max_volumes_per_node/);

  for (const x of [v, more[0], more[1]]) await ctrl().controllerUnpublishVolume({ volumeId: x.volumeId, nodeId: 'node-a' });
  await ctrl().controllerUnpublishVolume({ volumeId: v.volumeId, nodeId: 'node-a' }); // idempotent
  await ctrl().controllerUnpublishVolume({ volumeId: 'vol-unknown', nodeId: 'node-a' }); // safely unpublished
  await ctrl().controllerUnpublishVolume({ volumeId: v.volumeId, nodeId: 'node-z' });
  await fails(ctrl().controllerUnpublishVolume({ nodeId: 'node-a' }), 'INVALID_ARGUMENT', /volume_id is required/);
  for (const x of [v, ...more]) await ctrl().deleteVolume({ volumeId: x.volumeId });
});

t('ValidateVolumeCapabilities confirms what fits, explains what does not, NOT_FOUND for unknown volumes', async () => {
  const v = (await create('val', { parameters: { p: '1' } })).volume!;
  const ok = await ctrl().validateVolumeCapabilities({ volumeId: v.volumeId, volumeCapabilities: [mountCap(), mountCap(Mode.SINGLE_NODE_MULTI_WRITER)] });
  assert.is(ok.confirmed!.volumeCapabilities.length, 2);
  const block = await ctrl().validateVolumeCapabilities({ volumeId: v.volumeId, volumeCapabilities: [blockCap()] });
  assert.is(block.confirmed, undefined);
  assert.match(block.message, /block access is not supported/);
  const multi = await ctrl().validateVolumeCapabilities({ volumeId: v.volumeId, volumeCapabilities: [mountCap(Mode.MULTI_NODE_READER_ONLY)] });
  assert.match(multi.message, /MULTI_NODE_READER_ONLY/);
  const params = await ctrl().validateVolumeCapabilities({ volumeId: v.volumeId, volumeCapabilities: [mountCap()], parameters: { p: '2' } });
  assert.match(params.message, /parameters differ/);
  await fails(ctrl().validateVolumeCapabilities({ volumeId: 'vol-nope', volumeCapabilities: [mountCap()] }), 'NOT_FOUND');
  await fails(ctrl().validateVolumeCapabilities({ volumeId: v.volumeId }), 'INVALID_ARGUMENT', /volume_capabilities is required/);
  await ctrl().deleteVolume({ volumeId: v.volumeId });
});

t('ListVolumes pages with max_entries / next_token; a bad token is ABORTED', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await create(`list-${i}`, { capacityRange: { requiredBytes: MiB } })).volume!.volumeId);
  const p1 = await ctrl().listVolumes({ maxEntries: 2 });
  assert.equal(
    p1.entries.map((e) => e.volume!.volumeId),
    ids.slice(0, 2),
  );
  assert.ok(p1.nextToken);
  const p2 = await ctrl().listVolumes({ maxEntries: 2, startingToken: p1.nextToken });
  assert.equal(
    p2.entries.map((e) => e.volume!.volumeId),
    ids.slice(2, 4),
  );
  const p3 = await ctrl().listVolumes({ maxEntries: 2, startingToken: p2.nextToken });
  assert.equal(
    p3.entries.map((e) => e.volume!.volumeId),
    ids.slice(4),
  );
  assert.is(p3.nextToken, '');
  assert.equal(p3.entries[0].status!.publishedNodeIds, []);
  assert.is(p3.entries[0].status!.volumeCondition!.abnormal, false);
  await fails(ctrl().listVolumes({ startingToken: 'garbage' }), 'ABORTED', /starting_token/);
  await fails(ctrl().listSnapshots({ startingToken: p1.nextToken }), 'ABORTED', /starting_token/);
  for (const id of ids) await ctrl().deleteVolume({ volumeId: id });
});

t('ControllerGetVolume: NOT_FOUND, and an abnormal condition once the directory vanished', async () => {
  await fails(ctrl().controllerGetVolume({ volumeId: 'vol-none' }), 'NOT_FOUND');
  const v = (await create('cond')).volume!;
  assert.is((await ctrl().controllerGetVolume({ volumeId: v.volumeId })).status!.volumeCondition!.abnormal, false);
  renameSync(dirOf(v.volumeId), join(h.driver.root, 'moved-away'));
  const cond = (await ctrl().controllerGetVolume({ volumeId: v.volumeId })).status!.volumeCondition!;
  assert.is(cond.abnormal, true);
  assert.match(cond.message, /missing/);
  await ctrl().deleteVolume({ volumeId: v.volumeId });
});

t('ControllerExpandVolume grows the accounted capacity; never shrinks; OUT_OF_RANGE and RESOURCE_EXHAUSTED', async () => {
  const v = (await create('grow')).volume!;
  const r = await ctrl().controllerExpandVolume({ volumeId: v.volumeId, capacityRange: { requiredBytes: 20n * MiB } });
  assert.is(r.capacityBytes, 20n * MiB);
  assert.is(r.nodeExpansionRequired, true);
  assert.is((await ctrl().controllerGetVolume({ volumeId: v.volumeId })).volume!.capacityBytes, 20n * MiB);
  assert.is((await ctrl().getCapacity({})).availableCapacity, 80n * MiB);
  const same = await ctrl().controllerExpandVolume({ volumeId: v.volumeId, capacityRange: { requiredBytes: 15n * MiB } });
  assert.is(same.capacityBytes, 20n * MiB, 'already big enough: unchanged');
  await fails(
    ctrl().controllerExpandVolume({ volumeId: v.volumeId, capacityRange: { requiredBytes: 0n, limitBytes: 10n * MiB } }),
    'OUT_OF_RANGE',
    /do not shrink/,
  );
  await fails(ctrl().controllerExpandVolume({ volumeId: v.volumeId, capacityRange: { requiredBytes: 200n * MiB } }), 'OUT_OF_RANGE', /largest volume/);
  const other = (await create('hog', { capacityRange: { requiredBytes: 70n * MiB } })).volume!;
  await fails(ctrl().controllerExpandVolume({ volumeId: v.volumeId, capacityRange: { requiredBytes: 40n * MiB } }), 'RESOURCE_EXHAUSTED');
  await fails(ctrl().controllerExpandVolume({ volumeId: 'vol-none', capacityRange: { requiredBytes: MiB } }), 'NOT_FOUND');
  await fails(ctrl().controllerExpandVolume({ volumeId: v.volumeId }), 'INVALID_ARGUMENT', /capacity_range is required/);
  await ctrl().deleteVolume({ volumeId: other.volumeId });
  await ctrl().deleteVolume({ volumeId: v.volumeId });
});

t('snapshots: tar.gz of the volume, data restored into a new volume, idempotent by name, independent of the source', async () => {
  const v = (await create('src')).volume!;
  mkdirSync(join(dirOf(v.volumeId), 'sub'));
  writeFileSync(join(dirOf(v.volumeId), 'sub', 'data.txt'), 'precious');
  const s = (await ctrl().createSnapshot({ name: 'snap-1', sourceVolumeId: v.volumeId, parameters: { k: 'v' } })).snapshot!;
  assert.match(s.snapshotId, /^snap-/);
  assert.is(s.sourceVolumeId, v.volumeId);
  assert.is(s.sizeBytes, 10n * MiB);
  assert.is(s.readyToUse, true);
  assert.ok(s.creationTime!.seconds > 0n);
  assert.ok(existsSync(join(h.driver.root, 'snapshots', `${s.snapshotId}.tgz`)));
  assert.equal((await ctrl().createSnapshot({ name: 'snap-1', sourceVolumeId: v.volumeId, parameters: { k: 'v' } })).snapshot, s);
  await fails(ctrl().createSnapshot({ name: 'snap-1', sourceVolumeId: v.volumeId }), 'ALREADY_EXISTS', /different parameters/);
  const other = (await create('other-src', { capacityRange: { requiredBytes: MiB } })).volume!;
  await fails(ctrl().createSnapshot({ name: 'snap-1', sourceVolumeId: other.volumeId, parameters: { k: 'v' } }), 'ALREADY_EXISTS', /not of/);
  await fails(ctrl().createSnapshot({ name: 'snap-x', sourceVolumeId: 'vol-none' }), 'NOT_FOUND');
  await fails(ctrl().createSnapshot({ sourceVolumeId: v.volumeId }), 'INVALID_ARGUMENT', /name is required/);
  await fails(ctrl().createSnapshot({ name: 'snap-x' }), 'INVALID_ARGUMENT', /source_volume_id is required/);

  writeFileSync(join(dirOf(v.volumeId), 'sub', 'data.txt'), 'changed after the snapshot');
  await ctrl().deleteVolume({ volumeId: v.volumeId });
  const src = { snapshot: { snapshotId: s.snapshotId } };
  const r = (await create('restored', { volumeContentSource: src, capacityRange: undefined })).volume!;
  assert.is(r.capacityBytes, 10n * MiB, "the snapshot's size by default");
  assert.equal(r.contentSource, { snapshot: { snapshotId: s.snapshotId }, volume: undefined });
  assert.is(readFileSync(join(dirOf(r.volumeId), 'sub', 'data.txt'), 'utf8'), 'precious', 'the data as it was when cut');
  await fails(create('restored-small', { volumeContentSource: src, capacityRange: { limitBytes: MiB } }), 'OUT_OF_RANGE', /smaller than snapshot/);
  await fails(create('restored-none', { volumeContentSource: { snapshot: { snapshotId: 'snap-none' } } }), 'NOT_FOUND', /snap-none/);

  await ctrl().deleteSnapshot({ snapshotId: s.snapshotId });
  assert.not.ok(existsSync(join(h.driver.root, 'snapshots', `${s.snapshotId}.tgz`)));
  await ctrl().deleteSnapshot({ snapshotId: s.snapshotId }); // idempotent
  await fails(ctrl().deleteSnapshot({}), 'INVALID_ARGUMENT', /snapshot_id is required/);
  await ctrl().deleteVolume({ volumeId: r.volumeId });
  await ctrl().deleteVolume({ volumeId: other.volumeId });
});

t('ListSnapshots: filters by id and source, pages, ABORTED on a bad token; snapshots count against the pool', async () => {
  const a = (await create('ls-a', { capacityRange: { requiredBytes: MiB } })).volume!;
  const b = (await create('ls-b', { capacityRange: { requiredBytes: MiB } })).volume!;
  writeFileSync(join(dirOf(a.volumeId), 'f'), 'x'.repeat(4096));
  const before = (await ctrl().getCapacity({})).availableCapacity;
  const snaps = [];
  for (const [i, v] of [a, a, b].entries()) snaps.push((await ctrl().createSnapshot({ name: `ls-${i}`, sourceVolumeId: v.volumeId })).snapshot!);
  const after = (await ctrl().getCapacity({})).availableCapacity;
  assert.ok(after < before, 'archives take pool space');
  assert.equal(
    (await ctrl().listSnapshots({ sourceVolumeId: a.volumeId })).entries.map((e) => e.snapshot!.snapshotId),
    [snaps[0].snapshotId, snaps[1].snapshotId],
  );
  assert.equal(
    (await ctrl().listSnapshots({ snapshotId: snaps[2].snapshotId })).entries.map((e) => e.snapshot!.sourceVolumeId),
    [b.volumeId],
  );
  assert.equal((await ctrl().listSnapshots({ snapshotId: 'snap-unknown' })).entries, []);
  const p1 = await ctrl().listSnapshots({ maxEntries: 2 });
  assert.is(p1.entries.length, 2);
  const p2 = await ctrl().listSnapshots({ maxEntries: 2, startingToken: p1.nextToken });
  assert.equal(
    p2.entries.map((e) => e.snapshot!.snapshotId),
    [snaps[2].snapshotId],
  );
  assert.is(p2.nextToken, '');
  await fails(ctrl().listSnapshots({ startingToken: 'volumes:1' }), 'ABORTED');
  for (const s of snaps) await ctrl().deleteSnapshot({ snapshotId: s.snapshotId });
  assert.is((await ctrl().getCapacity({})).availableCapacity, before);
  for (const v of [a, b]) await ctrl().deleteVolume({ volumeId: v.volumeId });
});

t('clone: CreateVolume from a volume copies its files (modes and links kept); NOT_FOUND and OUT_OF_RANGE for bad sources', async () => {
  const v = (await create('orig')).volume!;
  const d = dirOf(v.volumeId);
  writeFileSync(join(d, 'script.sh'), '#!/bin/sh\n', { mode: 0o750 });
  mkdirSync(join(d, 'nested', 'deep'), { recursive: true });
  writeFileSync(join(d, 'nested', 'deep', 'f'), 'deep data');
  const c = (await create('copy', { volumeContentSource: { volume: { volumeId: v.volumeId } }, capacityRange: { requiredBytes: 12n * MiB } })).volume!;
  assert.is(c.capacityBytes, 12n * MiB);
  assert.equal(c.contentSource!.volume, { volumeId: v.volumeId });
  const cd = dirOf(c.volumeId);
  assert.is(readFileSync(join(cd, 'nested', 'deep', 'f'), 'utf8'), 'deep data');
  assert.is(statSync(join(cd, 'script.sh')).mode & 0o777, 0o750);
  writeFileSync(join(cd, 'only-in-clone'), '1');
  assert.not.ok(existsSync(join(d, 'only-in-clone')), 'a copy, not a link');
  await fails(create('copy-2', { volumeContentSource: { volume: { volumeId: 'vol-none' } } }), 'NOT_FOUND');
  await fails(
    create('copy-3', { volumeContentSource: { volume: { volumeId: v.volumeId } }, capacityRange: { limitBytes: MiB } }),
    'OUT_OF_RANGE',
    /smaller than volume/,
  );
  assert.equal(
    (await create('copy', { volumeContentSource: { volume: { volumeId: v.volumeId } }, capacityRange: { requiredBytes: 12n * MiB } })).volume!.volumeId,
    c.volumeId,
  );
  await fails(create('copy', { capacityRange: { requiredBytes: 12n * MiB } }), 'ALREADY_EXISTS', /volume_content_source/);
  for (const x of [c, v]) await ctrl().deleteVolume({ volumeId: x.volumeId });
});

t('an operation already pending for a volume answers ABORTED', async () => {
  const v = (await create('busy')).volume!;
  let release!: () => void;
  const held = h.driver.locks.exclusive(
    [`volume ${v.volumeId}`],
    () =>
      new Promise<void>((r) => {
        release = r;
      }),
  );
  try {
    await fails(ctrl().deleteVolume({ volumeId: v.volumeId }), 'ABORTED', /already pending/);
    await fails(ctrl().createSnapshot({ name: 'busy-snap', sourceVolumeId: v.volumeId }), 'ABORTED');
  } finally {
    release();
    await held;
  }
  await ctrl().deleteVolume({ volumeId: v.volumeId });
});

t.run();
