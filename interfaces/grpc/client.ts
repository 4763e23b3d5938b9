// Promise clients for any ts-proto generic service definition, over one grpc-js channel per
// endpoint. Every call has a deadline; errors are RpcError (code kept, RPC and endpoint named).
import * as grpc from '@grpc/grpc-js';
import { existsSync } from 'node:fs';
import { parseEndpoint, type Endpoint } from '../endpoint.js';
import { grpcDefinition } from './definition.js';
import { RpcError, Status } from './errors.js';
import type { DeepPartial, RequestOf, ResponseOf, ServiceDef } from './types.js';

export interface CallOptions {
  /** Deadline for this call in ms (default: the connection's timeoutMs). */
  timeoutMs?: number;
  metadata?: Record<string, string>;
}

export interface ConnectionOptions {
  /** Default deadline of every call, ms. kubelet uses 2 minutes for CRI; triad defaults to 30 s. */
  timeoutMs?: number;
  /** Largest message accepted, bytes (kubelet: 16 MiB). */
  maxMessageBytes?: number;
}

export type ServerStream<T> = AsyncIterable<T> & { cancel(): void };

type ClientMethod<M> = M extends { requestStream: false; responseStream: false }
  ? (req?: DeepPartial<RequestOf<M>>, opts?: CallOptions) => Promise<ResponseOf<M>>
  : M extends { requestStream: false; responseStream: true }
    ? (req?: DeepPartial<RequestOf<M>>, opts?: CallOptions) => ServerStream<ResponseOf<M>>
    : (reqs: AsyncIterable<DeepPartial<RequestOf<M>>>, opts?: CallOptions) => Promise<ResponseOf<M>>;

export type PromiseClient<D extends ServiceDef> = { [K in keyof D['methods']]: ClientMethod<D['methods'][K]> };

export class Connection {
  readonly endpoint: Endpoint;
  readonly raw: grpc.Client;
  readonly timeoutMs: number;

  constructor(endpoint: string | Endpoint, opts: ConnectionOptions = {}) {
    this.endpoint = typeof endpoint === 'string' ? parseEndpoint(endpoint) : endpoint;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    const max = opts.maxMessageBytes ?? 16 * 1024 * 1024;
    this.raw = new grpc.Client(this.endpoint.target, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': max,
      'grpc.max_send_message_length': max,
      // What kubelet >= 1.26 sends on a unix socket (grpc-js' default too; pinned so it stays so):
      // a server built on Node's HTTP/2 that is not triad's refuses a path as :authority.
      ...(this.endpoint.kind === 'unix' ? { 'grpc.default_authority': 'localhost' } : {}),
    });
  }

  /** Resolves once the channel is connected; rejects with a clear reason after timeoutMs. */
  waitForReady(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      this.raw.waitForReady(Date.now() + timeoutMs, (err) => {
        if (!err) return resolve();
        const hint = this.endpoint.kind === 'unix' && !existsSync(this.endpoint.path) ? ` (no socket at ${this.endpoint.path})` : '';
        reject(new RpcError('connect', this.endpoint.display, Status.UNAVAILABLE, `not ready within ${timeoutMs} ms${hint}: ${err.message}`));
      });
    });
  }

  /** A promise client for one service on this connection. */
  service<D extends ServiceDef>(def: D): PromiseClient<D> {
    const gdef = grpcDefinition(def);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(def.methods)) {
      const m = gdef[key];
      const rpc = `${def.fullName.split('.').pop()}/${def.methods[key].name}`;
      const callOpts = (o?: CallOptions) => ({ deadline: Date.now() + (o?.timeoutMs ?? this.timeoutMs) });
      const meta = (o?: CallOptions) => {
        const md = new grpc.Metadata();
        for (const [k, v] of Object.entries(o?.metadata ?? {})) md.set(k, v);
        return md;
      };
      if (!m.requestStream && !m.responseStream) {
        out[key] = (req: unknown = {}, o?: CallOptions) =>
          new Promise((resolve, reject) => {
            this.raw.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, req, meta(o), callOpts(o), (err, res) =>
              err ? reject(RpcError.from(rpc, this.endpoint.display, err)) : resolve(res),
            );
          });
      } else if (!m.requestStream && m.responseStream) {
        out[key] = (req: unknown = {}, o?: CallOptions) => {
          const call = this.raw.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, req, meta(o), callOpts(o));
          const endpoint = this.endpoint.display;
          return {
            cancel: () => call.cancel(),
            async *[Symbol.asyncIterator]() {
              try {
                for await (const item of call) yield item;
              } catch (err) {
                if ((err as grpc.ServiceError).code === Status.CANCELLED) return;
                throw RpcError.from(rpc, endpoint, err as grpc.ServiceError);
              }
            },
          };
        };
      } else {
        out[key] = (reqs: AsyncIterable<unknown>, o?: CallOptions) =>
          new Promise((resolve, reject) => {
            const call = this.raw.makeClientStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, meta(o), callOpts(o), (err, res) =>
              err ? reject(RpcError.from(rpc, this.endpoint.display, err)) : resolve(res),
            );
            (async () => {
              for await (const r of reqs) call.write(r);
              call.end();
            })().catch(() => call.cancel());
          });
      }
    }
    return out as PromiseClient<D>;
  }

  close(): void {
    this.raw.close();
  }
}

export function connect(endpoint: string | Endpoint, opts?: ConnectionOptions): Connection {
  return new Connection(endpoint, opts);
}
