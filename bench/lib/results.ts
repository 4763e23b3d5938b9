// The benchmark's result document (written as JSON) and the targets checked on it.
import type { OverheadPoint, PairedResult } from './overhead.js';
import type { ProxyOverhead } from './proxy.js';
import type { FuzzRate } from '../fuzz-rate.js';
import type { ChurnResult, ScaleRun } from './scale.js';
import type { CliStartup, CniStartup } from './startup.js';
import type { SuiteRun, SuiteSkip } from './suites.js';
import type { Totals } from '../../conformance/runner/index.js';

export interface Skipped {
  skipped: string;
}

export interface BenchResults {
  version: 1;
  startedAt: string;
  durationMs: number;
  command: string;
  quick: boolean;
  machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    platform: string;
    loadavgStart: number[];
    loadavgEnd: number[];
    commit?: string;
    /** Where the state dirs went, and the CPU cost of creating one file there and in the OS temp dir (µs). */
    fs: { stateRoot: string; createUs: number; osTmpdir: string; osTmpdirCreateUs: number };
  };
  overhead?: { memory: OverheadPoint[] } | Skipped;
  /** The interposer's added latency per call (triad proxy), in-memory runtime behind it. */
  proxy?: ProxyOverhead;
  /** triad fuzz csi's calls per second against memory-csi, beside a plain create/delete loop on the same driver. */
  fuzz?: FuzzRate;
  reference?: { paired: PairedResult; concurrent?: OverheadPoint } | Skipped;
  /** big: one larger triad-only run (heap per pod and RSS at that size; the floor is flat already). */
  /** bigSkipped: why the big run did not run at the asked size (or at all). */
  scale?: { runs: ScaleRun[]; churn: ChurnResult[]; reference?: ScaleRun[] | Skipped; big?: ScaleRun; bigSkipped?: string };
  suites?: { parallel: number; runs: Array<SuiteRun | SuiteSkip> };
  startup?: { cni: CniStartup; cli: CliStartup | Skipped };
  /** Sections that failed with an error (the rest of the run still reports). */
  errors: Record<string, string>;
  targets: Target[];
}

/** name: the goal as the performance work states it; what: the figure compared; goal: the bound. */
export interface Target {
  id: string;
  name: string;
  what: string;
  goal: string;
  value: string;
  met: boolean | null;
}

export const GOALS = {
  cniStart: 'TypeScript CNI plugins start like Go ones',
  cniSuite: 'In-memory CNI suite no slower than the same suite against bridge',
  floor: 'The harness at the floor',
  flat: 'Flat at scale',
  parallel: 'Suites in parallel',
  cli: 'The CLI starts fast',
  kept: 'Kept',
} as const;

export const isSkipped = (x: unknown): x is Skipped => typeof x === 'object' && x !== null && 'skipped' in x;

const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

const FLOOR_RATIO = 0.95;
const FLAT = 1.1;

/**
 * The goals of the performance work, each with its ratio measured in this run: met, missed,
 * or not measured (null). What a goal compares is in its `what`; `goal` is the bound.
 */
