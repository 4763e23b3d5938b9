// Accept every `:authority` real clients send on a unix socket.
//
// grpc-go before ~1.55 (crictl/critest 1.26, kubelet before 1.26) and grpc-java send the socket's
// path (`/run/x/cri.sock`) as `:authority`, Python grpc from 1.57 sends it %-encoded, hand-written
// clients send it empty or not at all. Node's HTTP/2 layer (nghttp2) resets a stream with a path,
// an empty or no authority (PROTOCOL_ERROR) before grpc-js sees it, and has no option to relax
// that. So on unix sockets triad owns the listening socket: each connection's client→server octets
// go through AuthorityFilter, which re-encodes every request header block with an unusable
// `:authority`/`host` replaced by `localhost` (and `:authority: localhost` added when a request has
// neither), and the connection is then handed to grpc-js. Server→client octets, and every frame
// other than HEADERS/CONTINUATION, pass through untouched.
//
// HPACK: the client's blocks are decoded statefully (one decoder per connection, dynamic table and
// its size updates honoured, as the client's encoder expects) and re-encoded statelessly: static
// table indexes and literals without indexing, never Huffman. The server's decoder table thus stays
// empty, so every block must be re-encoded, changed or not. Re-encoded blocks are cut into frames
// of at most 16384 octets, the smallest SETTINGS_MAX_FRAME_SIZE a peer may set, so the server's
// settings never need to be read.
//
// Cost: grpc-js then reads a JS stream instead of the native socket (Node wraps it in its
// JSStreamSocket); that bridge, not the HPACK work, is most of it. bench/authority.ts measures it:
// on a busy 2-core machine about +25% CPU for a sequential unary call, none measurable with 32 in
// flight. The bridge cannot be dropped once the first request shows a usable authority: clients
// wait for the server's SETTINGS before they send one, so the session must exist by then.
import * as grpc from '@grpc/grpc-js';
import hpack, { type HeaderField } from 'hpack.js';
import { createServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const HEADERS = 0x1;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
/** The default and smallest SETTINGS_MAX_FRAME_SIZE: every HTTP/2 peer accepts frames this large. */
const MAX_FRAME = 16384;
/** The default SETTINGS_HEADER_TABLE_SIZE, which Node's HTTP/2 server advertises. */
const TABLE_SIZE = 4096;
/** Largest header block accepted: only bounds memory (Node's HTTP/2 layer has its own limits after). */
const MAX_BLOCK = 1 << 20;

/** host, IPv4, or [IPv6], with an optional port: what nghttp2 accepts and what a name can mean. */
const USABLE_AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=-]+)(?::[0-9]*)?$/;

/** Replacement for an authority that is a socket path, %-encoded, empty or otherwise unusable. */
export const LOCAL_AUTHORITY = 'localhost';

/** The client broke the HTTP/2 framing or HPACK: its connection is closed. */
export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FramingError';
  }
}

/** True when `value` may stay as the `:authority` (or `host`) of a request. */
export function usableAuthority(value: string): boolean {
  return USABLE_AUTHORITY.test(value);
}

interface Block {
  streamId: number;
  flags: number;
  priority: Buffer | undefined;
  parts: Buffer[];
  size: number;
}

/**
 * The client→server half of one connection: transform() takes octets as they arrive and returns
 * the octets to hand to the server; it throws FramingError when the stream is not valid HTTP/2
 * framing or a header block cannot be decoded.
 */
export class AuthorityFilter {
  private readonly decoder = hpack.decompressor.create({ table: { maxSize: TABLE_SIZE } });
  private readonly encoder = hpack.compressor.create({ table: { maxSize: TABLE_SIZE } });
  private prefaceSeen = 0;
  /** Payload octets of a passed-through frame not received yet. */
  private passing = 0;
  /** Octets of an incomplete frame header or HEADERS/CONTINUATION frame. */
  private held: Buffer | undefined;
  /** A header block waiting for its CONTINUATION frames. */
  private block: Block | undefined;
  private decodeError: Error | undefined;

  constructor() {
    this.decoder.on('error', (err: Error) => {
      this.decodeError = err;
    });
  }

  transform(chunk: Buffer): Buffer[] {
    let buf = chunk;
    if (this.held) {
      buf = Buffer.concat([this.held, chunk]);
      this.held = undefined;
    }
    const out: Buffer[] = [];
    let off = 0;
    if (this.prefaceSeen < PREFACE.length) {
      const n = Math.min(PREFACE.length - this.prefaceSeen, buf.length);
      if (!buf.subarray(0, n).equals(PREFACE.subarray(this.prefaceSeen, this.prefaceSeen + n))) throw new FramingError('not an HTTP/2 connection preface');
      this.prefaceSeen += n;
      off = n;
    }
    // [runStart, off) is a run of octets forwarded as they are: usually the whole chunk.
    let runStart = 0;
    while (off < buf.length) {
      if (this.passing > 0) {
        const n = Math.min(this.passing, buf.length - off);
        this.passing -= n;
        off += n;
        continue;
      }
      if (buf.length - off < 9) break;
      const length = buf.readUIntBE(off, 3);
      const type = buf[off + 3];
      if (this.block && type !== CONTINUATION) throw new FramingError(`frame type ${type} inside a header block`);
      if (type !== HEADERS && type !== CONTINUATION) {
        off += 9;
        this.passing = length;
        continue;
      }
      if (length > MAX_BLOCK) throw new FramingError(`header frame of ${length} octets`);
      if (buf.length - off < 9 + length) break;
      if (off > runStart) out.push(buf.subarray(runStart, off));
      const flags = buf[off + 4];
      const streamId = buf.readUInt32BE(off + 5) & 0x7fffffff;
      this.headerFrame(type, flags, streamId, buf.subarray(off + 9, off + 9 + length), out);
      off += 9 + length;
      runStart = off;
    }
    if (off > runStart) out.push(buf.subarray(runStart, off));
    if (off < buf.length) this.held = Buffer.from(buf.subarray(off));
    return out;
  }

