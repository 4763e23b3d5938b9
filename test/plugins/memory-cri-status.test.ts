// memory-cri runtime status and accounting over a real unix socket: Version, Status (conditions,
// handlers, features), RuntimeConfig (cgroup driver), UpdateRuntimeConfig (pod CIDR), container
// and sandbox stats (simulated but consistent: monotonic CPU, memory from the writable layer,
// network bytes from real listener traffic), metrics and the Stream* list RPCs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CgroupDriver, ContainerState } from '../../interfaces/gen/cri/api.js';
import { METRIC_DESCRIPTORS } from '../../plugins/memory-cri/stats.js';
import { ctrConfig, podConfig, startTestRuntime, waitFor, type TestRuntime } from '../../plugins/memory-cri/testing.js';
import { fails } from '../helpers/rpc.js';

const t = suite('memory-cri: status, stats and streams');
let h: TestRuntime;

t.before(async () => {
  h = await startTestRuntime({ runtimeVersion: '9.8.7' });
  await h.client.image.pullImage({ image: { image: 'busybox' } });
});
t.after(async () => {
  await h?.close();
});

t('Version: triad-memory, runtime API v1', async () => {
  const v = await h.client.runtime.version({ version: '0.1.0' });
  assert.equal(v, { version: '0.1.0', runtimeName: 'triad-memory', runtimeVersion: '9.8.7', runtimeApiVersion: 'v1' });
});

t('Status: both conditions true without a network; handlers and features; verbose info', async () => {
  const s = await h.client.runtime.status({ verbose: true });
  assert.equal(
    s.status!.conditions.map((c) => [c.type, c.status]),
    [
      ['RuntimeReady', true],
      ['NetworkReady', true],
    ],
  );
  assert.equal(
    s.runtimeHandlers.map((r) => r.name),
    ['', 'runc'],
  );
  assert.is(s.features!.supplementalGroupsPolicy, true);
  const cfg = JSON.parse(s.info.config);
  assert.is(cfg.runtime, 'triad-memory');
  assert.is(cfg.network, 'none');
  assert.ok(cfg.catalogue.includes('docker.io/library/busybox:latest'));
  assert.equal((await h.client.runtime.status({})).info, {});
});

t('RuntimeConfig: systemd by default, cgroupfs when configured; UpdateRuntimeConfig stores the pod CIDR', async () => {
  assert.is((await h.client.runtime.runtimeConfig({})).linux!.cgroupDriver, CgroupDriver.SYSTEMD);
  const c = await startTestRuntime({ cgroupDriver: 'cgroupfs' });
  try {
    assert.is((await c.client.runtime.runtimeConfig({})).linux!.cgroupDriver, CgroupDriver.CGROUPFS);
  } finally {
    await c.close();
  }
  await h.client.runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: '10.244.0.0/24' } } });
  assert.is(h.runtime.podCidr, '10.244.0.0/24');
  assert.is(JSON.parse((await h.client.runtime.status({ verbose: true })).info.config).podCidr, '10.244.0.0/24');
});

