// A client for the URLs that CRI's Exec, Attach and PortForward answer, over SPDY or WebSocket,
// speaking what crictl and kubelet's clients speak (see protocol.ts).
//   const s = await openStdio(url, { stdin: true, stdout: true, stderr: true });   // channels as in the CRI request
//   s.stdin.end('hi'); s.stdout.pipe(process.stdout); const outcome = await s.done;  // { exitCode } | { error }
//   const pf = await openPortForward(url); const sock = await pf.dial(80);
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { PassThrough, type Duplex, type Readable, type Writable } from 'node:stream';
import WebSocket, { createWebSocketStream } from 'ws';
import {
  Channel,
  HEADER_PORT,
  HEADER_PROTOCOL,
  HEADER_REQUEST_ID,
  HEADER_STREAM_TYPE,
  outcomeOf,
  PORT_FORWARD_PROTOCOL,
  resizeMessage,
  SPDY_STREAM_PROTOCOLS,
  SPDY_UPGRADE,
  STREAM_V2,
  STREAM_V3,
  STREAM_V5,
  StreamType,
  WS_PORT_FORWARD_PROTOCOL,
  WS_STREAM_PROTOCOLS,
  type Outcome,
  type TermSize,
  type Transport,
} from './protocol.js';
import { SpdySession, type SpdyStream } from './spdy.js';

/** The server refused the upgrade (HTTP status and its body), or the connection failed. */
export class StreamingError extends Error {
  constructor(
    message: string,
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'StreamingError';
  }
}

export interface StdioOptions {
  /** Default 'spdy'. */
  transport?: Transport;
  /** The channels, exactly as the ExecRequest/AttachRequest asked for them. */
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  tty?: boolean;
  /** Protocol versions to offer, best first (default all this client speaks for the transport). */
  protocols?: string[];
  /** Connect and stream-creation timeout; default 30 s. */
  timeoutMs?: number;
}

export interface StdioSession {
  transport: Transport;
  /** The negotiated protocol, e.g. v4.channel.k8s.io. */
  protocol: string;
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  /** Send a terminal size (tty sessions). */
  resize(size: TermSize): void;
  /** The server's verdict once the session ended: the exit code, or why it failed. */
  done: Promise<Outcome>;
  /** Drop the connection. */
  close(): void;
}

/** Open an exec or attach session at url (what Exec/Attach answered). */
export function openStdio(url: string, opts: StdioOptions = {}): Promise<StdioSession> {
  return (opts.transport ?? 'spdy') === 'spdy' ? openSpdyStdio(url, opts) : openWsStdio(url, opts);
}

export interface Collected {
  stdout: string;
  stderr: string;
  outcome: Outcome;
  protocol: string;
}

/** Run a session to its end: send input (then close stdin), collect stdout and stderr. */
export async function runStdio(url: string, opts: StdioOptions & { input?: string | Buffer; size?: TermSize } = {}): Promise<Collected> {
  const s = await openStdio(url, { ...opts, stdin: opts.stdin ?? opts.input !== undefined });
  const out: Buffer[] = [],
    err: Buffer[] = [];
  s.stdout?.on('data', (d: Buffer) => out.push(d));
  s.stderr?.on('data', (d: Buffer) => err.push(d));
  if (opts.size) s.resize(opts.size);
  if (s.stdin) s.stdin.end(opts.input ?? '');
  const outcome = await s.done;
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), outcome, protocol: s.protocol };
}

// ---- SPDY ---------------------------------------------------------------------------------------

/** POST url with Upgrade: SPDY/3.1 offering protocols; resolves with the session and the chosen one. */
export function spdyConnect(url: string, protocols: string[], timeoutMs = 30_000): Promise<{ session: SpdySession; protocol: string }> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(u, {
      method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: SPDY_UPGRADE, [HEADER_PROTOCOL]: protocols },
      // A connection of its own (as Go's SPDY dialer): never a pooled keep-alive socket.
      agent: false,
      timeout: timeoutMs,
    });
    req.once('timeout', () => req.destroy(new StreamingError(`${url}: no answer within ${timeoutMs} ms`)));
    req.once('error', (e) => reject(e instanceof StreamingError ? e : new StreamingError(`${url}: ${e.message}`)));
    req.once('response', (res) => refused(url, res).then(reject, reject));
    req.once('upgrade', (res, socket: Socket, head: Buffer) => {
      socket.setTimeout(0);
      const protocol = String(res.headers[HEADER_PROTOCOL.toLowerCase()] ?? '');
      if (!protocols.includes(protocol)) {
        socket.destroy();
        return reject(new StreamingError(`${url}: server chose protocol ${JSON.stringify(protocol)}, not one of ${protocols.join(', ')}`));
      }
      if (head.length) socket.unshift(head);
      const session = new SpdySession(socket, 'client');
      session.on('error', () => undefined);
      resolve({ session, protocol });
    });
    req.end();
  });
}

