// SPDY/3.1 framing as Kubernetes' streaming servers and clients speak it (Go's spdystream): one
// connection carries many streams, each opened with SYN_STREAM (its headers name the channel,
// e.g. streamType: stdout) and answered with SYN_REPLY; DATA frames carry bytes and FIN
// half-closes a direction; RST_STREAM aborts one stream, GOAWAY ends the connection. Header
// blocks are zlib-compressed with the SPDY/3 dictionary over one compression context per
// direction, flushed after each block. Like spdystream, no flow control is enforced: WINDOW_UPDATE
// is accepted and ignored, and none is sent.
//
// Written here rather than taken from npm: spdy-transport (the one SPDY package, last released
// 2018) models SPDY as HTTP (it expects :method/:path in SYN_STREAM) and enforces windows that
// spdystream never updates.
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { Deflate, Inflate } from 'pako';
import { SPDY3_DICTIONARY } from './dictionary.js';

const VERSION = 3;
export const FrameType = { SYN_STREAM: 1, SYN_REPLY: 2, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, HEADERS: 8, WINDOW_UPDATE: 9 } as const;
const FLAG_FIN = 0x01;
const MAX_DATA = 32 * 1024;
/** RST_STREAM status codes used here. */
export const RstStatus = { PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, CANCEL: 5, INTERNAL_ERROR: 6 } as const;

export type Headers = Record<string, string>;

// One compression context per direction for the whole connection, flushed (Z_SYNC_FLUSH) after
// each header block. pako does that synchronously (Node's zlib streams only asynchronously),
// which keeps frame handling in order without a queue.
const Z_SYNC_FLUSH = 2;

class HeaderCodec {
  private readonly deflate = new Deflate({ level: 9, dictionary: SPDY3_DICTIONARY });
  private readonly inflate = new Inflate({ dictionary: SPDY3_DICTIONARY });
  private out: Uint8Array[] = [];
  private inflated: Uint8Array[] = [];

  constructor() {
    this.deflate.onData = (c: Uint8Array) => {
      this.out.push(c);
    };
    this.inflate.onData = (c: Uint8Array) => {
      this.inflated.push(c);
    };
  }

  compress(block: Buffer): Buffer {
    this.out = [];
    if (!this.deflate.push(block, Z_SYNC_FLUSH)) throw new Error(`SPDY header compression failed: ${this.deflate.msg}`);
    return Buffer.concat(this.out);
  }

  decompress(block: Buffer): Buffer {
    this.inflated = [];
    if (!this.inflate.push(block, Z_SYNC_FLUSH) || this.inflate.err)
      throw new Error(`SPDY header block does not inflate: ${this.inflate.msg || this.inflate.err}`);
    return Buffer.concat(this.inflated);
  }
}

function encodeHeaders(h: Headers): Buffer {
  const entries = Object.entries(h);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [k, v] of entries) {
    const name = Buffer.from(k.toLowerCase());
    const value = Buffer.from(v);
    parts.push(u32(name.length), name, u32(value.length), value);
  }
  return Buffer.concat(parts);
}

