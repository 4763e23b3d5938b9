// hostpath driver state across restarts: a driver closed while a volume is published leaves
// volume, data, snapshot and mounts in place, and a new instance on the same root picks them up
// (unpublish and delete still work). state.json is replaced atomically; a corrupt one stops the
// driver from starting instead of forgetting volumes; two drivers never share a root. The
// `triad serve hostpath-csi` command serves until SIGTERM and keeps its volumes. Needs root for
// the mounts: skipped otherwise, and an error under CI=true.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsiClient } from '../../interfaces/csi/client.js';
import { Mode, isMountPoint, mountCapability as mountCap, mountsUnder, unmount } from '../../interfaces/csi/sdk/index.js';
import { serveHostpathCsi } from '../../plugins/hostpath/index.js';
import { startTestHostpath, type TestHostpath } from '../../plugins/hostpath/testing.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI === 'true') throw new Error('hostpath persistence tests need root (bind mounts); CI must run them as root');

const MiB = 1024n ** 2n;
const repo = new URL('../..', import.meta.url).pathname;
const t = suite(isRoot ? 'hostpath: persistence' : 'hostpath: persistence (skipped: needs root for bind mounts)');
const rt = isRoot ? t : t.skip;
const cap = mountCap(Mode.SINGLE_NODE_WRITER);
/** Every driver started here, closed (and its directory swept) in after(), whatever failed. */
const started: TestHostpath[] = [];
const dirs: string[] = [];

async function start(opts: Parameters<typeof startTestHostpath>[0] = {}): Promise<TestHostpath> {
  const h = await startTestHostpath({ capacityBytes: 64n * MiB, ...opts });
  started.push(h);
  if (!dirs.includes(h.dir)) dirs.push(h.dir);
  return h;
}

t.after(async () => {
  for (const h of started.reverse()) await h.close().catch(() => undefined);
  for (const d of dirs) {
    for (const p of mountsUnder(d).reverse()) await unmount(p).catch(() => undefined);
    rmSync(d, { recursive: true, force: true });
  }
  const left = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter((l) => dirs.some((d) => l.includes(d)));
  assert.equal(left, [], 'no mount of this test left in /proc/mounts');
});

rt('restart: volume, data, snapshot, publications and mounts survive; the new instance unpublishes and deletes', async () => {
  const a = await start();
  const v = (await a.client.controller.createVolume({ name: 'keep', volumeCapabilities: [cap], capacityRange: { requiredBytes: 8n * MiB } })).volume!;
  await a.client.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-a', volumeCapability: cap });
  const staging = a.scratch('staging');
  const target = a.scratch('target');
  await a.client.node.nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: staging, volumeCapability: cap });
  await a.client.node.nodePublishVolume({ volumeId: v.volumeId, stagingTargetPath: staging, targetPath: target, volumeCapability: cap });
  writeFileSync(join(target, 'data.txt'), 'survives restarts');
  const snap = (await a.client.controller.createSnapshot({ name: 'keep-snap', sourceVolumeId: v.volumeId })).snapshot!;
  const capacityBefore = (await a.client.controller.getCapacity({})).availableCapacity;
  await a.stop();
  assert.ok(isMountPoint(target), 'closing the driver does not unmount');
  assert.ok(existsSync(join(a.driver.root, 'volumes', v.volumeId, 'data.txt')), 'closing the driver does not delete volumes');

  const b = await start({ dir: a.dir });
  const c = b.client;
  assert.equal(
    (await c.controller.listVolumes({})).entries.map((e) => e.volume!.volumeId),
    [v.volumeId],
  );
  const got = await c.controller.controllerGetVolume({ volumeId: v.volumeId });
  assert.is(got.volume!.capacityBytes, 8n * MiB);
  assert.equal(got.status!.publishedNodeIds, ['node-a']);
  assert.equal(
    (await c.controller.listSnapshots({})).entries.map((e) => e.snapshot!.snapshotId),
    [snap.snapshotId],
  );
  assert.is((await c.controller.getCapacity({})).availableCapacity, capacityBefore, 'the same capacity accounting');
  assert.is(readFileSync(join(target, 'data.txt'), 'utf8'), 'survives restarts');
  await c.node.nodePublishVolume({ volumeId: v.volumeId, stagingTargetPath: staging, targetPath: target, volumeCapability: cap }); // idempotent across restarts
  assert.is(mountsUnder(target).length, 1);
  await c.controller
    .createVolume({ name: 'keep', volumeCapabilities: [cap], capacityRange: { requiredBytes: 8n * MiB } })
    .then((r) => assert.is(r.volume!.volumeId, v.volumeId, 'CreateVolume by name stays idempotent'));

  await c.node.nodeUnpublishVolume({ volumeId: v.volumeId, targetPath: target });
  assert.not.ok(isMountPoint(target) || existsSync(target));
  await c.node.nodeUnstageVolume({ volumeId: v.volumeId, stagingTargetPath: staging });
  assert.not.ok(isMountPoint(staging) || existsSync(staging));
  await c.controller.controllerUnpublishVolume({ volumeId: v.volumeId, nodeId: 'node-a' });
  await c.controller.deleteVolume({ volumeId: v.volumeId });
  const restored = (
    await c.controller.createVolume({ name: 'again', volumeCapabilities: [cap], volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } })
  ).volume!;
  assert.is(
    readFileSync(join(b.driver.root, 'volumes', restored.volumeId, 'data.txt'), 'utf8'),
    'survives restarts',
    'a snapshot from before the restart restores',
  );
  assert.equal(mountsUnder(b.dir), []);
});

