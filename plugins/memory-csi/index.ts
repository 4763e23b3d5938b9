// memory-csi: an in-memory CSI driver (an executable specification of CSI v1.12 over the real
// gRPC wire). Volumes are real directories on the host, published by bind mount when running as
// root and by symlink otherwise; see driver.ts for the options and host.ts for the mechanics.
import { join } from 'node:path';
import { serve, type ServeOptions } from '../../interfaces/grpc/server.js';
import { MemoryCsiDriver, type MemoryCsiOptions } from './driver.js';

export { MemoryCsiDriver, DEFAULT_DRIVER_NAME, DEFAULT_MUTABLE_PARAMETER_KEYS, TOPOLOGY_NODE_KEY, type MemoryCsiOptions } from './driver.js';
export { EPHEMERAL_KEY } from './node.js';
export type { Mechanism, PublishMode } from './host.js';

export interface ServeMemoryCsiOptions extends MemoryCsiOptions, ServeOptions {
  /** Where to listen (unix:///path, a socket path, or host:port). Default: csi.sock in the data dir. */
  endpoint?: string;
}

export interface RunningMemoryCsi {
  /** The endpoint as clients write it, e.g. unix:///tmp/…/csi.sock. */
  endpoint: string;
  driver: MemoryCsiDriver;
  /** Stop serving, then unmount and remove everything the driver created. */
  close(): Promise<void>;
}

/** Serve all four services of a new driver on one endpoint. */
export async function serveMemoryCsi(opts: ServeMemoryCsiOptions = {}): Promise<RunningMemoryCsi> {
  const driver = new MemoryCsiDriver(opts);
  try {
    await driver.mechanism();
    const server = await serve(opts.endpoint ?? join(driver.dataDir, 'csi.sock'), driver.bindings(), { mode: opts.mode, onCall: opts.onCall });
    let closing: Promise<void> | undefined;
    return {
      endpoint: server.endpoint.display,
      driver,
      close: () => (closing ??= server.close().finally(() => driver.close())),
    };
  } catch (err) {
    await driver.close().catch(() => undefined);
    throw err;
  }
}
