// CRI stats and metrics where implemented: ContainerStats / ListContainerStats (attributes, CPU,
// memory, writable layer; filters), PodSandboxStats / ListPodSandboxStats, their Stream*
// counterparts, ListMetricDescriptors and ListPodSandboxMetrics / StreamPodSandboxMetrics
// (every metric described, label values matching the descriptor's keys).
import { RpcError } from '../../interfaces/grpc/errors.js';
import type { ContainerStats, PodSandboxStats } from '../../interfaces/gen/cri/api.js';
import { expectEqual, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { EXIT, POD, RULES, RUN, expectNotFound, flat, rpcCap, sleep, type CriEnv, CriKit, type Pod } from './kit.js';

const c = defineCases(CriKit, 'cri.Stats');

const CSTATS_RULE = 'cri.container-stats.answers';
const ATTR_RULE = 'cri.container-attributes.fields';
const PSTATS_RULE = 'cri.pod-sandbox-stats.answers';
const TS_RULE = 'cri.usage.timestamp-positive';
/** What checkContainerStats asserts. */
const CSTATS = [CSTATS_RULE, ATTR_RULE, 'cri.container-config.annotations-unaltered'];
/** What busyPod asserts. */
const BUSY = [...POD, ...RUN];

/** Every usage sample present carries a positive timestamp. */
function checkTimestamps(usage: Record<string, unknown> | undefined, where: string, call: unknown): void {
  for (const [name, u] of Object.entries(usage ?? {})) {
    const ts = (u as { timestamp?: bigint } | undefined)?.timestamp;
    if (ts !== undefined) expectTrue(ts > 0n, `${where}.${name}.timestamp is ${ts}`, { rule: TS_RULE, call, actual: u });
  }
}

function checkContainerStats(s: ContainerStats | undefined, id: string, call: unknown, running = true): void {
  if (!s) fail('no stats in the answer', { rule: CSTATS_RULE, call });
  expectEqual(s.attributes?.id, id, { rule: ATTR_RULE, what: 'attributes.id', call });
  expectTrue(s.attributes?.metadata?.name, 'attributes.metadata.name is empty', { rule: ATTR_RULE, call });
  const ann = s.attributes?.annotations ?? {};
  expectTrue(typeof ann['triad.dev/conformance-case-id'] === 'string', `attributes.annotations lack the container's annotations: ${JSON.stringify(ann)}`, {
    rule: 'cri.container-config.annotations-unaltered',
    call,
    actual: ann,
  });
  if (!running) return;
  expectTrue(
    s.cpu && s.cpu.timestamp > 0n && s.cpu.usageCoreNanoSeconds !== undefined,
    'cpu usage (timestamp, usage_core_nano_seconds) is missing for a running container',
    { rule: CSTATS_RULE, call, actual: s.cpu },
  );
  expectTrue(
    s.memory && s.memory.timestamp > 0n && s.memory.workingSetBytes !== undefined,
    'memory usage (timestamp, working_set_bytes) is missing for a running container',
    { rule: CSTATS_RULE, call, actual: s.memory },
  );
}

/** PodSandboxStats, or skip when the runtime cannot compute it for a sandbox without cgroup_parent (kubelet always sets one). */
async function sandboxStats(k: CriKit, pod: Pod): Promise<PodSandboxStats> {
  const p = k.runtime.podSandboxStats({ podSandboxId: pod.id });
  try {
    await p;
  } catch (e) {
    if (e instanceof RpcError && e.codeName !== 'UNIMPLEMENTED' && !pod.config.linux?.cgroupParent) {
      k.ctx.skip(
        `the runtime could not report stats of a sandbox without cgroup_parent (${e.codeName}: ${e.details}); kubelet always sets one: run with --cgroup-parent`,
      );
    }
  }
  const res = await k.optional(expectOk(p, { rule: PSTATS_RULE }), 'PodSandboxStats');
  if (!res.stats) fail('PodSandboxStats answered without stats', { rule: PSTATS_RULE, call: p });
  return res.stats;
}

/** A sandbox with a running container, for stats. */
async function busyPod(k: CriKit) {
  const pod = await k.sandbox();
  const id = await k.sleeper(pod);
  return { pod, id };
}

export const statsCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.stats.container',
    rpc: 'ContainerStats',
    name: 'ContainerStats of a running container has its attributes, CPU and memory',
    needs: [rpcCap('ContainerStats')],
    rules: [...BUSY, ...CSTATS],
    async run(k) {
      const { id } = await busyPod(k);
      const p = k.runtime.containerStats({ containerId: id });
      const res = await k.optional(expectOk(p, { rule: CSTATS_RULE }), 'ContainerStats');
      checkContainerStats(res.stats, id, p);
    },
  }),
  c({
    id: 'cri.stats.container.exited',
    rpc: 'ContainerStats',
    name: 'ContainerStats of an exited container answers its attributes',
    needs: [rpcCap('ContainerStats')],
    tags: ['Optional'],
    rules: [...POD, ...RUN, ...EXIT, ...CSTATS, 'cri.container-stats.exited'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.run(pod, 'done', ['true']);
      await k.waitExited(id);
      const p = k.runtime.containerStats({ containerId: id });
      const res = await expectOk(p, { rule: 'cri.container-stats.exited' });
      checkContainerStats(res.stats, id, p, false);
    },
  }),
  c({
    id: 'cri.stats.container.unknown-id',
    rpc: 'ContainerStats',
    name: 'ContainerStats of an unknown container id fails with NOT_FOUND',
    needs: [rpcCap('ContainerStats')],
    rules: ['cri.container-stats.unknown-id-error', RULES.notFound],
    async run(k) {
      await expectNotFound(k.runtime.containerStats({ containerId: k.env.unknownId }), { rule: 'cri.container-stats.unknown-id-error' });
    },
  }),
  c({
    id: 'cri.stats.container.cpu-cumulative',
    rpc: 'ContainerStats',
    name: 'usage_core_nano_seconds never goes down between two ContainerStats',
    needs: [rpcCap('ContainerStats')],
    rules: [...BUSY, CSTATS_RULE, 'cri.cpu-usage.cumulative', TS_RULE],
    async run(k) {
      const { id } = await busyPod(k);
      const first = await expectOk(k.runtime.containerStats({ containerId: id }), { rule: CSTATS_RULE });
      await sleep(300);
      const second = await expectOk(k.runtime.containerStats({ containerId: id }), { rule: CSTATS_RULE });
      const a = first.stats?.cpu?.usageCoreNanoSeconds?.value ?? 0n;
      const b = second.stats?.cpu?.usageCoreNanoSeconds?.value ?? 0n;
      expectTrue(b >= a, `usage_core_nano_seconds went from ${a} to ${b}`, { rule: 'cri.cpu-usage.cumulative', call: k.ctx.lastCall });
      expectTrue((second.stats?.cpu?.timestamp ?? 0n) >= (first.stats?.cpu?.timestamp ?? 0n), 'the second sample is older than the first', {
        rule: TS_RULE,
        call: k.ctx.lastCall,
      });
    },
  }),
  c({
    id: 'cri.stats.list-containers',
    rpc: 'ListContainerStats',
    name: 'ListContainerStats filters by label selector, sandbox and id',
    needs: [rpcCap('ListContainerStats')],
    rules: [...BUSY, ...CSTATS, 'cri.list-container-stats.lists', 'cri.container-stats-filter.fields'],
    async run(k) {
      const a = await busyPod(k);
      const b = await busyPod(k);
      const list = async (filter: Record<string, unknown>) => {
        const p = k.runtime.listContainerStats({ filter });
        const res = await k.optional(expectOk(p, { rule: 'cri.list-container-stats.lists' }), 'ListContainerStats');
        return { ids: res.stats.map((s) => s.attributes?.id ?? '').sort(), res, p };
      };
      const rule = 'cri.container-stats-filter.fields';
      const all = await list({ labelSelector: k.mine });
      expectEqual(all.ids, [a.id, b.id].sort(), { rule, what: 'containers of this case', call: all.p });
      for (const s of all.res.stats) checkContainerStats(s, s.attributes!.id, all.p);
      expectEqual((await list({ podSandboxId: a.pod.id })).ids, [a.id], { rule, what: `containers of sandbox ${a.pod.id.slice(0, 13)}` });
      expectEqual((await list({ id: b.id })).ids, [b.id], { rule, what: 'filter.id' });
    },
  }),
  c({
    id: 'cri.stats.stream-containers',
    rpc: 'StreamContainerStats',
    name: 'StreamContainerStats streams what ListContainerStats answers',
    needs: [rpcCap('StreamContainerStats')],
    rules: [...BUSY, 'cri.stream-list.same-as-list', 'cri.stream-list.item-once', RULES.eof, RULES.nonEmpty],
    async run(k) {
      const a = await busyPod(k);
      const b = await busyPod(k);
      const msgs = await expectOk(
        k.collect(
          'RuntimeService/StreamContainerStats',
          { filter: { labelSelector: k.mine } },
          (req, o) => k.env.client.runtime.streamContainerStats(req as never, o),
          'containerStats',
        ),
        { rule: 'cri.stream-list.same-as-list' },
      );
      const got = flat(msgs, 'containerStats').map((s) => s.attributes?.id ?? '');
      expectEqual(got.length, new Set(got).size, {
        rule: 'cri.stream-list.item-once',
        what: 'number of streamed stats (a duplicate makes it larger than the distinct ids)',
        call: k.ctx.lastCall,
      });
      expectEqual([...got].sort(), [a.id, b.id].sort(), { rule: 'cri.stream-list.same-as-list', what: 'streamed container ids', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.stats.pod-sandbox',
    rpc: 'PodSandboxStats',
    name: 'PodSandboxStats of a ready sandbox has its attributes, CPU and memory',
    needs: [rpcCap('PodSandboxStats')],
    rules: [...BUSY, PSTATS_RULE, 'cri.pod-sandbox-attributes.annotations-unaltered'],
    async run(k) {
      const { pod } = await busyPod(k);
      const s = await sandboxStats(k, pod);
      const call = k.ctx.lastCall;
      expectEqual(s.attributes?.id, pod.id, { rule: PSTATS_RULE, what: 'attributes.id', call });
      expectEqual(s.attributes?.metadata?.uid, pod.uid, { rule: PSTATS_RULE, what: 'attributes.metadata.uid', call });
      expectEqual(
        { ...s.attributes?.annotations },
        { ...pod.config.annotations },
        { rule: 'cri.pod-sandbox-attributes.annotations-unaltered', what: 'attributes.annotations', call },
      );
      expectTrue(s.linux?.cpu && s.linux.cpu.timestamp > 0n, 'linux.cpu is missing', { rule: PSTATS_RULE, call, actual: s.linux });
      expectTrue(s.linux?.memory && s.linux.memory.timestamp > 0n, 'linux.memory is missing', { rule: PSTATS_RULE, call, actual: s.linux });
    },
  }),
  c({
    id: 'cri.stats.pod-sandbox.containers',
    rpc: 'PodSandboxStats',
    name: "PodSandboxStats lists the stats of the sandbox's running container",
    needs: [rpcCap('PodSandboxStats')],
    rules: [...BUSY, PSTATS_RULE, 'cri.pod-sandbox-stats.containers'],
    async run(k) {
      const { pod, id } = await busyPod(k);
      const s = await sandboxStats(k, pod);
      const ids = (s.linux?.containers ?? []).map((x) => x.attributes?.id);
      expectTrue(ids.includes(id), `linux.containers has ${JSON.stringify(ids)}, not the running container ${id}`, {
        rule: 'cri.pod-sandbox-stats.containers',
        call: k.ctx.lastCall,
      });
    },
  }),
  c({
    id: 'cri.stats.pod-sandbox.unknown-id',
    rpc: 'PodSandboxStats',
    name: 'PodSandboxStats of an unknown sandbox id fails with NOT_FOUND',
    needs: [rpcCap('PodSandboxStats')],
    rules: ['cri.pod-sandbox-stats.unknown-id-error', RULES.notFound],
    async run(k) {
      await expectNotFound(k.runtime.podSandboxStats({ podSandboxId: k.env.unknownId }), { rule: 'cri.pod-sandbox-stats.unknown-id-error' });
    },
  }),
  c({
    id: 'cri.stats.list-pod-sandboxes',
    rpc: 'ListPodSandboxStats',
    name: 'ListPodSandboxStats filters by label selector and id',
    needs: [rpcCap('ListPodSandboxStats')],
    rules: [...BUSY, PSTATS_RULE, 'cri.list-pod-sandbox-stats.filter'],
    async run(k) {
      const a = await busyPod(k);
      const b = await busyPod(k);
      await sandboxStats(k, a.pod); // skips when the runtime cannot compute sandbox stats here
      const list = async (filter: Record<string, unknown>) => {
        const p = k.runtime.listPodSandboxStats({ filter });
        const res = await expectOk(p, { rule: 'cri.list-pod-sandbox-stats.filter' });
        return res.stats.map((s) => s.attributes?.id ?? '').sort();
      };
      const rule = 'cri.list-pod-sandbox-stats.filter';
      expectEqual(await list({ labelSelector: k.mine }), [a.pod.id, b.pod.id].sort(), { rule, what: 'sandboxes of this case' });
      expectEqual(await list({ id: b.pod.id }), [b.pod.id], { rule, what: 'filter.id' });
    },
  }),
  c({
    id: 'cri.stats.stream-pod-sandboxes',
    rpc: 'StreamPodSandboxStats',
    name: 'StreamPodSandboxStats streams what ListPodSandboxStats answers',
    needs: [rpcCap('StreamPodSandboxStats')],
    rules: [...BUSY, 'cri.stream-list.same-as-list', 'cri.stream-list.item-once', RULES.eof, RULES.nonEmpty],
    async run(k) {
      const a = await busyPod(k);
      const msgs = await expectOk(
        k.collect(
          'RuntimeService/StreamPodSandboxStats',
          { filter: { labelSelector: k.mine } },
          (req, o) => k.env.client.runtime.streamPodSandboxStats(req as never, o),
          'podSandboxStats',
        ),
        { rule: 'cri.stream-list.same-as-list' },
      );
      const got = flat(msgs, 'podSandboxStats').map((s) => s.attributes?.id ?? '');
      expectEqual(got.length, new Set(got).size, {
        rule: 'cri.stream-list.item-once',
        what: 'number of streamed stats (a duplicate makes it larger than the distinct ids)',
        call: k.ctx.lastCall,
      });
      expectEqual(got, [a.pod.id], { rule: 'cri.stream-list.same-as-list', what: 'streamed sandbox ids', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.stats.metric-descriptors',
    rpc: 'ListMetricDescriptors',
    name: 'ListMetricDescriptors describes each metric once, with help and label keys',
    needs: [rpcCap('ListMetricDescriptors')],
    rules: ['cri.list-metric-descriptors.describes'],
    async run(k) {
      const p = k.runtime.listMetricDescriptors({});
      const rule = 'cri.list-metric-descriptors.describes';
      const res = await expectOk(p, { rule });
      const names = res.descriptors.map((d) => d.name);
      expectTrue(new Set(names).size === names.length, `descriptor names repeat: ${names.join(', ')}`, { rule, call: p });
      for (const d of res.descriptors) {
        expectTrue(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(d.name), `metric name ${JSON.stringify(d.name)} is not a Prometheus metric name`, { rule, call: p });
        expectTrue(d.help, `metric ${d.name} has no help`, { rule, call: p });
      }
    },
  }),
  c({
    id: 'cri.stats.pod-sandbox-metrics',
    rpc: 'ListPodSandboxMetrics',
    name: 'ListPodSandboxMetrics answers described metrics for the sandbox, label values matching the label keys',
    needs: [rpcCap('ListPodSandboxMetrics'), rpcCap('ListMetricDescriptors')],
    rules: [...BUSY, 'cri.list-metric-descriptors.describes', 'cri.list-pod-sandbox-metrics.answers', 'cri.metric.labels-declared'],
    async run(k) {
      const { pod, id } = await busyPod(k);
      const desc = new Map(
        (await expectOk(k.runtime.listMetricDescriptors({}), { rule: 'cri.list-metric-descriptors.describes' })).descriptors.map((d) => [d.name, d]),
      );
      const p = k.runtime.listPodSandboxMetrics({});
      const res = await expectOk(p, { rule: 'cri.list-pod-sandbox-metrics.answers' });
      const mine = res.podMetrics.find((m) => m.podSandboxId === pod.id);
      const rule = 'cri.list-pod-sandbox-metrics.answers';
      if (!mine) fail(`ListPodSandboxMetrics has no metrics for sandbox ${pod.id}`, { rule, call: p });
      const all = [...mine.metrics, ...mine.containerMetrics.flatMap((cm) => cm.metrics)];
      for (const m of all) {
        const d = desc.get(m.name);
        if (!d) fail(`metric ${m.name} is not among the ListMetricDescriptors`, { rule: 'cri.list-metric-descriptors.describes', call: p });
        expectEqual(m.labelValues.length, d.labelKeys.length, {
          rule: 'cri.metric.labels-declared',
          what: `number of label values of ${m.name} (label keys: ${d.labelKeys.join(', ')})`,
          call: p,
        });
      }
      if (mine.containerMetrics.length)
        expectTrue(
          mine.containerMetrics.some((cm) => cm.containerId === id),
          `container_metrics of the sandbox lack the running container ${id}`,
          { rule, call: p },
        );
    },
  }),
  c({
    id: 'cri.stats.stream-pod-sandbox-metrics',
    rpc: 'StreamPodSandboxMetrics',
    name: "StreamPodSandboxMetrics streams the sandbox's metrics",
    needs: [rpcCap('StreamPodSandboxMetrics')],
    rules: [...BUSY, 'cri.stream-list.same-as-list', 'cri.stream-list.item-once', RULES.eof, RULES.nonEmpty],
    async run(k) {
      const { pod } = await busyPod(k);
      const msgs = await expectOk(
        k.collect('RuntimeService/StreamPodSandboxMetrics', {}, (req, o) => k.env.client.runtime.streamPodSandboxMetrics(req as never, o), 'podSandboxMetrics'),
        { rule: 'cri.stream-list.same-as-list' },
      );
      const ids = flat(msgs, 'podSandboxMetrics').map((m) => m.podSandboxId);
      expectTrue(ids.includes(pod.id), `StreamPodSandboxMetrics has no metrics for sandbox ${pod.id}`, {
        rule: 'cri.stream-list.same-as-list',
        call: k.ctx.lastCall,
      });
      expectEqual(ids.length, new Set(ids).size, {
        rule: 'cri.stream-list.item-once',
        what: 'number of streamed sandbox metrics (a duplicate makes it larger than the distinct ids)',
        call: k.ctx.lastCall,
      });
    },
  }),
  c({
    id: 'cri.stats.metric-descriptors.static',
    rpc: 'ListMetricDescriptors',
    name: 'ListMetricDescriptors answers the same descriptors before and after pods start',
    needs: [rpcCap('ListMetricDescriptors')],
    tags: ['Optional'],
    rules: [...BUSY, 'cri.list-metric-descriptors.static'],
    async run(k) {
      const rule = 'cri.list-metric-descriptors.static';
      const names = (r: { descriptors: Array<{ name: string; labelKeys: string[] }> }) =>
        r.descriptors.map((d) => `${d.name}(${d.labelKeys.join(',')})`).sort();
      const first = await expectOk(k.runtime.listMetricDescriptors({}), { rule });
      await busyPod(k);
      const second = await expectOk(k.runtime.listMetricDescriptors({}), { rule });
      expectEqual(names(second), names(first), {
        rule,
        what: 'descriptors (name and label keys) after a sandbox and a container started',
        call: k.ctx.lastCall,
      });
    },
  }),
  c({
    id: 'cri.stats.container.timestamps',
    rpc: 'ContainerStats',
    name: 'Every usage sample ContainerStats answers carries a positive timestamp',
    needs: [rpcCap('ContainerStats')],
    rules: [...BUSY, CSTATS_RULE, TS_RULE],
    async run(k) {
      const { id } = await busyPod(k);
      const p = k.runtime.containerStats({ containerId: id });
      const res = await k.optional(expectOk(p, { rule: CSTATS_RULE }), 'ContainerStats');
      const { attributes: _a, ...usage } = res.stats ?? {};
      checkTimestamps(usage as Record<string, unknown>, 'stats', p);
    },
  }),
  c({
    id: 'cri.stats.pod-sandbox.timestamps',
    rpc: 'PodSandboxStats',
    name: 'Every usage sample PodSandboxStats answers carries a positive timestamp',
    needs: [rpcCap('PodSandboxStats')],
    rules: [...BUSY, PSTATS_RULE, TS_RULE],
    async run(k) {
      const { pod } = await busyPod(k);
      const s = await sandboxStats(k, pod);
      const { containers: _c, ...usage } = s.linux ?? {};
      checkTimestamps(usage as Record<string, unknown>, 'linux', k.ctx.lastCall);
    },
  }),
];
