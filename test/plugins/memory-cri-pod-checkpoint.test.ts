// memory-cri CheckpointPod / RestorePod over a real socket: a running pod's checkpoint is one file
// in the caller's empty directory, the pod keeps running, and a restore makes a new sandbox whose
// containers come back CREATED with the same config, the checkpointed files and the log so far.
// Argument errors, unknown ids and unknown or corrupt checkpoints fail with clear codes and leave
// nothing behind.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerState, PodSandboxState, type ContainerConfig, type PodSandboxConfig } from '../../interfaces/gen/cri/api.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import { POD_CHECKPOINT_FILE, POD_CHECKPOINT_FORMAT } from '../../plugins/memory-cri/pod-checkpoint.js';
import { ctrConfig, podConfig, startTestRuntime, waitFor, type TestRuntime } from '../../plugins/memory-cri/testing.js';
import { fails } from '../helpers/rpc.js';

const t = suite('memory-cri: pod checkpoint and restore');
let h: TestRuntime;
let n = 0;

t.before(async () => {
  h = await startTestRuntime();
  await h.client.image.pullImage({ image: { image: 'busybox' } });
});
t.after(async () => {
  await h?.close();
});

const SCRIPT = 'if [ -f /var/state ]; then echo resumed; else echo first-run; echo kept > /var/state; fi; sleep 3600';

/** A running pod with containers `app` (the script above) and `side` (sleep); returns ids and configs. */
async function runningPod() {
  const logDirectory = join(h.dir, 'logs', `pod-${++n}`);
  const config = podConfig({ logDirectory });
  const { podSandboxId } = await h.client.runtime.runPodSandbox({ config });
  const configs: DeepPartial<ContainerConfig>[] = [
    ctrConfig('app', ['sh', '-c', SCRIPT], { envs: [{ key: 'MODE', value: Buffer.from('test') }] }),
    ctrConfig('side', ['sleep', '3600']),
  ];
  const ids: string[] = [];
  for (const c of configs) {
    const { containerId } = await h.client.runtime.createContainer({ podSandboxId, config: c, sandboxConfig: config });
    await h.client.runtime.startContainer({ containerId });
    ids.push(containerId);
  }
  await waitFor(
    () => existsSync(join(logDirectory, 'app/0.log')) && readFileSync(join(logDirectory, 'app/0.log'), 'utf8').includes('first-run'),
    5000,
    'the first-run log line',
  );
  return { podSandboxId, config, configs, ids, logDirectory };
}

function emptyDir(): string {
  const d = join(h.dir, 'checkpoints', `cp-${++n}`);
  mkdirSync(d, { recursive: true });
  return d;
}

const states = async (ids: string[]) => Promise.all(ids.map(async (id) => (await h.client.runtime.containerStatus({ containerId: id })).status!.state));

t('CheckpointPod writes one checkpoint file into the empty directory; the pod keeps running', async () => {
  const p = await runningPod();
  const dir = emptyDir();
  await h.client.runtime.checkpointPod({ podSandboxId: p.podSandboxId, outputPath: dir, containerIds: p.ids }, { timeoutMs: 10_000 });
  assert.equal(readdirSync(dir), [POD_CHECKPOINT_FILE]);
  const cp = JSON.parse(readFileSync(join(dir, POD_CHECKPOINT_FILE), 'utf8'));
  assert.is(cp.format, POD_CHECKPOINT_FORMAT);
  assert.is(cp.sandbox.id, p.podSandboxId);
  assert.equal(
    cp.containers.map((c: { name: string }) => c.name),
    ['app', 'side'],
  );
  assert.ok(Buffer.from(cp.containers[0].log, 'base64').toString().includes('first-run'), 'the log so far is in the checkpoint');
  assert.ok(
    cp.containers[0].rootfs.some((e: { path: string }) => e.path === '/var/state'),
    'the file the container wrote is in the checkpoint',
  );
  assert.equal(await states(p.ids), [ContainerState.CONTAINER_RUNNING, ContainerState.CONTAINER_RUNNING], 'never left frozen or stopped');
  // Only the chosen containers.
  const one = emptyDir();
  await h.client.runtime.checkpointPod({ podSandboxId: p.podSandboxId, outputPath: one, containerIds: [p.ids[1]] });
  assert.equal(
    JSON.parse(readFileSync(join(one, POD_CHECKPOINT_FILE), 'utf8')).containers.map((c: { name: string }) => c.name),
    ['side'],
  );
  await h.client.runtime.removePodSandbox({ podSandboxId: p.podSandboxId });
});

