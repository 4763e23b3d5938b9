// The "registry" behind PullImage: images the runtime can pull, each with the config a real
// image carries (Entrypoint, Cmd, Env, WorkingDir, User, StopSignal), a size, the executables
// its rootfs holds (which simulated programs exist at which path) and extra files. Ids and
// digests are derived from the entry, so they are stable across runs.
import { createHash } from 'node:crypto';
import { busyboxExecutables } from './sim/index.js';
import { parseImageRef, repoName, type ImageRef } from './image-ref.js';

export interface CatalogueImage {
  /** Repository as people write it: `busybox`, `registry.k8s.io/pause`. */
  repository: string;
  /** Tags that name this image (one image, several tags). */
  tags: string[];
  /** Bytes (ImageStatus size, ImageFsInfo usage). */
  size: number;
  entrypoint?: string[];
  cmd?: string[];
  /** KEY=VALUE; PATH defaults to the usual one. */
  env?: string[];
  workingDir?: string;
  /** USER: `1000`, `1000:1000`, `nobody`; empty is root. */
  user?: string;
  /** STOPSIGNAL, e.g. SIGQUIT (default SIGTERM). */
  stopSignal?: string;
  /** The image's processes ignore SIGTERM: StopContainer waits out the grace period, then kills (137). */
  ignoreSigterm?: boolean;
  /** Absolute path → simulated program. Default: the busybox applets under /bin. */
  executables?: Record<string, string>;
  /**
   * Extra files of the rootfs (path → content). /etc/passwd and /etc/group are generated from
   * users and groups; given here instead, they are the image's users and groups (and then
   * users/groups must not be given).
   */
  files?: Record<string, string>;
  /**
   * /etc/passwd entries: name → uid, or {uid, gid, groups}: groups are further groups (gid or
   * group name) that list the user as a member in /etc/group. Default: root, daemon, bin,
   * www-data, nobody.
   */
  users?: Record<string, number | { uid: number; gid?: number; groups?: Array<number | string> }>;
  /** /etc/group entries besides each user's primary group: name → gid or {gid, members}. */
  groups?: Record<string, number | { gid: number; members?: string[] }>;
  labels?: Record<string, string>;
  /** Fixed image id / manifest digest (sha256:…); derived from the entry when omitted. */
  id?: string;
  digest?: string;
}

export interface CatalogueEntry {
  id: string;
  /** Manifest digest: repoDigest is `${repository}@${digest}`. */
  digest: string;
  /** Normalized repository, e.g. docker.io/library/busybox. */
  repository: string;
  tags: string[];
  size: number;
  config: {
    entrypoint: string[];
    cmd: string[];
    env: string[];
    workingDir: string;
    user: string;
    stopSignal: string;
    labels: Record<string, string>;
  };
  ignoreSigterm: boolean;
  executables: Record<string, string>;
  files: Record<string, string>;
  users: Map<string, { uid: number; gid: number }>;
  /** /etc/group: name → gid and member user names (containerd adds a member's groups to its process). */
  groups: Map<string, { gid: number; members: string[] }>;
}

const DEFAULT_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
const DEFAULT_USERS = { root: 0, daemon: 1, bin: 2, 'www-data': 33, nobody: 65534 };

