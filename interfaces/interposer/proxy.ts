// The gRPC interposer: listens where a client expects a plugin, forwards every call of every
// service triad has contracts for (CRI RuntimeService + ImageService, CSI Identity, Controller,
// Node, GroupController, SnapshotMetadata, gRPC health) to the real plugin, and on the way applies
// fault rules (rules.ts) and writes a transcript (transcript.ts).
//
// Transparency: requests and answers travel as the bytes the two sides sent (fields this build
// does not know and proto3 defaults survive untouched); they are decoded with the generated types
// only to match rules and to record. An answer is re-encoded only when a rule corrupts it.
// Metadata and the deadline go upstream with the call; an upstream status (code, message,
// trailers) comes back unchanged. The listening side is triad's server layer (grpc/server.ts), so
// clients that send the socket path as `:authority` (kubelet < 1.26, crictl 1.26, grpc-java) work
// through the proxy as they do against triad's plugins.
import * as grpc from '@grpc/grpc-js';
import * as http2 from 'node:http2';
import { parseEndpoint, type Endpoint } from '../endpoint.js';
import { codeName, Status } from '../grpc/errors.js';
import { callContext, serve, type RawBinding, type ServerCallContext } from '../grpc/server.js';
import type { MethodDef, ServiceDef } from '../grpc/types.js';
import { grpcCode } from '../faults.js';
import { ImageServiceDefinition, RuntimeServiceDefinition } from '../gen/cri/api.js';
import { ControllerDefinition, GroupControllerDefinition, IdentityDefinition, NodeDefinition, SnapshotMetadataDefinition } from '../gen/csi/csi.js';
import { HealthDefinition } from '../gen/grpc/health/v1/health.js';
import { describeRule, RuleSet, setAt, type InterposerRule } from './rules.js';
import { Transcript, type TranscriptEntry } from './transcript.js';

export const PROXIED_SERVICES: ServiceDef[] = [
  RuntimeServiceDefinition,
  ImageServiceDefinition,
  IdentityDefinition,
  ControllerDefinition,
  NodeDefinition,
  GroupControllerDefinition,
  SnapshotMetadataDefinition,
  HealthDefinition,
];

export interface ProxyOptions {
  /** Where clients connect (unix:///path, a socket path, or host:port). */
  listen: string;
  /** The real plugin. */
  upstream: string;
  rules?: InterposerRule[];
  /** Write a JSONL transcript of every call to this file (appended). */
  record?: string;
  /** Unix socket mode (default 0o660, as triad's servers). */
  mode?: number;
  /** Called after every call with its transcript entry (also without `record`). */
  onCall?: (e: TranscriptEntry) => void;
}

export interface RunningProxy {
  endpoint: Endpoint;
  upstream: Endpoint;
  /** Replace the fault rules (counts of nth/times start again). */
  setRules(rules: InterposerRule[]): void;
  /** Add rules after the current ones; returns their removal (for a test that aims faults at its own objects). */
  addRules(rules: InterposerRule[]): () => void;
  /** Be told of every call as it ends (its transcript entry); returns the unsubscribe. */
  watch(fn: (e: TranscriptEntry) => void): () => void;
  /** Stop: cancels calls in flight (their clients see CANCELLED/UNAVAILABLE), closes the transcript, removes the socket. */
  close(graceMs?: number): Promise<void>;
}

const raw = (b: Buffer) => b;
// Headers grpc-js sets itself on the upstream call; forwarding them would duplicate them.
const OWN_HEADERS = new Set(['user-agent', 'content-type', 'te', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'grpc-message-type']);

function forwardMetadata(md: grpc.Metadata): grpc.Metadata {
  const out = md.clone();
  for (const k of Object.keys(out.getMap())) if (OWN_HEADERS.has(k) || k.startsWith(':')) out.remove(k);
  return out;
}

function decode(t: MethodDef['requestType'], b: Buffer): unknown {
  try {
    return t.decode(b);
  } catch (err) {
    return { undecodable: (err as Error).message, bytes: b.toString('base64') };
  }
}
function toJson(t: MethodDef['requestType'], v: unknown): unknown {
  try {
    return t.toJSON(v as never);
  } catch {
    return v;
  }
}

