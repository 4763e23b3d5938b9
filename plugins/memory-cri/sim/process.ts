// A simulated process: something that can be waited on, signalled and killed. Every await point
// of the simulator (sleep, listening, loop ticks) goes through its AbortSignal, so a signal ends
// the process at once and leaves no timer behind.
//
// Signal model (kept simple on purpose, see README of the plugin in index.ts):
// - KILL ends the process with 137 whatever it does.
// - Any other signal (TERM, INT, QUIT, HUP, USR1, USR2) runs a `trap` handler if the shell set
//   one, is ignored if trapped with '' or the image marks the process as ignoring it, and
//   otherwise ends the process with 128 + signal number (143 for TERM). Unlike a real PID 1,
//   which the kernel shields from unhandled signals, a simulated process honours TERM at once.
// - terminate(code, reason) ends the process with a given code (fault rules, OOM kills).

export type SimSignal = 'TERM' | 'KILL' | 'INT' | 'QUIT' | 'HUP' | 'USR1' | 'USR2';
export const SIGNALS: Record<SimSignal, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, TERM: 15 };

export function parseSignal(s: string): SimSignal | undefined {
  const up = s.toUpperCase().replace(/^SIG/, '');
  if (/^\d+$/.test(up)) return Object.entries(SIGNALS).find(([, n]) => n === Number(up))?.[0] as SimSignal | undefined;
  return up in SIGNALS ? (up as SimSignal) : undefined;
}

/** The process ends with this exit code (thrown through every await of the simulator). */
export class Killed extends Error {
  constructor(
    readonly exitCode: number,
    readonly reason?: string,
  ) {
    super(`killed (exit ${exitCode}${reason ? `, ${reason}` : ''})`);
    this.name = 'Killed';
  }
}

/** A trapped signal interrupted the process: its handler runs next. */
export class Interrupted extends Error {
  constructor(
    readonly signal: SimSignal,
    readonly handler: () => Promise<number | undefined>,
  ) {
    super(`interrupted by SIG${signal}`);
    this.name = 'Interrupted';
  }
}

export interface ExitResult {
  exitCode: number;
  /** 'OOMKilled' when terminated as an OOM kill; otherwise undefined. */
  reason?: string;
  /** The simulator itself failed (a bug): the container's state becomes UNKNOWN. */
  internalError?: Error;
}

export type Trap = 'ignore' | (() => Promise<number | undefined>);

let nextPid = 1000;

/** The terminal a process runs on (exec/attach with tty): its size follows the client's resizes. */
export interface Tty {
  rows: number;
  cols: number;
  /** What runs in the foreground (an interactive shell's current command): ^C interrupts it. */
  foreground?: SimProcess;
  /** An interactive shell reads this terminal: ^C with nothing in the foreground only gives a new prompt. */
  interactive?: boolean;
}

export class SimProcess {
  readonly pid = ++nextPid;
  /** What the process runs now (ps/top/pgrep); the shell sets it while a program runs in it. */
  argv: string[] = [];
  /** A process title set over argv (setproctitle, as nginx does): what ps and /proc/PID/cmdline show. */
  title?: string;
  readonly children = new Set<SimProcess>();
  readonly traps = new Map<SimSignal, Trap>();
  /** Signals ignored by default (an image may mark its processes as ignoring TERM). */
  readonly ignored: Set<SimSignal>;
  /** Its controlling terminal, if any (children inherit it). */
  tty?: Tty;
  private ac = new AbortController();
  private readonly cleanups: Array<() => void | Promise<void>> = [];
  private finished = false;
  private exitP?: Promise<ExitResult>;

  constructor(opts: { ignore?: SimSignal[]; parent?: SimProcess } = {}) {
    this.ignored = new Set(opts.ignore ?? []);
    if (opts.parent) {
      opts.parent.children.add(this);
      this.onExit(() => {
        opts.parent!.children.delete(this);
      });
    }
  }

  get signal(): AbortSignal {
    return this.ac.signal;
  }
  get done(): boolean {
    return this.finished;
  }