t('RestorePod: a new sandbox, containers CREATED with the same config, files and log; StartContainer runs them', async () => {
  const p = await runningPod();
  const dir = emptyDir();
  await h.client.runtime.checkpointPod({ podSandboxId: p.podSandboxId, outputPath: dir, containerIds: p.ids });
  await h.client.runtime.stopPodSandbox({ podSandboxId: p.podSandboxId });
  await h.client.runtime.removePodSandbox({ podSandboxId: p.podSandboxId });

  const logDirectory = join(h.dir, 'logs', `restored-${++n}`);
  const config = podConfig({ logDirectory });
  const r = await h.client.runtime.restorePod(
    { checkpointPath: dir, config, containerConfigs: [...p.configs].reverse() as ContainerConfig[] },
    { timeoutMs: 10_000 },
  );
  assert.ok(r.podSandboxId && r.podSandboxId !== p.podSandboxId);
  assert.equal(
    r.restoredContainers.map((c) => c.name),
    ['side', 'app'],
    'one entry per config, in request order',
  );
  const ids = Object.fromEntries(r.restoredContainers.map((c) => [c.name, c.containerId]));
  assert.is(new Set(Object.values(ids)).size, 2);
  const sb = (await h.client.runtime.podSandboxStatus({ podSandboxId: r.podSandboxId })).status!;
  assert.is(sb.state, PodSandboxState.SANDBOX_READY);
  assert.equal(sb.metadata, (config as PodSandboxConfig).metadata);
  assert.equal(await states([ids.app, ids.side]), [ContainerState.CONTAINER_CREATED, ContainerState.CONTAINER_CREATED], 'restored, not started');
  const log = join(logDirectory, 'app/0.log');
  assert.ok(readFileSync(log, 'utf8').includes('first-run'), 'the log so far is restored before the start');

  for (const id of [ids.app, ids.side]) await h.client.runtime.startContainer({ containerId: id });
  const st = (await h.client.runtime.containerStatus({ containerId: ids.app })).status!;
  assert.is(st.state, ContainerState.CONTAINER_RUNNING);
  assert.equal([st.metadata?.name, st.labels, st.annotations, st.logPath], ['app', { ctr: 'app' }, { a: '1' }, log]);
  const cat = await h.client.runtime.execSync({ containerId: ids.app, cmd: ['cat', '/var/state'], timeout: 5n });
  assert.is(Buffer.from(cat.stdout).toString(), 'kept\n', 'the checkpointed rootfs file');
  const env = await h.client.runtime.execSync({ containerId: ids.app, cmd: ['sh', '-c', 'echo $MODE'], timeout: 5n });
  assert.is(Buffer.from(env.stdout).toString(), 'test\n');
  // The process starts again from its argv against the restored files: the script sees its state.
  await waitFor(() => readFileSync(log, 'utf8').includes('resumed'), 5000, 'the resumed log line');
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  assert.ok(lines.findIndex((l) => l.endsWith(' first-run')) < lines.findIndex((l) => l.endsWith(' resumed')), lines.join('\n'));
  await h.client.runtime.removePodSandbox({ podSandboxId: r.podSandboxId });
});

