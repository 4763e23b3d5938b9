// Stats and metrics: simulated, but consistent with what the simulator does.
//  - CPU: a running simulated process uses 1 millicore (usage_nano_cores 1e6), so cumulative
//    usage_core_nano_seconds is running time / 1000 — monotonic, and it stops at exit.
//  - Memory: 1 MiB per running process + the bytes written to its in-memory rootfs + what
//    `alloc` holds; available = limit − working set when a limit is set.
//  - Writable layer: bytes and entries of the in-memory rootfs.
//  - Network (pod): real bytes through the pod's listeners (httpd/nc and what probes send).
//  - Processes (pod): running containers + the sandbox's own.
// Exited containers report attributes and their writable layer only, as containerd does.
// ListMetricDescriptors / ListPodSandboxMetrics expose the integer-valued ones of these.
import {
  ContainerState,
  MetricType,
  PodSandboxState,
  RuntimeServiceDefinition,
  type ContainerStats,
  type ContainerStatsFilter,
  type Metric,
  type MetricDescriptor,
  type PodSandboxMetrics,
  type PodSandboxStats,
  type PodSandboxStatsFilter,
} from '../../interfaces/gen/cri/api.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import { containerOr404 } from './container.js';
import type { MemoryRuntime } from './runtime.js';
import { sandboxOr404 } from './sandbox.js';
import { matchLabels, nowNs, Store, type ContainerRec, type SandboxRec } from './store.js';

export const PROCESS_BASE_BYTES = 1024 * 1024;
export const SANDBOX_BASE_BYTES = 512 * 1024;
export const RUNNING_NANO_CORES = 1_000_000n;

export interface Usage {
  cpuNs: bigint;
  nanoCores: bigint;
  workingSet: bigint;
  fsBytes: bigint;
  inodes: bigint;
  running: boolean;
}

export function containerUsage(c: ContainerRec, now = nowNs()): Usage {
  const running = c.state === ContainerState.CONTAINER_RUNNING;
  const end = running ? now : c.finishedAt;
  const cpuNs = c.startedAt > 0n && end > c.startedAt ? (end - c.startedAt) / 1000n : 0n;
  const fs = c.fs.usage();
  return {
    running,
    cpuNs,
    nanoCores: running ? RUNNING_NANO_CORES : 0n,
    workingSet: running ? BigInt(PROCESS_BASE_BYTES + fs.bytes + c.allocated) : 0n,
    fsBytes: BigInt(fs.bytes),
    inodes: BigInt(fs.inodes),
  };
}

function containerStats(rt: MemoryRuntime, c: ContainerRec, now: bigint): DeepPartial<ContainerStats> {
  const u = containerUsage(c, now);
  const limit = BigInt(c.resources?.memoryLimitInBytes ?? 0n);
  const stats: DeepPartial<ContainerStats> = {
    attributes: { id: c.id, metadata: c.metadata, labels: c.config.labels, annotations: c.config.annotations },
    writableLayer: { timestamp: now, fsId: { mountpoint: rt.containerFsMountpoint }, usedBytes: { value: u.fsBytes }, inodesUsed: { value: u.inodes } },
  };
  if (u.running) {
    stats.cpu = { timestamp: now, usageCoreNanoSeconds: { value: u.cpuNs }, usageNanoCores: { value: u.nanoCores } };
    stats.memory = {
      timestamp: now,
      workingSetBytes: { value: u.workingSet },
      availableBytes: limit > 0n ? { value: limit > u.workingSet ? limit - u.workingSet : 0n } : undefined,
      usageBytes: { value: u.workingSet },
      rssBytes: { value: u.workingSet },
      pageFaults: { value: u.cpuNs / 1_000_000n },
      majorPageFaults: { value: 0n },
    };
    stats.swap = { timestamp: now, swapUsageBytes: { value: 0n } };
  }
  return stats;
}

function sandboxStats(rt: MemoryRuntime, sb: SandboxRec, now: bigint): DeepPartial<PodSandboxStats> {
  const attributes = { id: sb.id, metadata: sb.metadata, labels: sb.config.labels, annotations: sb.config.annotations };
  if (sb.state !== PodSandboxState.SANDBOX_READY) return { attributes, linux: { containers: [] } };
  const cs = rt.store.containersOf(sb.id);
  const running = cs.filter((c) => c.state === ContainerState.CONTAINER_RUNNING);
  let cpuNs = 0n;
  let ws = BigInt(SANDBOX_BASE_BYTES);
  for (const c of cs) {
    const u = containerUsage(c, now);
    cpuNs += u.cpuNs;
    ws += u.workingSet;
  }
  return {
    attributes,
    linux: {
      cpu: { timestamp: now, usageCoreNanoSeconds: { value: cpuNs }, usageNanoCores: { value: RUNNING_NANO_CORES * BigInt(running.length) } },
      memory: {
        timestamp: now,
        workingSetBytes: { value: ws },
        usageBytes: { value: ws },
        rssBytes: { value: ws },
        pageFaults: { value: cpuNs / 1_000_000n },
        majorPageFaults: { value: 0n },
      },
      network: sb.hostNetwork
        ? undefined
        : {
            timestamp: now,
            defaultInterface: {
              name: 'eth0',
              rxBytes: { value: BigInt(sb.ports.rxBytes) },
              rxErrors: { value: 0n },
              txBytes: { value: BigInt(sb.ports.txBytes) },
              txErrors: { value: 0n },
            },
            interfaces: [],
          },
      process: { timestamp: now, processCount: { value: BigInt(running.length + 1) } },
      containers: cs.map((c) => containerStats(rt, c, now)),
    },
  };
}

