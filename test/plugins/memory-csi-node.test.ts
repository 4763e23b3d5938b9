// memory-csi Node service over a real unix socket, with real directories under a temporary dir:
// stage / publish / unpublish / unstage, files shared between two targets of one volume, readonly,
// the spec's idempotency tables, ephemeral inline volumes, block volumes, stats, expansion, and
// close() leaving nothing behind. The same checks run twice: with symlinked targets (any user)
// and with bind mounts (only when running as root where mount --bind works).
import { suite, type Test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VolumeUsage_Unit as Unit } from '../../interfaces/gen/csi/csi.js';
import { detectMechanism, isMountPoint, mountPoints, unmount, type Mechanism } from '../../plugins/memory-csi/host.js';
import { EPHEMERAL_KEY } from '../../plugins/memory-csi/index.js';
import { Mode, blockCap, mountCap, startTestDriver, type TestDriver } from '../../plugins/memory-csi/testing.js';
import { fails } from '../helpers/rpc.js';

const MiB = 1024n ** 2n;

// Decided before any suite is defined, so both suites run in one uvu pass with one summary.
const probeDir = join(tmpdir(), `memory-csi-probe-${process.pid}`);
mkdirSync(probeDir, { recursive: true });
const canBind = (await detectMechanism('auto', probeDir).catch(() => 'symlink')) === 'bind';
rmSync(probeDir, { recursive: true, force: true });

/** Unmount anything a failed test may have left under `dir`, so no mount ever outlives the suite. */
async function sweepMounts(dir: string): Promise<void> {
  for (const p of [...mountPoints()].filter((m) => m.startsWith(dir + '/')).reverse()) await unmount(p).catch(() => undefined);
}

