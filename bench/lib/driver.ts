// A way to start pods that the benchmark can time: the floor (bare CRI calls) or triad (the
// harness kubelet). start() resolves when the pod runs; cleanup() is never timed.
import type { PodPlan } from './pods.js';

export interface Driver {
  readonly name: string;
  start(p: PodPlan): Promise<void>;
  cleanup(pods: PodPlan[]): Promise<void>;
  /** Wait until work the starts left behind is done (triad: the runtime's events handled); ms waited. */
  quiesce?(): Promise<number>;
  /** Unary CRI calls issued so far by this side (RuntimeService + ImageService). */
  rpcs(): number;
  /** Per-RPC counts, for the "same sequence" check. */
  rpcBreakdown(): Record<string, number>;
  close(): Promise<void>;
}

/** Wrap every unary method of a promise client so that calls are counted (by method name). */
export function countCalls(client: object, counts: Map<string, number>, streaming: Set<string> = new Set()): void {
  const c = client as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    const fn = c[key];
    if (typeof fn !== 'function' || streaming.has(key)) continue;
    c[key] = (...args: unknown[]) => {
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return (fn as (...a: unknown[]) => unknown)(...args);
    };
  }
}

export function breakdown(counts: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

/** Run fn over items with at most `limit` in flight. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
