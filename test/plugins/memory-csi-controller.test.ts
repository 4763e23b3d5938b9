// memory-csi Controller service (volumes) over a real unix socket: idempotent create, capacity
// ranges and exhaustion, topology, delete, pagination, validation, publish per node, expansion,
// capacity, get and modify — with the gRPC code the CSI spec names for every failure.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../../plugins/memory-csi/store.js';
import { Mode, blockCap, mountCap, startTestDriver, type TestDriver } from '../../plugins/memory-csi/testing.js';
import { fails } from '../helpers/rpc.js';

const GiB = 1024n ** 3n;
const t = suite('memory-csi: controller');
let h: TestDriver;

const create = (name: string, extra: Record<string, unknown> = {}) => h.client.controller.createVolume({ name, volumeCapabilities: [mountCap()], ...extra });
const dataOf = (id: string) => h.driver.inspect().find((v) => v.id === id)!.dataPath;

t.before(async () => {
  h = await startTestDriver({
    nodeId: 'node-a',
    capacityBytes: 20n * GiB,
    maxVolumeBytes: 8n * GiB,
    maxVolumesPerNode: 3,
    nodes: ['node-b', { id: 'node-c', topology: { 'topology.triad.dev/zone': 'z9' } }],
    mutableParameterKeys: ['iops', 'tier'],
  });
});
t.after(async () => {
  await h?.close();
});

t('CreateVolume is idempotent by name; incompatible repeats answer ALREADY_EXISTS', async () => {
  const req = { name: 'idem', capacityRange: { requiredBytes: GiB, limitBytes: GiB }, volumeCapabilities: [mountCap()], parameters: { a: '1' } };
  const v1 = (await h.client.controller.createVolume(req)).volume!;
  const v2 = (await h.client.controller.createVolume(req)).volume!;
  assert.is(v2.volumeId, v1.volumeId);
  assert.is(v1.capacityBytes, GiB);
  assert.equal(
    v1.accessibleTopology.map((x) => x.segments),
    [{ 'topology.triad.dev/node': 'node-a' }],
  );
  // compatible: a range the existing volume satisfies
  assert.is((await h.client.controller.createVolume({ ...req, capacityRange: { requiredBytes: GiB / 2n } })).volume!.volumeId, v1.volumeId);
  await fails(
    h.client.controller.createVolume({ ...req, capacityRange: { requiredBytes: 2n * GiB, limitBytes: 2n * GiB } }),
    'ALREADY_EXISTS',
    /below required_bytes/,
  );
  await fails(h.client.controller.createVolume({ ...req, parameters: { a: '2' } }), 'ALREADY_EXISTS', /parameters/);
  await fails(h.client.controller.createVolume({ ...req, volumeCapabilities: [blockCap()] }), 'ALREADY_EXISTS', /block/);
  assert.is((await h.client.controller.listVolumes({})).entries.filter((e) => e.volume!.volumeId === v1.volumeId).length, 1);
  await h.client.controller.deleteVolume({ volumeId: v1.volumeId });
});