export function checkTargets(r: BenchResults): Target[] {
  const out: Target[] = [];
  let name: string = GOALS.cniStart;
  const none = (id: string, what: string, goal: string, value = 'not measured'): Target => ({ id, name, what, goal, value, met: null });
  const push = (t: Omit<Target, 'name'>) => out.push({ ...t, name });

  // TypeScript CNI plugins start like Go ones
  const cni = r.startup?.cni;
  for (const [k, label] of [
    ['memory', 'memory-cni'],
    ['static', 'the cni-static example'],
  ] as const) {
    const what = `${label}: wall time per verb over Debian's bridge + host-local's`;
    if (cni?.ratio)
      push({
        id: `cni.per-verb-ratio.${k}`,
        what,
        goal: '≤ 2.00',
        value: `${fmt(cni.ratio[k])} (${fmt(cni[k].perVerbMs, 1)} ms / ${fmt(cni.bridge!.perVerbMs, 1)} ms; node -e 0: ${fmt(cni.nodeMs, 1)} ms)`,
        met: cni.ratio[k] <= 2,
      });
    else
      push(
        none(`cni.per-verb-ratio.${k}`, what, '≤ 2.00', cni ? `bridge skipped: ${cni.bridgeSkipped}; ${fmt(cni[k].perVerbMs, 1)} ms per verb` : 'not measured'),
      );
  }
  const suiteRuns = (r.suites?.runs ?? []).filter((x): x is SuiteRun => !('reason' in x));
  const run = (suite: string, target: 'memory' | 'reference', parallel: number) =>
    suiteRuns.find((x) => x.suite === suite && x.target === target && x.parallel === parallel && !x.error);
  const cniMem = run('cni', 'memory', 1);
  const cniRef = run('cni', 'reference', 1);
  name = GOALS.cniSuite;
  const cniWhat = "CNI suite on memory-cni, wall time over the same suite against Debian's bridge + host-local (serial)";
  push(
    cniMem && cniRef
      ? {
          id: 'cni.suite-vs-bridge',
          what: cniWhat,
          goal: '≤ 1.00',
          value: `${fmt(cniMem.wallMs / cniRef.wallMs)} (${fmt(cniMem.wallMs / 1000, 1)} s / ${fmt(cniRef.wallMs / 1000, 1)} s)`,
          met: cniMem.wallMs <= cniRef.wallMs,
        }
      : none('cni.suite-vs-bridge', cniWhat, '≤ 1.00', cniMem ? 'no run against the reference stack' : 'not measured'),
  );

  name = GOALS.floor;
  const ov = r.overhead && !isSkipped(r.overhead) ? r.overhead.memory : [];
  for (const c of [1, 32]) {
    const p = ov.find((x) => x.concurrency === c);
    const what = `triad pods/s over the floor's in the same rounds, in-memory, concurrency ${c}`;
    push(
      p
        ? {
            id: `harness.floor-ratio.c${c}`,
            what,
            goal: `≥ ${fmt(FLOOR_RATIO)}`,
            value: `${fmt(p.ratio.throughput)} (CPU per pod ${fmt(p.ratio.cpuPerPod)}×)`,
            met: p.ratio.throughput >= FLOOR_RATIO,
          }
        : none(`harness.floor-ratio.c${c}`, what, `≥ ${fmt(FLOOR_RATIO)}`),
    );
  }

  name = GOALS.flat;
  const runs = (r.scale?.runs ?? []).filter((s) => s.driver === 'triad' && s.backend === 'memory').sort((a, b) => a.pods - b.pods);
  const big = runs.at(-1);
  const flatWhat = `time per pod of the last ${big ? big.bucketSize.toLocaleString('en') : '1,000'} over the first, ${big ? big.pods.toLocaleString('en') : '10,000'}-pod run`;
  push(
    big && big.buckets.length > 1
      ? {
          id: 'scale.flat',
          what: flatWhat,
          goal: `≤ ${fmt(FLAT)}`,
          value: `${fmt(big.lastOverFirst)} (${fmt(big.buckets.at(-1)!)} / ${fmt(big.buckets[0])} ms; the floor's: ${fmt(r.scale!.runs.find((s) => s.driver === 'floor' && s.pods === big.pods)?.lastOverFirst ?? NaN)})`,
          met: big.lastOverFirst <= FLAT,
        }
      : none('scale.flat', flatWhat, `≤ ${fmt(FLAT)}`),
  );
  const xl = r.scale?.big;
  const xlWhat = `${xl ? xl.pods.toLocaleString('en') : '30,000'} pods (triad): time per pod over the ${big ? big.pods.toLocaleString('en') : '10,000'}-pod run's; heap per pod, RSS`;
  push(
    xl && big
      ? {
          id: 'scale.big',
          what: xlWhat,
          goal: 'shown',
          value: `${r.scale?.bigSkipped ? `(${r.scale.bigSkipped}) ` : ''}${fmt(xl.msPerPod / big.msPerPod)}; ${(xl.heapPerPodBytes / 1024).toFixed(1)} KiB heap per pod (${(big.heapPerPodBytes / 1024).toFixed(1)} at ${big.pods}), RSS ${fmt(xl.memory.running.rssMiB, 0)} MiB (peak ${fmt(xl.memory.peakRssMiB, 0)}); last/first ${fmt(xl.lastOverFirst)}`,
          met: null,
        }
      : none('scale.big', xlWhat, 'shown', r.scale?.bigSkipped ? `skipped: ${r.scale.bigSkipped}` : 'not measured'),
  );

  name = GOALS.parallel;
  const par = r.suites?.parallel ?? 8;
  const mem = [...new Set(suiteRuns.filter((x) => x.target === 'memory').map((x) => x.suite))];
  for (const suite of mem) {
    const a = run(suite, 'memory', 1);
    const b = run(suite, 'memory', par);
    const what = `${suite} suite on the in-memory plugins, serial wall time over --parallel ${par}'s (same results)`;
    if (!a || !b) {
      push(none(`suites.parallel.${suite}`, what, '≥ 2.00'));
      continue;
    }
    const q = a.wallMs / b.wallMs;
    const same = ['passed', 'failed', 'warned', 'skipped', 'notApplicable'].every((k) => a.cases[k as keyof Totals] === b.cases[k as keyof Totals]);
    push({
      id: `suites.parallel.${suite}`,
      what,
      goal: '≥ 2.00',
      value: `${fmt(q)} (${fmt(a.wallMs / 1000, 1)} s / ${fmt(b.wallMs / 1000, 1)} s${same ? '' : '; results differ'})`,
      met: q >= 2 && same,
    });
  }
  if (!mem.length) push(none('suites.parallel', "serial wall time over --parallel 8's", '≥ 2.00'));

  name = GOALS.cli;
  const cli = r.startup?.cli;
  const cliWhat = '`node bin/triad.js --version` wall time';
  push(
    cli && !isSkipped(cli)
      ? {
          id: 'cli.version-time',
          what: cliWhat,
          goal: '≤ 0.15 s',
          value: `${fmt(cli.versionMs / 1000, 3)} s (node -e 0: ${fmt(cli.nodeMs / 1000, 3)} s${cli.withoutExtraCaCerts ? `; without NODE_EXTRA_CA_CERTS: ${fmt(cli.withoutExtraCaCerts.versionMs / 1000, 3)} s, node -e 0 ${fmt(cli.withoutExtraCaCerts.nodeMs / 1000, 3)} s` : ''})`,
          met: cli.versionMs <= 150,
        }
      : none('cli.version-time', cliWhat, '≤ 0.15 s', cli && isSkipped(cli) ? `skipped: ${cli.skipped}` : 'not measured'),
  );
  const ccsi = cli && !isSkipped(cli) ? cli.csi : undefined;
  const csiWhat = "`triad conformance csi` against memory-csi (serial): the command's wall time over the sum of its case times";
  push(
    ccsi
      ? {
          id: 'csi.wall-over-cases',
          what: csiWhat,
          goal: '≤ 1.50',
          value: `${fmt(ccsi.ratio)} (${fmt(ccsi.wallMs / 1000, 2)} s / ${fmt(ccsi.caseMs / 1000, 2)} s, ${ccsi.cases} cases${ccsi.failed ? `, ${ccsi.failed} failed` : ''})`,
          met: ccsi.ratio <= 1.5,
        }
      : none('csi.wall-over-cases', csiWhat, '≤ 1.50', cli && isSkipped(cli) ? `skipped: ${cli.skipped}` : 'not measured'),
  );

  name = GOALS.kept;
  const ref = r.reference && !isSkipped(r.reference) ? r.reference.paired : undefined;
  const refWhat = "containerd + bridge, triad mean pod start over direct CRI calls'";
  push(
    ref
      ? { id: 'containerd.latency-ratio', what: refWhat, goal: '≤ 1.02', value: fmt(ref.ratio.mean, 3), met: ref.ratio.mean <= 1.02 }
      : none('containerd.latency-ratio', refWhat, '≤ 1.02', r.reference && isSkipped(r.reference) ? `skipped: ${r.reference.skipped}` : 'not measured'),
  );
  const churn = (r.scale?.churn ?? []).find((c) => c.driver === 'triad');
  const heapWhat = 'no heap left after deletes (per deleted pod; growth per pod over create/delete cycles)';
  if (big || churn) {
    const retained = big?.retainedPerPodBytes ?? 0;
    const growth = churn?.growthPerPodBytes ?? 0;
    push({
      id: 'scale.memory-after-delete',
      what: heapWhat,
      goal: '≤ 1 KiB per pod',
      value: `${big ? `${retained} B after ${big.pods}` : '-'}; ${churn ? `${growth} B over ${churn.heapAfterCycleMiB.length} cycles` : '-'}`,
      met: retained <= 1024 && growth <= 1024,
    });
  } else push(none('scale.memory-after-delete', heapWhat, '≤ 1 KiB per pod'));
  return out;
}