export function listContainerStats(rt: MemoryRuntime, f: Partial<ContainerStatsFilter> | undefined): Array<DeepPartial<ContainerStats>> {
  const now = nowNs();
  let list = [...rt.store.containers.values()];
  if (f?.id) {
    const id = Store.filterId(rt.store.containers, f.id);
    list = list.filter((c) => c.id === id);
  }
  if (f?.podSandboxId) {
    const sid = Store.filterId(rt.store.sandboxes, f.podSandboxId);
    list = list.filter((c) => c.sandboxId === sid);
  }
  return list.filter((c) => matchLabels(c.config.labels, f?.labelSelector)).map((c) => containerStats(rt, c, now));
}

export function listSandboxStats(rt: MemoryRuntime, f: Partial<PodSandboxStatsFilter> | undefined): Array<DeepPartial<PodSandboxStats>> {
  const now = nowNs();
  let list = [...rt.store.sandboxes.values()].filter((s) => s.state === PodSandboxState.SANDBOX_READY);
  if (f?.id) {
    const id = Store.filterId(rt.store.sandboxes, f.id);
    list = list.filter((s) => s.id === id);
  }
  return list.filter((s) => matchLabels(s.config.labels, f?.labelSelector)).map((s) => sandboxStats(rt, s, now));
}

// ---- metrics -------------------------------------------------------------------------------------

const CONTAINER_LABELS = ['container', 'id', 'image', 'name', 'namespace', 'pod'];
const POD_LABELS = ['interface', 'namespace', 'pod'];

export const METRIC_DESCRIPTORS: MetricDescriptor[] = [
  { name: 'container_memory_working_set_bytes', help: 'Current working set of the container in bytes (simulated).', labelKeys: CONTAINER_LABELS },
  { name: 'container_fs_usage_bytes', help: "Bytes written to the container's writable layer.", labelKeys: CONTAINER_LABELS },
  { name: 'container_start_time_seconds', help: 'Start time of the container since unix epoch in seconds.', labelKeys: CONTAINER_LABELS },
  { name: 'container_network_receive_bytes_total', help: 'Cumulative count of bytes received by the pod.', labelKeys: POD_LABELS },
  { name: 'container_network_transmit_bytes_total', help: 'Cumulative count of bytes transmitted by the pod.', labelKeys: POD_LABELS },
];

export function sandboxMetrics(rt: MemoryRuntime): Array<DeepPartial<PodSandboxMetrics>> {
  const now = nowNs();
  const out: Array<DeepPartial<PodSandboxMetrics>> = [];
  for (const sb of rt.store.sandboxes.values()) {
    if (sb.state !== PodSandboxState.SANDBOX_READY) continue;
    const m = sb.metadata;
    const podMetric = (name: string, type: MetricType, v: number): DeepPartial<Metric> => ({
      name,
      timestamp: 0n,
      metricType: type,
      labelValues: ['eth0', m.namespace, m.name],
      value: { value: BigInt(v) },
    });
    out.push({
      podSandboxId: sb.id,
      metrics: sb.hostNetwork
        ? []
        : [
            podMetric('container_network_receive_bytes_total', MetricType.COUNTER, sb.ports.rxBytes),
            podMetric('container_network_transmit_bytes_total', MetricType.COUNTER, sb.ports.txBytes),
          ],
      containerMetrics: rt.store
        .containersOf(sb.id)
        .filter((c) => c.state === ContainerState.CONTAINER_RUNNING)
        .map((c) => {
          const u = containerUsage(c, now);
          const labels = [c.metadata.name, c.id, c.image.name, c.id, m.namespace, m.name];
          const metric = (name: string, type: MetricType, value: bigint): DeepPartial<Metric> => ({
            name,
            timestamp: 0n,
            metricType: type,
            labelValues: labels,
            value: { value },
          });
          return {
            containerId: c.id,
            metrics: [
              metric('container_memory_working_set_bytes', MetricType.GAUGE, u.workingSet),
              metric('container_fs_usage_bytes', MetricType.GAUGE, u.fsBytes),
              metric('container_start_time_seconds', MetricType.GAUGE, c.startedAt / 1_000_000_000n),
            ],
          };
        }),
    });
  }
  return out;
}

export function statsService(rt: MemoryRuntime): ServiceImpl<typeof RuntimeServiceDefinition> {
  return {
    async containerStats(req, ctx) {
      const peek = rt.store.containers.get(req.containerId);
      await rt.fault('ContainerStats', ctx, req.containerId, ...(peek ? rt.containerTargets(peek) : []));
      return { stats: containerStats(rt, containerOr404(rt, req.containerId), nowNs()) };
    },
    async listContainerStats(req, ctx) {
      await rt.fault('ListContainerStats', ctx);
      return { stats: listContainerStats(rt, req.filter) };
    },
    async podSandboxStats(req, ctx) {
      const peek = rt.store.sandboxes.get(req.podSandboxId);
      await rt.fault('PodSandboxStats', ctx, req.podSandboxId, ...(peek ? rt.sandboxTargets(peek) : []));
      return { stats: sandboxStats(rt, sandboxOr404(rt, req.podSandboxId), nowNs()) };
    },
    async listPodSandboxStats(req, ctx) {
      await rt.fault('ListPodSandboxStats', ctx);
      return { stats: listSandboxStats(rt, req.filter) };
    },
    async listMetricDescriptors(_req, ctx) {
      await rt.fault('ListMetricDescriptors', ctx);
      return { descriptors: METRIC_DESCRIPTORS };
    },
    async listPodSandboxMetrics(_req, ctx) {
      await rt.fault('ListPodSandboxMetrics', ctx);
      return { podMetrics: sandboxMetrics(rt) };
    },
  };
}