  private headerFrame(type: number, flags: number, streamId: number, payload: Buffer, out: Buffer[]): void {
    if (streamId === 0) throw new FramingError('header frame on stream 0');
    if (type === CONTINUATION) {
      if (!this.block || this.block.streamId !== streamId) throw new FramingError(`CONTINUATION on stream ${streamId} without a header block`);
      this.block.parts.push(payload);
      this.block.size += payload.length;
    } else {
      let start = 0;
      let pad = 0;
      if (flags & PADDED) {
        pad = payload[0] ?? 0;
        start = 1;
      }
      let priority: Buffer | undefined;
      if (flags & PRIORITY) {
        priority = payload.subarray(start, start + 5);
        start += 5;
      }
      if (start + pad > payload.length) throw new FramingError('HEADERS padding or priority longer than the frame');
      const fragment = payload.subarray(start, payload.length - pad);
      this.block = { streamId, flags: flags & (END_STREAM | PRIORITY), priority, parts: [fragment], size: fragment.length };
    }
    if (this.block.size > MAX_BLOCK) throw new FramingError(`header block over ${MAX_BLOCK} octets`);
    if (!(flags & END_HEADERS)) return;
    const block = this.block;
    this.block = undefined;
    this.emit(block, this.rewrite(this.decode(block.parts.length === 1 ? block.parts[0] : Buffer.concat(block.parts))), out);
  }

  private decode(octets: Buffer): HeaderField[] {
    this.decoder.write(octets);
    this.decoder.execute();
    if (this.decodeError) throw new FramingError(`HPACK: ${this.decodeError.message}`);
    const fields: HeaderField[] = [];
    for (let f: HeaderField | null; (f = this.decoder.read() as HeaderField | null);) fields.push(f);
    return fields;
  }

  /** Replace unusable authorities; give a request with neither :authority nor host one. */
  private rewrite(fields: HeaderField[]): HeaderField[] {
    let isRequest = false;
    let hasAuthority = false;
    let lastPseudo = -1;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (f.name === ':authority' || f.name === 'host') {
        hasAuthority = true;
        if (!usableAuthority(f.value)) fields[i] = { name: f.name, value: LOCAL_AUTHORITY };
      } else if (f.name === ':method') isRequest = true;
      if (f.name.startsWith(':')) lastPseudo = i;
    }
    if (isRequest && !hasAuthority) fields.splice(lastPseudo + 1, 0, { name: ':authority', value: LOCAL_AUTHORITY });
    return fields;
  }

  private emit(block: Block, fields: HeaderField[], out: Buffer[]): void {
    // Stateless encoding: full static-table matches are indexed, everything else is a literal
    // without indexing (or never indexed, as the client sent it), so the server's table stays empty.
    for (const f of fields) {
      f.incremental = false;
      f.huffman = false;
    }
    this.encoder.write(fields);
    const encoded = (this.encoder.read() as Buffer | null) ?? Buffer.alloc(0);
    const prio = block.priority ?? Buffer.alloc(0);
    let pos = 0;
    let first = true;
    do {
      const room = MAX_FRAME - (first ? prio.length : 0);
      const part = encoded.subarray(pos, pos + room);
      pos += part.length;
      const last = pos >= encoded.length;
      const head = Buffer.alloc(9);
      head.writeUIntBE((first ? prio.length : 0) + part.length, 0, 3);
      head[3] = first ? HEADERS : CONTINUATION;
      head[4] = (first ? block.flags : 0) | (last ? END_HEADERS : 0);
      head.writeUInt32BE(block.streamId, 5);
      out.push(head);
      if (first && prio.length) out.push(prio);
      out.push(part);
      first = false;
    } while (pos < encoded.length);
  }
}

/**
 * The connection handed to grpc-js: reads are the client's octets after AuthorityFilter, writes go
 * to the socket as they are. A client that breaks the framing just has its socket closed.
 */
export class FilteredConnection extends Duplex {
  private readonly authority = new AuthorityFilter();

  constructor(private readonly socket: Socket) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  private onData(chunk: Buffer): void {
    let parts: Buffer[];
    try {
      parts = this.authority.transform(chunk);
    } catch {
      this.socket.destroy();
      return;
    }
    if (parts.length === 0) return;
    if (!this.push(parts.length === 1 ? parts[0] : Buffer.concat(parts))) this.socket.pause();
  }

  override _read(): void {
    this.socket.resume();
  }

  // Server→client octets go to the socket as they are. A write is done once the socket took it
  // (not once it reached the peer) unless the socket pushes back; the session's batched writes come
  // through _writev as one corked write.
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.socket.write(chunk)) cb();
    else this.socket.once('drain', () => cb());
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.socket.cork();
    let ok = true;
    for (const { chunk } of chunks) ok = this.socket.write(chunk);
    this.socket.uncork();
    if (ok) cb();
    else this.socket.once('drain', () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}

export interface UnixListener {
  /** Stop accepting connections (those open stay with grpc-js, which shuts them down). */
  close(): void;
  /** Close connections grpc-js never got a session from (e.g. no preface sent). */
  destroyAll(): void;
}

/** Listen on a unix socket path and inject every connection, filtered, into `server`. */
export async function listenUnix(server: grpc.Server, path: string): Promise<UnixListener> {
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const sockets = new Set<Socket>();
  const listener = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    injector.injectConnection(new FilteredConnection(socket));
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(path, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  return {
    close: () => {
      listener.close();
    },
    destroyAll: () => {
      for (const s of sockets) s.destroy();
    },
  };
}
