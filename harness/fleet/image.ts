// `triad image build`: an OCI image of triad itself, built offline from this machine (no base
// image): the node binary and every shared library it links (ldd), `ip` with its libraries (the
// CNI suite's --netns checks run it), a few /etc files, the compiled package as npm would ship
// it, and its production dependencies. Written by the project's own OCI writer
// (plugins/images): fixed mtimes and ids, canonical entry order, canonical JSON, so the same
// inputs always give the same digest.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative, resolve } from 'node:path';
import { writeImageLayout, type BuiltImage, type ImageSpec } from '../../plugins/images/oci.js';
import type { TarEntry } from '../../plugins/images/tar.js';

/** Where the package lives in the image. */
export const APP_DIR = '/opt/triad';
export const NODE_IN_IMAGE = '/usr/local/bin/node';
export const IMAGE_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface TriadImageOptions {
  /** The triad checkout to build from. */
  root: string;
  name?: string;
  tag?: string;
  /** The node binary to ship (default: the one running this). */
  node?: string;
}

class Entries {
  private readonly byPath = new Map<string, TarEntry>();
  private readonly lddCache = new Map<string, string[]>();

  get list(): TarEntry[] {
    return [...this.byPath.values()];
  }

  private put(e: TarEntry): void {
    const p = e.path.replace(/^\/+/, '');
    const had = this.byPath.get(p);
    if (had) {
      if (had.type !== e.type) throw new Error(`image: ${p} is both a ${had.type} and a ${e.type}`);
      return;
    }
    this.byPath.set(p, { ...e, path: p });
  }

  dir(path: string, mode = 0o755): void {
    const parts = path.replace(/^\/+/, '').split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      const had = this.byPath.get(p);
      if (had && had.type === 'symlink') continue; // lib -> usr/lib: the link stands for the dir
      this.put({ type: 'dir', path: p, mode: i === parts.length ? mode : 0o755 });
    }
  }

  file(path: string, data: Buffer, mode = 0o644): void {
    this.dir(posix.dirname(path));
    this.put({ type: 'file', path, data, mode });
  }

  /**
   * The host file at `path` at the same path in the image, with every symlink on the way
   * (merged /usr: /lib -> usr/lib) recreated as a symlink, so the loader finds what ldd found.
   */
  hostPath(path: string): void {
    const parts = resolve(path).split('/').filter(Boolean);
    let cur = '';
    for (let i = 0; i < parts.length; i++) {
      cur = `${cur}/${parts[i]}`;
      const st = lstatSync(cur);
      if (st.isSymbolicLink()) {
        const target = readlinkSync(cur);
        this.dir(posix.dirname(cur));
        this.put({ type: 'symlink', path: cur, target });
        const abs = target.startsWith('/') ? target : posix.join(posix.dirname(cur), target);
        return this.hostPath(posix.join(abs, ...parts.slice(i + 1)));
      }
      if (i < parts.length - 1) continue;
      if (!st.isFile()) throw new Error(`image: ${cur} is not a regular file`);
      this.file(cur, readFileSync(cur), st.mode & 0o111 ? 0o755 : 0o644);
    }
  }

  /** A dynamically linked binary and every library ldd resolves for it. */
  binary(hostBin: string, at: string): void {
    this.file(at, readFileSync(hostBin), 0o755);
    for (const lib of this.ldd(hostBin)) this.hostPath(lib);
  }

  private ldd(bin: string): string[] {
    const hit = this.lddCache.get(bin);
    if (hit) return hit;
    let out: string;
    try {
      out = execFileSync('ldd', [bin], { encoding: 'utf8' });
    } catch (e) {
      const text = String((e as { stdout?: string }).stdout ?? '') + String((e as { stderr?: string }).stderr ?? '');
      if (/not a dynamic executable/.test(text)) return [];
      throw new Error(`ldd ${bin} failed: ${text.trim() || (e as Error).message}`);
    }
    const libs: string[] = [];
    for (const line of out.split('\n')) {
      if (/not found/.test(line)) throw new Error(`${bin} needs a library this machine lacks: ${line.trim()}`);
      const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
      if (m) libs.push(m[1]);
    }
    libs.sort();
    this.lddCache.set(bin, libs);
    return libs;
  }

  /** A directory tree from the host at `at` (files keep only their executable bit; symlinks stay links). */
  tree(hostDir: string, at: string, skip: (rel: string) => boolean = () => false): void {
    const walk = (d: string) => {
      for (const name of readdirSync(d).sort()) {
        const p = join(d, name);
        const rel = relative(hostDir, p);
        if (skip(rel)) continue;
        const st = lstatSync(p);
        const dest = posix.join(at, rel.split('\\').join('/'));
        if (st.isSymbolicLink()) {
          this.dir(posix.dirname(dest));
          this.put({ type: 'symlink', path: dest, target: readlinkSync(p) });
        } else if (st.isDirectory()) {
          this.dir(dest);
          walk(p);
        } else if (st.isFile()) this.file(dest, readFileSync(p), st.mode & 0o111 ? 0o755 : 0o644);
      }
    };
    this.dir(at);
    walk(hostDir);
  }
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function which(cmd: string): string | undefined {
  for (const d of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin', '/bin'])) {
    const p = join(d, cmd);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** The package's files (package.json `files`, as npm would pack them) other than dist/. */
function packedSourceFiles(root: string): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  return (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0].files
    .map((f) => f.path)
    .filter((p) => !p.startsWith('dist/'))
    .sort();
}

/** Compile the package (tsconfig.build.json) into a fresh directory; returns it (caller removes). */
function compile(root: string): string {
  const out = mkdtempSync(join(tmpdir(), 'triad-image-dist-'));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    rmSync(out, { recursive: true, force: true });
    throw new Error(`compiling triad failed: ${String((e as { stdout?: Buffer }).stdout ?? '')}${String((e as { stderr?: Buffer }).stderr ?? '')}`.trim());
  }
  return out;
}

