// hostpath driver security: no request can make it read, write or mount outside its root.
// Ids and names with "..", separators, absolute paths, NUL or too many bytes; a volume directory
// (or the volumes directory, or a snapshot archive) swapped for a symlink pointing outside; target
// and staging paths inside the root, above it, relative, or leading into it through a symlink.
// Every refusal is INVALID_ARGUMENT naming the field, and leaves nothing behind. The refusals come
// before any mount, so this file needs no root.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RpcError } from '../../interfaces/grpc/errors.js';
import { mountCapability as mountCap, mountsUnder } from '../../interfaces/csi/sdk/index.js';
import { startTestHostpath, type TestHostpath } from '../../plugins/hostpath/testing.js';

const MiB = 1024n ** 2n;
const t = suite('hostpath: security');
let h: TestHostpath;
const ctrl = () => h.client.controller;
const node = () => h.client.node;
const cap = mountCap();

async function refused(p: Promise<unknown>, field: string, re?: RegExp): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.instance(err, RpcError, `expected INVALID_ARGUMENT naming ${field}, the call succeeded`);
  const r = err as RpcError;
  assert.is(r.codeName, 'INVALID_ARGUMENT', r.message);
  assert.ok(r.details.startsWith(field), `the message names ${field}: ${r.details}`);
  if (re) assert.match(r.details, re);
}

/** Everything in the root, to check that a refused call created nothing. */
const snapshotOfRoot = () => JSON.stringify(['volumes', 'snapshots'].map((d) => readdirSync(join(h.driver.root, d)).sort()));

const BAD_IDS: Array<[string, RegExp]> = [
  ['..', /must not contain "\.\."/],
  ['../../../etc', /path separator|"\.\."/],
  ['/etc/passwd', /absolute path/],
  ['vol/../../x', /path separator/],
  ['vol\0x', /NUL byte/],
  ['v'.repeat(129), /longer than 128 bytes/],
];

t.before(async () => {
  h = await startTestHostpath({ capacityBytes: 64n * MiB });
});
t.after(async () => {
  const dir = h?.dir;
  await h?.close();
  if (dir) assert.equal(mountsUnder(dir), []);
});

t('volume and snapshot ids that are not plain names are refused by every RPC, naming the field', async () => {
  const before = snapshotOfRoot();
  const target = h.scratch('t');
  const staging = h.scratch('s');
  for (const [bad, re] of BAD_IDS) {
    await refused(ctrl().deleteVolume({ volumeId: bad }), 'volume_id', re);
    await refused(ctrl().controllerPublishVolume({ volumeId: bad, nodeId: 'node-a', volumeCapability: cap }), 'volume_id', re);
    await refused(ctrl().controllerUnpublishVolume({ volumeId: bad, nodeId: 'node-a' }), 'volume_id', re);
    await refused(ctrl().validateVolumeCapabilities({ volumeId: bad, volumeCapabilities: [cap] }), 'volume_id', re);
    await refused(ctrl().controllerGetVolume({ volumeId: bad }), 'volume_id', re);
    await refused(ctrl().controllerExpandVolume({ volumeId: bad, capacityRange: { requiredBytes: MiB } }), 'volume_id', re);
    await refused(ctrl().createSnapshot({ name: 'ok-name', sourceVolumeId: bad }), 'source_volume_id', re);
    await refused(ctrl().deleteSnapshot({ snapshotId: bad }), 'snapshot_id', re);
    await refused(ctrl().listSnapshots({ snapshotId: bad }), 'snapshot_id', re);
    await refused(
      ctrl().createVolume({ name: 'ok', volumeCapabilities: [cap], volumeContentSource: { snapshot: { snapshotId: bad } } }),
      'volume_content_source.snapshot.snapshot_id',
      re,
    );
    await refused(
      ctrl().createVolume({ name: 'ok', volumeCapabilities: [cap], volumeContentSource: { volume: { volumeId: bad } } }),
      'volume_content_source.volume.volume_id',
      re,
    );
    await refused(node().nodeStageVolume({ volumeId: bad, stagingTargetPath: staging, volumeCapability: cap }), 'volume_id', re);
    await refused(node().nodeUnstageVolume({ volumeId: bad, stagingTargetPath: staging }), 'volume_id', re);
    await refused(node().nodePublishVolume({ volumeId: bad, stagingTargetPath: staging, targetPath: target, volumeCapability: cap }), 'volume_id', re);
    await refused(node().nodeUnpublishVolume({ volumeId: bad, targetPath: target }), 'volume_id', re);
    await refused(node().nodeGetVolumeStats({ volumeId: bad, volumePath: target }), 'volume_id', re);
    await refused(node().nodeExpandVolume({ volumeId: bad, volumePath: target }), 'volume_id', re);
  }
  assert.is(snapshotOfRoot(), before, 'nothing was created in the root');
  assert.not.ok(existsSync(h.scratch()), 'nothing was created outside it');
});

