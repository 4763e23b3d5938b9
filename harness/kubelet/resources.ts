// Requests and limits → QoS class and CRI Linux resources, with kubelet's conversions:
// CPU shares from requests (1024 per core, at least 2), CFS quota from limits over a 100 ms
// period, memory limit in bytes, and the OOM score adjustment of the QoS class.
import type { LinuxContainerResources } from '../../interfaces/gen/cri/api.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import type { Container, Pod } from '../api/types.js';
import { parseQuantity } from '../manifest/quantity.js';
import { computePodQOS } from '../api/qos.js';

export type Qos = 'Guaranteed' | 'Burstable' | 'BestEffort';

const CPU_PERIOD = 100_000;

function amount(c: Container, kind: 'requests' | 'limits', res: 'cpu' | 'memory'): number | undefined {
  const q = c.resources?.[kind]?.[res];
  return q === undefined ? undefined : parseQuantity(q, `${c.name}.resources.${kind}.${res}`);
}

/** kubelet's QoS class (see harness/api/qos.ts). */
export const podQos = (pod: Pod): Qos => computePodQOS(pod);

export function containerResources(pod: Pod, c: Container): DeepPartial<LinuxContainerResources> {
  const cpuReq = amount(c, 'requests', 'cpu') ?? amount(c, 'limits', 'cpu');
  const cpuLim = amount(c, 'limits', 'cpu');
  const memLim = amount(c, 'limits', 'memory');
  const memReq = amount(c, 'requests', 'memory') ?? memLim;
  const qos = podQos(pod);
  const out: DeepPartial<LinuxContainerResources> = {
    cpuShares: BigInt(Math.max(2, Math.floor((cpuReq ?? 0) * 1024))),
    oomScoreAdj: BigInt(oomScoreAdj(qos, memReq)),
  };
  if (cpuLim !== undefined) {
    out.cpuPeriod = BigInt(CPU_PERIOD);
    out.cpuQuota = BigInt(Math.max(1000, Math.floor(cpuLim * CPU_PERIOD)));
  }
  if (memLim !== undefined) out.memoryLimitInBytes = BigInt(Math.floor(memLim));
  return out;
}

/** Guaranteed -997, BestEffort 1000, Burstable 1000 - 1000×request/capacity clamped to [2, 999]. */
function oomScoreAdj(qos: Qos, memRequest?: number, capacity = 8 * 2 ** 30): number {
  if (qos === 'Guaranteed') return -997;
  if (qos === 'BestEffort') return 1000;
  const adj = 1000 - Math.floor((1000 * (memRequest ?? 0)) / capacity);
  return Math.min(999, Math.max(2, adj));
}
