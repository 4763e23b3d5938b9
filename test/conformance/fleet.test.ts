// Reports a person reads and results as Sonobuoy collects them: the single-run and fleet HTML
// renderers, the node × case matrix, reading results from files, directories and a
// sonobuoy-retrieve-shaped tarball, `triad report merge`, and `triad conformance --sonobuoy`
// writing the done file after a pass, a setup failure and a SIGTERM.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { triadRoot } from '../../interfaces/util/root.js';
import { fleetHtml, fleetMatrix, runHtml } from '../../conformance/runner/reporters/html.js';
import { jsonText } from '../../conformance/runner/reporters/json.js';
import { fleetJunit, loadRuns, nodeFromPath } from '../../conformance/runner/fleet.js';
import { setupFailureReport, writeSonobuoyResults } from '../../conformance/runner/sonobuoy.js';
import { totals } from '../../conformance/runner/runner.js';
import type { CaseResult, RunReport } from '../../conformance/runner/types.js';
import { CHROMIUM, loadPage } from '../helpers/chromium.js';

const t = suite('fleet reports');
const root = triadRoot();
const run = promisify(execFile);
let dir = '';

t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'triad-fleet-'));
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

function triad(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  return run(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: 120_000,
  })
    .then((r) => ({ ...r, code: 0 }))
    .catch((e: { stdout: string; stderr: string; code: number }) => ({ stdout: e.stdout, stderr: e.stderr, code: e.code }));
}

const kase = (id: string, status: CaseResult['status'], extra: Partial<CaseResult> = {}): CaseResult => ({
  suite: 'cri',
  id,
  name: `${id} <works>`,
  group: id.split('.').slice(0, 2).join('.'),
  tags: ['Conformance'],
  status,
  durationMs: 12,
  ...extra,
});
const failing = (id: string, rule: string): CaseResult =>
  kase(id, 'failed', {
    rules: [rule],
    failure: {
      message: 'answered <OK> & should not',
      ruleId: rule,
      rule: 'the runtime refuses it',
      rpc: 'RuntimeService/RunPodSandbox',
      request: { a: 1 },
      status: { code: 3, name: 'INVALID_ARGUMENT', message: 'nope' },
    },
  });

function report(node: string | undefined, startedAt: string, cases: CaseResult[]): RunReport {
  const tt = totals(cases);
  return {
    runId: `r-${node}`,
    prefix: 'triad-x',
    startedAt,
    durationMs: 900,
    interrupted: false,
    ...(node ? { node } : {}),
    options: { parallel: 1, timeoutMs: 30_000 },
    suites: [
      {
        name: 'cri',
        title: 'CRI',
        facts: { runtimeName: 'containerd', runtimeVersion: '1.6.20' },
        capabilities: ['cap:x'],
        cases,
        totals: tt,
        durationMs: 800,
        rpcCoverage: [
          { rpc: 'RuntimeService/Version', calls: 2, answers: { OK: 2 }, cases: [{ id: 'cri.a', status: 'passed' }] },
          { rpc: 'RuntimeService/Attach', calls: 0, answers: {}, cases: [], note: 'UNIMPLEMENTED' },
        ],
      },
    ],
    totals: tt,
  };
}

const A = report('node-a', '2026-12-07T01:00:02.000Z', [
  kase('cri.pod.a', 'passed'),
  failing('cri.pod.b', 'cri.sandbox.refuses'),
  kase('cri.pod.c', 'not-applicable', { reason: 'lacks x' }),
]);
const B = report('node-b', '2026-12-07T01:00:01.000Z', [
  kase('cri.pod.a', 'passed'),
  failing('cri.pod.b', 'cri.sandbox.refuses'),
  failing('cri.pod.c', 'cri.other.rule'),
]);
const C = report(undefined, '2026-12-07T01:00:03.000Z', [
  kase('cri.pod.a', 'warned', { failure: { message: 'optional', ruleId: 'cri.opt.rule' } }),
  kase('cri.pod.b', 'passed'),
]);

