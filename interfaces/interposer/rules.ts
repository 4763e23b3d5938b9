// Fault rules for the interposer (the gRPC proxy and the CNI shim): the in-memory plugins' format
// (interfaces/faults.ts: rpc, target, fail, delayMs, hang, times) plus what only a proxy can do
// and what a real plugin's tests need to aim a fault:
//   match:   { <request field path>: <glob> }  e.g. { config.metadata.name: web } — all must match
//   nth:     the first matching call the rule applies to (1-based; default 1); with times: 1, only that one
//   drop:    close the client's connection instead of answering (the client sees UNAVAILABLE)
//   corrupt: { <answer field path>: <value> }  forward the call, then change these fields of the answer
//   remove:  [<answer field path>…]            forward the call, then reset these fields to their default
// Field paths use the generated (camelCase) names, `.` between levels, a number or `*` for list items.
import { grpcCode } from '../faults.js';

export interface InterposerRule {
  /** RPC name (`CreateContainer`), service/RPC (`RuntimeService/CreateContainer`), CNI verb (`ADD`) or `*`. */
  rpc: string;
  target?: string;
  match?: Record<string, string>;
  nth?: number;
  times?: number;
  fail?: { code: string | number; message?: string };
  delayMs?: number;
  hang?: boolean;
  drop?: boolean;
  corrupt?: Record<string, unknown>;
  remove?: string[];
}

const KEYS = ['rpc', 'target', 'match', 'nth', 'times', 'fail', 'delayMs', 'hang', 'drop', 'corrupt', 'remove'];
const MEMORY_ONLY = new Set(['exitCode', 'oom', 'afterMs']);

/** Validate rules; every error names the source and the field (`faults.yaml[1].match`). */
export function parseInterposerRules(input: unknown, source = 'faults'): InterposerRule[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw new Error(`${source}: must be a list of fault rules`);
  return input.map((raw, i) => {
    const at = `${source}[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${at}: must be a mapping`);
    const r = raw as Record<string, unknown>;
    for (const k of Object.keys(r)) {
      if (MEMORY_ONLY.has(k)) throw new Error(`${at}.${k}: only the in-memory runtime can make a container exit; the interposer sees calls, not processes`);
      if (!KEYS.includes(k)) throw new Error(`${at}.${k}: unknown field (known: ${KEYS.join(', ')})`);
    }
    if (typeof r.rpc !== 'string' || !r.rpc)
      throw new Error(`${at}.rpc: required (an RPC name such as CreateContainer, Service/RPC, a CNI verb such as ADD, or *)`);
    if (r.target !== undefined && typeof r.target !== 'string') throw new Error(`${at}.target: must be a string glob`);
    for (const k of ['nth', 'times', 'delayMs'] as const) {
      const v = r[k];
      if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < (k === 'nth' ? 1 : 0))) {
        throw new Error(`${at}.${k}: must be an integer ≥ ${k === 'nth' ? 1 : 0}`);
      }
    }
    for (const k of ['hang', 'drop'] as const) if (r[k] !== undefined && typeof r[k] !== 'boolean') throw new Error(`${at}.${k}: must be true or false`);
    if (r.match !== undefined) {
      if (typeof r.match !== 'object' || r.match === null || Array.isArray(r.match))
        throw new Error(`${at}.match: must be a mapping of request field path to glob`);
      for (const [p, g] of Object.entries(r.match)) {
        if (typeof g !== 'string' && typeof g !== 'number' && typeof g !== 'boolean')
          throw new Error(`${at}.match.${p}: must be a string glob (or a number/boolean)`);
      }
      r.match = Object.fromEntries(Object.entries(r.match).map(([p, g]) => [p, String(g)]));
    }
    if (r.fail !== undefined) {
      const f = r.fail as Record<string, unknown>;
      if (typeof f !== 'object' || f === null || (typeof f.code !== 'string' && typeof f.code !== 'number')) {
        throw new Error(`${at}.fail.code: required (a gRPC code name like NOT_FOUND or a number; for CNI the error code number)`);
      }
      if (typeof f.code === 'string' && !/^\d+$/.test(f.code) && grpcCode(f.code) === undefined)
        throw new Error(`${at}.fail.code: unknown gRPC code ${JSON.stringify(f.code)}`);
      if (f.message !== undefined && typeof f.message !== 'string') throw new Error(`${at}.fail.message: must be a string`);
    }
    if (r.corrupt !== undefined && (typeof r.corrupt !== 'object' || r.corrupt === null || Array.isArray(r.corrupt))) {
      throw new Error(`${at}.corrupt: must be a mapping of answer field path to the value to put there`);
    }
    if (r.remove !== undefined && (!Array.isArray(r.remove) || r.remove.some((p) => typeof p !== 'string' || !p))) {
      throw new Error(`${at}.remove: must be a list of answer field paths`);
    }
    const actions = ['fail', 'delayMs', 'hang', 'drop', 'corrupt', 'remove'].filter((k) => r[k] !== undefined && r[k] !== false);
    if (actions.length === 0) throw new Error(`${at}: needs an action (fail, delayMs, hang, drop, corrupt or remove)`);
    const exclusive = actions.filter((a) => ['fail', 'hang', 'drop'].includes(a));
    if (exclusive.length > 1) throw new Error(`${at}: ${exclusive.join(' and ')} exclude each other (each ends the call)`);
    if (exclusive.length && (r.corrupt !== undefined || r.remove !== undefined))
      throw new Error(`${at}: ${exclusive[0]} ends the call before there is an answer to corrupt or remove fields of`);
    return r as unknown as InterposerRule;
  });
}

