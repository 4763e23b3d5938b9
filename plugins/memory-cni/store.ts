// Allocations on disk, host-local style: one file per allocated IP (name = the IP, content =
// "<containerID>\n<ifname>") and a last-reserved pointer, so separate plugin processes share
// one view. An IP is claimed by link(2)-ing a fully written temp file to the IP's name: link
// fails with EEXIST if the name exists, so two concurrent ADDs can never both get an address,
// and a reader never sees a claimed-but-empty file. That makes a lock unnecessary.
//
// Finding an attachment's address must not read every allocation (that made ADD and DEL O(n) and
// a node with thousands of pods quadratic): each attachment also has an index file
// (.attachment-<hash of containerID and ifName>, content = the IP), written before the IP is
// claimed. The IP file stays the truth: an index entry counts only when the IP file it names still
// holds that attachment, so a stale or half-written entry (a crash between the two writes) reads
// as "no allocation". A state dir written before the index existed is indexed once (.indexed
// marks a dir whose allocations all have entries).
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cniError, CniErrorCode, formatIp, parseIp, type Ip } from '../../interfaces/cni/index.js';
import type { MemoryConf } from './config.js';

const LAST_RESERVED = 'last_reserved_ip.0';

export interface Allocation {
  ip: Ip;
  address: string;
  containerID: string;
  ifName: string;
}

let seq = 0;
const tmpName = (dir: string) => join(dir, `.tmp-${process.pid}-${Date.now()}-${++seq}`);

const INDEXED = '.indexed';
/** State dirs this process has seen indexed (saves a stat per call). */
const indexedDirs = new Set<string>();

function ensureDir(dir: string): void {
  try {
    if (mkdirSync(dir, { recursive: true }) !== undefined) writeFileSync(join(dir, INDEXED), '');
  } catch (e) {
    throw cniError(CniErrorCode.IoFailure, `cannot create state dir ${dir}`, (e as Error).message);
  }
}

const indexName = (containerID: string, ifName: string) =>
  `.attachment-${createHash('sha256').update(`${containerID}\u0000${ifName}`).digest('hex').slice(0, 40)}`;

function writeIndex(conf: MemoryConf, containerID: string, ifName: string, address: string): void {
  // Written in place (no temp + rename): a torn entry names no IP file of this attachment, which
  // reads as "no allocation" like any stale entry.
  try {
    writeFileSync(join(conf.stateDir, indexName(containerID, ifName)), address);
  } catch (e) {
    throw cniError(CniErrorCode.IoFailure, `cannot record the allocation of ${containerID}/${ifName} in ${conf.stateDir}`, (e as Error).message);
  }
}

function dropIndex(conf: MemoryConf, containerID: string, ifName: string, address?: string): void {
  const f = join(conf.stateDir, indexName(containerID, ifName));
  try {
    if (address !== undefined && readFileSync(f, 'utf8').trim() !== address) return; // points elsewhere now
    unlinkSync(f);
  } catch {
    /* none */
  }
}

/** Index a state dir written before the index existed (once; safe to race). */
function ensureIndexed(conf: MemoryConf): void {
  if (indexedDirs.has(conf.stateDir)) return;
  if (!existsSync(join(conf.stateDir, INDEXED))) {
    if (!existsSync(conf.stateDir)) return; // nothing allocated, nothing to index
    for (const a of listAllocations(conf)) writeIndex(conf, a.containerID, a.ifName, a.address);
    try {
      writeFileSync(join(conf.stateDir, INDEXED), '');
    } catch {
      return;
    }
  }
  indexedDirs.add(conf.stateDir);
}

/** The IP file's holder, or undefined when the file is gone. */
function holder(conf: MemoryConf, address: string): { containerID: string; ifName: string } | undefined {
  let text: string;
  try {
    text = readFileSync(join(conf.stateDir, address), 'utf8');
  } catch {
    return undefined;
  }
  const [containerID = '', ifName = ''] = text.split('\n').map((s) => s.trim());
  return { containerID, ifName };
}