t('CreateVolume: required fields and invalid capabilities are INVALID_ARGUMENT naming the field', async () => {
  await fails(h.client.controller.createVolume({ volumeCapabilities: [mountCap()] }), 'INVALID_ARGUMENT', /name is required/);
  await fails(h.client.controller.createVolume({ name: 'x' }), 'INVALID_ARGUMENT', /volume_capabilities is required/);
  await fails(
    h.client.controller.createVolume({ name: 'x', volumeCapabilities: [{ mount: {} }] }),
    'INVALID_ARGUMENT',
    /volume_capabilities\[0\]\.access_mode is required/,
  );
  await fails(
    h.client.controller.createVolume({ name: 'x', volumeCapabilities: [{ accessMode: { mode: Mode.SINGLE_NODE_WRITER } }] }),
    'INVALID_ARGUMENT',
    /access_type is required/,
  );
  await fails(
    h.client.controller.createVolume({ name: 'x', volumeCapabilities: [{ mount: {}, accessMode: { mode: Mode.UNKNOWN } }] }),
    'INVALID_ARGUMENT',
    /access_mode\.mode/,
  );
  await fails(h.client.controller.createVolume({ name: 'x', volumeCapabilities: [mountCap(), blockCap()] }), 'INVALID_ARGUMENT', /mixes block and mount/);
  await fails(create('x', { capacityRange: { requiredBytes: 2n * GiB, limitBytes: GiB } }), 'INVALID_ARGUMENT', /required_bytes .* larger than limit_bytes/);
  await fails(create('bad\u0001name'), 'INVALID_ARGUMENT', /control character/);
  await fails(create('n'.repeat(129)), 'INVALID_ARGUMENT', /longer than 128 bytes/);
  await create('n'.repeat(128)).then((r) => h.client.controller.deleteVolume({ volumeId: r.volume!.volumeId }));
  await fails(create('x', { volumeContentSource: {} }), 'INVALID_ARGUMENT', /volume_content_source/);
  await fails(create('x', { accessibilityRequirements: {} }), 'INVALID_ARGUMENT', /accessibility_requirements/);
  await fails(create('x', { mutableParameters: { color: 'red' } }), 'INVALID_ARGUMENT', /mutable_parameters\.color/);
  assert.is((await h.client.controller.listVolumes({})).entries.length, 0, 'nothing was created');
});

t('capacity: default size, OUT_OF_RANGE beyond the largest volume, RESOURCE_EXHAUSTED when the pool is full', async () => {
  const d = (await create('default-size')).volume!;
  assert.is(d.capacityBytes, GiB);
  const lim = (await create('limited', { capacityRange: { limitBytes: GiB / 4n } })).volume!;
  assert.is(lim.capacityBytes, GiB / 4n);
  await fails(create('too-big', { capacityRange: { requiredBytes: 9n * GiB } }), 'OUT_OF_RANGE', /largest volume/);
  const big = [];
  for (let i = 0; i < 2; i++) big.push((await create(`big-${i}`, { capacityRange: { requiredBytes: 8n * GiB } })).volume!);
  // 20 GiB pool: 1 + 0.25 + 16 used
  const cap = await h.client.controller.getCapacity({});
  assert.is(cap.availableCapacity, 20n * GiB - GiB - GiB / 4n - 16n * GiB);
  assert.is(cap.maximumVolumeSize, cap.availableCapacity);
  await fails(create('no-room', { capacityRange: { requiredBytes: 4n * GiB } }), 'RESOURCE_EXHAUSTED', /not enough capacity/);
  // idempotent replay still answers when the pool is full
  assert.is((await create('big-0', { capacityRange: { requiredBytes: 8n * GiB } })).volume!.volumeId, big[0].volumeId);
  for (const v of [d, lim, ...big]) await h.client.controller.deleteVolume({ volumeId: v.volumeId });
  assert.is((await h.client.controller.getCapacity({})).availableCapacity, 20n * GiB);
});

t('topology: preferred first, requisite honoured, unservable requisite is RESOURCE_EXHAUSTED', async () => {
  const zone = { 'topology.triad.dev/zone': 'z9' };
  const nodeB = { 'topology.triad.dev/node': 'node-b' };
  const v = (await create('topo', { accessibilityRequirements: { requisite: [{ segments: nodeB }, { segments: zone }], preferred: [{ segments: zone }] } }))
    .volume!;
  assert.equal(
    v.accessibleTopology.map((x) => x.segments),
    [zone],
  );
  const w = (
    await create('topo-req', { accessibilityRequirements: { requisite: [{ segments: { 'topology.triad.dev/node': 'nowhere' } }, { segments: nodeB }] } })
  ).volume!;
  assert.equal(
    w.accessibleTopology.map((x) => x.segments),
    [nodeB],
  );
  const shared = (
    await create('topo-shared', {
      volumeCapabilities: [mountCap(Mode.MULTI_NODE_MULTI_WRITER)],
      accessibilityRequirements: { requisite: [{ segments: nodeB }, { segments: { 'topology.triad.dev/node': 'nowhere' } }, { segments: zone }] },
    })
  ).volume!;
  assert.equal(
    shared.accessibleTopology.map((x) => x.segments),
    [nodeB, zone],
    'shared storage: every servable requisite topology',
  );
  await h.client.controller.deleteVolume({ volumeId: shared.volumeId });
  await fails(
    create('topo-none', { accessibilityRequirements: { requisite: [{ segments: { 'topology.triad.dev/node': 'nowhere' } }] } }),
    'RESOURCE_EXHAUSTED',
    /requisite/,
  );
  // a volume in zone z9 can be published to node-c only
  await fails(
    h.client.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-a', volumeCapability: mountCap() }),
    'FAILED_PRECONDITION',
    /not from node node-a/,
  );
  await h.client.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-c', volumeCapability: mountCap() });
  assert.is((await h.client.controller.getCapacity({ accessibleTopology: { segments: { 'topology.triad.dev/zone': 'z1' } } })).availableCapacity, 0n);
  assert.ok((await h.client.controller.getCapacity({ accessibleTopology: { segments: zone } })).availableCapacity > 0n);
  await h.client.controller.controllerUnpublishVolume({ volumeId: v.volumeId, nodeId: 'node-c' });
  for (const x of [v, w]) await h.client.controller.deleteVolume({ volumeId: x.volumeId });
});

