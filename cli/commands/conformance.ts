// `triad conformance <suite>`: point triad at a plugin and learn exactly where it breaks the
// contract. One subcommand per registered suite (conformance/suites.ts) with that suite's flags,
// plus `all`, which runs every suite against triad's in-memory plugins.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { COMPARABLE, compareSides, compareText, recordSuite } from '../../conformance/compare.js';
import { loadRules, ruleCoverage, type RuleCoverage } from '../../conformance/rules/index.js';
import { getSuite, suites, type PreparedSuite, type RegisteredSuite } from '../../conformance/suites.js';
import { consoleReporter, jsonReporter, junitReporter, matchText, runSuites, selectCases, tapReporter, type Reporter } from '../../conformance/runner/index.js';
import { htmlReporter } from '../../conformance/runner/reporters/html.js';
import { setupFailureReport, sigtermAsInterrupt, sonobuoyReporter, sonobuoyTarget, writeSonobuoyResults } from '../../conformance/runner/sonobuoy.js';

interface CommonOpts {
  focus?: string;
  skip?: string;
  parallel?: string;
  timeout?: string;
  junit?: string;
  json?: string;
  tap?: string;
  html?: string;
  sonobuoy?: boolean;
  node?: string;
  stay?: boolean;
  list?: boolean;
  verbose?: boolean;
  strict?: boolean;
}

