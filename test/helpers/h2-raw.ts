// A raw HTTP/2 gRPC client for tests. It writes every frame itself (connection preface, SETTINGS,
// HEADERS/CONTINUATION with an HPACK block encoded by hpack.js, gRPC-framed DATA) so a test decides
// exactly what a call carries: the `:authority` grpc-go 1.51, grpc-java or Python put on a unix socket
// (the socket's path), none at all, a `host` header, padding, priority, a block split over frames.
import hpack, { type HeaderField } from 'hpack.js';
import { connect, type Socket } from 'node:net';
import { methodPath } from '../../interfaces/grpc/definition.js';
import type { DeepPartial, RequestOf, ResponseOf, ServiceDef } from '../../interfaces/grpc/types.js';

export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;
const H2_ERRORS = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
];
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(streamId, 5);
  return Buffer.concat([h, payload]);
}

/** A gRPC length-prefixed message (uncompressed). */
export function grpcMessage(msg: Uint8Array): Buffer {
  const b = Buffer.alloc(5 + msg.length);
  b.writeUInt32BE(msg.length, 1);
  b.set(msg, 5);
  return b;
}

export interface RawCallOptions {
  /** Sent as `:authority`; null sends none at all. Default 'localhost'. */
  authority?: string | null;
  /** A `host` header (HTTP/1 style), sent after the pseudo-headers. */
  host?: string;
  /** Split the HPACK block into a HEADERS frame and CONTINUATION frames of at most this many octets. */
  fragment?: number;
  /** Set PADDED on the HEADERS frame, with this many octets of padding. */
  pad?: number;
  /** Set PRIORITY on the HEADERS frame (depends on stream 0, weight 200). */
  priority?: boolean;
  /** Start this block by evicting the encoder's dynamic table (size update to 0, then back to 4096). */
  resetTable?: boolean;
  /** Extra HPACK octets put at the start of the block, as given (to send malformed blocks). */
  prefix?: Uint8Array;
  /** Extra request headers (metadata), in order. */
  metadata?: [string, string][];
}

export interface RawResult {
  headers: Record<string, string>;
  trailers: Record<string, string>;
  /** grpc-status from the trailers (or a trailers-only response). */
  status: number;
  message: string;
  /** Response messages with the gRPC framing removed. */
  messages: Buffer[];
}

/** The server refused the call at the HTTP/2 level (RST_STREAM, GOAWAY) or went away. */
export class RawH2Error extends Error {
  constructor(
    readonly kind: 'RST_STREAM' | 'GOAWAY' | 'closed' | 'timeout',
    readonly code: string,
  ) {
    super(`${kind}${code ? ` ${code}` : ''}`);
    this.name = 'RawH2Error';
  }
}

interface Pending {
  resolve(r: RawResult): void;
  reject(e: Error): void;
  headers?: Record<string, string>;
  data: Buffer[];
}

