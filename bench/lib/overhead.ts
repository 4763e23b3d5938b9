// Harness overhead: the same pod started by the floor (bare CRI calls) and by triad (the harness
// kubelet), in rounds that alternate which side goes first (ABBA…), so that drift in the
// machine's load (these are shared machines) falls on both sides alike. The ratio that counts is
// the median over rounds of triad's throughput divided by the floor's in the same round.
import { performance } from 'node:perf_hooks';
import { pool, type Driver } from './driver.js';
import { makePlans, type PlanOptions, type PodPlan } from './pods.js';
import { timedRound, type RoundResult } from './rounds.js';
import { median, ratio, round, summarize, type LatencySummary } from './stats.js';

export interface SideStats {
  /** All pods of all rounds over the sum of the rounds' wall times. */
  podsPerSec: number;
  roundPodsPerSec: number[];
  latencyMs: LatencySummary;
  /**
   * CPU time of the process per pod started (ms; the in-process plugin's share included): the cost
   * that decides throughput once the machine is not shared. 1000 / cpuMsPerPod is the pods/s one
   * core could sustain.
   */
  cpuMsPerPod: number;
  /** Per round, the wait after the last pod settled until the driver caught up (triad: runtime events), ms. */
  settleMs: number[];
  /** Unary CRI calls per pod during the timed part (relists included). */
  rpcsPerPod: number;
  rpcs: Record<string, number>;
}

/** The bare cost of one gRPC round trip on the floor's warm connection (Version, an empty RPC). */
export interface RpcCeiling {
  concurrency: number;
  calls: number;
  rpcPerSec: number;
  cpuUsPerRpc: number;
  /** rpcPerSec / the floor's RPCs per pod: no CRI client can start pods faster over this transport here. */
  podsPerSecCeiling: number;
}

export interface OverheadPoint {
  concurrency: number;
  /** Measured right before the rounds. */
  rpc: RpcCeiling;
  rounds: number;
  podsPerRound: number;
  floor: SideStats;
  triad: SideStats;
  /** triad / floor. throughput: median of the per-round ratios; p50/p99: of the pooled latencies. */
  ratio: { throughput: number; throughputPerRound: number[]; pooledThroughput: number; p50: number; p99: number; cpuPerPod: number };
}

export interface OverheadOptions {
  concurrency: number;
  rounds: number;
  podsPerRound: number;
  warmupPods: number;
  /** Plan options per driver (image, log root, cgroup driver). */
  plan: (d: Driver) => PlanOptions;
  progress?: (msg: string) => void;
}

function side(results: RoundResult[]): SideStats {
  const pods = results.reduce((a, r) => a + r.pods, 0);
  const wall = results.reduce((a, r) => a + r.wallMs, 0);
  const rpcs: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.breakdown)) rpcs[k] = (rpcs[k] ?? 0) + v;
  return {
    podsPerSec: round((pods / wall) * 1000, 1),
    roundPodsPerSec: results.map((r) => round((r.pods / r.wallMs) * 1000, 1)),
    latencyMs: roundSummary(summarize(results.flatMap((r) => r.latenciesMs))),
    cpuMsPerPod: round(results.reduce((a, r) => a + r.cpuMs, 0) / pods, 3),
    settleMs: results.map((r) => round(r.settleMs, 1)),
    rpcsPerPod: round(results.reduce((a, r) => a + r.rpcs, 0) / pods, 2),
    rpcs,
  };
}

export const roundSummary = (s: LatencySummary): LatencySummary => ({
  n: s.n,
  p50: round(s.p50, 3),
  p99: round(s.p99, 3),
  mean: round(s.mean, 3),
  min: round(s.min, 3),
  max: round(s.max, 3),
});

export async function rpcCeiling(version: () => Promise<unknown>, concurrency: number, calls: number, rpcsPerPod = 5): Promise<RpcCeiling> {
  await pool(Array.from({ length: Math.min(200, calls) }), concurrency, async () => {
    await version();
  }); // warm
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await pool(Array.from({ length: calls }), concurrency, async () => {
    await version();
  });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const rps = (calls / ms) * 1000;
  return {
    concurrency,
    calls,
    rpcPerSec: round(rps, 0),
    cpuUsPerRpc: round((cpu.user + cpu.system) / calls, 1),
    podsPerSecCeiling: round(rps / rpcsPerPod, 1),
  };
}

