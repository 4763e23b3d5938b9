// The process simulator: a small shell (tokenizer → parser → interpreter) and busybox-like
// programs, run as cancellable SimProcesses against a container's files, env and ports.
// Entry points: resolveArgv (what execve would find, or runc's error) and spawn.
import './commands.js';
import './grpc-health.js';
import './procs.js';
import './sysapplets.js';
import './shell.js';
import { resolveProgram, type Unresolved } from './resolve.js';
import type { ExitResult, SimProcess } from './process.js';
import { programs, type Host, type Io } from './types.js';

export { ContainerFs, FsError, type MountSpec, type RootfsEntry } from './fs.js';
export { PortTable, type Listener } from './net.js';
export { GRPC_HEALTH_DEFAULT_FILE, GRPC_HEALTH_DEFAULT_PORT } from './grpc-health.js';
export { SimProcess, Killed, parseSignal, SIGNALS, type ExitResult, type SimSignal, type Tty } from './process.js';
export { BufferSink, emptyInput, inputOf, LiveInput, nullSink, DEFAULT_PATH, type Host, type Input, type Io, type Sink, type User } from './types.js';
export type { Unresolved } from './resolve.js';

/** The applets of the busybox-like images, each installed as /bin/<name>. */
export const BUSYBOX_APPLETS = [
  'sh',
  'ash',
  'busybox',
  'true',
  'false',
  'echo',
  'printf',
  'sleep',
  'pwd',
  'hostname',
  'whoami',
  'uname',
  'id',
  'env',
  'which',
  'test',
  '[',
  'cat',
  'touch',
  'mkdir',
  'rm',
  'rmdir',
  'ls',
  'cp',
  'mv',
  'chmod',
  'chown',
  'chgrp',
  'basename',
  'dirname',
  'head',
  'tail',
  'wc',
  'grep',
  'egrep',
  'fgrep',
  'tee',
  'sort',
  'uniq',
  'cut',
  'tr',
  'seq',
  'date',
  'kill',
  'alloc',
  'httpd',
  'nc',
  'wget',
  'timeout',
  'grpc-health',
  'stty',
  'tty',
  'ps',
  'top',
  'pgrep',
  'pidof',
  'dd',
  'mount',
  'ipcs',
  'netstat',
  'brctl',
  'ping',
] as const;

export function busyboxExecutables(): Record<string, string> {
  return Object.fromEntries(BUSYBOX_APPLETS.map((a) => [`/bin/${a}`, a]));
}

export interface Resolution {
  ok: true;
  program: string;
  argv: string[];
}

/** What runs for argv (image executable, or a #! script run by sh), or runc's error. */
export function resolveArgv(argv: string[], host: Host, env: Map<string, string>, cwd: string): Resolution | Unresolved {
  const r = resolveProgram(argv[0] ?? '', host.fs, env, cwd);
  if (!r.ok) return r;
  return { ok: true, program: r.program, argv: r.prefix.length ? ['sh', ...r.prefix, ...argv.slice(1)] : argv };
}

export interface SpawnOptions {
  resolved: Resolution;
  env: Map<string, string>;
  cwd: string;
  host: Host;
  io: Io;
  proc: SimProcess;
}

/** Run a resolved program as proc; resolves when it ended and released everything. */
export function spawn(o: SpawnOptions): Promise<ExitResult> {
  const program = programs.get(o.resolved.program);
  if (!program) throw new Error(`no simulated program ${o.resolved.program}`);
  o.proc.argv = [...o.resolved.argv];
  return o.proc.run(() => program({ argv: o.resolved.argv, env: o.env, cwd: o.cwd, io: o.io, host: o.host, proc: o.proc }));
}

/** Every simulated program name (for docs and tests). */
export const simulatedPrograms = (): string[] => [...programs.keys()].sort();
