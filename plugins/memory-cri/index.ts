// memory-cri: an in-memory CRI runtime — an executable specification of CRI runtime.v1 over the
// real gRPC wire, runnable anywhere without root. Sandboxes and containers follow containerd's
// state machines; containers run simulated processes (sim/: a small shell and busybox-like
// programs) whose files are the real host directories behind their mounts; logs are written in
// the CRI format; images come from a built-in catalogue; pods are networked through any
// PodNetwork (e.g. a CNI config list); faults are injected with the shared fault rules. Pods can
// be checkpointed and restored as a whole (CheckpointPod/RestorePod, Kubernetes 1.37).
//
// Exec, Attach and PortForward answer URLs of its streaming server (streaming-server.ts).
// Not implemented (UNIMPLEMENTED with a reason): CheckpointContainer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServeOptions } from '../../interfaces/grpc/server.js';
import { MemoryRuntime, type MemoryRuntimeOptions } from './runtime.js';

export { MemoryRuntime, type MemoryRuntimeOptions } from './runtime.js';
export { BUILTIN_IMAGES, Catalogue, type CatalogueImage, type CatalogueEntry } from './catalogue.js';
export { loadImageFile, parseImageList, ImageFileError, DEFAULT_IMAGE_SIZE } from './image-file.js';
export { parseImageRef, normalizeRef, refString, familiarString, RefError, type ImageRef } from './image-ref.js';
export { cniNetwork, podNetworkFrom, type CniNetworkOptions, type NetworkRequest, type NetworkSpec, type PodNetwork, type PortMappingReq } from './network.js';
export { CriLogWriter, parseCriLogLine, rfc3339Nano, type CriLogLine } from './logs.js';
export { RUNTIME_NAME, RUNTIME_API_VERSION } from './status.js';
export { METRIC_DESCRIPTORS } from './stats.js';
export { BUSYBOX_APPLETS, simulatedPrograms } from './sim/index.js';

export interface ServeMemoryCriOptions extends MemoryRuntimeOptions, ServeOptions {
  /** Where to listen (unix:///path, a socket path, or host:port). Default: cri.sock in a new temporary directory. */
  endpoint?: string;
}

export interface RunningMemoryCri {
  /** The endpoint as clients write it, e.g. unix:///tmp/…/cri.sock. */
  endpoint: string;
  runtime: MemoryRuntime;
  /** Stop every simulated process, listener and timer, remove created netns, stop serving. */
  close(): Promise<void>;
}

/** Serve RuntimeService and ImageService of a new MemoryRuntime on one endpoint. */
export async function serveMemoryCri(opts: ServeMemoryCriOptions = {}): Promise<RunningMemoryCri> {
  const runtime = new MemoryRuntime(opts);
  let tmp: string | undefined;
  try {
    let endpoint = opts.endpoint;
    if (!endpoint) {
      tmp = mkdtempSync(join(tmpdir(), 'triad-memory-cri-'));
      endpoint = join(tmp, 'cri.sock');
    }
    const server = await serve(endpoint, runtime.bindings(), { mode: opts.mode, onCall: opts.onCall });
    let closing: Promise<void> | undefined;
    return {
      endpoint: server.endpoint.display,
      runtime,
      close: () =>
        (closing ??= (async () => {
          // The runtime first: killing processes and ending event streams lets in-flight calls finish.
          try {
            await runtime.close();
          } finally {
            await server.close(2000);
            if (tmp) rmSync(tmp, { recursive: true, force: true });
          }
        })()),
    };
  } catch (err) {
    await runtime.close().catch(() => undefined);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
