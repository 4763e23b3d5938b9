// CRI CheckpointPod / RestorePod (pod-level checkpoint/restore, KEP-5823, alpha in Kubernetes
// 1.37), where implemented: a running pod is checkpointed into an empty directory and keeps
// running; after it is removed, RestorePod makes a new sandbox whose containers come back CREATED,
// run when started, with the same config, their files and their logs. Argument errors, unknown
// ids and unknown or damaged checkpoints are refused and leave nothing behind. Runtimes older than
// 1.37 answer UNIMPLEMENTED (kubelet's version skew allows it): the cases are then not applicable.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerConfig, PodSandboxConfig } from '../../interfaces/gen/cri/api.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import { expectEqual, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { ContainerState, POD, PodSandboxState, RULES, RUN, expectNotFound, expectRefused, parseLogLine, rpcCap, type CriEnv, CriKit, type Pod } from './kit.js';

const c = defineCases(CriKit, 'cri.PodCheckpoint');
const needs = [rpcCap('CheckpointPod'), rpcCap('RestorePod')];

const R = {
  checkpointOk: 'cri.checkpoint-pod.checkpoints',
  errors: 'cri.checkpoint-pod.errors',
  resumed: 'cri.checkpoint-pod.resumes',
  outputPath: 'cri.checkpoint-pod.output-path',
  noPartial: 'cri.checkpoint-pod.no-partial-artifacts',
  containerIds: 'cri.checkpoint-pod.container-ids',
  running: 'cri.checkpoint-pod.running',
  options: 'cri.checkpoint-pod.options',
  restoreOk: 'cri.restore-pod.restores',
  restoredShape: 'cri.restore-pod.response',
  restoredCreated: 'cri.restore-pod.created-not-run',
  restoredRuns: 'cri.restore-pod.state-and-settings',
  restoredLogs: 'cri.restore-pod.logs',
  cleanup: 'cri.restore-pod.error-cleanup',
  handler: 'cri.restore-pod.runtime-handler',
  configSet: 'cri.restore-pod.container-configs',
  unmodified: 'cri.restore-pod.checkpoint-unmodified',
} as const;

/** What checkpointable, checkpoint and removePod assert. */
const CHECKPOINTED = [...POD, ...RUN, RULES.statusOk, RULES.logFormat, R.checkpointOk, 'cri.stop-pod-sandbox.not-ready', 'cri.remove-pod-sandbox.removes'];

const SCRIPT = 'if [ -f /tmp/triad-state ]; then echo resumed; else echo first-run; echo kept > /tmp/triad-state; fi; sleep 3600';

interface Checkpointable {
  pod: Pod;
  configs: DeepPartial<ContainerConfig>[];
  ids: string[];
  imageRef: string;
}

/** A pod with `app` (logs first-run and writes /tmp/triad-state) and `side` (sleeps), both running. */
async function checkpointable(k: CriKit): Promise<Checkpointable> {
  const pod = await k.sandbox();
  const configs = [k.containerConfig('app', ['sh', '-c', SCRIPT]), k.containerConfig('side', ['sleep', '3600'])];
  const ids: string[] = [];
  for (const cfg of configs) ids.push(await k.run(pod, cfg.metadata!.name!, cfg.command as string[]));
  const st = await k.status(ids[0]);
  await k.waitLog(st.logPath, (l) => l?.text === 'first-run', 10_000, '"first-run"', RULES.logFormat);
  return { pod, configs, ids, imageRef: st.imageRef };
}

/** An existing empty directory for a checkpoint, removed when the case ends. */
function checkpointDir(k: CriKit): string {
  return k.hostDir('pod-checkpoint');
}

async function checkpoint(k: CriKit, p: Checkpointable, dir: string): Promise<void> {
  await expectOk(k.runtime.checkpointPod({ podSandboxId: p.pod.id, outputPath: dir, containerIds: p.ids }), { rule: R.checkpointOk });
  expectTrue(readdirSync(dir).length > 0, `CheckpointPod answered OK but ${dir} is empty`, { rule: R.checkpointOk });
}

