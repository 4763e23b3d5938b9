// A container's view of files: paths under a mount's containerPath are the REAL host files
// behind it (hostPath), everything else lives in a per-container in-memory root filesystem.
// Read-only mounts and a read-only rootfs refuse writes with EROFS, as the kernel would.
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { nodeSubmounts } from './mounts.js';

export interface MountSpec {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  /** Nothing under the mount may be executed (the noexec mount option). */
  noexec?: boolean;
  /** Mount options beyond ro/rw and rbind, as the OCI spec would carry them. */
  options?: string[];
  /** Node mount points under hostPath when the container was made: a non-recursive read-only mount leaves them writable. */
  submounts?: string[];
  /** Read-only reaches node mount points under hostPath too (recursive_read_only). */
  recursiveReadonly?: boolean;
  /** Propagation PRIVATE (rprivate): node mounts made under hostPath later are not seen (their mount point is an empty directory). */
  private?: boolean;
}

const MESSAGES = {
  ENOENT: 'No such file or directory',
  EROFS: 'Read-only file system',
  EEXIST: 'File exists',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  ENOTEMPTY: 'Directory not empty',
  EACCES: 'Permission denied',
  EBUSY: 'Resource busy',
} as const;
export type FsCode = keyof typeof MESSAGES;

export class FsError extends Error {
  constructor(
    readonly code: FsCode,
    readonly path: string,
  ) {
    super(MESSAGES[code]);
    this.name = 'FsError';
  }
}

/** An executable of the image: which simulated program runs when it is exec'd. */
export interface Exe {
  applet: string;
}

type Node = { type: 'dir' } | { type: 'file'; data: Buffer; exe?: Exe; mtime: number };

export interface Stat {
  type: 'file' | 'dir';
  size: number;
  exe?: Exe;
  where: 'host' | 'mem';
}

type Where =
  | { where: 'host'; path: string; hostPath: string; readonly: boolean; mount: MountSpec }
  | { where: 'mem'; path: string; readonly: boolean }
  | { where: 'null'; path: string; readonly: false };

export const BASE_DIRS = [
  '/',
  '/bin',
  '/dev',
  '/etc',
  '/home',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/sys',
  '/tmp',
  '/usr',
  '/usr/bin',
  '/usr/sbin',
  '/usr/local',
  '/usr/local/bin',
  '/var',
  '/var/log',
  '/var/run',
  '/var/tmp',
];

export interface FsOptions {
  mounts?: MountSpec[];
  readonlyRootfs?: boolean;
  /** Extra files of the image or of the runtime (/etc/hostname, /etc/hosts, ...). */
  files?: Record<string, string | Buffer>;
  /** Executables: absolute path → program. */
  executables?: Record<string, string>;
  dirs?: string[];
  /** OCI maskedPaths (runc): a file reads as /dev/null (empty, not executable), a directory as an empty read-only one. */
  maskedPaths?: string[];
  /** OCI readonlyPaths (runc): writes under them fail with EROFS. */
  readonlyPaths?: string[];
}

export class ContainerFs {
  readonly mounts: MountSpec[];
  readonly readonlyRootfs: boolean;
  private readonly mem = new Map<string, Node>();
  private readonly nullPaths = new Set<string>();
  private readonly memBinds: Array<{ at: string; to: string; readonly: boolean }> = [];
  /** Files the kernel makes up on read (/proc/PID/…): content for a path, or undefined. */
  virtual?: (path: string) => Buffer | undefined;
  private readonly readonlyPaths: string[] = [];

