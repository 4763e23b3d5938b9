// Runs steps against a gRPC plugin (CRI or CSI) and applies the oracles to every answer. The
// requests are built with the generated ts-proto fromJSON of each method's request type, so a
// step is plain JSON (writable to a replay file) and a mutation can break it any way JSON can.
// What each RPC owes (required request fields, codes for unknown ids, answer fields, how to
// tell its resource is gone) comes from the target's table (cri-spec.ts, csi-spec.ts).
import { Connection } from '../interfaces/grpc/client.js';
import { codeName, RpcError, Status } from '../interfaces/grpc/errors.js';
import type { MethodDef, ServiceDef } from '../interfaces/grpc/types.js';
import { rule, type RuleRef } from './rules.js';
import type { Finding, Json, Step } from './types.js';

/** The id kinds a target tracks (volume, snapshot, sandbox, container, image ...). */
export interface RpcSpec {
  /** The id this call creates: where it is in the answer, and its kind. */
  creates?: { kind: string; id: (res: any, req: any) => string | undefined };
  /** Request fields that must be set; missing → INVALID_ARGUMENT (the rule says so). */
  required?: { field: string; rule: string }[];
  /** The id field this call acts on, and what the spec says for an id that does not exist. */
  target?: { field: string; kind: string; unknown?: { ok: number[]; rule: string } };
  /** An identical call right after a successful one must succeed again (rule id). */
  idempotent?: string;
  /** ... and answer the same object: the id at this answer path must not change. */
  sameAnswer?: string[];
  /** Well-formed calls the model says must succeed (an exec in a running container ...): returns why, when it must. */
  mustSucceed?: { rule: string; when: (s: Session, req: any) => string | undefined };
  /** Requests no plugin may accept (a key no driver supports ...): an OK answer breaks the rule. */
  refuse?: { rule: string; when: (req: any) => string | undefined };
  /** A call that undoes something (NodeUnpublishVolume) answers OK for an existing object whether or not it was done (rule id). */
  undo?: string;
  /** Answer fields an OK answer must carry (dotted paths). */
  answers?: { path: string; rule: string }[];
  /** After an OK answer the target id is gone: returns why it is still there, if it is. */
  deletes?: { rule: string; stillThere: (s: Session, id: string) => Promise<string | undefined> };
  /** The call may legitimately take longer than the deadline for this request (a grace period ...). */
  mayBlock?: (req: any) => boolean;
  /** Checks of an OK answer to an unmutated request: each returns what is wrong, if anything. */
  checks?: { rule: string; fn: (s: Session, req: any, res: any) => string | undefined | Promise<string | undefined> }[];
  /** Update the session's model after an OK answer (container states ...). */
  after?: (s: Session, req: any, res: any) => void;
}

export interface GrpcTargetOptions {
  endpoint: string;
  /** Per-call deadline, ms: a call past it is a `deadline` finding (default 5000). */
  callTimeoutMs?: number;
}

const FOREIGN = 'fuzz-foreign-';
// An empty object after decoding is an empty map (ts-proto fills a present message's fields).
const isSet = (v: unknown) =>
  v !== undefined &&
  v !== null &&
  v !== '' &&
  !(Array.isArray(v) && !v.length) &&
  !(typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype && !Object.keys(v as object).length);
const at = (o: any, path: string) => path.split('.').reduce((x, k) => (x == null ? undefined : x[k]), o);

/** One run's connection and what it knows: bound ids, which ids are gone, variables ($node ...). */
export class Session {
  readonly conn: Connection;
  readonly bound = new Map<string, string>();
  readonly gone = new Set<string>();
  readonly live = new Map<string, string>(); // id → kind
  /** Every id created in this session, deleted or not (cleanup undoes mounts of "deleted" volumes too). */
  readonly created = new Map<string, string>();
  /** The target's model of each object (e.g. a container's state), for its checks. */
  readonly state = new Map<string, string>();
  private readonly own: boolean;
  private readonly clients = new Map<ServiceDef, Record<string, (r: unknown, o: { timeoutMs: number }) => Promise<unknown>>>();
  /** On `conn` when given (shared across sessions: a new channel per sequence costs a connect each time). */
  constructor(
    endpoint: string,
    readonly timeoutMs: number,
    readonly vars: Record<string, string>,
    private readonly methods: Methods,
    conn?: Connection,
  ) {
    this.own = !conn;
    this.conn = conn ?? new Connection(endpoint, { timeoutMs });
  }

  /** "$name" → the bound id or variable; unbound → a foreign id (a call on something that never existed). */
  resolve(v: Json): Json {
    if (typeof v === 'string' && v.startsWith('$')) return this.vars[v.slice(1)] ?? this.bound.get(v.slice(1)) ?? `${FOREIGN}${v.slice(1)}`;
    if (Array.isArray(v)) return v.map((x) => this.resolve(x));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.resolve(x)]));
    return v;
  }

  /** Call `rpc` with a JSON request; resolves to the decoded answer or the RpcError. */
  async call(rpc: string, req: Json, timeoutMs = this.timeoutMs): Promise<{ res?: any; err?: RpcError; ms: number }> {
    const m = this.methods.get(rpc);
    if (!m) throw new Error(`fuzz: unknown RPC ${rpc}`);
    const msg = m.requestType.fromJSON(req);
    const started = Date.now();
    let client = this.clients.get(m.service);
    if (!client)
      this.clients.set(m.service, (client = this.conn.service(m.service) as Record<string, (r: unknown, o: { timeoutMs: number }) => Promise<unknown>>));
    try {
      return { res: await client[m.key](msg, { timeoutMs }), ms: Date.now() - started };
    } catch (e) {
      // grpc-js refusing to encode a bent value (a negative uint32 ...) is ours: nothing was sent.
      if (e instanceof RpcError && e.code === Status.INTERNAL && /^Request message serialization failure/.test(e.details))
        throw new Error(`fuzz: not sendable: ${e.details}`);
      if (e instanceof RpcError) return { err: e, ms: Date.now() - started };
      throw e;
    }
  }

  close(): void {
    if (this.own) this.conn.close();
  }
}