t('DeleteVolume: idempotent, unknown id OK, refused (FAILED_PRECONDITION) while published', async () => {
  await fails(h.client.controller.deleteVolume({}), 'INVALID_ARGUMENT', /volume_id is required/);
  await h.client.controller.deleteVolume({ volumeId: 'no-such-volume' });
  const v = (await create('del')).volume!;
  await h.client.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-a', volumeCapability: mountCap() });
  await fails(h.client.controller.deleteVolume({ volumeId: v.volumeId }), 'FAILED_PRECONDITION', /published to node\(s\) node-a/);
  await h.client.controller.controllerUnpublishVolume({ volumeId: v.volumeId, nodeId: 'node-a' });
  await h.client.controller.deleteVolume({ volumeId: v.volumeId });
  await h.client.controller.deleteVolume({ volumeId: v.volumeId });
  await fails(h.client.controller.controllerGetVolume({ volumeId: v.volumeId }), 'NOT_FOUND');
});

t('ListVolumes pages with max_entries / next_token; a bad token is ABORTED; a deleted page end keeps the token valid', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await create(`page-${i}`, { capacityRange: { requiredBytes: 1024n } })).volume!.volumeId);
  const p1 = await h.client.controller.listVolumes({ maxEntries: 2 });
  assert.equal(
    p1.entries.map((e) => e.volume!.volumeId),
    ids.slice(0, 2),
  );
  assert.ok(p1.nextToken);
  const p2 = await h.client.controller.listVolumes({ maxEntries: 2, startingToken: p1.nextToken });
  assert.equal(
    p2.entries.map((e) => e.volume!.volumeId),
    ids.slice(2, 4),
  );
  await h.client.controller.deleteVolume({ volumeId: ids[4] });
  await h.client.controller.deleteVolume({ volumeId: ids[2] });
  const p3 = await h.client.controller.listVolumes({ startingToken: p2.nextToken });
  assert.equal(
    p3.entries.map((e) => e.volume!.volumeId),
    [],
    'the last page went away, the token still works',
  );
  assert.is(p3.nextToken, '');
  const again = await h.client.controller.listVolumes({ startingToken: p1.nextToken });
  assert.equal(
    again.entries.map((e) => e.volume!.volumeId),
    [ids[3]],
  );
  await fails(h.client.controller.listVolumes({ startingToken: 'garbage' }), 'ABORTED', /starting_token/);
  await fails(h.client.controller.listSnapshots({ startingToken: p1.nextToken }), 'ABORTED');
  await fails(h.client.controller.listVolumes({ maxEntries: -1 }), 'INVALID_ARGUMENT', /max_entries/);
  for (const id of [ids[0], ids[1], ids[3]]) await h.client.controller.deleteVolume({ volumeId: id });
});

