// hostpath: a real hostPath CSI driver (CSI v1.12, Identity + Controller + Node on one socket).
// Volumes are directories under <root>/volumes, snapshots tar.gz archives, state in
// <root>/state.json; the node service uses real bind mounts (root only). See README.md.
import { serve, type ServeOptions } from '../../interfaces/grpc/server.js';
import { HostpathDriver, type HostpathOptions } from './driver.js';

export { HostpathDriver, DEFAULT_DRIVER_NAME, TOPOLOGY_NODE_KEY, type HostpathOptions } from './driver.js';

export interface ServeHostpathOptions extends HostpathOptions, ServeOptions {
  /** Where to listen: unix:///path, a socket path, or host:port. */
  endpoint: string;
}

export interface RunningHostpath {
  /** The endpoint as clients write it, e.g. unix:///run/csi/hostpath.sock. */
  endpoint: string;
  driver: HostpathDriver;
  /** Stop serving and let go of the root. Volumes, snapshots and mounts persist by design. */
  close(): Promise<void>;
  /** close(), then remove every mount the driver made and the root's content. */
  destroy(): Promise<void>;
}

export async function serveHostpathCsi(opts: ServeHostpathOptions): Promise<RunningHostpath> {
  const driver = new HostpathDriver(opts);
  try {
    const server = await serve(opts.endpoint, driver.bindings(), { mode: opts.mode, onCall: opts.onCall });
    let closing: Promise<void> | undefined;
    let destroying: Promise<void> | undefined;
    const close = () => (closing ??= server.close().finally(() => driver.release()));
    return {
      endpoint: server.endpoint.display,
      driver,
      close,
      destroy: () => (destroying ??= close().then(() => driver.destroy())),
    };
  } catch (err) {
    driver.release();
    throw err;
  }
}