/** "30s", "500ms", "2m", "45" (seconds) → ms. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s.trim());
  if (!m) throw new Error(`--timeout ${JSON.stringify(s)} is not a duration (30s, 500ms, 2m)`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

function addCommon(cmd: Command): Command {
  return cmd
    .option('--focus <regex>', 'run only cases whose id, name, [Tag] or rpc:<proto RPC names> matches')
    .option('--skip <regex>', 'leave out cases whose id, name, [Tag] or rpc:<proto RPC names> matches')
    .option('--parallel <n>', 'cases in flight at once (each uses its own resources)', '1')
    .option('--timeout <duration>', 'per-case timeout: a hung plugin fails that case', '30s')
    .option('--junit <file>', 'write JUnit XML')
    .option('--json <file>', 'write the results as JSON')
    .option('--tap <file>', 'write TAP version 13')
    .option('--html <file>', 'write a static HTML report (summary, groups, failure detail, RPC coverage)')
    .option('--sonobuoy', 'as a Sonobuoy plugin: JUnit, JSON and HTML into $RESULTS_DIR, then the done file naming them (also on failure or SIGTERM)')
    .option('--stay', 'with --sonobuoy: after the done file, wait for SIGTERM instead of exiting (a DaemonSet restarts containers that exit)')
    .option('--node <name>', 'the node name carried into the reports (default: $NODE_NAME, else the host name)')
    .option('--strict', 'a failing [Optional] case fails the run (default: it is a warning)')
    .option('--list', 'list the cases (and whether --focus/--skip select them) without running anything')
    .option('--verbose', 'also print cases left out by --focus/--skip');
}

function listCases(regs: RegisteredSuite[], o: CommonOpts): void {
  for (const r of regs) {
    const suite = {
      name: r.name,
      title: r.name,
      cases: r.cases(),
      setup: async () => {
        throw new Error('unused');
      },
    };
    const sel = selectCases(suite, o);
    process.stdout.write(`${r.name}: ${r.description} (${sel.filter((s) => !s.skipped).length} of ${sel.length} cases selected)\n`);
    for (const s of sel) {
      const c = s.c;
      const needs = c.needs?.length ? `  needs: ${c.needs.join(', ')}` : '';
      process.stdout.write(`  ${s.skipped ? '-' : '*'} ${matchText(c).replace(`${c.id} ${c.name} `, '').padEnd(24)} ${c.id}\n      ${c.name}${needs}\n`);
    }
  }
}

async function runPrepared(prepare: () => Promise<PreparedSuite[]>, o: CommonOpts, label: string): Promise<void> {
  // Under Sonobuoy every way out must leave a done file, or the worker waits out its timeout.
  const target = o.sonobuoy ? sonobuoyTarget(label, process.env, o.node) : undefined;
  const node = target?.node ?? o.node ?? process.env.NODE_NAME;
  let prepared: PreparedSuite[];
  let stopEarly: (() => void) | undefined;
  try {
    const parallel = Number(o.parallel ?? 1);
    if (!Number.isInteger(parallel) || parallel < 1) throw new Error('--parallel must be a positive integer');
    parseDuration(o.timeout ?? '30s');
    for (const re of [o.focus, o.skip]) if (re) new RegExp(re); // a bad regex fails before anything starts
    if (target) {
      // SIGTERM before the runner's own interrupt handling is in place: report that, then go.
      const early = () => {
        writeSonobuoyResults(target, setupFailureReport(label, 'terminated (SIGTERM) before the suite started', target.node));
        process.exit(143);
      };
      process.once('SIGTERM', early);
      stopEarly = () => process.off('SIGTERM', early);
    }
    prepared = await prepare();
  } catch (e) {
    stopEarly?.();
    if (target) writeSonobuoyResults(target, setupFailureReport(label, (e as Error).message, target.node));
    throw e;
  }
  stopEarly?.();
  const reporters: Reporter[] = [consoleReporter({ verbose: o.verbose })];
  if (o.junit) reporters.push(junitReporter(o.junit));
  if (o.json) reporters.push(jsonReporter(o.json));
  if (o.tap) reporters.push(tapReporter(o.tap));
  if (o.html) reporters.push(htmlReporter(o.html));
  if (target) reporters.push(sonobuoyReporter(target));
  const unhookTerm = target ? sigtermAsInterrupt() : undefined;
  let report;
  try {
    report = await runSuites(
      prepared.map((p) => p.suite),
      {
        focus: o.focus,
        skip: o.skip,
        parallel: Number(o.parallel ?? 1),
        timeoutMs: parseDuration(o.timeout ?? '30s'),
        reporters,
        exitOnInterrupt: false,
        strict: o.strict === true,
        node,
      },
    );
  } finally {
    unhookTerm?.();
    for (const p of prepared) await p.dispose().catch((e) => process.stderr.write(`cleanup: ${(e as Error).message}\n`));
  }
  if (target) process.stdout.write(`sonobuoy: results in ${target.resultsDir} (done file written)\n`);
  if (target && o.stay && !report.interrupted) {
    process.stdout.write('sonobuoy: staying until SIGTERM (the DaemonSet would restart an exited container)\n');
    const keepAlive = setInterval(() => undefined, 1 << 30); // a signal listener alone does not keep Node running
    await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
    clearInterval(keepAlive);
  }
  if (report.interrupted) process.exit(130);
  process.exitCode = report.totals.failed > 0 ? 1 : 0;
}

/** `--compare B`: the suite on the endpoint (A) and on B, each through the recording proxy, then where they diverge per case. */
async function runCompare(reg: RegisteredSuite, o: CommonOpts & Record<string, unknown>): Promise<void> {
  const how = COMPARABLE[reg.name];
  const a = ((typeof o[how.key] === 'string' && o[how.key]) as string) || process.env[how.env];
  if (!a) throw new Error(`--compare: give side A with ${how.flag} (or $${how.env})`);
  for (const [k, flag] of how.refuse)
    if (o[k]) throw new Error(`--compare puts the recording proxy in front of ${how.flag} only: ${flag} cannot be used with it`);
  for (const f of ['junit', 'tap', 'html', 'sonobuoy'] as const)
    if (o[f]) throw new Error(`--compare writes its comparison (text, or JSON with --json FILE): --${f} cannot be used with it`);
  if (Number(o.parallel ?? 1) !== 1)
    throw new Error('--compare runs the cases one at a time (each call is put down to the case in flight): leave out --parallel');
  for (const re of [o.focus, o.skip]) if (re) new RegExp(re);
  const run = {
    focus: o.focus,
    skip: o.skip,
    timeoutMs: parseDuration(o.timeout ?? '30s'),
    strict: o.strict === true,
    handleSigint: false,
    reporters: o.verbose ? [consoleReporter()] : [],
  };
  const sides = [];
  for (const [label, endpoint] of [
    ['A', a],
    ['B', o.compare as string],
  ] as const) {
    process.stdout.write(`${label}: the ${reg.name} suite against ${endpoint} through the recording proxy…\n`);
    sides.push(await recordSuite(reg, o, endpoint, run));
  }
  const r = compareSides(reg.name, sides[0], sides[1]);
  process.stdout.write(compareText(r));
  if (o.json) writeFileSync(o.json, JSON.stringify(r, null, 2) + '\n');
  process.exitCode = r.cases.length ? 1 : 0;
}

/** Rule coverage of the suites that have a rules file (all of them when `names` is empty). */
export function rulesCoverage(names: string[] = []): RuleCoverage[] {
  const regs = names.length
    ? names.map((n) => {
        const r = getSuite(n);
        if (!r)
          throw new Error(
            `unknown suite ${n} (known: ${suites()
              .map((s) => s.name)
              .join(', ')})`,
          );
        return r;
      })
    : suites();
  const out: RuleCoverage[] = [];
  for (const r of regs) {
    const file = loadRules(r.name);
    if (file) out.push(ruleCoverage(file, r.cases()));
    else if (names.length) throw new Error(`suite ${r.name} has no rules file (conformance/rules/${r.name}.yaml)`);
  }
  return out;
}

