// npm run bench [-- --quick] [--only overhead,proxy,fuzz,reference,scale,suites,startup] [--out DIR] [--reference]
//
// triad measured against a floor in the same run (shared 2-core machines make absolute times
// noise; the ratios are the result): harness overhead on the in-memory plugins and on containerd
// + bridge (when the reference stack is up), scale to 10,000 pods, conformance suite speed, and
// start-up: a CNI verb of the TypeScript plugins against Debian's bridge, `triad --version`.
// Writes DIR/latest.json (every figure), DIR/latest.svg (the chart), DIR/latest.txt (the tables).
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Driver } from './lib/driver.js';
import { FloorDriver } from './lib/floor.js';
import { compare, paired } from './lib/overhead.js';
import { proxyOverhead } from './lib/proxy.js';
import { fuzzRate } from './fuzz-rate.js';
import type { PlanOptions } from './lib/pods.js';
import { findReference, REFERENCE_LOCK, takeReferenceLock, type ReferenceStack } from './lib/reference.js';
import { textReport } from './lib/report.js';
import { checkTargets, type BenchResults } from './lib/results.js';
import { churn, openFilesLimit, scaleRun, type ChurnResult, type ScaleRun } from './lib/scale.js';
import { cliStartup, cniStartup } from './lib/startup.js';
import { suiteSpeed } from './lib/suites.js';
import { svgReport } from './lib/svg.js';
import { TriadDriver } from './lib/triad.js';

export const SECTIONS = ['overhead', 'proxy', 'fuzz', 'reference', 'scale', 'suites', 'startup'] as const;
type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  quick: boolean;
  only: Section[];
  out: string;
  requireReference: boolean;
  /** Never use the reference stack, even when it is up (the smoke test: other tests own it). */
  noReference: boolean;
  rounds?: number;
  scalePods?: number[];
  /** Pods of the one larger triad-only scale run (0: none). */
  bigPods?: number;
  parallel?: number;
  /** Where the nodes keep their state (default: /dev/shm when writable, else the OS temp dir). */
  tmpdir?: string;
  /** Re-render the tables and the chart of an earlier latest.json instead of measuring. */
  from?: string;
  quiet: boolean;
}

const USAGE = `usage: npm run bench -- [options]
  --quick               smoke run: tiny counts (seconds, figures meaningless)
  --only LIST           sections, comma-separated: ${SECTIONS.join(', ')} (default: all)
  --out DIR             where latest.json / latest.svg / latest.txt go (default bench/results)
  --reference           require the reference stack (fail if it is not up); default: use it when up
  --no-reference        never use the reference stack, even when it is up (nor the bridge CNI plugin
                        in the startup section)
  --rounds N            interleaved rounds per concurrency in the overhead section
  --scale N,N           pod counts of the in-memory scale runs (default 1000,10000)
  --big N               pods of one more, triad-only scale run for heap per pod and RSS at that size
                        (default 30000; none with --quick; 0: none)
  --parallel N          --parallel of the suite runs (default 8)
  --tmpdir DIR          where the nodes' state dirs go (default /dev/shm when writable, else $TMPDIR
                        or /tmp); file creation on some disks costs ~1 ms and would dominate both sides
  --quiet               no progress lines on stderr
  Unless --no-reference, the run holds /tmp/triad-reference.lock throughout; a caller holding it already
  sets TRIAD_REFERENCE_LOCK_HELD=1 (flock /tmp/triad-reference.lock env TRIAD_REFERENCE_LOCK_HELD=1 npm run bench)
  --from FILE.json      measure nothing: rewrite the tables and the chart of an earlier run into --out
`;

