// hostpath driver, Node service with REAL bind mounts over a real unix socket: stage / publish /
// unpublish / unstage, files shared between two targets and the volume directory, a readonly
// target refusing writes with EROFS, the spec's idempotency tables and error codes, stats from
// statfs + du, NodeExpandVolume, and a clear FAILED_PRECONDITION when not root. Needs root:
// skipped otherwise, and an error under CI=true. after() removes every mount, also on failure.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VolumeUsage_Unit as Unit } from '../../interfaces/gen/csi/csi.js';
import { Mode, isMountPoint, mountCapability as mountCap, mountsUnder, unmount } from '../../interfaces/csi/sdk/index.js';
import { startTestHostpath, type TestHostpath } from '../../plugins/hostpath/testing.js';
import { fails } from '../helpers/rpc.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI === 'true') throw new Error('hostpath node tests need root (bind mounts); CI must run them as root');

const MiB = 1024n ** 2n;
const t = suite(isRoot ? 'hostpath: node (bind mounts)' : 'hostpath: node (skipped: needs root for bind mounts)');
const rt = isRoot ? t : t.skip;
let h: TestHostpath;
let dir: string | undefined;
const ctrl = () => h.client.controller;
const node = () => h.client.node;
const cap = mountCap(Mode.SINGLE_NODE_MULTI_WRITER);

const errno = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as NodeJS.ErrnoException).code;
  }
  return undefined;
};

/** Create, controller-publish and stage a volume; returns its id and staging path. */
async function staged(name: string, c = cap, bytes = 8n * MiB) {
  const v = (await ctrl().createVolume({ name, volumeCapabilities: [c], capacityRange: { requiredBytes: bytes } })).volume!;
  await ctrl().controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-a', volumeCapability: c });
  const staging = h.scratch('staging', name);
  await node().nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: staging, volumeCapability: c });
  return { id: v.volumeId, staging, dir: join(h.driver.root, 'volumes', v.volumeId) };
}
async function teardown(v: { id: string; staging: string }, targets: string[] = []) {
  for (const target of targets) await node().nodeUnpublishVolume({ volumeId: v.id, targetPath: target });
  await node().nodeUnstageVolume({ volumeId: v.id, stagingTargetPath: v.staging });
  await ctrl().controllerUnpublishVolume({ volumeId: v.id, nodeId: 'node-a' });
  await ctrl().deleteVolume({ volumeId: v.id });
}

t.before(async () => {
  if (!isRoot) return;
  h = await startTestHostpath({ capacityBytes: 256n * MiB });
  dir = h.dir;
});
t.after(async () => {
  try {
    await h?.close();
  } finally {
    if (dir) {
      for (const p of mountsUnder(dir).reverse()) await unmount(p).catch(() => undefined);
      assert.not.ok(readFileSync('/proc/mounts', 'utf8').includes(dir), 'no mount of this test left in /proc/mounts');
      assert.not.ok(existsSync(dir), 'the test directory is gone');
    }
  }
});

rt('full lifecycle: bind mounts at staging and two targets share files with the volume directory; readonly is EROFS', async () => {
  const v = await staged('life');
  assert.ok(isMountPoint(v.staging), 'staging path is a mount point');
  const t1 = h.scratch('pods', 'a', 'vol');
  const t2 = h.scratch('pods', 'b', 'vol');
  const ro = h.scratch('pods', 'c', 'vol');
  await node().nodePublishVolume({ volumeId: v.id, stagingTargetPath: v.staging, targetPath: t1, volumeCapability: cap });
  await node().nodePublishVolume({ volumeId: v.id, stagingTargetPath: v.staging, targetPath: t2, volumeCapability: cap });
  await node().nodePublishVolume({ volumeId: v.id, stagingTargetPath: v.staging, targetPath: ro, volumeCapability: cap, readonly: true });
  for (const p of [t1, t2, ro]) assert.ok(isMountPoint(p), `${p} is a mount point`);
  writeFileSync(join(t1, 'from-a.txt'), 'written via target a');
  assert.is(readFileSync(join(t2, 'from-a.txt'), 'utf8'), 'written via target a');
  assert.is(readFileSync(join(v.dir, 'from-a.txt'), 'utf8'), 'written via target a', 'the data is in the volume directory');
  assert.is(readFileSync(join(ro, 'from-a.txt'), 'utf8'), 'written via target a');
  assert.is(
    errno(() => writeFileSync(join(ro, 'nope'), 'x')),
    'EROFS',
  );
  writeFileSync(join(v.dir, 'from-dir'), 'direct');
  assert.is(readFileSync(join(t2, 'from-dir'), 'utf8'), 'direct');

  await teardown(v, [t1, t2, ro]);
  for (const p of [t1, t2, ro, v.staging]) {
    assert.not.ok(isMountPoint(p), `${p} unmounted`);
    assert.not.ok(existsSync(p), `${p} removed`);
  }
  assert.not.ok(existsSync(v.dir));
  assert.equal(mountsUnder(h.dir), []);
});

