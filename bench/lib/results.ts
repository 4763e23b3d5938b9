// The benchmark's result document (written as JSON) and the targets checked on it.
import type { OverheadPoint, PairedResult } from './overhead.js';
import type { ProxyOverhead } from './proxy.js';
import type { ChurnResult, ScaleRun } from './scale.js';
import type { CliStartup, CniStartup } from './startup.js';
import type { SuiteRun, SuiteSkip } from './suites.js';

export interface Skipped { skipped: string }

export interface BenchResults {
  version: 1;
  startedAt: string;
  durationMs: number;
  command: string;
  quick: boolean;
  machine: {
    cpus: number; cpuModel: string; node: string; platform: string; loadavgStart: number[]; loadavgEnd: number[]; commit?: string;
    /** Where the state dirs went, and the CPU cost of creating one file there and in the OS temp dir (µs). */
    fs: { stateRoot: string; createUs: number; osTmpdir: string; osTmpdirCreateUs: number };
  };
  overhead?: { memory: OverheadPoint[] } | Skipped;
  /** The interposer's added latency per call (triad proxy), in-memory runtime behind it. */
  proxy?: ProxyOverhead;
  reference?: { paired: PairedResult; concurrent?: OverheadPoint } | Skipped;
  scale?: { runs: ScaleRun[]; churn: ChurnResult[]; reference?: ScaleRun[] | Skipped };
  suites?: { parallel: number; runs: Array<SuiteRun | SuiteSkip> };
  startup?: { cni: CniStartup; cli: CliStartup | Skipped };
  /** Sections that failed with an error (the rest of the run still reports). */
  errors: Record<string, string>;
  targets: Target[];
}

export interface Target { id: string; what: string; goal: string; value: string; met: boolean | null }

export const isSkipped = (x: unknown): x is Skipped => typeof x === 'object' && x !== null && 'skipped' in x;

const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