  constructor(opts: FsOptions = {}) {
    this.mounts = [...(opts.mounts ?? [])]
      .map((m) => ({ ...m, containerPath: posix.resolve('/', m.containerPath) }))
      .sort((a, b) => b.containerPath.length - a.containerPath.length);
    this.readonlyRootfs = !!opts.readonlyRootfs;
    for (const d of [...BASE_DIRS, ...(opts.dirs ?? [])]) this.mkdirMem(posix.resolve('/', d));
    for (const [p, exe] of Object.entries(opts.executables ?? {})) {
      this.mkdirMem(posix.dirname(p));
      this.mem.set(p, { type: 'file', data: Buffer.from(`#!simulated ${exe}\n`), exe: { applet: exe }, mtime: Date.now() });
    }
    for (const [p, data] of Object.entries(opts.files ?? {})) {
      this.mkdirMem(posix.dirname(p));
      this.mem.set(p, { type: 'file', data: Buffer.from(data), mtime: Date.now() });
    }
    // Mount points exist as directories of the rootfs, as runc creates them.
    for (const m of this.mounts) this.mkdirMem(m.containerPath);
    for (const r of opts.readonlyPaths ?? []) this.readonlyPaths.push(posix.resolve('/', r));
    // runc masks what exists: /dev/null over a file, an empty read-only tmpfs over a directory.
    for (const raw of opts.maskedPaths ?? []) {
      const p = posix.resolve('/', raw);
      const st = this.stat(p);
      if (!st) continue;
      if (st.type === 'dir') {
        if (st.where === 'mem') for (const k of [...this.mem.keys()]) if (k.startsWith(p === '/' ? '/' : p + '/')) this.mem.delete(k);
        this.readonlyPaths.push(p);
      } else this.nullPaths.add(p);
    }
  }

  private readonlyAt(p: string): boolean {
    return this.readonlyPaths.some((r) => p === r || p.startsWith(r === '/' ? '/' : r + '/'));
  }

  private mkdirMem(p: string): void {
    for (let d = p; ; d = posix.dirname(d)) {
      if (!this.mem.has(d)) this.mem.set(d, { type: 'dir' });
      if (d === '/') break;
    }
  }

  /** A bind mount made inside the container (mount --bind): the innermost mount wins, as before. */
  bind(m: MountSpec): void {
    this.mounts.push({ ...m, containerPath: posix.resolve('/', m.containerPath) });
    this.mounts.sort((a, b) => b.containerPath.length - a.containerPath.length);
  }

  /** A bind mount inside the container of a path of its in-memory rootfs (mount --bind /etc /x): seen only in the container. */
  bindMem(at: string, to: string, readonly: boolean): void {
    this.memBinds.push({ at: posix.resolve('/', at), to: posix.resolve('/', to), readonly });
    this.memBinds.sort((a, b) => b.at.length - a.at.length);
  }

  /** Where an absolute (or cwd-relative) path lives. */
  locate(path: string, cwd = '/'): Where {
    let p = posix.resolve(cwd, path);
    const alias = this.memBinds.find((b) => p === b.at || p.startsWith(b.at + '/'));
    if (alias) {
      p = alias.to + p.slice(alias.at.length);
      if (alias.readonly) return { ...this.locate(p), readonly: true } as Where;
    }
    if (p === '/dev/null' || this.nullPaths.has(p)) return { where: 'null', path: p, readonly: false };
    for (const m of this.mounts) {
      if (p === m.containerPath || p.startsWith(m.containerPath === '/' ? '/' : m.containerPath + '/')) {
        const rel = posix.relative(m.containerPath, p);
        const hostPath = rel ? `${m.hostPath.replace(/\/+$/, '')}/${rel}` : m.hostPath;
        if (m.private && rel) {
          const later = nodeSubmounts(m.hostPath).find((s) => !m.submounts?.includes(s) && (hostPath === s || hostPath.startsWith(s + '/')));
          if (later) {
            const point = posix.join(m.containerPath, posix.relative(m.hostPath, later));
            if (!this.mem.has(point)) this.mkdirMem(point);
            return { where: 'mem', path: p, readonly: m.readonly };
          }
        }
        const inSubmount = !m.recursiveReadonly && !!m.submounts?.some((s) => hostPath === s || hostPath.startsWith(s + '/'));
        return { where: 'host', path: p, hostPath, readonly: (m.readonly && !inSubmount) || this.readonlyAt(p), mount: m };
      }
    }
    return { where: 'mem', path: p, readonly: this.readonlyRootfs || this.readonlyAt(p) };
  }

