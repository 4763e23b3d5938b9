// Live console output: one line per case as it ends; failures get the call, the request, the
// answer (status code by name), the expectation and the rule. Ends with
// "N passed, N failed, N skipped" (", N warned" when [Optional] cases failed without --strict) and a
// second line splitting skipped from not-applicable.
import type { CaseResult, Reporter, RunReport, Suite, SuiteReport } from '../types.js';
import { coverageLines, failureLines } from './format.js';

export interface ConsoleOptions {
  write?: (s: string) => void;
  /** Also list cases left out by --focus/--skip (default: just count them). */
  verbose?: boolean;
  color?: boolean;
}

export function consoleReporter(o: ConsoleOptions = {}): Reporter {
  const write =
    o.write ??
    ((s: string) => {
      process.stdout.write(s);
    });
  const color = o.color ?? (process.stdout.isTTY && !process.env.NO_COLOR);
  const paint = (code: string, s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const label = {
    passed: paint('32', 'PASS'),
    failed: paint('31;1', 'FAIL'),
    warned: paint('35', 'WARN'),
    skipped: paint('33', 'SKIP'),
    'not-applicable': paint('36', 'N/A '),
  } as const;
  const filtered = new Map<string, number>();
  const ms = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${n} ms`);

  return {
    suiteStart(suite: Suite<any>, session, planned) {
      const facts = session
        ? Object.entries(session.facts)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')
        : '';
      write(`\n${paint('1', suite.title)} (${planned} case${planned === 1 ? '' : 's'})${facts ? `\n  ${facts}` : ''}\n`);
    },
    caseEnd(r: CaseResult) {
      if (r.status === 'skipped' && /^(not selected by --focus|matched --skip)/.test(r.reason ?? '') && !o.verbose) {
        filtered.set(r.suite, (filtered.get(r.suite) ?? 0) + 1);
        return;
      }
      const tail = r.status === 'passed' || r.status === 'failed' || r.status === 'warned' ? ` (${ms(r.durationMs)})` : ` — ${r.reason}`;
      write(`  ${label[r.status]}  ${r.id}  ${paint('2', r.name)}${tail}\n`);
      if (r.status !== 'failed' && r.status !== 'warned') return;
      const f = r.failure;
      if (f) {
        write(`        ${paint('31', f.message)}\n`);
        for (const [k, v] of failureLines(f)) write(`        ${(k + ':').padEnd(10)}${v.replace(/\n/g, '\n                  ')}\n`);
        if (f.kind === 'error' && f.stack && process.env.TRIAD_DEBUG) write(`        ${f.stack.replace(/\n/g, '\n        ')}\n`);
      }
      for (const e of r.cleanupErrors ?? []) if (f?.kind !== 'cleanup') write(`        cleanup failed: ${e}\n`);
      for (const n of r.notes ?? []) write(`        note: ${n}\n`);
    },
    suiteEnd(rep: SuiteReport) {
      const n = filtered.get(rep.name);
      if (n) write(`  (${n} case${n === 1 ? '' : 's'} not selected by --focus/--skip)\n`);
      if (rep.rpcCoverage?.length) {
        const [head, ...rows] = coverageLines(rep.rpcCoverage);
        write(`\n  ${paint('1', head)}\n`);
        for (const l of rows) write(`    ${/  not called/.test(l) ? paint('33', l) : l}\n`);
      }
    },
    end(rep: RunReport) {
      const t = rep.totals;
      const failed = rep.suites.flatMap((s) => s.cases).filter((c) => c.status === 'failed');
      if (failed.length) {
        write(`\n${paint('31;1', 'Failed:')}\n`);
        for (const c of failed) write(`  ${c.id}: ${c.failure?.message ?? 'failed'}${c.failure?.ruleId ? ` [${c.failure.ruleId}]` : ''}\n`);
      }
      const warned = rep.suites.flatMap((s) => s.cases).filter((c) => c.status === 'warned');
      if (warned.length) {
        write(`\n${paint('35', 'Warnings')} (optional cases that failed; --strict makes them failures):\n`);
        for (const c of warned) write(`  ${c.id}: ${c.failure?.message ?? 'failed'}${c.failure?.ruleId ? ` [${c.failure.ruleId}]` : ''}\n`);
      }
      if (rep.interrupted) write('\nrun interrupted (SIGINT): cleanups ran, remaining cases skipped\n');
      write(`\n${t.passed} passed, ${t.failed} failed, ${t.skipped + t.notApplicable} skipped${t.warned ? `, ${t.warned} warned` : ''}\n`);
      write(
        `skipped: ${t.skipped} by --focus/--skip or the environment, ${t.notApplicable} not applicable (capability absent); run ${rep.runId} in ${ms(rep.durationMs)}\n`,
      );
    },
  };
}

/** Print a summary block for a finished report (no live output). */
export function printSummary(rep: RunReport, o: ConsoleOptions = {}): void {
  const r = consoleReporter({ ...o, verbose: false });
  for (const s of rep.suites) {
    r.suiteStart?.(
      {
        name: s.name,
        title: s.title,
        cases: [],
        setup: async () => {
          throw new Error('unused');
        },
      },
      { facts: s.facts, capabilities: s.capabilities },
      s.cases.length,
    );
    for (const c of s.cases) r.caseEnd?.(c);
    r.suiteEnd?.(s);
  }
  void r.end?.(rep);
}