/** The targets (harness overhead, scale, plugin and CLI start-up), each met / missed / not measured (null) on this run. */
export function checkTargets(r: BenchResults): Target[] {
  const out: Target[] = [];
  const ov = r.overhead && !isSkipped(r.overhead) ? r.overhead.memory : [];
  const c1 = ov.find((p) => p.concurrency === 1);
  const c32 = ov.find((p) => p.concurrency === 32) ?? ov.find((p) => p.concurrency > 1);
  const none = (id: string, what: string, goal: string): Target => ({ id, what, goal, value: 'not measured', met: null });
  for (const p of [c1, c32]) {
    if (!p) continue;
    out.push({ id: `memory.throughput-ratio.c${p.concurrency}`, what: `in-memory: triad pods/s over the floor's, concurrency ${p.concurrency}`, goal: '≥ 0.50', value: fmt(p.ratio.throughput), met: p.ratio.throughput >= 0.5 });
  }
  if (!c1 && !c32) out.push(none('memory.throughput-ratio', 'in-memory: triad pods/s over the floor\'s', '≥ 0.50'));
  out.push(c32
    ? { id: 'memory.pods-per-sec.c32', what: `in-memory: triad pods/s at concurrency ${c32.concurrency}`, goal: '≥ 1000', value: `${fmt(c32.triad.podsPerSec, 0)} (floor ${fmt(c32.floor.podsPerSec, 0)}; gRPC alone allows ${fmt(c32.rpc.podsPerSecCeiling, 0)})`, met: c32.triad.podsPerSec >= 1000 }
    : none('memory.pods-per-sec.c32', 'in-memory: triad pods/s at concurrency 32', '≥ 1000'));
  out.push(c1
    ? { id: 'memory.p99.c1', what: 'in-memory: triad p99 pod start, concurrency 1', goal: '< 5 ms', value: `${fmt(c1.triad.latencyMs.p99)} ms (floor ${fmt(c1.floor.latencyMs.p99)} ms)`, met: c1.triad.latencyMs.p99 < 5 }
    : none('memory.p99.c1', 'in-memory: triad p99 pod start, concurrency 1', '< 5 ms'));
  const ref = r.reference && !isSkipped(r.reference) ? r.reference.paired : undefined;
  out.push(ref
    ? { id: 'containerd.latency-ratio', what: 'containerd + bridge: triad mean pod start over the direct-RPC baseline\'s', goal: '≤ 1.05', value: fmt(ref.ratio.mean, 3), met: ref.ratio.mean <= 1.05 }
    : { ...none('containerd.latency-ratio', 'containerd + bridge: triad mean pod start over the direct-RPC baseline\'s', '≤ 1.05'), value: r.reference && isSkipped(r.reference) ? `skipped: ${r.reference.skipped}` : 'not measured' });
  const runs = (r.scale?.runs ?? []).filter((s) => s.driver === 'triad' && s.backend === 'memory').sort((a, b) => a.pods - b.pods);
  if (runs.length >= 2) {
    const [small, big] = [runs[0], runs.at(-1)!];
    const q = big.msPerPod / small.msPerPod;
    out.push({ id: 'scale.time-per-pod', what: `scale: triad time per pod at ${big.pods} pods over at ${small.pods}`, goal: '≤ 1.5', value: fmt(q), met: q <= 1.5 });
  } else out.push(none('scale.time-per-pod', 'scale: time per pod at 10,000 pods over at 1,000', '≤ 1.5'));
  const big = runs.at(-1);
  const churn = (r.scale?.churn ?? []).find((c) => c.driver === 'triad');
  if (big || churn) {
    // "No unbounded growth": what deleting N pods leaves behind is small per pod, and repeated
    // create/delete cycles do not keep adding to the heap (1 KiB per pod is far below a pod's record).
    const retained = big?.retainedPerPodBytes ?? 0;
    const growth = churn?.growthPerPodBytes ?? 0;
    out.push({
      id: 'scale.memory-after-delete', what: 'scale: heap left per deleted pod / growth per pod over create-delete cycles', goal: '≤ 1 KiB per pod',
      value: `${big ? `${retained} B after ${big.pods}` : '-'}; ${churn ? `${growth} B over ${churn.heapAfterCycleMiB.length} cycles` : '-'}`,
      met: retained <= 1024 && growth <= 1024,
    });
  } else out.push(none('scale.memory-after-delete', 'scale: memory after pods are deleted', '≤ 1 KiB per pod'));
  const cni = r.startup?.cni;
  for (const [k, label] of [['memory', 'memory-cni'], ['static', 'cni-static example']] as const) {
    const what = `CNI start-up: ${label} wall time per verb over Debian's bridge + host-local's`;
    if (cni?.ratio) out.push({ id: `cni.per-verb-ratio.${k}`, what, goal: '≤ 2.00', value: `${fmt(cni.ratio[k])} (${fmt(cni[k].perVerbMs, 1)} ms / ${fmt(cni.bridge!.perVerbMs, 1)} ms; node -e 0: ${fmt(cni.nodeMs, 1)} ms)`, met: cni.ratio[k] <= 2 });
    else out.push({ ...none(`cni.per-verb-ratio.${k}`, what, '≤ 2.00'), value: cni ? `bridge skipped: ${cni.bridgeSkipped}; ${fmt(cni[k].perVerbMs, 1)} ms per verb` : 'not measured' });
  }
  const cli = r.startup?.cli;
  const cliWhat = 'CLI start-up: `node bin/triad.js --version` wall time';
  out.push(cli && !isSkipped(cli)
    ? { id: 'cli.version-time', what: cliWhat, goal: '≤ 0.15 s', value: `${fmt(cli.versionMs / 1000, 3)} s (node -e 0: ${fmt(cli.nodeMs / 1000, 3)} s)`, met: cli.versionMs <= 150 }
    : { ...none('cli.version-time', cliWhat, '≤ 0.15 s'), value: cli && isSkipped(cli) ? `skipped: ${cli.skipped}` : 'not measured' });
  return out;
}
