// Fault injection rules shared by the in-memory plugins: one small format, given in triad.yaml
// (`faults:` under a plugin) or a file. A rule matches an RPC name (CRI/CSI) or CNI verb, and
// optionally a target (image, pod, container, volume, network) by glob; then it fails the call,
// delays it, hangs it until the caller's deadline, or — for CRI containers — makes the
// container exit with a code (or be OOM-killed) some time after it starts.
import { deadlineExceeded, Status, StatusError } from './grpc/errors.js';

export interface FaultRule {
  /** RPC name as in the proto (`PullImage`, `NodePublishVolume`) or CNI verb (`ADD`). */
  rpc: string;
  /** Glob (`*` and `?`) matched against the call's targets: image ref, pod/container name or id, volume id/name. */
  target?: string;
  /** Fail with this gRPC code (name or number) — or for CNI the spec error code — and message. */
  fail?: { code: string | number; message?: string };
  delayMs?: number;
  /** Never answer: wait until the caller's deadline (or cancellation). */
  hang?: boolean;
  /** CRI containers: exit with this code `afterMs` after StartContainer. */
  exitCode?: number;
  /** CRI containers: be OOM-killed (exit 137, reason OOMKilled) `afterMs` after start. */
  oom?: boolean;
  afterMs?: number;
  /** Apply this rule at most N times (default: always). */
  times?: number;
}

const KEYS = new Set(['rpc', 'target', 'fail', 'delayMs', 'hang', 'exitCode', 'oom', 'afterMs', 'times']);

/** Validate a list of rules; errors name the source and the field (`faults[2].fail.code`). */
export function parseFaultRules(input: unknown, source = 'faults'): FaultRule[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw new Error(`${source}: must be a list of fault rules`);
  return input.map((raw, i) => {
    const at = `${source}[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new Error(`${at}: must be an object`);
    const r = raw as Record<string, unknown>;
    for (const k of Object.keys(r)) if (!KEYS.has(k)) throw new Error(`${at}.${k}: unknown field (known: ${[...KEYS].join(', ')})`);
    if (typeof r.rpc !== 'string' || !r.rpc) throw new Error(`${at}.rpc: required (an RPC name such as PullImage, or a CNI verb such as ADD)`);
    if (r.target !== undefined && typeof r.target !== 'string') throw new Error(`${at}.target: must be a string glob`);
    for (const k of ['delayMs', 'exitCode', 'afterMs', 'times'] as const) {
      if (r[k] !== undefined && (typeof r[k] !== 'number' || !Number.isInteger(r[k]) || (r[k] as number) < 0)) {
        throw new Error(`${at}.${k}: must be a non-negative integer`);
      }
    }
    for (const k of ['hang', 'oom'] as const) if (r[k] !== undefined && typeof r[k] !== 'boolean') throw new Error(`${at}.${k}: must be true or false`);
    if (r.fail !== undefined) {
      const f = r.fail as Record<string, unknown>;
      if (typeof f !== 'object' || f === null || (typeof f.code !== 'string' && typeof f.code !== 'number')) {
        throw new Error(`${at}.fail.code: required (a gRPC code name like NOT_FOUND, or a number)`);
      }
      if (typeof f.code === 'string' && !/^\d+$/.test(f.code) && grpcCode(f.code) === undefined) {
        throw new Error(`${at}.fail.code: unknown gRPC code ${JSON.stringify(f.code)}`);
      }
    }
    const actions = ['fail', 'delayMs', 'hang', 'exitCode', 'oom'].filter((k) => r[k] !== undefined && r[k] !== false);
    if (actions.length === 0) throw new Error(`${at}: needs an action (fail, delayMs, hang, exitCode or oom)`);
    return r as unknown as FaultRule;
  });
}

export function grpcCode(code: string | number): number | undefined {
  if (typeof code === 'number') return code;
  if (/^\d+$/.test(code)) return Number(code);
  const v = (Status as unknown as Record<string, number>)[code.toUpperCase()];
  return typeof v === 'number' ? v : undefined;
}

function globMatch(glob: string, value: string): boolean {
  const re = new RegExp(
    '^' +
      glob
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
  );
  return re.test(value);
}

export class FaultInjector {
  private readonly used = new Map<FaultRule, number>();
  constructor(private rules: FaultRule[] = []) {}

  setRules(rules: FaultRule[]): void {
    this.rules = rules;
    this.used.clear();
  }
  get size(): number {
    return this.rules.length;
  }

  /** The first rule for this RPC whose target glob matches one of the call's targets; counts a use. */
  take(rpc: string, targets: Array<string | undefined>, pick: (r: FaultRule) => boolean = () => true): FaultRule | undefined {
    for (const r of this.rules) {
      if (r.rpc !== rpc || !pick(r)) continue;
      if (r.target && !targets.some((t) => t !== undefined && t !== '' && globMatch(r.target!, t))) continue;
      const n = this.used.get(r) ?? 0;
      if (r.times !== undefined && n >= r.times) continue;
      this.used.set(r, n + 1);
      return r;
    }
    return undefined;
  }

  /**
   * Apply call-level faults (delay, hang, fail) for a gRPC handler. `signal` ends a hang when the
   * caller gives up, so a hung call never outlives its client.
   */
  async before(rpc: string, targets: Array<string | undefined>, signal?: AbortSignal): Promise<void> {
    const r = this.take(rpc, targets, (x) => !!(x.fail || x.delayMs || x.hang));
    if (!r) return;
    if (r.delayMs) await sleep(r.delayMs, signal);
    if (r.hang) {
      await sleep(24 * 3600_000, signal);
      throw deadlineExceeded(`fault injected: ${rpc} hung`);
    }
    if (r.fail) {
      throw new StatusError(grpcCode(r.fail.code) ?? Status.UNKNOWN, r.fail.message ?? `fault injected: ${rpc} failed`);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
