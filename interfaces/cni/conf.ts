// Network configuration files: .conflist (a list) or .conf/.json (one plugin, loaded as a list
// of one), from a path or a string, with errors that name the file and the offending key.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { NetworkConfigList, PluginConf } from './types.js';
import { negotiateVersion, parseVersion, SUPPORTED_VERSIONS } from './version.js';

export class ConfError extends Error {
  constructor(
    readonly source: string,
    readonly key: string | undefined,
    reason: string,
  ) {
    super(`${source}: ${key ? `${key} ${reason}` : reason}`);
    this.name = 'ConfError';
  }
}

/** Network names and container IDs share this rule in the spec. */
export const CNI_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export const CONF_EXTENSIONS = ['.conf', '.conflist', '.json'];

export interface ParseOptions {
  /** Shown in errors: the file path, or '<string>'. */
  source?: string;
  /** 'list' requires `plugins`, 'single' a lone plugin; 'auto' decides by the presence of `plugins`. */
  kind?: 'list' | 'single' | 'auto';
  supportedVersions?: readonly string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parse a config list (or a single plugin config, upgraded to a list of one) from JSON text. */
export function parseConfList(text: string, opts: ParseOptions = {}): NetworkConfigList {
  const src = opts.source ?? '<string>';
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfError(src, undefined, `invalid JSON: ${(e as Error).message}`);
  }
  if (!isObj(raw)) throw new ConfError(src, undefined, 'not a JSON object');
  const kind = opts.kind ?? 'auto';
  const isList = kind === 'list' || (kind === 'auto' && 'plugins' in raw);
  const listObj: Obj = isList ? raw : singleToList(raw, src);
  return validateList(listObj, src, opts.supportedVersions ?? SUPPORTED_VERSIONS);
}

function singleToList(conf: Obj, src: string): Obj {
  if ('plugins' in conf) throw new ConfError(src, 'plugins', 'found in a single-plugin config (use a .conflist)');
  checkPlugin(conf, src, '');
  return { name: conf.name, cniVersion: conf.cniVersion, ...(conf.cniVersions ? { cniVersions: conf.cniVersions } : {}), plugins: [conf] };
}

function checkPlugin(p: unknown, src: string, at: string): asserts p is PluginConf {
  const key = (k: string) => (at ? `${at}.${k}` : k);
  if (!isObj(p)) throw new ConfError(src, at || 'config', 'must be an object');
  if (p.type === undefined || p.type === '') throw new ConfError(src, key('type'), 'is required');
  if (typeof p.type !== 'string') throw new ConfError(src, key('type'), 'must be a string');
  if (/[/\\]/.test(p.type) || p.type === '.' || p.type === '..')
    throw new ConfError(src, key('type'), `${JSON.stringify(p.type)} must be a plain executable name`);
  if (p.capabilities !== undefined) {
    if (!isObj(p.capabilities)) throw new ConfError(src, key('capabilities'), 'must be an object of booleans');
    for (const [c, v] of Object.entries(p.capabilities)) {
      if (typeof v !== 'boolean') throw new ConfError(src, key(`capabilities.${c}`), 'must be a boolean');
    }
  }
  if (p.ipam !== undefined && !isObj(p.ipam)) throw new ConfError(src, key('ipam'), 'must be an object');
  if (p.dns !== undefined && !isObj(p.dns)) throw new ConfError(src, key('dns'), 'must be an object');
}