/** Stop and remove the checkpointed pod, as kubelet does before restoring it elsewhere. */
async function removePod(k: CriKit, pod: Pod): Promise<void> {
  await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), { rule: 'cri.stop-pod-sandbox.not-ready' });
  await expectOk(k.runtime.removePodSandbox({ podSandboxId: pod.id }), { rule: 'cri.remove-pod-sandbox.removes' });
}

/** A checkpointed pod, removed afterwards: what a restore starts from. */
async function checkpointedAndRemoved(k: CriKit): Promise<Checkpointable & { dir: string }> {
  const p = await checkpointable(k);
  const dir = checkpointDir(k);
  await checkpoint(k, p, dir);
  await removePod(k, p.pod);
  return { ...p, dir };
}

/** Every file under dir with its size and content hash: to tell whether anything changed. */
function snapshot(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort().map((f) => {
    const path = join(dir, f);
    const st = statSync(path);
    return st.isFile() ? `${f} ${st.size} ${createHash('sha256').update(readFileSync(path)).digest('hex')}` : `${f}/`;
  });
}

/** A sandbox config for the restored pod: fresh metadata and log directory (created; removed at the end). */
function restoreConfig(k: CriKit): DeepPartial<PodSandboxConfig> & { logDirectory?: string } {
  const config = k.podConfig();
  const dir = config.logDirectory!;
  mkdirSync(dir, { recursive: true });
  k.ctx.cleanup(() => rmSync(dir, { recursive: true, force: true }), `remove log directory ${dir}`);
  return config;
}

/** A restore that should fail: refused (`rule`), and no sandbox of this case is left (R.cleanup; a wrong success is cleaned up). */
async function expectRestoreRefused(k: CriKit, req: Parameters<CriKit['runtime']['restorePod']>[0], rule: string, what: string): Promise<void> {
  await expectRefused(k.runtime.restorePod(req), {
    rule,
    what,
    created: (r) => {
      if (r.podSandboxId) k.trackSandbox(r.podSandboxId, req!.config ?? {});
    },
  });
  const left = (await k.env.client.runtime.listPodSandbox({ filter: { labelSelector: k.mine } })).items.filter(
    (s) => s.metadata?.uid === req?.config?.metadata?.uid,
  );
  expectEqual(
    left.map((s) => s.id),
    [],
    { rule: R.cleanup, what: `sandboxes of the refused restore (${what})` },
  );
}