t('ContainerStats: monotonic CPU at 1 millicore, memory = base + writable layer; exited containers keep only the layer', async () => {
  const cfg = podConfig();
  const { podSandboxId } = await h.client.runtime.runPodSandbox({ config: cfg });
  const { containerId: id } = await h.client.runtime.createContainer({
    podSandboxId,
    sandboxConfig: cfg,
    config: ctrConfig('s', ['sh', '-c', 'printf "%0100d" 0 > /tmp/blob; sleep infinity'], { linux: { resources: { memoryLimitInBytes: 64n << 20n } } }),
  });
  await h.client.runtime.startContainer({ containerId: id });
  const first = await waitFor(async () => {
    const s = (await h.client.runtime.containerStats({ containerId: id })).stats!;
    return (s.writableLayer?.usedBytes?.value ?? 0n) >= 100n ? s : undefined;
  });
  assert.is(first.attributes!.id, id);
  assert.equal(first.attributes!.labels, { ctr: 's' });
  assert.is(first.cpu!.usageNanoCores!.value, 1_000_000n);
  assert.is(first.memory!.workingSetBytes!.value, 1024n * 1024n + first.writableLayer!.usedBytes!.value);
  assert.is(first.memory!.availableBytes!.value, (64n << 20n) - first.memory!.workingSetBytes!.value);
  await new Promise((r) => setTimeout(r, 100));
  const second = (await h.client.runtime.containerStats({ containerId: id })).stats!;
  const dCpu = second.cpu!.usageCoreNanoSeconds!.value - first.cpu!.usageCoreNanoSeconds!.value;
  const dT = second.cpu!.timestamp - first.cpu!.timestamp;
  assert.ok(dCpu > 0n, 'CPU time grows');
  const diff = dCpu - dT / 1000n;
  assert.ok(diff >= -1n && diff <= 1n, `consistent with 1 millicore (${dCpu} ns of CPU in ${dT} ns)`);
  await h.client.runtime.stopContainer({ containerId: id, timeout: 0n });
  const done = (await h.client.runtime.containerStats({ containerId: id })).stats!;
  assert.is(done.cpu, undefined);
  assert.is(done.memory, undefined);
  assert.ok(done.writableLayer!.usedBytes!.value >= 100n);
  await fails(h.client.runtime.containerStats({ containerId: 'nope' }), 'NOT_FOUND');
  const listed = (await h.client.runtime.listContainerStats({ filter: { podSandboxId } })).stats;
  assert.equal(
    listed.map((s) => s.attributes!.id),
    [id],
  );
  assert.equal((await h.client.runtime.listContainerStats({ filter: { labelSelector: { ctr: 'none' } } })).stats, []);
});

t('PodSandboxStats: sums of its containers, process count, network bytes from real traffic; only READY sandboxes are listed', async () => {
  const cfg = podConfig();
  const { podSandboxId } = await h.client.runtime.runPodSandbox({ config: cfg });
  const { containerId: web } = await h.client.runtime.createContainer({
    podSandboxId,
    sandboxConfig: cfg,
    config: ctrConfig('web', ['httpd', '-f', '-p', '8080']),
  });
  const { containerId: idle } = await h.client.runtime.createContainer({ podSandboxId, sandboxConfig: cfg, config: ctrConfig('idle', ['sleep', 'infinity']) });
  await h.client.runtime.startContainer({ containerId: web });
  await h.client.runtime.startContainer({ containerId: idle });
  const fwd = await waitFor(
    async () => JSON.parse((await h.client.runtime.podSandboxStatus({ podSandboxId, verbose: true })).info.info).portForwards['8080'] as string | undefined,
  );
  const before = (await h.client.runtime.podSandboxStats({ podSandboxId })).stats!;
  for (let i = 0; i < 3; i++) await (await fetch(`http://${fwd}/`, { headers: { connection: 'close' } })).text();
  const after = await waitFor(
    async () => {
      const s = (await h.client.runtime.podSandboxStats({ podSandboxId })).stats!;
      return s.linux!.network!.defaultInterface!.txBytes!.value > before.linux!.network!.defaultInterface!.txBytes!.value ? s : undefined;
    },
    3000,
    'network bytes',
  );
  const l = after.linux!;
  assert.ok(l.network!.defaultInterface!.rxBytes!.value > 0n);
  assert.is(l.network!.defaultInterface!.name, 'eth0');
  assert.is(l.process!.processCount!.value, 3n, 'two containers and the sandbox');
  assert.is(l.containers.length, 2);
  const sumWs = l.containers.reduce((a, c) => a + (c.memory?.workingSetBytes?.value ?? 0n), 0n);
  assert.is(l.memory!.workingSetBytes!.value, sumWs + 512n * 1024n);
  assert.is(l.cpu!.usageNanoCores!.value, 2_000_000n);
  const listed = (await h.client.runtime.listPodSandboxStats({ filter: { id: podSandboxId } })).stats;
  assert.is(listed.length, 1);
  await h.client.runtime.stopPodSandbox({ podSandboxId });
  assert.equal((await h.client.runtime.listPodSandboxStats({ filter: { id: podSandboxId } })).stats, []);
  await fails(h.client.runtime.podSandboxStats({ podSandboxId: 'nope' }), 'NOT_FOUND');
});

