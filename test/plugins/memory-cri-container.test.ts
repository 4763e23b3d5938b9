// memory-cri containers over a real unix socket: CREATED → RUNNING → EXITED with timestamps,
// exit codes and reasons, StopContainer timeout semantics (TERM → 143, ignored TERM → killed
// after the grace period → 137, timeout 0 → 137), StartError for a missing executable, Docker's
// entrypoint/cmd rules, list filters, NOT_FOUND, idempotent stop/remove, name reservation,
// sandbox preconditions, resource updates and the GetContainerEvents stream.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ContainerEventType, ContainerState, Signal } from '../../interfaces/gen/cri/api.js';
import { ctrConfig, podConfig, startTestRuntime, waitFor, type TestRuntime } from '../../plugins/memory-cri/testing.js';
import { fails } from '../helpers/rpc.js';

const t = suite('memory-cri: containers');
let h: TestRuntime;
let sb: string;
const sbCfg = podConfig();

let n = 0;
async function create(command: string[], over: Parameters<typeof ctrConfig>[2] = {}, sandbox = sb): Promise<string> {
  const { containerId } = await h.client.runtime.createContainer({ podSandboxId: sandbox, config: ctrConfig(`c${++n}`, command, over), sandboxConfig: sbCfg });
  return containerId;
}
const status = async (id: string) => (await h.client.runtime.containerStatus({ containerId: id })).status!;
const exited = (id: string, ms = 5000) =>
  waitFor(
    async () => {
      const s = await status(id);
      return s.state === ContainerState.CONTAINER_EXITED ? s : undefined;
    },
    ms,
    `container ${id} to exit`,
  );

t.before(async () => {
  h = await startTestRuntime({
    images: [
      { repository: 'example.com/stubborn', tags: ['1'], size: 1000, cmd: ['sleep', 'infinity'], ignoreSigterm: true },
      { repository: 'example.com/quitter', tags: ['1'], size: 1000, cmd: ['sh', '-c', "trap 'echo quit; exit 0' QUIT; sleep infinity"], stopSignal: 'SIGQUIT' },
      { repository: 'example.com/ep', tags: ['1'], size: 1000, entrypoint: ['echo', 'ep'], cmd: ['default', 'cmd'] },
      { repository: 'example.com/nocmd', tags: ['1'], size: 1000 },
    ],
  });
  for (const image of ['busybox', 'example.com/stubborn:1', 'example.com/quitter:1', 'example.com/ep:1', 'example.com/nocmd:1'])
    await h.client.image.pullImage({ image: { image } });
  sb = (await h.client.runtime.runPodSandbox({ config: { ...sbCfg, logDirectory: `${h.dir}/logs` } })).podSandboxId;
});
t.after(async () => {
  await h?.close();
});

t('CREATED: createdAt only, metadata/labels/annotations/image echoed, logPath under the log directory', async () => {
  const id = await create(['sleep', '1'], { labels: { x: 'y' }, annotations: { 'io.kubernetes.container.hash': 'abc' } });
  const s = await status(id);
  assert.is(s.state, ContainerState.CONTAINER_CREATED);
  assert.ok(s.createdAt > 0n);
  assert.is(s.startedAt, 0n);
  assert.is(s.finishedAt, 0n);
  assert.equal(s.labels, { x: 'y' });
  assert.equal(s.annotations, { 'io.kubernetes.container.hash': 'abc' });
  assert.equal(s.metadata, { name: `c${n}`, attempt: 0 });
  assert.is(s.image!.image, 'docker.io/library/busybox:latest');
  assert.match(s.imageRef, /^docker\.io\/library\/busybox@sha256:[a-f0-9]{64}$/);
  assert.match(s.imageId, /^sha256:[a-f0-9]{64}$/);
  assert.is(s.logPath, `${h.dir}/logs/c${n}/0.log`);
  assert.is(s.stopSignal, Signal.SIGNAL_SIGTERM);
});