rt('idempotency: stage, publish, unpublish and unstage again answer OK; a target taken away is put back', async () => {
  const v = await staged('idem');
  await node().nodeStageVolume({ volumeId: v.id, stagingTargetPath: v.staging, volumeCapability: cap });
  const target = h.scratch('idem-target');
  const req = { volumeId: v.id, stagingTargetPath: v.staging, targetPath: target, volumeCapability: cap };
  await node().nodePublishVolume(req);
  await node().nodePublishVolume(req);
  assert.is(mountsUnder(target).length, 1, 'one mount, not two');
  await unmount(target);
  await node().nodePublishVolume(req);
  assert.ok(isMountPoint(target), 'mounted again');
  await node().nodeUnpublishVolume({ volumeId: v.id, targetPath: target });
  await node().nodeUnpublishVolume({ volumeId: v.id, targetPath: target });
  await node().nodeUnpublishVolume({ volumeId: v.id, targetPath: h.scratch('never-published') });
  await node().nodeUnstageVolume({ volumeId: v.id, stagingTargetPath: v.staging });
  await node().nodeUnstageVolume({ volumeId: v.id, stagingTargetPath: v.staging });
  await ctrl().controllerUnpublishVolume({ volumeId: v.id, nodeId: 'node-a' });
  await ctrl().deleteVolume({ volumeId: v.id });
});

rt('error codes: NOT_FOUND, FAILED_PRECONDITION for ordering and occupied paths, ALREADY_EXISTS, INVALID_ARGUMENT', async () => {
  const c1 = mountCap(Mode.SINGLE_NODE_WRITER);
  const v = (await ctrl().createVolume({ name: 'errs', volumeCapabilities: [c1], capacityRange: { requiredBytes: MiB } })).volume!;
  const staging = h.scratch('staging', 'errs');
  await fails(
    node().nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: staging, volumeCapability: c1 }),
    'FAILED_PRECONDITION',
    /ControllerPublishVolume must succeed/,
  );
  await ctrl().controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-a', volumeCapability: c1 });
  await fails(node().nodeStageVolume({ volumeId: 'vol-none', stagingTargetPath: staging, volumeCapability: c1 }), 'NOT_FOUND');
  await fails(node().nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: staging }), 'INVALID_ARGUMENT', /volume_capability is required/);
  await fails(node().nodeStageVolume({ volumeId: v.volumeId, volumeCapability: c1 }), 'INVALID_ARGUMENT', /staging_target_path is required/);
  const full = h.scratch('full');
  mkdirSync(full, { recursive: true });
  writeFileSync(join(full, 'somebody-elses'), 'x');
  await fails(node().nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: full, volumeCapability: c1 }), 'FAILED_PRECONDITION', /not empty/);
  await node().nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: staging, volumeCapability: c1 });
  await fails(
    node().nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: h.scratch('other-staging'), volumeCapability: c1 }),
    'FAILED_PRECONDITION',
    /already staged/,
  );
  await fails(
    node().nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: staging, volumeCapability: mountCap(Mode.SINGLE_NODE_READER_ONLY) }),
    'ALREADY_EXISTS',
  );

  const t1 = h.scratch('e1');
  const base = { volumeId: v.volumeId, stagingTargetPath: staging, volumeCapability: c1 };
  await fails(node().nodePublishVolume({ ...base, targetPath: t1, stagingTargetPath: '' }), 'FAILED_PRECONDITION', /staging_target_path is not set/);
  // Argument errors before state errors: without volume_capability too, the missing field decides.
  await fails(node().nodePublishVolume({ volumeId: v.volumeId, targetPath: t1, stagingTargetPath: '' }), 'INVALID_ARGUMENT', /volume_capability/);
  await fails(node().nodePublishVolume({ ...base, targetPath: t1, stagingTargetPath: h.scratch('not-staged-here') }), 'FAILED_PRECONDITION', /not staged at/);
  await fails(node().nodePublishVolume({ ...base, targetPath: '' }), 'INVALID_ARGUMENT', /target_path is required/);
  await fails(node().nodePublishVolume({ ...base, volumeId: 'vol-none', targetPath: t1 }), 'NOT_FOUND');
  await fails(node().nodePublishVolume({ ...base, targetPath: full }), 'FAILED_PRECONDITION', /not empty/);
  await node().nodePublishVolume({ ...base, targetPath: t1 });
  await fails(node().nodePublishVolume({ ...base, targetPath: t1, readonly: true }), 'ALREADY_EXISTS');
  await fails(node().nodePublishVolume({ ...base, targetPath: h.scratch('e2') }), 'FAILED_PRECONDITION', /SINGLE_NODE_WRITER allows one target path/);
  assert.not.ok(existsSync(h.scratch('e2')), 'a refused target is not left behind');
  await fails(node().nodeUnstageVolume({ volumeId: v.volumeId, stagingTargetPath: staging }), 'FAILED_PRECONDITION', /NodeUnpublishVolume must succeed/);
  await fails(ctrl().controllerUnpublishVolume({ volumeId: v.volumeId, nodeId: 'node-a' }), 'FAILED_PRECONDITION', /before ControllerUnpublishVolume/);
  await fails(ctrl().deleteVolume({ volumeId: v.volumeId }), 'FAILED_PRECONDITION');
  await fails(node().nodeUnpublishVolume({ volumeId: 'vol-none', targetPath: t1 }), 'NOT_FOUND');
  await fails(node().nodeUnpublishVolume({ volumeId: v.volumeId }), 'INVALID_ARGUMENT', /target_path is required/);
  await fails(node().nodeUnstageVolume({ volumeId: 'vol-none', stagingTargetPath: staging }), 'NOT_FOUND');
  await teardown({ id: v.volumeId, staging }, [t1]);
  assert.ok(existsSync(join(full, 'somebody-elses')), "nobody else's files were touched");
});

