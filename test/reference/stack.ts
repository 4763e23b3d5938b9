// Shared helper of the reference-stack tests: decides whether the stack can run here, brings it
// up once per file (reusing a running one) and tears it down again when this file started it.
// Not root or packages missing → the tests are skipped with the reason in their names, EXCEPT
// in CI (CI=true), where a missing stack is a failure. TRIAD_REFERENCE_KEEP=1 keeps a stack
// this file started (faster local iteration; `triad reference down` removes it).
import type { Test } from 'uvu';
import { CriClient } from '../../interfaces/cri/client.js';
import { isRoot, missingPackages, referenceDown, referenceStatus, referenceUp, type UpResult } from '../../plugins/reference/index.js';

export interface StackHandle {
  available: boolean;
  reason?: string;
  stack?: UpResult;
  client?: CriClient;
  /** This process started the stack (so it takes it down). */
  owned: boolean;
  release(): Promise<void>;
}

const ci = process.env.CI === 'true';

export function unavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (!isRoot()) return 'not root';
  const missing = missingPackages();
  if (missing.length) return `missing ${missing.map((m) => m.pkg).filter((p, i, a) => a.indexOf(p) === i).join(', ')} (run .ci/setup-host)`;
  return undefined;
}

export async function useStack(opts: { stateDir?: string } = {}): Promise<StackHandle> {
  const reason = unavailableReason();
  if (reason) {
    if (ci) throw new Error(`reference stack unavailable in CI: ${reason}`);
    console.log(`(reference stack unavailable here: ${reason}; its tests are skipped)`);
    return { available: false, reason, owned: false, release: async () => undefined };
  }
  const before = await referenceStatus({ stateDir: opts.stateDir });
  const started = Date.now();
  let stack: UpResult;
  try {
    stack = await referenceUp({ stateDir: opts.stateDir });
  } catch (err) {
    // Root with the packages present: a failing up is a real failure, never a skip.
    throw new Error(`reference up failed: ${(err as Error).message}`);
  }
  const owned = !before.healthy;
  if (owned) console.log(`(reference stack up in ${Date.now() - started} ms: ${JSON.stringify(stack.timingsMs)})`);
  const client = new CriClient(stack.containerd!.endpoint, { timeoutMs: 60_000 });
  await client.waitForReady(10_000);
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    client.close();
    if (owned && process.env.TRIAD_REFERENCE_KEEP !== '1') await referenceDown({ stateDir: opts.stateDir });
  };
  // The runner kills a timed-out file with SIGTERM: take the stack down first.
  const onSignal = (sig: NodeJS.Signals) => { void release().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143)); };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return { available: true, stack, client, owned, release };
}

/** `it(name, fn)`: the suite's test, or a skip naming why when the stack is unavailable. */
export function testOrSkip(t: Test, h: StackHandle): (name: string, fn: () => Promise<void> | void) => void {
  if (h.available) return (name, fn) => t(name, fn);
  return (name, fn) => t.skip(`${name} [skipped: reference stack unavailable: ${h.reason}]`, fn);
}
