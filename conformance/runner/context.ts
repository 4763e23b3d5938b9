// What a running case sees: unique names for what it creates, a cleanup registry (LIFO; run
// when the case ends however it ends, the run is interrupted, or the case times out), an abort
// signal, notes, and a record of every plugin call made through it (failure reports show them).
import type { RunInfo } from './types.js';

/** One call to the plugin, as reports show it. */
export interface CallRecord {
  rpc: string;
  request: unknown;
  response?: unknown;
  error?: { code: number | string; name: string; message: string };
  ms?: number;
}

/** Promise → the call that produced it, so expectCode(promise) can report request and answer. */
const calls = new WeakMap<Promise<unknown>, CallRecord>();

export function callOf(p: unknown): CallRecord | undefined {
  return p && typeof (p as Promise<unknown>).then === 'function' ? calls.get(p as Promise<unknown>) : undefined;
}

/** Thrown by ctx.skip(): the case ends as skipped. */
export class SkipCase extends Error {
  constructor(
    readonly reason: string,
    readonly notApplicable = false,
  ) {
    super(reason);
    this.name = 'SkipCase';
  }
}

export interface Cleanup {
  description: string;
  fn: () => unknown | Promise<unknown>;
}

export class CaseContext {
  readonly calls: CallRecord[] = [];
  readonly notes: string[] = [];
  readonly cleanups: Cleanup[] = [];
  private readonly ac = new AbortController();
  private n = 0;

  constructor(
    readonly run: RunInfo,
    /** The case id. */
    readonly id: string,
    /** This case's number in the run (unique across suites). */
    readonly seq: number,
  ) {}

  /** Aborted when the case times out or the run is interrupted. */
  get signal(): AbortSignal {
    return this.ac.signal;
  }
  get aborted(): boolean {
    return this.ac.signal.aborted;
  }
  /** @internal */
  abort(reason: string): void {
    if (!this.ac.signal.aborted) this.ac.abort(new Error(reason));
  }

  /**
   * A name nobody else in this run (or any other run) uses: <prefix>-<case seq>-<label><n>.
   * Safe as a CSI name, CNI container id and network name, and a path component.
   */
  unique(label = 'r'): string {
    return `${this.run.prefix}-${this.seq}-${label.replace(/[^a-zA-Z0-9_.-]/g, '-')}${++this.n}`;
  }

  /** Register an undo step; steps run newest first when the case ends, pass or fail. */
  cleanup(fn: () => unknown | Promise<unknown>, description: string): void {
    this.cleanups.push({ fn, description });
  }

  /** A line shown with the case's result. */
  log(line: string): void {
    this.notes.push(line);
  }

  /** End the case as skipped (the environment cannot run it). */
  skip(reason: string): never {
    throw new SkipCase(reason);
  }

  /** End the case as not applicable (the plugin legitimately lacks what it checks). */
  notApplicable(reason: string): never {
    throw new SkipCase(reason, true);
  }

  /** Time left before the case times out, ms (for call deadlines). */
  deadlineMs(): number {
    return Math.max(1, this.endsAt - Date.now());
  }
  /** @internal */
  endsAt = Number.MAX_SAFE_INTEGER;

  /**
   * Record a call: `p` is returned unchanged, but reports can now show what was asked and what
   * came back. Plugin clients built for a case (csi/cni kits) do this for every call.
   */
  track<T>(rpc: string, request: unknown, p: Promise<T>, describeError?: (e: unknown) => CallRecord['error']): Promise<T> {
    const rec: CallRecord = { rpc, request };
    const started = Date.now();
    this.calls.push(rec);
    const out = p.then(
      (res) => {
        rec.response = res;
        rec.ms = Date.now() - started;
        return res;
      },
      (err) => {
        rec.error = describeError?.(err) ?? defaultError(err);
        rec.ms = Date.now() - started;
        throw err;
      },
    );
    calls.set(out, rec);
    return out;
  }

  get lastCall(): CallRecord | undefined {
    return this.calls.at(-1);
  }
}

function defaultError(err: unknown): CallRecord['error'] {
  const e = err as { code?: unknown; codeName?: string; message?: string; details?: string };
  const code = typeof e?.code === 'number' || typeof e?.code === 'string' ? e.code : 'error';
  return { code, name: e?.codeName ?? String(code), message: e?.details ?? e?.message ?? String(err) };
}