t('RUNNING → EXITED 0 "Completed" with createdAt < startedAt < finishedAt', async () => {
  const id = await create(['sh', '-c', 'sleep 0.1; exit 0']);
  await h.client.runtime.startContainer({ containerId: id });
  const r = await status(id);
  assert.is(r.state, ContainerState.CONTAINER_RUNNING);
  const s = await exited(id);
  assert.is(s.exitCode, 0);
  assert.is(s.reason, 'Completed');
  assert.ok(s.createdAt < s.startedAt && s.startedAt < s.finishedAt, 'timestamps ordered');
  assert.ok(s.finishedAt - s.startedAt >= 90_000_000n, `ran ~100ms, took ${s.finishedAt - s.startedAt} ns`);
});

t('non-zero exit: "Error" with the exit code', async () => {
  const id = await create(['sh', '-c', 'exit 3']);
  await h.client.runtime.startContainer({ containerId: id });
  const s = await exited(id);
  assert.is(s.exitCode, 3);
  assert.is(s.reason, 'Error');
  const f = await create(['false']);
  await h.client.runtime.startContainer({ containerId: f });
  assert.is((await exited(f)).exitCode, 1);
});

t('StartContainer only from CREATED', async () => {
  const id = await create(['sleep', '10']);
  await h.client.runtime.startContainer({ containerId: id });
  await fails(h.client.runtime.startContainer({ containerId: id }), 'FAILED_PRECONDITION', /CONTAINER_RUNNING/);
  await h.client.runtime.stopContainer({ containerId: id, timeout: 1n });
  await fails(h.client.runtime.startContainer({ containerId: id }), 'FAILED_PRECONDITION', /CONTAINER_EXITED/);
  await fails(h.client.runtime.startContainer({ containerId: 'nope' }), 'NOT_FOUND');
});

t('an executable that does not exist: StartContainer fails like runc, EXITED 128 StartError', async () => {
  const id = await create(['definitely-not-here', '--flag']);
  await fails(h.client.runtime.startContainer({ containerId: id }), 'UNKNOWN', /exec: "definitely-not-here": executable file not found in \$PATH/);
  const s = await status(id);
  assert.is(s.state, ContainerState.CONTAINER_EXITED);
  assert.is(s.exitCode, 128);
  assert.is(s.reason, 'StartError');
  assert.match(s.message, /executable file not found/);
  assert.ok(s.finishedAt > 0n);
  const abs = await create(['/usr/bin/nothing']);
  await fails(h.client.runtime.startContainer({ containerId: abs }), 'UNKNOWN', /stat \/usr\/bin\/nothing: no such file or directory/);
});

t('StopContainer: SIGTERM ends a simulated process at once → 143', async () => {
  const id = await create(['sleep', 'infinity']);
  await h.client.runtime.startContainer({ containerId: id });
  const t0 = Date.now();
  await h.client.runtime.stopContainer({ containerId: id, timeout: 30n });
  assert.ok(Date.now() - t0 < 2000, 'did not wait for the grace period');
  const s = await status(id);
  assert.is(s.state, ContainerState.CONTAINER_EXITED);
  assert.is(s.exitCode, 143);
  assert.is(s.reason, 'Error');
});

t('StopContainer: a process ignoring TERM is killed after the timeout → 137', async () => {
  const id = await create([], { image: { image: 'example.com/stubborn:1' } });
  await h.client.runtime.startContainer({ containerId: id });
  const t0 = Date.now();
  await h.client.runtime.stopContainer({ containerId: id, timeout: 1n });
  const took = Date.now() - t0;
  assert.ok(took >= 950 && took < 3000, `waited the 1 s grace period (${took} ms)`);
  const s = await status(id);
  assert.is(s.exitCode, 137);
  const trapped = await create(['sh', '-c', "trap '' TERM; sleep infinity"]);
  await h.client.runtime.startContainer({ containerId: trapped });
  await h.client.runtime.stopContainer({ containerId: trapped, timeout: 1n });
  assert.is((await status(trapped)).exitCode, 137);
});

t('StopContainer with a timeout past what a Node timer holds (int64 max seconds) still waits for the TERM handler', async () => {
  // Found by triad fuzz cri: the grace period overflowed setTimeout and became 1 ms, so the handler was cut off by KILL.
  const id = await create(['sh', '-c', "trap 'sleep 0.2; exit 5' TERM; sleep infinity"]);
  await h.client.runtime.startContainer({ containerId: id });
  await h.client.runtime.stopContainer({ containerId: id, timeout: 9223372036854775807n });
  assert.is((await status(id)).exitCode, 5);
});

