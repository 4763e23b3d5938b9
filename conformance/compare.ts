// `triad conformance cri|csi --compare ENDPOINT2`: the suite on two plugins, each behind the
// interposer (interfaces/interposer/proxy.ts) recording every call, the calls attributed to the
// case that made them (cases run one at a time), then per case: a different outcome, and what
// harness/diff.ts finds in the two transcripts (a method called more often on one side, another
// order of calls, a different code for the n-th call of a method, answer fields on one side only;
// a case one side did not run shows its outcome only).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffRuns, type Divergence } from '../harness/diff.js';
import { startProxy } from '../interfaces/interposer/proxy.js';
import type { TranscriptEntry } from '../interfaces/interposer/transcript.js';
import { runSuites, type Reporter, type RunOptions, type RunReport, type Status } from './runner/index.js';
import type { RegisteredSuite } from './suites.js';

/** The suites --compare works on: the option naming the endpoint put behind the proxy, and options it cannot take along. */
export const COMPARABLE: Record<string, { key: string; flag: string; env: string; refuse: Array<[key: string, flag: string]> }> = {
  cri: { key: 'runtimeEndpoint', flag: '--runtime-endpoint', env: 'CONTAINER_RUNTIME_ENDPOINT', refuse: [['imageEndpoint', '--image-endpoint']] },
  csi: { key: 'csi.endpoint', flag: '--csi.endpoint', env: 'CSI_ENDPOINT', refuse: [['csi.controllerendpoint', '--csi.controllerendpoint']] },
};

/** Calls made before the first case (the suite's setup: connect, discover capabilities). */
export const SETUP = '(setup)';

export interface SideRecord {
  endpoint: string;
  report: RunReport;
  calls: Map<string, TranscriptEntry[]>;
}

export interface CaseComparison {
  /** Case id, or (setup). */
  id: string;
  a?: Status;
  b?: Status;
  /** Why a side did not run it (skipped / not applicable), or its failure. */
  aReason?: string;
  bReason?: string;
  divergences: Array<Divergence & { alsoIn?: string[] }>;
}

export interface CompareResult {
  suite: string;
  a: { endpoint: string; calls: number; totals: RunReport['totals'] };
  b: { endpoint: string; calls: number; totals: RunReport['totals'] };
  /** Only the cases where the two sides diverge. */
  cases: CaseComparison[];
  divergences: number;
}

/**
 * Run `reg` against `endpoint` with the proxy in front; every call recorded under the case that
 * made it (calls of a case's cleanup and leak check count to it). Cases run one at a time.
 */
