// Serve implementations of any generated service on a unix socket (or host:port).
// Unimplemented methods answer UNIMPLEMENTED; thrown StatusErrors keep their code; anything
// else thrown becomes INTERNAL with its message — a handler bug never crashes the server.
import * as grpc from '@grpc/grpc-js';
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { parseEndpoint, type Endpoint } from '../endpoint.js';
import { listenUnix, type UnixListener } from './authority.js';
import { grpcDefinition } from './definition.js';
import { cancelled, Status, StatusError } from './errors.js';
import type { DeepPartial, RequestOf, ResponseOf, ServiceDef } from './types.js';

export interface CallContext {
  metadata: grpc.Metadata;
  /** Aborted when the client cancels or the deadline passes. */
  signal: AbortSignal;
  deadline: Date | number | undefined;
  /** e.g. "RuntimeService/RunPodSandbox" */
  rpc: string;
}

type Awaitable<T> = T | Promise<T>;
type Handler<M> = M extends { requestStream: false; responseStream: false }
  ? (req: RequestOf<M>, ctx: CallContext) => Awaitable<DeepPartial<ResponseOf<M>>>
  : M extends { requestStream: false; responseStream: true }
    ? (req: RequestOf<M>, ctx: CallContext) => AsyncIterable<DeepPartial<ResponseOf<M>>>
    : (reqs: AsyncIterable<RequestOf<M>>, ctx: CallContext) => Awaitable<DeepPartial<ResponseOf<M>>>;

/** An implementation may leave out any method: it then answers UNIMPLEMENTED. */
export type ServiceImpl<D extends ServiceDef> = { [K in keyof D['methods']]?: Handler<D['methods'][K]> };

export interface Binding<D extends ServiceDef = ServiceDef> {
  def: D;
  impl: ServiceImpl<D>;
}
export const bind = <D extends ServiceDef>(def: D, impl: ServiceImpl<D>): Binding<D> => ({ def, impl });

/**
 * A service whose handlers take grpc-js calls as they are, under a definition of their own (e.g.
 * bytes in and out): the interposer forwards calls without decoding them. serve() adds them as
 * given; they build their CallContext with callContext() and answer and account for themselves.
 */
export interface RawBinding {
  definition: grpc.ServiceDefinition;
  handlers: grpc.UntypedServiceImplementation;
}

export interface ServeOptions {
  /** Unix socket file mode (default 0o660). */
  mode?: number;
  /** Called for every call with its outcome; used for logging and fault accounting. */
  onCall?: (rpc: string, code: number, ms: number) => void;
}

