// CRI containers: CREATED → RUNNING → EXITED with exit codes, timestamps and reasons; stop with
// the stop signal then the kill after the grace period; idempotent stop/remove; name
// reservation and attempts; command/args/env/working dir; ListContainers filters (only over this
// case's own containers); unknown ids; StreamContainers.
import { expectCode, expectEqual, expectNonEmpty, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import {
  CASE_LABEL,
  CREATE,
  ContainerState,
  EXIT,
  POD,
  RULES,
  RUN,
  expectNotFound,
  expectOkOr,
  expectRefused,
  flat,
  parseLogLine,
  rpcCap,
  short,
  type CriEnv,
  CriKit,
} from './kit.js';

const c = defineCases(CriKit, 'cri.Container');

const STOP_RULE = 'cri.stop-container.exited';
const STOP_IDEMPOTENT = 'cri.stop-container.idempotent';
const KILL_RULE = 'cri.stop-container.kill-after-timeout';
const SIGNAL_RULE = 'cri.stop-container.signal-first';
const REMOVE_RULE = 'cri.remove-container.removes';
const REMOVE_IDEMPOTENT = 'cri.remove-container.idempotent';
const TIMES_RULE = 'cri.container-status.timestamps';
const STATUS = RULES.statusOk;
const LIST = RULES.listContainers;
/** What runToExit asserts. */
const TO_EXIT = [...POD, ...RUN, ...EXIT];

async function listedContainers(k: CriKit, filter: Record<string, unknown>): Promise<string[]> {
  const res = await expectOk(k.runtime.listContainers({ filter }), { rule: LIST });
  return res.containers.map((x) => x.id).sort();
}

/** Run `command` to completion in a fresh sandbox; answers the exited status and the log lines. */
async function runToExit(k: CriKit, command: string[], over: Record<string, unknown> = {}) {
  const pod = await k.sandbox();
  const id = await k.run(pod, 'job', command, over);
  const st = await k.waitExited(id);
  return { pod, id, st, log: k.logLines(st.logPath).map((l) => parseLogLine(l)) };
}

const stdoutOf = (log: Array<ReturnType<typeof parseLogLine>>) =>
  log
    .filter((l) => l?.stream === 'stdout')
    .map((l) => l!.text)
    .join('\n');

export const containerCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.container.create.created',
    rpc: 'CreateContainer',
    name: 'CreateContainer gives a CONTAINER_CREATED container whose status echoes its config',
    rules: [...POD, ...CREATE, STATUS, TIMES_RULE, 'cri.container-config.labels', 'cri.container-config.annotations-unaltered'],
    async run(k) {
      const pod = await k.sandbox();
      const t0 = BigInt(Date.now() - 5000) * 1_000_000n;
      const id = await k.create(pod, 'box', ['sleep', '3600'], { labels: { 'triad.dev/role': 'box' }, annotations: { 'triad.dev/note': 'as given' } });
      const t1 = BigInt(Date.now() + 5000) * 1_000_000n;
      const p = k.runtime.containerStatus({ containerId: id });
      const st = (await expectOk(p, { rule: STATUS })).status!;
      expectEqual(st.id, id, { rule: STATUS, what: 'status.id', call: p });
      expectEqual(ContainerState[st.state], 'CONTAINER_CREATED', { rule: RULES.createOk, what: 'status.state', call: p });
      expectEqual({ ...st.metadata }, { name: 'box', attempt: 0 }, { rule: STATUS, what: 'status.metadata', call: p });
      expectEqual(st.labels['triad.dev/role'], 'box', { rule: 'cri.container-config.labels', what: 'status.labels[triad.dev/role]', call: p });
      expectEqual(
        { ...st.annotations },
        { 'triad.dev/note': 'as given' },
        { rule: 'cri.container-config.annotations-unaltered', what: 'status.annotations', call: p },
      );
      expectTrue(st.createdAt >= t0 && st.createdAt <= t1, `created_at ${st.createdAt} is not the time of the call`, { rule: TIMES_RULE, call: p });
      expectEqual(st.startedAt, 0n, { rule: TIMES_RULE, what: 'started_at of a container never started', call: p });
      expectEqual(st.finishedAt, 0n, { rule: TIMES_RULE, what: 'finished_at of a container never started', call: p });
    },
  }),
  c({
    id: 'cri.container.start.running',
    rpc: 'StartContainer',
    name: 'StartContainer makes the container CONTAINER_RUNNING with started_at set',
    rules: [...POD, ...RUN, STATUS, TIMES_RULE],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.create(pod, 'box', ['sleep', '3600']);
      await k.start(id);
      const p = k.runtime.containerStatus({ containerId: id });
      const st = (await expectOk(p, { rule: STATUS })).status!;
      expectEqual(ContainerState[st.state], 'CONTAINER_RUNNING', { rule: RULES.startOk, what: 'status.state', call: p });
      expectTrue(st.startedAt > 0n && st.startedAt >= st.createdAt, `started_at ${st.startedAt}, created_at ${st.createdAt}`, { rule: TIMES_RULE, call: p });
      expectEqual(st.finishedAt, 0n, { rule: TIMES_RULE, what: 'finished_at of a running container', call: p });
    },
  }),
  c({
    id: 'cri.container.exit.code',
    rpc: 'ContainerStatus',
    name: 'A process that exits 3 leaves the container CONTAINER_EXITED with exit code 3 and ordered timestamps',
    rules: [...TO_EXIT, TIMES_RULE],
    async run(k) {
      const { st } = await runToExit(k, ['sh', '-c', 'exit 3']);
      expectEqual(st.exitCode, 3, { rule: RULES.exitCode, what: 'exit_code', call: k.ctx.lastCall });
      expectTrue(
        st.startedAt >= st.createdAt && st.finishedAt >= st.createdAt && st.startedAt > 0n,
        `created_at ${st.createdAt}, started_at ${st.startedAt}, finished_at ${st.finishedAt}`,
        { rule: TIMES_RULE, call: k.ctx.lastCall },
      );
    },
  }),
  c({
    id: 'cri.container.exit.timestamps-ordered',
    rpc: 'ContainerStatus',
    name: 'A container that exits at once still reports started_at ≤ finished_at',
    tags: ['Optional'],
    rules: [...TO_EXIT, 'cri.container-status.start-before-finish'],
    async run(k) {
      const { st } = await runToExit(k, ['true']);
      expectTrue(
        st.startedAt > 0n && st.startedAt <= st.finishedAt,
        `started_at ${st.startedAt} is after finished_at ${st.finishedAt} (by ${Number(st.startedAt - st.finishedAt) / 1e6} ms)`,
        { rule: 'cri.container-status.start-before-finish', call: k.ctx.lastCall },
      );
    },
  }),
  c({
    id: 'cri.container.exit.zero',
    rpc: 'ContainerStatus',
    name: 'A process that exits 0 leaves the container CONTAINER_EXITED with exit code 0',
    rules: TO_EXIT,
    async run(k) {
      const { st } = await runToExit(k, ['true']);
      expectEqual(st.exitCode, 0, { rule: RULES.exitCode, what: 'exit_code', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.container.exit.reason',
    rpc: 'ContainerStatus',
    name: "An exited container's reason is Completed for exit 0 and Error otherwise",
    tags: ['Optional'],
    rules: [...POD, ...RUN, ...EXIT, 'cri.container-status.reason-completed-error'],
    async run(k) {
      const pod = await k.sandbox();
      const ok = await k.run(pod, 'ok', ['true']);
      const bad = await k.run(pod, 'bad', ['false']);
      const rule = 'cri.container-status.reason-completed-error';
      expectEqual((await k.waitExited(ok)).reason, 'Completed', { rule, what: 'reason after exit 0', call: k.ctx.lastCall });
      expectEqual((await k.waitExited(bad)).reason, 'Error', { rule, what: 'reason after exit 1', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.container.config.command-args',
    rpc: 'CreateContainer',
    name: 'command with args runs command followed by args',
    rules: [...TO_EXIT, 'cri.container-config.command-args'],
    async run(k) {
      const { log } = await runToExit(k, ['echo'], { args: ['triad', 'args-ok'] });
      expectEqual(stdoutOf(log), 'triad args-ok', { rule: 'cri.container-config.command-args', what: 'stdout of the container' });
    },
  }),
  c({
    id: 'cri.container.config.args-replace-cmd',
    rpc: 'CreateContainer',
    name: "args without command replace the image's Cmd",
    rules: [...TO_EXIT, 'cri.container-config.command-args'],
    async run(k) {
      const { log } = await runToExit(k, [], { args: ['echo', 'from-args'] });
      expectEqual(stdoutOf(log), 'from-args', { rule: 'cri.container-config.command-args', what: 'stdout of the container' });
    },
  }),
  c({
    id: 'cri.container.config.env',
    rpc: 'CreateContainer',
    name: 'Environment variables from the config reach the process',
    rules: [...TO_EXIT, 'cri.container-config.envs'],
    async run(k) {
      const { log } = await runToExit(k, ['sh', '-c', 'echo "$TRIAD_A|$TRIAD_B"'], {
        envs: [
          { key: 'TRIAD_A', value: Buffer.from('alpha') },
          { key: 'TRIAD_B', value: Buffer.from('b e t a') },
        ],
      });
      expectEqual(stdoutOf(log), 'alpha|b e t a', { rule: 'cri.container-config.envs', what: 'stdout of the container' });
    },
  }),
  c({
    id: 'cri.container.config.working-dir',
    rpc: 'CreateContainer',
    name: "working_dir is the process's current directory",
    rules: [...TO_EXIT, 'cri.container-config.working-dir'],
    async run(k) {
      const { log } = await runToExit(k, ['sh', '-c', 'pwd'], { workingDir: '/tmp' });
      expectEqual(stdoutOf(log), '/tmp', { rule: 'cri.container-config.working-dir', what: 'stdout of `pwd`' });
    },
  }),
  c({
    id: 'cri.container.stop.exited',
    rpc: 'StopContainer',
    name: 'StopContainer of a running container leaves it CONTAINER_EXITED with a signal exit code',
    rules: [...POD, ...RUN, STATUS, STOP_RULE, TIMES_RULE, 'cri.container-status.signal-exit-code'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      await expectOk(k.runtime.stopContainer({ containerId: id, timeout: 2n }), { rule: STOP_RULE });
      const st = await k.status(id);
      expectEqual(ContainerState[st.state], 'CONTAINER_EXITED', { rule: STOP_RULE, what: 'status.state', call: k.ctx.lastCall });
      expectTrue(st.exitCode >= 128, `exit_code ${st.exitCode} after the container was stopped by a signal`, {
        rule: 'cri.container-status.signal-exit-code',
        call: k.ctx.lastCall,
      });
      expectTrue(st.finishedAt >= st.startedAt && st.finishedAt > 0n, `started_at ${st.startedAt}, finished_at ${st.finishedAt}`, {
        rule: TIMES_RULE,
        call: k.ctx.lastCall,
      });
    },
  }),
  c({
    id: 'cri.container.stop.signal-handled',
    rpc: 'StopContainer',
    name: 'StopContainer sends the stop signal first: a process that traps it exits with its own code',
    rules: [...POD, ...RUN, STATUS, RULES.logFormat, STOP_RULE, SIGNAL_RULE],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.run(pod, 'trapper', ['sh', '-c', 'trap "exit 0" TERM; echo ready; while true; do sleep 1; done']);
      const path = (await k.status(id)).logPath;
      await k.waitLog(path, (l) => l?.text === 'ready', 10_000, 'the line "ready"', RULES.logFormat);
      await expectOk(k.runtime.stopContainer({ containerId: id, timeout: 20n }), { rule: STOP_RULE });
      const st = await k.status(id);
      expectEqual(st.exitCode, 0, { rule: SIGNAL_RULE, what: 'exit_code after a trapped TERM', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.container.stop.timeout-kills',
    rpc: 'StopContainer',
    name: 'StopContainer kills a process that ignores the stop signal once the timeout elapses',
    tags: ['Slow'],
    rules: [...POD, ...RUN, STATUS, RULES.logFormat, STOP_RULE, SIGNAL_RULE, KILL_RULE],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.run(pod, 'stubborn', ['sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 1; done']);
      const path = (await k.status(id)).logPath;
      await k.waitLog(path, (l) => l?.text === 'ready', 10_000, 'the line "ready"', RULES.logFormat);
      const t0 = Date.now();
      await expectOk(k.runtime.stopContainer({ containerId: id, timeout: 1n }), { rule: STOP_RULE });
      const ms = Date.now() - t0;
      const st = await k.status(id);
      expectEqual(ContainerState[st.state], 'CONTAINER_EXITED', { rule: STOP_RULE, what: 'status.state', call: k.ctx.lastCall });
      expectEqual(st.exitCode, 137, { rule: KILL_RULE, what: 'exit_code', call: k.ctx.lastCall });
      expectTrue(ms >= 800, `StopContainer with timeout 1 returned after ${ms} ms`, { rule: SIGNAL_RULE });
    },
  }),
  c({
    id: 'cri.container.stop.idempotent',
    rpc: 'StopContainer',
    name: 'StopContainer twice answers OK both times',
    rules: [...POD, ...RUN, STATUS, STOP_RULE, STOP_IDEMPOTENT],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      await expectOk(k.runtime.stopContainer({ containerId: id, timeout: 0n }), { rule: STOP_RULE });
      await expectOk(k.runtime.stopContainer({ containerId: id, timeout: 0n }), { rule: STOP_IDEMPOTENT });
      expectEqual(ContainerState[(await k.status(id)).state], 'CONTAINER_EXITED', { rule: STOP_RULE, what: 'status.state', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.container.stop.created',
    rpc: 'StopContainer',
    name: 'StopContainer of a container never started answers OK',
    tags: ['Optional'],
    rules: [...POD, ...CREATE, STOP_IDEMPOTENT],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.create(pod, 'idle', ['sleep', '3600']);
      await expectOk(k.runtime.stopContainer({ containerId: id, timeout: 0n }), { rule: STOP_IDEMPOTENT });
    },
  }),
  c({
    id: 'cri.container.stop.unknown-id',
    rpc: 'StopContainer',
    name: 'StopContainer of an unknown container id answers OK or NOT_FOUND',
    rules: ['cri.stop-container.unknown-id'],
    async run(k) {
      await expectOkOr(k.runtime.stopContainer({ containerId: k.env.unknownId, timeout: 0n }), 'NOT_FOUND', { rule: 'cri.stop-container.unknown-id' });
    },
  }),
  c({
    id: 'cri.container.remove.gone',
    rpc: 'RemoveContainer',
    name: 'After RemoveContainer the container is unknown and not listed',
    rules: [...POD, ...RUN, ...EXIT, REMOVE_RULE, LIST],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.run(pod, 'job', ['true']);
      await k.waitExited(id);
      await expectOk(k.runtime.removeContainer({ containerId: id }), { rule: REMOVE_RULE });
      await expectCode(k.runtime.containerStatus({ containerId: id }), 'NOT_FOUND', { rule: REMOVE_RULE });
      expectEqual(await listedContainers(k, { labelSelector: k.mine }), [], { rule: REMOVE_RULE, what: 'containers of this case still listed' });
    },
  }),
  c({
    id: 'cri.container.remove.idempotent',
    rpc: 'RemoveContainer',
    name: 'RemoveContainer twice answers OK both times',
    rules: [...POD, ...CREATE, REMOVE_RULE, REMOVE_IDEMPOTENT],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.create(pod, 'idle', ['true']);
      await expectOk(k.runtime.removeContainer({ containerId: id }), { rule: REMOVE_RULE });
      await expectOk(k.runtime.removeContainer({ containerId: id }), { rule: REMOVE_IDEMPOTENT });
    },
  }),
  c({
    id: 'cri.container.remove.unknown-id',
    rpc: 'RemoveContainer',
    name: 'RemoveContainer of an unknown container id answers OK',
    rules: [REMOVE_IDEMPOTENT],
    async run(k) {
      await expectOk(k.runtime.removeContainer({ containerId: k.env.unknownId }), { rule: REMOVE_IDEMPOTENT });
    },
  }),
  c({
    id: 'cri.container.remove.running',
    rpc: 'RemoveContainer',
    name: 'RemoveContainer of a running container removes it',
    rules: [...POD, ...RUN, REMOVE_RULE, 'cri.remove-container.force-running'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      await expectOk(k.runtime.removeContainer({ containerId: id }), { rule: 'cri.remove-container.force-running' });
      await expectCode(k.runtime.containerStatus({ containerId: id }), 'NOT_FOUND', { rule: REMOVE_RULE });
    },
  }),
  c({
    id: 'cri.container.status.unknown-id',
    rpc: 'ContainerStatus',
    name: 'ContainerStatus of an unknown container id fails with NOT_FOUND',
    rules: ['cri.container-status.unknown-id-error', RULES.notFound],
    async run(k) {
      await expectNotFound(k.runtime.containerStatus({ containerId: k.env.unknownId }), { rule: 'cri.container-status.unknown-id-error' });
    },
  }),
  c({
    id: 'cri.container.start.unknown-id',
    rpc: 'StartContainer',
    name: 'StartContainer of an unknown container id fails with NOT_FOUND',
    rules: [RULES.notFound],
    async run(k) {
      await expectNotFound(k.runtime.startContainer({ containerId: k.env.unknownId }));
    },
  }),
  c({
    id: 'cri.container.start.exited',
    rpc: 'StartContainer',
    name: 'StartContainer of an exited container fails (a container runs once)',
    rules: [...POD, ...RUN, ...EXIT, STATUS, 'cri.start-container.once'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.run(pod, 'once', ['true']);
      await k.waitExited(id);
      await expectRefused(k.runtime.startContainer({ containerId: id }), { rule: 'cri.start-container.once', what: 'StartContainer of an exited container' });
      expectEqual(ContainerState[(await k.status(id)).state], 'CONTAINER_EXITED', {
        rule: 'cri.start-container.once',
        what: 'status.state',
        call: k.ctx.lastCall,
      });
    },
  }),
  c({
    id: 'cri.container.create.unknown-sandbox',
    rpc: 'CreateContainer',
    name: 'CreateContainer in an unknown sandbox fails',
    rules: [...POD, 'cri.create-container.unknown-sandbox'],
    async run(k) {
      const pod = await k.sandbox();
      await expectRefused(
        k.runtime.createContainer({ podSandboxId: k.env.unknownId, config: k.containerConfig('orphan', ['true']), sandboxConfig: pod.config }),
        { rule: 'cri.create-container.unknown-sandbox', what: 'CreateContainer in an unknown sandbox', created: (r) => k.trackContainer(r.containerId) },
      );
    },
  }),
  c({
    id: 'cri.container.create.stopped-sandbox',
    rpc: 'CreateContainer',
    name: 'CreateContainer in a stopped sandbox fails',
    rules: [...POD, 'cri.stop-pod-sandbox.not-ready', 'cri.create-container.stopped-sandbox'],
    async run(k) {
      const pod = await k.sandbox();
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), { rule: 'cri.stop-pod-sandbox.not-ready' });
      await expectRefused(k.runtime.createContainer({ podSandboxId: pod.id, config: k.containerConfig('late', ['true']), sandboxConfig: pod.config }), {
        rule: 'cri.create-container.stopped-sandbox',
        what: 'CreateContainer in a SANDBOX_NOTREADY sandbox',
        created: (r) => k.trackContainer(r.containerId),
      });
    },
  }),
  c({
    id: 'cri.container.create.missing-image',
    rpc: 'CreateContainer',
    name: 'CreateContainer with an image that is not on the node fails',
    rules: [...POD, 'cri.create-container.image-present'],
    async run(k) {
      const pod = await k.sandbox();
      const ref = `${k.env.image.replace(/[:@].*$/, '')}:triad-absent-${k.env.runId}`;
      await expectRefused(
        k.runtime.createContainer({ podSandboxId: pod.id, config: k.containerConfig('ghost', ['true'], { image: { image: ref } }), sandboxConfig: pod.config }),
        { rule: 'cri.create-container.image-present', what: `CreateContainer with absent image ${ref}`, created: (r) => k.trackContainer(r.containerId) },
      );
    },
  }),
  c({
    id: 'cri.container.create.same-name',
    rpc: 'CreateContainer',
    name: 'CreateContainer with the name and attempt of an existing container in the sandbox fails',
    rules: [...POD, ...CREATE, 'cri.container-metadata.unique'],
    async run(k) {
      const pod = await k.sandbox();
      await k.create(pod, 'twin', ['true']);
      await expectRefused(k.runtime.createContainer({ podSandboxId: pod.id, config: k.containerConfig('twin', ['true']), sandboxConfig: pod.config }), {
        rule: 'cri.container-metadata.unique',
        what: 'a second CreateContainer with the same metadata',
        created: (r) => k.trackContainer(r.containerId),
      });
    },
  }),
  c({
    id: 'cri.container.create.next-attempt',
    rpc: 'CreateContainer',
    name: 'A container with the same name and the next attempt can be created after the first exited',
    rules: [...POD, ...RUN, ...EXIT, STATUS, 'cri.container-metadata.next-attempt'],
    async run(k) {
      const pod = await k.sandbox();
      const first = await k.run(pod, 'app', ['false']);
      await k.waitExited(first);
      const second = await k.create(pod, 'app', ['true'], { metadata: { name: 'app', attempt: 1 } });
      expectTrue(second !== first, 'the new attempt got the old container id', { rule: RULES.createId, call: k.ctx.lastCall });
      const st = await k.status(second);
      expectEqual(st.metadata?.attempt, 1, { rule: 'cri.container-metadata.next-attempt', what: 'metadata.attempt', call: k.ctx.lastCall });
      expectEqual(ContainerState[(await k.status(first)).state], 'CONTAINER_EXITED', {
        rule: 'cri.container-metadata.next-attempt',
        what: 'state of attempt 0',
        call: k.ctx.lastCall,
      });
    },
  }),
  c({
    id: 'cri.container.status.log-path',
    rpc: 'ContainerStatus',
    name: 'ContainerStatus.log_path is the sandbox log_directory joined with the container log_path',
    rules: [...POD, ...CREATE, STATUS, 'cri.container-config.log-path', 'cri.pod-sandbox-config.log-directory'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.create(pod, 'logger', ['true']);
      const st = await k.status(id);
      expectEqual(st.logPath, `${pod.logDir}/logger/0.log`, { rule: 'cri.container-config.log-path', what: 'status.log_path', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.container.status.image',
    rpc: 'ContainerStatus',
    name: 'ContainerStatus names the image and an image_ref that ImageStatus resolves to the same image',
    rules: [...POD, ...CREATE, STATUS, 'cri.container-status.image', 'cri.image-status.answers'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.create(pod, 'img', ['true']);
      const st = await k.status(id);
      const p = k.ctx.lastCall;
      expectNonEmpty(st.image?.image, { rule: 'cri.container-status.image', what: 'status.image.image', call: p });
      expectNonEmpty(st.imageRef, { rule: 'cri.container-status.image', what: 'status.image_ref', call: p });
      const ip = k.image.imageStatus({ image: { image: st.imageRef } });
      const img = await expectOk(ip, { rule: 'cri.image-status.answers' });
      expectEqual(img.image?.id, k.env.imageId, {
        rule: 'cri.container-status.image',
        what: `id of the image ImageStatus finds for image_ref ${st.imageRef}`,
        call: ip,
      });
    },
  }),
  c({
    id: 'cri.container.status.verbose',
    rpc: 'ContainerStatus',
    name: 'ContainerStatus with verbose answers OK, info only then',
    tags: ['Optional'],
    rules: [...POD, ...RUN, STATUS, 'cri.container-status.verbose-info', 'cri.verbose.info-present'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const quiet = await expectOk(k.runtime.containerStatus({ containerId: id, verbose: false }), { rule: STATUS });
      expectEqual(Object.keys(quiet.info).length, 0, {
        rule: 'cri.container-status.verbose-info',
        what: 'number of info keys without verbose',
        call: k.ctx.lastCall,
      });
      const v = await expectOk(k.runtime.containerStatus({ containerId: id, verbose: true }), { rule: 'cri.verbose.info-present' });
      expectTrue(Object.keys(v.info).length > 0, 'verbose ContainerStatus has no info', { rule: 'cri.verbose.info-present', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.container.list.by-sandbox',
    rpc: 'ListContainers',
    name: 'ListContainers filter.pod_sandbox_id lists the containers of that sandbox only',
    rules: [...POD, ...CREATE, LIST, 'cri.container-filter.pod-sandbox-id', 'cri.container-filter.label-selector'],
    async run(k) {
      const a = await k.sandbox();
      const b = await k.sandbox();
      const a1 = await k.create(a, 'one', ['true']);
      const a2 = await k.create(a, 'two', ['true']);
      const b1 = await k.create(b, 'one', ['true']);
      const rule = 'cri.container-filter.pod-sandbox-id';
      expectEqual(await listedContainers(k, { podSandboxId: a.id }), [a1, a2].sort(), { rule, what: `containers listed for sandbox ${short(a.id)}` });
      expectEqual(await listedContainers(k, { podSandboxId: b.id }), [b1], { rule, what: `containers listed for sandbox ${short(b.id)}` });
      expectEqual(await listedContainers(k, { labelSelector: k.mine }), [a1, a2, b1].sort(), {
        rule: 'cri.container-filter.label-selector',
        what: 'containers with the case labels',
      });
    },
  }),
  c({
    id: 'cri.container.list.by-state',
    rpc: 'ListContainers',
    name: 'ListContainers filter.state separates created, running and exited containers',
    rules: [...POD, ...RUN, ...EXIT, LIST, 'cri.container-filter.state'],
    async run(k) {
      const pod = await k.sandbox();
      const created = await k.create(pod, 'created', ['sleep', '3600']);
      const running = await k.sleeper(pod, 'running');
      const exited = await k.run(pod, 'exited', ['true']);
      await k.waitExited(exited);
      const rule = 'cri.container-filter.state';
      const by = (state: ContainerState) => listedContainers(k, { labelSelector: k.mine, state: { state } });
      expectEqual(await by(ContainerState.CONTAINER_CREATED), [created], { rule, what: 'CONTAINER_CREATED containers of this case' });
      expectEqual(await by(ContainerState.CONTAINER_RUNNING), [running], { rule, what: 'CONTAINER_RUNNING containers of this case' });
      expectEqual(await by(ContainerState.CONTAINER_EXITED), [exited], { rule, what: 'CONTAINER_EXITED containers of this case' });
    },
  }),
  c({
    id: 'cri.container.list.by-id',
    rpc: 'ListContainers',
    name: 'ListContainers filter.id lists that container only; an unknown id lists nothing',
    rules: [...POD, ...CREATE, LIST, 'cri.container-filter.id'],
    async run(k) {
      const pod = await k.sandbox();
      const a = await k.create(pod, 'a', ['true']);
      await k.create(pod, 'b', ['true']);
      const rule = 'cri.container-filter.id';
      expectEqual(await listedContainers(k, { id: a }), [a], { rule, what: 'containers listed for filter.id' });
      expectEqual(await listedContainers(k, { id: k.env.unknownId }), [], { rule, what: 'containers listed for an unknown filter.id' });
    },
  }),
  c({
    id: 'cri.container.list.label-selector',
    rpc: 'ListContainers',
    name: 'ListContainers label_selector matches all the given labels (AND)',
    rules: [...POD, ...CREATE, LIST, 'cri.container-filter.label-selector', 'cri.container-filter.and'],
    async run(k) {
      const pod = await k.sandbox();
      const a = await k.create(pod, 'a', ['true'], { labels: { 'triad.dev/tier': 'web', 'triad.dev/zone': 'a' } });
      const b = await k.create(pod, 'b', ['true'], { labels: { 'triad.dev/tier': 'web', 'triad.dev/zone': 'b' } });
      const rule = 'cri.container-filter.label-selector';
      expectEqual(await listedContainers(k, { labelSelector: { ...k.mine, 'triad.dev/tier': 'web' } }), [a, b].sort(), {
        rule,
        what: 'containers with tier=web',
      });
      expectEqual(await listedContainers(k, { labelSelector: { ...k.mine, 'triad.dev/zone': 'b' } }), [b], { rule, what: 'containers with zone=b' });
      expectEqual(await listedContainers(k, { labelSelector: { ...k.mine, 'triad.dev/tier': 'web', 'triad.dev/zone': 'a' } }), [a], {
        rule,
        what: 'containers with tier=web AND zone=a',
      });
      expectEqual(await listedContainers(k, { labelSelector: k.mine, id: a, state: { state: ContainerState.CONTAINER_RUNNING } }), [], {
        rule: 'cri.container-filter.and',
        what: 'filter.id of a created container AND state RUNNING',
      });
      expectEqual(await listedContainers(k, { labelSelector: { ...k.mine, 'triad.dev/zone': 'c' } }), [], { rule, what: 'containers with zone=c' });
    },
  }),
  c({
    id: 'cri.container.list.fields',
    rpc: 'ListContainers',
    name: 'ListContainers items carry the sandbox id, metadata, image, state, created_at, labels and annotations',
    rules: [...POD, ...RUN, STATUS, LIST, 'cri.container-config.annotations-unaltered'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod, 'listed', { annotations: { 'triad.dev/note': 'listed' } });
      const p = k.runtime.listContainers({ filter: { id } });
      const item = (await expectOk(p, { rule: LIST })).containers[0];
      if (!item) fail(`ListContainers with filter.id ${short(id)} lists nothing`, { rule: LIST, call: p });
      const st = await k.status(id);
      const rule = LIST;
      expectEqual(item.podSandboxId, pod.id, { rule, what: 'pod_sandbox_id', call: p });
      expectEqual({ ...item.metadata }, { name: 'listed', attempt: 0 }, { rule, what: 'metadata', call: p });
      expectEqual(ContainerState[item.state], 'CONTAINER_RUNNING', { rule, what: 'state', call: p });
      expectEqual(item.createdAt, st.createdAt, { rule, what: 'created_at (as ContainerStatus reports it)', call: p });
      expectNonEmpty(item.image?.image, { rule, what: 'image.image', call: p });
      expectNonEmpty(item.imageRef, { rule, what: 'image_ref', call: p });
      expectEqual(item.labels[CASE_LABEL], k.caseTag, { rule, what: `labels[${CASE_LABEL}]`, call: p });
      expectEqual(
        { ...item.annotations },
        { 'triad.dev/note': 'listed' },
        { rule: 'cri.container-config.annotations-unaltered', what: 'annotations', call: p },
      );
    },
  }),
  c({
    id: 'cri.container.stream',
    rpc: 'StreamContainers',
    name: 'StreamContainers streams the containers ListContainers lists for the same filter',
    needs: [rpcCap('StreamContainers')],
    rules: [...POD, ...CREATE, 'cri.stream-list.same-as-list', 'cri.stream-list.item-once', RULES.eof, RULES.nonEmpty],
    async run(k) {
      const pod = await k.sandbox();
      const a = await k.create(pod, 'a', ['true']);
      const b = await k.create(pod, 'b', ['true']);
      const msgs = await expectOk(
        k.collect(
          'RuntimeService/StreamContainers',
          { filter: { labelSelector: k.mine } },
          (req, o) => k.env.client.runtime.streamContainers(req as never, o),
          'containers',
        ),
        { rule: 'cri.stream-list.same-as-list' },
      );
      const got = flat(msgs, 'containers').map((x) => x.id);
      expectEqual(got.length, new Set(got).size, {
        rule: 'cri.stream-list.item-once',
        what: 'number of streamed containers (a duplicate makes it larger than the distinct ids)',
        call: k.ctx.lastCall,
      });
      expectEqual([...got].sort(), [a, b].sort(), { rule: 'cri.stream-list.same-as-list', what: 'streamed container ids', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.container.stop.timeout-zero',
    rpc: 'StopContainer',
    name: 'StopContainer with timeout 0 kills at once, even a process that ignores the stop signal',
    rules: [...POD, ...RUN, STATUS, RULES.logFormat, STOP_RULE, 'cri.stop-container.timeout-zero'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.run(pod, 'stubborn', ['sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 1; done']);
      const path = (await k.status(id)).logPath;
      await k.waitLog(path, (l) => l?.text === 'ready', 10_000, 'the line "ready"', RULES.logFormat);
      const t0 = Date.now();
      const stop = k.runtime.stopContainer({ containerId: id, timeout: 0n });
      await expectOk(stop, { rule: STOP_RULE });
      const ms = Date.now() - t0;
      const rule = 'cri.stop-container.timeout-zero';
      expectTrue(ms < 2000, `StopContainer with timeout 0 returned after ${ms} ms: the runtime waited for a process that ignores the stop signal`, {
        rule,
        call: stop,
        actual: `${ms} ms`,
      });
      expectEqual((await k.status(id)).exitCode, 137, { rule, what: 'exit_code (137: SIGKILL)', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.container.stop.custom-signal',
    rpc: 'StopContainer',
    name: "StopContainer sends the container's stop_signal, and ContainerStatus reports it",
    rules: [...POD, ...RUN, STATUS, RULES.logFormat, STOP_RULE, 'cri.container-config.stop-signal'],
    async run(k) {
      const SIGUSR1 = 29; // Signal's SIGUSR1 value; its key names differ across cri-api versions, the number does not
      const rule = 'cri.container-config.stop-signal';
      const pod = await k.sandbox();
      const id = await k.run(pod, 'usr1', ['sh', '-c', 'trap "exit 0" USR1; trap "exit 9" TERM; echo ready; while true; do sleep 1; done'], {
        stopSignal: SIGUSR1,
      });
      const before = await k.status(id);
      if (!before.stopSignal)
        k.ctx.notApplicable(
          'ContainerStatus.stop_signal is RUNTIME_DEFAULT for a container created with stop_signal SIGUSR1: the runtime predates the field (cri-api 1.33)',
        );
      expectEqual(before.stopSignal, SIGUSR1, { rule, what: 'status.stop_signal (29: SIGUSR1)', call: k.ctx.lastCall });
      await k.waitLog(before.logPath, (l) => l?.text === 'ready', 10_000, 'the line "ready"', RULES.logFormat);
      await expectOk(k.runtime.stopContainer({ containerId: id, timeout: 10n }), { rule: STOP_RULE });
      expectEqual((await k.status(id)).exitCode, 0, {
        rule,
        what: 'exit_code after StopContainer (0: the USR1 trap ran; 9: TERM came instead)',
        call: k.ctx.lastCall,
      });
    },
  }),
  c({
    id: 'cri.container.status.image-id',
    rpc: ['ContainerStatus', 'ListContainers'],
    name: "ContainerStatus.image_id and ListContainers image_id are the image's id as ImageStatus answers it",
    rules: [...POD, ...CREATE, STATUS, LIST, 'cri.image-id.consistent'],
    async run(k) {
      const rule = 'cri.image-id.consistent';
      const pod = await k.sandbox();
      const id = await k.create(pod, 'img', ['true']);
      const st = await k.status(id);
      const p = k.ctx.lastCall;
      const lp = k.runtime.listContainers({ filter: { id } });
      const item = (await expectOk(lp, { rule: LIST })).containers[0];
      if (!st.imageId && !item?.imageId)
        k.ctx.notApplicable('ContainerStatus and ListContainers leave image_id empty: the runtime predates the field (cri-api 1.31)');
      expectEqual(st.imageId, k.env.imageId, { rule, what: 'status.image_id', call: p });
      expectEqual(item?.imageId, k.env.imageId, { rule, what: 'image_id of the listed container', call: lp });
    },
  }),
  c({
    id: 'cri.container.status.user',
    rpc: 'ContainerStatus',
    name: "ContainerStatus.user reports the first process's uid, gid and groups when the runtime advertises supplemental_groups_policy",
    rules: [...POD, ...RUN, STATUS, 'cri.status.answers', 'cri.container-status.user', 'cri.runtime-features.supplemental-groups-policy'],
    async run(k) {
      const s = await expectOk(k.runtime.status({}), { rule: 'cri.status.answers' });
      if (!s.features?.supplementalGroupsPolicy)
        k.ctx.notApplicable('Status features.supplemental_groups_policy is false: the runtime does not promise ContainerStatus.user');
      const pod = await k.sandbox();
      const id = await k.sleeper(pod, 'user', {
        linux: { securityContext: { runAsUser: { value: 1234n }, runAsGroup: { value: 5678n }, supplementalGroups: [4242n] } },
      });
      const st = await k.status(id);
      const u = st.user?.linux;
      if (!u)
        fail('ContainerStatus has no user although Status features.supplemental_groups_policy is true', {
          rule: 'cri.runtime-features.supplemental-groups-policy',
          call: k.ctx.lastCall,
        });
      const rule = 'cri.container-status.user';
      expectEqual({ uid: u.uid, gid: u.gid }, { uid: 1234n, gid: 5678n }, { rule, what: 'status.user.linux uid and gid', call: k.ctx.lastCall });
      expectTrue(u.supplementalGroups.includes(4242n), `status.user.linux.supplemental_groups ${JSON.stringify(u.supplementalGroups.map(String))} lack 4242`, {
        rule,
        call: k.ctx.lastCall,
      });
    },
  }),
];
