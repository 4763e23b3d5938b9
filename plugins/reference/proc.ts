// Process helpers for the reference stack's daemons (containerd, docker-registry): start one
// detached with its PID recorded, tell whether a recorded PID is still that daemon, stop it by
// PID (SIGTERM, wait, SIGKILL). Nothing here ever signals a process by name.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { execa, type Options as ExecaOptions } from 'execa';

export interface StartedDaemon {
  pid: number;
  /** Set once the child exits while this process still owns it (startup failures). */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/**
 * Start `bin args` detached (own session and process group, so it outlives this process and a
 * test runner's group kill), stdout+stderr appended to `log`.
 */
export function startDaemon(bin: string, args: string[], opts: { log: string; env?: NodeJS.ProcessEnv; cwd?: string }): StartedDaemon {
  mkdirSync(dirname(opts.log), { recursive: true });
  const fd = openSync(opts.log, 'a');
  try {
    const child = spawn(bin, args, { detached: true, stdio: ['ignore', fd, fd], env: opts.env ?? process.env, cwd: opts.cwd });
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let spawnError: Error | undefined;
    child.on('exit', (code, signal) => {
      exit = { code, signal };
    });
    child.on('error', (err) => {
      spawnError = err;
      exit = { code: -1, signal: null };
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`cannot start ${bin}: ${spawnError?.message ?? 'no pid'}`);
    return { pid: child.pid, exited: () => exit };
  } finally {
    closeSync(fd);
  }
}

/** argv of a live process, or undefined. */
export function cmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((s, i, a) => s !== '' || i < a.length - 1);
  } catch {
    return undefined;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/**
 * True when `pid` runs and (when `match` is given) its argv contains `match` — the guard
 * against a recycled PID. Zombies count as dead.
 */
export function pidAlive(pid: number | undefined, match?: string): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (isZombie(pid)) return false;
  if (!match) return true;
  const argv = cmdline(pid);
  return !!argv && argv.some((a) => a.includes(match));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a value other than undefined/false, or fail after timeoutMs. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number; abort?: () => string | undefined } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let last: unknown;
  for (;;) {
    const why = opts.abort?.();
    if (why) throw new Error(`${what}: ${why}`);
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${opts.timeoutMs ?? 20_000} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(opts.intervalMs ?? 100);
  }
}

export type StopOutcome = 'not-running' | 'terminated' | 'killed';

/** SIGTERM `pid`, wait up to timeoutMs, then SIGKILL and wait again. Only when `match` still holds. */
export async function stopPid(pid: number | undefined, opts: { match?: string; timeoutMs?: number } = {}): Promise<StopOutcome> {
  if (!pid || !pidAlive(pid, opts.match)) return 'not-running';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'not-running';
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return 'terminated';
    await sleep(50);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
  for (let i = 0; i < 100 && pidAlive(pid); i++) await sleep(50);
  if (pidAlive(pid)) throw new Error(`process ${pid} survived SIGKILL`);
  return 'killed';
}

/** PIDs of processes whose argv satisfies `pred` (scans /proc). */
export function findPids(pred: (argv: string[]) => boolean): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const argv = cmdline(pid);
    if (argv && argv.length && pred(argv)) out.push(pid);
  }
  return out;
}

/** Run a command; rejects with its stderr in the message. */
export async function run(cmd: string, args: string[], opts: ExecaOptions = {}): Promise<string> {
  const r = await execa(cmd, args, { reject: false, stdin: 'ignore', ...opts });
  if (r.exitCode !== 0 || r.failed) {
    const err = String(r.stderr ?? '').trim() || String(r.stdout ?? '').trim() || (r as { shortMessage?: string }).shortMessage || '';
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.exitCode ?? '?'}): ${err.split('\n').slice(-5).join(' | ')}`);
  }
  return String(r.stdout ?? '');
}

/** Like run, but never throws: returns the exit code and output. */
export async function tryRun(cmd: string, args: string[], opts: ExecaOptions = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa(cmd, args, { reject: false, stdin: 'ignore', ...opts });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** Full path of an executable on PATH (plus the sbin dirs a non-login root shell may lack). */
export function which(bin: string, env = process.env): string | undefined {
  if (bin.includes('/')) return existsSync(bin) ? bin : undefined;
  const dirs = [...(env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const d of dirs) {
    if (d && existsSync(`${d}/${bin}`)) return `${d}/${bin}`;
  }
  return undefined;
}

/** The last lines of a log file, for error messages. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
