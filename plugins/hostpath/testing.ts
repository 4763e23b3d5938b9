// Helpers for driving a hostpath driver over its real socket from tests: a driver whose root,
// socket and scratch paths (targets, staging) live under one temporary directory, a connected
// CsiClient, and a close() that removes every mount and file, whatever the test left behind.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsiClient } from '../../interfaces/csi/client.js';
import { mountsUnder, unmount } from '../../interfaces/csi/sdk/index.js';
import { serveHostpathCsi, type RunningHostpath, type ServeHostpathOptions } from './index.js';

export interface TestHostpath extends RunningHostpath {
  client: CsiClient;
  /** The temporary directory holding root/, csi.sock and the scratch paths. */
  dir: string;
  /** A path for targets and staging, outside the driver root. */
  scratch(...parts: string[]): string;
  /** Stop serving but keep everything (to start another instance on the same root). */
  stop(): Promise<void>;
  /** destroy() the driver, unmount anything else left under dir, and remove dir. */
  close(): Promise<void>;
}

/** Unmount whatever is still mounted at or below `dir` (deepest first). */
export async function sweepMounts(dir: string): Promise<void> {
  for (const p of mountsUnder(dir).reverse()) await unmount(p).catch(() => undefined);
}

/** Serve a driver under a fresh temporary directory, or under `dir` (from an earlier instance) when given. */
export async function startTestHostpath(opts: Partial<ServeHostpathOptions> & { dir?: string } = {}): Promise<TestHostpath> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'hostpath-test-'));
  let run: RunningHostpath | undefined;
  try {
    run = await serveHostpathCsi({ nodeId: 'node-a', root: join(dir, 'root'), endpoint: join(dir, 'csi.sock'), ...opts });
    const client = new CsiClient(run.endpoint, { timeoutMs: 20_000 });
    await client.waitForReady(5000);
    const r = run;
    let stopping: Promise<void> | undefined;
    let closing: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        client.close();
        await r.close();
      })());
    return {
      ...r,
      client,
      dir,
      stop,
      scratch: (...parts) => join(dir, 'mnt', ...parts),
      close: () =>
        (closing ??= (async () => {
          await stop();
          try {
            await r.driver.destroy();
          } finally {
            await sweepMounts(dir);
            if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
          }
        })()),
    };
  } catch (err) {
    await run?.close().catch(() => undefined);
    if (!opts.dir) {
      await sweepMounts(dir);
      rmSync(dir, { recursive: true, force: true });
    }
    throw err;
  }
}
