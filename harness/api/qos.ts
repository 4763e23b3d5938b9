// A pod's QoS class from the cpu/memory requests and limits of every container, as the
// kubelet's GetPodQOS computes it (Guaranteed, Burstable or BestEffort). One rule for the
// kubelet (cgroups, OOM score) and for output (kubectl's QoS Class line).
import type { Container, Pod } from './types.js';
import { parseQuantity as strictQuantity } from '../manifest/quantity.js';

/** Base units of a quantity, NaN when absent or invalid (validation reports those elsewhere). */
function parseQuantity(q: string | number | undefined): number {
  if (q === undefined) return NaN;
  try {
    return strictQuantity(q);
  } catch {
    return NaN;
  }
}

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const SUPPORTED = ['cpu', 'memory'];

export function computePodQOS(pod: Pod): QOSClass {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  const all: Container[] = [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])];
  for (const c of all) {
    const lim = c.resources?.limits ?? {};
    // The API server defaults a missing request to its limit.
    const req = { ...lim, ...(c.resources?.requests ?? {}) };
    for (const name of SUPPORTED) {
      const q = parseQuantity(req[name]);
      if (q > 0) requests.set(name, (requests.get(name) ?? 0) + q);
    }
    const found = new Set<string>();
    for (const name of SUPPORTED) {
      const q = parseQuantity(lim[name]);
      if (q > 0) {
        found.add(name);
        limits.set(name, (limits.get(name) ?? 0) + q);
      }
    }
    if (!SUPPORTED.every((n) => found.has(n))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (lim === undefined || Math.abs(lim - req) > 1e-12 * Math.max(1, Math.abs(req))) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
