// Suite speed: every conformance suite in the registry (conformance/suites.ts, plus whatever the
// CLI registers — new suites are picked up without touching this file), run against triad's
// in-memory plugins and, when it is up, the reference stack; serial and with --parallel.
import { performance } from 'node:perf_hooks';
import { runSuites, type Totals } from '../../conformance/runner/index.js';
import { suites, type PreparedSuite, type RegisteredSuite } from '../../conformance/suites.js';
import type { ReferenceStack } from './reference.js';
import { round } from './stats.js';

// The CLI's conformance command is where suites outside conformance/suites.ts get registered.
await import('../../cli/commands/conformance.js').catch(() => undefined);

export interface SuiteRun {
  suite: string;
  target: 'memory' | 'reference';
  parallel: number;
  wallMs: number;
  /** Sum of the cases' own durations (the runner's per-case time), ms: wallMs beyond it is fixed cost. */
  caseMs?: number;
  /** Cases the runner reported (all, including skipped and not applicable) and how they ended. */
  cases: Totals & { selected: number };
  /** Set when the run could not happen or the suite failed to set up. */
  error?: string;
}

export interface SuiteSkip {
  suite: string;
  target: 'memory' | 'reference';
  reason: string;
}

export interface SuitesOptions {
  parallel: number;
  /** Only the first N cases of each suite (the smoke run); all when undefined. */
  limitCases?: number;
  reference?: ReferenceStack;
  only?: string[];
  progress?: (msg: string) => void;
}

/** CLI options for a registered suite against the reference stack; undefined when there is no sensible mapping. */
function referenceOptions(reg: RegisteredSuite, ref: ReferenceStack): Record<string, unknown> | undefined {
  const s = ref.stack;
  const has = (flag: string) => reg.flags.some((f) => f.flags.split(/[ ,]/).includes(flag));
  if (reg.name === 'cni') return { cniPath: s.network.binDir, config: s.network.conflist, netns: true, ipamStateDir: s.network.ipamDir };
  if (reg.name === 'csi') return s.hostpath ? { 'csi.endpoint': s.hostpath.endpoint } : undefined;
  // Other suites, by their flags: a CRI runtime endpoint gets containerd's; a triad.yaml, the stack's.
  if (has('--runtime-endpoint')) return { runtimeEndpoint: ref.endpoint };
  if (has('--cri.endpoint')) return { 'cri.endpoint': ref.endpoint };
  if (has('--config')) return { config: s.triadYaml };
  return undefined;
}

function focusFirst(reg: RegisteredSuite, n: number): RegExp {
  const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^(${reg
      .cases()
      .slice(0, n)
      .map((c) => esc(c.id))
      .join('|')}) `,
  );
}

async function runOne(
  reg: RegisteredSuite,
  target: 'memory' | 'reference',
  prepare: () => Promise<PreparedSuite | undefined>,
  parallel: number,
  limit?: number,
): Promise<SuiteRun | SuiteSkip> {
  let prepared: PreparedSuite | undefined;
  try {
    prepared = await prepare();
  } catch (e) {
    return {
      suite: reg.name,
      target,
      parallel,
      wallMs: 0,
      cases: { passed: 0, failed: 0, warned: 0, skipped: 0, notApplicable: 0, total: 0, selected: 0 },
      error: `prepare failed: ${(e as Error).message}`,
    };
  }
  if (!prepared) return { suite: reg.name, target, reason: 'no in-memory plugin for this suite here' };
  try {
    const t0 = performance.now();
    const report = await runSuites([prepared.suite], {
      parallel,
      handleSigint: false,
      reporters: [],
      focus: limit ? focusFirst(reg, limit) : undefined,
    });
    const wallMs = performance.now() - t0;
    const sr = report.suites[0];
    const t = report.totals;
    return {
      suite: reg.name,
      target,
      parallel,
      wallMs: round(wallMs, 1),
      caseMs: round(sr?.cases.reduce((a, c) => a + c.durationMs, 0) ?? 0, 1),
      cases: { ...t, selected: t.total - (sr?.cases.filter((c) => c.status === 'skipped' && /--focus|--skip/.test(c.reason ?? '')).length ?? 0) },
      ...(sr?.setupError ? { error: `setup failed: ${sr.setupError}` } : {}),
    };
  } finally {
    await prepared.dispose().catch(() => undefined);
  }
}

export const isSkip = (r: SuiteRun | SuiteSkip): r is SuiteSkip => 'reason' in r;

export async function suiteSpeed(o: SuitesOptions): Promise<Array<SuiteRun | SuiteSkip>> {
  const out: Array<SuiteRun | SuiteSkip> = [];
  const regs = suites().filter((r) => !o.only || o.only.includes(r.name));
  for (const reg of regs) {
    for (const parallel of [1, o.parallel]) {
      if (!reg.inMemory) {
        if (parallel === 1) out.push({ suite: reg.name, target: 'memory', reason: 'the suite has no in-memory target' });
        continue;
      }
      const r = await runOne(reg, 'memory', () => reg.inMemory!(), parallel, o.limitCases);
      if (isSkip(r)) {
        if (parallel === 1) out.push(r);
        break;
      }
      out.push(r);
      o.progress?.(
        `  ${reg.name} on memory, parallel ${parallel}: ${r.wallMs.toFixed(0)} ms, ${r.cases.total} cases (${r.cases.passed} passed, ${r.cases.failed} failed)${r.error ? ` — ${r.error}` : ''}`,
      );
    }
    if (!o.reference) continue;
    const opts = referenceOptions(reg, o.reference);
    if (!opts) {
      out.push({ suite: reg.name, target: 'reference', reason: 'no known way to point this suite at the reference stack' });
      continue;
    }
    for (const parallel of [1, o.parallel]) {
      const r = await runOne(reg, 'reference', () => reg.prepare(opts), parallel, o.limitCases);
      out.push(r);
      if (!isSkip(r))
        o.progress?.(
          `  ${reg.name} on the reference stack, parallel ${parallel}: ${r.wallMs.toFixed(0)} ms, ${r.cases.total} cases${r.error ? ` — ${r.error}` : ''}`,
        );
    }
  }
  return out;
}
