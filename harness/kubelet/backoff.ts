// Exponential backoff per key, as kubelet's flowcontrol.Backoff: the first failure is retried at
// once, later ones wait initial, 2×initial … up to max, measured from the failure time. An entry
// that has not failed for 2×max is forgotten, so a container that ran well starts over.
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

interface Entry {
  delayMs: number;
  lastFailure: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();
  constructor(
    readonly opts: BackoffOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Still waiting after a failure at `since`? */
  inBackoff(key: string, since: number): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    return this.now() - since < e.delayMs;
  }

  /** Remaining wait in ms (0 when free). */
  remaining(key: string, since: number): number {
    const e = this.entries.get(key);
    return e ? Math.max(0, e.delayMs - (this.now() - since)) : 0;
  }

  /** Record a failure at `at`: the next retry must wait the (doubled) delay. */
  next(key: string, at: number = this.now()): void {
    const e = this.entries.get(key);
    if (!e || at - e.lastFailure > 2 * this.opts.maxMs) {
      this.entries.set(key, { delayMs: this.opts.initialMs, lastFailure: at });
    } else {
      e.delayMs = Math.min(e.delayMs * 2, this.opts.maxMs);
      e.lastFailure = at;
    }
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Drop every key with this prefix (a pod's containers and images). */
  forget(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }
}