function decodeHeaders(b: Buffer): Headers {
  const h: Headers = {};
  let p = 0;
  const need = (n: number) => {
    if (p + n > b.length) throw new Error('SPDY header block is truncated');
  };
  need(4);
  const count = b.readUInt32BE(p);
  p += 4;
  for (let i = 0; i < count; i++) {
    need(4);
    const nl = b.readUInt32BE(p);
    p += 4;
    need(nl);
    const name = b
      .subarray(p, p + nl)
      .toString()
      .toLowerCase();
    p += nl;
    need(4);
    const vl = b.readUInt32BE(p);
    p += 4;
    need(vl);
    const value = b.subarray(p, p + vl).toString();
    p += vl;
    // Several values of one name are NUL-separated; the channels here use one each.
    h[name] = value.split('\0')[0];
  }
  return h;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function controlFrame(type: number, flags: number, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE((((flags & 0xff) << 24) | body.length) >>> 0, 4);
  return Buffer.concat([head, body]);
}

function dataFrame(id: number, flags: number, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(id & 0x7fffffff, 0);
  head.writeUInt32BE((((flags & 0xff) << 24) | data.length) >>> 0, 4);
  return Buffer.concat([head, data]);
}

/** One SPDY stream: a Duplex whose end() sends FIN; the peer's FIN ends the readable side. */
export class SpdyStream extends Duplex {
  /** Resolves when the peer answered our SYN_STREAM (or at once for streams the peer opened). */
  readonly replied: Promise<void>;
  private resolveReply!: () => void;
  private rejectReply!: (e: Error) => void;
  remoteClosed = false;
  localClosed = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: Headers,
  ) {
    super({ allowHalfOpen: true });
    this.replied = new Promise((res, rej) => {
      this.resolveReply = res;
      this.rejectReply = rej;
    });
    this.replied.catch(() => undefined);
    // A reset can come before anyone listens (e.g. while waiting for SYN_REPLY): never an uncaught error.
    this.on('error', () => undefined);
  }

  /** The header value, e.g. stream.header('streamType') for the channel. */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }

  override _read(): void {
    /* data is pushed as frames arrive */
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.session.isClosed) return cb(new Error('SPDY connection closed'));
    for (let off = 0; off < chunk.length; off += MAX_DATA) {
      const last = off + MAX_DATA >= chunk.length;
      this.session.send(dataFrame(this.id, 0, chunk.subarray(off, off + MAX_DATA)), last ? cb : undefined);
    }
    if (!chunk.length) cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.localClosed = true;
    if (!this.session.isClosed) this.session.send(dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)));
    this.session.maybeForget(this);
    cb();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (!(this.localClosed && this.remoteClosed) && !this.session.isClosed) {
      this.session.send(controlFrame(FrameType.RST_STREAM, 0, Buffer.concat([u32(this.id), u32(RstStatus.CANCEL)])));
    }
    this.localClosed = this.remoteClosed = true;
    this.session.maybeForget(this);
    this.rejectReply(err ?? new Error('stream closed'));
    cb(err);
  }

  /** @internal */ onReply(): void {
    this.resolveReply();
  }
  /** @internal */ onData(data: Buffer, fin: boolean): void {
    if (data.length) this.push(data);
    if (fin) this.onRemoteFin();
  }
  /** @internal */ onRemoteFin(): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.push(null);
    this.session.maybeForget(this);
  }
  /** @internal */ onReset(status: number): void {
    this.remoteClosed = this.localClosed = true;
    this.destroy(new Error(`stream reset by peer (status ${status})`));
  }
}

export interface SpdySessionEvents {
  stream: [SpdyStream];
  close: [];
  error: [Error];
}