t('StopContainer with timeout 0 kills at once (137), even a process that would handle TERM', async () => {
  const id = await create(['sh', '-c', "trap 'exit 0' TERM; sleep infinity"]);
  await h.client.runtime.startContainer({ containerId: id });
  await h.client.runtime.stopContainer({ containerId: id, timeout: 0n });
  assert.is((await status(id)).exitCode, 137);
});

t('the image STOPSIGNAL is used and reported; a trap handler decides the exit code', async () => {
  const id = await create([], { image: { image: 'example.com/quitter:1' } });
  await h.client.runtime.startContainer({ containerId: id });
  assert.is((await status(id)).stopSignal, Signal.SIGNAL_SIGQUIT);
  await waitFor(() => h.runtime.inspect().containers.find((c) => c.id === id)?.state === ContainerState.CONTAINER_RUNNING);
  await new Promise((r) => setTimeout(r, 50));
  await h.client.runtime.stopContainer({ containerId: id, timeout: 5n });
  const s = await status(id);
  assert.is(s.exitCode, 0);
  assert.is(s.reason, 'Completed');
});

t('Stop of CREATED/EXITED containers and of unknown ids is a no-op; Remove is idempotent', async () => {
  const id = await create(['sleep', '1']);
  await h.client.runtime.stopContainer({ containerId: id, timeout: 0n });
  assert.is((await status(id)).state, ContainerState.CONTAINER_CREATED);
  await h.client.runtime.stopContainer({ containerId: 'f'.repeat(64), timeout: 0n });
  await h.client.runtime.removeContainer({ containerId: id });
  await fails(h.client.runtime.containerStatus({ containerId: id }), 'NOT_FOUND', /not found/);
  await h.client.runtime.removeContainer({ containerId: id });
  await h.client.runtime.stopContainer({ containerId: id, timeout: 0n });
});

t('RemoveContainer force-kills a running container and frees its name', async () => {
  const cfg = ctrConfig('reuse', ['sleep', 'infinity']);
  const { containerId: id } = await h.client.runtime.createContainer({ podSandboxId: sb, config: cfg, sandboxConfig: sbCfg });
  await fails(h.client.runtime.createContainer({ podSandboxId: sb, config: cfg, sandboxConfig: sbCfg }), 'ALREADY_EXISTS', /reserved for/);
  await h.client.runtime.startContainer({ containerId: id });
  await h.client.runtime.removeContainer({ containerId: id });
  assert.not.ok(h.runtime.inspect().containers.some((c) => c.id === id));
  const again = await h.client.runtime.createContainer({ podSandboxId: sb, config: cfg, sandboxConfig: sbCfg });
  assert.is.not(again.containerId, id);
  await h.client.runtime.removeContainer({ containerId: again.containerId });
});

t('CreateContainer: unknown sandbox NOT_FOUND, stopped sandbox FAILED_PRECONDITION, absent image NOT_FOUND, bad config INVALID_ARGUMENT', async () => {
  await fails(create(['true'], {}, 'nope'), 'NOT_FOUND', /sandbox id "nope"/);
  const cfg = podConfig();
  const { podSandboxId: stopped } = await h.client.runtime.runPodSandbox({ config: cfg });
  await h.client.runtime.stopPodSandbox({ podSandboxId: stopped });
  await fails(create(['true'], {}, stopped), 'FAILED_PRECONDITION', /not ready/);
  await fails(
    create(['true'], { image: { image: 'docker.io/library/nginx:latest' } }),
    'NOT_FOUND',
    /failed to resolve image "docker\.io\/library\/nginx:latest": not found/,
  );
  await fails(h.client.runtime.createContainer({ podSandboxId: sb, config: { image: { image: 'busybox' } } }), 'INVALID_ARGUMENT', /metadata\.name/);
  await fails(h.client.runtime.createContainer({ podSandboxId: sb, config: { metadata: { name: 'noimg' } } }), 'INVALID_ARGUMENT', /image/);
  await fails(create([], { image: { image: 'example.com/nocmd:1' } }), 'INVALID_ARGUMENT', /no command specified/);
});

