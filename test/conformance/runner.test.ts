// The runner: reporters (JUnit XML well-formed, TAP plan, JSON shape), --focus/--skip,
// capability-driven not-applicable, per-case timeout with a hanging plugin, cleanups after
// failures and timeouts, SIGINT (cleanups, then exit 130), and the CLI.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { register, parseDuration } from '../../cli/commands/conformance.js';
import {
  consoleReporter,
  expectCode,
  expectEqual,
  jsonText,
  junitXml,
  tapText,
  toJson,
  type CaseDef,
  type RunReport,
  type Suite,
} from '../../conformance/runner/index.js';
import { coverageLines } from '../../conformance/runner/reporters/format.js';
import { rpcCoverage } from '../../conformance/runner/runner.js';
import { byId, cases, runQuiet, tmp, withCsi } from './helpers.js';

const test = suite('conformance: runner');

/** Minimal XML well-formedness: balanced tags, quoted attributes, only the five entities. */
function wellFormed(xml: string): string | undefined {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w.:-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(?:amp|lt|gt|quot|apos);)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    if (m[0] === '<') return `stray < at ${m.index}: ${body.slice(m.index, m.index + 40)}`;
    if (m[0].startsWith('&')) return `bad entity at ${m.index}: ${body.slice(m.index, m.index + 20)}`;
    const [, close, name, , self] = m;
    if (self) continue;
    if (close) {
      if (stack.pop() !== name) return `</${name}> closes the wrong element`;
    } else stack.push(name);
  }
  return stack.length ? `unclosed ${stack.join(', ')}` : undefined;
}

/** A small suite exercising every status, with a cleanup log. */
function sample(log: string[]): Suite<{ n: number }> {
  const c = (x: Omit<CaseDef<{ n: number }>, 'group'>): CaseDef<{ n: number }> => ({ group: 'sample.Group', ...x });
  return {
    name: 'sample',
    title: 'Sample suite',
    cases: [
      c({
        id: 'sample.pass',
        name: 'passes <&> "quoted"',
        async run(ctx) {
          ctx.cleanup(() => {
            log.push('pass-cleanup');
          }, 'noop');
        },
      }),
      c({
        id: 'sample.fail',
        name: 'fails with details',
        async run(ctx) {
          ctx.cleanup(() => {
            log.push('fail-cleanup-1');
          }, 'first');
          ctx.cleanup(() => {
            log.push('fail-cleanup-2');
          }, 'second');
          expectEqual(1 as number, 2, { rule: 'RULE: one is two', what: 'the number' });
        },
      }),
      c({
        id: 'sample.na',
        name: 'needs a capability',
        needs: ['cap:missing'],
        async run() {
          throw new Error('must not run');
        },
      }),
      c({
        id: 'sample.skip-env',
        name: 'skipped by the environment',
        async run(ctx) {
          ctx.skip('no root here');
        },
      }),
      c({
        id: 'sample.na-runtime',
        name: 'not applicable at run time',
        async run(ctx) {
          ctx.notApplicable('nothing to check');
        },
      }),
      c({
        id: 'sample.code',
        name: 'expects a code',
        async run(ctx) {
          const p = ctx.track('Svc/Do', { a: 1n }, Promise.reject(Object.assign(new Error('boom'), { code: 13, codeName: 'INTERNAL', details: 'boom' })));
          await expectCode(p, 'NOT_FOUND', { rule: 'RULE: missing is NOT_FOUND' });
        },
      }),
      c({
        id: 'sample.bad-cleanup',
        name: 'passes but its cleanup fails',
        async run(ctx) {
          ctx.cleanup(() => {
            throw new Error('cannot remove');
          }, 'remove thing');
        },
      }),
    ],
    setup: async () => ({ env: { n: 1 }, capabilities: new Set(['cap:present']), explain: (x) => `lacks ${x}`, facts: { plugin: 'sample' } }),
  };
}

test('statuses are kept apart; cleanups run newest first even when the case fails', async () => {
  const log: string[] = [];
  const rep = await runQuiet([sample(log)]);
  const st = Object.fromEntries(cases(rep).map((c) => [c.id, c.status]));
  assert.equal(st, {
    'sample.pass': 'passed',
    'sample.fail': 'failed',
    'sample.na': 'not-applicable',
    'sample.skip-env': 'skipped',
    'sample.na-runtime': 'not-applicable',
    'sample.code': 'failed',
    'sample.bad-cleanup': 'failed',
  });
  assert.equal(rep.totals, { passed: 1, failed: 3, warned: 0, skipped: 1, notApplicable: 2, total: 7 });
  assert.equal(log, ['pass-cleanup', 'fail-cleanup-2', 'fail-cleanup-1']);
  assert.is(byId(rep, 'sample.na')!.reason, 'lacks cap:missing');
  const code = byId(rep, 'sample.code')!.failure!;
  assert.is(code.status?.name, 'INTERNAL');
  assert.is(code.rpc, 'Svc/Do');
  assert.is(code.expected, 'NOT_FOUND');
  assert.match(byId(rep, 'sample.bad-cleanup')!.failure!.message, /cannot remove/);
});