function defineNodeTests(t: Test, mode: Mechanism): void {
  let h: TestDriver;
  const ctrl = () => h.client.controller;
  const node = () => h.client.node;
  const p = (...parts: string[]) => join(h.dir, ...parts);
  const dataOf = (id: string) => h.driver.inspect().find((v) => v.id === id)!.dataPath;

  /** Create a volume and controller-publish it to this node. */
  async function attached(name: string, cap = mountCap(), bytes = 8n * MiB) {
    const v = (await ctrl().createVolume({ name, volumeCapabilities: [cap], capacityRange: { requiredBytes: bytes } })).volume!;
    const { publishContext } = await ctrl().controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-a', volumeCapability: cap });
    return { ...v, publishContext };
  }
  async function staged(name: string, cap = mountCap(), bytes = 8n * MiB) {
    const v = await attached(name, cap, bytes);
    const staging = p('staging', name);
    mkdirSync(staging, { recursive: true });
    await node().nodeStageVolume({
      volumeId: v.volumeId,
      stagingTargetPath: staging,
      volumeCapability: cap,
      publishContext: v.publishContext,
      volumeContext: v.volumeContext,
    });
    return { ...v, staging };
  }
  /** Tear a volume down the way a CO does: unpublish targets, unstage, controller-unpublish, delete. */
  async function teardown(v: { volumeId: string; staging?: string }, targets: string[] = []) {
    for (const target of targets) await node().nodeUnpublishVolume({ volumeId: v.volumeId, targetPath: target });
    if (v.staging) await node().nodeUnstageVolume({ volumeId: v.volumeId, stagingTargetPath: v.staging });
    await ctrl().controllerUnpublishVolume({ volumeId: v.volumeId, nodeId: 'node-a' });
    await ctrl().deleteVolume({ volumeId: v.volumeId });
  }
  const checkPlaced = (target: string, dataPath: string) => {
    if (mode === 'bind') assert.ok(isMountPoint(target), `${target} is a mount point`);
    else assert.is(readlinkSync(target), dataPath, `${target} links to the volume data`);
  };

  t.before(async () => {
    h = await startTestDriver({ publishMode: mode, nodeId: 'node-a', nodes: ['node-b'], capacityBytes: 1024n * MiB, defaultVolumeBytes: 8n * MiB });
  });
  t.after(async () => {
    const dir = h?.dir;
    try {
      await h?.close();
    } finally {
      if (dir) await sweepMounts(dir);
    }
    if (dir) assert.not.ok(existsSync(dir), 'the test directory is gone');
  });

  t(`${mode}: the driver publishes with ${mode}`, async () => {
    assert.is(await h.driver.mechanism(), mode);
  });

  t(`${mode}: NodeGetInfo reports node id, limit and topology`, async () => {
    const info = await node().nodeGetInfo({});
    assert.is(info.nodeId, 'node-a');
    assert.is(info.maxVolumesPerNode, 0n);
    assert.equal(info.accessibleTopology!.segments, { 'topology.triad.dev/node': 'node-a' });
  });

  t(`${mode}: missing fields are INVALID_ARGUMENT before anything else`, async () => {
    await fails(node().nodePublishVolume({}), 'INVALID_ARGUMENT', /volume_id is required/);
    await fails(node().nodePublishVolume({ volumeId: 'random' }), 'INVALID_ARGUMENT', /target_path is required/);
    await fails(node().nodePublishVolume({ volumeId: 'random', targetPath: p('t') }), 'INVALID_ARGUMENT', /volume_capability is required/);
    await fails(node().nodePublishVolume({ volumeId: 'random', targetPath: 'relative/t', volumeCapability: mountCap() }), 'INVALID_ARGUMENT', /absolute/);
    await fails(node().nodeStageVolume({ volumeId: 'random', volumeCapability: mountCap() }), 'INVALID_ARGUMENT', /staging_target_path is required/);
    await fails(node().nodeStageVolume({ volumeId: 'random', stagingTargetPath: p('s') }), 'INVALID_ARGUMENT', /volume_capability is required/);
    await fails(node().nodeUnstageVolume({ stagingTargetPath: p('s') }), 'INVALID_ARGUMENT', /volume_id/);
    await fails(node().nodeUnstageVolume({ volumeId: 'random' }), 'INVALID_ARGUMENT', /staging_target_path/);
    await fails(node().nodeUnpublishVolume({ targetPath: p('t') }), 'INVALID_ARGUMENT', /volume_id/);
    await fails(node().nodeUnpublishVolume({ volumeId: 'random' }), 'INVALID_ARGUMENT', /target_path/);
    await fails(node().nodeGetVolumeStats({ volumePath: 'some/path' }), 'INVALID_ARGUMENT', /volume_id/);
    await fails(node().nodeGetVolumeStats({ volumeId: 'random' }), 'INVALID_ARGUMENT', /volume_path/);
    await fails(node().nodeExpandVolume({ volumePath: p('t') }), 'INVALID_ARGUMENT', /volume_id/);
    await fails(node().nodeExpandVolume({ volumeId: 'random' }), 'INVALID_ARGUMENT', /volume_path/);
    // and unknown volumes are NOT_FOUND
    await fails(node().nodeStageVolume({ volumeId: 'random', stagingTargetPath: p('s'), volumeCapability: mountCap() }), 'NOT_FOUND');
    await fails(node().nodePublishVolume({ volumeId: 'random', targetPath: p('t'), volumeCapability: mountCap() }), 'NOT_FOUND');
    await fails(node().nodeUnpublishVolume({ volumeId: 'random', targetPath: p('t') }), 'NOT_FOUND');
    await fails(node().nodeUnstageVolume({ volumeId: 'random', stagingTargetPath: p('s') }), 'NOT_FOUND');
    await fails(node().nodeGetVolumeStats({ volumeId: 'random', volumePath: 'some/path' }), 'NOT_FOUND');
    await fails(node().nodeExpandVolume({ volumeId: 'random', volumePath: 'some/path' }), 'NOT_FOUND');
  });

  t(`${mode}: NodeStageVolume needs ControllerPublishVolume first; idempotent; conflicting repeats rejected`, async () => {
    const v = (await ctrl().createVolume({ name: 'stage-me', volumeCapabilities: [mountCap()] })).volume!;
    const staging = p('staging', 'stage-me');
    mkdirSync(staging, { recursive: true });
    const req = { volumeId: v.volumeId, stagingTargetPath: staging, volumeCapability: mountCap() };
    await fails(node().nodeStageVolume(req), 'FAILED_PRECONDITION', /ControllerPublishVolume must succeed/);
    await ctrl().controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-a', volumeCapability: mountCap() });
    await fails(node().nodeStageVolume({ ...req, volumeCapability: blockCap() }), 'FAILED_PRECONDITION', /exceeds/);
    await node().nodeStageVolume(req);
    await node().nodeStageVolume(req);
    if (mode === 'bind') assert.ok(isMountPoint(staging), 'staged by bind mount');
    await fails(node().nodeStageVolume({ ...req, volumeCapability: mountCap(Mode.SINGLE_NODE_MULTI_WRITER) }), 'ALREADY_EXISTS');
    await fails(node().nodeStageVolume({ ...req, stagingTargetPath: p('staging', 'elsewhere') }), 'FAILED_PRECONDITION', /already staged at/);
    await fails(ctrl().controllerUnpublishVolume({ volumeId: v.volumeId, nodeId: 'node-a' }), 'FAILED_PRECONDITION', /NodeUnstageVolume must succeed/);
    await node().nodeUnstageVolume(req);
    await node().nodeUnstageVolume(req);
    assert.ok(existsSync(staging), 'the CO-created staging dir stays');
    assert.not.ok(isMountPoint(staging));
    await ctrl().controllerUnpublishVolume({ volumeId: v.volumeId, nodeId: 'node-a' });
    await ctrl().deleteVolume({ volumeId: v.volumeId });
  });

  t(`${mode}: NodePublishVolume creates the target, honours staging, is idempotent, and NodeUnpublishVolume removes it`, async () => {
    const v = await staged('pub');
    const target = p('pods', 'pod-1', 'volumes', 'pub', 'mount');
    const req = { volumeId: v.volumeId, targetPath: target, volumeCapability: mountCap(), volumeContext: v.volumeContext, publishContext: v.publishContext };
    await fails(node().nodePublishVolume(req), 'FAILED_PRECONDITION', /staging_target_path is not set/);
    await fails(node().nodePublishVolume({ ...req, stagingTargetPath: p('staging', 'wrong') }), 'FAILED_PRECONDITION', /not staged at/);
    const full = { ...req, stagingTargetPath: v.staging };
    await node().nodePublishVolume(full);
    checkPlaced(target, dataOf(v.volumeId));
    writeFileSync(join(target, 'hello.txt'), 'written by the workload');
    assert.is(readFileSync(join(dataOf(v.volumeId), 'hello.txt'), 'utf8'), 'written by the workload', 'real files in the data dir');
    await node().nodePublishVolume(full);
    // the same call again puts back a target that went missing
    if (mode === 'bind') await unmount(target);
    else rmSync(target);
    await node().nodePublishVolume(full);
    checkPlaced(target, dataOf(v.volumeId));
    assert.is(readFileSync(join(target, 'hello.txt'), 'utf8'), 'written by the workload');
    await fails(node().nodePublishVolume({ ...full, readonly: true }), 'ALREADY_EXISTS');
    await fails(node().nodePublishVolume({ ...full, targetPath: p('pods', 'pod-2', 'mount') }), 'FAILED_PRECONDITION', /allows one target path per node/);
    await fails(node().nodeUnstageVolume({ volumeId: v.volumeId, stagingTargetPath: v.staging }), 'FAILED_PRECONDITION', /NodeUnpublishVolume must succeed/);
    await fails(ctrl().deleteVolume({ volumeId: v.volumeId }), 'FAILED_PRECONDITION', /in use/);

    await node().nodeUnpublishVolume({ volumeId: v.volumeId, targetPath: target });
    assert.not.ok(existsSync(target), 'target removed');
    assert.not.ok(existsSync(p('pods')), 'parents the driver created are removed too');
    await node().nodeUnpublishVolume({ volumeId: v.volumeId, targetPath: target });
    await node().nodeUnpublishVolume({ volumeId: v.volumeId, targetPath: p('never-published') });
    assert.is(readFileSync(join(dataOf(v.volumeId), 'hello.txt'), 'utf8'), 'written by the workload', 'data outlives the publication');
    await teardown(v);
  });

  t(`${mode}: two targets of one volume share the same files; readonly targets`, async () => {
    const cap = mountCap(Mode.SINGLE_NODE_MULTI_WRITER);
    const v = await staged('shared', cap);
    const [t1, t2, ro] = ['one', 'two', 'ro'].map((n) => p('pods', n, 'mount'));
    const base = { volumeId: v.volumeId, stagingTargetPath: v.staging, volumeCapability: cap };
    await node().nodePublishVolume({ ...base, targetPath: t1 });
    await node().nodePublishVolume({ ...base, targetPath: t2 });
    await node().nodePublishVolume({ ...base, targetPath: ro, readonly: true });
    writeFileSync(join(t1, 'note.txt'), 'from pod one');
    assert.is(readFileSync(join(t2, 'note.txt'), 'utf8'), 'from pod one');
    assert.is(readFileSync(join(ro, 'note.txt'), 'utf8'), 'from pod one');
    mkdirSync(join(t2, 'sub'));
    writeFileSync(join(t2, 'sub', 'deep.txt'), 'from pod two');
    assert.is(readFileSync(join(t1, 'sub', 'deep.txt'), 'utf8'), 'from pod two');
    assert.is(readFileSync(join(dataOf(v.volumeId), 'sub', 'deep.txt'), 'utf8'), 'from pod two');
    if (mode === 'bind') {
      assert.throws(() => writeFileSync(join(ro, 'nope.txt'), 'x'), /EROFS|read-only/, 'a readonly target is a read-only mount');
    }
    assert.equal(
      h.driver
        .inspect()
        .find((x) => x.id === v.volumeId)!
        .targets.map((x) => [x.path, x.readonly, x.how]),
      [
        [t1, false, mode],
        [t2, false, mode],
        [ro, true, mode],
      ],
    );
    // a second target must use the same capability
    await fails(
      node().nodePublishVolume({ ...base, targetPath: p('pods', 'x', 'mount'), volumeCapability: mountCap(Mode.SINGLE_NODE_WRITER) }),
      'FAILED_PRECONDITION',
      /different volume_capability/,
    );
    await teardown(v, [t1, t2, ro]);
    for (const x of [t1, t2, ro]) assert.not.ok(existsSync(x));
    assert.not.ok(existsSync(p('pods')), 'a parent shared by several targets goes with the last of them');
  });

  t(`${mode}: an empty target dir made by the CO is used; a non-empty one is refused and left alone`, async () => {
    const v = await staged('targets');
    const pre = p('pre', 'mount');
    mkdirSync(pre, { recursive: true });
    const base = { volumeId: v.volumeId, stagingTargetPath: v.staging, volumeCapability: mountCap() };
    await node().nodePublishVolume({ ...base, targetPath: pre });
    checkPlaced(pre, dataOf(v.volumeId));
    await node().nodeUnpublishVolume({ volumeId: v.volumeId, targetPath: pre });
    assert.not.ok(existsSync(pre), 'the SP removes what is at the target path');
    assert.ok(existsSync(p('pre')), 'but not the parent the CO made');
    const busy = p('busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'precious'), 'keep me');
    await fails(node().nodePublishVolume({ ...base, targetPath: busy }), 'FAILED_PRECONDITION', /not an empty directory/);
    assert.is(readFileSync(join(busy, 'precious'), 'utf8'), 'keep me');
    await teardown(v);
  });

  t(`${mode}: NodeGetVolumeStats counts the real files; NOT_FOUND off the published paths; volume condition`, async () => {
    const v = await staged('stats', mountCap(), 64n * 1024n);
    const target = p('stats-target');
    await node().nodePublishVolume({ volumeId: v.volumeId, targetPath: target, stagingTargetPath: v.staging, volumeCapability: mountCap() });
    writeFileSync(join(target, 'a'), Buffer.alloc(5000));
    mkdirSync(join(target, 'd'));
    writeFileSync(join(target, 'd', 'b'), Buffer.alloc(1000));
    const s = await node().nodeGetVolumeStats({ volumeId: v.volumeId, volumePath: target });
    const bytes = s.usage.find((u) => u.unit === Unit.BYTES)!;
    assert.equal([bytes.total, bytes.used, bytes.available], [65536n, 6000n, 59536n]);
    const inodes = s.usage.find((u) => u.unit === Unit.INODES)!;
    assert.is(inodes.used, 4n, 'root dir, a, d, d/b');
    assert.equal(s.volumeCondition, { abnormal: false, message: 'volume is healthy' });
    assert.ok((await node().nodeGetVolumeStats({ volumeId: v.volumeId, volumePath: v.staging, stagingTargetPath: v.staging })).usage.length);
    await fails(node().nodeGetVolumeStats({ volumeId: v.volumeId, volumePath: p('elsewhere') }), 'NOT_FOUND', /not published or staged/);
    writeFileSync(join(target, 'big'), Buffer.alloc(70_000));
    const over = await node().nodeGetVolumeStats({ volumeId: v.volumeId, volumePath: target });
    assert.is(over.volumeCondition!.abnormal, true);
    assert.match(over.volumeCondition!.message, /more than the volume's 65536 bytes/);
    assert.is(over.usage[0].available, 0n);
    h.driver.setVolumeCondition(v.volumeId, { abnormal: true, message: 'injected' });
    assert.equal((await node().nodeGetVolumeStats({ volumeId: v.volumeId, volumePath: target })).volumeCondition, { abnormal: true, message: 'injected' });
    h.driver.setVolumeCondition(v.volumeId, undefined);
    await teardown(v, [target]);
  });

  t(`${mode}: expansion: ControllerExpandVolume, then NodeExpandVolume grows what the node reports`, async () => {
    const v = await staged('grow', mountCap(), 4n * MiB);
    const target = p('grow-target');
    await node().nodePublishVolume({ volumeId: v.volumeId, targetPath: target, stagingTargetPath: v.staging, volumeCapability: mountCap() });
    const total = async () => (await node().nodeGetVolumeStats({ volumeId: v.volumeId, volumePath: target })).usage[0].total;
    const r = await ctrl().controllerExpandVolume({ volumeId: v.volumeId, capacityRange: { requiredBytes: 6n * MiB } });
    assert.equal(r, { capacityBytes: 6n * MiB, nodeExpansionRequired: true });
    assert.is(await total(), 4n * MiB, 'the filesystem has not grown yet');
    await fails(
      node().nodeExpandVolume({ volumeId: v.volumeId, volumePath: target, capacityRange: { requiredBytes: 8n * MiB } }),
      'OUT_OF_RANGE',
      /ControllerExpandVolume must grow it first/,
    );
    await fails(
      node().nodeExpandVolume({ volumeId: v.volumeId, volumePath: p('nowhere'), capacityRange: { requiredBytes: 6n * MiB } }),
      'NOT_FOUND',
      /volume_path/,
    );
    await fails(node().nodeExpandVolume({ volumeId: v.volumeId, volumePath: target, volumeCapability: blockCap() }), 'INVALID_ARGUMENT', /exceeds/);
    assert.is(
      (await node().nodeExpandVolume({ volumeId: v.volumeId, volumePath: target, capacityRange: { requiredBytes: 6n * MiB } })).capacityBytes,
      6n * MiB,
    );
    assert.is((await node().nodeExpandVolume({ volumeId: v.volumeId, volumePath: v.staging })).capacityBytes, 6n * MiB, 'idempotent');
    assert.is(await total(), 6n * MiB);
    assert.is((await ctrl().controllerExpandVolume({ volumeId: v.volumeId, capacityRange: { requiredBytes: 6n * MiB } })).nodeExpansionRequired, false);
    await teardown(v, [target]);
  });

  t(`${mode}: block volumes are published as a file of the volume's size`, async () => {
    const cap = blockCap();
    const v = await staged('blk', cap, 2n * MiB);
    const target = p('dev', 'blk');
    await node().nodePublishVolume({ volumeId: v.volumeId, targetPath: target, stagingTargetPath: v.staging, volumeCapability: cap });
    assert.ok(statSync(target).isFile());
    if (mode === 'symlink') assert.ok(lstatSync(target).isSymbolicLink());
    assert.is(statSync(target).size, 2 * 1024 * 1024);
    const stats = await node().nodeGetVolumeStats({ volumeId: v.volumeId, volumePath: target });
    assert.equal(
      stats.usage.map((u) => [u.unit, u.total]),
      [[Unit.BYTES, 2n * MiB]],
    );
    await fails(
      node().nodePublishVolume({ volumeId: v.volumeId, targetPath: p('dev', 'as-dir'), stagingTargetPath: v.staging, volumeCapability: mountCap() }),
      'FAILED_PRECONDITION',
      /block volume/,
    );
    await teardown(v, [target]);
    assert.not.ok(existsSync(target));
  });

  t(`${mode}: inline ephemeral volumes live from NodePublishVolume to NodeUnpublishVolume`, async () => {
    const target = p('pods', 'eph', 'mount');
    const ctx = { [EPHEMERAL_KEY]: 'true', size: '2Mi', 'csi.storage.k8s.io/pod.name': 'eph' };
    const before = (await ctrl().getCapacity({})).availableCapacity;
    const req = { volumeId: 'csi-0123abcd', targetPath: target, volumeCapability: mountCap(), volumeContext: ctx };
    await node().nodePublishVolume(req);
    await node().nodePublishVolume(req);
    writeFileSync(join(target, 'scratch'), 'tmp data');
    const eph = h.driver.inspect().find((x) => x.id === 'csi-0123abcd')!;
    assert.ok(eph.ephemeral);
    assert.is(eph.capacity, 2n * MiB);
    assert.is((await ctrl().getCapacity({})).availableCapacity, before - 2n * MiB);
    assert.not.ok(
      (await ctrl().listVolumes({})).entries.some((e) => e.volume!.volumeId === 'csi-0123abcd'),
      'the controller does not list it',
    );
    assert.is((await node().nodeGetVolumeStats({ volumeId: 'csi-0123abcd', volumePath: target })).usage[0].used, 8n);
    await node().nodeUnpublishVolume({ volumeId: 'csi-0123abcd', targetPath: target });
    assert.not.ok(existsSync(target));
    assert.not.ok(existsSync(eph.dataPath), 'its data is gone');
    assert.is((await ctrl().getCapacity({})).availableCapacity, before);
    await node().nodeUnpublishVolume({ volumeId: 'csi-0123abcd', targetPath: target });

    await fails(node().nodePublishVolume({ ...req, volumeCapability: blockCap() }), 'INVALID_ARGUMENT', /mount access/);
    await fails(node().nodePublishVolume({ ...req, volumeContext: { ...ctx, size: 'lots' } }), 'INVALID_ARGUMENT', /volume_context\.size/);
    await fails(node().nodePublishVolume({ ...req, volumeContext: { ...ctx, size: '2Gi' } }), 'OUT_OF_RANGE');
    const hog = (await ctrl().createVolume({ name: 'hog', volumeCapabilities: [mountCap()], capacityRange: { requiredBytes: 1020n * MiB } })).volume!;
    await fails(node().nodePublishVolume({ ...req, volumeContext: { ...ctx, size: '8Mi' } }), 'RESOURCE_EXHAUSTED', /not enough capacity/);
    await fails(node().nodePublishVolume({ ...req, volumeId: hog.volumeId }), 'INVALID_ARGUMENT', /provisioned volume/);
    await ctrl().deleteVolume({ volumeId: hog.volumeId });
    assert.not.ok(existsSync(target), 'failed publishes leave no target');
  });

  t(`${mode}: close() unmounts and removes every target, staging mount and byte of data`, async () => {
    const scratch = mkdtempSync(join(tmpdir(), `memory-csi-close-${mode}-`));
    try {
      const d = await startTestDriver({ publishMode: mode, nodeId: 'node-a', dataDir: join(scratch, 'data') });
      try {
        const cap = mountCap(Mode.SINGLE_NODE_MULTI_WRITER);
        const v = (await d.client.controller.createVolume({ name: 'left', volumeCapabilities: [cap] })).volume!;
        await d.client.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-a', volumeCapability: cap });
        const staging = join(scratch, 'staging');
        await d.client.node.nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: staging, volumeCapability: cap });
        const targets = [join(scratch, 'a', 'b', 'mount'), join(scratch, 'c', 'mount')];
        for (const target of targets)
          await d.client.node.nodePublishVolume({ volumeId: v.volumeId, targetPath: target, stagingTargetPath: staging, volumeCapability: cap });
        await d.client.node.nodePublishVolume({
          volumeId: 'eph-1',
          targetPath: join(scratch, 'e', 'mount'),
          volumeCapability: mountCap(),
          volumeContext: { [EPHEMERAL_KEY]: 'true' },
        });
        writeFileSync(join(targets[0], 'f'), 'x');
        if (mode === 'bind') assert.is([...mountPoints()].filter((m) => m.startsWith(scratch + '/')).length, 4);
      } finally {
        await d.close();
      }
      assert.equal(
        [...mountPoints()].filter((m) => m.startsWith(scratch + '/')),
        [],
        'no mounts left',
      );
      assert.equal(readdirSync(scratch), [], 'no files or directories left');
    } finally {
      await sweepMounts(scratch);
      rmSync(scratch, { recursive: true, force: true });
    }
  });
}

