// What a simulated program sees: its argv, environment, working directory, standard streams, and
// the container around it (files, hostname, user, the pod's ports).
import type { ContainerFs } from './fs.js';
import type { PortTable } from './net.js';
import type { SimProcess } from './process.js';
import type { SeccompFilter } from './seccomp.js';

export interface Sink {
  write(chunk: string | Buffer): void;
}
/** stdin: a buffer read from the front (pipes are run one stage after the other). */
export interface Input {
  data: Buffer;
  pos: number;
}

/**
 * stdin that arrives over time (an exec or attach session): what has arrived is in data, and
 * programs that read stdin wait for more (more, untilEnd, untilLine) until end() or their kill.
 */
export class LiveInput implements Input {
  data: Buffer = Buffer.alloc(0);
  pos = 0;
  ended = false;
  private waiters = new Set<() => void>();

  push(b: Buffer | string): void {
    if (this.ended) return;
    this.data = Buffer.concat([this.data.subarray(this.pos), Buffer.from(b)]);
    this.pos = 0;
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  /** Wait until there is unread data or the end; false at the end with nothing left. */
  async more(proc: SimProcess): Promise<boolean> {
    while (this.pos >= this.data.length && !this.ended) await this.next(proc);
    return this.pos < this.data.length;
  }

  /** @internal Resolve at the next push or end (or reject when proc is signalled). */
  next(proc: SimProcess): Promise<void> {
    let wake!: () => void;
    const p = new Promise<void>((r) => {
      wake = r;
    });
    this.waiters.add(wake);
    return proc.race(p).finally(() => this.waiters.delete(wake));
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
    this.waiters.clear();
  }
}

/** Wait for the whole of stdin (a live stdin until the session closes it). */
export async function untilEnd(i: Input, proc: SimProcess): Promise<void> {
  if (i instanceof LiveInput) while (!i.ended) await i.next(proc);
}

/** Wait until stdin holds a whole line, or ended. */
export async function untilLine(i: Input, proc: SimProcess): Promise<void> {
  if (i instanceof LiveInput) while (!i.ended && i.data.indexOf(10, i.pos) < 0) await i.next(proc);
}
export interface Io {
  stdin: Input;
  out: Sink;
  err: Sink;
}

export interface User {
  uid: number;
  gid: number;
  groups: number[];
  name: string;
  group: string;
  /** gid → name, from the image's /etc/group (for `id`). */
  groupNames?: Record<number, string>;
}

export interface Host {
  fs: ContainerFs;
  hostname: string;
  /** The pod's IPs (hostname -i); may be empty. */
  ips: string[];
  user: User;
  ports: PortTable;
  /**
   * The PID namespace: the first processes of every container in it, and who is PID 1 there
   * (the container's own first process, the pod's pause, or nobody remapped: the node's).
   * Undefined: the container's own namespace, with init as PID 1.
   */
  pidns?: () => { roots: SimProcess[]; init: SimProcess | 'pause' | undefined };
  /** PID 1 of the container, for `kill 1`. */
  init?: SimProcess;
  /** Effective capabilities (names without CAP_) as runc leaves them; undefined: all (tests, tools). */
  caps?: ReadonlySet<string>;
  /** no_new_privs is set: executing a setuid program does not raise privileges. */
  noNewPrivs?: boolean;
  /** The seccomp filter of the container's processes; undefined: none. */
  seccomp?: SeccompFilter;
  /** The pod shares the node's network namespace: netstat lists the node's listening sockets. */
  hostNetwork?: boolean;
  /** The pod shares the node's IPC namespace: ipcs lists the node's System V objects. */
  hostIpc?: boolean;
  /** Bridges made with `brctl addbr` in the pod's network namespace. */
  bridges?: Set<string>;
  /** `alloc SIZE` adds to the container's memory (negative: frees); the runtime may OOM-kill past the limit. */
  allocate?(bytes: number): void;
}

export interface ProgramCtx {
  argv: string[];
  env: Map<string, string>;
  cwd: string;
  io: Io;
  host: Host;
  proc: SimProcess;
}

export type Program = (c: ProgramCtx) => Promise<number>;

/** Every simulated program by name; images decide which of them exist at which path. */
export const programs = new Map<string, Program>();

/** Shell builtins: available inside sh even when the image has no such file. */
export const SHELL_BUILTINS = new Set(['echo', 'printf', 'test', '[', 'true', 'false', ':', 'pwd', 'kill']);

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Whether the process holds a capability (CAP_ prefix dropped). */
export const hasCap = (h: Host, cap: string): boolean => !h.caps || h.caps.has(cap);

export const emptyInput = (): Input => ({ data: Buffer.alloc(0), pos: 0 });
export const inputOf = (data: string | Buffer): Input => ({ data: Buffer.from(data), pos: 0 });

/** Read the rest of stdin. */
export function readAll(i: Input): Buffer {
  const b = i.data.subarray(i.pos);
  i.pos = i.data.length;
  return b;
}

/** Read one line of stdin (without its newline), or undefined at end of input. */
export function readLine(i: Input): string | undefined {
  if (i.pos >= i.data.length) return undefined;
  const nl = i.data.indexOf(10, i.pos);
  const end = nl < 0 ? i.data.length : nl;
  const line = i.data.subarray(i.pos, end).toString();
  i.pos = nl < 0 ? i.data.length : nl + 1;
  return line;
}

export class BufferSink implements Sink {
  private chunks: Buffer[] = [];
  size = 0;
  constructor(private readonly limit = 16 * 1024 * 1024) {}
  write(chunk: string | Buffer): void {
    if (this.size >= this.limit) return;
    let b = Buffer.from(chunk);
    if (this.size + b.length > this.limit) b = b.subarray(0, this.limit - this.size);
    this.chunks.push(b);
    this.size += b.length;
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
  toString(): string {
    return this.buffer().toString();
  }
}

export const nullSink: Sink = { write: () => undefined };
