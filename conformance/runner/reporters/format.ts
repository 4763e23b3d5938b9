// Failure details as text lines, shared by the console, JUnit and TAP reporters.
import { toJson } from '../assert.js';
import type { CaseResult, FailureDetails, RpcCoverage } from '../types.js';

const clip = (s: string, n = 4000) => (s.length > n ? `${s.slice(0, n)}… (${s.length - n} more characters)` : s);

/** Labelled lines: rpc, request, response or status, expected, actual, rule. */
export function failureLines(f: FailureDetails): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (f.rpc) out.push(['rpc', f.rpc]);
  if (f.request !== undefined) out.push(['request', clip(toJson(f.request))]);
  if (f.status)
    out.push([
      'status',
      `${f.status.name}${typeof f.status.code === 'number' && String(f.status.code) !== f.status.name ? ` (${f.status.code})` : ''}: ${f.status.message}`,
    ]);
  else if (f.response !== undefined) out.push(['response', clip(toJson(f.response))]);
  if (f.expected !== undefined) out.push(['expected', clip(typeof f.expected === 'string' ? f.expected : toJson(f.expected))]);
  if (f.actual !== undefined && typeof f.actual !== 'string') out.push(['actual', clip(toJson(f.actual))]);
  else if (f.actual !== undefined && f.actual !== '' && f.status === undefined) out.push(['actual', f.actual as string]);
  if (f.ruleId) out.push(['rule', `${f.ruleId}: ${f.rule ?? ''}`]);
  else if (f.rule) out.push(['rule', f.rule]);
  return out;
}

/** A plain-text block: message, then the labelled lines, then cleanup errors and notes. */
export function failureText(r: CaseResult, withStack = false): string {
  const f = r.failure;
  const lines: string[] = [];
  if (f) {
    lines.push(f.message);
    for (const [k, v] of failureLines(f)) lines.push(`${k}: ${v}`);
    if (withStack && f.stack && f.kind === 'error') lines.push(f.stack);
  }
  for (const e of r.cleanupErrors ?? []) if (!f || f.kind !== 'cleanup') lines.push(`cleanup failed: ${e}`);
  for (const n of r.notes ?? []) lines.push(`note: ${n}`);
  return lines.join('\n');
}

/** "3 passed, 1 not-applicable" */
function tallyOf(cases: Array<{ status: string }>): string {
  const by: Record<string, number> = {};
  for (const c of cases) by[c.status] = (by[c.status] ?? 0) + 1;
  return Object.entries(by)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

/**
 * The RPC coverage table as text rows: RPC, calls, answers by code, the results of the cases that
 * called it, and of the cases about it (those that declare it).
 */
export function coverageLines(rows: RpcCoverage[]): string[] {
  const called = rows.filter((r) => r.calls > 0).length;
  const declared = rows.filter((r) => r.about?.length).length;
  const width = Math.max(...rows.map((r) => r.rpc.length), 3);
  const out = [`RPC coverage: ${called} of ${rows.length} RPCs called by cases, ${declared} with cases about them`];
  for (const r of rows) {
    const about = r.about?.length ? `; about it: ${tallyOf(r.about)}` : '';
    if (!r.calls) {
      out.push(`${r.rpc.padEnd(width)}  ${'0 calls'.padStart(9)}  not called${r.note ? `: ${r.note}` : ''}${about}`);
      continue;
    }
    const answers = Object.entries(r.answers)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    const by: Record<string, number> = {};
    for (const c of r.cases) by[c.status] = (by[c.status] ?? 0) + 1;
    const results = Object.entries(by)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    out.push(
      `${r.rpc.padEnd(width)}  ${`${r.calls} call${r.calls === 1 ? '' : 's'}`.padStart(9)}  ${answers}; ${r.cases.length} case${r.cases.length === 1 ? '' : 's'}: ${results}${about}`,
    );
  }
  return out;
}