function printRules(cov: RuleCoverage[], o: { open?: boolean; all?: boolean; json?: boolean }): void {
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify(
        cov.map((c) => ({
          suite: c.suite,
          source: c.source,
          total: c.total,
          covered: c.covered.size,
          reasoned: c.reasoned.length,
          open: c.open.length,
          rules: loadRules(c.suite)!.rules.map((r) => ({ ...r, cases: c.covered.get(r.id) ?? [] })),
          problems: { open: c.open.map((r) => r.id), unknown: c.unknown, stale: c.stale.map((r) => r.id) },
        })),
        null,
        2,
      )}\n`,
    );
    return;
  }
  const w = (s: string) => process.stdout.write(s);
  w(`${'suite'.padEnd(6)} ${'rules'.padStart(5)} ${'covered'.padStart(8)} ${'reasoned'.padStart(9)} ${'open'.padStart(5)}  source\n`);
  for (const c of cov)
    w(
      `${c.suite.padEnd(6)} ${String(c.total).padStart(5)} ${String(c.covered.size).padStart(8)} ${String(c.reasoned.length).padStart(9)} ${String(c.open.length).padStart(5)}  ${c.source}\n`,
    );
  for (const c of cov) {
    const rules = loadRules(c.suite)!.rules;
    for (const r of rules) {
      const cases = c.covered.get(r.id);
      if (o.all) w(`  ${r.id}  ${cases ? `cases: ${cases.join(', ')}` : r.reason ? `reasoned out: ${r.reason}` : 'OPEN'}\n`);
      else if (o.open && !cases && !r.reason) w(`  open: ${r.id} (${r.at}): ${r.says}\n`);
    }
    for (const u of c.unknown) w(`  unknown: case ${u.caseId} names rule ${u.ruleId}, which no rules file has\n`);
    for (const r of c.stale) w(`  stale: ${r.id} carries a reason although cases check it: ${c.covered.get(r.id)!.join(', ')}\n`);
  }
}

export function register(program: Command): void {
  const conf = program
    .command('conformance')
    .description("run conformance suites against a CRI runtime, CSI driver or CNI plugin (or, with `all`, triad's in-memory plugins)");

  for (const reg of suites()) {
    const cmd = conf.command(reg.name).description(reg.description);
    for (const f of reg.flags) cmd.option(f.flags, f.description, f.default);
    if (COMPARABLE[reg.name])
      cmd.option(
        '--compare <endpoint>',
        `also run the suite against this endpoint, both sides through the recording interposer, and print per case where the two diverge (outcome, codes, answer fields, order of calls); --json FILE writes that comparison; cases run one at a time`,
      );
    addCommon(cmd).action(async (o: CommonOpts & Record<string, unknown>) => {
      if (o.list) return listCases([reg], o);
      if (o.compare) return runCompare(reg, o);
      await runPrepared(async () => [await reg.prepare(o)], o, reg.name);
    });
  }

  conf
    .command('rules [suites...]')
    .description(
      "print rule coverage per suite: the spec's normative statements (conformance/rules/*.yaml), how many cases check, how many are reasoned out, how many are open",
    )
    .option('--open', 'list the open rules')
    .option('--all', 'list every rule with the cases that check it or the reason none can')
    .option('--json', 'print the rules with their cases as JSON')
    .action((names: string[], o: { open?: boolean; all?: boolean; json?: boolean }) => {
      const cov = rulesCoverage(names);
      printRules(cov, o);
      // Open rules, names of rules nobody wrote down, or stale reasons: the rules need work.
      process.exitCode = cov.some((c) => c.open.length || c.unknown.length || c.stale.length) ? 1 : 0;
    });

  addCommon(
    conf.command('all').description(
      `run every suite (${suites()
        .map((s) => s.name)
        .join(', ')}) against triad's in-memory plugins`,
    ),
  )
    .option('--suites <names>', 'comma-separated subset of the suites')
    .action(async (o: CommonOpts & { suites?: string }) => {
      const names = o.suites
        ? o.suites
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : suites().map((s) => s.name);
      const regs = names.map((n) => {
        const r = getSuite(n);
        if (!r)
          throw new Error(
            `unknown suite ${n} (known: ${suites()
              .map((s) => s.name)
              .join(', ')})`,
          );
        return r;
      });
      if (o.list) return listCases(regs, o);
      await runPrepared(
        async () => {
          const out: PreparedSuite[] = [];
          try {
            for (const r of regs) {
              const p = await r.inMemory?.();
              if (p) out.push(p);
              else process.stdout.write(`${r.name}: no in-memory plugin available here; suite not run\n`);
            }
          } catch (e) {
            for (const p of out) await p.dispose().catch(() => undefined);
            throw e;
          }
          return out;
        },
        o,
        names.join('-'),
      );
    });
}