/** Every allocation in the state dir. */
export function listAllocations(conf: MemoryConf): Allocation[] {
  let names: string[];
  try {
    names = readdirSync(conf.stateDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw cniError(CniErrorCode.IoFailure, `cannot read state dir ${conf.stateDir}`, (e as Error).message);
  }
  const out: Allocation[] = [];
  for (const name of names) {
    const ip = parseIp(name);
    if (!ip) continue; // the pointer, temp files
    let text: string;
    try {
      text = readFileSync(join(conf.stateDir, name), 'utf8');
    } catch {
      continue;
    } // released meanwhile
    const [containerID = '', ifName = ''] = text.split('\n').map((s) => s.trim());
    out.push({ ip, address: name, containerID, ifName });
  }
  return out;
}

/** The allocation of (containerID, ifName), through the index: O(1) in the number of allocations. */
export function findAllocation(conf: MemoryConf, containerID: string, ifName: string): Allocation | undefined {
  ensureIndexed(conf);
  let address: string;
  try {
    address = readFileSync(join(conf.stateDir, indexName(containerID, ifName)), 'utf8').trim();
  } catch {
    return undefined;
  }
  const ip = parseIp(address);
  const h = ip ? holder(conf, address) : undefined;
  if (!ip || !h || h.containerID !== containerID || h.ifName !== ifName) return undefined;
  return { ip, address, containerID, ifName };
}

function readLastReserved(conf: MemoryConf): Ip | undefined {
  try {
    const ip = parseIp(readFileSync(join(conf.stateDir, LAST_RESERVED), 'utf8').trim());
    return ip && ip.family === conf.subnet.family && ip.value >= conf.rangeStart.value && ip.value <= conf.rangeEnd.value ? ip : undefined;
  } catch {
    return undefined;
  }
}

function writeLastReserved(conf: MemoryConf, ip: Ip): void {
  // Only a hint for where the next search starts: losing a race, or a reader catching it half
  // written (it then starts from the range's beginning), is harmless. Rewritten in place: creating
  // a file per ADD (temp + rename) costs far more than the hint is worth on some filesystems.
  try {
    writeFileSync(join(conf.stateDir, LAST_RESERVED), formatIp(ip));
  } catch {
    /* a hint */
  }
}

/**
 * The IP for (containerID, ifName): the existing one if already allocated (a repeated ADD gets
 * the same address), else the next free one after the last reserved, wrapping around the range.
 * A full range is TRY_AGAIN_LATER (11): addresses come back as other attachments are deleted.
 */
export function allocate(conf: MemoryConf, containerID: string, ifName: string): Allocation {
  ensureDir(conf.stateDir);
  const existing = findAllocation(conf, containerID, ifName);
  if (existing) return existing;

  const { rangeStart: start, rangeEnd: end } = conf;
  const count = end.value - start.value + 1n;
  const first = (readLastReserved(conf)?.value ?? end.value) + 1n;
  const tmp = tmpName(conf.stateDir);
  writeFileSync(tmp, `${containerID}\n${ifName}`);
  try {
    for (let i = 0n; i < count; i++) {
      let v = first + i;
      if (v > end.value) v = start.value + ((v - start.value) % count);
      if (v === conf.gateway.value) continue;
      const ip: Ip = { family: conf.subnet.family, value: v };
      const address = formatIp(ip);
      // The index first: a crash after the claim must still find it (a repeated ADD answers it, DEL frees it).
      writeIndex(conf, containerID, ifName, address);
      try {
        linkSync(tmp, join(conf.stateDir, address));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw cniError(CniErrorCode.IoFailure, `cannot record allocation of ${address} in ${conf.stateDir}`, (e as Error).message);
      }
      writeLastReserved(conf, ip);
      return { ip, address, containerID, ifName };
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* gone */
    }
  }
  throw cniError(
    CniErrorCode.TryAgainLater,
    `no free address in ${formatIp(start)}-${formatIp(end)} of network ${conf.network}`,
    `${count - (conf.gateway.value >= start.value && conf.gateway.value <= end.value ? 1n : 0n)} usable addresses, all allocated`,
  );
}

/** Frees what (containerID, ifName) holds; returns how many addresses were freed. */
export function release(conf: MemoryConf, containerID: string, ifName: string): number {
  const a = findAllocation(conf, containerID, ifName);
  let n = 0;
  if (a) n = free(conf, a);
  dropIndex(conf, containerID, ifName);
  return n;
}

function free(conf: MemoryConf, a: Allocation): number {
  try {
    unlinkSync(join(conf.stateDir, a.address));
    return 1;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw cniError(CniErrorCode.IoFailure, `cannot free ${a.address}`, (e as Error).message);
    return 0;
  }
}

/** Free every allocation pred selects (GC): a full scan. */
export function removeWhere(conf: MemoryConf, pred: (a: Allocation) => boolean): number {
  ensureIndexed(conf);
  let n = 0;
  for (const a of listAllocations(conf)) {
    if (!pred(a)) continue;
    n += free(conf, a);
    dropIndex(conf, a.containerID, a.ifName, a.address);
  }
  return n;
}

/** Whether the state dir can be created and written (STATUS). */
export function probeWritable(conf: MemoryConf): string | undefined {
  const tmp = join(conf.stateDir, `.probe-${process.pid}-${++seq}`);
  try {
    mkdirSync(conf.stateDir, { recursive: true });
    writeFileSync(tmp, '');
    unlinkSync(tmp);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

// ---- interface names per namespace ----------------------------------------------------------
// ADD must fail when the interface name is already taken in the container (the namespace): a
// claim file per (netns, ifName) names the container id that made it. A claim whose owner no
// longer holds an allocation for that name (deleted without CNI_NETNS, or garbage collected) is
// stale and taken over, so DEL without a namespace and GC need not find claims.

const claimName = (netns: string, ifName: string) => `.ifname-${createHash('sha256').update(`${netns}\u0000${ifName}`).digest('hex').slice(0, 40)}`;

/** The container id that holds ifName in netns, or undefined; takes it for containerID when free. */
export function claimInterface(conf: MemoryConf, netns: string, ifName: string, containerID: string): string | undefined {
  if (!netns) return undefined;
  ensureDir(conf.stateDir);
  const f = join(conf.stateDir, claimName(netns, ifName));
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(f, containerID, { flag: 'wx' });
      return undefined;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw cniError(CniErrorCode.IoFailure, `cannot record interface ${ifName} of ${netns} in ${conf.stateDir}`, (e as Error).message);
    }
    let owner: string;
    try {
      owner = readFileSync(f, 'utf8').trim();
    } catch {
      continue;
    } // released meanwhile
    if (owner === containerID) return undefined;
    if (findAllocation(conf, owner, ifName)) return owner;
    try {
      unlinkSync(f);
    } catch {
      /* someone else took it over */
    }
  }
  throw cniError(CniErrorCode.TryAgainLater, `interface ${ifName} of ${netns} is being claimed concurrently`);
}

/** Drop containerID's claim on ifName in netns (no-op for another owner's claim). */
export function releaseInterface(conf: MemoryConf, netns: string, ifName: string, containerID: string): void {
  if (!netns) return;
  const f = join(conf.stateDir, claimName(netns, ifName));
  try {
    if (readFileSync(f, 'utf8').trim() === containerID) unlinkSync(f);
  } catch {
    /* no claim */
  }
}