// ---- symlinked targets: runs as any user --------------------------------------------------------
const sym = suite('memory-csi: node (symlinked targets)');
defineNodeTests(sym, 'symlink');

sym('symlink: without STAGE_UNSTAGE, NodePublishVolume needs only ControllerPublishVolume', async () => {
  const d = await startTestDriver({ publishMode: 'symlink', stageUnstage: false });
  try {
    const v = (await d.client.controller.createVolume({ name: 'direct', volumeCapabilities: [mountCap()] })).volume!;
    const target = join(d.dir, 'direct');
    const req = { volumeId: v.volumeId, targetPath: target, volumeCapability: mountCap() };
    await fails(d.client.node.nodePublishVolume(req), 'FAILED_PRECONDITION', /ControllerPublishVolume must succeed/);
    await d.client.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-a', volumeCapability: mountCap() });
    await d.client.node.nodePublishVolume(req);
    assert.ok(lstatSync(target).isSymbolicLink());
    await d.client.node.nodeUnpublishVolume({ volumeId: v.volumeId, targetPath: target });
  } finally {
    await d.close();
  }
});

sym('symlink: strict: false lets a CO skip the ordering the spec asks of it', async () => {
  const d = await startTestDriver({ publishMode: 'symlink', strict: false });
  try {
    const v = (await d.client.controller.createVolume({ name: 'lax', volumeCapabilities: [mountCap()] })).volume!;
    const staging = join(d.dir, 'st');
    await d.client.node.nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: staging, volumeCapability: mountCap() });
    await d.client.node.nodePublishVolume({ volumeId: v.volumeId, targetPath: join(d.dir, 't'), stagingTargetPath: staging, volumeCapability: mountCap() });
    await d.client.node.nodeUnstageVolume({ volumeId: v.volumeId, stagingTargetPath: staging });
  } finally {
    await d.close();
  }
});

sym.run();

// ---- bind mounts: only as root where mount --bind works -----------------------------------------
const bindSuite = suite(canBind ? 'memory-csi: node (bind mounts)' : 'memory-csi: node (bind mounts — skipped: needs root and mount --bind)');
if (canBind) {
  defineNodeTests(bindSuite, 'bind');
} else {
  bindSuite.skip('bind mounts need root and a working mount --bind', () => undefined);
}
bindSuite.run();