t('CheckpointPod argument errors: INVALID_ARGUMENT / NOT_FOUND / FAILED_PRECONDITION, and nothing written', async () => {
  const p = await runningPod();
  const other = await runningPod();
  const dir = emptyDir();
  const cp = (over: Record<string, unknown>) => h.client.runtime.checkpointPod({ podSandboxId: p.podSandboxId, outputPath: dir, containerIds: p.ids, ...over });
  await fails(cp({ outputPath: '' }), 'INVALID_ARGUMENT', /output_path is required/);
  await fails(cp({ outputPath: 'relative/dir' }), 'INVALID_ARGUMENT', /absolute/);
  await fails(cp({ outputPath: join(dir, 'missing') }), 'INVALID_ARGUMENT', /not an existing directory/);
  await fails(cp({ podSandboxId: '' }), 'INVALID_ARGUMENT', /pod_sandbox_id/);
  await fails(cp({ podSandboxId: 'f'.repeat(64) }), 'NOT_FOUND');
  await fails(cp({ containerIds: [] }), 'INVALID_ARGUMENT', /container_ids/);
  await fails(cp({ containerIds: [p.ids[0], p.ids[0]] }), 'INVALID_ARGUMENT', /twice/);
  await fails(cp({ containerIds: ['e'.repeat(64)] }), 'NOT_FOUND');
  await fails(cp({ containerIds: [other.ids[0]] }), 'INVALID_ARGUMENT', /belongs to sandbox/);
  await fails(cp({ options: { 'leave-running': 'true' } }), 'INVALID_ARGUMENT', /leave-running/);
  assert.equal(readdirSync(dir), [], 'no partial checkpoint');
  writeFileSync(join(dir, 'junk'), 'x');
  await fails(cp({}), 'FAILED_PRECONDITION', /not empty/);
  await h.client.runtime.stopContainer({ containerId: p.ids[1], timeout: 0n });
  await fails(cp({ outputPath: emptyDir() }), 'FAILED_PRECONDITION', /not running/);
  await h.client.runtime.stopPodSandbox({ podSandboxId: p.podSandboxId });
  await fails(cp({ outputPath: emptyDir() }), 'FAILED_PRECONDITION', /not ready/);
  for (const id of [p.podSandboxId, other.podSandboxId]) await h.client.runtime.removePodSandbox({ podSandboxId: id });
});

t('RestorePod errors: unknown, foreign and corrupt checkpoints, config mismatches; nothing is left behind', async () => {
  const p = await runningPod();
  const dir = emptyDir();
  await h.client.runtime.checkpointPod({ podSandboxId: p.podSandboxId, outputPath: dir, containerIds: p.ids });
  await h.client.runtime.removePodSandbox({ podSandboxId: p.podSandboxId });
  const before = (await h.client.runtime.listPodSandbox({})).items.length;
  const restore = (over: Record<string, unknown>) =>
    h.client.runtime.restorePod({ checkpointPath: dir, config: podConfig(), containerConfigs: p.configs as ContainerConfig[], ...over });

  await fails(restore({ checkpointPath: '' }), 'INVALID_ARGUMENT', /checkpoint_path is required/);
  await fails(restore({ checkpointPath: join(h.dir, 'no-such-checkpoint') }), 'NOT_FOUND', /no such directory/);
  await fails(restore({ checkpointPath: emptyDir() }), 'INVALID_ARGUMENT', /holds no memory-cri pod checkpoint/);
  const bad = emptyDir();
  writeFileSync(join(bad, POD_CHECKPOINT_FILE), '{"format": "triad.dev/memory-cri/pod-checkpoint/v1", "sandbox": ');
  await fails(restore({ checkpointPath: bad }), 'INVALID_ARGUMENT', /corrupt pod checkpoint .*not JSON/);
  writeFileSync(join(bad, POD_CHECKPOINT_FILE), JSON.stringify({ format: 'something-else/v9' }));
  await fails(restore({ checkpointPath: bad }), 'INVALID_ARGUMENT', /corrupt pod checkpoint .*format/);
  const broken = JSON.parse(readFileSync(join(dir, POD_CHECKPOINT_FILE), 'utf8'));
  broken.containers[0].rootfs.push({ path: '/x', type: 'socket' });
  writeFileSync(join(bad, POD_CHECKPOINT_FILE), JSON.stringify(broken));
  await fails(restore({ checkpointPath: bad }), 'INVALID_ARGUMENT', /corrupt pod checkpoint .*unknown type/);

  await fails(restore({ config: undefined }), 'INVALID_ARGUMENT', /config is required/);
  await fails(restore({ containerConfigs: [] }), 'INVALID_ARGUMENT', /container_configs/);
  await fails(restore({ containerConfigs: [p.configs[0]] }), 'INVALID_ARGUMENT', /lacks the checkpointed container.*"side"/);
  await fails(restore({ containerConfigs: [...p.configs, ctrConfig('extra', ['sleep', '1'])] }), 'INVALID_ARGUMENT', /no container "extra"/);
  await fails(restore({ containerConfigs: [p.configs[0], p.configs[0]] }), 'INVALID_ARGUMENT', /twice/);
  await fails(restore({ containerConfigs: [{ ...p.configs[0], command: ['sh', '-c', 'echo changed'] }, p.configs[1]] }), 'INVALID_ARGUMENT', /command differs/);
  await fails(restore({ runtimeHandler: 'kata' }), 'NOT_FOUND', /kata/);
  await fails(restore({ options: { x: 'y' } }), 'INVALID_ARGUMENT', /options/);
  assert.is((await h.client.runtime.listPodSandbox({})).items.length, before, 'no sandbox left by a failed restore');
  assert.is(readdirSync(dir).length, 1, 'the checkpoint is only read');
});

