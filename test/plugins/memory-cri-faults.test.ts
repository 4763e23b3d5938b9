// memory-cri fault injection with the shared rule format: failing a call with a gRPC code (by name
// or number, `times`), delaying it, hanging it until the client's deadline, matching targets by
// glob (image, pod, container), and container fates — exit with a code, or be OOM-killed, some
// time after StartContainer — plus OOM kills from `alloc` past the memory limit.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ContainerState } from '../../interfaces/gen/cri/api.js';
import { parseFaultRules } from '../../interfaces/faults.js';
import { ctrConfig, podConfig, startTestRuntime, waitFor, type TestRuntime } from '../../plugins/memory-cri/testing.js';
import { fails } from '../helpers/rpc.js';

const t = suite('memory-cri: faults');
let h: TestRuntime;
let sb: string;
const sbCfg = podConfig({ metadata: { name: 'faulty-pod', namespace: 'chaos', uid: 'u-1', attempt: 0 } });

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
async function start(name: string, command: string[], over: Parameters<typeof ctrConfig>[2] = {}): Promise<string> {
  const { containerId } = await h.client.runtime.createContainer({ podSandboxId: sb, config: ctrConfig(name, command, over), sandboxConfig: sbCfg });
  await h.client.runtime.startContainer({ containerId });
  return containerId;
}

t.before(async () => {
  h = await startTestRuntime({
    faults: parseFaultRules([{ rpc: 'PullImage', target: 'docker.io/library/alpine:*', fail: { code: 'UNAVAILABLE', message: 'registry down' }, times: 1 }]),
  });
  await h.client.image.pullImage({ image: { image: 'busybox' } });
  sb = (await h.client.runtime.runPodSandbox({ config: sbCfg })).podSandboxId;
});
t.after(async () => {
  await h?.close();
});

t('a fail rule answers its code and message, only for matching targets, `times` times', async () => {
  await fails(h.client.image.pullImage({ image: { image: 'alpine' } }), 'UNAVAILABLE', /registry down/);
  await h.client.image.pullImage({ image: { image: 'alpine' } });
  h.runtime.setFaults(parseFaultRules([{ rpc: 'PullImage', target: 'nginx*', fail: { code: 5 } }]));
  await fails(h.client.image.pullImage({ image: { image: 'nginx' } }), 'NOT_FOUND', /fault injected: PullImage failed/);
  await h.client.image.pullImage({ image: { image: 'registry.k8s.io/pause:3.10' } });
});

t('delayMs delays the call', async () => {
  h.runtime.setFaults(parseFaultRules([{ rpc: 'ImageStatus', delayMs: 300 }]));
  const t0 = Date.now();
  await h.client.image.imageStatus({ image: { image: 'busybox' } });
  assert.ok(Date.now() - t0 >= 290, `took ${Date.now() - t0} ms`);
});

t('hang never answers: the client gets DEADLINE_EXCEEDED at its own deadline', async () => {
  h.runtime.setFaults(parseFaultRules([{ rpc: 'ListContainers', hang: true }]));
  const t0 = Date.now();
  await fails(h.client.runtime.listContainers({}, { timeoutMs: 300 }), 'DEADLINE_EXCEEDED');
  const took = Date.now() - t0;
  assert.ok(took >= 280 && took < 2000, `took ${took} ms`);
  h.runtime.setFaults([]);
  await h.client.runtime.listContainers({});
});

t('sandbox RPCs match pod name, namespace and namespace/name; a failed RunPodSandbox leaves nothing', async () => {
  h.runtime.setFaults(parseFaultRules([{ rpc: 'RunPodSandbox', target: 'chaos/doomed-*', fail: { code: 'RESOURCE_EXHAUSTED' } }]));
  const before = h.runtime.inspect().sandboxes.length;
  await fails(h.client.runtime.runPodSandbox({ config: podConfig({ metadata: { name: 'doomed-1', namespace: 'chaos', uid: 'd1' } }) }), 'RESOURCE_EXHAUSTED');
  assert.is(h.runtime.inspect().sandboxes.length, before);
  await h.client.runtime.runPodSandbox({ config: podConfig({ metadata: { name: 'doomed-1', namespace: 'other', uid: 'd2' } }) });
  h.runtime.setFaults(parseFaultRules([{ rpc: 'PodSandboxStatus', target: 'chaos', fail: { code: 'INTERNAL', message: 'status broken' } }]));
  await fails(h.client.runtime.podSandboxStatus({ podSandboxId: sb }), 'INTERNAL', /status broken/);
  h.runtime.setFaults([]);
});