export interface RunningServer {
  endpoint: Endpoint;
  /** Stop accepting calls, wait up to graceMs for in-flight ones, then force; removes the socket. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Longest status message sent. The message travels percent-encoded in the grpc-message trailer,
 * and a trailer block past HTTP/2's header list limit (64 KiB in Node) is dropped: the caller then
 * gets no status at all and waits for its deadline. An error echoing a huge request field (a 128
 * KiB volume id, found by `triad fuzz`) did exactly that. 4096 UTF-16 units stay under 25 KiB encoded.
 */
export const MAX_STATUS_DETAILS = 4096;

const capDetails = (d: string) =>
  d.length <= MAX_STATUS_DETAILS ? d : `${d.slice(0, MAX_STATUS_DETAILS)}… (${d.length - MAX_STATUS_DETAILS} more characters cut)`;

function toServiceError(err: unknown): Partial<grpc.ServiceError> {
  if (err instanceof StatusError) return { code: err.code, details: capDetails(err.message) };
  const e = err as { code?: unknown; message?: string };
  if (typeof e?.code === 'number' && e.code >= 0 && e.code <= 16) return { code: e.code, details: capDetails(e.message ?? String(err)) };
  return { code: Status.INTERNAL, details: capDetails(`internal error: ${e?.message ?? String(err)}`) };
}

export interface ServerCallContext extends CallContext {
  /** The handler is done: a 'cancelled' after this is only the stream closing. */
  finish(): void;
  /** Abort the handler from the server side (e.g. the server is stopping). */
  abort(): void;
}

/** The context of one server call: its signal aborts when the client cancels or the deadline passes. */
export function callContext(
  call: { on(event: 'cancelled', fn: () => void): unknown; metadata: grpc.Metadata; getDeadline(): grpc.Deadline },
  rpc: string,
): ServerCallContext {
  const ac = new AbortController();
  let finished = false;
  // grpc-js reports 'cancelled' for every call once its stream closes, answered or not: only a
  // cancel while the handler still runs aborts it (building the error costs a stack trace).
  const abort = () => {
    if (!finished && !ac.signal.aborted) ac.abort(cancelled('call cancelled'));
  };
  call.on('cancelled', abort);
  return {
    metadata: call.metadata,
    signal: ac.signal,
    deadline: call.getDeadline(),
    rpc,
    finish: () => {
      finished = true;
    },
    abort,
  };
}

/** Remove a socket file left by a dead server; refuse to steal a live one. */
async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    return;
  }
  if (!lstatSync(path).isSocket()) throw new Error(`cannot serve on ${path}: it exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`cannot serve on ${path}: another server is listening there`);
  unlinkSync(path);
}

export async function serve(endpoint: string | Endpoint, bindings: Array<Binding<any> | RawBinding>, opts: ServeOptions = {}): Promise<RunningServer> {
  const ep = typeof endpoint === 'string' ? parseEndpoint(endpoint) : endpoint;
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  for (const b of bindings) {
    if ('definition' in b) server.addService(b.definition, b.handlers);
    else server.addService(grpcDefinition(b.def), handlers(b.def, b.impl, opts));
  }
  // On a unix socket triad accepts connections itself, so that any :authority a client sends works
  // (see authority.ts); on TCP clients send host:port, which grpc-js takes as it is.
  let unix: UnixListener | undefined;
  if (ep.kind === 'unix') {
    await clearStaleSocket(ep.path);
    unix = await listenUnix(server, ep.path);
    chmodSync(ep.path, opts.mode ?? 0o660);
  } else {
    await new Promise<number>((resolve, reject) =>
      server.bindAsync(ep.target, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
  }
  let closed: Promise<void> | undefined;
  return {
    endpoint: ep,
    close(graceMs = 5000) {
      closed ??= new Promise<void>((resolve) => {
        unix?.close();
        // Forcing also drops the raw sockets: a session closing gracefully waits for its peer to
        // read the FIN, which a stuck client never does.
        const force = setTimeout(() => {
          server.forceShutdown();
          unix?.destroyAll();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }).then(() => {
        unix?.destroyAll();
        if (ep.kind === 'unix' && existsSync(ep.path)) unlinkSync(ep.path);
      });
      return closed;
    },
  };
}

function handlers(def: ServiceDef, impl: Record<string, Function | undefined>, opts: ServeOptions): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  const service = def.fullName.split('.').pop();
  for (const [key, m] of Object.entries(def.methods)) {
    const rpc = `${service}/${m.name}`;
    const fn = impl[key]?.bind(impl);
    const done = (started: number, code: number) => opts.onCall?.(rpc, code, Date.now() - started);
    if (!fn) {
      const unimpl = { code: Status.UNIMPLEMENTED, details: `${rpc} is not implemented by this server` };
      out[key] = m.responseStream
        ? (call: grpc.ServerWritableStream<unknown, unknown>) => {
            done(Date.now(), unimpl.code);
            call.emit('error', unimpl);
          }
        : (_call: unknown, cb: grpc.sendUnaryData<unknown>) => {
            done(Date.now(), unimpl.code);
            cb(unimpl);
          };
      continue;
    }
    if (!m.requestStream && !m.responseStream) {
      out[key] = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const started = Date.now();
        const ctx = callContext(call, rpc);
        Promise.resolve()
          .then(() => fn(call.request, ctx))
          .then(
            (res) => {
              ctx.finish();
              done(started, 0);
              cb(null, res ?? {});
            },
            (err) => {
              ctx.finish();
              const e = toServiceError(err);
              done(started, e.code!);
              cb(e);
            },
          );
      };
    } else if (!m.requestStream && m.responseStream) {
      out[key] = async (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const started = Date.now();
        try {
          for await (const item of fn(call.request, callContext(call, rpc)) as AsyncIterable<unknown>) {
            if (call.cancelled) break;
            if (!call.write(item)) await new Promise((r) => call.once('drain', r));
          }
          done(started, 0);
          call.end();
        } catch (err) {
          const e = toServiceError(err);
          done(started, e.code!);
          call.emit('error', e);
        }
      };
    } else if (m.requestStream && !m.responseStream) {
      out[key] = (call: grpc.ServerReadableStream<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const started = Date.now();
        const ctx = callContext(call, rpc);
        Promise.resolve()
          .then(() => fn(call, ctx))
          .then(
            (res) => {
              ctx.finish();
              done(started, 0);
              cb(null, res ?? {});
            },
            (err) => {
              ctx.finish();
              const e = toServiceError(err);
              done(started, e.code!);
              cb(e);
            },
          );
      };
    }
  }
  return out;
}
