// memory-cri's streaming server: the SDK's StreamingServer on loopback, started with the first
// Exec/Attach/PortForward, serving
// - exec: the simulated program in the container (as ExecSync does) with the session's stdin
//   (live: programs wait for it), stdout and stderr, on a terminal when tty (line discipline,
//   size from resizes, ^C interrupts); the exit code goes back on the error channel;
// - attach: the running main process's output (its log keeps it too) and, with
//   ContainerConfig.stdin, its input;
// - port-forward: the pod's simulated listeners (httpd, nc, nginx), where they really listen.
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ContainerState, PodSandboxState } from '../../interfaces/gen/cri/api.js';
import { StreamingServer, type StreamIo, type StreamingRuntime, type Transport } from '../../interfaces/cri/streaming/index.js';
import { stateName } from './container.js';
import { LineDiscipline, onlcr } from './pty.js';
import type { MemoryRuntime } from './runtime.js';
import { emptyInput, LiveInput, resolveArgv, spawn, type Input, type SimProcess, type Sink, type Tty } from './sim/index.js';
import type { ContainerRec } from './store.js';

export interface StreamingOptions {
  /** Transports offered (default both); ['spdy'] behaves like containerd 1.6. */
  transports?: Transport[];
  /** Where the server listens; default the runtime's listenHost, any port. */
  host?: string;
  port?: number;
}

/** Start memory-cri's streaming server on first use; close() stops it. */
export class MemoryStreaming {
  private server?: Promise<StreamingServer>;
  /** Replace the session handlers before the server starts (conformance/broken variants). */
  wrap?: (r: StreamingRuntime) => StreamingRuntime;

  constructor(
    private readonly rt: MemoryRuntime,
    private readonly opts: StreamingOptions = {},
  ) {}

  get(): Promise<StreamingServer> {
    this.server ??= StreamingServer.start({
      runtime: (this.wrap ?? ((r) => r))(memoryStreamingRuntime(this.rt)),
      host: this.opts.host ?? this.rt.listenHost,
      port: this.opts.port,
      transports: this.opts.transports,
    });
    return this.server;
  }

  async close(): Promise<void> {
    const s = await this.server?.catch(() => undefined);
    await s?.close();
  }
}

function runningContainer(rt: MemoryRuntime, id: string, what: string): ContainerRec & { proc: SimProcess } {
  const c = rt.store.containers.get(id);
  if (!c) throw new Error(`container "${id}" not found`);
  if (c.state !== ContainerState.CONTAINER_RUNNING || !c.proc || c.proc.done) {
    throw new Error(`container ${c.id} is in ${stateName(c.state)} state: ${what} needs a running container`);
  }
  return c as ContainerRec & { proc: SimProcess };
}

const sinkOf = (w: NodeJS.WritableStream | null, tty: boolean): Sink =>
  w
    ? {
        write: (d) => {
          w.write(tty ? onlcr(d) : Buffer.from(d));
        },
      }
    : { write: () => undefined };

/** Feed a session's stdin into a LiveInput (through the line discipline on a tty). */
function feedInput(io: StreamIo, input: LiveInput, tty: Tty | undefined, echo: Sink, interrupt: () => void): void {
  const pty = tty ? new LineDiscipline(input, (b) => echo.write(b), tty, interrupt) : undefined;
  io.stdin!.on('data', (d: Buffer) => (pty ? pty.feed(d) : input.push(d)));
  io.stdin!.on('end', () => input.end());
  io.stdin!.on('error', () => input.end());
}

export function memoryStreamingRuntime(rt: MemoryRuntime): StreamingRuntime {
  return {
    async exec(req, io) {
      const c = runningContainer(rt, req.containerId, 'exec');
      if (!req.cmd?.length) throw new Error('cmd must not be empty');
      const r = resolveArgv(req.cmd, c.host, c.env, c.cwd);
      if (!r.ok) {
        throw new Error(
          `failed to exec in container: failed to start exec "${req.cmd[0]}": OCI runtime exec failed: exec failed: unable to start container process: ${r.message}: unknown`,
        );
      }
      const proc = c.proc.spawnChild();
      const tty: Tty | undefined = io.tty ? { rows: 24, cols: 80 } : undefined;
      proc.tty = tty;
      if (tty)
        io.onResize((s) => {
          tty.rows = s.height;
          tty.cols = s.width;
        });
      const out = sinkOf(io.stdout, io.tty);
      const err = io.tty ? out : sinkOf(io.stderr, false);
      let stdin: Input = emptyInput();
      if (io.stdin) {
        const live = new LiveInput();
        feedInput(io, live, tty, out, () => proc.kill('INT'));
        stdin = live;
      }
      // The client went away: the session's process hangs up.
      const onAbort = () => proc.kill('HUP');
      io.signal.addEventListener('abort', onAbort, { once: true });
      try {
        const res = await spawn({ resolved: r, env: c.env, cwd: c.cwd, host: c.host, io: { stdin, out, err }, proc });
        return res.exitCode;
      } finally {
        io.signal.removeEventListener('abort', onAbort);
      }
    },

    async attach(req, io) {
      const c = runningContainer(rt, req.containerId, 'attach');
      const stdio = c.stdio!;
      if (io.tty && !stdio.tty) throw new Error(`tty requested, but container ${c.id} was not created with tty`);
      const out = sinkOf(io.stdout, false);
      const err = stdio.tty ? out : sinkOf(io.stderr, false);
      const leave = stdio.join({ out: (b) => out.write(stdio.tty ? onlcr(b) : b), err: (b) => err.write(b) });
      if (io.stdin && stdio.stdin) {
        const tty = stdio.tty ? c.proc.tty : undefined;
        if (tty)
          io.onResize((s) => {
            tty.rows = s.height;
            tty.cols = s.width;
          });
        const pty = tty
          ? new LineDiscipline(
              stdio.stdin,
              (b) => out.write(b),
              tty,
              () => c.proc.kill('INT'),
            )
          : undefined;
        io.stdin.on('data', (d: Buffer) => (pty ? pty.feed(d) : stdio.stdin!.push(d)));
        // Without a tty, a session's end of input is the container's (kubectl attach -i, then ^D).
        io.stdin.on('end', () => {
          if (!tty) stdio.stdin!.end();
        });
      } else {
        io.stdin?.resume();
      }
      try {
        await new Promise<void>((resolve) => {
          void c.exited?.then(() => resolve());
          io.signal.addEventListener('abort', () => resolve(), { once: true });
        });
      } finally {
        leave();
      }
    },

    async portForward(podSandboxId, port) {
      const sb = rt.store.sandboxes.get(podSandboxId);
      if (!sb) throw new Error(`failed to find sandbox "${podSandboxId}" in store: not found`);
      if (sb.state !== PodSandboxState.SANDBOX_READY) throw new Error(`sandbox ${podSandboxId} is not ready`);
      const address = sb.ports.forwards()[String(port)];
      if (!address) {
        throw new Error(`failed to connect to localhost:${port} inside the network of pod ${podSandboxId}: connect: connection refused`);
      }
      const i = address.lastIndexOf(':');
      const sock: Socket = connect(Number(address.slice(i + 1)), address.slice(0, i));
      await new Promise<void>((resolve, reject) => {
        sock.once('connect', resolve);
        sock.once('error', (e) => reject(new Error(`failed to connect to localhost:${port} inside the network of pod ${podSandboxId}: ${e.message}`)));
      });
      return sock as Duplex;
    },
  };
}
