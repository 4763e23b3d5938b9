// The streaming URL for `triad exec/attach/port-forward`, as kubelet answers the API server's
// pods/exec, pods/attach and pods/portforward: find the pod's container (or sandbox), ask the CRI
// runtime for a session (Exec/Attach/PortForward) and hand back its URL; the client then talks
// to the runtime's streaming server directly.
import type { CriClient } from '../../interfaces/cri/client.js';
import { RpcError } from '../../interfaces/grpc/errors.js';
import type { PodWorker } from './pod-worker.js';

export interface StreamRequest {
  kind: 'exec' | 'attach' | 'portforward';
  container?: string;
  cmd?: string[];
  stdin?: boolean;
  tty?: boolean;
  ports?: number[];
}

export class StreamingRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'StreamingRequestError';
  }
}

export async function streamingUrl(w: PodWorker, cri: CriClient, runtimeName: string, req: StreamRequest): Promise<{ url: string }> {
  const name = w.pod.metadata.name;
  const bad = (msg: string) => new StreamingRequestError(msg, 400);
  try {
    if (req.kind === 'portforward') {
      if (!w.sandboxId) throw bad(`pod ${name} has no sandbox yet (it is not running)`);
      const ports = req.ports ?? [];
      if (!ports.length || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) throw bad(`ports must be 1–65535, got ${JSON.stringify(req.ports)}`);
      return { url: (await cri.runtime.portForward({ podSandboxId: w.sandboxId, port: ports })).url };
    }
    const names = w.pod.spec.containers.map((c) => c.name);
    const cname = req.container ?? w.pod.spec.containers[0]?.name;
    const c = cname ? w.containers.get(cname) : undefined;
    if (!cname || !c) throw bad(`container ${cname} is not valid for pod ${name} (containers: ${[...w.containers.keys()].join(', ') || names.join(', ')})`);
    if (!c.id || c.state !== 'running') {
      throw bad(`container ${cname} in pod ${name} is not running (${c.state === 'none' ? (c.waiting?.reason ?? 'ContainerCreating') : c.state})`);
    }
    const tty = !!req.tty;
    const stdin = !!req.stdin;
    if (req.kind === 'exec') {
      if (!req.cmd?.length) throw bad('a command is required: triad exec POD -- CMD…');
      return { url: (await cri.runtime.exec({ containerId: c.id, cmd: req.cmd, tty, stdin, stdout: true, stderr: !tty })).url };
    }
    return { url: (await cri.runtime.attach({ containerId: c.id, tty, stdin, stdout: true, stderr: !tty })).url };
  } catch (e) {
    if (e instanceof RpcError && e.codeName === 'UNIMPLEMENTED') {
      throw new StreamingRequestError(`the runtime ${runtimeName} has no streaming server: ${e.details}`, 501);
    }
    if (e instanceof RpcError) throw new StreamingRequestError(`${e.codeName}: ${e.details}`, e.codeName === 'NOT_FOUND' ? 404 : 400);
    throw e;
  }
}
