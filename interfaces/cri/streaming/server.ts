// A streaming server a CRI runtime can mount, as kubelet's pkg/cri/streaming is for Go runtimes:
// Exec/Attach/PortForward answer getExec/getAttach/getPortForward(request).url (a one-use token
// valid for a minute, like kubelet's), and the client's connection to that URL, over SPDY or
// WebSocket, is handed to the runtime as plain Node streams:
//   exec(req, io) → exit code     attach(req, io) → when the session ends     portForward(pod, port) → a socket
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { PassThrough, type Duplex, type Readable, type Writable } from 'node:stream';
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws';
import type { AttachRequest, ExecRequest, PortForwardRequest } from '../../gen/cri/api.js';
import {
  Channel,
  exitCodeStatus,
  failureStatus,
  HEADER_PORT,
  HEADER_PROTOCOL,
  HEADER_REQUEST_ID,
  HEADER_STREAM_TYPE,
  parseResizes,
  PORT_FORWARD_PROTOCOL,
  SPDY_STREAM_PROTOCOLS,
  SPDY_UPGRADE,
  STREAM_V2,
  STREAM_V3,
  STREAM_V5,
  StreamType,
  successStatus,
  WS_PORT_FORWARD_PROTOCOL,
  WS_STREAM_PROTOCOLS,
  type StatusMessage,
  type TermSize,
  type Transport,
} from './protocol.js';
import { SpdySession, type SpdyStream } from './spdy.js';

/** A session's standard streams as the runtime sees them; a channel not requested is null. */
export interface StreamIo {
  stdin: Readable | null;
  stdout: Writable | null;
  /** null with a tty (the terminal merges stderr into stdout). */
  stderr: Writable | null;
  tty: boolean;
  /** Terminal size changes; the client sends the initial size first. */
  onResize(cb: (size: TermSize) => void): void;
  /** Aborted when the client went away. */
  signal: AbortSignal;
}

export interface StreamingRuntime {
  /** Run req.cmd in the container; resolves with its exit code, throws (Error message) when it cannot run. */
  exec(req: ExecRequest, io: StreamIo): Promise<number>;
  /** Join the container's stdio until it exits or io.signal aborts; throws when it cannot. */
  attach(req: AttachRequest, io: StreamIo): Promise<void>;
  /** A connection to port inside the pod's network; throws (e.g. connection refused) when none. */
  portForward(podSandboxId: string, port: number): Promise<Duplex>;
}

export interface StreamingServerOptions {
  runtime: StreamingRuntime;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Which transports to accept (default both). */
  transports?: Transport[];
  /** How long a URL stays usable; default 60 s (kubelet's). */
  tokenTtlMs?: number;
  /** How long the client has to open its streams; default 30 s (kubelet's). */
  streamCreationTimeoutMs?: number;
}

const TUNNEL = Symbol('port-forward tunnel');
type TunnelRequest = IncomingMessage & { [TUNNEL]?: boolean };

type Pending =
  | { kind: 'exec'; req: ExecRequest; timer: NodeJS.Timeout }
  | { kind: 'attach'; req: AttachRequest; timer: NodeJS.Timeout }
  | { kind: 'portforward'; req: PortForwardRequest; timer: NodeJS.Timeout };

export class StreamingServer {
  private readonly tokens = new Map<string, Pending>();
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<{ close(): void }>();
  private readonly wss = new WebSocketServer({ noServer: true, handleProtocols: (set) => this.pickWsProtocol(set) });
  private readonly transports: Set<Transport>;

  private constructor(
    private readonly http: Server,
    readonly baseUrl: string,
    private readonly opts: StreamingServerOptions,
  ) {
    this.transports = new Set(opts.transports ?? ['spdy', 'websocket']);
    // The tunnel subprotocol has a '/', which ws will not parse (see onUpgrade): it is answered here.
    this.wss.on('headers', (headers, req) => {
      if ((req as TunnelRequest)[TUNNEL]) headers.push(`Sec-WebSocket-Protocol: ${WS_PORT_FORWARD_PROTOCOL}`);
    });
  }