  stat(path: string, cwd = '/'): Stat | undefined {
    const w = this.locate(path, cwd);
    const v = w.where === 'mem' ? this.virtual?.(w.path) : undefined;
    if (v) return { type: 'file', size: v.length, where: 'mem' };
    if (w.where === 'null') return { type: 'file', size: 0, where: 'mem' };
    if (w.where === 'host') {
      try {
        const st = statSync(w.hostPath);
        return { type: st.isDirectory() ? 'dir' : 'file', size: st.size, where: 'host' };
      } catch {
        return undefined;
      }
    }
    const n = this.mem.get(w.path);
    if (!n) return undefined;
    return n.type === 'dir' ? { type: 'dir', size: 4096, where: 'mem' } : { type: 'file', size: n.data.length, exe: n.exe, where: 'mem' };
  }

  readFile(path: string, cwd = '/'): Buffer {
    const w = this.locate(path, cwd);
    const v = w.where === 'mem' ? this.virtual?.(w.path) : undefined;
    if (v) return v;
    if (w.where === 'null') return Buffer.alloc(0);
    if (w.where === 'host') return hostCall(w.path, () => readFileSync(w.hostPath));
    const n = this.mem.get(w.path);
    if (!n) throw new FsError('ENOENT', w.path);
    if (n.type === 'dir') throw new FsError('EISDIR', w.path);
    return n.data;
  }

  writeFile(path: string, data: string | Buffer, opts: { append?: boolean; cwd?: string } = {}): void {
    const w = this.locate(path, opts.cwd);
    if (w.where === 'null') return;
    if (w.readonly) throw new FsError('EROFS', w.path);
    if (w.where === 'host') {
      hostCall(w.path, () => (opts.append ? appendFileSync(w.hostPath, data) : writeFileSync(w.hostPath, data)));
      return;
    }
    const parent = this.mem.get(posix.dirname(w.path));
    if (!parent) throw new FsError('ENOENT', w.path);
    if (parent.type !== 'dir') throw new FsError('ENOTDIR', w.path);
    const cur = this.mem.get(w.path);
    if (cur?.type === 'dir') throw new FsError('EISDIR', w.path);
    const buf = Buffer.from(data);
    this.mem.set(w.path, { type: 'file', data: opts.append && cur ? Buffer.concat([cur.data, buf]) : buf, mtime: Date.now(), exe: cur?.exe });
  }

  /** touch: create empty or update the modification time. */
  touch(path: string, cwd = '/'): void {
    const w = this.locate(path, cwd);
    if (w.where === 'null') return;
    if (w.readonly) throw new FsError('EROFS', w.path);
    if (w.where === 'host') {
      hostCall(w.path, () => {
        try {
          const now = new Date();
          utimesSync(w.hostPath, now, now);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          appendFileSync(w.hostPath, '');
        }
      });
      return;
    }
    const n = this.mem.get(w.path);
    if (n?.type === 'file') n.mtime = Date.now();
    else if (!n) this.writeFile(w.path, '');
  }

  mkdir(path: string, opts: { parents?: boolean; cwd?: string } = {}): void {
    const w = this.locate(path, opts.cwd);
    if (w.where === 'null') throw new FsError('EEXIST', w.path);
    const exists = this.stat(w.path);
    if (exists) {
      if (opts.parents && exists.type === 'dir') return;
      throw new FsError('EEXIST', w.path);
    }
    if (w.readonly) throw new FsError('EROFS', w.path);
    if (w.where === 'host') {
      hostCall(w.path, () => mkdirSync(w.hostPath, { recursive: !!opts.parents }));
      return;
    }
    const parent = posix.dirname(w.path);
    if (!this.stat(parent)) {
      if (!opts.parents) throw new FsError('ENOENT', w.path);
      this.mkdir(parent, { parents: true });
    }
    if (this.stat(parent)?.type !== 'dir') throw new FsError('ENOTDIR', w.path);
    this.mem.set(w.path, { type: 'dir' });
  }