test('reporters: JUnit XML is well-formed, TAP has its plan, JSON has the shape', async () => {
  const rep = await runQuiet([sample([])]);
  const xml = junitXml(rep);
  assert.is(wellFormed(xml), undefined, xml);
  assert.is((xml.match(/<testcase /g) ?? []).length, 7);
  assert.is((xml.match(/<failure /g) ?? []).length, 3);
  assert.is((xml.match(/<skipped message="not-applicable: /g) ?? []).length, 2);
  assert.match(xml, /classname="sample\.Group"/);
  assert.match(xml, /passes &lt;&amp;&gt; &quot;quoted&quot;/);
  const tap = tapText(rep).split('\n');
  assert.is(tap[0], 'TAP version 13');
  assert.is(tap[1], '1..7');
  assert.is(tap.filter((l) => /^(not )?ok \d+ /.test(l)).length, 7);
  assert.ok(tap.some((l) => /^not ok \d+ - sample\.code /.test(l)));
  assert.ok(tap.some((l) => /# SKIP not-applicable: lacks cap:missing/.test(l)));
  const json = JSON.parse(jsonText(rep)) as RunReport & { format: string };
  assert.is(json.format, 'triad-conformance/v1');
  assert.is(json.suites[0].cases.length, 7);
  assert.equal(json.totals, rep.totals);
  assert.is((json.suites[0].cases.find((c) => c.id === 'sample.code')!.failure!.request as { a: string }).a, '1', 'bigints serialise as strings');
});

test('console: one line per case, failure details, closing "N passed, N failed, N skipped" and a breakdown', async () => {
  let out = '';
  await runQuiet([sample([])], {
    reporters: [
      consoleReporter({
        write: (s) => {
          out += s;
        },
        color: false,
      }),
    ],
  });
  assert.match(out, /FAIL {2}sample\.code/);
  assert.match(out, /status: {3}INTERNAL \(13\): boom/);
  assert.match(out, /rule: {5}RULE: missing is NOT_FOUND/);
  const lines = out.trimEnd().split('\n');
  assert.is(lines.at(-2), '1 passed, 3 failed, 3 skipped');
  assert.match(lines.at(-1)!, /^skipped: 1 by --focus\/--skip or the environment, 2 not applicable/);
});

test('--focus and --skip select over id, name and tags', async () => {
  const a = await runQuiet([sample([])], { focus: '^sample\\.(pass|fail) ' });
  assert.equal(
    cases(a)
      .filter((c) => c.status !== 'skipped')
      .map((c) => c.id),
    ['sample.pass', 'sample.fail'],
  );
  assert.match(byId(a, 'sample.na')!.reason!, /not selected by --focus/);
  const b = await runQuiet([sample([])], { skip: 'details|\\[Conformance\\].*cleanup fails' });
  assert.is(byId(b, 'sample.fail')!.status, 'skipped');
  assert.match(byId(b, 'sample.fail')!.reason!, /matched --skip/);
  const none = await runQuiet([sample([])], { focus: 'nothing-matches' });
  assert.is(none.totals.skipped, 7, 'a suite with nothing selected is not even set up');
});

test('a hanging plugin fails that case by timeout; the run goes on', async () => {
  const started = Date.now();
  const rep = await withCsi(undefined, (s) => runQuiet([s], { focus: 'create-volume\\.basic|identity\\.probe', timeoutMs: 600 }), [
    { rpc: 'CreateVolume', hang: true },
  ]);
  const c = byId(rep, 'csi.controller.create-volume.basic')!;
  assert.is(c.status, 'failed');
  assert.is(c.failure?.kind, 'timeout');
  assert.match(c.failure!.message, /Controller\/CreateVolume/);
  assert.is(byId(rep, 'csi.identity.probe')!.status, 'passed');
  assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`);
});

test('a case that times out still gets its cleanups, and late registrations run at once', async () => {
  const log: string[] = [];
  const s: Suite<null> = {
    name: 't',
    title: 't',
    setup: async () => ({ env: null, capabilities: new Set() }),
    cases: [
      {
        id: 't.slow',
        name: 'slow',
        group: 't',
        async run(ctx) {
          ctx.cleanup(() => {
            log.push('early');
          }, 'early');
          await new Promise((r) => setTimeout(r, 300));
          ctx.cleanup(() => {
            log.push('late');
          }, 'late');
        },
      },
    ],
  };
  const rep = await runQuiet([s], { timeoutMs: 100 });
  assert.is(byId(rep, 't.slow')!.failure?.kind, 'timeout');
  assert.equal(log, ['early']);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(log, ['early', 'late']);
});

test('SIGINT: running cleanups run, the report is written, exit code 130', async () => {
  const t = tmp('triad-cf-sig-');
  try {
    const marker = join(t.dir, 'marker');
    const report = join(t.dir, 'report.json');
    const script = fileURLToPath(new URL('./fixtures/sigint-run.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, marker, report], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('started')) child.kill('SIGINT');
      });
      child.on('close', (c) => resolve(c));
      setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
    });
    assert.is(code, 130, out);
    assert.ok(existsSync(marker), 'the cleanup of the running case ran');
    const rep = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
    assert.is(rep.interrupted, true);
    assert.is(rep.suites[0].cases.find((c) => c.id === 'sig.never')!.status, 'skipped');
  } finally {
    t.cleanup();
  }
});

test('CLI: `conformance all --suites csi` runs against memory-csi and writes the reports', async () => {
  const t = tmp('triad-cf-cli-');
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  const prevExit = process.exitCode;
  try {
    const program = new Command('triad').exitOverride();
    register(program);
    process.stdout.write = ((s: string) => {
      out += s;
      return true;
    }) as typeof process.stdout.write;
    await program.parseAsync([
      'node',
      'triad',
      'conformance',
      'all',
      '--suites',
      'csi',
      '--focus',
      '^csi\\.identity\\.',
      '--json',
      join(t.dir, 'r.json'),
      '--junit',
      join(t.dir, 'r.xml'),
      '--tap',
      join(t.dir, 'r.tap'),
      '--timeout',
      '10s',
    ]);
    process.stdout.write = write;
    assert.is(process.exitCode, 0, out);
    const rep = JSON.parse(readFileSync(join(t.dir, 'r.json'), 'utf8')) as RunReport;
    assert.is(rep.totals.failed, 0);
    assert.is(rep.totals.passed, 8, 'seven identity cases and the leak check');
    assert.is(wellFormed(readFileSync(join(t.dir, 'r.xml'), 'utf8')), undefined);
    assert.match(readFileSync(join(t.dir, 'r.tap'), 'utf8'), /^TAP version 13\n1\.\.\d+\n/);
    assert.match(out, /8 passed, 0 failed, \d+ skipped/);
    const p2 = new Command('triad').exitOverride();
    register(p2);
    try {
      await p2.parseAsync(['node', 'triad', 'conformance', 'csi']);
      assert.unreachable('csi without an endpoint must fail');
    } catch (e) {
      assert.match((e as Error).message, /--csi\.endpoint is required/);
    }
  } finally {
    process.stdout.write = write;
    process.exitCode = prevExit;
    t.cleanup();
  }
});

test('RPC coverage: rows by recorded name; the cases about an RPC are those that declare its proto name, not those that only called it', () => {
  const calls = new Map([['Node/NodePublishVolume', { calls: 3, answers: { OK: 2, NOT_FOUND: 1 }, cases: new Set(['a', 'b']) }]]);
  const results = [
    { suite: 's', id: 'a', name: 'a', group: 'g', tags: [], durationMs: 1, status: 'passed' as const },
    { suite: 's', id: 'b', name: 'b', group: 'g', tags: [], durationMs: 1, status: 'failed' as const },
    { suite: 's', id: 'c', name: 'c', group: 'g', tags: [], durationMs: 1, status: 'not-applicable' as const },
  ];
  const defs = [
    { id: 'a', name: 'a', group: 'g', rpc: ['NodePublishVolume'], run: async () => undefined },
    { id: 'b', name: 'b', group: 'g', rpc: ['NodeStageVolume'], run: async () => undefined }, // called it on the way
    { id: 'c', name: 'c', group: 'g', rpc: ['NodeStageVolume'], run: async () => undefined },
    { id: 'd', name: 'd', group: 'g', rpc: ['NodePublishVolume'], run: async () => undefined }, // not selected: no result
  ];
  const rows = rpcCoverage(['Node/NodePublishVolume', 'Node/NodeStageVolume'], calls, results, { 'Node/NodeStageVolume': 'UNIMPLEMENTED' }, defs);
  assert.equal(rows[0].about, [{ id: 'a', status: 'passed' }]);
  assert.equal(rows[0].cases, [
    { id: 'a', status: 'passed' },
    { id: 'b', status: 'failed' },
  ]);
  assert.equal(rows[1].about, [
    { id: 'b', status: 'failed' },
    { id: 'c', status: 'not-applicable' },
  ]);
  const lines = coverageLines(rows);
  assert.is(lines[0], 'RPC coverage: 1 of 2 RPCs called by cases, 2 with cases about them');
  assert.match(lines[1], /^Node\/NodePublishVolume +3 calls +OK 2, NOT_FOUND 1; 2 cases: 1 passed, 1 failed; about it: 1 passed$/);
  assert.match(lines[2], /^Node\/NodeStageVolume +0 calls +not called: UNIMPLEMENTED; about it: 1 failed, 1 not-applicable$/);
});

test('durations', () => {
  assert.is(parseDuration('30s'), 30_000);
  assert.is(parseDuration('500ms'), 500);
  assert.is(parseDuration('2m'), 120_000);
  assert.is(parseDuration('5'), 5000);
  assert.throws(() => parseDuration('soon'));
});

test('failure details show bytes as text (ExecSync output), binary as base64, bigints as numbers', () => {
  assert.is(toJson({ stdout: Buffer.from('hi\n'), raw: new Uint8Array([0, 1, 255]), timeout: 5n }), '{"stdout":"hi\\n","raw":"base64:AAH/","timeout":"5"}');
});

test.run();
