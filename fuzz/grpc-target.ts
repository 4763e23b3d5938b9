// A gRPC plugin under test: runs a sequence in a fresh session, judges every answer (grpc.ts),
// checks a delete really removed its resource, and, for a driver given a directory to watch,
// that nothing appeared outside its root and the paths it was handed. What it created is
// removed at the end of each sequence (not judged: cleanup is not part of the test).
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Connection } from '../interfaces/grpc/client.js';
import { Status } from '../interfaces/grpc/errors.js';
import type { ServiceDef } from '../interfaces/grpc/types.js';
import { at, judge, methodIndex, Session, stableJson, type Methods, type Prev, type RpcSpec } from './grpc.js';
import type { Rng } from './rng.js';
import { rule } from './rules.js';
import type { Execution, Finding, Json, Step, Target } from './types.js';

export interface WatchOptions {
  /** The directory to watch (for hostPath: the parent of the driver's root). */
  dir: string;
  /** Paths the plugin may write below (its root, its socket); request paths are added per run. */
  allowed: string[];
  /** The rule a write outside breaks, if one says so. */
  rule?: string;
}

export interface GrpcTargetConfig {
  kind: 'cri' | 'csi';
  services: ServiceDef[];
  specs: Record<string, RpcSpec>;
  endpoint: string;
  callTimeoutMs: number;
  /** Variables ($node ...) learnt once from the plugin. */
  vars: Record<string, string>;
  generate(rng: Rng, run: number): Step[];
  /** Make what the CO provides before the calls (CSI: staging dirs, target parents). */
  prepare?(steps: Step[], s: Session): void | Promise<void>;
  /** Best-effort removal of what a session created (the steps say which paths it used). */
  cleanup(s: Session, steps: Step[]): Promise<void>;
  /** A cheap call that proves the plugin answers. */
  ping: { rpc: string; req: Json };
  watch?: WatchOptions;
}

/** Every path below dir (not following links), skipping allowed subtrees. */
function walk(dir: string, allowed: string[], out = new Set<string>(), depth = 0): Set<string> {
  if (depth > 8 || !existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (allowed.some((a) => p === a || p.startsWith(`${a}/`))) continue;
    out.add(p);
    try {
      if (lstatSync(p).isDirectory()) walk(p, allowed, out, depth + 1);
    } catch {
      /* vanished meanwhile */
    }
  }
  return out;
}