t('the matrix: failing cases first, where they fail, the first failing node, the rules', () => {
  const fleet = fleetMatrix([
    { node: 'node-a', source: 'a.json', report: A },
    { node: 'node-b', source: 'b.json', report: B },
    { node: 'node-c', source: 'c.json', report: C },
  ]);
  assert.equal(fleet.nodes, ['node-a', 'node-b', 'node-c']);
  assert.equal(
    fleet.rows.map((r) => [r.id, r.failedOn, r.firstFailing]),
    [
      ['cri.pod.b', ['node-b', 'node-a'], 'node-b'], // node-b's run started first
      ['cri.pod.c', ['node-b'], 'node-b'],
      ['cri.pod.a', [], undefined],
    ],
  );
  assert.equal(fleet.rows[0].rules, ['cri.sandbox.refuses']);
  assert.equal(fleet.rows[2].rules, ['cri.opt.rule'], 'warnings name their rule too');
  assert.is(fleet.rows[1].cells.get('node-c'), undefined, 'did not run there');
  assert.throws(
    () =>
      fleetMatrix([
        { node: 'x', source: '1', report: A },
        { node: 'x', source: '2', report: B },
      ]),
    /two results for node "x" \(1, 2\)/,
  );
});

t('HTML: static (no script, no external URL), escaped, with the matrix, rules and failure detail', () => {
  const fleet = fleetMatrix([
    { node: 'node-a', source: 'a.json', report: A },
    { node: 'node-b', source: 'b.json', report: B },
  ]);
  for (const html of [fleetHtml(fleet), runHtml(A)]) {
    assert.not.match(html, /<script|<link|src=|@import|url\(/i);
    assert.not.match(html, /<works>|answered <OK>/, 'text is escaped');
    assert.match(html, /answered &lt;OK&gt; &amp; should not/);
  }
  const f = fleetHtml(fleet);
  assert.match(f, /<th scope="col">node-a<\/th><th scope="col">node-b<\/th>/);
  assert.match(f, /cri\.sandbox\.refuses<\/td><td class="failed">broken<\/td><td class="failed">broken<\/td>/);
  const one = runHtml(A);
  assert.match(one, /<h1>triad conformance: 1 failed<\/h1>/);
  assert.match(one, /<dt>node<\/dt><dd>node-a<\/dd>/);
  assert.match(one, /<h3>cri\.pod: 3 cases, <span class="failed">1 failed<\/span><\/h3>/);
  assert.match(one, /<th>status<\/th><td><pre>INVALID_ARGUMENT \(3\): nope<\/pre>/);
  assert.match(one, /<th>rule<\/th><td><pre>cri\.sandbox\.refuses: the runtime refuses it<\/pre>/);
  assert.match(one, /RPC coverage: 1 of 2 RPCs called by cases/);
  assert.match(one, /not called: UNIMPLEMENTED/);
});

t('results from files, directories and a sonobuoy retrieve tarball; nodes named by report or path', () => {
  writeFileSync(join(dir, 'a.json'), jsonText(A));
  // A retrieve tarball: plugins/<plugin>/results/<node>/ holding what the done file named, unpacked.
  const tree = join(dir, 'retrieve');
  mkdirSync(join(tree, 'plugins/triad-cri/results/node-c'), { recursive: true });
  mkdirSync(join(tree, 'meta'), { recursive: true });
  writeFileSync(join(tree, 'plugins/triad-cri/results/node-c/results.json'), jsonText(C));
  writeFileSync(join(tree, 'meta/config.json'), '{"Version":"v0.57"}');
  execFileSync('tar', ['-czf', join(dir, 'sonobuoy.tar.gz'), '-C', tree, '.']);
  mkdirSync(join(dir, 'more'));
  writeFileSync(join(dir, 'more/b.json'), jsonText(B));
  const runs = loadRuns([join(dir, 'a.json'), join(dir, 'sonobuoy.tar.gz'), join(dir, 'more')]);
  assert.equal(
    runs.map((r) => r.node),
    ['node-a', 'node-c', 'node-b'],
  );
  assert.match(runs[1].source, /sonobuoy\.tar\.gz:plugins\/triad-cri\/results\/node-c\/results\.json$/);
  assert.is(nodeFromPath('plugins/triad-cri/results/n1/results.json'), 'n1');
  assert.is(nodeFromPath('x/results.json'), undefined);

  assert.throws(() => loadRuns([join(dir, 'nope.json')]), /nope\.json: no such file or directory/);
  writeFileSync(join(dir, 'other.json'), '{"a":1}');
  assert.throws(() => loadRuns([join(dir, 'other.json')]), /other\.json: not a triad conformance result/);
  writeFileSync(join(dir, 'broken.json'), '{"a":');
  assert.throws(() => loadRuns([join(dir, 'broken.json')]), /broken\.json: not JSON/);
  writeFileSync(join(dir, 'bad.tar.gz'), 'not a tarball');
  assert.throws(() => loadRuns([join(dir, 'bad.tar.gz')]), /bad\.tar\.gz: cannot unpack/);
  assert.throws(() => loadRuns([tree + '/meta']), /no triad-conformance\/v1 results in this directory/);

  // A --sonobuoy results dir holds results.json and the tarball packing it: one run, read once.
  const rd = join(dir, 'rd');
  writeSonobuoyResults({ resultsDir: rd, node: 'node-d', suite: 'cri' }, A);
  assert.equal(
    loadRuns([rd]).map((r) => [r.node, r.source]),
    [['node-a', join(rd, 'results.json')]],
  );

  const junit = fleetJunit(fleetMatrix(runs).runs);
  assert.match(junit, /<testsuite name="node-b\/cri" tests="3" failures="2"[^>]* hostname="node-b">/);
  assert.match(junit, /<testsuites name="triad conformance fleet" tests="8" failures="3"/);
});

t('writeSonobuoyResults: JUnit, JSON, HTML and a tarball, then done naming the tarball', () => {
  const rd = join(dir, 'results-1');
  const tarball = writeSonobuoyResults(
    { resultsDir: rd, node: 'node-z', suite: 'cri' },
    report(undefined, '2026-12-07T01:00:00.000Z', [kase('cri.pod.a', 'passed')]),
  );
  assert.is(readFileSync(join(rd, 'done'), 'utf8'), tarball);
  assert.is(tarball, join(rd, 'triad-cri-results.tar.gz'));
  assert.equal(execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n'), ['junit.xml', 'report.html', 'results.json']);
  assert.is(JSON.parse(readFileSync(join(rd, 'results.json'), 'utf8')).node, 'node-z');
  assert.match(readFileSync(join(rd, 'junit.xml'), 'utf8'), /hostname="node-z"/);
  const setup = setupFailureReport('csi', '--csi.endpoint is required', 'node-z');
  assert.equal([setup.totals.failed, setup.suites[0].cases[0].id, setup.suites[0].setupError], [1, 'csi.setup', '--csi.endpoint is required']);
});

t('triad conformance --sonobuoy: done after a run, after a setup failure, and after SIGTERM', async () => {
  const missing = await triad(['conformance', 'all', '--suites', 'csi', '--sonobuoy'], { RESULTS_DIR: '' });
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /RESULTS_DIR is not set/);

  const setup = join(dir, 'setup');
  const bad = await triad(['conformance', 'csi', '--sonobuoy'], { RESULTS_DIR: setup, NODE_NAME: 'node-s', CSI_ENDPOINT: '' });
  assert.is(bad.code, 1);
  assert.ok(existsSync(join(setup, 'done')), 'done after a setup failure');
  const sj = JSON.parse(readFileSync(join(setup, 'results.json'), 'utf8')) as RunReport;
  assert.is(sj.node, 'node-s');
  assert.match(sj.suites[0].setupError ?? '', /--csi\.endpoint is required/);
  assert.match(readFileSync(join(setup, 'junit.xml'), 'utf8'), /<failure message="--csi.endpoint is required/);

  // SIGTERM (what a pod's deletion sends) after the first case: cleanups, reports, done, exit 130.
  const term = join(dir, 'term');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'cli/main.ts'), 'conformance', 'all', '--suites', 'cri', '--sonobuoy', '--html', join(dir, 'term.html')],
    {
      cwd: root,
      env: { ...process.env, RESULTS_DIR: term, NODE_NAME: 'node-t', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let sent = false;
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    if (!sent && /PASS/.test(out)) {
      sent = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.ok(sent, `no case passed before the end:\n${out.slice(-2000)}`);
  assert.is(code, 130, out.slice(-2000));
  assert.ok(existsSync(join(term, 'done')), 'done after SIGTERM');
  const tj = JSON.parse(readFileSync(join(term, 'results.json'), 'utf8')) as RunReport;
  assert.is(tj.interrupted, true);
  assert.is(tj.node, 'node-t');
  assert.ok(tj.suites[0].cases.some((c) => c.status === 'skipped' && /interrupted/.test(c.reason ?? '')));
  assert.match(readFileSync(join(dir, 'term.html'), 'utf8'), /<h1>triad conformance: interrupted<\/h1>/);
});

t('triad report merge: HTML and JUnit of several runs; exit 1 when a case fails somewhere', async () => {
  writeFileSync(join(dir, 'm-a.json'), jsonText(A));
  writeFileSync(join(dir, 'm-c.json'), jsonText(C));
  const r = await triad([
    'report',
    'merge',
    join(dir, 'm-a.json'),
    join(dir, 'm-c.json'),
    '--html',
    join(dir, 'fleet.html'),
    '--junit',
    join(dir, 'fleet.xml'),
  ]);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stdout, /2 runs \(m-c, node-a\), 3 cases, 1 failing somewhere/);
  assert.match(r.stdout, /cri: cri\.pod\.b: failed on node-a \(cri\.sandbox\.refuses\)/);
  assert.match(readFileSync(join(dir, 'fleet.html'), 'utf8'), /<th scope="col">m-c<\/th><th scope="col">node-a<\/th>/);
  assert.match(readFileSync(join(dir, 'fleet.xml'), 'utf8'), /<testsuite name="node-a\/cri"/);
  const none = await triad(['report', 'merge', join(dir, 'm-a.json')]);
  assert.is(none.code, 1);
  assert.match(none.stderr, /give --html FILE and\/or --junit FILE/);
});

// A browser's view (Debian's chromium, headless): required in CI, where .ci/setup-host installs it.
const browserTest = CHROMIUM || process.env.CI === 'true' ? t : t.skip;
browserTest(
  `in headless Chromium: both pages load with no console message; the matrix and the failure detail are there${CHROMIUM ? '' : ' [skipped: chromium not installed]'}`,
  async () => {
    const fleetFile = join(dir, 'browser-fleet.html');
    const oneFile = join(dir, 'browser-one.html');
    writeFileSync(
      fleetFile,
      fleetHtml(
        fleetMatrix([
          { node: 'node-a', source: 'a.json', report: A },
          { node: 'node-b', source: 'b.json', report: B },
          { node: 'node-c', source: 'c.json', report: C },
        ]),
      ),
    );
    writeFileSync(oneFile, runHtml(B));
    const fleet = await loadPage(fleetFile);
    assert.equal(fleet.problems, []);
    const header = /<table class="matrix">\s*<tbody>\s*<tr>(.*?)<\/tr>/s.exec(fleet.dom)?.[1] ?? '';
    assert.equal(
      [...header.matchAll(/<th scope="col">([^<]+)<\/th>/g)].map((m) => m[1]),
      ['node-a', 'node-b', 'node-c'],
    );
    assert.match(fleet.dom, /<details><summary>cri: cri\.pod\.b: failed on node-b, node-a<\/summary>/);
    const one = await loadPage(oneFile);
    assert.equal(one.problems, []);
    assert.match(one.dom, /<details open="" id="case-cri-cri\.pod\.b">/);
    // The check can fail: a page that logs to the console is caught.
    const noisy = join(dir, 'noisy.html');
    writeFileSync(noisy, '<!DOCTYPE html><html><body><script>console.error("from the page")</script></body></html>');
    assert.ok((await loadPage(noisy)).problems.some((l) => l.includes('from the page')));
  },
);

t.run();