export async function recordSuite(
  reg: RegisteredSuite,
  opts: Record<string, unknown>,
  endpoint: string,
  run: Omit<RunOptions, 'parallel' | 'reporters'> & { reporters?: Reporter[] } = {},
): Promise<SideRecord> {
  const how = COMPARABLE[reg.name];
  if (!how) throw new Error(`--compare works on the ${Object.keys(COMPARABLE).join(' and ')} suites, not ${reg.name}`);
  const dir = mkdtempSync(join(tmpdir(), 'triad-compare-'));
  try {
    const proxy = await startProxy({ listen: join(dir, 'proxy.sock'), upstream: endpoint });
    const calls = new Map<string, TranscriptEntry[]>();
    let current = SETUP;
    const stop = proxy.watch((e) => {
      let list = calls.get(current);
      if (!list) calls.set(current, (list = []));
      list.push(e);
    });
    const attribute: Reporter = {
      caseStart: (_suite, c) => {
        current = c.id;
      },
    };
    try {
      const prepared = await reg.prepare({ ...opts, [how.key]: proxy.endpoint.display });
      try {
        const report = await runSuites([prepared.suite], { ...run, parallel: 1, reporters: [attribute, ...(run.reporters ?? [])] });
        return { endpoint, report, calls };
      } finally {
        await prepared.dispose();
      }
    } finally {
      stop();
      await proxy.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const count = (m: Map<string, TranscriptEntry[]>) => [...m.values()].reduce((n, l) => n + l.length, 0);

/** Per case: a different outcome, and the divergences of its two transcripts. */
export function compareSides(suite: string, a: SideRecord, b: SideRecord): CompareResult {
  const ra = new Map(a.report.suites.flatMap((s) => s.cases).map((c) => [c.id, c]));
  const rb = new Map(b.report.suites.flatMap((s) => s.cases).map((c) => [c.id, c]));
  const ids = [SETUP, ...new Set([...ra.keys(), ...rb.keys()])];
  const cases: CaseComparison[] = [];
  // a divergence most cases share (a field one driver always fills) is shown once, where it first
  // appears, with the other cases it appears in
  const first = new Map<string, Divergence & { alsoIn?: string[] }>();
  for (const id of ids) {
    const x = ra.get(id);
    const y = rb.get(id);
    const side = (endpoint: string, list: TranscriptEntry[] | undefined) => ({ config: endpoint, calls: list ?? [], pods: [], errors: [] });
    const divergences: CaseComparison['divergences'] = [];
    // a case one side did not run (not applicable, skipped) has nothing to compare but its outcome
    const ran = (st: Status | undefined) => st !== 'not-applicable' && st !== 'skipped';
    if (id === SETUP || (ran(x?.status) && ran(y?.status)))
      for (const d of diffRuns(side(a.endpoint, a.calls.get(id)), side(b.endpoint, b.calls.get(id))).divergences) {
        const key = `${d.kind} ${d.where.replace(/#\d+$/, '')} ${JSON.stringify([d.a, d.b])}`;
        const seen = first.get(key);
        if (seen) {
          (seen.alsoIn ??= []).push(id);
          continue;
        }
        const own = { ...d };
        first.set(key, own);
        divergences.push(own);
      }
    if (x?.status === y?.status && !divergences.length) continue;
    const why = (r: typeof x) => r?.reason ?? r?.failure?.message;
    cases.push({ id, a: x?.status, b: y?.status, ...(why(x) ? { aReason: why(x) } : {}), ...(why(y) ? { bReason: why(y) } : {}), divergences });
  }
  return {
    suite,
    a: { endpoint: a.endpoint, calls: count(a.calls), totals: a.report.totals },
    b: { endpoint: b.endpoint, calls: count(b.calls), totals: b.report.totals },
    cases,
    divergences: cases.reduce((n, c) => n + c.divergences.length + (c.a !== c.b ? 1 : 0), 0),
  };
}

const totalsText = (t: RunReport['totals']) =>
  `${t.passed} passed, ${t.failed} failed, ${t.warned} warned, ${t.skipped} skipped, ${t.notApplicable} not applicable`;

export function compareText(r: CompareResult): string {
  let s = `A: ${r.a.endpoint} (${r.a.calls} calls; ${totalsText(r.a.totals)})\nB: ${r.b.endpoint} (${r.b.calls} calls; ${totalsText(r.b.totals)})\n`;
  if (!r.cases.length) return `${s}no divergence\n`;
  s += `${r.divergences} divergence${r.divergences === 1 ? '' : 's'} in ${r.cases.length} case${r.cases.length === 1 ? '' : 's'}:\n`;
  for (const c of r.cases) {
    s += `${c.id}${c.a === c.b ? '' : `: A ${c.a ?? 'absent'}, B ${c.b ?? 'absent'}`}\n`;
    if (c.a !== c.b)
      for (const [side, why] of [
        ['A', c.aReason],
        ['B', c.bReason],
      ] as const)
        if (why) s += `    ${side}: ${why.split('\n')[0]}\n`;
    for (const d of c.divergences) {
      s += `  [${d.kind}] ${d.message}${d.alsoIn ? ` (also in ${d.alsoIn.length} more case${d.alsoIn.length === 1 ? '' : 's'})` : ''}\n`;
      if (d.kind === 'order') s += `      A: ${JSON.stringify(d.a)}\n      B: ${JSON.stringify(d.b)}\n`;
    }
  }
  return s;
}