rt('state.json is one complete JSON document after every change, with no temporary files left', async () => {
  const h = await start();
  const state = () =>
    JSON.parse(readFileSync(join(h.driver.root, 'state.json'), 'utf8')) as { version: number; volumes: Array<{ id: string; capacity: string }> };
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push((await h.client.controller.createVolume({ name: `s-${i}`, volumeCapabilities: [cap], capacityRange: { requiredBytes: MiB } })).volume!.volumeId);
    assert.equal(
      state().volumes.map((v) => v.id),
      ids,
    );
  }
  assert.is(state().version, 1);
  assert.is(state().volumes[0].capacity, String(MiB));
  await Promise.all(ids.map((id) => h.client.controller.deleteVolume({ volumeId: id })));
  assert.equal(state().volumes, []);
  assert.equal(readdirSync(h.driver.root).sort(), ['driver.pid', 'snapshots', 'state.json', 'volumes']);
});

rt('a corrupt state.json stops the driver from starting (never a silent empty start); a root is served by one driver at a time', async () => {
  const h = await start();
  await h.client.controller.createVolume({ name: 'x', volumeCapabilities: [cap], capacityRange: { requiredBytes: MiB } });
  const root = h.driver.root;
  let err: Error | undefined;
  try {
    await serveHostpathCsi({ root, nodeId: 'node-a', endpoint: join(h.dir, 'second.sock') });
  } catch (e) {
    err = e as Error;
  }
  assert.match(err?.message ?? 'started', /another driver in this process serves/);
  await h.stop();

  const file = join(root, 'state.json');
  const good = readFileSync(file, 'utf8');
  writeFileSync(file, good.slice(0, good.length / 2));
  err = undefined;
  try {
    await serveHostpathCsi({ root, nodeId: 'node-a', endpoint: join(h.dir, 'third.sock') });
  } catch (e) {
    err = e as Error;
  }
  assert.match(err?.message ?? 'started', /cannot read .*state.json.*refusing to start/);
  writeFileSync(file, good);

  writeFileSync(join(root, 'driver.pid'), '999999999\n'); // a dead process: stale, so taken over
  const again = await start({ dir: h.dir });
  assert.is((await again.client.controller.listVolumes({})).entries.length, 1);
});

rt('`serve hostpath-csi` serves until SIGTERM, exits cleanly, and a restarted server still has the volume', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hostpath-cli-test-'));
  dirs.push(dir);
  const script = join(dir, 'cli.mts');
  writeFileSync(
    script,
    [
      `import { Command } from ${JSON.stringify(import.meta.resolve('commander'))};`,
      `import { registerHostpath } from ${JSON.stringify(join(repo, 'cli/commands/serve-hostpath.ts'))};`,
      `const program = new Command('triad'); registerHostpath(program.command('serve'));`,
      `await program.parseAsync(process.argv);`,
    ].join('\n'),
  );
  const sock = join(dir, 'csi.sock');
  const root = join(dir, 'root');
  const run = async (extra: string[], fn: (c: CsiClient) => Promise<void>) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', script, 'serve', 'hostpath-csi', '--socket', sock, '--root', root, '--node-id', 'cli-node', ...extra],
      { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const client = new CsiClient(sock, { timeoutMs: 10_000 });
    try {
      const early = exited.then((code) => {
        throw new Error(`the server exited (${code}) before it was ready: ${stderr}`);
      });
      early.catch(() => undefined); // after a clean start the exit at SIGTERM is expected
      await Promise.race([client.waitForReady(30_000), early]);
      await fn(client);
    } finally {
      client.close();
      child.kill('SIGTERM');
    }
    assert.is(await exited, 0, stderr);
    assert.match(stderr, /serving on unix:\/\//);
    assert.not.ok(existsSync(sock), 'the socket is removed');
  };
  let id = '';
  await run(['--capacity', '1Gi', '--name', 'cli.hostpath.test'], async (c) => {
    assert.is((await c.identity.getPluginInfo({})).name, 'cli.hostpath.test');
    assert.is((await c.node.nodeGetInfo({})).nodeId, 'cli-node');
    id = (await c.controller.createVolume({ name: 'cli-vol', volumeCapabilities: [cap], capacityRange: { requiredBytes: 100n * MiB } })).volume!.volumeId;
  });
  await run(['--capacity', '1Gi'], async (c) => {
    assert.equal(
      (await c.controller.listVolumes({})).entries.map((e) => e.volume!.volumeId),
      [id],
    );
    assert.is((await c.controller.getCapacity({})).availableCapacity, 1024n * MiB - 100n * MiB);
    await c.controller.deleteVolume({ volumeId: id });
  });
});

t.run();