export type Methods = Map<string, MethodDef & { service: ServiceDef; method: MethodDef; key: string }>;

/** Index the unary methods of some services as "Service/Method". */
export function methodIndex(defs: ServiceDef[]): Methods {
  const out: Methods = new Map();
  for (const d of defs)
    for (const [key, m] of Object.entries(d.methods))
      if (!m.requestStream && !m.responseStream) out.set(`${d.name}/${m.name}`, { ...m, service: d, method: m, key });
  return out;
}

type Outcome = { res?: any; err?: RpcError; ms: number };
/** The step before, as sent and answered. */
export type Prev = { step: Step; req: string; ok: boolean; res?: any };

/** Judge one answer to step i against the spec table. */
export function judge(s: Session, spec: RpcSpec, step: Step, i: number, req: any, o: Outcome, prev: Prev | undefined): Finding[] {
  const out: Finding[] = [];
  const mutated = !!step.mutations?.length;
  const code = o.err ? o.err.code : Status.OK;
  const f = (oracle: Finding['oracle'], r: RuleRef | undefined, message: string) =>
    out.push({ oracle, rpc: step.rpc, step: i, ...(r ? { rule: r } : {}), message });
  if (code === Status.UNIMPLEMENTED) return out; // the plugin does not offer the RPC: allowed
  if (step.concurrent && code === Status.ABORTED) return out; // "an operation is pending": allowed for concurrent calls
  // A missing required field: the spec names INVALID_ARGUMENT.
  const missing = (spec.required ?? []).filter((r) => !isSet(at(req, r.field)));
  if (missing.length) {
    if (code === Status.OK || code === Status.INTERNAL || code === Status.UNKNOWN) {
      f(
        'wrong-code',
        rule(missing[0].rule),
        `${missing.map((m) => m.field).join(', ')} missing: answered ${codeName(code)} where the spec names INVALID_ARGUMENT`,
      );
    }
    return out;
  }
  // An id that does not exist (never did, or deleted in this run).
  const t = spec.target;
  const id = t ? at(req, t.field) : undefined;
  if (t?.unknown && typeof id === 'string' && id && (id.startsWith(FOREIGN) || s.gone.has(id))) {
    const okCodes = t.unknown.ok;
    const internal = code === Status.INTERNAL || code === Status.UNKNOWN;
    // A mutated request may also be refused for its other faults; an unmutated one has only this one.
    if (!okCodes.includes(code) && (internal || !mutated || (code === Status.OK && !okCodes.includes(Status.OK)))) {
      f(
        'wrong-code',
        rule(t.unknown.rule),
        `${t.field} names a ${t.kind} that does not exist: answered ${codeName(code)}${o.err ? ` (${o.err.details})` : ''}; the spec allows ${okCodes.map(codeName).join(' or ')}`,
      );
    }
    return out;
  }
  // The same call again right after it succeeded.
  const repeat = spec.idempotent && !mutated && prev?.ok && prev.step.rpc === step.rpc && prev.req === stableJson(req);
  if (repeat && code !== Status.OK) {
    f('wrong-code', rule(spec.idempotent!), `the same call answered OK a moment ago and now ${codeName(code)}${o.err ? ` (${o.err.details})` : ''}`);
  } else if (repeat && (spec.sameAnswer ?? []).some((p) => stableJson(at(prev!.res, p)) !== stableJson(at(o.res, p)))) {
    const p = spec.sameAnswer!.find((x) => stableJson(at(prev!.res, x)) !== stableJson(at(o.res, x)))!;
    const show = (v: unknown) => String(stableJson(v) ?? 'nothing').slice(0, 200);
    f('wrong-code', rule(spec.idempotent!), `the same call answered ${p} ${show(at(prev!.res, p))} a moment ago and now ${show(at(o.res, p))}`);
  } else if (spec.undo && !mutated && !step.concurrent && typeof id === 'string' && s.live.has(id) && code !== Status.OK) {
    f(
      'wrong-code',
      rule(spec.undo),
      `${step.rpc.split('/').pop()} on ${t!.kind} ${id}, which exists, answered ${codeName(code)}${o.err ? ` (${o.err.details})` : ''}; whether or not it was already done, the answer is OK`,
    );
  }
  const must = !mutated && !step.concurrent && code !== Status.OK ? spec.mustSucceed?.when(s, req) : undefined;
  if (must) f('wrong-code', rule(spec.mustSucceed!.rule), `${must}, yet it answered ${codeName(code)}${o.err ? ` (${o.err.details})` : ''}`);
  const refused = spec.refuse?.when(req);
  if (refused && code === Status.OK) f('wrong-code', rule(spec.refuse!.rule), `${refused}, yet the answer is OK`);
  if (code === Status.OK) {
    for (const a of spec.answers ?? []) if (!isSet(at(o.res, a.path))) f('missing-field', rule(a.rule), `the OK answer has no ${a.path}`);
  }
  return out;
}

/** JSON of a decoded message (bigints as strings), to compare two requests. */
export const stableJson = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

export { FOREIGN, isSet, at };