/** A SPDY/3.1 connection over a byte stream (a socket after the HTTP upgrade, or a tunnel). */
export class SpdySession extends EventEmitter<SpdySessionEvents> {
  private readonly streams = new Map<number, SpdyStream>();
  private nextId: number;
  private buf: Buffer = Buffer.alloc(0);
  private readonly codec = new HeaderCodec();
  private closedFlag = false;
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Duplex,
    readonly role: 'client' | 'server',
  ) {
    super();
    this.nextId = role === 'client' ? 1 : 2;
    this.closed = new Promise((res) => this.once('close', res));
    socket.on('data', (d: Buffer) => this.onBytes(d));
    socket.on('end', () => this.teardown());
    socket.on('close', () => this.teardown());
    socket.on('error', (e) => {
      this.emitError(e);
      this.teardown();
    });
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  /** Open a stream with these headers; resolves once the peer replied. */
  async openStream(headers: Headers, timeoutMs = 30_000): Promise<SpdyStream> {
    if (this.closedFlag) throw new Error('SPDY connection closed');
    const id = this.nextId;
    this.nextId += 2;
    const s = new SpdyStream(this, id, lowerKeys(headers));
    this.streams.set(id, s);
    const block = this.compress(encodeHeaders(headers));
    // stream id, associated stream id, priority (3 bits) and slot.
    const body = Buffer.concat([u32(id), u32(0), Buffer.from([0, 0]), block]);
    this.send(controlFrame(FrameType.SYN_STREAM, 0, body));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        s.replied,
        new Promise((_r, rej) => {
          timer = setTimeout(() => rej(new Error(`no SYN_REPLY for stream ${id} within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (e) {
      s.destroy();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return s;
  }

  /** Send GOAWAY and close the connection (streams end). */
  close(): void {
    if (this.closedFlag) return;
    const last = Math.max(0, ...[...this.streams.keys()].filter((id) => (id % 2 === 1) === (this.role === 'server')));
    this.send(controlFrame(FrameType.GOAWAY, 0, Buffer.concat([u32(last), u32(0)])));
    this.socket.end();
    this.teardown();
  }

  /** @internal */ send(frame: Buffer, cb?: (e?: Error | null) => void): void {
    if (this.closedFlag || this.socket.destroyed || this.socket.writableEnded) {
      cb?.(new Error('SPDY connection closed'));
      return;
    }
    this.socket.write(frame, cb);
  }

  /** @internal A stream closed both ways is forgotten. */
  maybeForget(s: SpdyStream): void {
    if (s.localClosed && s.remoteClosed) this.streams.delete(s.id);
  }

  private compress(block: Buffer): Buffer {
    return this.codec.compress(block);
  }

  private decompress(block: Buffer): Headers {
    return decodeHeaders(this.codec.decompress(block));
  }

  private onBytes(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= 8 && !this.closedFlag) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) break;
      const frame = this.buf.subarray(0, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      try {
        this.onFrame(frame);
      } catch (e) {
        this.emitError(e instanceof Error ? e : new Error(String(e)));
        this.socket.destroy();
        this.teardown();
      }
    }
  }

  private onFrame(f: Buffer): void {
    const flags = f[4];
    const body = f.subarray(8);
    if (!(f[0] & 0x80)) {
      const id = f.readUInt32BE(0) & 0x7fffffff;
      const s = this.streams.get(id);
      if (s && !s.remoteClosed) s.onData(body, (flags & FLAG_FIN) !== 0);
      else if (!s) this.send(controlFrame(FrameType.RST_STREAM, 0, Buffer.concat([u32(id), u32(RstStatus.INVALID_STREAM)])));
      return;
    }
    const version = f.readUInt16BE(0) & 0x7fff;
    if (version !== VERSION) throw new Error(`SPDY version ${version} is not supported (want ${VERSION})`);
    const type = f.readUInt16BE(2);
    switch (type) {
      case FrameType.SYN_STREAM: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const headers = this.decompress(body.subarray(10));
        const s = new SpdyStream(this, id, headers);
        this.streams.set(id, s);
        this.send(controlFrame(FrameType.SYN_REPLY, 0, Buffer.concat([u32(id), this.compress(encodeHeaders({}))])));
        s.onReply();
        this.emit('stream', s);
        if (flags & FLAG_FIN) s.onRemoteFin();
        return;
      }
      case FrameType.SYN_REPLY: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        this.decompress(body.subarray(4));
        const s = this.streams.get(id);
        s?.onReply();
        if (s && flags & FLAG_FIN) s.onRemoteFin();
        return;
      }
      case FrameType.HEADERS: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        this.decompress(body.subarray(4));
        if (flags & FLAG_FIN) this.streams.get(id)?.onRemoteFin();
        return;
      }
      case FrameType.RST_STREAM: {
        const s = this.streams.get(body.readUInt32BE(0) & 0x7fffffff);
        s?.onReset(body.readUInt32BE(4));
        return;
      }
      case FrameType.PING: {
        const id = body.readUInt32BE(0);
        // Echo the peer's pings (their ids have the peer's parity); ours are never sent.
        if ((id % 2 === 1) !== (this.role === 'client')) this.send(f);
        return;
      }
      case FrameType.GOAWAY:
        this.socket.end();
        this.teardown();
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE and unknown control frames need no answer
    }
  }

  private emitError(e: Error): void {
    if (this.listenerCount('error')) this.emit('error', e);
  }

  private teardown(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const s of this.streams.values()) {
      // The connection ended: every stream still open sees end of data.
      if (!s.remoteClosed) {
        s.remoteClosed = true;
        s.push(null);
      }
      s.localClosed = true;
    }
    this.streams.clear();
    this.emit('close');
  }
}

function lowerKeys(h: Headers): Headers {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}