function validateList(l: Obj, src: string, supported: readonly string[]): NetworkConfigList {
  if (l.name === undefined || l.name === '') throw new ConfError(src, 'name', 'is required');
  if (typeof l.name !== 'string') throw new ConfError(src, 'name', 'must be a string');
  if (!CNI_NAME_RE.test(l.name))
    throw new ConfError(src, 'name', `${JSON.stringify(l.name)} must start with a letter or digit and contain only letters, digits, '_', '.' and '-'`);
  if (l.cniVersion !== undefined) {
    if (typeof l.cniVersion !== 'string') throw new ConfError(src, 'cniVersion', 'must be a string');
    try {
      parseVersion(l.cniVersion);
    } catch (e) {
      throw new ConfError(src, 'cniVersion', (e as Error).message);
    }
  }
  if (l.cniVersions !== undefined) {
    if (!Array.isArray(l.cniVersions)) throw new ConfError(src, 'cniVersions', 'must be an array of strings');
    l.cniVersions.forEach((v, i) => {
      try {
        parseVersion(v as string);
      } catch (e) {
        throw new ConfError(src, `cniVersions[${i}]`, (e as Error).message);
      }
    });
  }
  if (l.cniVersion === undefined && l.cniVersions === undefined) throw new ConfError(src, 'cniVersion', 'is required');
  const cniVersion = negotiateVersion(l, supported);
  if (!cniVersion) {
    const offered = [...((l.cniVersions as string[] | undefined) ?? []), ...(l.cniVersion ? [l.cniVersion as string] : [])];
    throw new ConfError(src, l.cniVersions ? 'cniVersions' : 'cniVersion', `offers ${offered.join(', ')}, none supported (supported: ${supported.join(', ')})`);
  }
  for (const k of ['disableCheck', 'disableGC', 'loadOnlyInlinedPlugins']) {
    const v = l[k];
    if (v === undefined || typeof v === 'boolean') continue;
    // libcni also accepts the strings "true"/"false" here.
    if (typeof v === 'string' && /^(true|false)$/i.test(v)) l[k] = v.toLowerCase() === 'true';
    else throw new ConfError(src, k, 'must be a boolean');
  }
  if (l.plugins === undefined) throw new ConfError(src, 'plugins', 'is required');
  if (!Array.isArray(l.plugins)) throw new ConfError(src, 'plugins', 'must be an array');
  if (l.plugins.length === 0) throw new ConfError(src, 'plugins', 'must not be empty');
  l.plugins.forEach((p, i) => checkPlugin(p, src, `plugins[${i}]`));
  return { ...l, cniVersion } as NetworkConfigList;
}

/** Load a config file; the extension decides list vs single (.conflist is a list). */
export function loadConfFile(path: string, opts: Omit<ParseOptions, 'source' | 'kind'> = {}): NetworkConfigList {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfError(path, undefined, `cannot read: ${(e as Error).message}`);
  }
  const kind = extname(path) === '.conflist' ? 'list' : 'single';
  return parseConfList(text, { ...opts, source: path, kind });
}

/** Config files in dir with the given extensions, sorted by name (libcni's ConfFiles + sort). */
export function confFiles(dir: string, extensions: string[] = CONF_EXTENSIONS): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .filter((n) => extensions.includes(extname(n)))
    .map((n) => join(dir, n))
    .filter((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    })
    .sort();
}

/**
 * The network containerd would use: the first config file of dir in name order. Like containerd,
 * a broken first file is an error rather than silently skipped.
 */
export function loadFirstConfList(dir: string, opts: Omit<ParseOptions, 'source' | 'kind'> = {}): NetworkConfigList & { file: string } {
  const files = confFiles(dir);
  if (files.length === 0) throw new ConfError(dir, undefined, `no network config found (looked for ${CONF_EXTENSIONS.join(', ')})`);
  return { ...loadConfFile(files[0], opts), file: files[0] };
}

/** The network named `name` in dir: .conflist files first, then single configs (libcni's LoadConfList). */
export function loadConfListByName(dir: string, name: string, opts: Omit<ParseOptions, 'source' | 'kind'> = {}): NetworkConfigList & { file: string } {
  const lists = confFiles(dir, ['.conflist']);
  const singles = confFiles(dir, ['.conf', '.json']);
  for (const f of [...lists, ...singles]) {
    const l = loadConfFile(f, opts);
    if (l.name === name) return { ...l, file: f };
  }
  throw new ConfError(dir, undefined, `no network named ${JSON.stringify(name)} (searched ${lists.length + singles.length} config files)`);
}
