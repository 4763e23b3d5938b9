// Offline test images, built from Debian's busybox-static and served by a real local registry:
//   busybox:1.36 (+ :latest)  every applet linked into /bin (and its usual /usr/bin, /sbin,
//                             /usr/sbin place), /etc/passwd + /etc/group (root, triad 1000,
//                             nobody), /tmp, /root, /home/triad, CMD ["sh"]
//   pause:3.9                 only /bin/busybox; entrypoint `sleep 2147483647` (forever)
// Layouts are written by writeImageLayout (our ustar + node:zlib + sha256 + JSON), then pushed
// with `skopeo copy oci:DIR:TAG docker://127.0.0.1:PORT/NAME:TAG --preserve-digests`.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, which } from '../reference/proc.js';
import { writeImageLayout, type BuiltImage, type ImageSpec, MEDIA } from './oci.js';
import type { TarEntry } from './tar.js';

export * from './oci.js';
export * from './tar.js';
export * from './registry.js';

export const BUSYBOX_TAGS = ['1.36', 'latest'];
export const PAUSE_TAGS = ['3.9'];
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The static busybox to put in images (Debian's busybox-static installs /bin/busybox). */
export function findBusybox(): string {
  const candidates = [process.env.TRIAD_BUSYBOX, '/bin/busybox', '/usr/bin/busybox', which('busybox')].filter(Boolean) as string[];
  for (const c of candidates) {
    try {
      const head = readFileSync(c).subarray(0, 4);
      if (head.toString('latin1') === '\x7fELF') return c;
    } catch {
      /* next */
    }
  }
  throw new Error('no busybox binary found (install busybox-static)');
}

/** Is `bin` statically linked (no PT_INTERP program header)? */
export function isStaticElf(bin: string): boolean {
  const b = readFileSync(bin);
  if (b.toString('latin1', 0, 4) !== '\x7fELF' || b[4] !== 2) return false; // 64-bit only
  const le = b[5] === 1;
  const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u64 = (o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  const phoff = u64(0x20),
    phentsize = u16(0x36),
    phnum = u16(0x38);
  for (let i = 0; i < phnum; i++) {
    const type = le ? b.readUInt32LE(phoff + i * phentsize) : b.readUInt32BE(phoff + i * phentsize);
    if (type === 3) return false; // PT_INTERP: dynamically linked
  }
  return true;
}

/** Applet paths as busybox itself lists them (`--list-full`: bin/ls, usr/bin/awk, sbin/ip…). */
export async function busyboxApplets(bin: string): Promise<string[]> {
  const out = await run(bin, ['--list-full']);
  return out
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s && !s.endsWith('/') && s !== 'bin/busybox');
}

const dir = (path: string, mode = 0o755, uid = 0, gid = 0): TarEntry => ({ type: 'dir', path, mode, uid, gid });

/** The busybox image: every applet linked in /bin, plus its canonical place when elsewhere. */
export async function busyboxSpec(bin = findBusybox(), tags = BUSYBOX_TAGS): Promise<ImageSpec> {
  if (!isStaticElf(bin)) throw new Error(`${bin} is not a static binary (install busybox-static)`);
  const data = readFileSync(bin);
  const applets = await busyboxApplets(bin);
  const entries: TarEntry[] = [
    dir('bin'),
    dir('sbin'),
    dir('usr'),
    dir('usr/bin'),
    dir('usr/sbin'),
    dir('usr/local'),
    dir('usr/local/bin'),
    dir('etc'),
    dir('root', 0o700),
    dir('home'),
    dir('home/triad', 0o755, 1000, 1000),
    dir('tmp', 0o1777),
    dir('var'),
    dir('var/tmp', 0o1777),
    dir('var/log'),
    dir('var/run'),
    dir('run'),
    dir('proc', 0o555),
    dir('sys', 0o555),
    dir('dev'),
    { type: 'file', path: 'bin/busybox', data, mode: 0o755 },
    {
      type: 'file',
      path: 'etc/passwd',
      data: Buffer.from('root:x:0:0:root:/root:/bin/sh\ntriad:x:1000:1000:triad:/home/triad:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'),
    },
    { type: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\ntriad:x:1000:\nnogroup:x:65534:\n') },
    { type: 'file', path: 'etc/shadow', data: Buffer.from('root:*:0:0:99999:7:::\ntriad:*:0:0:99999:7:::\nnobody:*:0:0:99999:7:::\n'), mode: 0o640 },
    { type: 'file', path: 'etc/hosts', data: Buffer.from('127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n') },
    { type: 'file', path: 'etc/nsswitch.conf', data: Buffer.from('hosts: files dns\n') },
  ];
  const seen = new Set(entries.map((e) => e.path));
  const link = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    entries.push({ type: 'symlink', path, target: '/bin/busybox' });
  };
  for (const applet of applets) {
    const name = applet.split('/').pop()!;
    link(`bin/${name}`);
    link(applet);
  }
  const version = (await run(bin, ['--help']).catch(() => '')).match(/BusyBox v([\d.]+)/)?.[1] ?? 'unknown';
  return {
    name: 'busybox',
    tags,
    entries,
    config: {
      Cmd: ['sh'],
      Env: [DEFAULT_PATH],
      WorkingDir: '/',
      Labels: { 'dev.triad.busybox.version': version, 'dev.triad.applets': String(applets.length) },
    },
    inputs: createHash('sha256').update(data).digest('hex'),
  };
}

/** The pause image: static busybox sleeping (practically) forever as PID 1. */
export function pauseSpec(bin = findBusybox(), tags = PAUSE_TAGS): ImageSpec {
  if (!isStaticElf(bin)) throw new Error(`${bin} is not a static binary (install busybox-static)`);
  const data = readFileSync(bin);
  return {
    name: 'pause',
    tags,
    entries: [dir('bin'), dir('dev'), dir('proc', 0o555), dir('sys', 0o555), dir('etc'), { type: 'file', path: 'bin/busybox', data, mode: 0o755 }],
    // The runtime SIGKILLs the sandbox container on StopPodSandbox, so no signal handling is needed.
    config: { Entrypoint: ['/bin/busybox', 'sleep', '2147483647'], Env: [DEFAULT_PATH], WorkingDir: '/', User: '65534:65534' },
    inputs: createHash('sha256').update(data).digest('hex'),
  };
}

/** Build (or reuse) both images under `cacheDir` (<cacheDir>/busybox, <cacheDir>/pause). */
export async function buildImages(cacheDir: string): Promise<{ busybox: BuiltImage; pause: BuiltImage }> {
  const bin = findBusybox();
  const busybox = writeImageLayout(join(cacheDir, 'busybox'), await busyboxSpec(bin));
  const pause = writeImageLayout(join(cacheDir, 'pause'), pauseSpec(bin));
  return { busybox, pause };
}

/** The manifest digest the registry serves for NAME:TAG, or undefined (404 / unreachable). */
export async function registryDigest(registry: string, name: string, tag: string): Promise<string | undefined> {
  try {
    const res = await fetch(`http://${registry}/v2/${name}/manifests/${tag}`, {
      method: 'HEAD',
      headers: { Accept: `${MEDIA.manifest}, application/vnd.docker.distribution.manifest.v2+json` },
      signal: AbortSignal.timeout(5000),
    });
    return res.ok ? (res.headers.get('docker-content-digest') ?? undefined) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Push every tag of a built layout into the registry (host:port) with skopeo, unless the
 * registry already serves exactly that manifest. Returns the refs, e.g. 127.0.0.1:5000/busybox:1.36.
 */
export async function pushImage(image: BuiltImage, registry: string, opts: { skopeo?: string } = {}): Promise<{ refs: string[]; pushed: string[] }> {
  const skopeo = opts.skopeo ?? which('skopeo') ?? 'skopeo';
  const refs: string[] = [];
  const pushed: string[] = [];
  for (const tag of image.tags) {
    const ref = `${registry}/${image.name}:${tag}`;
    refs.push(ref);
    if ((await registryDigest(registry, image.name, tag)) === image.manifestDigest) continue;
    // --insecure-policy: a local layout into a local registry needs no signature policy.
    await run(skopeo, ['--insecure-policy', 'copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', `oci:${image.dir}:${tag}`, `docker://${ref}`], {
      timeout: 120_000,
    });
    const served = await registryDigest(registry, image.name, tag);
    if (served !== image.manifestDigest) throw new Error(`pushed ${ref} but the registry serves ${served ?? 'nothing'} (want ${image.manifestDigest})`);
    pushed.push(ref);
  }
  return { refs, pushed };
}