/** Interleaved rounds of floor and triad at one concurrency. */
export async function compare(floor: Driver & { version?: () => Promise<unknown> }, triad: Driver, o: OverheadOptions): Promise<OverheadPoint> {
  const plans = (d: Driver, n: number): PodPlan[] => makePlans(`${d.name}-c${o.concurrency}`, n, o.plan(d));
  // Warm-up (JIT, connection, image present): not recorded.
  for (const d of [floor, triad]) if (o.warmupPods > 0) await timedRound(d, plans(d, o.warmupPods), o.concurrency);
  const res: Record<'floor' | 'triad', RoundResult[]> = { floor: [], triad: [] };
  for (let r = 0; r < o.rounds; r++) {
    const order = r % 2 === 0 ? [floor, triad] : [triad, floor];
    for (const d of order) {
      const t0 = performance.now();
      const rr = await timedRound(d, plans(d, o.podsPerRound), o.concurrency);
      res[d === floor ? 'floor' : 'triad'].push(rr);
      o.progress?.(
        `  c=${o.concurrency} round ${r + 1}/${o.rounds} ${d.name}: ${((rr.pods / rr.wallMs) * 1000).toFixed(0)} pods/s, ${(rr.cpuMs / rr.pods).toFixed(2)} CPU ms/pod (${Math.round(performance.now() - t0)} ms with cleanup)`,
      );
    }
  }
  const f = side(res.floor);
  const t = side(res.triad);
  const rpc = floor.version
    ? await rpcCeiling(floor.version, o.concurrency, Math.max(200, o.podsPerRound * 5), f.rpcsPerPod)
    : { concurrency: o.concurrency, calls: 0, rpcPerSec: 0, cpuUsPerRpc: 0, podsPerSecCeiling: 0 };
  const perRound = res.floor.map((fr, i) => ratio(res.triad[i].pods / res.triad[i].wallMs, fr.pods / fr.wallMs));
  return {
    concurrency: o.concurrency,
    rpc,
    rounds: o.rounds,
    podsPerRound: o.podsPerRound,
    floor: f,
    triad: t,
    ratio: {
      throughput: round(median(perRound), 3),
      throughputPerRound: perRound,
      pooledThroughput: ratio(t.podsPerSec, f.podsPerSec),
      p50: ratio(t.latencyMs.p50, f.latencyMs.p50),
      p99: ratio(t.latencyMs.p99, f.latencyMs.p99),
      cpuPerPod: ratio(t.cpuMsPerPod, f.cpuMsPerPod),
    },
  };
}

export interface PairedResult {
  pods: number;
  floor: { latencyMs: LatencySummary; podsPerSec: number };
  triad: { latencyMs: LatencySummary; podsPerSec: number };
  /** triad / floor of the mean and median start latency (pods one at a time, alternating sides). */
  ratio: { mean: number; p50: number; p99: number };
}

/**
 * One pod at a time, alternating floor and triad pod by pod (which side goes first alternates
 * too), every pod kept running until the end; then everything is cleaned up (untimed). For slow
 * real runtimes where a round of many pods would take minutes.
 */
export async function paired(
  floor: Driver,
  triad: Driver,
  o: { pods: number; warmupPods: number; plan: (d: Driver) => PlanOptions; progress?: (msg: string) => void },
): Promise<PairedResult> {
  const started: Record<'floor' | 'triad', PodPlan[]> = { floor: [], triad: [] };
  const lat: Record<'floor' | 'triad', number[]> = { floor: [], triad: [] };
  const key = (d: Driver) => (d === floor ? 'floor' : 'triad') as 'floor' | 'triad';
  try {
    for (const d of [floor, triad]) if (o.warmupPods > 0) await timedRound(d, makePlans(`${d.name}-warm`, o.warmupPods, o.plan(d)), 1);
    for (let i = 0; i < o.pods; i++) {
      for (const d of i % 2 === 0 ? [floor, triad] : [triad, floor]) {
        const [p] = makePlans(`${d.name}-p`, 1, o.plan(d));
        started[key(d)].push(p);
        const t0 = performance.now();
        await d.start(p);
        lat[key(d)].push(performance.now() - t0);
      }
      o.progress?.(`  pod ${i + 1}/${o.pods}: floor ${lat.floor.at(-1)!.toFixed(0)} ms, triad ${lat.triad.at(-1)!.toFixed(0)} ms`);
    }
  } finally {
    await floor.cleanup(started.floor).catch(() => undefined);
    await triad.cleanup(started.triad).catch(() => undefined);
  }
  const f = roundSummary(summarize(lat.floor));
  const t = roundSummary(summarize(lat.triad));
  return {
    pods: o.pods,
    floor: { latencyMs: f, podsPerSec: round(1000 / f.mean, 2) },
    triad: { latencyMs: t, podsPerSec: round(1000 / t.mean, 2) },
    ratio: { mean: ratio(t.mean, f.mean), p50: ratio(t.p50, f.p50), p99: ratio(t.p99, f.p99) },
  };
}
