// Scale: N pods started (32 in flight) on one node and kept running, then all deleted. Reports
// wall time, time per pod per bucket of completions (should stay flat as the node fills up),
// memory with N pods running, and memory after deleting them (a full GC first): what is left
// over per pod must be ~0, and repeated create/delete cycles must not grow the heap.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pool, type Driver } from './driver.js';
import { makePlans, type PlanOptions } from './pods.js';
import { mib, round } from './stats.js';

export interface MemSample {
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
}

export interface ScaleRun {
  backend: string;
  driver: string;
  pods: number;
  concurrency: number;
  /** Until the last pod settled and the driver caught up with its work (settleMs of it). */
  wallMs: number;
  settleMs: number;
  podsPerSec: number;
  msPerPod: number;
  /** Time per pod within each bucket of `bucketSize` completions, in completion order. */
  bucketSize: number;
  buckets: number[];
  /** Last bucket's time per pod over the first one's. */
  lastOverFirst: number;
  deleteWallMs: number;
  memory: { before: MemSample; running: MemSample; peakRssMiB: number; afterDelete: MemSample };
  /** Live heap per running pod (bytes), and what deleting left behind per pod (bytes; ~0 is right). */
  heapPerPodBytes: number;
  retainedPerPodBytes: number;
}

export interface ChurnResult {
  backend: string;
  driver: string;
  podsPerCycle: number;
  /** Heap used after each create-all/delete-all cycle and a full GC. */
  heapAfterCycleMiB: number[];
  /** Last cycle's heap minus the second's (the first warms up: JIT code, lazily built tables), per pod of one cycle (bytes). */
  growthPerPodBytes: number;
}

let gcFn: (() => void) | undefined;
/** A full GC: global.gc under --expose-gc, otherwise enabled at run time. */
export function fullGc(): void {
  if (!gcFn) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) gcFn = g;
    else {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
  gcFn();
}

export function memSample(): MemSample {
  const m = process.memoryUsage();
  return { rssMiB: mib(m.rss), heapUsedMiB: mib(m.heapUsed), externalMiB: mib(m.external) };
}

const settle = async () => {
  fullGc();
  await new Promise((r) => setTimeout(r, 50));
  fullGc();
};

export interface ScaleOptions {
  backend: string;
  pods: number;
  concurrency: number;
  plan: PlanOptions;
  progress?: (msg: string) => void;
}

export async function scaleRun(d: Driver, o: ScaleOptions): Promise<ScaleRun> {
  const plans = makePlans(`${d.name}-s${o.pods}`, o.pods, o.plan);
  await settle();
  const before = memSample();
  let peak = before.rssMiB;
  // rss() opens /proc/self/statm: out of file descriptors (EMFILE) it throws, and that must not end the process.
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, mib(process.memoryUsage.rss()));
    } catch {
      /* next tick */
    }
  }, 100);
  const done: number[] = [];
  const t0 = performance.now();
  try {
    let next = 0;
    await pool(plans, o.concurrency, async (p) => {
      await d.start(p);
      done.push(performance.now() - t0);
      if (++next % Math.max(1, Math.floor(o.pods / 10)) === 0)
        o.progress?.(`  ${o.backend} ${d.name}: ${next}/${o.pods} pods running (${Math.round(performance.now() - t0)} ms)`);
    });
  } catch (err) {
    clearInterval(sampler);
    await d.cleanup(plans).catch(() => undefined);
    throw err;
  }
  const startedMs = performance.now() - t0;
  const settleMs = d.quiesce ? await d.quiesce() : 0;
  const wallMs = startedMs + settleMs;
  peak = Math.max(peak, mib(process.memoryUsage.rss()));
  await settle();
  const running = memSample();
  const d0 = performance.now();
  await d.cleanup(plans);
  if (d.quiesce) await d.quiesce();
  const deleteWallMs = performance.now() - d0;
  clearInterval(sampler);
  await settle();
  const afterDelete = memSample();
  const bucketSize = o.pods >= 2000 ? 1000 : Math.max(1, Math.floor(o.pods / 10));
  const buckets: number[] = [];
  for (let end = bucketSize; end <= done.length; end += bucketSize) {
    const prev = end - bucketSize === 0 ? 0 : done[end - bucketSize - 1];
    buckets.push(round((done[end - 1] - prev) / bucketSize, 3));
  }
  const bytes = (m: number) => m * 1024 * 1024;
  return {
    backend: o.backend,
    driver: d.name,
    pods: o.pods,
    concurrency: o.concurrency,
    wallMs: round(wallMs, 1),
    settleMs: round(settleMs, 1),
    podsPerSec: round((o.pods / wallMs) * 1000, 1),
    msPerPod: round(wallMs / o.pods, 3),
    bucketSize,
    buckets,
    lastOverFirst: buckets.length > 1 ? round(buckets.at(-1)! / buckets[0], 3) : 1,
    deleteWallMs: round(deleteWallMs, 1),
    memory: { before, running, peakRssMiB: peak, afterDelete },
    heapPerPodBytes: Math.round(bytes(running.heapUsedMiB - before.heapUsedMiB) / o.pods),
    retainedPerPodBytes: Math.round(bytes(afterDelete.heapUsedMiB - before.heapUsedMiB) / o.pods),
  };
}

/** Create-all/delete-all cycles on one driver; the heap after each must not keep growing. */
export async function churn(
  d: Driver,
  o: { backend: string; pods: number; cycles: number; concurrency: number; plan: PlanOptions; progress?: (msg: string) => void },
): Promise<ChurnResult> {
  const heap: number[] = [];
  for (let i = 0; i < o.cycles; i++) {
    const plans = makePlans(`${d.name}-churn${i}`, o.pods, o.plan);
    await pool(plans, o.concurrency, (p) => d.start(p));
    if (d.quiesce) await d.quiesce();
    await d.cleanup(plans);
    if (d.quiesce) await d.quiesce();
    await settle();
    heap.push(memSample().heapUsedMiB);
    o.progress?.(`  churn ${d.name} cycle ${i + 1}/${o.cycles}: heap ${heap.at(-1)} MiB`);
  }
  return {
    backend: o.backend,
    driver: d.name,
    podsPerCycle: o.pods,
    heapAfterCycleMiB: heap,
    growthPerPodBytes:
      heap.length > 2
        ? Math.round(((heap.at(-1)! - heap[1]) * 1024 * 1024) / o.pods)
        : heap.length > 1
          ? Math.round(((heap.at(-1)! - heap[0]) * 1024 * 1024) / o.pods)
          : 0,
  };
}

/**
 * The soft limit on open files of this process (Linux: /proc/self/limits), or undefined when
 * unknown. memory-cri keeps each running container's log file open, as a runtime keeps a log pipe per
 * container, so N pods in one process need more than N descriptors.
 */
export function openFilesLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const v = line?.split(/\s{2,}/)[1];
    return v === undefined ? undefined : v === 'unlimited' ? Infinity : Number(v);
  } catch {
    return undefined;
  }
}