rt('a controller publication marked readonly and reader-only modes mount read-only', async () => {
  const c = mountCap(Mode.SINGLE_NODE_READER_ONLY);
  const v = (await ctrl().createVolume({ name: 'ro-mode', volumeCapabilities: [c], capacityRange: { requiredBytes: MiB } })).volume!;
  await ctrl().controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-a', volumeCapability: c, readonly: true });
  const staging = h.scratch('staging', 'ro-mode');
  await node().nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: staging, volumeCapability: c });
  const target = h.scratch('ro-mode-target');
  await node().nodePublishVolume({ volumeId: v.volumeId, stagingTargetPath: staging, targetPath: target, volumeCapability: c });
  assert.is(
    errno(() => writeFileSync(join(target, 'x'), 'x')),
    'EROFS',
  );
  await teardown({ id: v.volumeId, staging }, [target]);
});

rt('NodeGetVolumeStats: bytes from du against the capacity, inodes from statfs; NOT_FOUND; abnormal when unmounted', async () => {
  const v = await staged('stats', cap, 4n * MiB);
  const target = h.scratch('stats-target');
  await node().nodePublishVolume({ volumeId: v.id, stagingTargetPath: v.staging, targetPath: target, volumeCapability: cap });
  writeFileSync(join(target, 'blob'), Buffer.alloc(100_000, 1));
  mkdirSync(join(target, 'd'));
  const st = await node().nodeGetVolumeStats({ volumeId: v.id, volumePath: target });
  const bytes = st.usage.find((u) => u.unit === Unit.BYTES)!;
  assert.is(bytes.total, 4n * MiB);
  assert.is(bytes.used, 100_000n);
  assert.is(bytes.available, 4n * MiB - 100_000n);
  const inodes = st.usage.find((u) => u.unit === Unit.INODES)!;
  assert.is(inodes.used, 3n, 'the directory, the file and the subdirectory');
  assert.ok(inodes.available > 0n && inodes.total === inodes.used + inodes.available);
  assert.is(st.volumeCondition!.abnormal, false);
  const viaStaging = await node().nodeGetVolumeStats({ volumeId: v.id, volumePath: v.staging });
  assert.is(viaStaging.usage.find((u) => u.unit === Unit.BYTES)!.used, 100_000n);
  await fails(node().nodeGetVolumeStats({ volumeId: v.id, volumePath: h.scratch('elsewhere') }), 'NOT_FOUND', /not published or staged/);
  await fails(node().nodeGetVolumeStats({ volumeId: 'vol-none', volumePath: target }), 'NOT_FOUND');
  // A relative path names no place the volume was put: NOT_FOUND, also for a volume that does not exist.
  await fails(node().nodeGetVolumeStats({ volumeId: v.id, volumePath: 'relative' }), 'NOT_FOUND', /not an absolute path/);
  await fails(node().nodeGetVolumeStats({ volumeId: 'vol-none', volumePath: 'relative' }), 'NOT_FOUND');
  await fails(node().nodeGetVolumeStats({ volumeId: v.id, volumePath: '' }), 'INVALID_ARGUMENT', /volume_path is required/);
  await unmount(target);
  const cond = (await node().nodeGetVolumeStats({ volumeId: v.id, volumePath: target })).volumeCondition!;
  assert.is(cond.abnormal, true);
  assert.match(cond.message, /no longer mounted/);
  writeFileSync(join(v.dir, 'fat'), Buffer.alloc(Number(5n * MiB)));
  const over = await node().nodeGetVolumeStats({ volumeId: v.id, volumePath: v.staging });
  assert.is(over.volumeCondition!.abnormal, true, 'more used than the capacity');
  assert.is(over.usage.find((u) => u.unit === Unit.BYTES)!.available, 0n);
  await teardown(v, [target]);
});