/** What ships with memory-cri: busybox (two versions), pause, alpine, nginx-like, a non-root distroless. */
export const BUILTIN_IMAGES: CatalogueImage[] = [
  { repository: 'docker.io/library/busybox', tags: ['latest', '1.37', '1.37.0'], size: 2_167_176, cmd: ['sh'] },
  { repository: 'docker.io/library/busybox', tags: ['1.36', '1.36.1'], size: 2_160_406, cmd: ['sh'] },
  {
    repository: 'registry.k8s.io/pause',
    tags: ['3.10'],
    size: 320_368,
    entrypoint: ['/pause'],
    executables: { '/pause': 'pause' },
    user: '65535:65535',
    users: { root: 0 },
  },
  {
    repository: 'registry.k8s.io/pause',
    tags: ['3.9'],
    size: 321_520,
    entrypoint: ['/pause'],
    executables: { '/pause': 'pause' },
    user: '65535:65535',
    users: { root: 0 },
  },
  { repository: 'docker.io/library/alpine', tags: ['latest', '3.20'], size: 3_626_807, cmd: ['/bin/sh'] },
  {
    repository: 'docker.io/library/nginx',
    tags: ['latest', '1.27'],
    size: 72_099_501,
    cmd: ['nginx', '-g', 'daemon off;'],
    stopSignal: 'SIGQUIT',
    executables: { ...busyboxExecutables(), '/usr/sbin/nginx': 'nginx' },
    env: [...DEFAULT_ENV, 'NGINX_VERSION=1.27.0'],
    files: { '/usr/share/nginx/html/index.html': '<h1>Welcome to nginx (triad-memory)</h1>\n' },
  },
  {
    repository: 'gcr.io/distroless/static',
    tags: ['nonroot'],
    size: 1_996_512,
    user: '65532',
    executables: {},
    users: { root: 0, nonroot: 65532, nobody: 65534 },
  },
];

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export function toEntry(img: CatalogueImage): CatalogueEntry {
  if (!img.tags?.length) throw new Error(`memory-cri catalogue: image ${img.repository} needs at least one tag`);
  const r = parseImageRef(`${img.repository}:${img.tags[0]}`);
  const repository = repoName(r);
  const config = {
    entrypoint: img.entrypoint ?? [],
    cmd: img.cmd ?? [],
    env: img.env ?? DEFAULT_ENV,
    workingDir: img.workingDir ?? '',
    user: img.user ?? '',
    stopSignal: img.stopSignal ?? '',
    labels: img.labels ?? {},
  };
  const basis = JSON.stringify({ repository, tags: img.tags, size: img.size, config, executables: img.executables ?? 'busybox' });
  const id = img.id ?? `sha256:${sha(`config\n${basis}`)}`;
  const digest = img.digest ?? `sha256:${sha(`manifest\n${basis}`)}`;
  for (const [what, v] of [
    ['id', id],
    ['digest', digest],
  ]) {
    if (!/^sha256:[a-f0-9]{64}$/.test(v)) throw new Error(`memory-cri catalogue: ${repository} ${what} must be sha256:<64 hex>`);
  }
  const given = img.files ?? {};
  if (given['/etc/passwd'] !== undefined && img.users) throw new Error(`memory-cri catalogue: ${repository}: give users or files./etc/passwd, not both`);
  if (given['/etc/group'] !== undefined && img.groups) throw new Error(`memory-cri catalogue: ${repository}: give groups or files./etc/group, not both`);
  const users = given['/etc/passwd'] !== undefined ? parsePasswd(given['/etc/passwd'], repository) : usersOf(img.users ?? DEFAULT_USERS);
  const groups = given['/etc/group'] !== undefined ? parseGroup(given['/etc/group'], repository) : groupsOf(img, users, repository);
  const passwd = [...users].map(([n, u]) => `${n}:x:${u.uid}:${u.gid}:${n}:/${n === 'root' ? 'root' : 'home/' + n}:/bin/sh`).join('\n') + '\n';
  const group = [...groups].map(([n, g]) => `${n}:x:${g.gid}:${g.members.join(',')}`).join('\n') + '\n';
  return {
    id,
    digest,
    repository,
    tags: [...img.tags],
    size: img.size,
    config,
    ignoreSigterm: !!img.ignoreSigterm,
    executables: img.executables ?? busyboxExecutables(),
    files: { '/etc/passwd': passwd, '/etc/group': group, ...given },
    users,
    groups,
  };
}