t('Status advertises mount_options; ContainerStatus reports the options; noexec refuses to execute from the mount', async () => {
  assert.is((await h.client.runtime.status({})).features!.mountOptions, true);
  const vol = join(h.dir, 'vol-noexec');
  mkdirSync(vol, { recursive: true });
  writeFileSync(join(vol, 'run.sh'), '#!/bin/sh\necho ran\n');
  const config = podConfig({ logDirectory: join(h.dir, 'logs', `mo-${++n}`) });
  const { podSandboxId } = await h.client.runtime.runPodSandbox({ config });
  const mounts = [
    { containerPath: '/data', hostPath: vol, mountOptions: ['noexec', 'nosuid', 'nodev'] },
    { containerPath: '/exec', hostPath: vol, mountOptions: ['nosuid'] },
  ];
  const { containerId } = await h.client.runtime.createContainer({
    podSandboxId,
    sandboxConfig: config,
    config: ctrConfig('c', ['sleep', '3600'], { mounts }),
  });
  await h.client.runtime.startContainer({ containerId });
  const s = await h.client.runtime.containerStatus({ containerId, verbose: true });
  assert.equal(
    s.status!.mounts.map((m) => [m.containerPath, m.mountOptions]),
    [
      ['/data', ['noexec', 'nosuid', 'nodev']],
      ['/exec', ['nosuid']],
    ],
  );
  assert.equal(JSON.parse(s.info.info).runtimeSpec.mounts.find((m: { destination: string }) => m.destination === '/data').options, [
    'rw',
    'rbind',
    'noexec',
    'nosuid',
    'nodev',
  ]);
  const run = async (cmd: string[]) => {
    const r = await h.client.runtime.execSync({ containerId, cmd, timeout: 5n });
    return [r.exitCode, Buffer.from(r.stdout).toString() + Buffer.from(r.stderr).toString()];
  };
  const denied = await run(['sh', '-c', '/data/run.sh']);
  assert.is(denied[0], 126);
  assert.match(String(denied[1]), /Permission denied/);
  assert.equal(await run(['sh', '/data/run.sh']), [0, 'ran\n'], 'reading a script from a noexec mount is fine');
  assert.equal(await run(['sh', '-c', '/exec/run.sh']), [0, 'ran\n'], 'the same files through a mount without noexec execute');
  await fails(
    h.client.runtime.createContainer({
      podSandboxId,
      sandboxConfig: config,
      config: ctrConfig('bad', ['sleep', '1'], { mounts: [{ containerPath: '/d', hostPath: vol, mountOptions: ['bogus'] }] }),
    }),
    'INVALID_ARGUMENT',
    /mount_options: "bogus"/,
  );
  await h.client.runtime.removePodSandbox({ podSandboxId });
});

t.run();
