// CRI stats and metrics where implemented: ContainerStats / ListContainerStats (attributes, CPU,
// memory, writable layer; filters), PodSandboxStats / ListPodSandboxStats, their Stream*
// counterparts, ListMetricDescriptors and ListPodSandboxMetrics / StreamPodSandboxMetrics
// (every metric described, label values matching the descriptor's keys).
import { RpcError } from '../../interfaces/grpc/errors.js';
import type { ContainerStats, PodSandboxStats } from '../../interfaces/gen/cri/api.js';
import { expectCode, expectEqual, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { caseIn } from './case.js';
import { RULES, flat, rpcCap, sleep, type CriEnv, type CriKit, type Pod } from './kit.js';

const c = caseIn('cri.Stats');

const CSTATS_RULE = 'CRI ContainerStats: attributes (id, metadata, labels, annotations) and, for a running container, CPU and memory usage with timestamps (kubelet\'s summary API and eviction read them)';
const PSTATS_RULE = 'CRI PodSandboxStats: attributes of the sandbox and its Linux usage (CPU, memory, network, processes, its containers)';

function checkContainerStats(s: ContainerStats | undefined, id: string, call: unknown, running = true): void {
  if (!s) fail('no stats in the answer', CSTATS_RULE, { call });
  expectEqual(s.attributes?.id, id, CSTATS_RULE, 'attributes.id', call);
  expectTrue(s.attributes?.metadata?.name, 'attributes.metadata.name is empty', CSTATS_RULE, { call });
  if (!running) return;
  expectTrue(s.cpu && s.cpu.timestamp > 0n && s.cpu.usageCoreNanoSeconds !== undefined, 'cpu usage (timestamp, usage_core_nano_seconds) is missing for a running container', CSTATS_RULE, { call, actual: s.cpu });
  expectTrue(s.memory && s.memory.timestamp > 0n && s.memory.workingSetBytes !== undefined, 'memory usage (timestamp, working_set_bytes) is missing for a running container', CSTATS_RULE, { call, actual: s.memory });
}

/** PodSandboxStats, or skip when the runtime cannot compute it for a sandbox without cgroup_parent (kubelet always sets one). */
async function sandboxStats(k: CriKit, pod: Pod): Promise<PodSandboxStats> {
  const p = k.runtime.podSandboxStats({ podSandboxId: pod.id });
  try {
    await p;
  } catch (e) {
    if (e instanceof RpcError && e.codeName !== 'UNIMPLEMENTED' && !pod.config.linux?.cgroupParent) {
      k.ctx.skip(`the runtime could not report stats of a sandbox without cgroup_parent (${e.codeName}: ${e.details}); kubelet always sets one: run with --cgroup-parent`);
    }
  }
  const res = await k.optional(expectOk(p, `${PSTATS_RULE}; MUST answer OK for a ready sandbox`), 'PodSandboxStats');
  if (!res.stats) fail('PodSandboxStats answered without stats', PSTATS_RULE, { call: p });
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
    id: 'cri.stats.container', name: 'ContainerStats of a running container has its attributes, CPU and memory', needs: [rpcCap('ContainerStats')],
    async run(k) {
      const { id } = await busyPod(k);
      const p = k.runtime.containerStats({ containerId: id });
      const res = await k.optional(expectOk(p, `${CSTATS_RULE}; MUST answer OK for an existing container`), 'ContainerStats');
      checkContainerStats(res.stats, id, p);
    },
  }),
  c({
    id: 'cri.stats.container.exited', name: 'ContainerStats of an exited container answers its attributes', needs: [rpcCap('ContainerStats')], tags: ['Optional'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.run(pod, 'done', ['true']);
      await k.waitExited(id);
      const p = k.runtime.containerStats({ containerId: id });
      const res = await expectOk(p, `${CSTATS_RULE}; an exited container still exists and still answers, with empty usage (containerd 1.6 fails it: "unexpected metrics response")`);
      checkContainerStats(res.stats, id, p, false);
    },
  }),
  c({
    id: 'cri.stats.container.unknown-id', name: 'ContainerStats of an unknown container id fails with NOT_FOUND', needs: [rpcCap('ContainerStats')],
    async run(k) {
      await expectCode(k.runtime.containerStats({ containerId: k.env.unknownId }), 'NOT_FOUND', RULES.notFound('ContainerStats', 'container'));
    },
  }),
  c({
    id: 'cri.stats.container.cpu-cumulative', name: 'usage_core_nano_seconds never goes down between two ContainerStats', needs: [rpcCap('ContainerStats')], tags: ['Optional'],
    async run(k) {
      const { id } = await busyPod(k);
      const first = await expectOk(k.runtime.containerStats({ containerId: id }), CSTATS_RULE);
      await sleep(300);
      const second = await expectOk(k.runtime.containerStats({ containerId: id }), CSTATS_RULE);
      const a = first.stats?.cpu?.usageCoreNanoSeconds?.value ?? 0n;
      const b = second.stats?.cpu?.usageCoreNanoSeconds?.value ?? 0n;
      expectTrue(b >= a, `usage_core_nano_seconds went from ${a} to ${b}`, 'CRI CpuUsage.usage_core_nano_seconds: cumulative CPU usage since the container started', { call: k.ctx.lastCall });
      expectTrue((second.stats?.cpu?.timestamp ?? 0n) >= (first.stats?.cpu?.timestamp ?? 0n), 'the second sample is older than the first', 'CRI CpuUsage.timestamp: when the sample was taken', { call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.stats.list-containers', name: 'ListContainerStats filters by label selector, sandbox and id', needs: [rpcCap('ListContainerStats')],
    async run(k) {
      const a = await busyPod(k);
      const b = await busyPod(k);
      const list = async (filter: Record<string, unknown>) => {
        const p = k.runtime.listContainerStats({ filter });
        const res = await k.optional(expectOk(p, RULES.listOk('ListContainerStats')), 'ListContainerStats');
        return { ids: res.stats.map((s) => s.attributes?.id ?? '').sort(), res, p };
      };
      const rule = 'CRI ContainerStatsFilter: id, pod_sandbox_id and label_selector select which containers\' stats are answered (AND)';
      const all = await list({ labelSelector: k.mine });
      expectEqual(all.ids, [a.id, b.id].sort(), rule, 'containers of this case', all.p);
      for (const s of all.res.stats) checkContainerStats(s, s.attributes!.id, all.p);
      expectEqual((await list({ podSandboxId: a.pod.id })).ids, [a.id], rule, `containers of sandbox ${a.pod.id.slice(0, 13)}`);
      expectEqual((await list({ id: b.id })).ids, [b.id], rule, 'filter.id');
    },
  }),
  c({
    id: 'cri.stats.stream-containers', name: 'StreamContainerStats streams what ListContainerStats answers', needs: [rpcCap('StreamContainerStats')],
    async run(k) {
      const a = await busyPod(k);
      const b = await busyPod(k);
      const msgs = await expectOk(k.collect('RuntimeService/StreamContainerStats', { filter: { labelSelector: k.mine } }, (req, o) => k.env.client.runtime.streamContainerStats(req as never, o)),
        'CRI StreamContainerStats MUST stream the stats matching the filter, then end');
      expectEqual(flat(msgs, 'containerStats').map((s) => s.attributes?.id ?? '').sort(), [a.id, b.id].sort(), 'CRI StreamContainerStats: the same containers as ListContainerStats with the same filter, each once', 'streamed container ids', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.stats.pod-sandbox', name: 'PodSandboxStats of a ready sandbox has its attributes, CPU and memory', needs: [rpcCap('PodSandboxStats')],
    async run(k) {
      const { pod } = await busyPod(k);
      const s = await sandboxStats(k, pod);
      const call = k.ctx.lastCall;
      expectEqual(s.attributes?.id, pod.id, PSTATS_RULE, 'attributes.id', call);
      expectEqual(s.attributes?.metadata?.uid, pod.uid, PSTATS_RULE, 'attributes.metadata.uid', call);
      expectTrue(s.linux?.cpu && s.linux.cpu.timestamp > 0n, 'linux.cpu is missing', PSTATS_RULE, { call, actual: s.linux });
      expectTrue(s.linux?.memory && s.linux.memory.timestamp > 0n, 'linux.memory is missing', PSTATS_RULE, { call, actual: s.linux });
    },
  }),
  c({
    id: 'cri.stats.pod-sandbox.containers', name: 'PodSandboxStats lists the stats of the sandbox\'s running container', needs: [rpcCap('PodSandboxStats')], tags: ['Optional'],
    async run(k) {
      const { pod, id } = await busyPod(k);
      const s = await sandboxStats(k, pod);
      const ids = (s.linux?.containers ?? []).map((x) => x.attributes?.id);
      expectTrue(ids.includes(id), `linux.containers has ${JSON.stringify(ids)}, not the running container ${id}`, 'CRI LinuxPodSandboxStats.containers: stats of the containers in the sandbox', { call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.stats.pod-sandbox.unknown-id', name: 'PodSandboxStats of an unknown sandbox id fails with NOT_FOUND', needs: [rpcCap('PodSandboxStats')],
    async run(k) {
      await expectCode(k.runtime.podSandboxStats({ podSandboxId: k.env.unknownId }), 'NOT_FOUND', RULES.notFound('PodSandboxStats', 'sandbox'));
    },
  }),
  c({
    id: 'cri.stats.list-pod-sandboxes', name: 'ListPodSandboxStats filters by label selector and id', needs: [rpcCap('ListPodSandboxStats')],
    async run(k) {
      const a = await busyPod(k);
      const b = await busyPod(k);
      await sandboxStats(k, a.pod); // skips when the runtime cannot compute sandbox stats here
      const list = async (filter: Record<string, unknown>) => {
        const p = k.runtime.listPodSandboxStats({ filter });
        const res = await expectOk(p, RULES.listOk('ListPodSandboxStats'));
        return res.stats.map((s) => s.attributes?.id ?? '').sort();
      };
      const rule = 'CRI PodSandboxStatsFilter: id and label_selector select which sandboxes\' stats are answered (AND)';
      expectEqual(await list({ labelSelector: k.mine }), [a.pod.id, b.pod.id].sort(), rule, 'sandboxes of this case');
      expectEqual(await list({ id: b.pod.id }), [b.pod.id], rule, 'filter.id');
    },
  }),
  c({
    id: 'cri.stats.stream-pod-sandboxes', name: 'StreamPodSandboxStats streams what ListPodSandboxStats answers', needs: [rpcCap('StreamPodSandboxStats')],
    async run(k) {
      const a = await busyPod(k);
      const msgs = await expectOk(k.collect('RuntimeService/StreamPodSandboxStats', { filter: { labelSelector: k.mine } }, (req, o) => k.env.client.runtime.streamPodSandboxStats(req as never, o)),
        'CRI StreamPodSandboxStats MUST stream the stats matching the filter, then end');
      expectEqual(flat(msgs, 'podSandboxStats').map((s) => s.attributes?.id ?? ''), [a.pod.id], 'CRI StreamPodSandboxStats: the same sandboxes as ListPodSandboxStats with the same filter, each once', 'streamed sandbox ids', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.stats.metric-descriptors', name: 'ListMetricDescriptors describes each metric once, with help and label keys', needs: [rpcCap('ListMetricDescriptors')],
    async run(k) {
      const p = k.runtime.listMetricDescriptors({});
      const res = await expectOk(p, 'CRI ListMetricDescriptors MUST answer OK when implemented');
      const rule = 'CRI MetricDescriptor: name (unique), help and label_keys describe every metric ListPodSandboxMetrics may answer';
      const names = res.descriptors.map((d) => d.name);
      expectTrue(new Set(names).size === names.length, `descriptor names repeat: ${names.join(', ')}`, rule, { call: p });
      for (const d of res.descriptors) {
        expectTrue(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(d.name), `metric name ${JSON.stringify(d.name)} is not a Prometheus metric name`, rule, { call: p });
        expectTrue(d.help, `metric ${d.name} has no help`, rule, { call: p });
      }
    },
  }),
  c({
    id: 'cri.stats.pod-sandbox-metrics', name: 'ListPodSandboxMetrics answers described metrics for the sandbox, label values matching the label keys',
    needs: [rpcCap('ListPodSandboxMetrics'), rpcCap('ListMetricDescriptors')],
    async run(k) {
      const { pod, id } = await busyPod(k);
      const desc = new Map((await expectOk(k.runtime.listMetricDescriptors({}), 'CRI ListMetricDescriptors MUST answer OK')).descriptors.map((d) => [d.name, d]));
      const p = k.runtime.listPodSandboxMetrics({});
      const res = await expectOk(p, 'CRI ListPodSandboxMetrics MUST answer OK when implemented');
      const mine = res.podMetrics.find((m) => m.podSandboxId === pod.id);
      const rule = 'CRI PodSandboxMetrics: metrics of every sandbox (and its containers); each metric is one ListMetricDescriptors describes, with one label value per label key';
      if (!mine) fail(`ListPodSandboxMetrics has no metrics for sandbox ${pod.id}`, rule, { call: p });
      const all = [...mine.metrics, ...mine.containerMetrics.flatMap((cm) => cm.metrics)];
      for (const m of all) {
        const d = desc.get(m.name);
        if (!d) fail(`metric ${m.name} is not among the ListMetricDescriptors`, rule, { call: p });
        expectEqual(m.labelValues.length, d.labelKeys.length, rule, `number of label values of ${m.name} (label keys: ${d.labelKeys.join(', ')})`, p);
      }
      if (mine.containerMetrics.length) expectTrue(mine.containerMetrics.some((cm) => cm.containerId === id), `container_metrics of the sandbox lack the running container ${id}`, rule, { call: p });
    },
  }),
  c({
    id: 'cri.stats.stream-pod-sandbox-metrics', name: 'StreamPodSandboxMetrics streams the sandbox\'s metrics', needs: [rpcCap('StreamPodSandboxMetrics')],
    async run(k) {
      const { pod } = await busyPod(k);
      const msgs = await expectOk(k.collect('RuntimeService/StreamPodSandboxMetrics', {}, (req, o) => k.env.client.runtime.streamPodSandboxMetrics(req as never, o)),
        'CRI StreamPodSandboxMetrics MUST stream the metrics of every sandbox, then end');
      const ids = flat(msgs, 'podSandboxMetrics').map((m) => m.podSandboxId);
      expectTrue(ids.includes(pod.id), `StreamPodSandboxMetrics has no metrics for sandbox ${pod.id}`, 'CRI StreamPodSandboxMetrics: the same sandboxes as ListPodSandboxMetrics', { call: k.ctx.lastCall });
    },
  }),
];