/** The production dependencies' directories, relative to root (node_modules/…), as npm resolved them. */
function productionDependencies(root: string): string[] {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  const rootReal = realpathSync(root);
  return [
    ...new Set(
      out
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .map((p) => relative(root, p) || relative(rootReal, p))
        .filter((p) => p.startsWith('node_modules')),
    ),
  ].sort();
}

/** Everything the image holds, and its config. */
export function triadImageSpec(o: TriadImageOptions): ImageSpec {
  const root = resolve(o.root);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  const e = new Entries();

  // The runtime: node and what it links; `ip` for the CNI suite's namespaces.
  const node = realpathSync(o.node ?? process.execPath);
  e.binary(node, NODE_IN_IMAGE);
  const ip = which('ip');
  if (ip) e.binary(realpathSync(ip), '/usr/sbin/ip');

  // /etc and the usual directories.
  e.file('/etc/passwd', Buffer.from('root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n'));
  e.file('/etc/group', Buffer.from('root:x:0:\nnogroup:x:65534:\n'));
  e.file('/etc/nsswitch.conf', Buffer.from('passwd: files\ngroup: files\nhosts: files dns\n'));
  e.file('/etc/hosts', Buffer.from('127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'));
  e.dir('/tmp', 0o1777);
  e.dir('/root', 0o700);
  for (const d of ['/proc', '/sys']) e.dir(d, 0o555);
  for (const d of ['/dev', '/run', '/var/run/netns', '/var/lib']) e.dir(d);

  // The package as npm ships it: sources' shipped files, the compiled dist/, the dependencies.
  for (const f of packedSourceFiles(root)) {
    const st = statSync(join(root, f));
    e.file(posix.join(APP_DIR, f), readFileSync(join(root, f)), st.mode & 0o111 ? 0o755 : 0o644);
  }
  const dist = compile(root);
  try {
    e.tree(dist, posix.join(APP_DIR, 'dist'), (rel) => rel.endsWith('.map') || rel.startsWith('conformance/broken'));
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
  for (const dep of productionDependencies(root)) {
    // Nested node_modules are their own entries in npm's list.
    e.tree(join(root, dep), posix.join(APP_DIR, dep), (rel) => rel === 'node_modules' || rel.startsWith(`node_modules/`));
  }

  const entries = e.list;
  const tag = o.tag ?? pkg.version;
  return {
    name: o.name ?? 'triad',
    tags: [tag],
    entries,
    config: {
      Entrypoint: [NODE_IN_IMAGE, posix.join(APP_DIR, 'bin', 'triad.js')],
      Cmd: ['--help'],
      Env: [IMAGE_PATH, 'NODE_ENV=production'],
      WorkingDir: '/',
      Labels: {
        'org.opencontainers.image.title': 'triad',
        'org.opencontainers.image.version': pkg.version,
        'dev.triad.node.version': execFileSync(node, ['--version'], { encoding: 'utf8' }).trim(),
      },
    },
    inputs: sha256(readFileSync(node)),
  };
}

/** Build the layout at `out` (a directory: <out>/<name>). */
export function buildTriadImage(out: string, o: TriadImageOptions): BuiltImage {
  const spec = triadImageSpec(o);
  return writeImageLayout(join(resolve(out), spec.name), spec);
}

/** Split REGISTRY/NAME:TAG (the registry is the first component, with a dot, a colon or localhost). */
export function parseImageRef(ref: string): { registry: string; name: string; tag: string } {
  const m = /^([^/]+)\/(.+?)(?::([\w][\w.-]{0,127}))?$/.exec(ref);
  if (!m || !/[.:]|^localhost$/.test(m[1])) throw new Error(`--push ${JSON.stringify(ref)}: expected REGISTRY/NAME:TAG (e.g. 127.0.0.1:5000/triad:0.1.0)`);
  const name = m[2];
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(name))
    throw new Error(`--push ${JSON.stringify(ref)}: ${JSON.stringify(name)} is not a repository name (lowercase, digits, . _ - /)`);
  return { registry: m[1], name, tag: m[3] ?? 'latest' };
}