export function parseArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = { quick: false, only: [...SECTIONS], out: 'bench/results', requireReference: false, noReference: false, quiet: false };
  const num = (v: string | undefined, what: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${what} needs a positive integer, got ${JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const val = () => inline ?? argv[++i];
    if (flag === '--quick') o.quick = true;
    else if (flag === '--only') {
      const list = (val() ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const s of list)
        if (!SECTIONS.includes(s as Section)) throw new Error(`--only: unknown section ${JSON.stringify(s)} (known: ${SECTIONS.join(', ')})`);
      if (!list.length) throw new Error('--only needs a section list');
      o.only = list as Section[];
    } else if (flag === '--out') o.out = val() ?? '';
    else if (flag === '--reference') o.requireReference = true;
    else if (flag === '--no-reference') o.noReference = true;
    else if (flag === '--rounds') o.rounds = num(val(), '--rounds');
    else if (flag === '--scale') o.scalePods = (val() ?? '').split(',').map((s) => num(s, '--scale'));
    else if (flag === '--parallel') o.parallel = num(val(), '--parallel');
    else if (flag === '--big') {
      const v = val();
      o.bigPods = v === '0' ? 0 : num(v, '--big');
    } else if (flag === '--quiet') o.quiet = true;
    else if (flag === '--tmpdir') o.tmpdir = val();
    else if (flag === '--from') o.from = val();
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (!o.out) throw new Error('--out needs a directory');
  if (o.requireReference && o.noReference) throw new Error('--reference and --no-reference contradict each other');
  if (o.requireReference && !o.only.includes('reference')) o.only.push('reference');
  return o;
}

/** The sizes of everything, full or quick. */
function sizes(o: BenchOptions) {
  return o.quick
    ? {
        rounds: o.rounds ?? 2,
        c1: 12,
        c32: 64,
        warmup: 8,
        refPods: 3,
        scale: o.scalePods ?? [100, 300],
        big: o.bigPods ?? 0,
        churnPods: 50,
        churnCycles: 3,
        refScale: 5,
        limitCases: 3,
        parallel: o.parallel ?? 4,
        proxyCalls: 30,
        fuzzSeconds: 2,
        startupRounds: 3,
      }
    : {
        rounds: o.rounds ?? 6,
        c1: 200,
        c32: 1000,
        warmup: 100,
        refPods: 20,
        scale: o.scalePods ?? [1000, 10_000],
        big: o.bigPods ?? 30_000,
        churnPods: 1000,
        churnCycles: 4,
        refScale: 100,
        limitCases: undefined,
        parallel: o.parallel ?? 8,
        proxyCalls: 2000,
        fuzzSeconds: 20,
        startupRounds: 20,
      };
}

function pickTmpdir(given?: string): string {
  if (given) return resolve(given);
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/** CPU time to create (and remove) one small file in dir, µs: what the plugins' on-disk state costs here. */
function fileCreateUs(dir: string, n = 200): number {
  const d = mkdtempSync(join(dir, 'triad-bench-fs-'));
  try {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) writeFileSync(join(d, `f${i}`), 'x');
    const c = process.cpuUsage(c0);
    return Math.round((c.user + c.system) / n);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

const planFor =
  (image: string) =>
  (d: Driver): PlanOptions => ({
    image,
    logRoot: d instanceof FloorDriver ? d.logRoot : '/nonexistent', // triad sends its own configs; only the Pod is used
    instance: 'triad-bench',
    cgroupDriver: d instanceof FloorDriver ? d.cgroupDriver : 'cgroupfs',
  });

async function withDrivers<T>(mk: () => Promise<[FloorDriver, TriadDriver]>, fn: (f: FloorDriver, t: TriadDriver) => Promise<T>): Promise<T> {
  const [f, t] = await mk();
  try {
    return await fn(f, t);
  } finally {
    await t.close().catch(() => undefined);
    await f.close().catch(() => undefined);
  }
}

const memoryDrivers = async (): Promise<[FloorDriver, TriadDriver]> => {
  const f = await FloorDriver.create();
  try {
    return [f, await TriadDriver.create()];
  } catch (e) {
    await f.close();
    throw e;
  }
};
const referenceDrivers = (ref: ReferenceStack) => async (): Promise<[FloorDriver, TriadDriver]> => {
  const f = await FloorDriver.create({ endpoint: ref.endpoint });
  try {
    return [f, await TriadDriver.create({ raw: ref.raw })];
  } catch (e) {
    await f.close();
    throw e;
  }
};

/**
 * The run, holding the machine's reference lock (REFERENCE_LOCK) throughout when it may use the
 * reference stack or the bridge plugin: other users of the stack (tests, other runs) wait rather than
 * share the node with the measurements. Wrapped in flock on that file, set TRIAD_REFERENCE_LOCK_HELD=1.
 */
export async function runBench(o: BenchOptions): Promise<BenchResults> {
  const usesStack = !o.noReference && o.only.some((s) => s === 'reference' || s === 'scale' || s === 'suites' || s === 'startup');
  // A caller that holds the lock already (to bring the stack up, run the bench, take it down) says so.
  const held = process.env.TRIAD_REFERENCE_LOCK_HELD === '1';
  if (usesStack && !held && !o.quiet) process.stderr.write(`waiting for ${REFERENCE_LOCK} (the reference stack and the bridge plugin are shared)\n`);
  const release = usesStack && !held ? await takeReferenceLock() : undefined;
  try {
    return await measure(o, held || release !== undefined);
  } finally {
    release?.();
  }
}

async function measure(o: BenchOptions, lockHeld: boolean): Promise<BenchResults> {
  const log = (m: string) => {
    if (!o.quiet) process.stderr.write(`${m}\n`);
  };
  const z = sizes(o);
  const osTmp = tmpdir();
  const stateRoot = pickTmpdir(o.tmpdir);
  process.env.TMPDIR = stateRoot; // every temp dir of the nodes, plugins and suites goes there
  const fs = { stateRoot, createUs: fileCreateUs(stateRoot), osTmpdir: osTmp, osTmpdirCreateUs: fileCreateUs(osTmp) };
  log(`state dirs under ${stateRoot} (creating a file: ${fs.createUs} µs CPU; under ${osTmp}: ${fs.osTmpdirCreateUs} µs)`);
  const t0 = performance.now();
  let commit: string | undefined;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    /* not a checkout */
  }
  const r: BenchResults = {
    version: 1,
    startedAt: new Date().toISOString(),
    durationMs: 0,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    quick: o.quick,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '?',
      node: process.version,
      platform: `${process.platform}/${process.arch}`,
      loadavgStart: loadavg(),
      loadavgEnd: [],
      commit,
      fs,
    },
    errors: {},
    targets: [],
  };
  const want = (s: Section) => o.only.includes(s);
  const section = async (name: string, fn: () => Promise<void>) => {
    const s0 = performance.now();
    log(`== ${name}`);
    try {
      await fn();
    } catch (e) {
      r.errors[name] = (e as Error).stack ?? String(e);
      log(`${name} failed: ${(e as Error).message}`);
    }
    log(`== ${name} done in ${((performance.now() - s0) / 1000).toFixed(1)} s`);
  };

  let ref: ReferenceStack | undefined;
  let refReason: string | undefined;
  if (o.noReference) refReason = 'not used (--no-reference)';
  else if (want('reference') || want('scale') || want('suites')) {
    const found = await findReference();
    ref = found.ref;
    refReason = found.reason;
    if (!ref && o.requireReference) throw new Error(`--reference: ${refReason}`);
    log(ref ? `reference stack: up (${ref.endpoint}, image ${ref.image})` : `reference stack: ${refReason}; its parts are skipped`);
  }

  if (want('overhead')) {
    await section('overhead', async () => {
      const points = await withDrivers(memoryDrivers, async (f, t) => {
        const out = [];
        for (const [c, n] of [
          [1, z.c1],
          [32, z.c32],
        ] as const) {
          out.push(
            await compare(f, t, { concurrency: c, rounds: z.rounds, podsPerRound: n, warmupPods: z.warmup, plan: planFor('busybox:1.36'), progress: log }),
          );
        }
        return out;
      });
      r.overhead = { memory: points };
    });
  }

  if (want('proxy')) {
    await section('proxy', async () => {
      r.proxy = await proxyOverhead({ calls: z.proxyCalls, warmup: Math.min(100, z.proxyCalls), progress: log });
    });
  }

  if (want('fuzz')) {
    await section('fuzz', async () => {
      r.fuzz = await fuzzRate(z.fuzzSeconds);
    });
  }

  if (want('reference')) {
    if (!ref) r.reference = { skipped: refReason ?? 'reference stack not up' };
    else {
      const rs = ref;
      await section('reference', async () => {
        r.reference = {
          paired: await withDrivers(referenceDrivers(rs), (f, t) => paired(f, t, { pods: z.refPods, warmupPods: 1, plan: planFor(rs.image), progress: log })),
        };
      });
    }
  }

  if (want('scale')) {
    await section('scale', async () => {
      const runs: ScaleRun[] = [];
      const churns: ChurnResult[] = [];
      r.scale = { runs, churn: churns };
      for (const n of z.scale) {
        for (const mk of [() => TriadDriver.create(), () => FloorDriver.create()]) {
          const d: Driver = await mk();
          try {
            // warm-up so that the first bucket is not JIT compilation
            await scaleRun(d, { backend: 'memory', pods: Math.min(64, n), concurrency: 32, plan: planFor('busybox:1.36')(d) });
            runs.push(await scaleRun(d, { backend: 'memory', pods: n, concurrency: 32, plan: planFor('busybox:1.36')(d), progress: log }));
            const x = runs.at(-1)!;
            log(
              `  memory ${d.name} ${n}: ${x.podsPerSec} pods/s, ${x.msPerPod} ms/pod, buckets ${x.buckets.join(' ')}, heap left ${x.retainedPerPodBytes} B/pod`,
            );
          } finally {
            await d.close().catch(() => undefined);
          }
        }
      }
      // N pods in this process need more than N open files (memory-cri keeps each running
      // container's log open): within a lower limit, the largest multiple of 1,000 that fits is run.
      const fds = openFilesLimit();
      let bigPods = z.big;
      if (bigPods > 0 && fds !== undefined && fds < bigPods + 5000) {
        bigPods = Math.max(0, Math.floor((fds - 5000) / 1000) * 1000);
        r.scale.bigSkipped = `${z.big} pods need more than ${z.big} open files (each running container's log stays open) and the limit here is ${fds} (ulimit -n; raising it needs CAP_SYS_RESOURCE): ${bigPods ? `${bigPods} pods run instead` : 'not run'}`;
        log(`  ${r.scale.bigSkipped}`);
      }
      if (bigPods > 0) {
        const d = await TriadDriver.create();
        try {
          await scaleRun(d, { backend: 'memory', pods: 64, concurrency: 32, plan: planFor('busybox:1.36')(d) });
          const x = await scaleRun(d, { backend: 'memory', pods: bigPods, concurrency: 32, plan: planFor('busybox:1.36')(d), progress: log });
          r.scale.big = x;
          log(`  memory triad ${bigPods}: ${x.podsPerSec} pods/s, ${x.msPerPod} ms/pod, heap ${x.heapPerPodBytes} B/pod, RSS ${x.memory.running.rssMiB} MiB`);
        } finally {
          await d.close().catch(() => undefined);
        }
      }
      const t = await TriadDriver.create();
      try {
        churns.push(
          await churn(t, { backend: 'memory', pods: z.churnPods, cycles: z.churnCycles, concurrency: 32, plan: planFor('busybox:1.36')(t), progress: log }),
        );
      } finally {
        await t.close().catch(() => undefined);
      }
      if (!ref) r.scale.reference = { skipped: refReason ?? 'reference stack not up' };
      else {
        const refRuns: ScaleRun[] = [];
        r.scale.reference = refRuns;
        await withDrivers(referenceDrivers(ref), async (f, tr) => {
          for (const d of [tr, f] as Driver[])
            refRuns.push(await scaleRun(d, { backend: 'containerd', pods: z.refScale, concurrency: 32, plan: planFor(ref!.image)(d), progress: log }));
        });
      }
    });
  }

  if (want('suites')) {
    await section('suites', async () => {
      r.suites = { parallel: z.parallel, runs: await suiteSpeed({ parallel: z.parallel, limitCases: z.limitCases, reference: ref, progress: log }) };
    });
  }

  if (want('startup')) {
    await section('startup', async () => {
      const cni = await cniStartup({ rounds: z.startupRounds, noBridge: o.noReference ? 'not used (--no-reference)' : undefined, lockHeld, progress: log });
      const cli = await cliStartup({ rounds: z.startupRounds, limitCases: z.limitCases });
      r.startup = { cni, cli };
    });
  }

  r.machine.loadavgEnd = loadavg();
  r.durationMs = Math.round(performance.now() - t0);
  r.targets = checkTargets(r);
  return r;
}

export function writeResults(r: BenchResults, out: string): { json: string; svg: string; txt: string } {
  const dir = resolve(out);
  mkdirSync(dir, { recursive: true });
  const files = { json: join(dir, 'latest.json'), svg: join(dir, 'latest.svg'), txt: join(dir, 'latest.txt') };
  writeFileSync(files.json, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(files.svg, svgReport(r));
  writeFileSync(files.txt, textReport(r));
  return files;
}

async function main(): Promise<void> {
  let o: BenchOptions;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  let r: BenchResults;
  if (o.from) {
    r = JSON.parse(readFileSync(o.from, 'utf8')) as BenchResults;
    r.targets = checkTargets(r);
  } else r = await runBench(o);
  const files = writeResults(r, o.out);
  process.stdout.write(textReport(r));
  process.stdout.write(`\nwrote ${files.json}, ${files.svg}, ${files.txt}\n`);
  if (Object.keys(r.errors).length) process.exitCode = 1;
  // Plugins and clients are closed; anything left (a stray timer) must not keep the process up.
  setTimeout(() => process.exit(), 1000).unref();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main().catch((e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