t('ValidateVolumeCapabilities: NOT_FOUND, confirmed only when every capability is supported', async () => {
  await fails(h.client.controller.validateVolumeCapabilities({ volumeCapabilities: [mountCap()] }), 'INVALID_ARGUMENT', /volume_id/);
  const v = (await create('val', { parameters: { p: '1' } })).volume!;
  await fails(h.client.controller.validateVolumeCapabilities({ volumeId: v.volumeId }), 'INVALID_ARGUMENT', /volume_capabilities/);
  await fails(h.client.controller.validateVolumeCapabilities({ volumeId: 'nope', volumeCapabilities: [mountCap()] }), 'NOT_FOUND');
  const ok = await h.client.controller.validateVolumeCapabilities({
    volumeId: v.volumeId,
    volumeCapabilities: [mountCap(Mode.MULTI_NODE_MULTI_WRITER)],
    volumeContext: v.volumeContext,
  });
  assert.ok(ok.confirmed);
  assert.is(ok.confirmed!.volumeCapabilities.length, 1);
  const block = await h.client.controller.validateVolumeCapabilities({ volumeId: v.volumeId, volumeCapabilities: [mountCap(), blockCap()] });
  assert.is(block.confirmed, undefined);
  assert.match(block.message, /volume_capabilities\[1\].*mount volume/);
  const params = await h.client.controller.validateVolumeCapabilities({ volumeId: v.volumeId, volumeCapabilities: [mountCap()], parameters: { p: '2' } });
  assert.is(params.confirmed, undefined);
  assert.match(params.message, /parameters/);
  await h.client.controller.deleteVolume({ volumeId: v.volumeId });
});

t('ControllerPublishVolume per node: codes for unknown volume/node, idempotency, incompatibility, single-node modes, node limit', async () => {
  await fails(h.client.controller.controllerPublishVolume({}), 'INVALID_ARGUMENT', /volume_id/);
  await fails(h.client.controller.controllerPublishVolume({ volumeId: 'v' }), 'INVALID_ARGUMENT', /node_id/);
  await fails(h.client.controller.controllerPublishVolume({ volumeId: 'v', nodeId: 'node-a' }), 'INVALID_ARGUMENT', /volume_capability/);
  await fails(h.client.controller.controllerPublishVolume({ volumeId: 'nope', nodeId: 'node-a', volumeCapability: mountCap() }), 'NOT_FOUND', /volume nope/);
  const rwo = (await create('rwo')).volume!;
  await fails(
    h.client.controller.controllerPublishVolume({ volumeId: rwo.volumeId, nodeId: 'node-x', volumeCapability: mountCap() }),
    'NOT_FOUND',
    /node node-x/,
  );
  await fails(
    h.client.controller.controllerPublishVolume({ volumeId: rwo.volumeId, nodeId: 'node-a', volumeCapability: blockCap() }),
    'FAILED_PRECONDITION',
    /exceeds/,
  );
  await fails(
    h.client.controller.controllerPublishVolume({
      volumeId: rwo.volumeId,
      nodeId: 'node-a',
      volumeCapability: mountCap(),
      volumeContext: { accessType: 'block' },
    }),
    'INVALID_ARGUMENT',
    /volume_context\.accessType/,
  );
  const pub = { volumeId: rwo.volumeId, nodeId: 'node-a', volumeCapability: mountCap(), volumeContext: rwo.volumeContext };
  const r1 = await h.client.controller.controllerPublishVolume(pub);
  assert.equal(r1.publishContext, { nodeId: 'node-a', readonly: 'false', accessType: 'mount' });
  assert.equal((await h.client.controller.controllerPublishVolume(pub)).publishContext, r1.publishContext, 'idempotent');
  await fails(h.client.controller.controllerPublishVolume({ ...pub, readonly: true }), 'ALREADY_EXISTS');
  await fails(h.client.controller.controllerPublishVolume({ ...pub, nodeId: 'node-b' }), 'FAILED_PRECONDITION', /already published to node node-a/);

  const rwx = (await create('rwx', { volumeCapabilities: [mountCap(Mode.MULTI_NODE_MULTI_WRITER)] })).volume!;
  assert.is(rwx.accessibleTopology.length, 3, 'a MULTI_NODE volume with no requirement is reachable from every known node');
  for (const n of ['node-a', 'node-b']) {
    await h.client.controller.controllerPublishVolume({
      volumeId: rwx.volumeId,
      nodeId: n,
      volumeCapability: mountCap(Mode.MULTI_NODE_MULTI_WRITER),
      readonly: n === 'node-b',
    });
  }
  const listed = (await h.client.controller.listVolumes({})).entries.find((e) => e.volume!.volumeId === rwx.volumeId)!;
  assert.equal(listed.status!.publishedNodeIds, ['node-a', 'node-b']);
  const got = await h.client.controller.controllerGetVolume({ volumeId: rwx.volumeId });
  assert.equal(got.status!.publishedNodeIds, ['node-a', 'node-b']);
  assert.equal(got.status!.volumeCondition, { abnormal: false, message: 'volume data is present' });

  // max_volumes_per_node = 3 on node-a: rwo and rwx are there; one more fits, the next does not
  const v3 = (await create('third')).volume!;
  const v4 = (await create('fourth')).volume!;
  await h.client.controller.controllerPublishVolume({ volumeId: v3.volumeId, nodeId: 'node-a', volumeCapability: mountCap() });
  await fails(
    h.client.controller.controllerPublishVolume({ volumeId: v4.volumeId, nodeId: 'node-a', volumeCapability: mountCap() }),
    'RESOURCE_EXHAUSTED',
    /node-a already has 3/,
  );

  // unpublish: idempotent, unknown volume OK, empty node id means every node
  await h.client.controller.controllerUnpublishVolume({ volumeId: v3.volumeId, nodeId: 'node-a' });
  await h.client.controller.controllerUnpublishVolume({ volumeId: v3.volumeId, nodeId: 'node-a' });
  await h.client.controller.controllerUnpublishVolume({ volumeId: 'nope', nodeId: 'node-a' });
  await fails(h.client.controller.controllerUnpublishVolume({}), 'INVALID_ARGUMENT', /volume_id/);
  await h.client.controller.controllerUnpublishVolume({ volumeId: rwx.volumeId });
  assert.equal((await h.client.controller.controllerGetVolume({ volumeId: rwx.volumeId })).status!.publishedNodeIds, []);
  await h.client.controller.controllerUnpublishVolume({ volumeId: rwo.volumeId, nodeId: 'node-a' });
  for (const v of [rwo, rwx, v3, v4]) await h.client.controller.deleteVolume({ volumeId: v.volumeId });
});

