// Per-object operation locks. The spec lets a plugin answer ABORTED when "an operation is pending
// for the volume"; doing so (instead of queueing) keeps a retrying CO from stacking calls and
// guarantees two calls never interleave on one volume, name or path.
import { aborted } from '../../grpc/errors.js';

export class OperationLocks {
  private readonly busy = new Set<string>();

  /** Keys currently held (for diagnostics and tests). */
  held(): string[] {
    return [...this.busy];
  }

  /** Run `fn` holding every key; ABORTED naming the first busy key when any is held already. */
  async exclusive<T>(keys: string[], fn: () => T | Promise<T>): Promise<T> {
    const clash = keys.find((k) => this.busy.has(k));
    if (clash) throw aborted(`an operation is already pending for ${clash}`);
    const mine = [...new Set(keys)];
    for (const k of mine) this.busy.add(k);
    try {
      return await fn();
    } finally {
      for (const k of mine) this.busy.delete(k);
    }
  }
}