export class RawH2Connection {
  private readonly enc = hpack.compressor.create({ table: { maxSize: 4096 } });
  private readonly dec = hpack.decompressor.create({ table: { maxSize: 4096 } });
  private readonly pending = new Map<number, Pending>();
  private buf = Buffer.alloc(0);
  private block: { streamId: number; endStream: boolean; parts: Buffer[] } | undefined;
  private nextStream = 1;
  private failure: RawH2Error | undefined;
  /** Resolves when the server closes the connection. */
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.failAll(this.failure ?? new RawH2Error('closed', ''));
        resolve();
      }),
    );
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Connect to a unix socket and send the connection preface with an empty SETTINGS frame. */
  static open(path: string, timeoutMs = 5000): Promise<RawH2Connection> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        const c = new RawH2Connection(s, timeoutMs);
        s.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0)]));
        resolve(c);
      });
    });
  }

  /** Write octets as they are (after the preface), e.g. a malformed frame. */
  writeRaw(b: Uint8Array): void {
    this.socket.write(b);
  }

  close(): void {
    this.socket.destroy();
  }

  /** One unary call: `path` like /runtime.v1.RuntimeService/Version, `request` the encoded message. */
  unary(path: string, request: Uint8Array, o: RawCallOptions = {}): Promise<RawResult> {
    const streamId = this.nextStream;
    this.nextStream += 2;
    const fields: HeaderField[] = [
      { name: ':method', value: 'POST' },
      { name: ':scheme', value: 'http' },
      { name: ':path', value: path },
    ];
    const authority = o.authority === undefined ? 'localhost' : o.authority;
    if (authority !== null) fields.push({ name: ':authority', value: authority });
    if (o.host !== undefined) fields.push({ name: 'host', value: o.host });
    fields.push({ name: 'content-type', value: 'application/grpc' }, { name: 'te', value: 'trailers' }, { name: 'user-agent', value: 'triad-raw-h2' });
    for (const [name, value] of o.metadata ?? []) fields.push({ name, value });
    if (o.resetTable) (this.enc as unknown as { reset(): void }).reset();
    this.enc.write(fields);
    const block = Buffer.concat([Buffer.from(o.prefix ?? []), this.enc.read() as Buffer]);

    const result = new Promise<RawResult>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const timer = setTimeout(() => {
        this.pending.delete(streamId);
        reject(new RawH2Error('timeout', `${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(streamId, {
        data: [],
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
    const size = o.fragment ?? 16384;
    const first = block.subarray(0, size);
    let flags = first.length === block.length ? FLAG.END_HEADERS : 0;
    let payload: Buffer = first;
    if (o.priority) {
      flags |= FLAG.PRIORITY;
      payload = Buffer.concat([Buffer.from([0, 0, 0, 0, 200]), payload]);
    }
    if (o.pad !== undefined) {
      flags |= FLAG.PADDED;
      payload = Buffer.concat([Buffer.from([o.pad]), payload, Buffer.alloc(o.pad)]);
    }
    const frames = [frame(FRAME.HEADERS, flags, streamId, payload)];
    for (let off = first.length; off < block.length; off += size) {
      const part = block.subarray(off, off + size);
      frames.push(frame(FRAME.CONTINUATION, off + size >= block.length ? FLAG.END_HEADERS : 0, streamId, part));
    }
    // DATA in frames of at most 16384 octets (the server's SETTINGS_MAX_FRAME_SIZE unless it said
    // more); no send-side flow control, so a request must fit the initial 65535-octet window.
    const body = grpcMessage(request);
    for (let off = 0; off < body.length; off += 16384) {
      frames.push(frame(FRAME.DATA, off + 16384 >= body.length ? FLAG.END_STREAM : 0, streamId, body.subarray(off, off + 16384)));
    }
    this.socket.write(Buffer.concat(frames));
    return result;
  }

  private failAll(e: RawH2Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private onData(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + len) return;
      const type = this.buf[3],
        flags = this.buf[4],
        streamId = this.buf.readUInt32BE(5) & 0x7fffffff;
      const payload = this.buf.subarray(9, 9 + len);
      this.buf = this.buf.subarray(9 + len);
      this.onFrame(type, flags, streamId, payload);
    }
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    switch (type) {
      case FRAME.SETTINGS:
        if (!(flags & FLAG.ACK)) this.socket.write(frame(FRAME.SETTINGS, FLAG.ACK, 0));
        return;
      case FRAME.PING:
        if (!(flags & FLAG.ACK)) this.socket.write(frame(FRAME.PING, FLAG.ACK, 0, payload));
        return;
      case FRAME.GOAWAY: {
        const lastStream = payload.readUInt32BE(0) & 0x7fffffff;
        const err = new RawH2Error('GOAWAY', H2_ERRORS[payload.readUInt32BE(4)] ?? String(payload.readUInt32BE(4)));
        this.failure = err;
        for (const [id, p] of this.pending)
          if (id > lastStream || err.code !== 'NO_ERROR') {
            p.reject(err);
            this.pending.delete(id);
          }
        return;
      }
      case FRAME.RST_STREAM: {
        const p = this.pending.get(streamId);
        this.pending.delete(streamId);
        p?.reject(new RawH2Error('RST_STREAM', H2_ERRORS[payload.readUInt32BE(0)] ?? String(payload.readUInt32BE(0))));
        return;
      }
      case FRAME.DATA: {
        if (payload.length) {
          // hand the flow-control window back so large answers keep coming
          const inc = Buffer.alloc(4);
          inc.writeUInt32BE(payload.length);
          this.socket.write(
            Buffer.concat([frame(FRAME.WINDOW_UPDATE, 0, 0, inc), ...(flags & FLAG.END_STREAM ? [] : [frame(FRAME.WINDOW_UPDATE, 0, streamId, inc)])]),
          );
        }
        let body = payload;
        if (flags & FLAG.PADDED) body = body.subarray(1, body.length - body[0]);
        this.pending.get(streamId)?.data.push(Buffer.from(body));
        if (flags & FLAG.END_STREAM) this.finish(streamId, {});
        return;
      }
      case FRAME.HEADERS: {
        let p = payload;
        let pad = 0;
        if (flags & FLAG.PADDED) {
          pad = p[0];
          p = p.subarray(1);
        }
        if (flags & FLAG.PRIORITY) p = p.subarray(5);
        this.block = { streamId, endStream: !!(flags & FLAG.END_STREAM), parts: [Buffer.from(p.subarray(0, p.length - pad))] };
        break;
      }
      case FRAME.CONTINUATION:
        this.block?.parts.push(Buffer.from(payload));
        break;
      default:
        return;
    }
    if (!(flags & FLAG.END_HEADERS) || !this.block) return;
    const { streamId: id, endStream, parts } = this.block;
    this.block = undefined;
    const fields = this.decode(Buffer.concat(parts));
    const p = this.pending.get(id);
    if (!p) return;
    if (!endStream) p.headers = fields;
    else this.finish(id, fields); // trailers, or the only block of a trailers-only response
  }

  private decode(block: Buffer): Record<string, string> {
    const out: Record<string, string> = {};
    this.dec.write(block);
    this.dec.execute();
    for (let f: HeaderField | null; (f = this.dec.read() as HeaderField | null);) out[f.name] = f.value;
    return out;
  }

  private finish(streamId: number, trailers: Record<string, string>): void {
    const p = this.pending.get(streamId);
    if (!p) return;
    this.pending.delete(streamId);
    const headers = p.headers ?? {};
    const t = trailers;
    const data = Buffer.concat(p.data);
    const messages: Buffer[] = [];
    for (let off = 0; off + 5 <= data.length;) {
      const n = data.readUInt32BE(off + 1);
      messages.push(data.subarray(off + 5, off + 5 + n));
      off += 5 + n;
    }
    if (t['grpc-status'] === undefined) return p.reject(new RawH2Error('closed', `stream ${streamId} ended without grpc-status`));
    p.resolve({ headers, trailers: t, status: Number(t['grpc-status']), message: decodeURIComponent(t['grpc-message'] ?? ''), messages });
  }
}

/**
 * One unary call of `def`'s method `key` over a raw connection: the request is encoded with the
 * generated message type, the answer decoded when grpc-status is 0.
 */
export async function rawCall<D extends ServiceDef, K extends keyof D['methods'] & string>(
  c: RawH2Connection,
  def: D,
  key: K,
  req: DeepPartial<RequestOf<D['methods'][K]>>,
  o?: RawCallOptions,
): Promise<{ status: number; message: string; response: ResponseOf<D['methods'][K]> | undefined }> {
  const m = def.methods[key];
  const r = await c.unary(methodPath(def, key), m.requestType.encode(m.requestType.fromPartial(req)).finish(), o);
  if (r.status === 0 && r.messages.length !== 1) throw new Error(`${key}: status 0 with ${r.messages.length} messages`);
  return { status: r.status, message: r.message, response: r.status === 0 ? m.responseType.decode(r.messages[0]) : undefined };
}

/** Every :authority form clients send on a unix socket, given the socket's path. */
export const AUTHORITY_FORMS: [string, (socketPath: string) => RawCallOptions][] = [
  ['the socket path (grpc-go 1.51, grpc-java)', (p) => ({ authority: p })],
  ['the %-encoded path (Python)', (p) => ({ authority: encodeURIComponent(p) })],
  ['localhost (grpc-go >= 1.55, kubelet >= 1.26)', () => ({ authority: 'localhost' })],
  ['empty', () => ({ authority: '' })],
  ['absent, no host', () => ({ authority: null })],
  ['absent, host localhost', () => ({ authority: null, host: 'localhost' })],
  ['absent, host is the path', (p) => ({ authority: null, host: p })],
];
