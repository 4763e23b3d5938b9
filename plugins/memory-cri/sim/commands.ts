// The simulated programs (busybox-like applets). Messages and exit codes follow busybox, so what
// a container prints and how it exits reads the same as on a real node.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { posix } from 'node:path';
import { FsError } from './fs.js';
import { ExposeError, PortInUse } from './net.js';
import { parseSignal } from './process.js';
import { findProcess, pidInNamespace } from './procs.js';
import { resolveProgram } from './resolve.js';
import { CHMOD_SYSCALL, CHOWN_SYSCALL, syscall } from './seccomp.js';
import { hasCap, LiveInput, programs, readAll, untilEnd, type Program, type ProgramCtx } from './types.js';

const base = (c: ProgramCtx) => posix.basename(c.argv[0]);
const fsMessage = (e: unknown) => (e instanceof FsError ? e.message : (e as Error).message);

function def(names: string | string[], p: Program): void {
  for (const n of Array.isArray(names) ? names : [names]) programs.set(n, p);
}

/** Split "-abc" style flags off the front of args; returns the set of flag letters and the rest. */
function flags(args: string[], withValue = ''): { f: Set<string>; v: Map<string, string>; rest: string[] } {
  const f = new Set<string>();
  const v = new Map<string, string>();
  const rest = [...args];
  while (rest.length && /^-[A-Za-z0-9]+$/.test(rest[0])) {
    const a = rest.shift()!;
    for (let i = 1; i < a.length; i++) {
      const ch = a[i];
      if (withValue.includes(ch)) {
        const val = a.slice(i + 1) || rest.shift() || '';
        v.set(ch, val);
        break;
      }
      f.add(ch);
    }
  }
  if (rest[0] === '--') rest.shift();
  return { f, v, rest };
}

// ---- trivial ---------------------------------------------------------------------------------------

def(['true', ':'], async () => 0);
def('false', async () => 1);

def('echo', async (c) => {
  const args = c.argv.slice(1);
  let newline = true;
  let escapes = false;
  while (args.length && /^-[neE]+$/.test(args[0])) {
    const a = args.shift()!;
    if (a.includes('n')) newline = false;
    if (a.includes('e')) escapes = true;
    if (a.includes('E')) escapes = false;
  }
  let text = args.join(' ');
  if (escapes) {
    const cut = text.indexOf('\\c');
    if (cut >= 0) {
      text = text.slice(0, cut);
      newline = false;
    }
    text = unescape(text);
  }
  c.io.out.write(text + (newline ? '\n' : ''));
  return 0;
});

