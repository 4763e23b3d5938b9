// Assertions for conformance cases. Each takes an options object naming the spec `rule` the
// expectation comes from (and `what` is checked, the `call` to show), and a
// failure carries everything a plugin author needs: the call, the request, what came back (the
// response, or the status with its code by name), what was expected, and that rule.
import { isDeepStrictEqual } from 'node:util';
import { findRule, isRuleId } from '../rules/index.js';
import { callOf, type CallRecord } from './context.js';
import type { FailureDetails } from './types.js';

/**
 * The `rule` an assertion names: a rule id (conformance/rules/<suite>.yaml) becomes its id plus
 * its text; free text (the older style) stays as it is.
 */
export function ruleFields(rule: string | undefined): Pick<FailureDetails, 'rule' | 'ruleId'> {
  if (!isRuleId(rule)) return rule === undefined ? {} : { rule };
  const r = findRule(rule);
  return { ruleId: rule, rule: r ? r.says : `(no rule ${rule} in conformance/rules: a bug in the suite)` };
}

export class ConformanceFailure extends Error {
  readonly details: FailureDetails;
  constructor(details: FailureDetails) {
    super(details.message);
    this.name = 'ConformanceFailure';
    this.details = details.ruleId || details.rule === undefined ? details : { ...details, ...ruleFields(details.rule) };
  }
}

/**
 * What every assertion is told besides the values it compares: the spec `rule` the expectation
 * comes from (a rule id, or free text), `what` is checked (a field, "status.state"), and the
 * `call` whose request and answer the failure shows (a tracked promise or its record).
 */
export interface Expect {
  rule: string;
  what?: string;
  call?: unknown;
}

/** fail()'s details: the rule, the call, and any other field of the failure (expected, actual…). */
export type FailOptions = Partial<FailureDetails> & { call?: unknown };

/** Build and throw a failure. `call` may be a tracked promise or its record. */
export function fail(message: string, opts: FailOptions = {}): never {
  const { call, ...rest } = opts;
  const rec = call && typeof (call as Promise<unknown>).then === 'function' ? callOf(call) : (call as CallRecord | undefined);
  throw new ConformanceFailure({ kind: 'assertion', message, ...fromCall(rec), ...rest });
}

export function fromCall(rec: CallRecord | undefined): Partial<FailureDetails> {
  if (!rec) return {};
  const out: Partial<FailureDetails> = { rpc: rec.rpc, request: rec.request };
  if (rec.error) out.status = rec.error;
  else if ('response' in rec) out.response = rec.response;
  return out;
}

/** Name of an error's code: gRPC name (RpcError.codeName), CNI code number, or "error". */
function codeOf(err: unknown): { code: number | string; name: string; message: string } {
  const e = err as { code?: unknown; codeName?: string; details?: string; msg?: string; message?: string };
  const code = typeof e?.code === 'number' || typeof e?.code === 'string' ? e.code : 'none';
  return { code, name: e?.codeName ?? String(code), message: e?.details ?? e?.msg ?? e?.message ?? String(err) };
}

/**
 * The call must succeed. Returns its answer. On error the failure shows the status by name.
 */
export async function expectOk<T>(p: Promise<T>, { rule, what }: Expect): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ConformanceFailure) throw err;
    const rec = callOf(p);
    const st = codeOf(err);
    const call = rec?.rpc ?? what ?? 'the call';
    throw new ConformanceFailure({
      kind: 'assertion',
      rule,
      ...fromCall(rec),
      status: rec?.error ?? st,
      message: `${what ?? call} failed with ${st.name}: ${st.message}; expected success`,
      expected: 'OK',
    });
  }
}

/**
 * The call must fail with one of `codes` (gRPC code names like 'NOT_FOUND', or numbers for
 * CNI). Returns the error. Success or another code fails the case.
 */
