// Runs suites of cases against a plugin: selects (--focus/--skip), decides applicability from the
// capabilities the plugin reported, runs cases N at a time with a hard per-case timeout (a hung
// plugin fails that case, never the run), runs every case's cleanups whatever happened, checks
// for leaked resources after each suite, and handles SIGINT (cleanups first, then exit 130).
import { randomBytes } from 'node:crypto';
import { ConformanceFailure, fromCall, ruleFields } from './assert.js';
import { CaseContext, SkipCase } from './context.js';
import type { CaseDef, CaseResult, FailureDetails, Reporter, RpcCoverage, RunInfo, RunReport, Suite, SuiteReport, SuiteSession, Tag, Totals } from './types.js';

export interface RunOptions {
  /** Only cases whose id, name or tags match. */
  focus?: string | RegExp;
  /** Not cases whose id, name or tags match. */
  skip?: string | RegExp;
  /** Cases in flight at once (default 1). */
  parallel?: number;
  /** Per-case timeout, ms (default 30 s). */
  timeoutMs?: number;
  /** Per cleanup step, ms (default min(timeout, 15 s)). */
  cleanupTimeoutMs?: number;
  /** Suite setup (connect, discover capabilities), ms (default 30 s). */
  setupTimeoutMs?: number;
  reporters?: Reporter[];
  /** Default: 6 random hex digits. */
  runId?: string;
  /** Handle SIGINT while running (default true). */
  handleSigint?: boolean;
  /** After an interrupted run's cleanups and reports: process.exit(130) (default false: return). */
  exitOnInterrupt?: boolean;
  /** A failing [Optional] case fails the run too (default: it is a warning, status `warned`). */
  strict?: boolean;
  /** The node under test, carried into the report (fleet reports tell runs apart by it). */
  node?: string;
}

/** The runner's own rules (conformance/rules/runner.yaml): what every CO relies on. */
export const RUNNER_RULES = {
  deadline: 'runner.call.answers-within-deadline',
  cleanup: 'runner.cleanup.deletes-succeed',
  leaks: 'runner.leak-check.nothing-left',
} as const;

const toRe = (r: string | RegExp | undefined) => (r === undefined || r === '' ? undefined : r instanceof RegExp ? r : new RegExp(r));
const tagsOf = (c: CaseDef<any>): Tag[] => c.tags ?? ['Conformance'];
/** What --focus / --skip match against. */
export const matchText = (c: CaseDef<any>) =>
  `${c.id} ${c.name} ${tagsOf(c)
    .map((t) => `[${t}]`)
    .join(' ')}${c.rpc?.length ? ` rpc:${c.rpc.join(',')}` : ''}`;

/** Which cases a filter selects, and why the others are not. */
export function selectCases<E>(suite: Suite<E>, opts: Pick<RunOptions, 'focus' | 'skip'>): Array<{ c: CaseDef<E>; skipped?: string }> {
  const focus = toRe(opts.focus);
  const skip = toRe(opts.skip);
  return suite.cases.map((c) => {
    const text = matchText(c);
    if (focus && !focus.test(text)) return { c, skipped: `not selected by --focus ${focus.source}` };
    if (skip && skip.test(text)) return { c, skipped: `matched --skip ${skip.source}` };
    return { c };
  });
}