function unescape(s: string): string {
  return s.replace(/\\(0[0-7]{0,3}|[abfnrtv\\])/g, (_, e: string) => {
    if (e[0] === '0') return String.fromCharCode(parseInt(e.slice(1) || '0', 8));
    return ({ a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' } as Record<string, string>)[e];
  });
}

def('printf', async (c) => {
  const [fmt, ...args] = c.argv.slice(1);
  if (fmt === undefined) {
    c.io.err.write('printf: usage: printf FORMAT [ARG]...\n');
    return 1;
  }
  let status = 0;
  let out = '';
  let i = 0;
  do {
    const before = i;
    out += unescape(fmt).replace(/%([-+ 0#]*)(\d*)(?:\.(\d+))?([sdiuxXocfb%])/g, (_m, fl: string, width: string, prec: string | undefined, conv: string) => {
      if (conv === '%') return '%';
      const arg = args[i++] ?? '';
      let s: string;
      switch (conv) {
        case 's':
          s = prec !== undefined ? arg.slice(0, Number(prec)) : arg;
          break;
        case 'b':
          s = unescape(arg);
          break;
        case 'c':
          s = arg.slice(0, 1);
          break;
        case 'f': {
          const n = Number(arg || 0);
          if (Number.isNaN(n)) {
            c.io.err.write(`printf: invalid number '${arg}'\n`);
            status = 1;
          }
          s = (Number.isNaN(n) ? 0 : n).toFixed(prec !== undefined ? Number(prec) : 6);
          break;
        }
        default: {
          const n = arg === '' ? 0 : /^'./.test(arg) ? arg.charCodeAt(1) : Number(arg);
          if (!Number.isFinite(n)) {
            c.io.err.write(`printf: invalid number '${arg}'\n`);
            status = 1;
          }
          const v = Math.trunc(Number.isFinite(n) ? n : 0);
          s = conv === 'x' ? v.toString(16) : conv === 'X' ? v.toString(16).toUpperCase() : conv === 'o' ? v.toString(8) : String(v);
          if (fl.includes('+') && v >= 0) s = '+' + s;
        }
      }
      const w = Number(width || 0);
      if (s.length < w) s = fl.includes('-') ? s.padEnd(w) : fl.includes('0') && conv !== 's' ? s.padStart(w, '0') : s.padStart(w);
      return s;
    });
    if (i === before) break;
  } while (i < args.length);
  c.io.out.write(out);
  return status;
});

def('sleep', async (c) => {
  const args = c.argv.slice(1);
  if (!args.length) {
    c.io.err.write('sleep: missing operand\n');
    return 1;
  }
  let ms = 0;
  for (const a of args) {
    if (/^inf(inity)?$/i.test(a)) {
      ms = Infinity;
      continue;
    }
    const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(a);
    if (!m) {
      c.io.err.write(`sleep: invalid number '${a}'\n`);
      return 1;
    }
    ms += Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2]] * 1000;
  }
  await c.proc.sleep(ms);
  return 0;
});

def('pwd', async (c) => {
  c.io.out.write(c.cwd + '\n');
  return 0;
});
/** hostname [-i] | hostname NAME (sethostname: the seccomp filter, then CAP_SYS_ADMIN, decide). */
def('hostname', async (c) => {
  const { f, rest } = flags(c.argv.slice(1));
  if (rest.length) {
    const denied = syscall(c, 'sethostname') ?? (hasCap(c.host, 'SYS_ADMIN') ? undefined : 'Operation not permitted');
    if (denied) {
      c.io.err.write(`hostname: sethostname: ${denied}\n`);
      return 1;
    }
    c.host.hostname = rest[0];
    return 0;
  }
  c.io.out.write((f.has('i') ? c.host.ips.join(' ') : c.host.hostname) + '\n');
  return 0;
});
def('whoami', async (c) => {
  c.io.out.write(c.host.user.name + '\n');
  return 0;
});
def('uname', async (c) => {
  const { f } = flags(c.argv.slice(1));
  const parts: Record<string, string> = {
    s: 'Linux',
    n: c.host.hostname,
    r: '6.0.0-triad-memory',
    v: '#1 SMP',
    m: process.arch === 'arm64' ? 'aarch64' : 'x86_64',
  };
  const want = f.has('a') ? ['s', 'n', 'r', 'v', 'm'] : [...'snrvm'].filter((k) => f.has(k));
  c.io.out.write((want.length ? want : ['s']).map((k) => parts[k]).join(' ') + '\n');
  return 0;
});

def('id', async (c) => {
  const { f } = flags(c.argv.slice(1));
  const u = c.host.user;
  const name = (id: number, n: string) => (f.has('n') ? n : String(id));
  if (f.has('u')) c.io.out.write(name(u.uid, u.name) + '\n');
  else if (f.has('g')) c.io.out.write(name(u.gid, u.group) + '\n');
  else if (f.has('G'))
    c.io.out.write(
      [u.gid, ...u.groups.filter((g) => g !== u.gid)]
        .map((g) => (f.has('n') ? (g === u.gid ? u.group : (u.groupNames?.[g] ?? String(g))) : String(g)))
        .join(' ') + '\n',
    );
  else {
    const groupName = (g: number) => (g === u.gid ? u.group : u.groupNames?.[g]);
    const groups = [u.gid, ...u.groups.filter((g) => g !== u.gid)].map((g) => (groupName(g) !== undefined ? `${g}(${groupName(g)})` : String(g)));
    c.io.out.write(`uid=${u.uid}(${u.name}) gid=${u.gid}(${u.group}) groups=${groups.join(',')}\n`);
  }
  return 0;
});

def('env', async (c) => {
  const args = c.argv.slice(1);
  const env = new Map(c.env);
  if (args[0] === '-i' || args[0] === '-') {
    args.shift();
    env.clear();
  }
  while (args.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(args[0])) {
    const a = args.shift()!;
    const i = a.indexOf('=');
    env.set(a.slice(0, i), a.slice(i + 1));
  }
  if (!args.length) {
    for (const [k, v] of env) c.io.out.write(`${k}=${v}\n`);
    return 0;
  }
  return runProgram({ ...c, env, argv: args }, 'env');
});

/** Run argv[0] looked up in the container (env, busybox, nice...). */
export async function runProgram(c: ProgramCtx, who: string): Promise<number> {
  const r = resolveProgram(c.argv[0], c.host.fs, c.env, c.cwd);
  if (!r.ok) {
    c.io.err.write(
      `${who}: can't execute '${c.argv[0]}': ${r.kind === 'not-found' || r.kind === 'no-such-file' ? 'No such file or directory' : 'Permission denied'}\n`,
    );
    return 127;
  }
  return programs.get(r.program)!({ ...c, argv: r.prefix.length ? ['sh', ...r.prefix, ...c.argv.slice(1)] : c.argv });
}

def('busybox', async (c) => {
  const [applet, ...rest] = c.argv.slice(1);
  if (!applet || !programs.has(applet)) {
    c.io.err.write(applet ? `${applet}: applet not found\n` : 'BusyBox v1.37.0 (triad-memory simulation) multi-call binary.\n');
    return applet ? 127 : 0;
  }
  return programs.get(applet)!({ ...c, argv: [applet, ...rest] });
});

def('which', async (c) => {
  let status = 0;
  for (const n of c.argv.slice(1)) {
    const r = resolveProgram(n, c.host.fs, c.env, c.cwd);
    if (r.ok) c.io.out.write(r.path + '\n');
    else status = 1;
  }
  return status;
});

// ---- test / [ ------------------------------------------------------------------------------------

def(['test', '['], async (c) => {
  let args = c.argv.slice(1);
  if (base(c) === '[') {
    if (args[args.length - 1] !== ']') {
      c.io.err.write('[: missing ]\n');
      return 2;
    }
    args = args.slice(0, -1);
  }
  try {
    return evalTest(args, c) ? 0 : 1;
  } catch (e) {
    c.io.err.write(`${base(c)}: ${(e as Error).message}\n`);
    return 2;
  }
});

function evalTest(args: string[], c: ProgramCtx): boolean {
  let i = 0;
  const fs = c.host.fs;
  const int = (s: string) => {
    if (!/^\s*-?\d+\s*$/.test(s)) throw new Error(`${s}: bad number`);
    return Number(s);
  };
  const primary = (): boolean => {
    const a = args[i];
    if (a === undefined) throw new Error('argument expected');
    if (a === '!') {
      i++;
      return !primary();
    }
    if (a === '(') {
      i++;
      const v = or();
      if (args[i++] !== ')') throw new Error('missing )');
      return v;
    }
    const b = args[i + 1];
    const bin = ['=', '==', '!=', '-eq', '-ne', '-lt', '-le', '-gt', '-ge', '<', '>'];
    if (b !== undefined && bin.includes(b) && args[i + 2] !== undefined) {
      const r = args[i + 2];
      i += 3;
      switch (b) {
        case '=':
        case '==':
          return a === r;
        case '!=':
          return a !== r;
        case '<':
          return a < r;
        case '>':
          return a > r;
        case '-eq':
          return int(a) === int(r);
        case '-ne':
          return int(a) !== int(r);
        case '-lt':
          return int(a) < int(r);
        case '-le':
          return int(a) <= int(r);
        case '-gt':
          return int(a) > int(r);
        default:
          return int(a) >= int(r);
      }
    }
    if (/^-[a-zA-Z]$/.test(a) && b !== undefined) {
      i += 2;
      const st = () => fs.stat(b, c.cwd);
      switch (a) {
        case '-z':
          return b.length === 0;
        case '-n':
          return b.length > 0;
        case '-e':
          return !!st();
        case '-f':
          return st()?.type === 'file';
        case '-d':
          return st()?.type === 'dir';
        case '-s':
          return (st()?.size ?? 0) > 0;
        case '-r':
          return !!st();
        case '-x':
          return !!st()?.exe || st()?.type === 'dir';
        case '-w': {
          const w = fs.locate(b, c.cwd);
          return !!st() && !w.readonly;
        }
        case '-L':
        case '-h':
          return false;
        case '-p':
        case '-S':
        case '-b':
        case '-c':
          return b === '/dev/null' && a === '-c';
        default:
          throw new Error(`${a}: unknown operand`);
      }
    }
    i++;
    return a.length > 0;
  };
  const and = (): boolean => {
    let v = primary();
    while (args[i] === '-a') {
      i++;
      const r = primary();
      v = v && r;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (args[i] === '-o') {
      i++;
      const r = and();
      v = v || r;
    }
    return v;
  };
  if (args.length === 0) return false;
  const v = or();
  if (i !== args.length) throw new Error(`${args[i]}: unexpected operator`);
  return v;
}

// ---- files ---------------------------------------------------------------------------------------

def('cat', async (c) => {
  const files = c.argv.slice(1).filter((a) => a === '-' || !a.startsWith('-'));
  let status = 0;
  for (const f of files.length ? files : ['-']) {
    if (f === '-') {
      // A live stdin (an interactive session) is echoed as it arrives.
      const i = c.io.stdin;
      if (i instanceof LiveInput) while (await i.more(c.proc)) c.io.out.write(readAll(i));
      else c.io.out.write(readAll(i));
      continue;
    }
    try {
      c.io.out.write(c.host.fs.readFile(f, c.cwd));
    } catch (e) {
      c.io.err.write(e instanceof FsError && e.code === 'EISDIR' ? `cat: read error: Is a directory\n` : `cat: can't open '${f}': ${fsMessage(e)}\n`);
      status = 1;
    }
  }
  return status;
});

def('touch', async (c) => {
  const { rest } = flags(c.argv.slice(1), 'dtr');
  if (!rest.length) {
    c.io.err.write('touch: missing operand\n');
    return 1;
  }
  let status = 0;
  for (const f of rest) {
    try {
      c.host.fs.touch(f, c.cwd);
    } catch (e) {
      c.io.err.write(`touch: ${f}: ${fsMessage(e)}\n`);
      status = 1;
    }
  }
  return status;
});

def('mkdir', async (c) => {
  const { f, rest } = flags(c.argv.slice(1), 'm');
  let status = 0;
  for (const d of rest) {
    try {
      c.host.fs.mkdir(d, { parents: f.has('p'), cwd: c.cwd });
    } catch (e) {
      c.io.err.write(`mkdir: can't create directory '${d}': ${fsMessage(e)}\n`);
      status = 1;
    }
  }
  return status;
});

def('rm', async (c) => {
  const { f, rest } = flags(c.argv.slice(1));
  const force = f.has('f');
  const recursive = f.has('r') || f.has('R');
  let status = 0;
  for (const p of rest) {
    try {
      const st = c.host.fs.stat(p, c.cwd);
      if (st?.type === 'dir' && !recursive) {
        c.io.err.write(`rm: '${p}' is a directory\n`);
        status = 1;
        continue;
      }
      c.host.fs.rm(p, { recursive, cwd: c.cwd });
    } catch (e) {
      if (force && e instanceof FsError && e.code === 'ENOENT') continue;
      c.io.err.write(`rm: can't remove '${p}': ${fsMessage(e)}\n`);
      status = 1;
    }
  }
  return status;
});

def('rmdir', async (c) => {
  let status = 0;
  for (const p of c.argv.slice(1).filter((a) => !a.startsWith('-'))) {
    try {
      c.host.fs.rm(p, { dir: true, cwd: c.cwd });
    } catch (e) {
      c.io.err.write(`rmdir: '${p}': ${fsMessage(e)}\n`);
      status = 1;
    }
  }
  return status;
});

def('ls', async (c) => {
  const { f, rest } = flags(c.argv.slice(1));
  const paths = rest.length ? rest : ['.'];
  let status = 0;
  const show = (n: string) => f.has('a') || f.has('A') || !n.startsWith('.');
  const line = (name: string, full: string) => {
    if (!f.has('l')) return name;
    const st = c.host.fs.stat(full, c.cwd);
    const mode = st?.type === 'dir' ? 'drwxr-xr-x' : st?.exe ? '-rwxr-xr-x' : '-rw-r--r--';
    return `${mode}    1 root     root     ${String(st?.size ?? 0).padStart(8)} ${name}`;
  };
  const dirs: string[] = [];
  for (const p of paths) {
    const st = c.host.fs.stat(p, c.cwd);
    if (!st) {
      c.io.err.write(`ls: ${p}: No such file or directory\n`);
      status = 1;
      continue;
    }
    if (st.type === 'dir' && !f.has('d')) dirs.push(p);
    else c.io.out.write(line(p, p) + '\n');
  }
  for (const d of dirs) {
    if (paths.length > 1) c.io.out.write(`${d}:\n`);
    try {
      for (const n of c.host.fs.readdir(d, c.cwd).filter(show)) c.io.out.write(line(n, posix.join(d, n)) + '\n');
    } catch (e) {
      c.io.err.write(`ls: ${d}: ${fsMessage(e)}\n`);
      status = 1;
    }
  }
  return status;
});

def('cp', async (c) => {
  const { rest } = flags(c.argv.slice(1));
  if (rest.length < 2) {
    c.io.err.write('cp: missing file operand\n');
    return 1;
  }
  const dst = rest.pop()!;
  const dstDir = c.host.fs.stat(dst, c.cwd)?.type === 'dir';
  let status = 0;
  for (const src of rest) {
    try {
      const data = c.host.fs.readFile(src, c.cwd);
      c.host.fs.writeFile(dstDir ? posix.join(dst, posix.basename(src)) : dst, data, { cwd: c.cwd });
    } catch (e) {
      c.io.err.write(`cp: can't copy '${src}': ${fsMessage(e)}\n`);
      status = 1;
    }
  }
  return status;
});

def('mv', async (c) => {
  const { rest } = flags(c.argv.slice(1));
  if (rest.length !== 2) {
    c.io.err.write('mv: need a source and a destination\n');
    return 1;
  }
  const [src, dst0] = rest;
  const dst = c.host.fs.stat(dst0, c.cwd)?.type === 'dir' ? posix.join(dst0, posix.basename(src)) : dst0;
  try {
    const data = c.host.fs.readFile(src, c.cwd);
    c.host.fs.writeFile(dst, data, { cwd: c.cwd });
    c.host.fs.rm(src, { cwd: c.cwd });
  } catch (e) {
    c.io.err.write(`mv: can't rename '${src}': ${fsMessage(e)}\n`);
    return 1;
  }
  return 0;
});

def(['chmod', 'chown', 'chgrp'], async (c) => {
  const paths = c.argv.slice(2);
  const call = base(c) === 'chmod' ? CHMOD_SYSCALL : CHOWN_SYSCALL;
  for (const p of paths) {
    const w = c.host.fs.locate(p, c.cwd);
    const denied = syscall(c, call);
    if (denied) {
      c.io.err.write(`${base(c)}: ${p}: ${denied}\n`);
      return 1;
    }
    if (!c.host.fs.stat(p, c.cwd)) {
      c.io.err.write(`${base(c)}: ${p}: No such file or directory\n`);
      return 1;
    }
    if (w.readonly) {
      c.io.err.write(`${base(c)}: ${p}: Read-only file system\n`);
      return 1;
    }
  }
  return 0;
});

def('basename', async (c) => {
  const [p, suffix] = c.argv.slice(1);
  let b = posix.basename(p ?? '');
  if (suffix && b.endsWith(suffix) && b !== suffix) b = b.slice(0, -suffix.length);
  c.io.out.write(b + '\n');
  return 0;
});
// Terminals: what an exec or attach with tty gets (the size follows the client's resizes).
def('stty', async (c) => {
  const tty = c.proc.tty;
  if (!tty) {
    c.io.err.write('stty: standard input: Not a tty\n');
    return 1;
  }
  const args = c.argv.slice(1);
  if (args[0] === 'size') {
    c.io.out.write(`${tty.rows} ${tty.cols}\n`);
    return 0;
  }
  if (!args.length || args[0] === '-a') {
    c.io.out.write(`speed 38400 baud; rows ${tty.rows}; columns ${tty.cols}; line = 0;\n`);
    return 0;
  }
  c.io.err.write(`stty: unsupported setting '${args[0]}' (the simulator knows size and -a)\n`);
  return 1;
});
def('tty', async (c) => {
  if (!c.proc.tty) {
    c.io.out.write('not a tty\n');
    return 1;
  }
  c.io.out.write('/dev/pts/0\n');
  return 0;
});
def('dirname', async (c) => {
  c.io.out.write(posix.dirname(c.argv[1] ?? '.') + '\n');
  return 0;
});

/** Input of a filter command: named files (or stdin). */
async function inputs(c: ProgramCtx, files: string[], who: string): Promise<{ text: string; status: number }> {
  if (!files.length || files.includes('-')) await untilEnd(c.io.stdin, c.proc);
  if (!files.length) return { text: readAll(c.io.stdin).toString(), status: 0 };
  let text = '';
  let status = 0;
  for (const f of files) {
    if (f === '-') {
      text += readAll(c.io.stdin).toString();
      continue;
    }
    try {
      text += c.host.fs.readFile(f, c.cwd).toString();
    } catch (e) {
      c.io.err.write(`${who}: ${f}: ${fsMessage(e)}\n`);
      status = 1;
    }
  }
  return { text, status };
}

const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

def('head', async (c) => {
  const args = c.argv.slice(1).map((a) => (/^-\d+$/.test(a) ? `-n${a.slice(1)}` : a));
  const { v, rest } = flags(args, 'nc');
  const { text, status } = await inputs(c, rest, 'head');
  const n = Number(v.get('n') ?? 10);
  const out = lines(text).slice(0, n);
  if (out.length) c.io.out.write(out.join('\n') + '\n');
  return status;
});

def('tail', async (c) => {
  const args = c.argv.slice(1).map((a) => (/^-\d+$/.test(a) ? `-n${a.slice(1)}` : a));
  const { f, v, rest } = flags(args, 'nc');
  const n = Number((v.get('n') ?? '10').replace(/^\+/, ''));
  const { text, status } = await inputs(c, rest, 'tail');
  const all = lines(text);
  const out = n === 0 ? [] : all.slice(-n);
  if (out.length) c.io.out.write(out.join('\n') + '\n');
  if (!f.has('f') && !f.has('F')) return status;
  // Follow: print what is appended to the (first) file until the process is signalled.
  const file = rest[0];
  let size = file ? (c.host.fs.stat(file, c.cwd)?.size ?? 0) : 0;
  for (;;) {
    await c.proc.sleep(200);
    if (!file || file === '/dev/null') continue;
    const st = c.host.fs.stat(file, c.cwd);
    if (!st || st.size === size) continue;
    const data = c.host.fs.readFile(file, c.cwd);
    c.io.out.write(st.size > size ? data.subarray(size) : data);
    size = st.size;
  }
});

def('wc', async (c) => {
  const { f, rest } = flags(c.argv.slice(1));
  const { text, status } = await inputs(c, rest, 'wc');
  const counts: number[] = [];
  const all = !f.has('l') && !f.has('w') && !f.has('c');
  if (all || f.has('l')) counts.push((text.match(/\n/g) ?? []).length);
  if (all || f.has('w')) counts.push(text.split(/\s+/).filter(Boolean).length);
  if (all || f.has('c')) counts.push(Buffer.byteLength(text));
  c.io.out.write(counts.join(' ') + (rest.length === 1 ? ` ${rest[0]}` : '') + '\n');
  return status;
});

def(['grep', 'egrep', 'fgrep'], async (c) => {
  const { f, v, rest } = flags(c.argv.slice(1), 'e');
  const pattern = v.get('e') ?? rest.shift();
  if (pattern === undefined) {
    c.io.err.write('grep: no pattern\n');
    return 2;
  }
  let re: RegExp;
  try {
    const src =
      f.has('F') || base(c) === 'fgrep'
        ? pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        : f.has('E') || base(c) === 'egrep'
          ? pattern
          : basicToExtended(pattern);
    re = new RegExp(f.has('x') ? `^(?:${src})$` : src, f.has('i') ? 'i' : '');
  } catch {
    c.io.err.write(`grep: bad regex '${pattern}'\n`);
    return 2;
  }
  const { text, status } = await inputs(c, rest, 'grep');
  const hits = lines(text).filter((l) => re.test(l) !== f.has('v'));
  if (f.has('q')) return hits.length ? 0 : status || 1;
  if (f.has('c')) c.io.out.write(`${hits.length}\n`);
  else if (hits.length) c.io.out.write(hits.join('\n') + '\n');
  return hits.length ? 0 : status || 1;
});

/** POSIX basic regex → JS: \( \) \| \{ \} are the special forms, bare ones are literal. */
function basicToExtended(p: string): string {
  return p.replace(/\\([(){}|+?])|([(){}|+?])/g, (_m, esc: string | undefined, bare: string | undefined) => (esc ? esc : `\\${bare}`));
}

def('sort', async (c) => {
  const { f, rest } = flags(c.argv.slice(1));
  const { text, status } = await inputs(c, rest, 'sort');
  let out = lines(text);
  out.sort(f.has('n') ? (a, b) => parseFloat(a) - parseFloat(b) || (a < b ? -1 : a > b ? 1 : 0) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (f.has('r')) out.reverse();
  if (f.has('u')) out = out.filter((l, i) => i === 0 || l !== out[i - 1]);
  if (out.length) c.io.out.write(out.join('\n') + '\n');
  return status;
});

def('uniq', async (c) => {
  const { f, rest } = flags(c.argv.slice(1));
  const { text, status } = await inputs(c, rest, 'uniq');
  const groups: Array<[string, number]> = [];
  for (const l of lines(text)) {
    const last = groups[groups.length - 1];
    if (last && last[0] === l) last[1]++;
    else groups.push([l, 1]);
  }
  const out = groups.filter(([, n]) => (f.has('d') ? n > 1 : f.has('u') ? n === 1 : true)).map(([l, n]) => (f.has('c') ? `${String(n).padStart(7)} ${l}` : l));
  if (out.length) c.io.out.write(out.join('\n') + '\n');
  return status;
});

def('cut', async (c) => {
  const { v, rest } = flags(c.argv.slice(1), 'dfc');
  const { text, status } = await inputs(c, rest, 'cut');
  const sel = (spec: string, n: number) =>
    spec.split(',').some((r) => {
      const [a, b] = r.split('-');
      const lo = a ? Number(a) : 1;
      const hi = r.includes('-') ? (b ? Number(b) : Infinity) : lo;
      return n >= lo && n <= hi;
    });
  const fields = v.get('f');
  const chars = v.get('c');
  if (!fields && !chars) {
    c.io.err.write('cut: you must specify a list of bytes, characters, or fields\n');
    return 1;
  }
  const delim = v.get('d') ?? '\t';
  const out = lines(text).map((l) =>
    fields
      ? l.includes(delim)
        ? l
            .split(delim)
            .filter((_, i) => sel(fields, i + 1))
            .join(delim)
        : l
      : [...l].filter((_, i) => sel(chars!, i + 1)).join(''),
  );
  if (out.length) c.io.out.write(out.join('\n') + '\n');
  return status;
});

/** tr [-d] SET1 [SET2]: ranges (a-z) and \n, \t escapes. */
def('tr', async (c) => {
  const { f, rest } = flags(c.argv.slice(1));
  const expand = (set: string) => {
    const s = unescape(set);
    const out: string[] = [];
    for (let i = 0; i < s.length; i++) {
      if (s[i + 1] === '-' && i + 2 < s.length) {
        for (let x = s.charCodeAt(i); x <= s.charCodeAt(i + 2); x++) out.push(String.fromCharCode(x));
        i += 2;
      } else out.push(s[i]);
    }
    return out;
  };
  const from = expand(rest[0] ?? '');
  const to = expand(rest[1] ?? '');
  await untilEnd(c.io.stdin, c.proc);
  const text = readAll(c.io.stdin).toString();
  const out = [...text]
    .map((ch) => {
      const i = from.indexOf(ch);
      if (i < 0) return ch;
      if (f.has('d')) return '';
      return to.length ? to[Math.min(i, to.length - 1)] : ch;
    })
    .join('');
  c.io.out.write(out);
  return 0;
});

def('tee', async (c) => {
  const { f, rest } = flags(c.argv.slice(1));
  await untilEnd(c.io.stdin, c.proc);
  const data = readAll(c.io.stdin);
  c.io.out.write(data);
  let status = 0;
  for (const p of rest) {
    try {
      c.host.fs.writeFile(p, data, { append: f.has('a'), cwd: c.cwd });
    } catch (e) {
      c.io.err.write(`tee: ${p}: ${fsMessage(e)}\n`);
      status = 1;
    }
  }
  return status;
});

def('seq', async (c) => {
  const nums = c.argv.slice(1).map(Number);
  if (!nums.length || nums.some((n) => !Number.isFinite(n))) {
    c.io.err.write('seq: invalid argument\n');
    return 1;
  }
  const [first, inc, last] = nums.length === 1 ? [1, 1, nums[0]] : nums.length === 2 ? [nums[0], 1, nums[1]] : nums;
  const out: string[] = [];
  for (let x = first; inc > 0 ? x <= last : x >= last; x += inc) {
    out.push(String(x));
    if (out.length > 1_000_000 || inc === 0) break;
  }
  if (out.length) c.io.out.write(out.join('\n') + '\n');
  return 0;
});

def('date', async (c) => {
  const { rest } = flags(c.argv.slice(1));
  const d = new Date();
  const fmt = rest.find((a) => a.startsWith('+'));
  const p2 = (n: number) => String(n).padStart(2, '0');
  if (fmt) {
    const out = fmt.slice(1).replace(
      /%([sYmdHMSNFTz%])/g,
      (_m, k: string) =>
        (
          ({
            s: String(Math.floor(d.getTime() / 1000)),
            Y: String(d.getUTCFullYear()),
            m: p2(d.getUTCMonth() + 1),
            d: p2(d.getUTCDate()),
            H: p2(d.getUTCHours()),
            M: p2(d.getUTCMinutes()),
            S: p2(d.getUTCSeconds()),
            N: String(d.getUTCMilliseconds() * 1e6).padStart(9, '0'),
            F: d.toISOString().slice(0, 10),
            T: d.toISOString().slice(11, 19),
            z: '+0000',
            '%': '%',
          }) as Record<string, string>
        )[k],
    );
    c.io.out.write(out + '\n');
  } else {
    const s = d.toUTCString(); // "Thu, 01 Jan 2024 00:00:00 GMT"
    const [, wd, day, mon, year, time] = /^(\w+), (\d+) (\w+) (\d+) (\S+)/.exec(s)!;
    c.io.out.write(`${wd} ${mon} ${day.padStart(2, ' ')} ${time} UTC ${year}\n`);
  }
  return 0;
});

def('kill', async (c) => {
  const args = c.argv.slice(1);
  let sig = parseSignal('TERM')!;
  if (args[0] === '-l') {
    c.io.out.write('HUP INT QUIT KILL USR1 USR2 TERM\n');
    return 0;
  }
  if (args[0]?.startsWith('-')) {
    const raw = args.shift()!.slice(1);
    const s = raw === 's' ? parseSignal(args.shift() ?? '') : raw === '0' ? undefined : parseSignal(raw);
    if (!s && raw !== '0') {
      c.io.err.write(`kill: bad signal name '${raw}'\n`);
      return 1;
    }
    if (raw === '0') {
      return args.every((p) => !!findProcess(c, Number(p))) ? 0 : 1;
    }
    sig = s!;
  }
  let status = 0;
  for (const p of args) {
    const target = /^\d+$/.test(p) ? findProcess(c, Number(p)) : undefined;
    if (!target || !target.kill(sig)) {
      c.io.err.write(`kill: can't kill pid ${p}: No such process\n`);
      status = 1;
    }
  }
  return status;
});

// ---- memory ---------------------------------------------------------------------------------------

/** alloc SIZE[k|m|g]: hold that much memory for the life of the container (stats, OOM kills). */
def('alloc', async (c) => {
  const m = /^(\d+)([kmgKMG]?)[iI]?[bB]?$/.exec(c.argv[1] ?? '');
  if (!m) {
    c.io.err.write('alloc: usage: alloc SIZE[k|m|g]\n');
    return 1;
  }
  const bytes = Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[m[2].toLowerCase()];
  c.host.allocate?.(bytes);
  c.proc.check();
  return 0;
});

// ---- network --------------------------------------------------------------------------------------

function parsePort(s: string | undefined): number | undefined {
  const p = Number((s ?? '').split(':').pop());
  return Number.isInteger(p) && p > 0 && p < 65536 ? p : undefined;
}

/** httpd [-f] [-v] [-p [IP:]PORT] [-h HOME]: answers every request 200 "ok\n" (or a file under -h). */
/** -v logs each request's url to stderr, -vv its response code too (busybox's format). */
def('httpd', async (c) => {
  const args = c.argv.slice(1);
  const verbose = args.filter((a) => /^-[a-zA-Z]+$/.test(a)).reduce((n, a) => n + (a.match(/v/g) ?? []).length, 0);
  const { v } = flags(
    args.map((a) => (/^-[a-zA-Z]+$/.test(a) ? a.replace(/v/g, '') : a)).filter((a) => a !== '-'),
    'phcru',
  );
  const port = parsePort(v.get('p') ?? '80');
  if (!port) {
    c.io.err.write(`httpd: invalid port '${v.get('p')}'\n`);
    return 1;
  }
  const log: AccessLog | undefined = verbose
    ? (peer, req, status) => {
        c.io.err.write(`${peer}: url:${req.url ?? '/'}\n`);
        if (verbose > 1) c.io.err.write(`${peer}: response:${status}\n`);
      }
    : undefined;
  return serveHttp(c, port, 'httpd', v.get('h'), log);
});

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * httpd-foreground (the Apache httpd image's command): port 80, "It works!" (or htdocs/index.html),
 * the startup notices on stderr and an access log line per request on stdout (Common Log Format).
 */
def('httpd-foreground', async (c) => {
  for (const s of ['TERM', 'INT'] as const)
    c.proc.traps.set(s, async () => {
      c.io.err.write(`[core:notice] [pid 1] AH00094: caught SIG${s}, shutting down\n`);
      return 0;
    });
  const ip = c.host.ips[0] ?? '127.0.0.1';
  c.io.err.write(
    `AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using ${ip}. Set the 'ServerName' directive globally to suppress this message\n`,
  );
  c.io.err.write('[mpm_event:notice] [pid 1] AH00489: Apache/2.4 (Unix) (triad-memory simulation) configured -- resuming normal operations\n');
  const log: AccessLog = (peer, req, status, bytes) => {
    const d = new Date();
    const p2 = (n: number) => String(n).padStart(2, '0');
    const when = `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
    c.io.out.write(`${peer.replace(/:\d+$/, '')} - - [${when}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${status} ${bytes}\n`);
  };
  const home = c.host.fs.stat('/usr/local/apache2/htdocs/index.html') ? '/usr/local/apache2/htdocs' : undefined;
  return serveHttp(c, 80, 'httpd', home, log, '<html><body><h1>It works!</h1></body></html>\n');
});

/** nginx (as in the nginx-like image): port 80; TERM and QUIT are graceful shutdowns, exit 0. */
def('nginx', async (c) => {
  for (const s of ['TERM', 'QUIT', 'INT'] as const) c.proc.traps.set(s, async () => 0);
  c.io.err.write('nginx: [notice] start worker processes (triad-memory simulation)\n');
  // the master process names itself and records its pid, as nginx does
  c.proc.title = `nginx: master process ${c.argv.join(' ')}`;
  try {
    c.host.fs.writeFile('/var/run/nginx.pid', `${pidInNamespace(c)}\n`);
  } catch {
    /* read-only rootfs: no pid file */
  }
  return serveHttp(c, 80, 'nginx');
});

/** Called once per answered request: the peer (ip:port), the request, the status and body size. */
type AccessLog = (peer: string, req: IncomingMessage, status: number, bytes: number) => void;

async function serveHttp(c: ProgramCtx, port: number, who: string, home?: string, log?: AccessLog, body = 'ok\n'): Promise<number> {
  let listener;
  try {
    listener = await c.proc.race(
      c.host.ports.listenHttp(port, (req, res) => {
        const answer = (status: number, type: string, data: string | Buffer) => {
          res.writeHead(status, { 'content-type': type }).end(data);
          log?.(`${req.socket.remoteAddress ?? '127.0.0.1'}:${req.socket.remotePort ?? 0}`, req, status, Buffer.byteLength(data));
        };
        const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
        if (home !== undefined) {
          const file = posix.join(home, path.endsWith('/') ? `${path}index.html` : path);
          try {
            answer(200, 'text/html', c.host.fs.readFile(file, c.cwd));
          } catch {
            answer(404, 'text/html', '<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD></HTML>\n');
          }
          return;
        }
        answer(200, body.startsWith('<') ? 'text/html' : 'text/plain', body);
      }),
    );
  } catch (e) {
    if (e instanceof PortInUse) {
      c.io.err.write(`${who}: bind: Address in use\n`);
      return 1;
    }
    if (e instanceof ExposeError) {
      c.io.err.write(`${who}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  c.proc.onExit(() => listener.close());
  await c.proc.sleep(Infinity);
  return 0;
}

/** nc -l [-k] [-p] PORT (listen; data received is printed) or nc [-z] HOST PORT (pod-local only). */
def('nc', async (c) => {
  const { f, v, rest } = flags(c.argv.slice(1), 'pwe');
  if (f.has('l')) {
    const port = parsePort(v.get('p') ?? rest[rest.length - 1]);
    if (!port) {
      c.io.err.write('nc: missing port\n');
      return 1;
    }
    let listener;
    try {
      listener = await c.proc.race(c.host.ports.listenTcp(port, (s) => s.on('data', (d) => c.io.out.write(d))));
    } catch (e) {
      if (e instanceof PortInUse) {
        c.io.err.write('nc: bind: Address in use\n');
        return 1;
      }
      if (e instanceof ExposeError) {
        c.io.err.write(`nc: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
    c.proc.onExit(() => listener.close());
    await c.proc.sleep(Infinity);
    return 0;
  }
  const [host, portS] = rest;
  const target = localTarget(c, host, parsePort(portS));
  if (!target) {
    c.io.err.write(`nc: can't connect to remote host (${host}): Connection refused\n`);
    return 1;
  }
  if (!f.has('z')) await untilEnd(c.io.stdin, c.proc);
  const data = f.has('z') ? Buffer.alloc(0) : readAll(c.io.stdin);
  const out = await c.proc
    .race(
      new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const s = connect(target.port, target.host, () => {
          if (data.length) s.write(data);
          s.end();
        });
        s.on('data', (d) => chunks.push(d));
        s.on('error', reject);
        s.on('close', () => resolve(Buffer.concat(chunks)));
      }),
    )
    .catch(() => undefined);
  if (!out) {
    c.io.err.write(`nc: can't connect to remote host (${host}): Connection refused\n`);
    return 1;
  }
  c.io.out.write(out);
  return 0;
});

/** Where a pod-local address (localhost, 127.0.0.1, the hostname, a pod IP) really listens. */
function localTarget(c: ProgramCtx, host: string | undefined, port: number | undefined): { host: string; port: number } | undefined {
  if (!host || !port) return undefined;
  const local = ['localhost', '127.0.0.1', '::1', '0.0.0.0', c.host.hostname, ...c.host.ips];
  if (!local.includes(host)) return undefined;
  const fwd = c.host.ports.forwards()[String(port)];
  if (!fwd) return undefined;
  const i = fwd.lastIndexOf(':');
  return { host: fwd.slice(0, i), port: Number(fwd.slice(i + 1)) };
}

/** wget [-q] [-O FILE|-] [-T SECS] [--spider] URL: HTTP to pod-local ports only. */
def('wget', async (c) => {
  const args = c.argv.slice(1).map((a) => (a === '--spider' ? '-S' : a === '-qO-' ? '-qO' : a));
  if (c.argv.includes('-qO-')) args.splice(args.indexOf('-qO') + 1, 0, '-');
  const { f, v, rest } = flags(
    args.filter((a) => !a.startsWith('--')),
    'OTUY',
  );
  const url = rest[0];
  let u: URL;
  try {
    u = new URL(url.includes('://') ? url : `http://${url}`);
  } catch {
    c.io.err.write(`wget: bad address '${url}'\n`);
    return 1;
  }
  const target = localTarget(c, u.hostname, Number(u.port || 80));
  if (!target) {
    c.io.err.write(`wget: can't connect to remote host (${u.hostname}): Connection refused\n`);
    return 1;
  }
  const res = await c.proc
    .race(
      new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
        const req = httpRequest({ host: target.host, port: target.port, path: u.pathname + u.search, method: 'GET', headers: { host: u.host } }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (d: Buffer) => chunks.push(d));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        req.end();
      }),
    )
    .catch((e: Error) => e);
  if (res instanceof Error) {
    c.io.err.write(`wget: can't connect to remote host (${u.hostname}): Connection refused\n`);
    return 1;
  }
  if (res.status >= 400) {
    c.io.err.write(`wget: server returned error: HTTP/1.1 ${res.status}\n`);
    return 1;
  }
  if (f.has('S')) return 0;
  const outFile = v.get('O') ?? (posix.basename(u.pathname) || 'index.html');
  if (outFile === '-') c.io.out.write(res.body);
  else {
    try {
      c.host.fs.writeFile(outFile, res.body, { cwd: c.cwd });
    } catch (e) {
      c.io.err.write(`wget: can't open '${outFile}': ${fsMessage(e)}\n`);
      return 1;
    }
  }
  return 0;
});

// ---- special executables ---------------------------------------------------------------------------

/** The pause container: sleeps until TERM/INT, then exits 0 as the real /pause does. */
def('pause', async (c) => {
  for (const s of ['TERM', 'INT'] as const) {
    c.proc.traps.set(s, async () => {
      c.io.err.write(`Shutting down, got signal: ${s === 'TERM' ? 'Terminated' : 'Interrupt'}\n`);
      return 0;
    });
  }
  await c.proc.sleep(Infinity);
  return 0;
});

/** timeout SECS CMD...: run CMD, killing it with TERM after SECS (exit 124 then, like coreutils). */
def('timeout', async (c) => {
  const { rest } = flags(c.argv.slice(1), 's');
  const secs = Number((rest.shift() ?? '').replace(/s$/, ''));
  if (!Number.isFinite(secs) || !rest.length) {
    c.io.err.write('timeout: usage: timeout SECS PROG ARGS\n');
    return 125;
  }
  const child = c.proc.spawnChild();
  let timedOut = false;
  // 0 disables the limit, as in coreutils; a delay past 2^31-1 ms would fire at once in Node
  const timer =
    secs > 0
      ? setTimeout(
          () => {
            timedOut = true;
            child.kill('TERM');
          },
          Math.min(secs * 1000, 2 ** 31 - 1),
        )
      : undefined;
  try {
    const r = await c.proc.race(child.run(() => runProgram({ ...c, proc: child, argv: rest }, 'timeout')));
    return timedOut ? 124 : r.exitCode;
  } finally {
    clearTimeout(timer);
  }
});