t('ListMetricDescriptors and ListPodSandboxMetrics: every metric is described, label values match label keys', async () => {
  const descs = (await h.client.runtime.listMetricDescriptors({})).descriptors;
  assert.equal(
    descs.map((d) => d.name),
    METRIC_DESCRIPTORS.map((d) => d.name),
  );
  const byName = new Map(descs.map((d) => [d.name, d]));
  const cfg = podConfig();
  const { podSandboxId } = await h.client.runtime.runPodSandbox({ config: cfg });
  const { containerId } = await h.client.runtime.createContainer({ podSandboxId, sandboxConfig: cfg, config: ctrConfig('m', ['sleep', 'infinity']) });
  await h.client.runtime.startContainer({ containerId });
  const pods = (await h.client.runtime.listPodSandboxMetrics({})).podMetrics;
  const mine = pods.find((p) => p.podSandboxId === podSandboxId)!;
  assert.ok(mine);
  const all = [...mine.metrics, ...mine.containerMetrics.flatMap((c) => c.metrics)];
  assert.ok(all.length >= 5);
  for (const m of all) {
    const d = byName.get(m.name);
    assert.ok(d, `${m.name} is described`);
    assert.is(m.labelValues.length, d!.labelKeys.length, m.name);
  }
  const ws = mine.containerMetrics[0].metrics.find((m) => m.name === 'container_memory_working_set_bytes')!;
  assert.ok(ws.value!.value >= 1024n * 1024n);
  assert.equal(ws.labelValues.slice(0, 2), ['m', containerId]);
  await h.client.runtime.stopContainer({ containerId, timeout: 0n });
});

t('Stream* RPCs stream what the List* RPCs answer', async () => {
  const collect = async <T>(s: AsyncIterable<T>) => {
    const out: T[] = [];
    for await (const x of s) out.push(x);
    return out;
  };
  const sandboxes = (await collect(h.client.runtime.streamPodSandboxes({}))).flatMap((m) => m.podSandboxes.map((s) => s.id)).sort();
  assert.equal(sandboxes, (await h.client.runtime.listPodSandbox({})).items.map((s) => s.id).sort());
  assert.ok(sandboxes.length >= 3);
  const running = { state: { state: ContainerState.CONTAINER_RUNNING } };
  const ctrs = (await collect(h.client.runtime.streamContainers({ filter: running }))).flatMap((m) => m.containers.map((c) => c.id)).sort();
  assert.equal(ctrs, (await h.client.runtime.listContainers({ filter: running })).containers.map((c) => c.id).sort());
  const cstats = (await collect(h.client.runtime.streamContainerStats({}))).flatMap((m) => m.containerStats.map((s) => s.attributes!.id)).sort();
  assert.equal(cstats, (await h.client.runtime.listContainerStats({})).stats.map((s) => s.attributes!.id).sort());
  const pstats = (await collect(h.client.runtime.streamPodSandboxStats({}))).flatMap((m) => m.podSandboxStats.map((s) => s.attributes!.id)).sort();
  assert.equal(pstats, (await h.client.runtime.listPodSandboxStats({})).stats.map((s) => s.attributes!.id).sort());
  const metrics = (await collect(h.client.runtime.streamPodSandboxMetrics({}))).flatMap((m) => m.podSandboxMetrics.map((p) => p.podSandboxId)).sort();
  assert.equal(metrics, (await h.client.runtime.listPodSandboxMetrics({})).podMetrics.map((p) => p.podSandboxId).sort());
  assert.equal(await collect(h.client.runtime.streamContainers({ filter: { id: 'nothing-matches' } })), [], 'an empty result sends no message');
});

t.run();