export function totals(cases: CaseResult[]): Totals {
  const t: Totals = { passed: 0, failed: 0, warned: 0, skipped: 0, notApplicable: 0, total: cases.length };
  for (const c of cases) {
    if (c.status === 'passed') t.passed++;
    else if (c.status === 'failed') t.failed++;
    else if (c.status === 'warned') t.warned++;
    else if (c.status === 'skipped') t.skipped++;
    else t.notApplicable++;
  }
  return t;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function errorDetails(err: unknown): FailureDetails {
  if (err instanceof ConformanceFailure) return err.details;
  const e = err as { message?: string; stack?: string; code?: unknown; codeName?: string; rpc?: string; details?: string };
  const d: FailureDetails = { kind: 'error', message: e?.message ?? String(err), stack: e?.stack };
  // An RPC error no assertion expected: still name the RPC and the code.
  if (typeof e?.rpc === 'string' && typeof e?.code === 'number') {
    d.rpc = e.rpc;
    d.status = { code: e.code, name: e.codeName ?? String(e.code), message: e.details ?? d.message };
    d.message = `unexpected ${e.codeName ?? e.code} from ${e.rpc}: ${e.details ?? e.message}`;
  }
  return d;
}

/**
 * The coverage table of a suite that declares its RPCs: every declared RPC, then any other recorded
 * one. Rows are named as calls are recorded ("Service/Method"); a case that declares the proto
 * method name (CaseDef.rpc) is one of the cases about that row.
 */
export function rpcCoverage(
  rpcs: string[],
  calls: Map<string, CallTally>,
  results: CaseResult[],
  notes: Record<string, string> = {},
  cases: CaseDef<unknown>[] = [],
): RpcCoverage[] {
  const status = new Map(results.map((r) => [r.id, r.status]));
  const names = [...rpcs, ...[...calls.keys()].filter((r) => !rpcs.includes(r)).sort()];
  return names.map((rpc) => {
    const t = calls.get(rpc);
    const method = rpc.slice(rpc.lastIndexOf('/') + 1);
    const row: RpcCoverage = {
      rpc,
      calls: t?.calls ?? 0,
      answers: { ...(t?.answers ?? {}) },
      cases: [...(t?.cases ?? [])].map((id) => ({ id, status: status.get(id) ?? 'failed' })),
      about: cases.filter((c) => c.rpc?.includes(method) && status.has(c.id)).map((c) => ({ id: c.id, status: status.get(c.id)! })),
    };
    if (!row.calls && notes[rpc]) row.note = notes[rpc];
    return row;
  });
}

export interface CallTally {
  calls: number;
  answers: Record<string, number>;
  cases: Set<string>;
}

class Interrupt {
  fired = false;
  private listeners = new Set<() => void>();
  promise = new Promise<'interrupted'>((resolve) => this.listeners.add(() => resolve('interrupted')));
  fire(): void {
    if (this.fired) return;
    this.fired = true;
    for (const l of this.listeners) l();
  }
}

export async function runSuites(suites: Suite<any>[], opts: RunOptions = {}): Promise<RunReport> {
  const runId = opts.runId ?? randomBytes(3).toString('hex');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const run: RunInfo = { runId, prefix: `triad-${runId}`, timeoutMs };
  const parallel = Math.max(1, Math.floor(opts.parallel ?? 1));
  const reporters = opts.reporters ?? [];
  const started = Date.now();
  const interrupt = new Interrupt();
  let seq = 0;

  const onSigint = () => {
    if (interrupt.fired) {
      process.stderr.write('\nsecond interrupt: exiting without finishing cleanup\n');
      process.exit(130);
    }
    process.stderr.write('\ninterrupted: running cleanups (interrupt again to exit at once)\n');
    interrupt.fire();
  };
  if (opts.handleSigint ?? true) process.on('SIGINT', onSigint);

  const emit = <K extends keyof Reporter>(k: K, ...args: Parameters<NonNullable<Reporter[K]>>) => {
    for (const r of reporters) {
      try {
        (r[k] as ((...a: unknown[]) => void) | undefined)?.(...args);
      } catch {
        /* a reporter must not break the run */
      }
    }
  };

  const suiteReports: SuiteReport[] = [];
  try {
    for (const suite of suites) {
      suiteReports.push(await runSuite(suite));
      if (interrupt.fired) break;
    }
  } finally {
    if (opts.handleSigint ?? true) process.off('SIGINT', onSigint);
  }
  const all = suiteReports.flatMap((s) => s.cases);
  const report: RunReport = {
    runId,
    prefix: run.prefix,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    interrupted: interrupt.fired,
    ...(opts.node ? { node: opts.node } : {}),
    options: { focus: toRe(opts.focus)?.source, skip: toRe(opts.skip)?.source, parallel, timeoutMs, strict: opts.strict === true },
    suites: suiteReports,
    totals: totals(all),
  };
  for (const r of reporters) {
    try {
      await r.end?.(report);
    } catch (e) {
      process.stderr.write(`reporter failed: ${(e as Error).message}\n`);
    }
  }
  if (interrupt.fired && opts.exitOnInterrupt) process.exit(130);
  return report;

  async function runSuite(suite: Suite<any>): Promise<SuiteReport> {
    const t0 = Date.now();
    const results: CaseResult[] = [];
    const tally = new Map<string, CallTally>();
    const base = (c: CaseDef<any>) => ({ suite: suite.name, id: c.id, name: c.name, group: c.group, tags: tagsOf(c), durationMs: 0 });
    const push = (r: CaseResult) => {
      results.push(r);
      emit('caseEnd', r);
    };
    const selection = selectCases(suite, opts);
    const selected = selection.filter((s) => !s.skipped);
    const done = (session?: SuiteSession<any>, setupError?: string): SuiteReport => {
      // Reports list cases in definition order (live output showed them as they ended).
      const order = new Map(suite.cases.map((c, i) => [c.id, i]));
      const rank = (id: string) => (id.endsWith('.setup') ? -1 : (order.get(id) ?? 1e9));
      results.sort((a, b) => rank(a.id) - rank(b.id));
      const rep: SuiteReport = {
        name: suite.name,
        title: suite.title,
        facts: session?.facts ?? {},
        capabilities: [...(session?.capabilities ?? [])].sort(),
        setupError,
        cases: results,
        totals: totals(results),
        durationMs: Date.now() - t0,
      };
      if (suite.rpcs) rep.rpcCoverage = rpcCoverage(suite.rpcs, tally, results, session?.rpcNotes, suite.cases);
      emit('suiteEnd', rep);
      return rep;
    };

    if (selected.length === 0) {
      emit('suiteStart', suite, undefined, 0);
      for (const s of selection) push({ ...base(s.c), status: 'skipped', reason: s.skipped });
      return done();
    }

    let session: SuiteSession<any>;
    try {
      session = await withTimeout(suite.setup(run), opts.setupTimeoutMs ?? 30_000, `${suite.name} suite setup`);
    } catch (err) {
      const d = errorDetails(err);
      emit('suiteStart', suite, undefined, selection.length + 1);
      push({
        suite: suite.name,
        id: `${suite.name}.setup`,
        name: `Connect to the plugin and discover its capabilities`,
        group: suite.name,
        tags: ['Conformance'],
        status: 'failed',
        durationMs: Date.now() - t0,
        failure: { ...d, message: `suite setup failed: ${d.message}` },
      });
      for (const s of selection) push({ ...base(s.c), status: 'skipped', reason: s.skipped ?? `${suite.name} suite setup failed` });
      return done(undefined, d.message);
    }
    const caps = session.capabilities;
    emit('suiteStart', suite, { facts: session.facts ?? {}, capabilities: [...caps].sort() }, selection.length + (session.leakCheck ? 1 : 0));

    try {
      const runnable: CaseDef<any>[] = [];
      for (const s of selection) {
        if (s.skipped) {
          push({ ...base(s.c), status: 'skipped', reason: s.skipped });
          continue;
        }
        const missing = (s.c.needs ?? []).filter((n) => !caps.has(n));
        if (missing.length) {
          push({ ...base(s.c), status: 'not-applicable', reason: missing.map((m) => session.explain?.(m) ?? `the plugin does not have ${m}`).join('; ') });
          continue;
        }
        let why: string | undefined;
        try {
          why = s.c.applies?.(session.env);
        } catch (e) {
          why = `applicability check failed: ${(e as Error).message}`;
        }
        if (why) {
          push({ ...base(s.c), status: 'not-applicable', reason: why });
          continue;
        }
        const env = session.environment?.(s.c);
        if (env) {
          push({ ...base(s.c), status: 'skipped', reason: env });
          continue;
        }
        runnable.push(s.c);
      }

      const concurrent = runnable.filter((c) => !c.serial && !tagsOf(c).includes('Disruptive'));
      const alone = runnable.filter((c) => c.serial || tagsOf(c).includes('Disruptive'));
      const queue = [...concurrent];
      const worker = async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          if (interrupt.fired) {
            push({ ...base(c), status: 'skipped', reason: 'run interrupted (SIGINT) before this case started' });
            continue;
          }
          push(await runCase(suite, c, session, tally));
        }
      };
      await Promise.all(Array.from({ length: Math.min(parallel, Math.max(1, queue.length)) }, worker));
      for (const c of alone) {
        if (interrupt.fired) {
          push({ ...base(c), status: 'skipped', reason: 'run interrupted (SIGINT) before this case started' });
          continue;
        }
        push(await runCase(suite, c, session, tally));
      }

      if (session.leakCheck) {
        const id = `${suite.name}.leak-check`;
        const lc = { suite: suite.name, id, name: `Nothing this run created is left at the plugin`, group: suite.name, tags: ['Conformance'] as Tag[] };
        if (interrupt.fired) push({ ...lc, status: 'skipped', durationMs: 0, reason: 'run interrupted (SIGINT)' });
        else {
          const l0 = Date.now();
          try {
            const leaks = await withTimeout(session.leakCheck(), timeoutMs, 'leak check');
            push(
              leaks.length
                ? {
                    ...lc,
                    status: 'failed',
                    durationMs: Date.now() - l0,
                    failure: {
                      kind: 'assertion',
                      message: `${leaks.length} resource(s) of run ${run.prefix} still exist after every case's cleanup: ${leaks.join('; ')}`,
                      ...ruleFields(RUNNER_RULES.leaks),
                      actual: leaks,
                    },
                  }
                : { ...lc, status: 'passed', durationMs: Date.now() - l0 },
            );
          } catch (err) {
            push({
              ...lc,
              status: 'failed',
              durationMs: Date.now() - l0,
              failure: { ...errorDetails(err), message: `leak check failed: ${errorDetails(err).message}` },
            });
          }
        }
      }
    } finally {
      try {
        await withTimeout(Promise.resolve(session.teardown?.()), 30_000, `${suite.name} teardown`);
      } catch (e) {
        process.stderr.write(`${suite.name} teardown: ${(e as Error).message}\n`);
      }
    }
    return done(session);
  }

  async function runCase(suite: Suite<any>, c: CaseDef<any>, session: SuiteSession<any>, tally: Map<string, CallTally>): Promise<CaseResult> {
    const ctx = new CaseContext(run, c.id, ++seq);
    const limit = c.timeoutMs ?? timeoutMs;
    ctx.endsAt = Date.now() + limit;
    emit('caseStart', suite.name, c);
    const t0 = Date.now();
    const r: CaseResult = { suite: suite.name, id: c.id, name: c.name, group: c.group, tags: tagsOf(c), status: 'passed', durationMs: 0 };
    if (c.rules?.length) r.rules = c.rules;

    let timer: NodeJS.Timeout | undefined;
    const body = Promise.resolve()
      .then(() => c.run(ctx, session.env))
      .then(() => 'ok' as const);
    body.catch(() => undefined); // an abandoned (timed out) case must not raise an unhandled rejection later
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), limit);
    });
    try {
      const outcome = await Promise.race([body, timeout, interrupt.promise]);
      if (outcome === 'timeout') {
        ctx.abort('timed out');
        const pending = [...ctx.calls].reverse().find((x) => !('response' in x) && !x.error);
        r.status = 'failed';
        r.failure = {
          kind: 'timeout',
          ...fromCall(pending),
          message: pending ? `timed out after ${limit} ms waiting for ${pending.rpc} (the plugin did not answer)` : `timed out after ${limit} ms`,
          ...ruleFields(RUNNER_RULES.deadline),
        };
      } else if (outcome === 'interrupted') {
        ctx.abort('interrupted');
        r.status = 'skipped';
        r.reason = 'run interrupted (SIGINT) while this case ran';
      }
    } catch (err) {
      if (err instanceof SkipCase) {
        r.status = err.notApplicable ? 'not-applicable' : 'skipped';
        r.reason = err.reason;
      } else {
        r.status = 'failed';
        r.failure = errorDetails(err);
        if (!r.failure.rpc && ctx.lastCall && r.failure.kind === 'error') Object.assign(r.failure, fromCall(ctx.lastCall), { message: r.failure.message });
        // A call whose deadline was the case's own (ctx.deadlineMs) can lose the race with the
        // case timer: that is the case timing out on a plugin that did not answer, not a wrong answer.
        if (r.failure.status?.name === 'DEADLINE_EXCEEDED' && Date.now() >= ctx.endsAt - 20) {
          Object.assign(r.failure, {
            kind: 'timeout',
            message: `timed out after ${limit} ms waiting for ${r.failure.rpc ?? 'the plugin'} (the plugin did not answer)`,
            ...ruleFields(RUNNER_RULES.deadline),
          });
        }
      }
    } finally {
      clearTimeout(timer);
    }

    // Cleanups, newest first, each bounded; a late registration (from a case that timed out and
    // then got an answer) runs at once.
    const errors: string[] = [];
    const per = opts.cleanupTimeoutMs ?? Math.min(limit, 15_000);
    const cleanups = ctx.cleanups.splice(0);
    ctx.cleanup = (fn, description) => {
      Promise.resolve()
        .then(fn)
        .catch((e) => process.stderr.write(`late cleanup of ${c.id} (${description}) failed: ${(e as Error).message}\n`));
    };
    for (const cl of cleanups.reverse()) {
      try {
        await withTimeout(Promise.resolve().then(cl.fn), per, cl.description);
      } catch (e) {
        errors.push(`${cl.description}: ${(e as Error).message}`);
      }
    }
    if (errors.length) {
      r.cleanupErrors = errors;
      if (r.status === 'passed') {
        r.status = 'failed';
        r.failure = { kind: 'cleanup', message: `cleanup failed: ${errors.join('; ')}`, ...ruleFields(RUNNER_RULES.cleanup) };
      }
    }
    // An assertion's rule must be one the case declares, so coverage (computed from the
    // declarations) never claims less than the cases check.
    const ruleId = r.failure?.ruleId;
    if (ruleId && r.failure?.kind === 'assertion' && c.rules && !c.rules.includes(ruleId)) {
      ctx.log(`suite bug: the failed assertion names rule ${ruleId}, which case ${c.id} does not declare in its rules`);
    }
    // [Optional] cases warn unless the run is strict (the spec's SHOULDs and open behaviour).
    if (r.status === 'failed' && !opts.strict && tagsOf(c).includes('Optional')) r.status = 'warned';
    if (ctx.notes.length) r.notes = ctx.notes;
    r.durationMs = Date.now() - t0;
    for (const call of ctx.calls) {
      let t = tally.get(call.rpc);
      if (!t) tally.set(call.rpc, (t = { calls: 0, answers: {}, cases: new Set() }));
      t.calls++;
      const answer = call.error ? call.error.name : 'response' in call ? 'OK' : 'no answer';
      t.answers[answer] = (t.answers[answer] ?? 0) + 1;
      t.cases.add(c.id);
    }
    return r;
  }
}