  /** Throw the pending kill/interrupt, if any. */
  check(): void {
    if (this.ac.signal.aborted) throw this.ac.signal.reason;
  }

  /** Wait ms (Infinity: forever); rejects as soon as the process is signalled. */
  sleep(ms: number): Promise<void> {
    const signal = this.ac.signal;
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      if (Number.isFinite(ms)) {
        timer = setTimeout(
          () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          },
          Math.max(0, Math.min(ms, 2 ** 31 - 1)),
        );
      }
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Let the event loop breathe (busy loops), then check for signals. */
  async tick(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    this.check();
  }

  /** Await p, but give up as soon as the process is signalled. */
  race<T>(p: Promise<T>): Promise<T> {
    const signal = this.ac.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  /** A child (background job, exec session): killed when this process ends. */
  spawnChild(): SimProcess {
    const c = new SimProcess({ parent: this });
    c.tty = this.tty;
    c.argv = [...this.argv];
    if (this.finished) c.kill('KILL');
    return c;
  }

  /** Run when the process ends (listeners, timers). Runs at once if it already ended. */
  onExit(fn: () => void | Promise<void>): void {
    if (this.finished) void fn();
    else this.cleanups.push(fn);
  }

  /** Deliver a signal; false if the process already ended. */
  kill(sig: SimSignal): boolean {
    if (this.finished) return false;
    if (sig === 'KILL') {
      this.abort(new Killed(128 + SIGNALS.KILL));
      return true;
    }
    const trap = this.traps.get(sig);
    if (trap === 'ignore' || (!trap && this.ignored.has(sig))) return true;
    if (trap) this.abort(new Interrupted(sig, trap));
    else this.abort(new Killed(128 + SIGNALS[sig]));
    return true;
  }

  /** End the process with this code whatever it does (fault rules, OOM kills). */
  terminate(exitCode: number, reason?: string): void {
    if (!this.finished) this.abort(new Killed(exitCode, reason));
  }

  private abort(reason: Error): void {
    // A kill overrides a pending interrupt; an interrupt never overrides a kill.
    if (this.ac.signal.aborted && this.ac.signal.reason instanceof Killed) return;
    if (this.ac.signal.aborted && !(reason instanceof Killed)) return;
    if (this.ac.signal.aborted) this.ac = new AbortController();
    this.ac.abort(reason);
  }

  /** Run main as this process; resolves once it ended and everything it held is released. */
  run(main: () => Promise<number>): Promise<ExitResult> {
    this.exitP ??= this.execute(main);
    return this.exitP;
  }

  /** The exit of a running process (undefined if run() was never called). */
  get exited(): Promise<ExitResult> | undefined {
    return this.exitP;
  }

  private async execute(main: () => Promise<number>): Promise<ExitResult> {
    let result: ExitResult;
    try {
      result = { exitCode: await main() };
    } catch (err) {
      result = await this.settle(err);
    }
    this.finished = true;
    for (const c of [...this.children]) c.kill('KILL');
    await Promise.all([...this.children].map((c) => c.exitP).filter(Boolean));
    for (const fn of this.cleanups.splice(0)) {
      try {
        await fn();
      } catch {
        /* cleanup is best effort */
      }
    }
    return result;
  }

  private async settle(err: unknown): Promise<ExitResult> {
    for (let e = err; ;) {
      // A kill that arrived while an interrupt was unwinding wins.
      if (this.ac.signal.aborted && this.ac.signal.reason instanceof Killed) e = this.ac.signal.reason;
      if (e instanceof Killed) return { exitCode: e.exitCode, reason: e.reason };
      if (!(e instanceof Interrupted)) {
        return { exitCode: 255, internalError: e instanceof Error ? e : new Error(String(e)) };
      }
      // Run the trap handler with a fresh signal; `exit N` inside it decides the code.
      this.ac = new AbortController();
      try {
        const code = await e.handler();
        return { exitCode: code ?? 128 + SIGNALS[e.signal] };
      } catch (next) {
        e = next;
      }
    }
  }
}
