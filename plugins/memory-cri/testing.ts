// Helpers for driving memory-cri over its real socket from tests: a runtime in a fresh
// temporary directory with a connected CriClient, config builders, and polling.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerConfig, PodSandboxConfig } from '../../interfaces/gen/cri/api.js';
import { CriClient } from '../../interfaces/cri/client.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import { serveMemoryCri, type RunningMemoryCri, type ServeMemoryCriOptions } from './index.js';

export interface TestRuntime extends RunningMemoryCri {
  client: CriClient;
  /** Scratch directory (logs, volumes); removed by close(). */
  dir: string;
}

export async function startTestRuntime(opts: ServeMemoryCriOptions = {}): Promise<TestRuntime> {
  const dir = mkdtempSync(join(tmpdir(), 'memory-cri-test-'));
  let run: RunningMemoryCri | undefined;
  try {
    run = await serveMemoryCri({ endpoint: join(dir, 'cri.sock'), stateDir: join(dir, 'state'), ...opts });
    const client = new CriClient(run.endpoint, { timeoutMs: 10_000 });
    await client.waitForReady(5000);
    const r = run;
    let closing: Promise<void> | undefined;
    return {
      ...r,
      client,
      dir,
      close: () =>
        (closing ??= (async () => {
          client.close();
          try {
            await r.close();
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        })()),
    };
  } catch (err) {
    await run?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

let seq = 0;

/** A sandbox config with unique metadata (name pod-N, namespace default, uid uid-N). */
export function podConfig(over: DeepPartial<PodSandboxConfig> = {}): DeepPartial<PodSandboxConfig> {
  const n = ++seq;
  return {
    metadata: { name: `pod-${n}`, namespace: 'default', uid: `uid-${n}`, attempt: 0 },
    hostname: `pod-${n}`,
    labels: { app: 'test' },
    annotations: { note: 'kept as is' },
    ...over,
  };
}

/** A container config running argv in busybox. */
export function ctrConfig(name: string, command: string[] = [], over: DeepPartial<ContainerConfig> = {}): DeepPartial<ContainerConfig> {
  return {
    metadata: { name, attempt: 0 },
    image: { image: 'busybox' },
    command,
    labels: { ctr: name },
    annotations: { a: '1' },
    logPath: `${name}/0.log`,
    ...over,
  };
}

/** Poll fn until it returns a truthy value, or fail after timeoutMs. */
export async function waitFor<T>(fn: () => Promise<T> | T, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