t('entrypoint/cmd rules: image default, command overrides entrypoint (drops cmd), args override cmd', async () => {
  const argv = (id: string) => h.runtime.inspect().containers.find((c) => c.id === id)!.argv;
  const img = { image: { image: 'example.com/ep:1' } };
  assert.equal(argv(await create([], img)), ['echo', 'ep', 'default', 'cmd']);
  assert.equal(argv(await create([], { ...img, args: ['mine'] })), ['echo', 'ep', 'mine']);
  assert.equal(argv(await create(['printf'], img)), ['printf']);
  assert.equal(argv(await create(['printf'], { ...img, args: ['%s', 'x'] })), ['printf', '%s', 'x']);
});

t('StopPodSandbox kills its running containers (137) and Start then fails', async () => {
  const cfg = podConfig();
  const { podSandboxId } = await h.client.runtime.runPodSandbox({ config: cfg });
  const a = (await h.client.runtime.createContainer({ podSandboxId, config: ctrConfig('a', ['sleep', 'infinity']), sandboxConfig: cfg })).containerId;
  const b = (await h.client.runtime.createContainer({ podSandboxId, config: ctrConfig('b', ['sleep', 'infinity']), sandboxConfig: cfg })).containerId;
  await h.client.runtime.startContainer({ containerId: a });
  await h.client.runtime.stopPodSandbox({ podSandboxId });
  assert.is((await status(a)).exitCode, 137);
  assert.is((await status(a)).state, ContainerState.CONTAINER_EXITED);
  assert.is((await status(b)).state, ContainerState.CONTAINER_CREATED);
  await fails(h.client.runtime.startContainer({ containerId: b }), 'FAILED_PRECONDITION', /not running/);
});

t('ListContainers filters: id and unique prefix, state, podSandboxId, labels', async () => {
  const cfg = podConfig();
  const { podSandboxId: other } = await h.client.runtime.runPodSandbox({ config: cfg });
  const x = (
    await h.client.runtime.createContainer({
      podSandboxId: other,
      config: ctrConfig('x', ['sleep', '30'], { labels: { role: 'x', k: 'v' } }),
      sandboxConfig: cfg,
    })
  ).containerId;
  const y = (
    await h.client.runtime.createContainer({
      podSandboxId: other,
      config: ctrConfig('y', ['sleep', '30'], { labels: { role: 'y', k: 'v' } }),
      sandboxConfig: cfg,
    })
  ).containerId;
  await h.client.runtime.startContainer({ containerId: y });
  const ids = async (filter: object) => (await h.client.runtime.listContainers({ filter })).containers.map((c) => c.id).sort();
  assert.equal(await ids({ podSandboxId: other }), [x, y].sort());
  assert.equal(await ids({ podSandboxId: other.slice(0, 12) }), [x, y].sort());
  assert.equal(await ids({ id: x }), [x]);
  assert.equal(await ids({ id: x.slice(0, 12) }), [x]);
  assert.equal(await ids({ podSandboxId: other, state: { state: ContainerState.CONTAINER_RUNNING } }), [y]);
  assert.equal(await ids({ podSandboxId: other, state: { state: ContainerState.CONTAINER_CREATED } }), [x]);
  assert.equal(await ids({ labelSelector: { k: 'v', role: 'x' } }), [x]);
  assert.equal(await ids({ labelSelector: { k: 'v' }, id: y }), [y]);
  const item = (await h.client.runtime.listContainers({ filter: { id: y } })).containers[0];
  assert.is(item.podSandboxId, other);
  assert.is(item.image!.image, 'busybox');
  assert.match(item.imageRef, /^sha256:/);
  assert.is(item.imageId, item.imageRef);
  assert.equal(item.metadata, { name: 'y', attempt: 0 });
});

t('UpdateContainerResources: stored and reported; refused for exited containers', async () => {
  const id = await create(['sleep', 'infinity']);
  await h.client.runtime.startContainer({ containerId: id });
  await h.client.runtime.updateContainerResources({ containerId: id, linux: { memoryLimitInBytes: 64n << 20n, cpuQuota: 50000n, cpuPeriod: 100000n } });
  const s = await status(id);
  assert.is(s.resources!.linux!.memoryLimitInBytes, 64n << 20n);
  assert.is(s.resources!.linux!.cpuQuota, 50000n);
  await h.client.runtime.stopContainer({ containerId: id, timeout: 0n });
  await fails(h.client.runtime.updateContainerResources({ containerId: id, linux: { cpuShares: 2n } }), 'FAILED_PRECONDITION');
  await fails(h.client.runtime.updateContainerResources({ containerId: 'nope' }), 'NOT_FOUND');
});