export async function expectCode(p: Promise<unknown>, codes: string | number | Array<string | number>, { rule, what }: Expect): Promise<any> {
  const want = Array.isArray(codes) ? codes : [codes];
  const shown = want.join(' or ');
  let res: unknown;
  try {
    res = await p;
  } catch (err) {
    if (err instanceof ConformanceFailure) throw err;
    const st = codeOf(err);
    if (want.some((w) => w === st.name || w === st.code)) return err;
    const rec = callOf(p);
    throw new ConformanceFailure({
      kind: 'assertion',
      rule,
      ...fromCall(rec),
      status: rec?.error ?? st,
      expected: shown,
      actual: st.name,
      message: `${what ?? rec?.rpc ?? 'the call'} failed with ${st.name}, expected ${shown}`,
    });
  }
  const rec = callOf(p);
  throw new ConformanceFailure({
    kind: 'assertion',
    rule,
    ...fromCall(rec),
    response: res,
    expected: shown,
    actual: 'OK',
    message: `${what ?? rec?.rpc ?? 'the call'} succeeded, expected it to fail with ${shown}`,
  });
}

export function expectEqual<T>(actual: T, expected: T, { rule, what = 'value', call }: Expect): void {
  if (isDeepStrictEqual(actual, expected)) return;
  fail(`${what} is ${show(actual)}, expected ${show(expected)}`, { rule, expected, actual, call });
}

export function expectNotEqual<T>(actual: T, unexpected: T, { rule, what = 'value', call }: Expect): void {
  if (!isDeepStrictEqual(actual, unexpected)) return;
  fail(`${what} is ${show(actual)}, expected anything else`, { rule, actual, call });
}

/** `cond` must hold; else the case fails with `message` (and any failure detail in opts: actual, expected…). */
export function expectTrue(cond: unknown, message: string, opts: FailOptions & { rule: string }): asserts cond {
  if (!cond) fail(message, opts);
}

/** A non-empty string. */
export function expectNonEmpty(value: unknown, { rule, what = 'value', call }: Expect): asserts value is string {
  if (typeof value !== 'string' || value === '') fail(`${what} is ${show(value)}, expected a non-empty string`, { rule, actual: value, call });
}

export function expectMatch(value: string, re: RegExp, { rule, what = 'value', call }: Expect): void {
  if (!re.test(value)) fail(`${what} ${show(value)} does not match ${re}`, { rule, actual: value, expected: String(re), call });
}

/** `items` contains an element satisfying pred. */
export function expectSome<T>(items: readonly T[], pred: (x: T) => boolean, message: string, { rule, call }: Omit<Expect, 'what'>): T {
  const hit = items.find(pred);
  if (hit === undefined) fail(message, { rule, actual: items, call });
  return hit as T;
}

export function expectNone<T>(items: readonly T[], pred: (x: T) => boolean, message: string, { rule, call }: Omit<Expect, 'what'>): void {
  const hit = items.find(pred);
  if (hit !== undefined) fail(message, { rule, actual: hit, call });
}

/** JSON with bigints as strings and Uint8Arrays as base64: for failure reports. */
/** Bytes as text when they are printable UTF-8 (ExecSync output, log lines), else base64. */
function bytesText(b: Uint8Array): string {
  const text = Buffer.from(b).toString('utf8');
  // eslint-disable-next-line no-control-regex
  return /^[^\u0000-\u0008\u000e-\u001f\ufffd]*$/.test(text) ? text : `base64:${Buffer.from(b).toString('base64')}`;
}

export function toJson(v: unknown, indent?: number): string {
  try {
    // `this[k]` is the value before Buffer#toJSON turned it into {type, data}.
    return (
      JSON.stringify(
        v,
        function (this: Record<string, unknown>, k, x) {
          const raw = this[k];
          if (raw instanceof Uint8Array) return bytesText(raw);
          return typeof x === 'bigint' ? x.toString() : x;
        },
        indent,
      ) ?? String(v)
    );
  } catch {
    return String(v);
  }
}

export function show(v: unknown): string {
  const s = toJson(v);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}