/** Absolute paths a request names (the CO may hand a plugin any of them to write at). */
function requestPaths(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string' && isAbsolute(v)) out.push(resolve(v));
  else if (Array.isArray(v)) v.forEach((x) => requestPaths(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => requestPaths(x, out));
  return out;
}

export class GrpcTarget implements Target {
  readonly kind: 'cri' | 'csi';
  private readonly methods: Methods;
  constructor(readonly cfg: GrpcTargetConfig) {
    this.kind = cfg.kind;
    this.methods = methodIndex(cfg.services);
    for (const rpc of Object.keys(cfg.specs))
      if (!this.methods.has(rpc)) throw new Error(`fuzz: the ${cfg.kind} table names ${rpc}, which the generated services lack`);
  }

  generate(rng: Rng, run: number): Step[] {
    return this.cfg.generate(rng, run);
  }

  private conn?: Connection;
  /** A fresh session (ids, bindings) on the one channel all sessions share. */
  session(): Session {
    this.conn ??= new Connection(this.cfg.endpoint, { timeoutMs: this.cfg.callTimeoutMs });
    return new Session(this.cfg.endpoint, this.cfg.callTimeoutMs, this.cfg.vars, this.methods, this.conn);
  }

  async alive(): Promise<boolean> {
    const c = new Connection(this.cfg.endpoint, { timeoutMs: 2000 });
    try {
      await c.waitForReady(2000);
      // Its own channel: the shared one may be the thing that broke.
      const s = new Session(this.cfg.endpoint, 2000, this.cfg.vars, this.methods, c);
      const o = await s.call(this.cfg.ping.rpc, this.cfg.ping.req, 2000);
      return !o.err || o.err.code !== Status.UNAVAILABLE;
    } catch {
      return false;
    } finally {
      c.close();
    }
  }

  async execute(steps: Step[]): Promise<Execution> {
    const s = this.session();
    await this.cfg.prepare?.(steps, s);
    const findings: Finding[] = [];
    let calls = 0;
    const signal = new Set<string>();
    const w = this.cfg.watch;
    const allowed = w ? [...w.allowed] : [];
    let before = w ? walk(w.dir, allowed) : new Set<string>();
    let prev: Prev | undefined;
    try {
      for (let i = 0; i < steps.length; i++) {
        const step = steps[i];
        const spec = this.cfg.specs[step.rpc] ?? {};
        const req = s.resolve(step.req) as Record<string, unknown>;
        if (w) allowed.push(...requestPaths(req));
        let outs;
        try {
          outs = await Promise.all(Array.from({ length: Math.max(1, step.concurrent ?? 1) }, () => s.call(step.rpc, req as Json)));
        } catch (e) {
          // fromJSON refused the request (a value no encoder takes): nothing was sent.
          if (e instanceof Error && /fuzz: unknown RPC/.test(e.message)) throw e;
          continue;
        }
        calls += outs.length;
        for (const o of outs) signal.add(`${step.rpc}|${o.err ? o.err.codeName : 'OK'}`);
        for (const o of outs) {
          if (o.err?.code === Status.DEADLINE_EXCEEDED && o.ms >= this.cfg.callTimeoutMs * 0.9 && !spec.mayBlock?.(req)) {
            findings.push({ oracle: 'deadline', rpc: step.rpc, step: i, message: `no answer within ${this.cfg.callTimeoutMs} ms` });
          } else if (
            o.err &&
            (o.err.code === Status.UNAVAILABLE || o.err.code === Status.CANCELLED || o.err.code === Status.INTERNAL) &&
            !(await this.alive())
          ) {
            findings.push({
              oracle: 'plugin-died',
              rpc: step.rpc,
              step: i,
              message: `the plugin stopped answering after this call (${o.err.codeName}: ${o.err.details})`,
            });
            return { findings, calls, signal: [...signal] };
          } else {
            findings.push(...judge(s, spec, step, i, this.methods.get(step.rpc)!.requestType.fromJSON(req), o, prev));
          }
        }
        const ok = outs.find((o) => !o.err);
        // Calls sent at once that all succeeded must agree on the object (one volume per name ...).
        if (outs.length > 1 && spec.sameAnswer && spec.idempotent) {
          const oks = outs.filter((o) => !o.err);
          const p = spec.sameAnswer.find((x) => new Set(oks.map((o) => stableJson(at(o.res, x)))).size > 1);
          if (p)
            findings.push({
              oracle: 'wrong-code',
              rpc: step.rpc,
              step: i,
              rule: rule(spec.idempotent),
              message: `${outs.length} identical calls at once answered ${new Set(oks.map((o) => stableJson(at(o.res, p)))).size} different ${p}`,
            });
        }
        if (spec.creates) {
          for (const o of outs.filter((x) => !x.err)) {
            const id = spec.creates.id(o.res, this.methods.get(step.rpc)!.requestType.fromJSON(req));
            if (!id) continue;
            if (step.bind && o === ok) s.bound.set(step.bind, id);
            s.live.set(id, spec.creates.kind);
            s.created.set(id, spec.creates.kind);
            s.gone.delete(id);
          }
        }
        const decoded = this.methods.get(step.rpc)!.requestType.fromJSON(req);
        const id = spec.target ? at(decoded, spec.target.field) : undefined;
        if (ok && !step.mutations?.length && !step.concurrent) {
          for (const c of spec.checks ?? []) {
            const why = await c.fn(s, decoded, ok.res);
            if (why) findings.push({ oracle: 'wrong-answer', rpc: step.rpc, step: i, rule: rule(c.rule), message: why });
          }
        }
        // The model follows every call that took effect, bent or not (what was sent is what counts).
        if (ok) spec.after?.(s, decoded, ok.res);
        if (ok && spec.deletes && typeof id === 'string' && s.live.has(id)) {
          s.live.delete(id);
          s.gone.add(id);
          const why = await spec.deletes.stillThere(s, id);
          if (why) findings.push({ oracle: 'leak-after-delete', rpc: step.rpc, step: i, rule: rule(spec.deletes.rule), message: why });
        }
        prev = { step, req: stableJson(this.methods.get(step.rpc)!.requestType.fromJSON(req)), ok: outs.every((o) => !o.err), res: ok?.res };
        if (w) {
          const now = walk(w.dir, allowed);
          const added = [...now].filter((p) => !before.has(p));
          if (added.length)
            findings.push({
              oracle: 'write-outside-root',
              rpc: step.rpc,
              step: i,
              ...(w.rule ? { rule: rule(w.rule) } : {}),
              message: `new outside the driver's root and the request's paths: ${added.slice(0, 3).join(', ')}`,
            });
          before = now;
        }
      }
      return { findings, calls, signal: [...signal] };
    } finally {
      await this.cfg.cleanup(s, steps).catch(() => undefined);
      s.close();
    }
  }

  async close(): Promise<void> {
    this.conn?.close();
    this.conn = undefined;
  }
}
