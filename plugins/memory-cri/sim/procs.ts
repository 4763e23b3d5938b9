// The container's processes as ps, top, pgrep and pidof show them: its first process (PID 1)
// and every process started in it since (exec sessions, background jobs), each with what it
// runs at the moment. Output follows busybox's formats.
import { posix } from 'node:path';
import type { SimProcess } from './process.js';
import { programs, type Program, type ProgramCtx } from './types.js';

function def(names: string[], p: Program): void {
  for (const n of names) programs.set(n, p);
}

export interface ProcEntry {
  pid: number;
  ppid: number;
  argv: string[];
  comm: string;
  proc?: SimProcess;
}

/** The live processes of the container's PID namespace, PID 1 first (pids as seen inside). */
export function processTable(c: { host: ProgramCtx['host']; proc?: SimProcess }): ProcEntry[] {
  const first = c.host.init ?? c.proc;
  const ns = c.host.pidns?.() ?? { roots: first ? [first] : [], init: first };
  const pidOf = (p: SimProcess) => (p === ns.init ? 1 : p.pid);
  const out: ProcEntry[] = [];
  const entry = (p: SimProcess, ppid: number): ProcEntry => ({
    pid: pidOf(p),
    ppid,
    argv: p.title !== undefined ? [p.title] : p.argv,
    comm: posix.basename(p.argv[0] ?? '') || '?',
    proc: p,
  });
  if (ns.init === 'pause') out.push({ pid: 1, ppid: 0, argv: ['/pause'], comm: 'pause' });
  const walk = (p: SimProcess, ppid: number) => {
    if (p.done) return;
    out.push(entry(p, ppid));
    for (const ch of p.children) walk(ch, pidOf(p));
  };
  for (const r of ns.roots) walk(r, ns.init === 'pause' ? 1 : 0);
  if (c.proc && !out.some((e) => e.proc === c.proc) && !c.proc.done) out.push(entry(c.proc, 0));
  return out.sort((a, b) => a.pid - b.pid);
}

/** The pid of this process as seen in its namespace. */
export const pidInNamespace = (c: Pick<ProgramCtx, 'host' | 'proc'>): number => processTable(c).find((e) => e.proc === c.proc)?.pid ?? c.proc.pid;

/** /proc/PID/cmdline of the namespace's processes (argv, each NUL-terminated), for the container's files. */
export function procFile(c: { host: ProgramCtx['host']; proc?: SimProcess }, path: string): Buffer | undefined {
  const m = /^\/proc\/(\d+)\/cmdline$/.exec(path);
  if (!m) return undefined;
  const e = processTable(c).find((x) => x.pid === Number(m[1]));
  return e ? Buffer.from(e.argv.map((a) => `${a}\0`).join('')) : undefined;
}

/** The process with this pid as seen inside the container. */
export function findProcess(c: ProgramCtx, pid: number): SimProcess | undefined {
  return processTable(c).find((e) => e.pid === pid)?.proc;
}

function flagSet(args: string[]): { f: Set<string>; rest: string[] } {
  const f = new Set<string>();
  const rest: string[] = [];
  for (const a of args) {
    if (/^-[A-Za-z]+$/.test(a)) for (const ch of a.slice(1)) f.add(ch);
    else rest.push(a);
  }
  return { f, rest };
}

/** pgrep [-flx] PATTERN: pids whose name (-f: whole command line) matches; never pgrep itself. */
def(['pgrep'], async (c) => {
  const { f, rest } = flagSet(c.argv.slice(1));
  if (rest.length !== 1) {
    c.io.err.write('pgrep: usage: pgrep [-flnovx] PATTERN\n');
    return 2;
  }
  let re: RegExp;
  try {
    re = new RegExp(f.has('x') ? `^(?:${rest[0]})$` : rest[0]);
  } catch {
    c.io.err.write(`pgrep: bad regex '${rest[0]}'\n`);
    return 2;
  }
  const hits = processTable(c).filter((e) => e.proc !== c.proc && re.test(f.has('f') ? e.argv.join(' ') : e.comm) !== f.has('v'));
  for (const e of hits) c.io.out.write(f.has('l') ? `${e.pid} ${f.has('f') ? e.argv.join(' ') : e.comm}\n` : `${e.pid}\n`);
  return hits.length ? 0 : 1;
});

/** pidof NAME...: the pids running each NAME, newest first, on one line. */
def(['pidof'], async (c) => {
  const { rest } = flagSet(c.argv.slice(1));
  const hits = processTable(c)
    .filter((e) => e.proc !== c.proc && rest.some((n) => e.comm === n || e.argv[0] === n))
    .reverse();
  if (hits.length) c.io.out.write(hits.map((e) => e.pid).join(' ') + '\n');
  return hits.length ? 0 : 1;
});

def(['ps'], async (c) => {
  const rows = processTable(c).map((e) => `${String(e.pid).padStart(5)} ${c.host.user.name.padEnd(8).slice(0, 8)}  0:00 ${e.argv.join(' ')}`);
  c.io.out.write(['PID   USER     TIME  COMMAND', ...rows].join('\n') + '\n');
  return 0;
});

/**
 * top [-b] [-n COUNT] [-d SECONDS]: the process table every SECONDS (default 5) until COUNT
 * frames were shown or it is signalled. The simulator keeps no CPU or memory accounting per
 * process, so those columns are not shown.
 */
def(['top'], async (c) => {
  const args = c.argv.slice(1);
  let count = Infinity;
  let delay = 5;
  for (let i = 0; i < args.length; i++) {
    const m = /^-([bnd]+)(.*)$/.exec(args[i]);
    if (!m) {
      c.io.err.write(`top: invalid option -- '${args[i]}'\n`);
      return 1;
    }
    const opt = m[1].at(-1);
    if (opt === 'b') continue;
    const v = Number(m[2] || args[++i]);
    if (!Number.isFinite(v) || v < 0) {
      c.io.err.write(`top: invalid number '${m[2] || args[i]}'\n`);
      return 1;
    }
    if (opt === 'n') count = v;
    else delay = v;
  }
  for (let frame = 0; frame < count; frame++) {
    if (frame > 0) await c.proc.sleep(delay * 1000);
    const rows = processTable(c).map(
      (e) =>
        `${String(e.pid).padStart(5)} ${String(e.ppid).padStart(5)} ${c.host.user.name.padEnd(8).slice(0, 8)} ${e.proc === c.proc ? 'R' : 'S'}     ${e.argv.join(' ')}`,
    );
    c.io.out.write(['  PID  PPID USER     STAT   COMMAND', ...rows].join('\n') + '\n');
  }
  return 0;
});

/**
 * A setuid-root program that prints its effective uid (what Kubernetes' nonewprivs test image
 * runs): 0 when exec raised it to root, the caller's uid when no_new_privs kept it.
 */
def(['setuid-euid'], async (c) => {
  c.io.out.write(`Effective uid: ${c.host.noNewPrivs ? c.host.user.uid : 0}\n`);
  return 0;
});
