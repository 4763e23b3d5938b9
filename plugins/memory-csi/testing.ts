// Helpers for driving a memory-csi driver over its real socket from tests: a driver in a fresh
// temporary directory with a connected CsiClient, and capability builders.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VolumeCapability_AccessMode_Mode as Mode, type VolumeCapability } from '../../interfaces/gen/csi/csi.js';
import { blockCapability, mountCapability } from '../../interfaces/csi/sdk/index.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import { CsiClient } from '../../interfaces/csi/client.js';
import { serveMemoryCsi, type RunningMemoryCsi, type ServeMemoryCsiOptions } from './index.js';

export { Mode };

/** A volume capability as a request field. */
export type Capability = DeepPartial<VolumeCapability>;

export const mountCap: (mode?: Mode, fsType?: string) => Capability = mountCapability;
export const blockCap: (mode?: Mode) => Capability = blockCapability;

export interface TestDriver extends RunningMemoryCsi {
  client: CsiClient;
  /** A scratch directory for target and staging paths; removed by close(). */
  dir: string;
}

/** Serve a driver whose data, socket and scratch paths all live under one new temporary directory. */
export async function startTestDriver(opts: ServeMemoryCsiOptions = {}): Promise<TestDriver> {
  const dir = mkdtempSync(join(tmpdir(), 'memory-csi-test-'));
  let run: RunningMemoryCsi | undefined;
  try {
    run = await serveMemoryCsi({ nodeId: 'node-a', dataDir: join(dir, 'data'), endpoint: join(dir, 'csi.sock'), ...opts });
    const client = new CsiClient(run.endpoint, { timeoutMs: 10_000 });
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