t('ControllerExpandVolume: NOT_FOUND, OUT_OF_RANGE, node_expansion_required for mount, not for block', async () => {
  await fails(h.client.controller.controllerExpandVolume({ capacityRange: { requiredBytes: GiB } }), 'INVALID_ARGUMENT', /volume_id/);
  await fails(h.client.controller.controllerExpandVolume({ volumeId: 'x' }), 'INVALID_ARGUMENT', /capacity_range is required/);
  await fails(h.client.controller.controllerExpandVolume({ volumeId: 'nope', capacityRange: { requiredBytes: GiB } }), 'NOT_FOUND');
  const v = (await create('grow', { capacityRange: { requiredBytes: GiB } })).volume!;
  const r = await h.client.controller.controllerExpandVolume({
    volumeId: v.volumeId,
    capacityRange: { requiredBytes: 2n * GiB },
    volumeCapability: mountCap(),
  });
  assert.equal(r, { capacityBytes: 2n * GiB, nodeExpansionRequired: true });
  const again = await h.client.controller.controllerExpandVolume({ volumeId: v.volumeId, capacityRange: { requiredBytes: 2n * GiB } });
  assert.is(again.capacityBytes, 2n * GiB, 'idempotent');
  await fails(
    h.client.controller.controllerExpandVolume({ volumeId: v.volumeId, capacityRange: { requiredBytes: GiB / 2n, limitBytes: GiB } }),
    'OUT_OF_RANGE',
    /do not shrink/,
  );
  await fails(
    h.client.controller.controllerExpandVolume({ volumeId: v.volumeId, capacityRange: { requiredBytes: 9n * GiB } }),
    'OUT_OF_RANGE',
    /largest volume/,
  );
  await fails(
    h.client.controller.controllerExpandVolume({ volumeId: v.volumeId, capacityRange: { requiredBytes: 3n * GiB }, volumeCapability: blockCap() }),
    'INVALID_ARGUMENT',
    /exceeds/,
  );
  assert.is((await h.client.controller.controllerGetVolume({ volumeId: v.volumeId })).volume!.capacityBytes, 2n * GiB);
  const b = (await h.client.controller.createVolume({ name: 'grow-block', volumeCapabilities: [blockCap()], capacityRange: { requiredBytes: 1n << 20n } }))
    .volume!;
  const rb = await h.client.controller.controllerExpandVolume({ volumeId: b.volumeId, capacityRange: { requiredBytes: 2n << 20n } });
  assert.equal(rb, { capacityBytes: 2n << 20n, nodeExpansionRequired: false });
  assert.is(BigInt(readFileSync(dataOf(b.volumeId)).length), 2n << 20n, 'the image file grew');
  for (const x of [v, b]) await h.client.controller.deleteVolume({ volumeId: x.volumeId });
});

