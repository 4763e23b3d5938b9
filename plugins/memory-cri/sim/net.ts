// Ports of a pod: `httpd -p PORT` and `nc -l -p PORT` in a simulated container really listen,
// on 127.0.0.1 and an ephemeral port, so probes work where the simulated pod IP is not routable.
// The sandbox reports the mapping (container port → 127.0.0.1:ephemeral) as `portForwards`.
// Containers of one pod share the table (one network namespace): a port is taken once.
// When the pod has a real network namespace, the sandbox sets `expose`, which also makes each
// port answer on the pod IP inside that namespace (see network.ts exposeInNetns).
// A TCP port the pod maps to a host port (PortMapping.host_port, what CNI's portmap does) is also
// forwarded from listenHost:hostPort while something listens on it; a host port that is taken
// on this machine is simply not forwarded.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { connect, createServer as createTcpServer, type Server, type Socket } from 'node:net';

export interface Listener {
  port: number;
  kind: 'http' | 'http2' | 'tcp';
  /** host:port where the port really listens. */
  address: string;
  close(): Promise<void>;
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

export class PortInUse extends Error {
  constructor(readonly port: number) {
    super('bind: Address in use');
    this.name = 'PortInUse';
  }
}

/** The port listens, but could not be made to answer in the pod's network namespace. */
export class ExposeError extends Error {
  constructor(
    readonly port: number,
    message: string,
  ) {
    super(message);
    this.name = 'ExposeError';
  }
}

export class PortTable {
  private readonly listeners = new Map<number, Listener | 'binding'>();
  /** Bytes received and sent through every listener of the pod (network stats). */
  rxBytes = 0;
  txBytes = 0;
  private shut = false;
  /** Make a new listener answer elsewhere too (the pod's real netns); returns how to undo it. */
  expose?: (port: number, address: string) => Promise<() => Promise<void>>;

  /** @param hostPorts container port → host port (TCP mappings with a host port). */
  constructor(
    private readonly host = '127.0.0.1',
    private readonly hostPorts: ReadonlyMap<number, number> = new Map(),
  ) {}

  /** Forward host:hostPort to the pod port's real address; undefined when the host port is taken. */
  private async forwardHostPort(hostPort: number, target: number): Promise<Server | undefined> {
    const fwd = createTcpServer((s) => {
      const up = connect(target, this.host);
      s.on('error', () => up.destroy());
      up.on('error', () => s.destroy());
      s.pipe(up).pipe(s);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        fwd.once('error', reject);
        fwd.listen(hostPort, this.host, () => {
          fwd.off('error', reject);
          resolve();
        });
      });
      return fwd;
    } catch {
      return undefined;
    }
  }

  /** The port → address map of every listening port. */
  forwards(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [port, l] of [...this.listeners].sort((a, b) => a[0] - b[0])) if (l !== 'binding') out[String(port)] = l.address;
    return out;
  }

  has(port: number): boolean {
    return this.listeners.has(port);
  }

  listenHttp(port: number, handler: HttpHandler): Promise<Listener> {
    return this.listen(port, 'http', createHttpServer({ keepAliveTimeout: 1000 }, handler));
  }

  listenTcp(port: number, onSocket: (s: Socket) => void): Promise<Listener> {
    return this.listen(port, 'tcp', createTcpServer(onSocket));
  }

  /** HTTP/2 without TLS (h2c), as gRPC servers answer: one call per stream. */
  listenHttp2(port: number, onStream: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void): Promise<Listener> {
    const server = createHttp2Server();
    server.on('stream', onStream);
    return this.listen(port, 'http2', server);
  }

  private async listen(port: number, kind: Listener['kind'], server: Server): Promise<Listener> {
    if (this.listeners.has(port)) throw new PortInUse(port);
    this.listeners.set(port, 'binding');
    const sockets = new Set<Socket>();
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        this.rxBytes += s.bytesRead;
        this.txBytes += s.bytesWritten;
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, this.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      this.listeners.delete(port);
      throw e;
    }
    const addr = server.address();
    const real = typeof addr === 'object' && addr ? addr.port : 0;
    const address = `${this.host}:${real}`;
    let unexpose: (() => Promise<void>) | undefined;
    if (this.expose && !this.shut) {
      try {
        unexpose = await this.expose(port, address);
      } catch (e) {
        this.listeners.delete(port);
        await new Promise<void>((resolve) => server.close(() => resolve()));
        throw new ExposeError(port, (e as Error).message);
      }
    }
    const hostPort = this.hostPorts.get(port);
    const fwd = hostPort ? await this.forwardHostPort(hostPort, real) : undefined;
    let closed: Promise<void> | undefined;
    const l: Listener = {
      port,
      kind,
      address,
      close: () =>
        (closed ??= (async () => {
          if (this.listeners.get(port) === l) this.listeners.delete(port);
          await unexpose?.().catch(() => undefined);
          for (const s of sockets) s.destroy();
          fwd?.close();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        })()),
    };
    this.listeners.set(port, l);
    if (this.shut) {
      await l.close();
      throw new Error('pod network is gone');
    }
    return l;
  }

  async closeAll(): Promise<void> {
    this.shut = true;
    await Promise.all([...this.listeners.values()].map((l) => (l === 'binding' ? undefined : l.close())));
  }
}
