// `npm run bench -- --quick` keeps working: it runs end to end and writes a JSON of every figure,
// an SVG chart and the text tables. Benchmarks are not timed tests: nothing here looks at how fast
// anything was, only that the figures are there and the files are well-formed. The reference stack
// is left alone (--no-reference): other test files own it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../../bench/run.js';
import { svgReport } from '../../bench/lib/svg.js';
import { textReport } from '../../bench/lib/report.js';
import { checkTargets, GOALS, type BenchResults } from '../../bench/lib/results.js';
import { percentile, summarize } from '../../bench/lib/stats.js';

const t = suite('bench: the quick run end to end, its JSON and SVG');
const root = new URL('../..', import.meta.url).pathname;
let out: string;
let results: BenchResults;
let run: ReturnType<typeof spawnSync>;

t.before(() => {
  out = mkdtempSync(join(tmpdir(), 'triad-bench-smoke-'));
  run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--no-reference', '--scale', '40,80', '--out', out], {
    cwd: root,
    encoding: 'utf8',
    timeout: 540_000,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
});
t.after(() => {
  rmSync(out, { recursive: true, force: true });
});

/** Tags balance (a small XML well-formedness check: no parser dependency for one test). */
function xmlProblems(text: string): string[] {
  const problems: string[] = [];
  const body = text.replace(/^<\?xml[^>]*\?>\s*/, '');
  if (!body.startsWith('<svg')) problems.push('does not start with <svg');
  const stack: string[] = [];
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w:-]*)([^>]*?)(\/?)>/g)) {
    const [, close, name, attrs, self] = m;
    if ((attrs.match(/"/g)?.length ?? 0) % 2) problems.push(`unbalanced quotes in <${name}${attrs}>`);
    if (self) continue;
    if (close) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open}>`);
    } else stack.push(name);
  }
  if (stack.length) problems.push(`unclosed: ${stack.join(', ')}`);
  if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(body)) problems.push('a bare & (not an entity)');
  return problems;
}

t('the quick run exits 0 and writes latest.json, latest.svg and latest.txt', () => {
  assert.is(run.status, 0, `exit ${run.status}\n${String(run.stderr).slice(-3000)}`);
  for (const f of ['latest.json', 'latest.svg', 'latest.txt']) assert.ok(existsSync(join(out, f)), `${f} written`);
  results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchResults;
  assert.is(results.version, 1);
  assert.is(results.quick, true);
  assert.equal(results.errors, {}, 'no section failed');
  const stdout = String(run.stdout);
  assert.match(
    stdout,
    /\nGoals of the performance work, each a ratio measured in this run \(load average 1\/5\/15 min: [\d.\/]+ at the start, [\d.\/]+ at the end/,
    'the goals went to stdout with the load average',
  );
  for (const name of Object.values(GOALS)) assert.ok(stdout.includes(`\n${name}\n`), `goal "${name}" printed by its name`);
  assert.not.match(stdout, /issue #/, 'goals are named, not numbered');
});

t("the JSON has every section's figures: overhead at c=1 and c=32, scale runs and churn, suites, targets", () => {
  const ov = results.overhead as Exclude<BenchResults['overhead'], { skipped: string } | undefined>;
  assert.ok(ov && Array.isArray(ov.memory), 'overhead measured');
  assert.equal(
    ov.memory.map((p) => p.concurrency),
    [1, 32],
  );
  for (const p of ov.memory) {
    for (const side of [p.floor, p.triad]) {
      assert.ok(side.podsPerSec > 0 && Number.isFinite(side.podsPerSec));
      assert.is(side.latencyMs.n, p.rounds * p.podsPerRound);
      assert.ok(side.latencyMs.p99 >= side.latencyMs.p50 && side.latencyMs.p50 > 0);
      assert.ok(side.cpuMsPerPod > 0);
    }
    assert.is(p.floor.rpcsPerPod, 5, 'the floor sends exactly the five calls of the pod sequence');
    assert.ok(
      p.triad.rpcs.runPodSandbox === p.floor.rpcs.runPodSandbox && p.triad.rpcs.startContainer === p.floor.rpcs.startContainer,
      'same sequence on both sides',
    );
    assert.ok(p.ratio.throughput > 0 && p.rpc.rpcPerSec > 0);
  }
  assert.equal(
    results.proxy?.kinds.map((k) => k.kind),
    ['Version', 'pod'],
    "the interposer's cost per call",
  );
  for (const k of results.proxy!.kinds) assert.ok(k.direct.latencyUs.n === k.calls && k.ratio.mean > 0 && k.ratio.recordedMean > 0, JSON.stringify(k));
  assert.match(String(run.stdout), /Interposer \(triad proxy\)/);
  const fz = results.fuzz!;
  assert.ok(fz && fz.fuzz.calls > 0 && fz.floor.calls > 0 && fz.ratio > 0, `the fuzzer's rate: ${JSON.stringify(fz)}`);
  assert.match(String(run.stdout), /Fuzzer \(triad fuzz csi\)/);
  assert.equal(results.reference, { skipped: 'not used (--no-reference)' });
  const sc = results.scale!;
  assert.equal(
    sc.runs.map((r) => `${r.driver}:${r.pods}`),
    ['triad:40', 'floor:40', 'triad:80', 'floor:80'],
  );
  for (const r of sc.runs) {
    assert.is(r.buckets.length, 10);
    assert.ok(r.memory.running.rssMiB > 0 && r.memory.afterDelete.heapUsedMiB > 0);
  }
  assert.is(sc.churn[0].heapAfterCycleMiB.length, 3);
  const names = results.suites!.runs.map((s) => s.suite);
  for (const n of ['csi', 'cni']) assert.ok(names.includes(n), `suite ${n} ran`);
  for (const s of results.suites!.runs) {
    if ('reason' in s) continue;
    assert.ok(s.cases.total > 0, `${s.suite}: cases counted`);
    if (['csi', 'cni'].includes(s.suite)) assert.ok(s.cases.failed === 0 && !s.error, `${s.suite}: ${JSON.stringify(s.cases)} ${s.error ?? ''}`);
  }
  const st = results.startup!;
  assert.ok(st.cni.memory.perVerbMs > 0 && st.cni.static.perVerbMs > 0 && st.cni.nodeMs > 0, 'CNI verb times of both TypeScript plugins and of node -e 0');
  assert.match(st.cni.bridgeSkipped ?? '', /--no-reference/, 'bridge left out with --no-reference, and said so');
  assert.ok('skipped' in st.cli || st.cli.versionMs > 0, 'triad --version timed (or skipped without dist/)');
  assert.ok(results.targets.length >= 6);
  for (const x of results.targets) assert.ok(x.met === null || typeof x.met === 'boolean');
  assert.equal(new Set(results.targets.map((x) => x.name)), new Set(Object.values(GOALS)), 'every goal has a figure');
  assert.ok(
    results.targets.some((x) => x.id === 'suites.parallel.csi' && x.met !== null),
    'serial vs --parallel compared for the CSI suite',
  );
});

t('the SVG is well-formed and shows both sides', () => {
  const svg = readFileSync(join(out, 'latest.svg'), 'utf8');
  assert.equal(xmlProblems(svg), []);
  assert.match(svg, /floor \(direct CRI calls\)/);
  assert.match(svg, /triad \(harness kubelet\)/);
  assert.match(svg, /memory, c=32/);
});

t('report helpers: percentiles, an empty result, names with XML characters', () => {
  assert.is(percentile([1, 2, 3, 4], 0.5), 2);
  assert.is(percentile([], 0.99), 0);
  assert.equal(summarize([3, 1, 2]), { n: 3, p50: 2, p99: 3, mean: 2, min: 1, max: 3 });
  const empty: BenchResults = {
    version: 1,
    startedAt: new Date(0).toISOString(),
    durationMs: 0,
    command: 'npm run bench -- --only <x & y>',
    quick: true,
    machine: {
      cpus: 2,
      cpuModel: 'x',
      node: 'v20',
      platform: 'linux/x64',
      loadavgStart: [0, 0, 0],
      loadavgEnd: [0, 0, 0],
      fs: { stateRoot: '/tmp', createUs: 1, osTmpdir: '/tmp', osTmpdirCreateUs: 1 },
    },
    errors: {},
    targets: [],
  };
  empty.targets = checkTargets(empty);
  assert.ok(
    empty.targets.every((x) => x.met === null),
    'nothing measured: no target met or missed',
  );
  assert.equal(xmlProblems(svgReport(empty)), []);
  assert.match(textReport(empty), /not measured/);
});

t('flags: --only, --out, --quick, bad input is refused', () => {
  const o = parseArgs(['--quick', '--only', 'overhead,suites', '--out', '/tmp/x', '--scale', '10,20']);
  assert.equal([o.quick, o.only, o.out, o.scalePods], [true, ['overhead', 'suites'], '/tmp/x', [10, 20]]);
  assert.is(parseArgs(['--big', '0']).bigPods, 0, '--big 0: no big scale point');
  assert.is(parseArgs(['--big=2000']).bigPods, 2000);
  assert.throws(() => parseArgs(['--big', 'x']), /positive integer/);
  assert.throws(() => parseArgs(['--only', 'nope']), /unknown section/);
  assert.throws(() => parseArgs(['--rounds', '0']), /positive integer/);
  assert.throws(() => parseArgs(['--reference', '--no-reference']), /contradict/);
  assert.throws(() => parseArgs(['--frobnicate']), /unknown option/);
});

t.run();