t('clone: CreateVolume from a volume copies its real files; NOT_FOUND and OUT_OF_RANGE for bad sources', async () => {
  const src = (await create('clone-src', { capacityRange: { requiredBytes: 2n * GiB } })).volume!;
  writeFileSync(join(dataOf(src.volumeId), 'hello.txt'), 'from the source');
  const vsrc = { volume: { volumeId: src.volumeId } };
  const c = (await create('clone', { volumeContentSource: vsrc })).volume!;
  assert.is(c.capacityBytes, 2n * GiB, 'at least the source size');
  assert.is(c.contentSource?.volume?.volumeId, src.volumeId);
  assert.is(readFileSync(join(dataOf(c.volumeId), 'hello.txt'), 'utf8'), 'from the source');
  writeFileSync(join(dataOf(c.volumeId), 'hello.txt'), 'changed in the clone');
  assert.is(readFileSync(join(dataOf(src.volumeId), 'hello.txt'), 'utf8'), 'from the source', 'a copy, not a link');
  await fails(create('clone-2', { volumeContentSource: { volume: { volumeId: 'nope' } } }), 'NOT_FOUND', /volume_content_source\.volume\.volume_id/);
  await fails(create('clone-3', { volumeContentSource: vsrc, capacityRange: { limitBytes: GiB } }), 'OUT_OF_RANGE', /smaller than volume/);
  await fails(
    h.client.controller.createVolume({ name: 'clone-4', volumeCapabilities: [blockCap()], volumeContentSource: vsrc }),
    'INVALID_ARGUMENT',
    /mount volume/,
  );
  await fails(create('clone', { volumeContentSource: undefined }), 'ALREADY_EXISTS', /volume_content_source/);
  for (const x of [c, src]) await h.client.controller.deleteVolume({ volumeId: x.volumeId });
});

t('ControllerModifyVolume stores mutable_parameters; unknown keys INVALID_ARGUMENT; unknown volume NOT_FOUND', async () => {
  const v = (await create('mod', { mutableParameters: { iops: '100' } })).volume!;
  await fails(h.client.controller.controllerModifyVolume({ volumeId: 'nope', mutableParameters: { iops: '1' } }), 'NOT_FOUND');
  await fails(
    h.client.controller.controllerModifyVolume({ volumeId: v.volumeId, mutableParameters: { color: 'red' } }),
    'INVALID_ARGUMENT',
    /mutable_parameters\.color/,
  );
  await h.client.controller.controllerModifyVolume({ volumeId: v.volumeId, mutableParameters: { tier: 'gold' } });
  await h.client.controller.controllerModifyVolume({ volumeId: v.volumeId, mutableParameters: { tier: 'gold' } });
  assert.equal(h.driver.inspect().find((x) => x.id === v.volumeId)!.mutableParameters, { iops: '100', tier: 'gold' });
  const yes = await h.client.controller.validateVolumeCapabilities({
    volumeId: v.volumeId,
    volumeCapabilities: [mountCap()],
    mutableParameters: { tier: 'gold' },
  });
  assert.ok(yes.confirmed);
  const no = await h.client.controller.validateVolumeCapabilities({ volumeId: v.volumeId, volumeCapabilities: [mountCap()], mutableParameters: { iops: '5' } });
  assert.match(no.message, /mutable_parameters\.iops/);
  // CreateVolume replays compare the creation-time mutable parameters
  assert.is((await create('mod', { mutableParameters: { iops: '100' } })).volume!.volumeId, v.volumeId);
  await h.client.controller.deleteVolume({ volumeId: v.volumeId });
});