export function globMatch(glob: string, value: string): boolean {
  const re = new RegExp(
    '^' +
      glob
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
    's',
  );
  return re.test(value);
}

/** The values at a field path (`config.metadata.name`, `items.*.id`, `mounts.0.hostPath`). */
export function valuesAt(obj: unknown, path: string): unknown[] {
  let cur: unknown[] = [obj];
  for (const seg of path.split('.')) {
    const next: unknown[] = [];
    for (const c of cur) {
      if (c === null || typeof c !== 'object') continue;
      if (seg === '*') next.push(...(Array.isArray(c) ? c : Object.values(c)));
      else if (seg in (c as object)) next.push((c as Record<string, unknown>)[seg]);
    }
    cur = next;
  }
  return cur;
}

/** Set (or with `remove`, delete) the field at a path in place; false when the path's parent is absent. */
export function setAt(obj: unknown, path: string, value: unknown, remove = false): boolean {
  const segs = path.split('.');
  const last = segs.pop()!;
  const parents = segs.length ? valuesAt(obj, segs.join('.')) : [obj];
  let done = false;
  for (const p of parents) {
    if (p === null || typeof p !== 'object') continue;
    const keys = last === '*' ? Object.keys(p) : [last];
    for (const k of keys) {
      if (remove) delete (p as Record<string, unknown>)[k];
      else (p as Record<string, unknown>)[k] = value;
      done = true;
    }
  }
  return done;
}

// Request fields that name what a call is about, as the in-memory plugins' `target` sees them:
// object ids, object names (metadata.name of pods and containers), image references, volume ids;
// for CNI (the shim's request: containerId, ifName, args, config) the container id, interface and pod name.
const TARGET_KEYS = new Set([
  'podSandboxId',
  'containerId',
  'volumeId',
  'snapshotId',
  'sourceVolumeId',
  'image',
  'name',
  'uid',
  'groupSnapshotId',
  'ifName',
  'K8S_POD_NAME',
  'K8S_POD_INFRA_CONTAINER_ID',
]);

/** Every string under a target key, a few levels deep (a request is small; lists are skipped past 64 items). */
export function targetsOf(req: unknown, depth = 4): string[] {
  const out: string[] = [];
  const walk = (v: unknown, d: number) => {
    if (d > depth || v === null || typeof v !== 'object') return;
    const entries = Array.isArray(v) ? v.slice(0, 64).map((x, i) => [String(i), x] as const) : Object.entries(v);
    for (const [k, x] of entries) {
      if (typeof x === 'string' && x && TARGET_KEYS.has(k)) out.push(x);
      else if (typeof x === 'object') walk(x, d + 1);
    }
  };
  walk(req, 0);
  return out;
}

/** Picks the rule for each call: first rule (in file order) whose rpc, target and match fit and whose nth/times allow it. */
export class RuleSet {
  private readonly seen = new Map<InterposerRule, number>();
  /** `counts`: matching calls seen so far per rule, as counts() gave them (the CNI shim keeps them across its processes). */
  readonly rules: InterposerRule[];
  constructor(rules: InterposerRule[], counts: number[] = []) {
    this.rules = [...rules];
    rules.forEach((r, i) => {
      if (counts[i]) this.seen.set(r, counts[i]);
    });
  }

  /** Add rules after the current ones (a test's own, aimed at its own objects); returns their removal. */
  add(rules: InterposerRule[]): () => void {
    this.rules.push(...rules);
    return () => {
      for (const r of rules) {
        const i = this.rules.indexOf(r);
        if (i >= 0) this.rules.splice(i, 1);
        this.seen.delete(r);
      }
    };
  }

  counts(): number[] {
    return this.rules.map((r) => this.seen.get(r) ?? 0);
  }

  /** `rpc` as "Service/Method" (or a CNI verb); `req` the decoded request. */
  pick(rpc: string, req: unknown): InterposerRule | undefined {
    const method = rpc.split('/').pop()!;
    let targets: string[] | undefined;
    for (const r of this.rules) {
      if (r.rpc !== '*' && r.rpc !== rpc && r.rpc !== method) continue;
      if (r.target) {
        targets ??= targetsOf(req);
        if (!targets.some((t) => globMatch(r.target!, t))) continue;
      }
      if (r.match && !Object.entries(r.match).every(([p, g]) => valuesAt(req, p).some((v) => v !== null && typeof v !== 'object' && globMatch(g, String(v)))))
        continue;
      const n = (this.seen.get(r) ?? 0) + 1;
      this.seen.set(r, n);
      const first = r.nth ?? 1;
      if (n < first) continue;
      if (r.times !== undefined && n - first >= r.times) continue;
      return r;
    }
    return undefined;
  }
}

/** A one-line description of what a rule does, for the transcript and logs. */
export function describeRule(r: InterposerRule): string {
  const what = r.fail ? `fail ${r.fail.code}` : r.hang ? 'hang' : r.drop ? 'drop' : '';
  return [
    r.delayMs ? `delay ${r.delayMs}ms` : '',
    what,
    r.corrupt ? `corrupt ${Object.keys(r.corrupt).join(',')}` : '',
    r.remove ? `remove ${r.remove.join(',')}` : '',
  ]
    .filter(Boolean)
    .join(' + ');
}