  rm(path: string, opts: { recursive?: boolean; cwd?: string; dir?: boolean } = {}): void {
    const w = this.locate(path, opts.cwd);
    if (w.where === 'null') throw new FsError('EACCES', w.path);
    const st = this.stat(w.path);
    if (!st) throw new FsError('ENOENT', w.path);
    if (st.type === 'dir' && !opts.recursive && !opts.dir) throw new FsError('EISDIR', w.path);
    if (this.mounts.some((m) => m.containerPath === w.path)) throw new FsError('EBUSY', w.path);
    if (w.readonly) throw new FsError('EROFS', w.path);
    if (st.type === 'dir' && opts.dir && !opts.recursive && this.readdir(w.path).length) throw new FsError('ENOTEMPTY', w.path);
    if (w.where === 'host') {
      hostCall(w.path, () => rmSync(w.hostPath, { recursive: !!opts.recursive || !!opts.dir, force: false }));
      return;
    }
    for (const k of [...this.mem.keys()]) if (k === w.path || k.startsWith(w.path + '/')) this.mem.delete(k);
  }

  readdir(path: string, cwd = '/'): string[] {
    const w = this.locate(path, cwd);
    if (w.where === 'null') throw new FsError('ENOTDIR', w.path);
    let names: string[];
    if (w.where === 'host') {
      names = hostCall(w.path, () => readdirSync(w.hostPath));
    } else {
      const n = this.mem.get(w.path);
      if (!n) throw new FsError('ENOENT', w.path);
      if (n.type !== 'dir') throw new FsError('ENOTDIR', w.path);
      const prefix = w.path === '/' ? '/' : w.path + '/';
      names = [...this.mem.keys()]
        .filter((k) => k !== w.path && k.startsWith(prefix) && !k.slice(prefix.length).includes('/'))
        .map((k) => k.slice(prefix.length));
    }
    // Mount points directly under this directory show up too.
    for (const m of this.mounts) {
      if (m.containerPath !== w.path && posix.dirname(m.containerPath) === w.path) names.push(posix.basename(m.containerPath));
    }
    return [...new Set(names)].sort();
  }

  /** Bytes and entries written to the in-memory rootfs (the writable layer), for stats. */
  usage(): { bytes: number; inodes: number } {
    let bytes = 0;
    for (const n of this.mem.values()) if (n.type === 'file' && !n.exe) bytes += n.data.length;
    return { bytes, inodes: this.mem.size };
  }

  /** The in-memory rootfs as plain data (pod checkpoints); what lives behind host mounts is not part of it. */
  snapshot(): RootfsEntry[] {
    return [...this.mem].map(([path, n]) =>
      n.type === 'dir'
        ? { path, type: 'dir' as const }
        : { path, type: 'file' as const, data: n.data.toString('base64'), ...(n.exe ? { exe: n.exe.applet } : {}), mtime: n.mtime },
    );
  }

  /** Put a snapshot's entries back, leaving the paths in `keep` as they are (files the runtime writes per sandbox). */
  restore(entries: RootfsEntry[], keep: ReadonlySet<string> = new Set()): void {
    for (const e of entries) {
      if (typeof e?.path !== 'string' || !e.path.startsWith('/')) throw new Error(`rootfs entry without an absolute path: ${JSON.stringify(e)?.slice(0, 80)}`);
      if (keep.has(e.path)) continue;
      if (e.type === 'dir') this.mkdirMem(e.path);
      else if (e.type === 'file' && typeof e.data === 'string') {
        this.mkdirMem(posix.dirname(e.path));
        this.mem.set(e.path, { type: 'file', data: Buffer.from(e.data, 'base64'), ...(e.exe ? { exe: { applet: e.exe } } : {}), mtime: e.mtime ?? Date.now() });
      } else throw new Error(`rootfs entry ${e.path}: unknown type ${JSON.stringify(e.type)}`);
    }
  }
}

/** One rootfs entry of a snapshot: a directory, or a file with base64 content. */
export type RootfsEntry = { path: string; type: 'dir' } | { path: string; type: 'file'; data: string; exe?: string; mtime?: number };

function hostCall<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && code in MESSAGES) throw new FsError(code as FsCode, path);
    if (code === 'EPERM') throw new FsError('EACCES', path);
    throw e;
  }
}
