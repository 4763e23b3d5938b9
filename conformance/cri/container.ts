// CRI containers: CREATED → RUNNING → EXITED with exit codes, timestamps and reasons; stop with
// the stop signal then the kill after the grace period; idempotent stop/remove; name
// reservation and attempts; command/args/env/working dir; ListContainers filters (only over this
// case's own containers); unknown ids; StreamContainers.
import { expectCode, expectEqual, expectNonEmpty, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { caseIn } from './case.js';
import { CASE_LABEL, ContainerState, RULES, expectOkOr, expectRefused, flat, parseLogLine, rpcCap, short, type CriEnv, type CriKit } from './kit.js';

const c = caseIn('cri.Container');

const STOP_RULE = 'CRI StopContainer stops a running container with the stop signal, kills it once the timeout (grace period) elapses, and returns when it is stopped';
const STOP_IDEMPOTENT = 'CRI StopContainer is idempotent: it MUST NOT return an error if the container has already been stopped';
const REMOVE_RULE = 'CRI RemoveContainer removes the container (forcibly if it is running); afterwards the runtime no longer knows it';
const REMOVE_IDEMPOTENT = 'CRI RemoveContainer is idempotent: it MUST NOT return an error if the container has already been removed';
const TIMES_RULE = 'CRI ContainerStatus: created_at, started_at and finished_at are nanoseconds since the epoch, 0 until the event happened; the container is created before it starts and finishes';

async function listedContainers(k: CriKit, filter: Record<string, unknown>): Promise<string[]> {
  const res = await expectOk(k.runtime.listContainers({ filter }), RULES.listOk('ListContainers'));
  return res.containers.map((x) => x.id).sort();
}

/** Run `command` to completion in a fresh sandbox; answers the exited status and the log lines. */
async function runToExit(k: CriKit, command: string[], over: Record<string, unknown> = {}) {
  const pod = await k.sandbox();
  const id = await k.run(pod, 'job', command, over);
  const st = await k.waitExited(id);
  return { pod, id, st, log: k.logLines(st.logPath).map((l) => parseLogLine(l)) };
}

const stdoutOf = (log: Array<ReturnType<typeof parseLogLine>>) => log.filter((l) => l?.stream === 'stdout').map((l) => l!.text).join('\n');

export const containerCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.container.create.created', name: 'CreateContainer gives a CONTAINER_CREATED container whose status echoes its config',
    async run(k) {
      const pod = await k.sandbox();
      const t0 = BigInt(Date.now() - 5000) * 1_000_000n;
      const id = await k.create(pod, 'box', ['sleep', '3600'], { labels: { 'triad.dev/role': 'box' }, annotations: { 'triad.dev/note': 'as given' } });
      const t1 = BigInt(Date.now() + 5000) * 1_000_000n;
      const p = k.runtime.containerStatus({ containerId: id });
      const st = (await expectOk(p, RULES.statusOk)).status!;
      expectEqual(st.id, id, 'CRI ContainerStatus.id is the container id', 'status.id', p);
      expectEqual(ContainerState[st.state], 'CONTAINER_CREATED', RULES.createOk, 'status.state', p);
      expectEqual({ ...st.metadata }, { name: 'box', attempt: 0 }, 'CRI ContainerStatus.metadata is the ContainerMetadata given', 'status.metadata', p);
      expectEqual(st.labels['triad.dev/role'], 'box', 'CRI ContainerStatus.labels are the labels given', 'status.labels[triad.dev/role]', p);
      expectEqual(st.annotations['triad.dev/note'], 'as given', 'CRI ContainerStatus.annotations are the annotations given', 'status.annotations[triad.dev/note]', p);
      expectTrue(st.createdAt >= t0 && st.createdAt <= t1, `created_at ${st.createdAt} is not the time of the call`, TIMES_RULE, { call: p });
      expectEqual(st.startedAt, 0n, TIMES_RULE, 'started_at of a container never started', p);
      expectEqual(st.finishedAt, 0n, TIMES_RULE, 'finished_at of a container never started', p);
    },
  }),
  c({
    id: 'cri.container.start.running', name: 'StartContainer makes the container CONTAINER_RUNNING with started_at set',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.create(pod, 'box', ['sleep', '3600']);
      await k.start(id);
      const p = k.runtime.containerStatus({ containerId: id });
      const st = (await expectOk(p, RULES.statusOk)).status!;
      expectEqual(ContainerState[st.state], 'CONTAINER_RUNNING', RULES.startOk, 'status.state', p);
      expectTrue(st.startedAt > 0n && st.startedAt >= st.createdAt, `started_at ${st.startedAt}, created_at ${st.createdAt}`, TIMES_RULE, { call: p });
      expectEqual(st.finishedAt, 0n, TIMES_RULE, 'finished_at of a running container', p);
    },
  }),
  c({
    id: 'cri.container.exit.code', name: 'A process that exits 3 leaves the container CONTAINER_EXITED with exit code 3 and ordered timestamps',
    async run(k) {
      const { st } = await runToExit(k, ['sh', '-c', 'exit 3']);
      expectEqual(st.exitCode, 3, RULES.exitCode, 'exit_code', k.ctx.lastCall);
      expectTrue(st.startedAt >= st.createdAt && st.finishedAt >= st.createdAt && st.startedAt > 0n, `created_at ${st.createdAt}, started_at ${st.startedAt}, finished_at ${st.finishedAt}`, TIMES_RULE, { call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.container.exit.timestamps-ordered', name: 'A container that exits at once still reports started_at ≤ finished_at', tags: ['Optional'],
    async run(k) {
      const { st } = await runToExit(k, ['true']);
      expectTrue(st.startedAt > 0n && st.startedAt <= st.finishedAt, `started_at ${st.startedAt} is after finished_at ${st.finishedAt} (by ${Number(st.startedAt - st.finishedAt) / 1e6} ms)`,
        `${TIMES_RULE} (containerd 1.6 stamps started_at when StartContainer returns, which can be after a fast process already exited)`, { call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.container.exit.zero', name: 'A process that exits 0 leaves the container CONTAINER_EXITED with exit code 0',
    async run(k) {
      const { st } = await runToExit(k, ['true']);
      expectEqual(st.exitCode, 0, RULES.exitCode, 'exit_code', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.container.exit.reason', name: 'An exited container\'s reason is Completed for exit 0 and Error otherwise', tags: ['Optional'],
    async run(k) {
      const pod = await k.sandbox();
      const ok = await k.run(pod, 'ok', ['true']);
      const bad = await k.run(pod, 'bad', ['false']);
      const rule = 'CRI ContainerStatus.reason: a brief CamelCase string explaining why the container is in its state; kubelet shows "Completed" / "Error" as runtimes set them for exit 0 / non-zero';
      expectEqual((await k.waitExited(ok)).reason, 'Completed', rule, 'reason after exit 0', k.ctx.lastCall);
      expectEqual((await k.waitExited(bad)).reason, 'Error', rule, 'reason after exit 1', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.container.config.command-args', name: 'command with args runs command followed by args',
    async run(k) {
      const { log } = await runToExit(k, ['echo'], { args: ['triad', 'args-ok'] });
      expectEqual(stdoutOf(log), 'triad args-ok', 'CRI ContainerConfig: command is the entrypoint and args its arguments (Docker\'s ENTRYPOINT/CMD rules)', 'stdout of the container');
    },
  }),
  c({
    id: 'cri.container.config.args-replace-cmd', name: 'args without command replace the image\'s Cmd',
    async run(k) {
      const { log } = await runToExit(k, [], { args: ['echo', 'from-args'] });
      expectEqual(stdoutOf(log), 'from-args', 'CRI ContainerConfig.args: without command, args replace the image\'s CMD (the image\'s ENTRYPOINT, if any, stays)', 'stdout of the container');
    },
  }),
  c({
    id: 'cri.container.config.env', name: 'Environment variables from the config reach the process',
    async run(k) {
      const { log } = await runToExit(k, ['sh', '-c', 'echo "$TRIAD_A|$TRIAD_B"'], { envs: [{ key: 'TRIAD_A', value: Buffer.from('alpha') }, { key: 'TRIAD_B', value: Buffer.from('b e t a') }] });
      expectEqual(stdoutOf(log), 'alpha|b e t a', 'CRI ContainerConfig.envs: the process environment has every key/value given', 'stdout of the container');
    },
  }),
  c({
    id: 'cri.container.config.working-dir', name: 'working_dir is the process\'s current directory',
    async run(k) {
      const { log } = await runToExit(k, ['sh', '-c', 'pwd'], { workingDir: '/tmp' });
      expectEqual(stdoutOf(log), '/tmp', 'CRI ContainerConfig.working_dir: the current working directory of the command', 'stdout of `pwd`');
    },
  }),
  c({
    id: 'cri.container.stop.exited', name: 'StopContainer of a running container leaves it CONTAINER_EXITED with a signal exit code',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      await expectOk(k.runtime.stopContainer({ containerId: id, timeout: 2n }), STOP_RULE);
      const st = await k.status(id);
      expectEqual(ContainerState[st.state], 'CONTAINER_EXITED', `${STOP_RULE}: when StopContainer returns, the container is CONTAINER_EXITED`, 'status.state', k.ctx.lastCall);
      expectTrue(st.exitCode >= 128, `exit_code ${st.exitCode} after the container was stopped by a signal`, 'CRI ContainerStatus.exit_code of a process ended by a signal is 128 + the signal number (143 TERM, 137 KILL)', { call: k.ctx.lastCall });
      expectTrue(st.finishedAt >= st.startedAt && st.finishedAt > 0n, `started_at ${st.startedAt}, finished_at ${st.finishedAt}`, TIMES_RULE, { call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.container.stop.signal-handled', name: 'StopContainer sends the stop signal first: a process that traps it exits with its own code',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.run(pod, 'trapper', ['sh', '-c', 'trap "exit 0" TERM; echo ready; while true; do sleep 1; done']);
      const path = (await k.status(id)).logPath;
      await k.waitLog(path, (l) => l?.text === 'ready', 10_000, 'the line "ready"', RULES.logFormat);
      await expectOk(k.runtime.stopContainer({ containerId: id, timeout: 20n }), STOP_RULE);
      const st = await k.status(id);
      expectEqual(st.exitCode, 0, `${STOP_RULE}: the process gets the stop signal (SIGTERM) and may exit cleanly within the grace period`, 'exit_code after a trapped TERM', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.container.stop.timeout-kills', name: 'StopContainer kills a process that ignores the stop signal once the timeout elapses', tags: ['Slow'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.run(pod, 'stubborn', ['sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 1; done']);
      const path = (await k.status(id)).logPath;
      await k.waitLog(path, (l) => l?.text === 'ready', 10_000, 'the line "ready"', RULES.logFormat);
      const t0 = Date.now();
      await expectOk(k.runtime.stopContainer({ containerId: id, timeout: 1n }), STOP_RULE);
      const ms = Date.now() - t0;
      const st = await k.status(id);
      expectEqual(ContainerState[st.state], 'CONTAINER_EXITED', STOP_RULE, 'status.state', k.ctx.lastCall);
      expectEqual(st.exitCode, 137, `${STOP_RULE}: after the timeout the process is killed (SIGKILL: exit code 137)`, 'exit_code', k.ctx.lastCall);
      expectTrue(ms >= 800, `StopContainer with timeout 1 returned after ${ms} ms`, `${STOP_RULE}: the process is given the timeout (seconds) before the kill`);
    },
  }),
  c({
    id: 'cri.container.stop.idempotent', name: 'StopContainer twice answers OK both times',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      await expectOk(k.runtime.stopContainer({ containerId: id, timeout: 0n }), STOP_RULE);
      await expectOk(k.runtime.stopContainer({ containerId: id, timeout: 0n }), STOP_IDEMPOTENT);
      expectEqual(ContainerState[(await k.status(id)).state], 'CONTAINER_EXITED', STOP_RULE, 'status.state', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.container.stop.created', name: 'StopContainer of a container never started answers OK', tags: ['Optional'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.create(pod, 'idle', ['sleep', '3600']);
      await expectOk(k.runtime.stopContainer({ containerId: id, timeout: 0n }), `${STOP_IDEMPOTENT} (a container that never ran is not running)`);
    },
  }),
  c({
    id: 'cri.container.stop.unknown-id', name: 'StopContainer of an unknown container id answers OK or NOT_FOUND',
    async run(k) {
      await expectOkOr(k.runtime.stopContainer({ containerId: k.env.unknownId, timeout: 0n }), 'NOT_FOUND',
        'CRI StopContainer of an id the runtime does not know: OK (already stopped) or NOT_FOUND; any other error makes kubelet retry forever');
    },
  }),
  c({
    id: 'cri.container.remove.gone', name: 'After RemoveContainer the container is unknown and not listed',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.run(pod, 'job', ['true']);
      await k.waitExited(id);
      await expectOk(k.runtime.removeContainer({ containerId: id }), REMOVE_RULE);
      await expectCode(k.runtime.containerStatus({ containerId: id }), 'NOT_FOUND', `${REMOVE_RULE}: ContainerStatus then fails with NOT_FOUND`);
      expectEqual(await listedContainers(k, { labelSelector: k.mine }), [], REMOVE_RULE, 'containers of this case still listed');
    },
  }),
  c({
    id: 'cri.container.remove.idempotent', name: 'RemoveContainer twice answers OK both times',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.create(pod, 'idle', ['true']);
      await expectOk(k.runtime.removeContainer({ containerId: id }), REMOVE_RULE);
      await expectOk(k.runtime.removeContainer({ containerId: id }), REMOVE_IDEMPOTENT);
    },
  }),
  c({
    id: 'cri.container.remove.unknown-id', name: 'RemoveContainer of an unknown container id answers OK',
    async run(k) {
      await expectOk(k.runtime.removeContainer({ containerId: k.env.unknownId }), REMOVE_IDEMPOTENT);
    },
  }),
  c({
    id: 'cri.container.remove.running', name: 'RemoveContainer of a running container removes it',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      await expectOk(k.runtime.removeContainer({ containerId: id }), `${REMOVE_RULE}: if the container is running, it MUST be forcibly removed`);
      await expectCode(k.runtime.containerStatus({ containerId: id }), 'NOT_FOUND', `${REMOVE_RULE}: ContainerStatus then fails with NOT_FOUND`);
    },
  }),
  c({
    id: 'cri.container.status.unknown-id', name: 'ContainerStatus of an unknown container id fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.runtime.containerStatus({ containerId: k.env.unknownId }), 'NOT_FOUND', RULES.notFound('ContainerStatus', 'container'));
    },
  }),
  c({
    id: 'cri.container.start.unknown-id', name: 'StartContainer of an unknown container id fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.runtime.startContainer({ containerId: k.env.unknownId }), 'NOT_FOUND', RULES.notFound('StartContainer', 'container'));
    },
  }),
  c({
    id: 'cri.container.start.exited', name: 'StartContainer of an exited container fails (a container runs once)',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.run(pod, 'once', ['true']);
      await k.waitExited(id);
      await expectRefused(k.runtime.startContainer({ containerId: id }), 'CRI StartContainer starts a CONTAINER_CREATED container; kubelet restarts by creating a new container (attempt + 1), so starting an exited one MUST fail', 'StartContainer of an exited container');
      expectEqual(ContainerState[(await k.status(id)).state], 'CONTAINER_EXITED', 'CRI: a refused StartContainer leaves the container as it was', 'status.state', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.container.create.unknown-sandbox', name: 'CreateContainer in an unknown sandbox fails',
    async run(k) {
      const pod = await k.sandbox();
      await expectRefused(k.runtime.createContainer({ podSandboxId: k.env.unknownId, config: k.containerConfig('orphan', ['true']), sandboxConfig: pod.config }),
        'CRI CreateContainer: pod_sandbox_id names the sandbox the container is created in; an unknown one MUST be refused', 'CreateContainer in an unknown sandbox', (r) => k.trackContainer(r.containerId));
    },
  }),
  c({
    id: 'cri.container.create.stopped-sandbox', name: 'CreateContainer in a stopped sandbox fails',
    async run(k) {
      const pod = await k.sandbox();
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), 'CRI StopPodSandbox MUST answer OK for a ready sandbox');
      await expectRefused(k.runtime.createContainer({ podSandboxId: pod.id, config: k.containerConfig('late', ['true']), sandboxConfig: pod.config }),
        'CRI CreateContainer: containers are created in a ready sandbox; a stopped sandbox has no namespaces left to join', 'CreateContainer in a SANDBOX_NOTREADY sandbox', (r) => k.trackContainer(r.containerId));
    },
  }),
  c({
    id: 'cri.container.create.missing-image', name: 'CreateContainer with an image that is not on the node fails',
    async run(k) {
      const pod = await k.sandbox();
      const ref = `${k.env.image.replace(/[:@].*$/, '')}:triad-absent-${k.env.runId}`;
      await expectRefused(k.runtime.createContainer({ podSandboxId: pod.id, config: k.containerConfig('ghost', ['true'], { image: { image: ref } }), sandboxConfig: pod.config }),
        'CRI CreateContainer does not pull: the image MUST be present (kubelet pulls first and reports ErrImageNeverPull / ErrImagePull itself)', `CreateContainer with absent image ${ref}`, (r) => k.trackContainer(r.containerId));
    },
  }),
  c({
    id: 'cri.container.create.same-name', name: 'CreateContainer with the name and attempt of an existing container in the sandbox fails',
    async run(k) {
      const pod = await k.sandbox();
      await k.create(pod, 'twin', ['true']);
      await expectRefused(k.runtime.createContainer({ podSandboxId: pod.id, config: k.containerConfig('twin', ['true']), sandboxConfig: pod.config }),
        'CRI CreateContainer: the container name (metadata name and attempt within the sandbox) is reserved while the container exists; a second one MUST be refused',
        'a second CreateContainer with the same metadata', (r) => k.trackContainer(r.containerId));
    },
  }),
  c({
    id: 'cri.container.create.next-attempt', name: 'A container with the same name and the next attempt can be created after the first exited',
    async run(k) {
      const pod = await k.sandbox();
      const first = await k.run(pod, 'app', ['false']);
      await k.waitExited(first);
      const second = await k.create(pod, 'app', ['true'], { metadata: { name: 'app', attempt: 1 } });
      expectTrue(second !== first, 'the new attempt got the old container id', 'CRI CreateContainer answers the id of a new container', { call: k.ctx.lastCall });
      const st = await k.status(second);
      expectEqual(st.metadata?.attempt, 1, 'CRI ContainerStatus.metadata.attempt is the attempt given (kubelet counts restarts with it)', 'metadata.attempt', k.ctx.lastCall);
      expectEqual(ContainerState[(await k.status(first)).state], 'CONTAINER_EXITED', 'CRI: the previous attempt stays (kubelet reads its logs and exit code)', 'state of attempt 0', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.container.status.log-path', name: 'ContainerStatus.log_path is the sandbox log_directory joined with the container log_path',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.create(pod, 'logger', ['true']);
      const st = await k.status(id);
      expectEqual(st.logPath, `${pod.logDir}/logger/0.log`, 'CRI ContainerStatus.log_path: the full path of the container log (PodSandboxConfig.log_directory + ContainerConfig.log_path)', 'status.log_path', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.container.status.image', name: 'ContainerStatus names the image and an image_ref that ImageStatus resolves to the same image',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.create(pod, 'img', ['true']);
      const st = await k.status(id);
      const p = k.ctx.lastCall;
      expectNonEmpty(st.image?.image, 'CRI ContainerStatus.image: the image spec of the container', 'status.image.image', p);
      expectNonEmpty(st.imageRef, 'CRI ContainerStatus.image_ref: the reference of the image the container runs (digest or id)', 'status.image_ref', p);
      const ip = k.image.imageStatus({ image: { image: st.imageRef } });
      const img = await expectOk(ip, 'CRI ImageStatus MUST answer OK');
      expectEqual(img.image?.id, k.env.imageId, 'CRI ContainerStatus.image_ref names the image the container was created from: ImageStatus resolves it to that image', `id of the image ImageStatus finds for image_ref ${st.imageRef}`, ip);
    },
  }),
  c({
    id: 'cri.container.status.verbose', name: 'ContainerStatus with verbose answers OK, info only then', tags: ['Optional'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const quiet = await expectOk(k.runtime.containerStatus({ containerId: id, verbose: false }), RULES.statusOk);
      expectEqual(Object.keys(quiet.info).length, 0, 'CRI ContainerStatusResponse.info: extra information, only returned when verbose is true', 'number of info keys without verbose', k.ctx.lastCall);
      const v = await expectOk(k.runtime.containerStatus({ containerId: id, verbose: true }), RULES.statusOk);
      expectTrue(Object.keys(v.info).length > 0, 'verbose ContainerStatus has no info', 'CRI ContainerStatusResponse.info: with verbose, runtime-specific details (pid, OCI spec)', { call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.container.list.by-sandbox', name: 'ListContainers filter.pod_sandbox_id lists the containers of that sandbox only',
    async run(k) {
      const a = await k.sandbox();
      const b = await k.sandbox();
      const a1 = await k.create(a, 'one', ['true']);
      const a2 = await k.create(a, 'two', ['true']);
      const b1 = await k.create(b, 'one', ['true']);
      const rule = 'CRI ContainerFilter.pod_sandbox_id: only containers of that sandbox';
      expectEqual(await listedContainers(k, { podSandboxId: a.id }), [a1, a2].sort(), rule, `containers listed for sandbox ${short(a.id)}`);
      expectEqual(await listedContainers(k, { podSandboxId: b.id }), [b1], rule, `containers listed for sandbox ${short(b.id)}`);
      expectEqual(await listedContainers(k, { labelSelector: k.mine }), [a1, a2, b1].sort(), 'CRI ContainerFilter.label_selector: containers whose labels match', 'containers with the case labels');
    },
  }),
  c({
    id: 'cri.container.list.by-state', name: 'ListContainers filter.state separates created, running and exited containers',
    async run(k) {
      const pod = await k.sandbox();
      const created = await k.create(pod, 'created', ['sleep', '3600']);
      const running = await k.sleeper(pod, 'running');
      const exited = await k.run(pod, 'exited', ['true']);
      await k.waitExited(exited);
      const rule = 'CRI ContainerFilter.state: only containers in that state';
      const by = (state: ContainerState) => listedContainers(k, { labelSelector: k.mine, state: { state } });
      expectEqual(await by(ContainerState.CONTAINER_CREATED), [created], rule, 'CONTAINER_CREATED containers of this case');
      expectEqual(await by(ContainerState.CONTAINER_RUNNING), [running], rule, 'CONTAINER_RUNNING containers of this case');
      expectEqual(await by(ContainerState.CONTAINER_EXITED), [exited], rule, 'CONTAINER_EXITED containers of this case');
    },
  }),
  c({
    id: 'cri.container.list.by-id', name: 'ListContainers filter.id lists that container only; an unknown id lists nothing',
    async run(k) {
      const pod = await k.sandbox();
      const a = await k.create(pod, 'a', ['true']);
      await k.create(pod, 'b', ['true']);
      const rule = 'CRI ContainerFilter.id: only the container with that id';
      expectEqual(await listedContainers(k, { id: a }), [a], rule, 'containers listed for filter.id');
      expectEqual(await listedContainers(k, { id: k.env.unknownId }), [], rule, 'containers listed for an unknown filter.id');
    },
  }),
  c({
    id: 'cri.container.list.label-selector', name: 'ListContainers label_selector matches all the given labels (AND)',
    async run(k) {
      const pod = await k.sandbox();
      const a = await k.create(pod, 'a', ['true'], { labels: { 'triad.dev/tier': 'web', 'triad.dev/zone': 'a' } });
      const b = await k.create(pod, 'b', ['true'], { labels: { 'triad.dev/tier': 'web', 'triad.dev/zone': 'b' } });
      const rule = 'CRI ContainerFilter.label_selector: the container\'s labels MUST match every key/value of the selector (AND)';
      expectEqual(await listedContainers(k, { labelSelector: { ...k.mine, 'triad.dev/tier': 'web' } }), [a, b].sort(), rule, 'containers with tier=web');
      expectEqual(await listedContainers(k, { labelSelector: { ...k.mine, 'triad.dev/zone': 'b' } }), [b], rule, 'containers with zone=b');
      expectEqual(await listedContainers(k, { labelSelector: { ...k.mine, 'triad.dev/tier': 'web', 'triad.dev/zone': 'a' } }), [a], rule, 'containers with tier=web AND zone=a');
      expectEqual(await listedContainers(k, { labelSelector: { ...k.mine, 'triad.dev/zone': 'c' } }), [], rule, 'containers with zone=c');
    },
  }),
  c({
    id: 'cri.container.list.fields', name: 'ListContainers items carry the sandbox id, metadata, image, state, created_at, labels and annotations',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod, 'listed', { annotations: { 'triad.dev/note': 'listed' } });
      const p = k.runtime.listContainers({ filter: { id } });
      const item = (await expectOk(p, RULES.listOk('ListContainers'))).containers[0];
      if (!item) fail(`ListContainers with filter.id ${short(id)} lists nothing`, RULES.listOk('ListContainers'), { call: p });
      const st = await k.status(id);
      const rule = 'CRI Container (ListContainers): the same facts as ContainerStatus: sandbox id, metadata, image, image_ref, state, created_at, labels, annotations';
      expectEqual(item.podSandboxId, pod.id, rule, 'pod_sandbox_id', p);
      expectEqual({ ...item.metadata }, { name: 'listed', attempt: 0 }, rule, 'metadata', p);
      expectEqual(ContainerState[item.state], 'CONTAINER_RUNNING', rule, 'state', p);
      expectEqual(item.createdAt, st.createdAt, rule, 'created_at (as ContainerStatus reports it)', p);
      expectNonEmpty(item.image?.image, rule, 'image.image', p);
      expectNonEmpty(item.imageRef, rule, 'image_ref', p);
      expectEqual(item.labels[CASE_LABEL], k.caseTag, rule, `labels[${CASE_LABEL}]`, p);
      expectEqual(item.annotations['triad.dev/note'], 'listed', rule, 'annotations', p);
    },
  }),
  c({
    id: 'cri.container.stream', name: 'StreamContainers streams the containers ListContainers lists for the same filter', needs: [rpcCap('StreamContainers')],
    async run(k) {
      const pod = await k.sandbox();
      const a = await k.create(pod, 'a', ['true']);
      const b = await k.create(pod, 'b', ['true']);
      const msgs = await expectOk(k.collect('RuntimeService/StreamContainers', { filter: { labelSelector: k.mine } }, (req, o) => k.env.client.runtime.streamContainers(req as never, o)),
        'CRI StreamContainers MUST stream the containers matching the filter, then end');
      expectEqual(flat(msgs, 'containers').map((x) => x.id).sort(), [a, b].sort(), 'CRI StreamContainers: the same containers as ListContainers with the same filter, each once', 'streamed container ids', k.ctx.lastCall);
    },
  }),
];
