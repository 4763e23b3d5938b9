// The simulator's shell (sh/ash/bash): executes parsed scripts against a container's files and
// environment. Pipelines run one stage after the other (each stage's output becomes the next
// one's stdin), `&` starts a background child that dies with its parent, and `trap` handlers run
// in place of the default action and then end the process (unless they `exit` with a code).
import { evalArith } from './arith.js';
import { FsError } from './fs.js';
import { parse, type Node, type Redir } from './parser.js';
import { parseSignal, type SimProcess } from './process.js';
import { resolveProgram } from './resolve.js';
import { ShellSyntaxError, type Part, type Word } from './tokenizer.js';
import {
  BufferSink,
  emptyInput,
  inputOf,
  LiveInput,
  nullSink,
  programs,
  readAll,
  readLine,
  SHELL_BUILTINS,
  untilEnd,
  untilLine,
  type Host,
  type Io,
  type ProgramCtx,
  type Sink,
} from './types.js';

/** `exit N` unwinding to the nearest shell (or subshell) boundary. */
export class ExitShell extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = 'ExitShell';
  }
}

type Builtin = (sh: Shell, argv: string[], io: Io) => Promise<number>;

export class Shell {
  vars: Map<string, string>;
  exported: Set<string>;
  cwd: string;
  name = 'sh';
  positional: string[] = [];
  status = 0;
  errexit = false;
  xtrace = false;
  /** `exit` ended the last run(). */
  exited = false;
  private lastBg = '';
  private condDepth = 0;
  private exempt = false;
  private subStatus: number | undefined;
  private readonly jobs = new Set<SimProcess>();

  constructor(
    readonly host: Host,
    readonly proc: SimProcess,
    env: Map<string, string>,
    cwd: string,
  ) {
    this.vars = new Map(env);
    this.exported = new Set(env.keys());
    this.cwd = cwd;
  }

  /** A subshell: a copy of the variables, options and directory, possibly as another process. */
  clone(proc: SimProcess = this.proc): Shell {
    const s = new Shell(this.host, proc, new Map(), this.cwd);
    s.vars = new Map(this.vars);
    s.exported = new Set(this.exported);
    s.name = this.name;
    s.positional = [...this.positional];
    s.status = this.status;
    s.errexit = this.errexit;
    s.xtrace = this.xtrace;
    return s;
  }

  /** The exported variables: what a program started from here gets as its environment. */
  env(extra: Array<[string, string]> = []): Map<string, string> {
    const out = new Map<string, string>();
    for (const k of this.exported) {
      const v = this.vars.get(k);
      if (v !== undefined) out.set(k, v);
    }
    for (const [k, v] of extra) out.set(k, v);
    return out;
  }