async function refused(url: string, res: IncomingMessage): Promise<never> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks).toString().trim();
  throw new StreamingError(`${url}: upgrade refused: HTTP ${res.statusCode}${body ? `: ${body}` : ''}`, res.statusCode);
}

async function openSpdyStdio(url: string, opts: StdioOptions): Promise<StdioSession> {
  const { session, protocol } = await spdyConnect(url, opts.protocols ?? SPDY_STREAM_PROTOCOLS, opts.timeoutMs);
  try {
    const open = (type: string) => session.openStream({ [HEADER_STREAM_TYPE]: type }, opts.timeoutMs);
    // The order client-go uses: error first, so a failure to start is never missed.
    const error = await open(StreamType.error);
    error.end();
    const stdin = opts.stdin ? await open(StreamType.stdin) : null;
    const stdout = opts.stdout ? await open(StreamType.stdout) : null;
    const stderr = opts.stderr && !opts.tty ? await open(StreamType.stderr) : null;
    const resize = opts.tty && protocol !== STREAM_V2 ? await open(StreamType.resize) : null;
    for (const s of [stdin, stdout, stderr, resize]) s?.on('error', () => undefined);
    const v4 = protocol !== STREAM_V3 && protocol !== STREAM_V2;
    const done = readAll(error).then(
      (text) => {
        if (v4) return outcomeOf(text);
        return text.trim() ? { error: text.trim() } : { exitCode: 0 };
      },
      (e: Error) => ({ error: `error stream: ${e.message}` }) as Outcome,
    );
    void done.then(() => setTimeout(() => session.close(), 100).unref());
    return {
      transport: 'spdy',
      protocol,
      stdin,
      stdout,
      stderr,
      resize: (size) => {
        if (resize && !resize.writableEnded) resize.write(resizeMessage(size));
      },
      done,
      close: () => session.close(),
    };
  } catch (e) {
    session.close();
    throw e;
  }
}

function readAll(s: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.once('end', () => resolve(Buffer.concat(chunks).toString()));
    s.once('error', (e) => (chunks.length ? resolve(Buffer.concat(chunks).toString()) : reject(e)));
    s.once('close', () => resolve(Buffer.concat(chunks).toString()));
  });
}

// ---- WebSocket ----------------------------------------------------------------------------------

function wsUrl(url: string): string {
  return url.replace(/^http(s?):/, 'ws$1:');
}

/** Connect; onMessage listens from the start (messages may arrive with the handshake). */
function wsConnect(url: string, protocols: string[], timeoutMs = 30_000, onMessage?: (d: Buffer, isBinary: boolean) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(url), protocols, { handshakeTimeout: timeoutMs });
    if (onMessage) ws.on('message', onMessage);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      refused(url, res).catch((e) => {
        reject(e);
        ws.terminate();
      });
    });
    ws.once('error', (e) => reject(new StreamingError(`${url}: ${e.message}`)));
  });
}

/**
 * The port-forward tunnel's subprotocol contains '/', which RFC 6455 does not allow in a
 * subprotocol token and ws refuses; Go's clients and servers accept it. So the header is sent by
 * hand and the answer checked (and removed) before ws sees it.
 */
function wsTunnelConnect(url: string, timeoutMs = 30_000): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(url), { handshakeTimeout: timeoutMs, headers: { 'Sec-WebSocket-Protocol': WS_PORT_FORWARD_PROTOCOL } });
    ws.once('upgrade', (res) => {
      const chosen = res.headers['sec-websocket-protocol'];
      delete res.headers['sec-websocket-protocol'];
      if (chosen !== WS_PORT_FORWARD_PROTOCOL) {
        ws.terminate();
        reject(new StreamingError(`${url}: server chose subprotocol ${JSON.stringify(chosen ?? '')}, not ${WS_PORT_FORWARD_PROTOCOL}`));
      }
    });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      refused(url, res).catch((e) => {
        reject(e);
        ws.terminate();
      });
    });
    ws.once('error', (e) => reject(new StreamingError(`${url}: ${e.message}`)));
  });
}