t('volume and snapshot names that could act as paths are refused', async () => {
  for (const [bad, re] of [
    ['../escape', /path separator/],
    ['/abs', /absolute path/],
    ['..', /"\.\."/],
    ['a\0b', /NUL/],
    ['n'.repeat(129), /longer than 128/],
  ] as const) {
    await refused(ctrl().createVolume({ name: bad, volumeCapabilities: [cap] }), 'name', re);
    await refused(ctrl().createSnapshot({ name: bad, sourceVolumeId: 'vol-x' }), 'name', re);
  }
  assert.equal((await ctrl().listVolumes({})).entries, []);
});

t('a volume directory replaced by a symlink to outside the root is refused, and deleting it never follows the link', async () => {
  const outside = h.scratch('outside');
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'secret'), 'do not read, copy or delete');
  const v = (await ctrl().createVolume({ name: 'victim', volumeCapabilities: [cap], capacityRange: { requiredBytes: MiB } })).volume!;
  const vdir = join(h.driver.root, 'volumes', v.volumeId);
  rmSync(vdir, { recursive: true });
  symlinkSync(outside, vdir);

  await ctrl().controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-a', volumeCapability: cap });
  const staging = h.scratch('victim-staging');
  await refused(node().nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: staging, volumeCapability: cap }), 'volume_id', /symlink/);
  assert.not.ok(existsSync(staging), 'no staging directory made');
  await refused(ctrl().createSnapshot({ name: 'steal', sourceVolumeId: v.volumeId }), 'source_volume_id', /symlink/);
  assert.equal(readdirSync(join(h.driver.root, 'snapshots')), [], 'no archive of the outside data');
  await refused(
    ctrl().createVolume({ name: 'steal-clone', volumeCapabilities: [cap], volumeContentSource: { volume: { volumeId: v.volumeId } } }),
    'volume_content_source.volume.volume_id',
    /symlink/,
  );
  assert.equal(
    (await ctrl().listVolumes({})).entries.map((e) => e.volume!.volumeId),
    [v.volumeId],
    'no clone was made',
  );
  const cond = (await ctrl().controllerGetVolume({ volumeId: v.volumeId })).status!.volumeCondition!;
  assert.is(cond.abnormal, true);
  assert.match(cond.message, /symlink/);

  await ctrl().controllerUnpublishVolume({ volumeId: v.volumeId, nodeId: 'node-a' });
  await ctrl().deleteVolume({ volumeId: v.volumeId });
  assert.not.ok(existsSync(vdir), 'the link is gone');
  assert.is(readFileSync(join(outside, 'secret'), 'utf8'), 'do not read, copy or delete', 'what it pointed at is untouched');
});

t('the volumes directory itself swapped for a symlink is refused too', async () => {
  const v = (await ctrl().createVolume({ name: 'moved', volumeCapabilities: [cap], capacityRange: { requiredBytes: MiB } })).volume!;
  const volumes = join(h.driver.root, 'volumes');
  const elsewhere = h.scratch('elsewhere-volumes');
  mkdirSync(h.scratch(), { recursive: true });
  renameSync(volumes, elsewhere);
  symlinkSync(elsewhere, volumes);
  try {
    await refused(ctrl().createSnapshot({ name: 'via-link', sourceVolumeId: v.volumeId }), 'source_volume_id', /symlink/);
    await refused(ctrl().createVolume({ name: 'new-via-link', volumeCapabilities: [cap], capacityRange: { requiredBytes: MiB } }), 'volume_id', /symlink/);
    assert.equal(readdirSync(elsewhere), [v.volumeId], 'nothing created through the link');
  } finally {
    rmSync(volumes);
    renameSync(elsewhere, volumes);
  }
  await ctrl().deleteVolume({ volumeId: v.volumeId });
});