  /** Parse and run a script; `exit` ends it. Syntax errors answer 2, as sh does. */
  async run(src: string, io: Io): Promise<number> {
    let node: Node;
    try {
      node = parse(src);
    } catch (e) {
      if (e instanceof ShellSyntaxError) {
        io.err.write(`${this.name}: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
    try {
      this.status = await this.exec(node, io);
    } catch (e) {
      if (e instanceof ExitShell) {
        this.status = e.code;
        this.exited = true;
      } else throw e;
    }
    return this.status;
  }

  async exec(node: Node, io: Io): Promise<number> {
    this.proc.check();
    switch (node.k) {
      case 'list':
        return this.list(node, io);
      case 'andor':
        return this.andOr(node, io);
      case 'pipe':
        return this.pipe(node, io);
      case 'simple':
        return this.simple(node, io);
      case 'loop':
        return this.withRedirs(node.redirs, io, (rio) => this.loop(node, rio));
      case 'if':
        return this.withRedirs(node.redirs, io, (rio) => this.ifElse(node, rio));
      case 'for':
        return this.withRedirs(node.redirs, io, (rio) => this.forIn(node, rio));
      case 'group':
        return this.withRedirs(node.redirs, io, async (rio) => {
          if (!node.subshell) return this.exec(node.body, rio);
          const sub = this.clone();
          try {
            return await sub.exec(node.body, rio);
          } catch (e) {
            if (e instanceof ExitShell) return e.code;
            throw e;
          }
        });
    }
  }

  private async cond(node: Node, io: Io): Promise<number> {
    this.condDepth++;
    try {
      return await this.exec(node, io);
    } finally {
      this.condDepth--;
    }
  }

  private async list(node: Extract<Node, { k: 'list' }>, io: Io): Promise<number> {
    let status = 0;
    for (const { node: n, bg } of node.items) {
      if (bg) {
        const child = this.proc.spawnChild();
        const sub = this.clone(child);
        this.jobs.add(child);
        void child
          .run(async () => {
            try {
              return await sub.exec(n, io);
            } catch (e) {
              if (e instanceof ExitShell) return e.code;
              throw e;
            }
          })
          .finally(() => this.jobs.delete(child));
        this.lastBg = String(child.pid);
        status = 0;
        continue;
      }
      this.exempt = false;
      status = await this.exec(n, io);
      this.status = status;
      if (status !== 0 && this.errexit && this.condDepth === 0 && !this.exempt) throw new ExitShell(status);
    }
    return status;
  }

  private async andOr(node: Extract<Node, { k: 'andor' }>, io: Io): Promise<number> {
    const parts = [node.first, ...node.rest.map((r) => r.node)];
    let status = 0;
    for (let i = 0; i < parts.length; i++) {
      if (i > 0) {
        const op = node.rest[i - 1].op;
        if ((op === '&&' && status !== 0) || (op === '||' && status === 0)) continue;
      }
      const last = i === parts.length - 1;
      status = last ? await this.exec(parts[i], io) : await this.cond(parts[i], io);
      this.status = status;
      this.exempt = !last;
    }
    return status;
  }

  private async pipe(node: Extract<Node, { k: 'pipe' }>, io: Io): Promise<number> {
    let stdin = io.stdin;
    let status = 0;
    for (let i = 0; i < node.cmds.length; i++) {
      const last = i === node.cmds.length - 1;
      const buf = last ? undefined : new BufferSink();
      const stage = { stdin, out: buf ?? io.out, err: io.err };
      status = node.cmds.length > 1 ? await this.subshell(node.cmds[i], stage) : await this.exec(node.cmds[i], stage);
      if (buf) stdin = inputOf(buf.buffer());
    }
    if (node.negate) {
      this.exempt = true;
      return status === 0 ? 1 : 0;
    }
    return status;
  }

  private async subshell(n: Node, io: Io): Promise<number> {
    try {
      return await this.clone().exec(n, io);
    } catch (e) {
      if (e instanceof ExitShell) return e.code;
      throw e;
    }
  }

  private async loop(node: Extract<Node, { k: 'loop' }>, io: Io): Promise<number> {
    let status = 0;
    for (;;) {
      await this.proc.tick();
      const c = await this.cond(node.cond, io);
      if ((c === 0) === node.until) break;
      status = await this.exec(node.body, io);
    }
    return status;
  }

  private async ifElse(node: Extract<Node, { k: 'if' }>, io: Io): Promise<number> {
    for (const arm of node.arms) {
      if ((await this.cond(arm.cond, io)) === 0) return this.exec(arm.body, io);
    }
    return node.otherwise ? this.exec(node.otherwise, io) : 0;
  }

  private async forIn(node: Extract<Node, { k: 'for' }>, io: Io): Promise<number> {
    const items: string[] = [];
    if (node.items) for (const w of node.items) items.push(...(await this.expandWord(w, io)));
    else items.push(...this.positional);
    let status = 0;
    for (const it of items) {
      await this.proc.tick();
      this.vars.set(node.name, it);
      status = await this.exec(node.body, io);
    }
    return status;
  }

  private async simple(node: Extract<Node, { k: 'simple' }>, io: Io): Promise<number> {
    this.subStatus = undefined;
    const argv: string[] = [];
    for (const w of node.words) argv.push(...(await this.expandWord(w, io)));
    const assigns: Array<[string, string]> = [];
    for (const a of node.assigns) assigns.push([a.name, await this.expandString(a.value, io)]);
    if (argv.length === 0) {
      for (const [k, v] of assigns) this.vars.set(k, v);
      if (this.xtrace && assigns.length) io.err.write(`+ ${assigns.map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
      return this.withRedirs(node.redirs, io, async () => this.subStatus ?? 0);
    }
    if (this.xtrace) io.err.write(`+ ${argv.join(' ')}\n`);
    return this.withRedirs(node.redirs, io, (rio) => this.command(argv, assigns, rio));
  }

  /** Run argv: a shell builtin, a program of the image, or "not found" (127). */
  async command(argv: string[], assigns: Array<[string, string]>, io: Io): Promise<number> {
    const name = argv[0];
    const builtin = BUILTINS[name];
    if (builtin) {
      for (const [k, v] of assigns) this.vars.set(k, v);
      return builtin(this, argv, io);
    }
    const env = this.env(assigns);
    const ctx: ProgramCtx = { argv, env, cwd: this.cwd, io, host: this.host, proc: this.proc };
    if (SHELL_BUILTINS.has(name) && programs.has(name)) return programs.get(name)!(ctx);
    const r = resolveProgram(name, this.host.fs, env, this.cwd);
    if (!r.ok) {
      if (r.kind === 'not-found') {
        io.err.write(`${this.name}: ${name}: not found\n`);
        return 127;
      }
      io.err.write(
        `${this.name}: ${name}: ${r.kind === 'no-such-file' ? 'No such file or directory' : r.kind === 'permission' ? 'Permission denied' : 'Exec format error'}\n`,
      );
      return r.kind === 'no-such-file' ? 127 : 126;
    }
    const run = [r.program === 'sh' && r.prefix.length ? 'sh' : name, ...r.prefix, ...argv.slice(1)];
    // The program runs in this process as if forked and exec'd: ps/pgrep see it, then the shell again.
    const before = this.proc.argv;
    this.proc.argv = run;
    try {
      return await programs.get(r.program)!({ ...ctx, argv: run });
    } finally {
      this.proc.argv = before;
    }
  }

  // ---- redirections --------------------------------------------------------------------------

  private async withRedirs(redirs: Redir[], io: Io, fn: (io: Io) => Promise<number>): Promise<number> {
    if (!redirs.length) return fn(io);
    const fds: Array<Sink | undefined> = [undefined, io.out, io.err];
    let stdin = io.stdin;
    for (const r of redirs) {
      const target = await this.expandString(r.target, io);
      if (r.op === '>&' || r.op === '<&') {
        if (target === '-') {
          if (r.fd === 0) stdin = emptyInput();
          else fds[r.fd] = nullSink;
          continue;
        }
        if (/^\d+$/.test(target)) {
          if (r.fd > 0) fds[r.fd] = fds[Number(target)] ?? nullSink;
          continue;
        }
      }
      const path = target;
      if (r.op === '<' || r.op === '<&') {
        try {
          stdin = inputOf(this.host.fs.readFile(path, this.cwd));
        } catch (e) {
          if (!(e instanceof FsError)) throw e;
          io.err.write(`${this.name}: can't open '${path}': ${e.message}\n`);
          return 1;
        }
        continue;
      }
      const append = r.op === '>>' || r.op === '&>>';
      let sink: Sink;
      if (path === '/dev/stdout') sink = io.out;
      else if (path === '/dev/stderr') sink = io.err;
      else {
        try {
          if (!append) this.host.fs.writeFile(path, '', { cwd: this.cwd });
          else this.host.fs.writeFile(path, '', { cwd: this.cwd, append: true });
        } catch (e) {
          if (!(e instanceof FsError)) throw e;
          const why = e.code === 'ENOENT' ? 'nonexistent directory' : e.message;
          io.err.write(`${this.name}: can't create ${path}: ${why}\n`);
          return 1;
        }
        const fs = this.host.fs;
        const cwd = this.cwd;
        sink = {
          write: (c) => {
            try {
              fs.writeFile(path, c, { cwd, append: true });
            } catch {
              /* like a full disk: dropped */
            }
          },
        };
      }
      if (r.op === '&>' || r.op === '&>>') {
        fds[1] = sink;
        fds[2] = sink;
      } else fds[r.fd] = sink;
    }
    return fn({ stdin, out: fds[1] ?? nullSink, err: fds[2] ?? nullSink });
  }

  // ---- expansion -----------------------------------------------------------------------------

  private special(name: string): string | undefined {
    switch (name) {
      case '?':
        return String(this.status);
      case '$':
        return String(this.proc === this.host.init ? 1 : this.proc.pid);
      case '!':
        return this.lastBg;
      case '#':
        return String(this.positional.length);
      case '0':
        return this.name;
      case '@':
      case '*':
        return this.positional.join(' ');
      case '-':
        return (this.errexit ? 'e' : '') + (this.xtrace ? 'x' : '');
      default:
        if (/^\d$/.test(name)) return this.positional[Number(name) - 1];
        return this.vars.get(name);
    }
  }

  private async varValue(p: Extract<Part, { t: 'var' }>, io: Io): Promise<string> {
    const v = this.special(p.name);
    switch (p.op) {
      case undefined:
        return v ?? '';
      case '#':
        return String((v ?? '').length);
      case ':-':
        return v ? v : this.expandString(p.arg ?? [], io);
      case '-':
        return v !== undefined ? v : this.expandString(p.arg ?? [], io);
      case ':+':
        return v ? this.expandString(p.arg ?? [], io) : '';
      case '+':
        return v !== undefined ? this.expandString(p.arg ?? [], io) : '';
      case ':=':
      case '=': {
        if (p.op === ':=' ? v : v !== undefined) return v!;
        const nv = await this.expandString(p.arg ?? [], io);
        this.vars.set(p.name, nv);
        return nv;
      }
      default: {
        if (p.op === ':?' ? v : v !== undefined) return v!;
        const msg = await this.expandString(p.arg ?? [], io);
        io.err.write(`${this.name}: ${p.name}: ${msg || 'parameter not set'}\n`);
        throw new ExitShell(1);
      }
    }
  }

  private async partValue(p: Part, io: Io): Promise<string> {
    switch (p.t) {
      case 'lit':
        return p.v;
      case 'var':
        return this.varValue(p, io);
      case 'cmd': {
        const out = new BufferSink();
        const sub = this.clone();
        this.subStatus = await sub.run(p.src, { stdin: io.stdin, out, err: io.err });
        return out.toString().replace(/\n+$/, '');
      }
      case 'arith': {
        const src = p.src.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*|[?#$!])\}?/g, (_, n: string) => this.special(n) ?? '');
        try {
          return String(evalArith(src, (n) => this.vars.get(n)));
        } catch (e) {
          io.err.write(`${this.name}: ${(e as Error).message}\n`);
          throw new ExitShell(2);
        }
      }
    }
  }

  /** Expand a word into fields: unquoted expansions are split on whitespace. */
  async expandWord(w: Word, io: Io): Promise<string[]> {
    const fields: string[] = [];
    let cur = '';
    let has = false;
    for (const p of w) {
      if (p.t === 'var' && p.q && p.name === '@' && !p.op) {
        const [first, ...rest] = this.positional;
        if (first === undefined) continue;
        cur += first;
        has = true;
        for (const r of rest) {
          fields.push(cur);
          cur = r;
        }
        continue;
      }
      const v = await this.partValue(p, io);
      if (p.q || p.t === 'lit') {
        cur += v;
        has = true;
        continue;
      }
      const pieces = v.split(/[ \t\n]+/);
      for (let i = 0; i < pieces.length; i++) {
        if (i > 0 && has) {
          fields.push(cur);
          cur = '';
          has = false;
        }
        if (pieces[i]) {
          cur += pieces[i];
          has = true;
        }
      }
    }
    if (has) fields.push(cur);
    return fields;
  }

  /** Expand a word into one string (assignments, redirection targets). */
  async expandString(w: Word, io: Io): Promise<string> {
    let s = '';
    for (const p of w) s += await this.partValue(p, io);
    return s;
  }

  async waitJobs(): Promise<void> {
    await this.proc.race(Promise.all([...this.jobs].map((j) => j.exited)));
  }
}

// ---- builtins that need the shell's own state --------------------------------------------------

const BUILTINS: Record<string, Builtin> = {
  async exit(sh, argv, io) {
    const code = argv[1] === undefined ? sh.status : Number(argv[1]);
    if (!Number.isInteger(code)) {
      io.err.write(`${sh.name}: exit: Illegal number: ${argv[1]}\n`);
      throw new ExitShell(2);
    }
    throw new ExitShell(((code % 256) + 256) % 256);
  },
  async cd(sh, argv, io) {
    const dir = argv[1] ?? sh.vars.get('HOME') ?? '/';
    const target = dir.startsWith('/') ? dir : `${sh.cwd.replace(/\/$/, '')}/${dir}`;
    const st = sh.host.fs.stat(target);
    if (st?.type !== 'dir') {
      io.err.write(`${sh.name}: cd: can't cd to ${dir}: ${st ? 'Not a directory' : 'No such file or directory'}\n`);
      return 2;
    }
    sh.cwd = sh.host.fs.locate(target).path;
    sh.vars.set('PWD', sh.cwd);
    return 0;
  },
  async export(sh, argv) {
    for (const a of argv.slice(1)) {
      if (a === '-p') continue;
      const i = a.indexOf('=');
      const name = i < 0 ? a : a.slice(0, i);
      if (i >= 0) sh.vars.set(name, a.slice(i + 1));
      sh.exported.add(name);
    }
    return 0;
  },
  async unset(sh, argv) {
    for (const a of argv.slice(1)) {
      if (a.startsWith('-')) continue;
      sh.vars.delete(a);
      sh.exported.delete(a);
    }
    return 0;
  },
  async set(sh, argv, io) {
    const args = argv.slice(1);
    while (args.length) {
      const a = args[0];
      if (a === '--') {
        args.shift();
        sh.positional = args.splice(0);
        break;
      }
      if (!/^[-+][a-z]+$/.test(a)) {
        sh.positional = args.splice(0);
        break;
      }
      args.shift();
      if (a === '-o' || a === '+o') {
        const o = args.shift();
        if (o === 'errexit') sh.errexit = a === '-o';
        else if (o === 'xtrace') sh.xtrace = a === '-o';
        continue;
      }
      for (const f of a.slice(1)) {
        if (f === 'e') sh.errexit = a[0] === '-';
        else if (f === 'x') sh.xtrace = a[0] === '-';
        else if (!'uo'.includes(f) && f !== 'f' && f !== 'v') {
          io.err.write(`${sh.name}: set: illegal option -${f}\n`);
          return 2;
        }
      }
    }
    return 0;
  },
  async shift(sh, argv) {
    const n = argv[1] === undefined ? 1 : Number(argv[1]);
    if (!(n >= 0) || n > sh.positional.length) return 1;
    sh.positional = sh.positional.slice(n);
    return 0;
  },
  async read(sh, argv, io) {
    const names = argv.slice(1).filter((a, i, all) => !a.startsWith('-') && all[i - 1] !== '-p');
    await untilLine(io.stdin, sh.proc);
    const line = readLine(io.stdin);
    if (line === undefined) return 1;
    const vars = names.length ? names : ['REPLY'];
    let rest = vars.length === 1 && !names.length ? line : line.replace(/^[ \t]+/, '');
    vars.forEach((n, i) => {
      if (i === vars.length - 1) {
        sh.vars.set(n, rest.replace(/[ \t]+$/, ''));
        return;
      }
      const m = /^(\S*)[ \t]*/.exec(rest)!;
      sh.vars.set(n, m[1]);
      rest = rest.slice(m[0].length);
    });
    return 0;
  },
  async wait(sh) {
    await sh.waitJobs();
    return 0;
  },
  async trap(sh, argv, io) {
    if (argv.length < 3) return 0;
    const action = argv[1];
    for (const s of argv.slice(2)) {
      if (s === 'EXIT' || s === '0') continue;
      const sig = parseSignal(s);
      if (!sig || sig === 'KILL') {
        io.err.write(`${sh.name}: trap: ${s}: bad trap\n`);
        return 1;
      }
      if (action === '-') sh.proc.traps.delete(sig);
      else if (action === '') sh.proc.traps.set(sig, 'ignore');
      else {
        let node: Node;
        try {
          node = parse(action);
        } catch (e) {
          io.err.write(`${sh.name}: trap: ${(e as Error).message}\n`);
          return 1;
        }
        sh.proc.traps.set(sig, async () => {
          try {
            await sh.exec(node, io);
            return undefined;
          } catch (e) {
            if (e instanceof ExitShell) return e.code;
            throw e;
          }
        });
      }
    }
    return 0;
  },
  async exec(sh, argv, io) {
    if (argv.length < 2) return 0;
    throw new ExitShell(await sh.command(argv.slice(1), [], io));
  },
  async eval(sh, argv, io) {
    const sub = argv.slice(1).join(' ');
    const node = (() => {
      try {
        return parse(sub);
      } catch (e) {
        io.err.write(`${sh.name}: ${(e as Error).message}\n`);
        return undefined;
      }
    })();
    return node ? sh.exec(node, io) : 2;
  },
  async '.'(sh, argv, io) {
    const file = argv[1];
    if (!file) return 0;
    let src: string;
    try {
      src = sh.host.fs.readFile(file, sh.cwd).toString();
    } catch (e) {
      io.err.write(`${sh.name}: .: can't open '${file}'\n`);
      return 2;
    }
    const node = (() => {
      try {
        return parse(src);
      } catch (e) {
        io.err.write(`${sh.name}: ${(e as Error).message}\n`);
        return undefined;
      }
    })();
    return node ? sh.exec(node, io) : 2;
  },
};
BUILTINS.source = BUILTINS['.'];

// ---- sh as a program -----------------------------------------------------------------------------

/** sh [-ex] [-c SCRIPT [NAME [ARGS…]] | FILE [ARGS…]]; with neither, the script is stdin. */
async function shProgram(c: ProgramCtx): Promise<number> {
  const sh = new Shell(c.host, c.proc, c.env, c.cwd);
  sh.name = c.argv[0] || 'sh'; // as ash: messages carry argv[0] as invoked ("/bin/sh: ls: …")
  const args = c.argv.slice(1);
  let script: string | undefined;
  while (args.length && /^[-+][a-z]+$/.test(args[0])) {
    const flag = args.shift()!;
    for (const f of flag.slice(1)) {
      if (f === 'c') {
        script = args.shift();
        if (script === undefined) {
          c.io.err.write(`${sh.name}: -c requires an argument\n`);
          return 2;
        }
      } else if (f === 'e') sh.errexit = flag[0] === '-';
      else if (f === 'x') sh.xtrace = flag[0] === '-';
    }
  }
  if (script !== undefined) {
    if (args.length) {
      sh.name = args.shift()!;
      sh.positional = args;
    }
  } else if (args.length) {
    const file = args.shift()!;
    try {
      script = c.host.fs.readFile(file, c.cwd).toString();
    } catch (e) {
      c.io.err.write(`${sh.name}: can't open '${file}': ${e instanceof FsError ? e.message : String(e)}\n`);
      return 2;
    }
    sh.name = file;
    sh.positional = args;
  } else if (c.io.stdin instanceof LiveInput) {
    return interactive(sh, c, c.io.stdin);
  } else {
    await untilEnd(c.io.stdin, c.proc);
    script = readAll(c.io.stdin).toString();
  }
  return sh.run(script, c.io);
}

/**
 * sh reading commands from a live stdin (exec -i, attach): each line runs as it arrives, in a
 * child process (so ^C on a tty interrupts the command, not the shell) whose variables and
 * directory carry over; a prompt is printed on a tty. Constructs spanning lines are not joined.
 */
async function interactive(sh: Shell, c: ProgramCtx, input: LiveInput): Promise<number> {
  const tty = c.proc.tty;
  if (tty) tty.interactive = true;
  for (;;) {
    if (tty) c.io.out.write(`${sh.cwd} ${c.host.user.uid === 0 ? '#' : '$'} `);
    await untilLine(input, c.proc);
    const line = readLine(input);
    if (line === undefined) return sh.status;
    if (!line.trim()) continue;
    const child = c.proc.spawnChild();
    const sub = sh.clone(child);
    if (tty) tty.foreground = child;
    const res = await child.run(() => sub.run(line, c.io));
    if (tty) tty.foreground = undefined;
    sh.vars = sub.vars;
    sh.exported = sub.exported;
    sh.cwd = sub.cwd;
    sh.status = res.exitCode;
    if (sub.exited) return sub.status;
  }
}

for (const n of ['sh', 'ash', 'bash', 'dash']) programs.set(n, shProgram);
