// Failure details as text lines, shared by the console, JUnit and TAP reporters.
import { toJson } from '../assert.js';
import type { CaseResult, FailureDetails } from '../types.js';

const clip = (s: string, n = 4000) => (s.length > n ? `${s.slice(0, n)}… (${s.length - n} more characters)` : s);

/** Labelled lines: rpc, request, response or status, expected, actual, rule. */
export function failureLines(f: FailureDetails): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (f.rpc) out.push(['rpc', f.rpc]);
  if (f.request !== undefined) out.push(['request', clip(toJson(f.request))]);
  if (f.status) out.push(['status', `${f.status.name}${typeof f.status.code === 'number' && String(f.status.code) !== f.status.name ? ` (${f.status.code})` : ''}: ${f.status.message}`]);
  else if (f.response !== undefined) out.push(['response', clip(toJson(f.response))]);
  if (f.expected !== undefined) out.push(['expected', clip(typeof f.expected === 'string' ? f.expected : toJson(f.expected))]);
  if (f.actual !== undefined && typeof f.actual !== 'string') out.push(['actual', clip(toJson(f.actual))]);
  else if (f.actual !== undefined && f.actual !== '' && f.status === undefined) out.push(['actual', f.actual as string]);
  if (f.rule) out.push(['rule', f.rule]);
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
