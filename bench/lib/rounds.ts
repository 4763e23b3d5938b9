// Timed rounds: start a batch of pods through one driver at a given concurrency (a closed loop:
// `concurrency` pods in flight, the next starts when one is settled), recording each pod's start
// latency and the round's throughput — until the driver has caught up with what the starts left
// to do (quiesce) — then clean up (untimed).
import { performance } from 'node:perf_hooks';
import { pool, type Driver } from './driver.js';
import type { PodPlan } from './pods.js';

export interface RoundResult {
  pods: number;
  /** From the first start to the last pod settled, plus the quiesce wait (see settleMs). */
  wallMs: number;
  /** Of wallMs: waiting for the driver to catch up after the last pod settled (triad: runtime events). */
  settleMs: number;
  latenciesMs: number[];
  /** CPU time (user + system) of this process during the timed part, ms: the plugin served in-process included. */
  cpuMs: number;
  /** Unary CRI calls during the timed part. */
  rpcs: number;
  breakdown: Record<string, number>;
}

export async function timedRound(d: Driver, plans: PodPlan[], concurrency: number): Promise<RoundResult> {
  const latencies: number[] = new Array(plans.length);
  const before = d.rpcBreakdown();
  const rpc0 = d.rpcs();
  let i = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await pool(plans, concurrency, async (p) => {
    const idx = i++;
    const s = performance.now();
    await d.start(p);
    latencies[idx] = performance.now() - s;
  });
  const startedMs = performance.now() - t0;
  const settleMs = d.quiesce ? await d.quiesce() : 0;
  const wallMs = startedMs + settleMs;
  const cpu = process.cpuUsage(cpu0);
  const rpcs = d.rpcs() - rpc0;
  const after = d.rpcBreakdown();
  const breakdown: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) breakdown[k] = v - (before[k] ?? 0);
  await d.cleanup(plans);
  return { pods: plans.length, wallMs, settleMs, cpuMs: (cpu.user + cpu.system) / 1000, latenciesMs: latencies, rpcs, breakdown };
}