rt('NodeExpandVolume: OUT_OF_RANGE before the controller grew the volume, then the node sees the new size', async () => {
  const v = await staged('expand', cap, 4n * MiB);
  const target = h.scratch('expand-target');
  await node().nodePublishVolume({ volumeId: v.id, stagingTargetPath: v.staging, targetPath: target, volumeCapability: cap });
  await fails(
    node().nodeExpandVolume({ volumeId: v.id, volumePath: target, capacityRange: { requiredBytes: 8n * MiB } }),
    'OUT_OF_RANGE',
    /ControllerExpandVolume must grow it first/,
  );
  const r = await ctrl().controllerExpandVolume({ volumeId: v.id, capacityRange: { requiredBytes: 8n * MiB } });
  assert.is(r.nodeExpansionRequired, true);
  const total = async () => (await node().nodeGetVolumeStats({ volumeId: v.id, volumePath: target })).usage.find((u) => u.unit === Unit.BYTES)!.total;
  assert.is(await total(), 4n * MiB, 'the node still uses the old size');
  assert.is((await node().nodeExpandVolume({ volumeId: v.id, volumePath: target, capacityRange: { requiredBytes: 8n * MiB } })).capacityBytes, 8n * MiB);
  assert.is(await total(), 8n * MiB);
  assert.is((await node().nodeExpandVolume({ volumeId: v.id, volumePath: target })).capacityBytes, 8n * MiB, 'idempotent');
  await fails(node().nodeExpandVolume({ volumeId: v.id, volumePath: h.scratch('nowhere') }), 'NOT_FOUND');
  await fails(node().nodeExpandVolume({ volumeId: 'vol-none', volumePath: target }), 'NOT_FOUND');
  await fails(node().nodeExpandVolume({ volumeId: 'vol-none', volumePath: 'relative' }), 'NOT_FOUND');
  await fails(node().nodeExpandVolume({ volumeId: v.id, volumePath: 'relative' }), 'NOT_FOUND', /not an absolute path/);
  await fails(node().nodeExpandVolume({ volumeId: v.id }), 'INVALID_ARGUMENT', /volume_path is required/);
  await teardown(v, [target]);
});

rt('without root the node calls fail with FAILED_PRECONDITION saying why — no symlink stand-in', async () => {
  const v = (await ctrl().createVolume({ name: 'noroot', volumeCapabilities: [cap], capacityRange: { requiredBytes: MiB } })).volume!;
  await ctrl().controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-a', volumeCapability: cap });
  const staging = h.scratch('staging', 'noroot');
  const real = process.getuid;
  process.getuid = () => 1000;
  try {
    await fails(
      node().nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: staging, volumeCapability: cap }),
      'FAILED_PRECONDITION',
      /needs root.*uid 1000/,
    );
  } finally {
    process.getuid = real;
  }
  assert.not.ok(existsSync(staging), 'nothing was created');
  await node().nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: staging, volumeCapability: cap });
  const target = h.scratch('noroot-target');
  process.getuid = () => 1000;
  try {
    await fails(
      node().nodePublishVolume({ volumeId: v.volumeId, stagingTargetPath: staging, targetPath: target, volumeCapability: cap }),
      'FAILED_PRECONDITION',
      /needs root/,
    );
  } finally {
    process.getuid = real;
  }
  assert.not.ok(existsSync(target));
  await teardown({ id: v.volumeId, staging });
});

rt('destroy() unmounts everything it mounted and empties the root, even with volumes still published', async () => {
  const other = await startTestHostpath({ capacityBytes: 64n * MiB });
  try {
    const c = other.client;
    const v = (await c.controller.createVolume({ name: 'left', volumeCapabilities: [cap], capacityRange: { requiredBytes: MiB } })).volume!;
    await c.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-a', volumeCapability: cap });
    const staging = other.scratch('s');
    const target = other.scratch('t');
    await c.node.nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: staging, volumeCapability: cap });
    await c.node.nodePublishVolume({ volumeId: v.volumeId, stagingTargetPath: staging, targetPath: target, volumeCapability: cap });
    assert.is(mountsUnder(other.dir).length, 2);
    await other.stop();
    await other.driver.destroy();
    assert.equal(mountsUnder(other.dir), []);
    assert.equal(readdirSync(other.driver.root), [], 'the root is empty');
    assert.not.ok(existsSync(target) || existsSync(staging), 'mount directories removed');
  } finally {
    await other.close();
  }
  assert.not.ok(existsSync(other.dir));
});

t.run();