async function openWsStdio(url: string, opts: StdioOptions): Promise<StdioSession> {
  const stdout = opts.stdout ? new PassThrough() : null;
  const stderr = opts.stderr && !opts.tty ? new PassThrough() : null;
  const errorChunks: Buffer[] = [];
  const ws = await wsConnect(url, opts.protocols ?? WS_STREAM_PROTOCOLS, opts.timeoutMs, (data: Buffer, isBinary: boolean) => {
    const d = isBinary ? data : Buffer.from(data.toString());
    if (d.length < 2) return; // an empty message only announces a channel
    const ch = d[0],
      body = d.subarray(1);
    if (ch === Channel.stdout) stdout?.write(body);
    else if (ch === Channel.stderr) stderr?.write(body);
    else if (ch === Channel.error) errorChunks.push(body);
  });
  const protocol = ws.protocol;
  const v5 = protocol === STREAM_V5;
  ws.on('error', () => undefined);
  const done = new Promise<Outcome>((resolve) =>
    ws.once('close', () => {
      stdout?.end();
      stderr?.end();
      resolve(outcomeOf(Buffer.concat(errorChunks).toString()));
    }),
  );
  let stdin: Writable | null = null;
  if (opts.stdin) {
    const w = new PassThrough();
    w.on('data', (d: Buffer) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([Buffer.from([Channel.stdin]), d]));
    });
    // Only v5 can say "stdin is closed"; v4 servers never learn it.
    w.on('end', () => {
      if (v5 && ws.readyState === WebSocket.OPEN) ws.send(Buffer.from([Channel.close, Channel.stdin]));
    });
    stdin = w;
  }
  return {
    transport: 'websocket',
    protocol,
    stdin,
    stdout,
    stderr,
    resize: (size) => {
      if (opts.tty && ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([Buffer.from([Channel.resize]), Buffer.from(resizeMessage(size))]));
    },
    done,
    close: () => ws.terminate(),
  };
}

// ---- port-forward -------------------------------------------------------------------------------

export interface PortForwardOptions {
  /** Default 'spdy'. */
  transport?: Transport;
  timeoutMs?: number;
}

/** One port-forward connection to the streaming server; many forwarded connections over it. */
export class PortForwardSession {
  private nextRequestId = 0;

  private constructor(
    readonly session: SpdySession,
    readonly transport: Transport,
    readonly protocol: string,
    private readonly timeoutMs?: number,
  ) {}

  static async open(url: string, opts: PortForwardOptions = {}): Promise<PortForwardSession> {
    const transport = opts.transport ?? 'spdy';
    if (transport === 'spdy') {
      const { session, protocol } = await spdyConnect(url, [PORT_FORWARD_PROTOCOL], opts.timeoutMs);
      return new PortForwardSession(session, transport, protocol, opts.timeoutMs);
    }
    const ws = await wsTunnelConnect(url, opts.timeoutMs);
    const tunnel = createWebSocketStream(ws);
    tunnel.on('error', () => undefined);
    const session = new SpdySession(tunnel, 'client');
    session.on('error', () => undefined);
    return new PortForwardSession(session, transport, WS_PORT_FORWARD_PROTOCOL, opts.timeoutMs);
  }

  /**
   * A connection to port in the pod: a Duplex of the data stream. What the server reports on the
   * error stream (e.g. connection refused) destroys it with that message.
   */
  async dial(port: number): Promise<Duplex> {
    const requestId = String(this.nextRequestId++);
    const headers = { [HEADER_PORT]: String(port), [HEADER_REQUEST_ID]: requestId };
    const error = await this.session.openStream({ ...headers, [HEADER_STREAM_TYPE]: StreamType.error }, this.timeoutMs);
    error.end();
    error.on('error', () => undefined);
    let data: SpdyStream;
    try {
      data = await this.session.openStream({ ...headers, [HEADER_STREAM_TYPE]: StreamType.data }, this.timeoutMs);
    } catch (e) {
      error.destroy();
      throw e;
    }
    void readAll(error).then(
      (text) => {
        if (text.trim()) data.destroy(new StreamingError(text.trim()));
      },
      () => undefined,
    );
    return data;
  }

  /** Listen on host:localPort (0: any) and forward each connection to remotePort, as kubectl port-forward. */
  async listen(localPort: number, remotePort: number, host = '127.0.0.1', onError?: (e: Error) => void): Promise<Server> {
    const server = createServer((sock) => {
      sock.on('error', () => undefined);
      this.dial(remotePort).then(
        (remote) => {
          remote.on('error', (e) => {
            onError?.(e);
            sock.destroy();
          });
          sock.pipe(remote);
          remote.pipe(sock);
          sock.once('close', () => remote.destroy());
        },
        (e: Error) => {
          onError?.(e);
          sock.destroy();
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(localPort, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.session.once('close', () => server.close());
    return server;
  }

  get closed(): Promise<void> {
    return this.session.closed;
  }

  close(): void {
    this.session.close();
  }
}

export const listenPort = (s: Server): number => (s.address() as AddressInfo).port;
