// An images file: a YAML list of catalogue entries the runtime serves besides its built-in ones
// (`triad serve memory-cri --images FILE`, `runtime: { type: memory, images: FILE }`). Validated
// strictly: every error names the file, the entry (index and repository) and the field.
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { toEntry, type CatalogueImage } from './catalogue.js';
import { parseImageRef, RefError, repoName } from './image-ref.js';
import { busyboxExecutables, simulatedPrograms } from './sim/index.js';

export class ImageFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ImageFileError';
  }
}

/** Default size of an entry without one (ImageStatus size, ImageFsInfo usage). */
export const DEFAULT_IMAGE_SIZE = 1_048_576;

const KEYS = [
  'repository',
  'tags',
  'digest',
  'id',
  'size',
  'entrypoint',
  'cmd',
  'env',
  'workingDir',
  'user',
  'stopSignal',
  'ignoreSigterm',
  'labels',
  'busybox',
  'executables',
  'files',
  'users',
  'groups',
] as const;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
const NAME = /^[a-z_][a-z0-9_.-]*\$?$/i;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 4294967294;

/** Read and validate an images file. */
export function loadImageFile(file: string): CatalogueImage[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ImageFileError(file, `cannot read images file: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    const line = e instanceof YAMLParseError && e.linePos ? ` (line ${e.linePos[0].line})` : '';
    throw new ImageFileError(file, `invalid YAML${line}: ${(e as Error).message.split('\n')[0]}`);
  }
  return parseImageList(raw ?? [], file);
}

/** Validate a parsed images list (a YAML/JSON value); `source` names it in errors. */
export function parseImageList(raw: unknown, source: string): CatalogueImage[] {
  if (!Array.isArray(raw)) throw new ImageFileError(source, `must be a list of images (got ${isObj(raw) ? 'a mapping' : typeof raw})`);
  const images = raw.map((v, i) => parseImage(v, i, source));
  // the image store keys images by id: two entries with one id would be one image with two configs
  const ids = new Map<string, number>();
  images.forEach((img, i) => {
    const id = toEntry(img).id;
    const first = ids.get(id);
    if (first !== undefined)
      throw new ImageFileError(source, `images[${i}] (${img.repository}): id: ${id} is already the id of images[${first}] (${images[first].repository})`);
    ids.set(id, i);
  });
  return images;
}

function parseImage(v: unknown, i: number, source: string): CatalogueImage {
  const repo = isObj(v) && typeof v.repository === 'string' ? ` (${v.repository})` : '';
  const fail = (field: string, msg: string): never => {
    throw new ImageFileError(source, `images[${i}]${repo}${field ? `: ${field}` : ''}: ${msg}`);
  };
  if (!isObj(v)) return fail('', 'must be a mapping with repository and tags');
  for (const k of Object.keys(v)) if (!(KEYS as readonly string[]).includes(k)) fail(k, `unknown field (known: ${KEYS.join(', ')})`);

  const str = (k: string, required = false): string | undefined => {
    const x = v[k];
    if (x === undefined || x === null) return required ? fail(k, 'required') : undefined;
    if (typeof x !== 'string') return fail(k, `must be a string (got ${JSON.stringify(x)})`);
    return x;
  };
  const strList = (k: string): string[] | undefined => {
    const x = v[k];
    if (x === undefined || x === null) return undefined;
    if (!Array.isArray(x) || x.some((s) => typeof s !== 'string')) return fail(k, 'must be a list of strings');
    return x as string[];
  };
  const strMap = (k: string): Record<string, string> | undefined => {
    const x = v[k];
    if (x === undefined || x === null) return undefined;
    if (!isObj(x)) return fail(k, 'must be a mapping of strings');
    for (const [key, val] of Object.entries(x)) if (typeof val !== 'string') fail(`${k}.${key}`, 'must be a string');
    return x as Record<string, string>;
  };

  const repository = str('repository', true)!;
  try {
    const r = parseImageRef(repository);
    if (r.digest || /:[^/]*$/.test(repository)) fail('repository', 'a repository without tag or digest (give them in tags and digest)');
  } catch (e) {
    if (e instanceof RefError) fail('repository', e.message);
    throw e;
  }
  const tags = strList('tags') ?? fail('tags', 'required: at least one tag');
  if (!tags.length) fail('tags', 'required: at least one tag');
  for (const [n, tag] of tags.entries()) {
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) fail(`tags[${n}]`, `invalid tag ${JSON.stringify(tag)}`);
  }
  const digest = str('digest');
  if (digest !== undefined && !SHA256.test(digest)) fail('digest', `must be sha256:<64 hex> (got ${JSON.stringify(digest)})`);
  const id = str('id');
  if (id !== undefined && !SHA256.test(id)) fail('id', `must be sha256:<64 hex> (got ${JSON.stringify(id)})`);
  const size = v.size ?? DEFAULT_IMAGE_SIZE;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) fail('size', `must be a whole number of bytes (got ${JSON.stringify(v.size)})`);
  const env = strList('env');
  for (const [n, kv] of (env ?? []).entries()) if (!/^[^=]+=/.test(kv)) fail(`env[${n}]`, `must be KEY=VALUE (got ${JSON.stringify(kv)})`);
  const user = str('user');
  if (user !== undefined && !/^[^:\s]*(:[^:\s]+)?$/.test(user)) fail('user', `must be USER or USER:GROUP, by name or number (got ${JSON.stringify(user)})`);
  const stopSignal = str('stopSignal');
  if (stopSignal !== undefined && !/^(SIG)?[A-Z0-9+]+$/.test(stopSignal))
    fail('stopSignal', `must be a signal name such as SIGQUIT (got ${JSON.stringify(stopSignal)})`);
  const workingDir = str('workingDir');
  if (workingDir !== undefined && workingDir !== '' && !workingDir.startsWith('/')) fail('workingDir', 'must be an absolute path');
  for (const k of ['ignoreSigterm', 'busybox']) if (v[k] !== undefined && typeof v[k] !== 'boolean') fail(k, 'must be true or false');

  // programs: the busybox applets under /bin unless busybox: false, plus executables (path → program)
  const known = new Set(simulatedPrograms());
  const executables = strMap('executables') ?? {};
  for (const [path, prog] of Object.entries(executables)) {
    if (!path.startsWith('/')) fail(`executables.${path}`, 'must be an absolute path');
    if (!known.has(prog)) fail(`executables.${path}`, `no simulated program ${JSON.stringify(prog)} (known: ${[...known].join(', ')})`);
  }
  const files = strMap('files');
  for (const path of Object.keys(files ?? {})) if (!path.startsWith('/')) fail(`files.${path}`, 'must be an absolute path');

  const users = parseUsers(v.users, fail);
  const groups = parseGroups(v.groups, fail);
  if (users && files?.['/etc/passwd'] !== undefined) fail('users', 'give users or files./etc/passwd, not both');
  if (groups && files?.['/etc/group'] !== undefined) fail('groups', 'give groups or files./etc/group, not both');

  const img: CatalogueImage = {
    repository,
    tags,
    size: size as number,
    ...(digest !== undefined ? { digest } : {}),
    ...(id !== undefined ? { id } : {}),
    ...(v.entrypoint !== undefined ? { entrypoint: strList('entrypoint') } : {}),
    ...(v.cmd !== undefined ? { cmd: strList('cmd') } : {}),
    ...(env ? { env } : {}),
    ...(workingDir !== undefined ? { workingDir } : {}),
    ...(user !== undefined ? { user } : {}),
    ...(stopSignal !== undefined ? { stopSignal } : {}),
    ...(v.ignoreSigterm ? { ignoreSigterm: true } : {}),
    ...(v.labels !== undefined ? { labels: strMap('labels') } : {}),
    executables: { ...(v.busybox === false ? {} : busyboxExecutables()), ...executables },
    ...(files ? { files } : {}),
    ...(users ? { users } : {}),
    ...(groups ? { groups } : {}),
  };
  // what only the whole entry can tell (group memberships, /etc/passwd lines): the catalogue's own checks
  try {
    toEntry(img);
  } catch (e) {
    const prefix = `memory-cri catalogue: ${repoName(parseImageRef(repository))}: `;
    const msg = (e as Error).message;
    fail('', msg.startsWith(prefix) ? msg.slice(prefix.length) : msg);
  }
  return img;
}

type Fail = (field: string, msg: string) => never;

function parseUsers(raw: unknown, fail: Fail): CatalogueImage['users'] {
  if (raw === undefined || raw === null) return undefined;
  if (!isObj(raw)) return fail('users', 'must be a mapping of user name → uid or {uid, gid, groups}');
  const out: NonNullable<CatalogueImage['users']> = {};
  for (const [name, u] of Object.entries(raw)) {
    const p = `users.${name}`;
    if (!NAME.test(name)) fail(p, 'not a valid user name');
    if (isId(u)) {
      out[name] = u;
      continue;
    }
    if (!isObj(u)) fail(p, 'must be a uid or {uid, gid, groups}');
    const o = u as Obj;
    for (const k of Object.keys(o)) if (!['uid', 'gid', 'groups'].includes(k)) fail(`${p}.${k}`, 'unknown field (known: uid, gid, groups)');
    if (!isId(o.uid)) fail(`${p}.uid`, 'required: a number 0–4294967294');
    if (o.gid !== undefined && !isId(o.gid)) fail(`${p}.gid`, 'must be a number 0–4294967294');
    const groups = o.groups ?? [];
    if (!Array.isArray(groups) || groups.some((g) => !isId(g) && (typeof g !== 'string' || !NAME.test(g))))
      fail(`${p}.groups`, 'must be a list of gids or group names');
    out[name] = {
      uid: o.uid as number,
      ...(o.gid !== undefined ? { gid: o.gid as number } : {}),
      ...(o.groups !== undefined ? { groups: groups as Array<number | string> } : {}),
    };
  }
  return out;
}

function parseGroups(raw: unknown, fail: Fail): CatalogueImage['groups'] {
  if (raw === undefined || raw === null) return undefined;
  if (!isObj(raw)) return fail('groups', 'must be a mapping of group name → gid or {gid, members}');
  const out: NonNullable<CatalogueImage['groups']> = {};
  for (const [name, g] of Object.entries(raw)) {
    const p = `groups.${name}`;
    if (!NAME.test(name)) fail(p, 'not a valid group name');
    if (isId(g)) {
      out[name] = g;
      continue;
    }
    if (!isObj(g)) fail(p, 'must be a gid or {gid, members}');
    const o = g as Obj;
    for (const k of Object.keys(o)) if (!['gid', 'members'].includes(k)) fail(`${p}.${k}`, 'unknown field (known: gid, members)');
    if (!isId(o.gid)) fail(`${p}.gid`, 'required: a number 0–4294967294');
    const members = o.members ?? [];
    if (!Array.isArray(members) || members.some((m) => typeof m !== 'string')) fail(`${p}.members`, 'must be a list of user names');
    out[name] = { gid: o.gid as number, members: members as string[] };
  }
  return out;
}