t('mutable_parameters: unknown keys are INVALID_ARGUMENT by default too (keys iops, tier); an empty modification is INVALID_ARGUMENT', async () => {
  const d = await startTestDriver({ nodeId: 'node-z' });
  try {
    const c = d.client.controller;
    await fails(
      c.createVolume({ name: 'm1', volumeCapabilities: [mountCap()], mutableParameters: { color: 'red' } }),
      'INVALID_ARGUMENT',
      /mutable_parameters\.color.*supported: iops, tier/,
    );
    const v = (await c.createVolume({ name: 'm2', volumeCapabilities: [mountCap()], mutableParameters: { tier: 'silver' } })).volume!;
    await fails(c.controllerModifyVolume({ volumeId: v.volumeId, mutableParameters: { color: 'red' } }), 'INVALID_ARGUMENT', /mutable_parameters\.color/);
    await fails(c.controllerModifyVolume({ volumeId: v.volumeId, mutableParameters: {} }), 'INVALID_ARGUMENT', /mutable_parameters is required/);
    // Argument errors first: an empty map on an unknown volume is INVALID_ARGUMENT, not NOT_FOUND.
    await fails(c.controllerModifyVolume({ volumeId: 'nope', mutableParameters: {} }), 'INVALID_ARGUMENT');
    await c.controllerModifyVolume({ volumeId: v.volumeId, mutableParameters: { iops: '300' } });
    assert.equal(d.driver.inspect().find((x) => x.id === v.volumeId)!.mutableParameters, { tier: 'silver', iops: '300' });
    await c.deleteVolume({ volumeId: v.volumeId });
  } finally {
    await d.close();
  }
});

t('ControllerGetVolume: NOT_FOUND; a volume whose data vanished reports an abnormal condition', async () => {
  await fails(h.client.controller.controllerGetVolume({}), 'INVALID_ARGUMENT', /volume_id/);
  await fails(h.client.controller.controllerGetVolume({ volumeId: 'nope' }), 'NOT_FOUND');
  const v = (await create('cond')).volume!;
  h.driver.setVolumeCondition(v.volumeId, { abnormal: true, message: 'disk on fire' });
  assert.equal((await h.client.controller.controllerGetVolume({ volumeId: v.volumeId })).status!.volumeCondition, { abnormal: true, message: 'disk on fire' });
  h.driver.setVolumeCondition(v.volumeId, undefined);
  const { rmSync } = await import('node:fs');
  rmSync(dataOf(v.volumeId), { recursive: true });
  const cond = (await h.client.controller.controllerGetVolume({ volumeId: v.volumeId })).status!.volumeCondition!;
  assert.is(cond.abnormal, true);
  assert.match(cond.message, /missing/);
  await h.client.controller.deleteVolume({ volumeId: v.volumeId });
});

t('an operation already pending for a volume answers ABORTED', async () => {
  const s = new Store(1n);
  let release!: () => void;
  const first = s.exclusive(
    ['volume v1'],
    () =>
      new Promise<void>((r) => {
        release = r;
      }),
  );
  await s
    .exclusive(['volume v1'], () => 1)
    .then(
      () => assert.unreachable(),
      (e: { code: number; message: string }) => {
        assert.is(e.code, 10);
        assert.match(e.message, /already pending for volume v1/);
      },
    );
  assert.is(await s.exclusive(['volume v2'], () => 2), 2);
  release();
  await first;
  assert.is(await s.exclusive(['volume v1'], () => 3), 3, 'released');
});

t.run();