/** Close the HTTP/2 connection a server call arrived on (the client sees UNAVAILABLE). */
function dropConnection(call: object): boolean {
  // grpc-js keeps the HTTP/2 stream on its internal call object; there is no public API for it.
  const stream = (call as { call?: { stream?: { close(code: number): void; session?: { destroy(): void; destroyed?: boolean } } } }).call?.stream;
  const session = stream?.session;
  if (!stream || !session) return false;
  // the call is refused (grpc-js clients map REFUSED_STREAM to UNAVAILABLE), then the connection
  // closed on the next turn: destroying the session from inside this handler, while node's http2
  // layer still dispatched the stream, has crashed node (SIGSEGV) under load
  stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
  setImmediate(() => {
    if (!session.destroyed) session.destroy();
  });
  return true;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  const listen = parseEndpoint(opts.listen);
  const upstream = parseEndpoint(opts.upstream);
  if (listen.kind === 'unix' && upstream.kind === 'unix' && listen.path === upstream.path) {
    throw new Error(`proxy: --listen and --upstream are the same socket (${listen.path})`);
  }
  let rules = new RuleSet(opts.rules ?? []);
  const transcript = opts.record ? new Transcript(opts.record) : undefined;
  const max = 16 * 1024 * 1024;
  const client = new grpc.Client(upstream.target, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': max,
    'grpc.max_send_message_length': max,
  });
  const inflight = new Set<ServerCallContext>();

  const watchers = new Set<(e: TranscriptEntry) => void>();
  const finish = (e: TranscriptEntry) => {
    transcript?.write(e);
    opts.onCall?.(e);
    for (const w of watchers) w(e);
  };

  const bindings: RawBinding[] = [];
  for (const def of PROXIED_SERVICES) {
    const service = def.fullName.split('.').pop()!;
    const impl: grpc.UntypedServiceImplementation = {};
    const gdef: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    for (const [key, m] of Object.entries(def.methods)) {
      if (m.requestStream) throw new Error(`proxy: ${def.fullName}/${m.name} streams requests, which the proxy does not forward`);
      const path = `/${def.fullName}/${m.name}`;
      const method = `${service}/${m.name}`;
      gdef[key] = {
        path,
        originalName: key,
        requestStream: false,
        responseStream: m.responseStream,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      };
      impl[key] = m.responseStream
        ? (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
            void streamCall(call, m, path, method);
          }
        : (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
            void unaryCall(call, cb, m, path, method);
          };
    }
    bindings.push({ definition: gdef as grpc.ServiceDefinition, handlers: impl });
  }

  /** Shared start of a call: decode, pick a rule, delay / hang / drop / fail. Returns what to do next. */
  async function begin(call: grpc.ServerUnaryCall<Buffer, Buffer> | grpc.ServerWritableStream<Buffer, Buffer>, m: MethodDef, method: string) {
    const started = Date.now();
    const request = decode(m.requestType, call.request);
    const rule = rules.pick(method, request);
    const ctx = callContext(call, method);
    inflight.add(ctx);
    const base = { time: new Date(started).toISOString(), method, request: toJson(m.requestType, request), ...(rule ? { fault: describeRule(rule) } : {}) };
    const entry = (status: { code: number; message?: string }, response?: unknown): TranscriptEntry => ({
      ...base,
      ...(response !== undefined ? { response } : {}),
      status: { code: status.code, name: codeName(status.code), ...(status.message ? { message: status.message } : {}) },
      durationMs: Date.now() - started,
    });
    const done = () => {
      ctx.finish();
      inflight.delete(ctx);
    };
    let outcome: 'forward' | { code: number; message: string } | 'dropped' | 'gone' = 'forward';
    if (rule?.delayMs) await sleep(rule.delayMs, ctx.signal);
    if (ctx.signal.aborted) outcome = { code: Status.CANCELLED, message: 'cancelled by the client while delayed' };
    else if (rule?.hang) {
      // until the client's deadline or cancel (grpc-js cancels the server call at the deadline), or the proxy stops
      await sleep(24 * 3600_000, ctx.signal);
      outcome = { code: Status.DEADLINE_EXCEEDED, message: `fault injected: ${method} hung until the caller gave up` };
      finish(entry(outcome));
      done();
      return { outcome: 'gone' as const };
    } else if (rule?.drop) {
      outcome = dropConnection(call) ? 'dropped' : { code: Status.INTERNAL, message: 'proxy: cannot drop the connection (grpc-js internals changed)' };
      if (outcome === 'dropped') {
        finish(entry({ code: Status.UNAVAILABLE, message: 'fault injected: connection dropped' }));
        done();
        return { outcome: 'gone' as const };
      }
    } else if (rule?.fail) {
      outcome = { code: grpcCode(rule.fail.code) ?? Status.UNKNOWN, message: rule.fail.message ?? `fault injected: ${method} failed` };
    }
    return { outcome, rule, entry, done, signal: ctx.signal };
  }

  function corrupt(m: MethodDef, rule: InterposerRule | undefined, bytes: Buffer): { bytes: Buffer; value: unknown } {
    const value = decode(m.responseType, bytes);
    if (!rule?.corrupt && !rule?.remove) return { bytes, value };
    const obj = m.responseType.toJSON(value as never) as Record<string, unknown>;
    for (const p of rule.remove ?? []) setAt(obj, p, undefined, true);
    for (const [p, v] of Object.entries(rule.corrupt ?? {})) setAt(obj, p, v);
    const changed = m.responseType.fromJSON(obj);
    return { bytes: Buffer.from(m.responseType.encode(changed).finish()), value: changed };
  }

  async function unaryCall(call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>, m: MethodDef, path: string, method: string) {
    const b = await begin(call, m, method);
    if (b.outcome === 'gone') return;
    const { rule, entry, done } = b;
    if (b.outcome !== 'forward') {
      finish(entry(b.outcome));
      done();
      return cb({ code: b.outcome.code, details: b.outcome.message });
    }
    const up = client.makeUnaryRequest(path, raw, raw, call.request, forwardMetadata(call.metadata), { deadline: call.getDeadline() }, (err, res) => {
      if (err) {
        finish(entry({ code: err.code, message: err.details }));
        done();
        return cb({ code: err.code, details: err.details, metadata: err.metadata });
      }
      try {
        const out = corrupt(m, rule, res!);
        finish(entry({ code: Status.OK }, toJson(m.responseType, out.value)));
        done();
        cb(null, out.bytes);
      } catch (e) {
        finish(entry({ code: Status.INTERNAL, message: `proxy: cannot apply ${describeRule(rule!)}: ${(e as Error).message}` }));
        done();
        cb({ code: Status.INTERNAL, details: `proxy: cannot apply ${describeRule(rule!)}: ${(e as Error).message}` });
      }
    });
    up.on('metadata', (md) => call.sendMetadata(md));
    b.signal.addEventListener('abort', () => up.cancel(), { once: true });
  }

  async function streamCall(call: grpc.ServerWritableStream<Buffer, Buffer>, m: MethodDef, path: string, method: string) {
    const b = await begin(call, m, method);
    if (b.outcome === 'gone') return;
    const { rule, entry, done } = b;
    if (b.outcome !== 'forward') {
      finish(entry(b.outcome));
      done();
      return call.emit('error', { code: b.outcome.code, details: b.outcome.message });
    }
    const answers: unknown[] = [];
    const up = client.makeServerStreamRequest(path, raw, raw, call.request, forwardMetadata(call.metadata), { deadline: call.getDeadline() });
    let ended = false;
    const end = (status: { code: number; message?: string }) => {
      if (ended) return;
      ended = true;
      finish(entry(status, answers));
      done();
    };
    up.on('metadata', (md) => call.sendMetadata(md));
    up.on('data', (bytes: Buffer) => {
      try {
        const out = corrupt(m, rule, bytes);
        if (answers.length < 1000) answers.push(toJson(m.responseType, out.value));
        if (!call.write(out.bytes)) {
          up.pause();
          call.once('drain', () => up.resume());
        }
      } catch (e) {
        up.cancel();
        const details = `proxy: cannot apply ${describeRule(rule!)}: ${(e as Error).message}`;
        end({ code: Status.INTERNAL, message: details });
        call.emit('error', { code: Status.INTERNAL, details });
      }
    });
    up.on('error', (err: grpc.ServiceError) => {
      if (ended) return;
      end({ code: err.code, message: err.details });
      if (!call.cancelled) call.emit('error', { code: err.code, details: err.details, metadata: err.metadata });
    });
    up.on('status', (s: grpc.StatusObject) => {
      if (s.code !== Status.OK || ended) return;
      end({ code: Status.OK });
      call.end(s.metadata);
    });
    b.signal.addEventListener(
      'abort',
      () => {
        up.cancel();
        end({ code: Status.CANCELLED, message: 'cancelled by the client' });
      },
      { once: true },
    );
  }

  let server;
  try {
    server = await serve(listen, bindings, { mode: opts.mode });
  } catch (err) {
    client.close();
    transcript?.close();
    throw new Error(`proxy: cannot listen on ${listen.display}: ${(err as Error).message}`);
  }

  let closed: Promise<void> | undefined;
  return {
    endpoint: listen,
    upstream,
    setRules(r) {
      rules = new RuleSet(r);
    },
    addRules(r) {
      const set = rules;
      const remove = set.add(r);
      return () => {
        if (rules === set) remove();
      };
    },
    watch(fn) {
      watchers.add(fn);
      return () => {
        watchers.delete(fn);
      };
    },
    close(graceMs = 2000) {
      closed ??= (async () => {
        for (const ctx of [...inflight]) ctx.abort();
        await server.close(graceMs);
        client.close();
        transcript?.close();
      })();
      return closed;
    },
  };
}
