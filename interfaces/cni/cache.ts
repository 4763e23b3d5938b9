// The ADD result cache, in libcni's on-disk format (results/<network>-<container>-<ifname>,
// kind "cniCacheV1"), so DEL and CHECK can hand plugins the prevResult the spec asks for, even
// from another process, and so a cache written by containerd's libcni is readable here.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Result } from './types.js';
import { userTempDir } from '../util/tmp.js';

export const DEFAULT_CACHE_DIR = userTempDir('triad-cni-cache');
const KIND = 'cniCacheV1';

export interface CacheEntry {
  kind: typeof KIND;
  containerId: string;
  /** The network config list JSON, base64 (Go marshals []byte that way). */
  config: string;
  ifName: string;
  networkName: string;
  netns?: string;
  cniArgs?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
  result?: Result;
}

export interface CacheKey {
  network: string;
  containerID: string;
  ifName: string;
}

export const cacheFile = (dir: string, k: CacheKey) => join(dir, 'results', `${k.network}-${k.containerID}-${k.ifName}`);

export function writeCache(dir: string, entry: Omit<CacheEntry, 'kind'>): void {
  const file = cacheFile(dir, { network: entry.networkName, containerID: entry.containerId, ifName: entry.ifName });
  mkdirSync(join(dir, 'results'), { recursive: true, mode: 0o700 });
  // Write-then-rename: a concurrent reader sees the old entry or the new one, never half.
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(tmp, JSON.stringify({ kind: KIND, ...entry }), { mode: 0o600 });
  renameSync(tmp, file);
}

/** The cached entry; undefined when absent. Throws when present but unreadable. */
export function readCache(dir: string, k: CacheKey): CacheEntry | undefined {
  let text: string;
  try {
    text = readFileSync(cacheFile(dir, k), 'utf8');
  } catch {
    return undefined;
  }
  const e = JSON.parse(text) as CacheEntry;
  if (e?.kind !== KIND) throw new Error(`cached result ${cacheFile(dir, k)} has kind ${JSON.stringify(e?.kind)}, expected ${KIND}`);
  return e;
}

export function deleteCache(dir: string, k: CacheKey): void {
  rmSync(cacheFile(dir, k), { force: true });
}

/** Every readable cache entry, optionally for one container. */
export function listCache(dir: string, containerID?: string): CacheEntry[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, 'results'))
      .filter((n) => !n.includes('.tmp-'))
      .sort();
  } catch {
    return [];
  }
  const out: CacheEntry[] = [];
  for (const n of names) {
    try {
      const e = JSON.parse(readFileSync(join(dir, 'results', n), 'utf8')) as CacheEntry;
      if (e.kind !== KIND || !e.ifName || !e.networkName) continue;
      if (containerID && e.containerId !== containerID) continue;
      out.push(e);
    } catch {
      /* unreadable entries are not attachments */
    }
  }
  return out;
}
