// kubelet's gRPC probe (Kubernetes ≥ 1.24): grpc.health.v1.Health/Check on the pod's address and
// the probe's port, with the probe's service name; SERVING is success, any other status, error
// or a call not done within timeoutSeconds is failure. Messages read like kubelet's.
//
// One unary call over node:http2 on a socket this module owns, not a grpc-js channel: grpc-js
// gives a pending TCP connect no timeout and does not destroy it on close, so a probe of a pod IP
// that stopped answering kept a SYN retrying for minutes after the probe — and once the pod's
// bridge was gone, out through the default route, off the node. Here the socket dies with the probe.
import { connect as http2Connect, constants as H2 } from 'node:http2';
import { connect as tcpConnect, type Socket } from 'node:net';
import { codeName } from '../../interfaces/grpc/errors.js';
import {
  HealthCheckRequest,
  HealthCheckResponse,
  HealthCheckResponse_ServingStatus as Serving,
  healthCheckResponse_ServingStatusToJSON,
} from '../../interfaces/gen/grpc/health/v1/health.js';

/** What kubelet's probes send as User-Agent: kube-probe/<its major.minor> (the CRI contract here is 1.37's). */
export const PROBE_USER_AGENT = 'kube-probe/1.37';

export interface GrpcProbeOutcome {
  ok: boolean;
  message: string;
}

export async function grpcProbe(host: string, port: number, service: string, timeoutS: number): Promise<GrpcProbeOutcome> {
  const addr = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const deadline = Date.now() + timeoutS * 1000;
  let socket: Socket | undefined;
  try {
    try {
      socket = await dial(host, port, timeoutS * 1000);
    } catch (e) {
      return { ok: false, message: `timeout: failed to connect service "${addr}" within ${timeoutS}s: ${(e as Error).message}` };
    }
    const answer = await check(socket, addr, service, Math.max(1, deadline - Date.now()));
    if (answer.kind === 'timeout') return { ok: false, message: `timeout: health rpc did not complete within ${timeoutS}s` };
    if (answer.kind === 'status') {
      if (answer.code === 12)
        return { ok: false, message: `this server does not implement the grpc health protocol (grpc.health.v1.Health): ${answer.message}` };
      return { ok: false, message: `error: health rpc probe failed: rpc error: code = ${goCode(codeName(answer.code))} desc = ${answer.message}` };
    }
    if (answer.status !== Serving.SERVING)
      return { ok: false, message: `service unhealthy (responded with "${healthCheckResponse_ServingStatusToJSON(answer.status)}")` };
    return { ok: true, message: 'SERVING' };
  } finally {
    socket?.destroy();
  }
}

function dial(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`dial tcp ${host}:${port}: i/o timeout`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      s.destroy();
      reject(new Error(`dial tcp ${host}:${port}: ${e.message}`));
    });
  });
}

type Answer = { kind: 'ok'; status: Serving } | { kind: 'status'; code: number; message: string } | { kind: 'timeout' };

/** The unary call: a length-prefixed request, then the answer and the grpc-status trailer. */
function check(socket: Socket, authority: string, service: string, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const session = http2Connect(`http://${authority}`, { createConnection: () => socket });
    let settled = false;
    const done = (a: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(a);
    };
    const timer = setTimeout(() => done({ kind: 'timeout' }), timeoutMs);
    session.on('error', (e) => done({ kind: 'status', code: 14, message: e.message }));
    const req = session.request({
      [H2.HTTP2_HEADER_METHOD]: 'POST',
      [H2.HTTP2_HEADER_PATH]: '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': PROBE_USER_AGENT,
      'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
    });
    const body = HealthCheckRequest.encode({ service }).finish();
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    frame.set(body, 5);
    req.end(frame);
    const chunks: Buffer[] = [];
    let headers: Record<string, unknown> = {};
    req.on('response', (h) => {
      headers = h;
    });
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('error', (e) => done({ kind: 'status', code: 14, message: e.message }));
    // grpc-status comes in the trailers, or in the headers of a trailers-only answer
    const finish = (trailers: Record<string, unknown>) => {
      const http = Number(headers[H2.HTTP2_HEADER_STATUS] ?? 200);
      const raw = trailers['grpc-status'] ?? headers['grpc-status'];
      if (raw === undefined)
        return done({ kind: 'status', code: http === 200 ? 13 : httpToGrpc(http), message: `no grpc-status in the answer (HTTP ${http})` });
      const code = Number(raw);
      const message = decodeURIComponent(String(trailers['grpc-message'] ?? headers['grpc-message'] ?? ''));
      if (code !== 0) return done({ kind: 'status', code, message });
      const data = Buffer.concat(chunks);
      if (data.length < 5 || data.length < 5 + data.readUInt32BE(1)) return done({ kind: 'status', code: 13, message: 'the answer has no complete message' });
      try {
        done({ kind: 'ok', status: HealthCheckResponse.decode(data.subarray(5, 5 + data.readUInt32BE(1))).status });
      } catch (e) {
        done({ kind: 'status', code: 13, message: `the answer does not decode: ${(e as Error).message}` });
      }
    };
    let trailers: Record<string, unknown> | undefined;
    req.on('trailers', (t) => {
      trailers = t;
    });
    req.on('end', () => finish(trailers ?? {}));
    req.on('close', () => finish(trailers ?? {}));
  });
}

/** What gRPC makes of an HTTP status without grpc-status (the gRPC HTTP/2 mapping). */
function httpToGrpc(http: number): number {
  return ({ 400: 13, 401: 16, 403: 7, 404: 12, 429: 14, 502: 14, 503: 14, 504: 14 } as Record<number, number>)[http] ?? 2;
}

/** NOT_FOUND → NotFound, as Go's codes.Code prints. */
const goCode = (name: string) => name.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _u: string, ch: string) => ch.toUpperCase());