  static async start(opts: StreamingServerOptions): Promise<StreamingServer> {
    const http = createServer((req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`${req.url}: a streaming URL needs an Upgrade (${SPDY_UPGRADE} or websocket)\n`);
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
        http.off('error', reject);
        resolve();
      });
    });
    const a = http.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    const s = new StreamingServer(http, `http://${host}:${a.port}`, opts);
    http.on('connection', (sock) => {
      s.sockets.add(sock);
      sock.on('close', () => s.sockets.delete(sock));
    });
    http.on('upgrade', (req, sock: Socket, head) => s.onUpgrade(req, sock, head));
    return s;
  }

  getExec(req: ExecRequest): { url: string } {
    return { url: this.issue({ kind: 'exec', req } as Pending) };
  }
  getAttach(req: AttachRequest): { url: string } {
    return { url: this.issue({ kind: 'attach', req } as Pending) };
  }
  getPortForward(req: PortForwardRequest): { url: string } {
    return { url: this.issue({ kind: 'portforward', req } as Pending) };
  }

  /** Stop listening and end every session. */
  async close(): Promise<void> {
    for (const p of this.tokens.values()) clearTimeout(p.timer);
    this.tokens.clear();
    for (const s of this.sessions) s.close();
    for (const sock of this.sockets) sock.destroy();
    this.wss.close();
    await new Promise<void>((r) => this.http.close(() => r()));
  }

  private issue(p: Omit<Pending, 'timer'>): string {
    const token = randomBytes(12).toString('base64url');
    const timer = setTimeout(() => this.tokens.delete(token), this.opts.tokenTtlMs ?? 60_000);
    timer.unref();
    this.tokens.set(token, { ...p, timer } as Pending);
    return `${this.baseUrl}/${p.kind}/${token}`;
  }

  private pickWsProtocol(offered: Set<string>): string | false {
    for (const p of WS_STREAM_PROTOCOLS) if (offered.has(p)) return p;
    return false;
  }

  private onUpgrade(req: IncomingMessage, sock: Socket, head: Buffer): void {
    const refuse = (code: number, text: string) => {
      sock.end(
        `HTTP/1.1 ${code} ${code === 404 ? 'Not Found' : code === 403 ? 'Forbidden' : 'Bad Request'}\r\n` +
          `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
    };
    const m = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]+)(\?.*)?$/.exec(req.url ?? '');
    const pending = m ? this.tokens.get(m[2]) : undefined;
    if (!m || !pending || pending.kind !== m[1]) return refuse(404, `no such streaming session: ${req.url} (URLs are used once and expire)\n`);
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    const transport: Transport | undefined = upgrade === 'websocket' ? 'websocket' : upgrade === SPDY_UPGRADE.toLowerCase() ? 'spdy' : undefined;
    if (!transport) return refuse(400, `unsupported upgrade ${JSON.stringify(req.headers.upgrade ?? '')}: want ${SPDY_UPGRADE} or websocket\n`);
    if (!this.transports.has(transport)) return refuse(400, `this streaming server does not offer ${transport}\n`);

    if (transport === 'spdy') {
      const offered = (req.headersDistinct[HEADER_PROTOCOL.toLowerCase()] ?? []).flatMap((v) => v.split(',').map((x) => x.trim()));
      const wanted = pending.kind === 'portforward' ? [PORT_FORWARD_PROTOCOL] : SPDY_STREAM_PROTOCOLS;
      const protocol = wanted.find((p) => offered.includes(p));
      if (!protocol) return refuse(403, `unable to upgrade: no common protocol: client offers [${offered.join(', ')}], server speaks [${wanted.join(', ')}]\n`);
      this.consume(m[2]);
      sock.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${SPDY_UPGRADE}\r\n${HEADER_PROTOCOL}: ${protocol}\r\n\r\n`);
      if (head.length) sock.unshift(head);
      const session = new SpdySession(sock, 'server');
      session.on('error', () => undefined);
      this.track(session);
      if (pending.kind === 'portforward') this.servePortForward(pending.req, session);
      else void this.serveSpdyStdio(pending, protocol, session);
      return;
    }

    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((x) => x.trim());
    const wanted = pending.kind === 'portforward' ? [WS_PORT_FORWARD_PROTOCOL] : WS_STREAM_PROTOCOLS;
    if (!wanted.some((p) => offered.includes(p))) {
      return refuse(400, `unable to upgrade: no common WebSocket subprotocol: client offers [${offered.join(', ')}], server speaks [${wanted.join(', ')}]\n`);
    }
    this.consume(m[2]);
    if (pending.kind === 'portforward') {
      delete req.headers['sec-websocket-protocol'];
      (req as TunnelRequest)[TUNNEL] = true;
    }
    this.wss.handleUpgrade(req, sock, head, (ws) => {
      if (pending.kind === 'portforward') {
        const tunnel = createWebSocketStream(ws);
        tunnel.on('error', () => undefined);
        const session = new SpdySession(tunnel, 'server');
        session.on('error', () => undefined);
        this.track(session);
        this.servePortForward(pending.req, session);
      } else {
        void this.serveWsStdio(pending, ws);
      }
    });
  }

  private consume(token: string): void {
    const p = this.tokens.get(token);
    if (p) clearTimeout(p.timer);
    this.tokens.delete(token);
  }

  private track(s: { close(): void; closed?: Promise<void> }): void {
    this.sessions.add(s);
    void s.closed?.then(() => this.sessions.delete(s));
  }

  // ---- exec/attach over SPDY ----------------------------------------------------------------------

  private async serveSpdyStdio(p: Pending & { kind: 'exec' | 'attach' }, protocol: string, session: SpdySession): Promise<void> {
    const { req } = p;
    const tty = !!req.tty;
    const want = new Set<string>([StreamType.error]);
    if (req.stdin) want.add(StreamType.stdin);
    if (req.stdout) want.add(StreamType.stdout);
    if (req.stderr && !tty) want.add(StreamType.stderr);
    if (tty && protocol !== STREAM_V2) want.add(StreamType.resize);
    const streams = new Map<string, SpdyStream>();
    const ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), this.opts.streamCreationTimeoutMs ?? 30_000);
      const check = () => {
        if ([...want].every((w) => streams.has(w))) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      session.on('stream', (s) => {
        const type = s.header(HEADER_STREAM_TYPE) ?? '';
        if (!want.has(type) || streams.has(type)) {
          s.destroy();
          return;
        }
        s.on('error', () => undefined);
        streams.set(type, s);
        check();
      });
      session.once('close', () => {
        clearTimeout(timer);
        resolve(false);
      });
      check();
    });
    if (!(await ready)) {
      session.close();
      return;
    }
    const errorStream = streams.get(StreamType.error)!;
    const ac = new AbortController();
    session.once('close', () => ac.abort(new Error('client disconnected')));
    const io = this.stdio(
      tty,
      streams.get(StreamType.stdin) ?? null,
      streams.get(StreamType.stdout) ?? null,
      streams.get(StreamType.stderr) ?? null,
      ac.signal,
    );
    const resize = streams.get(StreamType.resize);
    if (resize) {
      let buf = '';
      resize.on('data', (d: Buffer) => {
        buf = parseResizes(buf + d.toString(), io.emitResize);
      });
    }
    const status = await this.run(p, io.io);
    await io.finish();
    if (!session.isClosed) {
      const v4 = protocol !== STREAM_V3 && protocol !== STREAM_V2;
      // v2/v3 carry a plain message and nothing on success.
      const payload = v4 ? JSON.stringify(status) : status.status === 'Success' ? '' : (status.message ?? '');
      await new Promise<void>((r) => errorStream.end(payload, () => r()));
    }
    setTimeout(() => session.close(), 50).unref();
  }

  /** Run exec or attach and turn its outcome into the error channel's Status. */
  private async run(p: Pending & { kind: 'exec' | 'attach' }, io: StreamIo): Promise<StatusMessage> {
    try {
      if (p.kind === 'exec') {
        const code = await this.opts.runtime.exec(p.req, io);
        return code === 0 ? successStatus() : exitCodeStatus(p.req.cmd, code);
      }
      await this.opts.runtime.attach(p.req, io);
      return successStatus();
    } catch (e) {
      return failureStatus(e instanceof Error ? e.message : String(e));
    }
  }

  /** Node streams between the runtime and the transport's channels. */
  private stdio(tty: boolean, stdin: Readable | null, stdout: Writable | null, stderr: Writable | null, signal: AbortSignal) {
    const resizeCbs: Array<(s: TermSize) => void> = [];
    const outs: PassThrough[] = [];
    const pipeOut = (target: Writable | null): Writable | null => {
      if (!target) return null;
      const p = new PassThrough();
      p.pipe(target, { end: true });
      outs.push(p);
      return p;
    };
    let inStream: PassThrough | null = null;
    if (stdin) {
      inStream = new PassThrough();
      stdin.pipe(inStream);
    }
    const io: StreamIo = {
      stdin: inStream,
      stdout: pipeOut(stdout),
      stderr: tty ? null : pipeOut(stderr),
      tty,
      onResize: (cb) => {
        resizeCbs.push(cb);
      },
      signal,
    };
    return {
      io,
      emitResize: (s: TermSize) => {
        for (const cb of resizeCbs) cb(s);
      },
      /** End the output channels and wait until their bytes went out. */
      finish: async () => {
        await Promise.all(
          outs.map(
            (p) =>
              new Promise<void>((r) => {
                if (p.writableFinished) return r();
                p.once('finish', () => r());
                p.once('error', () => r());
                p.end();
              }),
          ),
        );
        await Promise.all(
          [stdout, stderr]
            .filter((s): s is Writable => !!s)
            .map(
              (s) =>
                new Promise<void>((r) => {
                  if (s.writableFinished || s.destroyed) return r();
                  s.once('finish', () => r());
                  s.once('close', () => r());
                  s.once('error', () => r());
                }),
            ),
        );
      },
    };
  }

  // ---- exec/attach over WebSocket ---------------------------------------------------------------

  private async serveWsStdio(p: Pending & { kind: 'exec' | 'attach' }, ws: WebSocket): Promise<void> {
    const { req } = p;
    const tty = !!req.tty;
    const v5 = ws.protocol === STREAM_V5;
    const ac = new AbortController();
    const closeSession = { close: () => ws.terminate(), closed: new Promise<void>((r) => ws.once('close', () => r())) };
    this.track(closeSession);
    ws.once('close', () => ac.abort(new Error('client disconnected')));
    ws.on('error', () => undefined);
    const channelOut = (ch: number): Writable => {
      const w = new PassThrough();
      w.on('data', (d: Buffer) => {
        if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([ch]), d]));
      });
      return w;
    };
    const stdin = req.stdin ? new PassThrough() : null;
    const stdout = req.stdout ? channelOut(Channel.stdout) : null;
    const stderr = req.stderr && !tty ? channelOut(Channel.stderr) : null;
    const io = this.stdio(tty, stdin, stdout, stderr, ac.signal);
    let resizeBuf = '';
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const d = isBinary ? data : Buffer.from(data.toString(), 'utf8');
      if (!d.length) return;
      const ch = d[0],
        body = d.subarray(1);
      if (ch === Channel.stdin && stdin && !stdin.writableEnded) stdin.write(body);
      else if (ch === Channel.resize && tty) resizeBuf = parseResizes(resizeBuf + body.toString(), io.emitResize);
      else if (ch === Channel.close && v5 && body[0] === Channel.stdin) stdin?.end();
    });
    ws.once('close', () => {
      if (stdin && !stdin.writableEnded) stdin.end();
    });
    const status = await this.run(p, io.io);
    await io.finish();
    if (ws.readyState === ws.OPEN) {
      ws.send(Buffer.concat([Buffer.from([Channel.error]), Buffer.from(JSON.stringify(status))]));
      ws.close(1000);
    }
  }

  // ---- port-forward (SPDY, or SPDY tunnelled in WebSocket) --------------------------------------

  private servePortForward(req: PortForwardRequest, session: SpdySession): void {
    // The data and error stream of one forwarded connection share a requestID.
    const pairs = new Map<string, { data?: SpdyStream; error?: SpdyStream }>();
    const timeout = this.opts.streamCreationTimeoutMs ?? 30_000;
    session.on('stream', (s) => {
      s.on('error', () => undefined);
      const type = s.header(HEADER_STREAM_TYPE);
      const port = Number(s.header(HEADER_PORT));
      const id = s.header(HEADER_REQUEST_ID) ?? `port-${s.header(HEADER_PORT)}`;
      if ((type !== StreamType.data && type !== StreamType.error) || !(port > 0 && port < 65536)) {
        s.end(`invalid port-forward stream: streamType ${JSON.stringify(type)}, port ${JSON.stringify(s.header(HEADER_PORT))}`);
        return;
      }
      const pair = pairs.get(id) ?? {};
      if (pair[type]) {
        s.destroy();
        return;
      }
      pair[type] = s;
      pairs.set(id, pair);
      if (!pair.data || !pair.error) {
        setTimeout(() => {
          if (pairs.get(id) === pair && (!pair.data || !pair.error)) {
            pairs.delete(id);
            pair.data?.destroy();
            pair.error?.destroy();
          }
        }, timeout).unref();
        return;
      }
      pairs.delete(id);
      void this.forward(req.podSandboxId, port, pair.data, pair.error!);
    });
  }

  private async forward(pod: string, port: number, data: SpdyStream, error: SpdyStream): Promise<void> {
    error.resume(); // the client writes nothing on it
    let conn: Duplex;
    try {
      conn = await this.opts.runtime.portForward(pod, port);
    } catch (e) {
      error.end(`error forwarding port ${port} to pod ${pod}: ${e instanceof Error ? e.message : String(e)}`);
      data.end();
      return;
    }
    conn.on('error', (e) => {
      if (!error.writableEnded) error.end(`error forwarding port ${port} to pod ${pod}: ${e.message}`);
      data.end();
    });
    data.pipe(conn);
    conn.pipe(data);
    conn.once('close', () => {
      if (!error.writableEnded) error.end();
    });
    data.once('close', () => conn.destroy());
  }
}