t('container RPCs match the container name', async () => {
  h.runtime.setFaults(parseFaultRules([{ rpc: 'CreateContainer', target: 'unlucky', fail: { code: 'UNKNOWN', message: 'no' } }]));
  await fails(h.client.runtime.createContainer({ podSandboxId: sb, config: ctrConfig('unlucky', ['true']), sandboxConfig: sbCfg }), 'UNKNOWN', /no/);
  const id = (await h.client.runtime.createContainer({ podSandboxId: sb, config: ctrConfig('lucky', ['true']), sandboxConfig: sbCfg })).containerId;
  h.runtime.setFaults(parseFaultRules([{ rpc: 'StartContainer', target: 'lucky', fail: { code: 'DEADLINE_EXCEEDED' } }]));
  await fails(h.client.runtime.startContainer({ containerId: id }), 'DEADLINE_EXCEEDED');
  assert.is((await status(id)).state, ContainerState.CONTAINER_CREATED, 'a failed call changed nothing');
  h.runtime.setFaults([]);
});

t('fate: exitCode N afterMs after start (crash loops are made of this)', async () => {
  h.runtime.setFaults(
    parseFaultRules([
      { rpc: 'StartContainer', target: 'crasher', exitCode: 2, afterMs: 150 },
      { rpc: 'StartContainer', target: 'finisher', exitCode: 0, afterMs: 50 },
    ]),
  );
  const id = await start('crasher', ['sleep', 'infinity']);
  await new Promise((r) => setTimeout(r, 60));
  assert.is((await status(id)).state, ContainerState.CONTAINER_RUNNING);
  const s = await exited(id);
  assert.is(s.exitCode, 2);
  assert.is(s.reason, 'Error');
  const ranMs = Number(s.finishedAt - s.startedAt) / 1e6;
  assert.ok(ranMs >= 140 && ranMs < 2000, `exited ${ranMs} ms after start`);
  const again = await start('crasher', ['sleep', 'infinity'], { metadata: { name: 'crasher', attempt: 1 } });
  assert.is((await exited(again)).exitCode, 2, 'every attempt crashes');
  const fin = await start('finisher', ['sleep', 'infinity']);
  const f = await exited(fin);
  assert.equal([f.exitCode, f.reason], [0, 'Completed']);
  const other = await start('bystander', ['sleep', 'infinity']);
  await new Promise((r) => setTimeout(r, 250));
  assert.is((await status(other)).state, ContainerState.CONTAINER_RUNNING, 'the rule only hits its target');
  await h.client.runtime.stopContainer({ containerId: other, timeout: 0n });
  h.runtime.setFaults([]);
});

t('fate: oom → exit 137, reason OOMKilled', async () => {
  h.runtime.setFaults(parseFaultRules([{ rpc: 'StartContainer', target: 'hog', oom: true, afterMs: 50 }]));
  const id = await start('hog', ['sleep', 'infinity']);
  const s = await exited(id);
  assert.equal([s.exitCode, s.reason], [137, 'OOMKilled']);
  h.runtime.setFaults([]);
});

t('alloc past the memory limit is OOM-killed; within it, working set grows in the stats', async () => {
  const limit = { linux: { resources: { memoryLimitInBytes: 32n * 1024n * 1024n } } };
  const ok = await start('small', ['sh', '-c', 'alloc 8m; sleep infinity'], limit);
  const ws = await waitFor(
    async () => {
      const st = (await h.client.runtime.containerStats({ containerId: ok })).stats!;
      return (st.memory?.workingSetBytes?.value ?? 0n) > 8n * 1024n * 1024n ? st.memory!.workingSetBytes!.value : undefined;
    },
    3000,
    'the allocation to show',
  );
  assert.ok(ws < 32n * 1024n * 1024n);
  const big = await start('big', ['sh', '-c', 'echo before; alloc 64m; echo never'], limit);
  const s = await exited(big);
  assert.equal([s.exitCode, s.reason], [137, 'OOMKilled']);
  await h.client.runtime.stopContainer({ containerId: ok, timeout: 0n });
});

t.run();