t('a snapshot archive replaced by a symlink is not restored from, and deleting it removes only the link', async () => {
  const v = (await ctrl().createVolume({ name: 'snapsrc', volumeCapabilities: [cap], capacityRange: { requiredBytes: MiB } })).volume!;
  const s = (await ctrl().createSnapshot({ name: 'snap', sourceVolumeId: v.volumeId })).snapshot!;
  const archive = join(h.driver.root, 'snapshots', `${s.snapshotId}.tgz`);
  const foreign = h.scratch('foreign.tgz');
  mkdirSync(h.scratch(), { recursive: true });
  renameSync(archive, foreign);
  symlinkSync(foreign, archive);
  await refused(
    ctrl().createVolume({ name: 'from-link', volumeCapabilities: [cap], volumeContentSource: { snapshot: { snapshotId: s.snapshotId } } }),
    'volume_content_source.snapshot.snapshot_id',
    /symlink/,
  );
  await ctrl().deleteSnapshot({ snapshotId: s.snapshotId });
  assert.not.ok(existsSync(archive));
  assert.ok(existsSync(foreign), 'the file the link pointed at is untouched');
  await ctrl().deleteVolume({ volumeId: v.volumeId });
});

t('target and staging paths must be absolute, outside the root and not above it — also through symlinks', async () => {
  const v = (await ctrl().createVolume({ name: 'paths', volumeCapabilities: [cap], capacityRange: { requiredBytes: MiB } })).volume!;
  await ctrl().controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-a', volumeCapability: cap });
  const root = h.driver.root;
  mkdirSync(h.scratch(), { recursive: true });
  symlinkSync(join(root, 'volumes'), h.scratch('into-root'));
  const good = h.scratch('good-staging');
  const before = snapshotOfRoot();
  const bad: Array<[string, RegExp]> = [
    ['relative/path', /must be an absolute path/],
    [join(root, 'volumes', v.volumeId), /inside the driver root/],
    [join(root, 'volumes', v.volumeId, 'deeper'), /inside the driver root/],
    [root, /inside the driver root/],
    [join(root, 'snapshots', 'new-dir'), /inside the driver root/],
    [h.scratch('into-root', 'x'), /inside the driver root/],
    [`${h.scratch()}/../root/volumes`, /inside the driver root/],
    [h.dir, /contains the driver root/],
    ['/', /contains the driver root/],
    ['/tmp/a\0b', /NUL byte/],
  ];
  for (const [path, re] of bad) {
    await refused(node().nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: path, volumeCapability: cap }), 'staging_target_path', re);
    await refused(node().nodeUnstageVolume({ volumeId: v.volumeId, stagingTargetPath: path }), 'staging_target_path', re);
    await refused(node().nodePublishVolume({ volumeId: v.volumeId, stagingTargetPath: good, targetPath: path, volumeCapability: cap }), 'target_path', re);
    await refused(
      node().nodePublishVolume({ volumeId: v.volumeId, stagingTargetPath: path, targetPath: h.scratch('t'), volumeCapability: cap }),
      'staging_target_path',
      re,
    );
    await refused(node().nodeUnpublishVolume({ volumeId: v.volumeId, targetPath: path }), 'target_path', re);
  }
  assert.is(snapshotOfRoot(), before, 'nothing was created in the root');
  assert.equal(readdirSync(join(root, 'volumes', v.volumeId)), [], 'nothing was created in the volume');
  assert.equal(mountsUnder(h.dir), [], 'nothing was mounted');
  await ctrl().controllerUnpublishVolume({ volumeId: v.volumeId, nodeId: 'node-a' });
  await ctrl().deleteVolume({ volumeId: v.volumeId });
});

t.run();
