// Allocations on disk, host-local style: one file per allocated IP (name = the IP, content =
// "<containerID>\n<ifname>") and a last-reserved pointer, so separate plugin processes share
// one view. An IP is claimed by link(2)-ing a fully written temp file to the IP's name: link
// fails with EEXIST if the name exists, so two concurrent ADDs can never both get an address,
// and a reader never sees a claimed-but-empty file. That makes a lock unnecessary.
import { linkSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cniError, formatIp, parseIp, type Ip } from '../../interfaces/cni/index.js';
import type { MemoryConf } from './config.js';

const LAST_RESERVED = 'last_reserved_ip.0';

export interface Allocation { ip: Ip; address: string; containerID: string; ifName: string }

let seq = 0;
const tmpName = (dir: string) => join(dir, `.tmp-${process.pid}-${Date.now()}-${++seq}`);

function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw cniError(5, `cannot create state dir ${dir}`, (e as Error).message);
  }
}

/** Every allocation in the state dir. */
export function listAllocations(conf: MemoryConf): Allocation[] {
  let names: string[];
  try {
    names = readdirSync(conf.stateDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw cniError(5, `cannot read state dir ${conf.stateDir}`, (e as Error).message);
  }
  const out: Allocation[] = [];
  for (const name of names) {
    const ip = parseIp(name);
    if (!ip) continue; // the pointer, temp files
    let text: string;
    try { text = readFileSync(join(conf.stateDir, name), 'utf8'); } catch { continue; } // released meanwhile
    const [containerID = '', ifName = ''] = text.split('\n').map((s) => s.trim());
    out.push({ ip, address: name, containerID, ifName });
  }
  return out;
}

export const findAllocation = (conf: MemoryConf, containerID: string, ifName: string): Allocation | undefined =>
  listAllocations(conf).find((a) => a.containerID === containerID && a.ifName === ifName);

function readLastReserved(conf: MemoryConf): Ip | undefined {
  try {
    const ip = parseIp(readFileSync(join(conf.stateDir, LAST_RESERVED), 'utf8').trim());
    return ip && ip.family === conf.subnet.family && ip.value >= conf.rangeStart.value && ip.value <= conf.rangeEnd.value ? ip : undefined;
  } catch {
    return undefined;
  }
}

function writeLastReserved(conf: MemoryConf, ip: Ip): void {
  // Only a hint for where the next search starts; losing a race here is harmless.
  const tmp = tmpName(conf.stateDir);
  try {
    writeFileSync(tmp, formatIp(ip));
    renameSync(tmp, join(conf.stateDir, LAST_RESERVED));
  } catch { try { unlinkSync(tmp); } catch { /* gone */ } }
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
      try {
        linkSync(tmp, join(conf.stateDir, address));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw cniError(5, `cannot record allocation of ${address} in ${conf.stateDir}`, (e as Error).message);
      }
      writeLastReserved(conf, ip);
      return { ip, address, containerID, ifName };
    }
  } finally {
    try { unlinkSync(tmp); } catch { /* gone */ }
  }
  throw cniError(11, `no free address in ${formatIp(start)}-${formatIp(end)} of network ${conf.network}`, `${count - (conf.gateway.value >= start.value && conf.gateway.value <= end.value ? 1n : 0n)} usable addresses, all allocated`);
}

/** Frees what (containerID, ifName) holds; returns how many addresses were freed. */
export function release(conf: MemoryConf, containerID: string, ifName: string): number {
  return removeWhere(conf, (a) => a.containerID === containerID && a.ifName === ifName);
}

export function removeWhere(conf: MemoryConf, pred: (a: Allocation) => boolean): number {
  let n = 0;
  for (const a of listAllocations(conf)) {
    if (!pred(a)) continue;
    try {
      unlinkSync(join(conf.stateDir, a.address));
      n++;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw cniError(5, `cannot free ${a.address}`, (e as Error).message);
    }
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