t('ContainerStatus reports the user (runAsUser/runAsGroup/supplemental groups) and verbose info', async () => {
  const id = await create(['sleep', 'infinity'], {
    linux: { securityContext: { runAsUser: { value: 1000n }, runAsGroup: { value: 3000n }, supplementalGroups: [2000n] } },
  });
  await h.client.runtime.startContainer({ containerId: id });
  const r = await h.client.runtime.containerStatus({ containerId: id, verbose: true });
  assert.equal(r.status!.user!.linux, { uid: 1000n, gid: 3000n, supplementalGroups: [3000n, 2000n] });
  const info = JSON.parse(r.info.info);
  assert.equal(info.runtimeSpec.process.args, ['sleep', 'infinity']);
  assert.is(info.sandboxID, sb);
  assert.ok(info.pid > 0);
  await h.client.runtime.stopContainer({ containerId: id, timeout: 0n });
});

t('GetContainerEvents: CREATED, STARTED, STOPPED, DELETED with the sandbox status and container statuses', async () => {
  const stream = h.client.runtime.getContainerEvents({});
  const events: Array<{ id: string; type: ContainerEventType; state?: ContainerState; sandboxId?: string }> = [];
  const reader = (async () => {
    for await (const ev of stream) {
      events.push({
        id: ev.containerId,
        type: ev.containerEventType,
        sandboxId: ev.podSandboxStatus?.id,
        state: ev.containersStatuses.find((c) => c.id === ev.containerId)?.state,
      });
    }
  })();
  await waitFor(() => h.runtime.events.subscribers > 0, 2000, 'the subscription');
  const id = await create(['sh', '-c', 'exit 0']);
  await h.client.runtime.startContainer({ containerId: id });
  await exited(id);
  await h.client.runtime.removeContainer({ containerId: id });
  await waitFor(() => events.filter((e) => e.id === id).length >= 4, 3000, 'four events');
  stream.cancel();
  await reader;
  const mine = events.filter((e) => e.id === id);
  assert.equal(
    mine.map((e) => e.type),
    [
      ContainerEventType.CONTAINER_CREATED_EVENT,
      ContainerEventType.CONTAINER_STARTED_EVENT,
      ContainerEventType.CONTAINER_STOPPED_EVENT,
      ContainerEventType.CONTAINER_DELETED_EVENT,
    ],
  );
  assert.equal(
    mine.slice(0, 3).map((e) => e.state),
    [ContainerState.CONTAINER_CREATED, ContainerState.CONTAINER_RUNNING, ContainerState.CONTAINER_EXITED],
  );
  assert.is(mine[3].state, undefined, 'a deleted container is no longer among the statuses');
  assert.ok(mine.every((e) => e.sandboxId === sb));
});

t('GetContainerEvents: sandboxes report CREATED, STARTED, STOPPED, DELETED under their own id', async () => {
  const stream = h.client.runtime.getContainerEvents({});
  const got: Array<[string, ContainerEventType]> = [];
  const reader = (async () => {
    for await (const ev of stream) got.push([ev.containerId, ev.containerEventType]);
  })();
  await waitFor(() => h.runtime.events.subscribers > 0, 2000, 'the subscription');
  const { podSandboxId: id } = await h.client.runtime.runPodSandbox({ config: podConfig() });
  await h.client.runtime.stopPodSandbox({ podSandboxId: id });
  await h.client.runtime.removePodSandbox({ podSandboxId: id });
  await waitFor(() => got.filter(([c]) => c === id).length >= 4, 3000, 'sandbox events');
  stream.cancel();
  await reader;
  assert.equal(
    got.filter(([c]) => c === id).map(([, e]) => e),
    [0, 1, 2, 3],
  );
  await waitFor(() => h.runtime.events.subscribers === 0, 2000, 'the cancelled stream to unsubscribe');
});

t.run();
