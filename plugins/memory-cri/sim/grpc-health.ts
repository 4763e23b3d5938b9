// grpc-health: a gRPC server answering grpc.health.v1.Health (Check and Watch) on a pod port, so
// kubelet's gRPC probes (Kubernetes ≥ 1.24) have something to call. It speaks gRPC over
// cleartext HTTP/2 itself (length-prefixed protobuf messages, grpc-status trailers) because the
// pod's ports are servers of the port table (net.ts), which the sandbox forwards and exposes.
//
//   grpc-health [-p PORT] [-s SERVICE]... [-f FILE] [-d SECONDS]
//
// -p: port (default 50051). -s: a service name the server knows besides "" (the server as a
// whole); Check of any other name is NOT_FOUND, Watch of it SERVICE_UNKNOWN. -f: while FILE
// exists in the container (default /tmp/health-not-serving) every service is NOT_SERVING, and
// while FILE.SERVICE exists that service is; otherwise SERVING. -d: answer each call after that
// many seconds (to make a probe time out).
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { HealthCheckRequest, HealthCheckResponse, HealthCheckResponse_ServingStatus as Serving } from '../../../interfaces/gen/grpc/health/v1/health.js';
import { ExposeError, PortInUse } from './net.js';
import { programs, type ProgramCtx } from './types.js';

export const GRPC_HEALTH_DEFAULT_PORT = 50051;
export const GRPC_HEALTH_DEFAULT_FILE = '/tmp/health-not-serving';

const SERVICE = '/grpc.health.v1.Health/';
/** How often Watch looks at the status files. */
const WATCH_POLL_MS = 100;

// gRPC status codes used here
const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;
const INTERNAL = 13;

interface Options {
  port: number;
  services: Set<string>;
  file: string;
  delayMs: number;
}

function parseArgs(args: string[]): Options | string {
  const o: Options = { port: GRPC_HEALTH_DEFAULT_PORT, services: new Set(['']), file: GRPC_HEALTH_DEFAULT_FILE, delayMs: 0 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const m = /^-([psfd])(.*)$/.exec(a);
    if (!m) return `unknown argument '${a}'`;
    const val = m[2] || args[++i];
    if (val === undefined) return `option -${m[1]} needs a value`;
    if (m[1] === 'p') {
      const p = Number(val);
      if (!Number.isInteger(p) || p < 1 || p > 65535) return `invalid port '${val}'`;
      o.port = p;
    } else if (m[1] === 's') o.services.add(val);
    else if (m[1] === 'f') o.file = val;
    else {
      const d = Number(val);
      if (!Number.isFinite(d) || d < 0) return `invalid delay '${val}'`;
      o.delayMs = d * 1000;
    }
  }
  return o;
}

/** One length-prefixed, uncompressed gRPC message. */
function frame(msg: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

/** grpc-message is percent-encoded outside printable ASCII. */
const grpcMessage = (s: string) =>
  s.replace(/[^\x20-\x24\x26-\x7e]/g, (ch) => [...Buffer.from(ch)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));

function trailersOnly(stream: ServerHttp2Stream, code: number, message: string): void {
  if (stream.destroyed || stream.headersSent) return;
  stream.respond(
    { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': grpcMessage(message) },
    { endStream: true },
  );
}

programs.set('grpc-health', async (c: ProgramCtx) => {
  const o = parseArgs(c.argv.slice(1));
  if (typeof o === 'string') {
    c.io.err.write(`grpc-health: ${o}\nusage: grpc-health [-p PORT] [-s SERVICE]... [-f FILE] [-d SECONDS]\n`);
    return 2;
  }
  const exists = (path: string) => {
    try {
      return c.host.fs.stat(path, c.cwd) !== undefined;
    } catch {
      return false;
    }
  };
  const status = (service: string): Serving => {
    if (!o.services.has(service)) return Serving.SERVICE_UNKNOWN;
    return exists(o.file) || (service !== '' && exists(`${o.file}.${service}`)) ? Serving.NOT_SERVING : Serving.SERVING;
  };
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    stream.on('error', () => undefined);
    const path = String(headers[':path'] ?? '');
    if (!String(headers['content-type'] ?? '').startsWith('application/grpc')) {
      stream.respond({ ':status': 415 }, { endStream: true });
      return;
    }
    const method = path.startsWith(SERVICE) ? path.slice(SERVICE.length) : '';
    if (method !== 'Check' && method !== 'Watch') {
      stream.resume();
      trailersOnly(stream, UNIMPLEMENTED, `unknown method ${path}`);
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      if (body.length < 5 || body[0] !== 0 || body.readUInt32BE(1) !== body.length - 5) {
        trailersOnly(stream, INTERNAL, 'grpc-health: expected one uncompressed request message');
        return;
      }
      let req: HealthCheckRequest;
      try {
        req = HealthCheckRequest.decode(body.subarray(5));
      } catch (e) {
        trailersOnly(stream, INTERNAL, `grpc-health: bad request: ${(e as Error).message}`);
        return;
      }
      later(o.delayMs, () => {
        if (stream.destroyed) return;
        const now = status(req.service);
        if (method === 'Check') {
          if (now === Serving.SERVICE_UNKNOWN) return trailersOnly(stream, NOT_FOUND, 'unknown service');
          stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
          stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
          stream.end(frame(HealthCheckResponse.encode({ status: now }).finish()));
          return;
        }
        // Watch: the status now, then each change, until the caller goes away
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
        stream.write(frame(HealthCheckResponse.encode({ status: now }).finish()));
        let last = now;
        const poll = setInterval(() => {
          const s = status(req.service);
          if (s !== last && !stream.destroyed) stream.write(frame(HealthCheckResponse.encode({ status: s }).finish()));
          last = s;
        }, WATCH_POLL_MS);
        stream.on('close', () => clearInterval(poll));
        c.proc.onExit(() => clearInterval(poll));
      });
    });
  };

  let listener;
  try {
    listener = await c.proc.race(c.host.ports.listenHttp2(o.port, onStream));
  } catch (e) {
    if (e instanceof PortInUse) {
      c.io.err.write('grpc-health: bind: Address in use\n');
      return 1;
    }
    if (e instanceof ExposeError) {
      c.io.err.write(`grpc-health: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  c.proc.onExit(() => {
    for (const t of timers) clearTimeout(t);
    return listener.close();
  });
  c.io.err.write(`grpc-health: serving grpc.health.v1.Health on port ${o.port} (services: ${[...o.services].map((s) => JSON.stringify(s)).join(', ')})\n`);
  await c.proc.sleep(Infinity);
  return 0;
});