function usersOf(spec: NonNullable<CatalogueImage['users']>): Map<string, { uid: number; gid: number }> {
  const users = new Map<string, { uid: number; gid: number }>();
  for (const [name, u] of Object.entries(spec)) {
    users.set(name, typeof u === 'number' ? { uid: u, gid: u } : { uid: u.uid, gid: u.gid ?? u.uid });
  }
  return users;
}

/** The declared groups, then a group named after each user for a primary gid no group has, then memberships. */
function groupsOf(img: CatalogueImage, users: Map<string, { uid: number; gid: number }>, repository: string): Map<string, { gid: number; members: string[] }> {
  const groups = new Map<string, { gid: number; members: string[] }>();
  for (const [name, g] of Object.entries(img.groups ?? {})) {
    groups.set(name, typeof g === 'number' ? { gid: g, members: [] } : { gid: g.gid, members: [...(g.members ?? [])] });
  }
  const hasGid = (gid: number) => [...groups.values()].some((g) => g.gid === gid);
  for (const [name, u] of users) if (!hasGid(u.gid) && !groups.has(name)) groups.set(name, { gid: u.gid, members: [] });
  for (const [name, u] of Object.entries(img.users ?? {})) {
    if (typeof u === 'number') continue;
    for (const want of u.groups ?? []) {
      const g = typeof want === 'number' ? [...groups.values()].find((x) => x.gid === want) : groups.get(want);
      if (!g) throw new Error(`memory-cri catalogue: ${repository}: users.${name}.groups: no group ${want} (declare it under groups)`);
      if (!g.members.includes(name)) g.members.push(name);
    }
  }
  return groups;
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

/** name:password:uid:gid:gecos:home:shell */
function parsePasswd(text: string, repository: string): Map<string, { uid: number; gid: number }> {
  const users = new Map<string, { uid: number; gid: number }>();
  lines(text).forEach((l, i) => {
    const f = l.split(':');
    if (f.length < 4 || !f[0] || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3])) {
      throw new Error(`memory-cri catalogue: ${repository}: files./etc/passwd line ${i + 1}: expected name:x:uid:gid:…, got ${JSON.stringify(l)}`);
    }
    users.set(f[0], { uid: Number(f[2]), gid: Number(f[3]) });
  });
  return users;
}

/** name:password:gid:member,member */
function parseGroup(text: string, repository: string): Map<string, { gid: number; members: string[] }> {
  const groups = new Map<string, { gid: number; members: string[] }>();
  lines(text).forEach((l, i) => {
    const f = l.split(':');
    if (f.length < 3 || !f[0] || !/^\d+$/.test(f[2])) {
      throw new Error(`memory-cri catalogue: ${repository}: files./etc/group line ${i + 1}: expected name:x:gid:members, got ${JSON.stringify(l)}`);
    }
    groups.set(f[0], {
      gid: Number(f[2]),
      members: (f[3] ?? '')
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean),
    });
  });
  return groups;
}

export class Catalogue {
  readonly entries: CatalogueEntry[];

  /** Later images win: a tag given again (options.images over the built-in ones) moves to the later image. */
  constructor(images: CatalogueImage[]) {
    const seen = new Set<string>();
    const out: CatalogueEntry[] = [];
    for (const e of images.map(toEntry).reverse()) {
      e.tags = e.tags.filter((t) => !seen.has(`${e.repository}:${t}`));
      for (const t of e.tags) seen.add(`${e.repository}:${t}`);
      out.unshift(e);
    }
    this.entries = out;
  }

  /** The image a reference names: by tag, or by manifest digest (or image id) for name@digest. */
  find(r: ImageRef): CatalogueEntry | undefined {
    const repo = repoName(r);
    const list = [...this.entries].reverse().filter((e) => e.repository === repo);
    if (r.digest) return list.find((e) => e.digest === r.digest || e.id === r.digest);
    return list.find((e) => e.tags.includes(r.tag ?? 'latest'));
  }
}
