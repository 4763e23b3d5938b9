// A running container's standard streams, as Attach sees them: what the main process writes goes
// to the CRI log and to every attached session; with ContainerConfig.stdin its stdin is live and
// fed by attached sessions (closed after the first session when stdin_once), and with tty it runs
// on a terminal (24×80 until a client resizes it).
import type { ContainerConfig } from '../../interfaces/gen/cri/api.js';
import type { CriLogWriter } from './logs.js';
import { emptyInput, LiveInput, type Io, type SimProcess, type Sink } from './sim/index.js';

export interface Attached {
  out?: (b: Buffer) => void;
  err?: (b: Buffer) => void;
}

export class ContainerStdio {
  readonly subscribers = new Set<Attached>();
  readonly stdin?: LiveInput;
  readonly tty: boolean;
  readonly stdinOnce: boolean;

  constructor(
    config: ContainerConfig,
    private readonly log: CriLogWriter | undefined,
    proc: SimProcess,
  ) {
    this.tty = !!config.tty;
    this.stdinOnce = !!config.stdinOnce;
    if (config.stdin) this.stdin = new LiveInput();
    if (this.tty) proc.tty = { rows: 24, cols: 80 };
  }

  /** The main process's io. */
  io(): Io {
    const sink = (stream: 'stdout' | 'stderr'): Sink => ({
      write: (d) => {
        const b = Buffer.from(d);
        // A terminal has one output: stderr goes to stdout, as runc's console does.
        const as = this.tty ? 'stdout' : stream;
        this.log?.write(as, b);
        for (const s of this.subscribers) (as === 'stdout' ? s.out : s.err)?.(b);
      },
    });
    return { stdin: this.stdin ?? emptyInput(), out: sink('stdout'), err: sink('stderr') };
  }

  /** A session joins; returns how it leaves. */
  join(s: Attached): () => void {
    this.subscribers.add(s);
    return () => {
      this.subscribers.delete(s);
      if (this.stdinOnce) this.stdin?.end();
    };
  }
}