export const podCheckpointCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.pod-checkpoint.round-trip',
    rpc: ['CheckpointPod', 'RestorePod'],
    name: 'CheckpointPod of a running pod, then RestorePod: containers come back CREATED and run with the same config, files and logs',
    needs,
    tags: ['Slow'],
    timeoutMs: 90_000,
    rules: [
      ...CHECKPOINTED,
      R.resumed,
      R.restoreOk,
      R.restoredShape,
      R.restoredCreated,
      R.restoredRuns,
      R.restoredLogs,
      RULES.sandboxStatusOk,
      RULES.listContainers,
      RULES.execOk,
    ],
    async run(k) {
      const p = await checkpointable(k);
      const dir = checkpointDir(k);
      await checkpoint(k, p, dir);
      for (const id of p.ids)
        expectEqual(ContainerState[(await k.status(id)).state], 'CONTAINER_RUNNING', {
          rule: R.resumed,
          what: `state of ${id} after CheckpointPod`,
          call: k.ctx.lastCall,
        });
      await removePod(k, p.pod);

      const config = restoreConfig(k);
      const call = k.runtime.restorePod({ checkpointPath: dir, config, containerConfigs: p.configs as ContainerConfig[] });
      const r = await expectOk(call, { rule: R.restoreOk });
      if (r.podSandboxId) k.trackSandbox(r.podSandboxId, config);
      for (const rc of r.restoredContainers) if (rc.containerId) k.trackContainer(rc.containerId);
      expectTrue(!!r.podSandboxId, 'RestorePod answered without pod_sandbox_id', { rule: R.restoredShape, call });
      const names = r.restoredContainers.map((x) => x.name).sort();
      expectEqual(names, ['app', 'side'], { rule: R.restoredShape, what: 'restored_containers names', call });
      const ids = r.restoredContainers.map((x) => x.containerId);
      expectTrue(ids.every(Boolean) && new Set(ids).size === ids.length, `restored container ids are not non-empty and unique: ${JSON.stringify(ids)}`, {
        rule: R.restoredShape,
        call,
      });

      const sb = await expectOk(k.runtime.podSandboxStatus({ podSandboxId: r.podSandboxId }), { rule: RULES.sandboxStatusOk });
      expectEqual(PodSandboxState[sb.status?.state ?? -1], 'SANDBOX_READY', { rule: R.restoreOk, what: 'state of the restored sandbox', call: k.ctx.lastCall });
      expectEqual(sb.status?.metadata?.uid, config.metadata?.uid, {
        rule: R.restoreOk,
        what: "the restored sandbox's metadata.uid (the request's config)",
        call: k.ctx.lastCall,
      });
      const byName = Object.fromEntries(r.restoredContainers.map((x) => [x.name, x.containerId]));
      const listed = await expectOk(k.runtime.listContainers({ filter: { podSandboxId: r.podSandboxId } }), { rule: RULES.listContainers });
      expectEqual(listed.containers.map((x) => x.id).sort(), [...ids].sort(), {
        rule: R.restoreOk,
        what: 'the containers of the restored sandbox (ListContainers by pod_sandbox_id)',
        call: k.ctx.lastCall,
      });
      for (const name of ['app', 'side']) {
        expectEqual(ContainerState[(await k.status(byName[name])).state], 'CONTAINER_CREATED', {
          rule: R.restoredCreated,
          what: `state of the restored ${name} before StartContainer`,
          call: k.ctx.lastCall,
        });
      }
      for (const name of ['app', 'side']) await expectOk(k.runtime.startContainer({ containerId: byName[name] }), { rule: R.restoredRuns });
      for (const [i, name] of ['app', 'side'].entries()) {
        const st = await k.waitState(byName[name], ContainerState.CONTAINER_RUNNING, 10_000, R.restoredRuns);
        expectEqual(st.metadata?.name, name, { rule: R.restoredRuns, what: `metadata.name of the restored ${name}`, call: k.ctx.lastCall });
        expectEqual(st.labels, p.configs[i].labels, { rule: R.restoredRuns, what: `labels of the restored ${name}`, call: k.ctx.lastCall });
        expectEqual(st.imageRef, p.imageRef, { rule: R.restoredRuns, what: `image_ref of the restored ${name}`, call: k.ctx.lastCall });
      }
      const out = await k.shOk(byName.app, 'cat /tmp/triad-state', R.restoredRuns);
      expectEqual(out, 'kept\n', { rule: R.restoredRuns, what: 'the file the container wrote before the checkpoint', call: k.ctx.lastCall });
      const log = (await k.status(byName.app)).logPath;
      expectTrue(
        log.startsWith(config.logDirectory!),
        `the restored container logs to ${log}, not under the restored sandbox's log_directory ${config.logDirectory}`,
        { rule: R.restoredLogs },
      );
      await k.waitLog(log, (l) => l?.text === 'first-run', 10_000, 'the line logged before the checkpoint ("first-run")', R.restoredLogs);
      const lines = k.logLines(log).map(parseLogLine);
      if (lines.some((l) => !l)) fail(`${log} has lines that are not CRI log lines`, { rule: RULES.logFormat, actual: k.logLines(log).slice(0, 20) });
    },
  }),
  c({
    id: 'cri.pod-checkpoint.checkpoint.bad-arguments',
    rpc: 'CheckpointPod',
    name: 'CheckpointPod without output_path, with a missing directory, without or with foreign container_ids is refused and writes nothing',
    needs,
    tags: ['Slow'],
    rules: [...POD, ...RUN, RULES.statusOk, R.outputPath, R.containerIds, R.running, R.noPartial, R.resumed],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const other = await k.sandbox();
      const foreign = await k.sleeper(other, 'foreign');
      const dir = checkpointDir(k);
      const cp = (over: Record<string, unknown>) => k.runtime.checkpointPod({ podSandboxId: pod.id, outputPath: dir, containerIds: [id], ...over });
      await expectRefused(cp({ outputPath: '' }), { rule: R.outputPath, what: 'CheckpointPod without output_path' });
      await expectRefused(cp({ outputPath: join(dir, 'does-not-exist') }), { rule: R.outputPath, what: 'CheckpointPod into a directory that does not exist' });
      await expectRefused(cp({ containerIds: [] }), { rule: R.containerIds, what: 'CheckpointPod without container_ids' });
      await expectRefused(cp({ containerIds: [id, id] }), { rule: R.containerIds, what: 'CheckpointPod naming a container twice' });
      await expectRefused(cp({ containerIds: [foreign] }), { rule: R.running, what: 'CheckpointPod of a container of another sandbox' });
      await expectRefused(cp({ containerIds: [k.env.unknownId] }), { rule: R.running, what: 'CheckpointPod of a container id the runtime does not know' });
      expectEqual(readdirSync(dir), [], { rule: R.noPartial, what: `entries in ${dir} after the refused calls` });
      expectEqual(ContainerState[(await k.status(id)).state], 'CONTAINER_RUNNING', {
        rule: R.resumed,
        what: 'state of the container after the refused calls',
        call: k.ctx.lastCall,
      });
    },
  }),
  c({
    id: 'cri.pod-checkpoint.checkpoint.unknown-id',
    rpc: 'CheckpointPod',
    name: 'CheckpointPod of an unknown pod sandbox id fails with NOT_FOUND',
    needs,
    rules: [R.errors, RULES.notFound, R.noPartial],
    async run(k) {
      const dir = checkpointDir(k);
      await expectNotFound(k.runtime.checkpointPod({ podSandboxId: k.env.unknownId, outputPath: dir, containerIds: [k.env.unknownId] }), { rule: R.errors });
      expectEqual(readdirSync(dir), [], { rule: R.noPartial, what: `entries in ${dir} after the refused call` });
    },
  }),
  c({
    id: 'cri.pod-checkpoint.restore.unknown-checkpoint',
    rpc: 'RestorePod',
    name: 'RestorePod from a missing, an empty or a damaged checkpoint directory is refused and leaves no sandbox',
    needs,
    rules: [R.handler, R.cleanup],
    async run(k) {
      const base = checkpointDir(k);
      const empty = join(base, 'empty');
      const damaged = join(base, 'damaged');
      mkdirSync(empty);
      mkdirSync(damaged);
      writeFileSync(join(damaged, 'checkpoint.json'), '{"not": "a checkpoint"');
      writeFileSync(join(damaged, 'checkpoint.tar'), 'garbage');
      const configs = [k.containerConfig('app', ['sleep', '3600'])] as ContainerConfig[];
      for (const [path, what] of [
        [join(base, 'missing'), 'a checkpoint_path that does not exist'],
        [empty, 'an empty checkpoint directory'],
        [damaged, 'a damaged checkpoint'],
      ] as const) {
        await expectRestoreRefused(k, { checkpointPath: path, config: restoreConfig(k), containerConfigs: configs }, R.handler, `RestorePod from ${what}`);
      }
    },
  }),
  c({
    id: 'cri.pod-checkpoint.restore.container-set',
    rpc: 'RestorePod',
    name: 'RestorePod whose container_configs lack a checkpointed container or add one is refused and leaves nothing behind',
    needs,
    tags: ['Slow'],
    timeoutMs: 60_000,
    rules: [...CHECKPOINTED, R.configSet, R.cleanup],
    async run(k) {
      const p = await checkpointable(k);
      const dir = checkpointDir(k);
      await checkpoint(k, p, dir);
      await removePod(k, p.pod);
      const [app, side] = p.configs as ContainerConfig[];
      await expectRestoreRefused(
        k,
        { checkpointPath: dir, config: restoreConfig(k), containerConfigs: [app] },
        R.configSet,
        'RestorePod without the "side" container\'s config',
      );
      await expectRestoreRefused(
        k,
        { checkpointPath: dir, config: restoreConfig(k), containerConfigs: [app, side, k.containerConfig('extra', ['sleep', '1']) as ContainerConfig] },
        R.configSet,
        'RestorePod with a config for a container the checkpoint does not have',
      );
      await expectRestoreRefused(
        k,
        { checkpointPath: dir, config: restoreConfig(k), containerConfigs: [] },
        R.configSet,
        'RestorePod without container_configs',
      );
    },
  }),
  c({
    id: 'cri.pod-checkpoint.checkpoint.unknown-option',
    rpc: 'CheckpointPod',
    name: 'CheckpointPod with an option the runtime does not know is refused, writes nothing and leaves the pod running',
    needs,
    rules: [...POD, ...RUN, RULES.statusOk, R.options, R.noPartial, R.resumed],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const dir = checkpointDir(k);
      await expectRefused(
        k.runtime.checkpointPod({ podSandboxId: pod.id, outputPath: dir, containerIds: [id], options: { 'triad.dev/no-such-option': 'on' } }),
        { rule: R.options, what: 'CheckpointPod with the unknown option triad.dev/no-such-option' },
      );
      expectEqual(readdirSync(dir), [], { rule: R.noPartial, what: `entries in ${dir} after the refused call` });
      expectEqual(ContainerState[(await k.status(id)).state], 'CONTAINER_RUNNING', {
        rule: R.resumed,
        what: 'state of the container after the refused call',
        call: k.ctx.lastCall,
      });
    },
  }),
  c({
    id: 'cri.pod-checkpoint.restore.unknown-option',
    rpc: 'RestorePod',
    name: 'RestorePod of a good checkpoint with an option the runtime does not know is refused and leaves nothing behind',
    needs,
    tags: ['Slow'],
    timeoutMs: 60_000,
    rules: [...CHECKPOINTED, R.options, R.cleanup],
    async run(k) {
      const p = await checkpointedAndRemoved(k);
      await expectRestoreRefused(
        k,
        { checkpointPath: p.dir, config: restoreConfig(k), containerConfigs: p.configs as ContainerConfig[], options: { 'triad.dev/no-such-option': 'on' } },
        R.options,
        'RestorePod with the unknown option triad.dev/no-such-option',
      );
    },
  }),
  c({
    id: 'cri.pod-checkpoint.restore.unknown-runtime-handler',
    rpc: 'RestorePod',
    name: 'RestorePod of a good checkpoint with a runtime handler the runtime does not have is refused and leaves nothing behind',
    needs,
    tags: ['Slow'],
    timeoutMs: 60_000,
    rules: [...CHECKPOINTED, R.handler, R.cleanup],
    async run(k) {
      const p = await checkpointedAndRemoved(k);
      await expectRestoreRefused(
        k,
        {
          checkpointPath: p.dir,
          config: restoreConfig(k),
          containerConfigs: p.configs as ContainerConfig[],
          runtimeHandler: `triad-no-such-handler-${k.env.runId}`,
        },
        R.handler,
        'RestorePod with an unknown runtime_handler',
      );
    },
  }),
  c({
    id: 'cri.pod-checkpoint.restore.checkpoint-unmodified',
    rpc: 'RestorePod',
    name: 'RestorePod leaves the checkpoint directory exactly as it was',
    needs,
    tags: ['Slow'],
    timeoutMs: 60_000,
    rules: [...CHECKPOINTED, R.restoreOk, R.unmodified],
    async run(k) {
      const p = await checkpointedAndRemoved(k);
      const before = snapshot(p.dir);
      const config = restoreConfig(k);
      const r = await expectOk(k.runtime.restorePod({ checkpointPath: p.dir, config, containerConfigs: p.configs as ContainerConfig[] }), {
        rule: R.restoreOk,
      });
      if (r.podSandboxId) k.trackSandbox(r.podSandboxId, config);
      for (const rc of r.restoredContainers) if (rc.containerId) k.trackContainer(rc.containerId);
      expectEqual(snapshot(p.dir), before, { rule: R.unmodified, what: `files (name, size, sha256) under ${p.dir} after RestorePod` });
    },
  }),
];
