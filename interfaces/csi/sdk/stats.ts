// Volume statistics for NodeGetVolumeStats: what a directory tree holds (a `du` that counts
// apparent bytes and inodes) and what its filesystem has left (statfs).
import { lstatSync, readdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { VolumeUsage_Unit as Unit, type VolumeUsage } from '../../gen/csi/csi.js';

/** Bytes in regular files and the number of inodes (files, directories, links) under `path`. Symlinks are not followed. */
export function diskUsage(path: string): { bytes: bigint; inodes: bigint } {
  let bytes = 0n;
  let inodes = 0n;
  const todo = [path];
  // Iterative, so a deep tree cannot overflow the stack; entries vanishing meanwhile are skipped.
  for (let p = todo.pop(); p !== undefined; p = todo.pop()) {
    let st;
    try {
      st = lstatSync(p, { bigint: true });
    } catch {
      continue;
    }
    inodes++;
    if (st.isFile()) bytes += st.size;
    else if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(p);
      } catch {
        /* removed or unreadable: counted as itself */
      }
      for (const name of names) todo.push(join(p, name));
    }
  }
  return { bytes, inodes };
}

export interface FilesystemStats {
  totalBytes: bigint;
  /** Bytes an unprivileged writer can still use (f_bavail). */
  availableBytes: bigint;
  totalInodes: bigint;
  freeInodes: bigint;
}

export function filesystemStats(path: string): FilesystemStats {
  const s = statfsSync(path, { bigint: true });
  return { totalBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize, totalInodes: s.files, freeInodes: s.ffree };
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * Usage of a directory volume with an accounted (not kernel-enforced) capacity: bytes used are
 * what the tree holds, available is what is left of the capacity but never more than the
 * filesystem really has; inodes used are the tree's, available the filesystem's free inodes.
 */
export function directoryVolumeUsage(dir: string, capacity: bigint): { usage: Array<Partial<VolumeUsage>>; usedBytes: bigint } {
  const du = diskUsage(dir);
  const fs = filesystemStats(dir);
  const left = capacity > du.bytes ? capacity - du.bytes : 0n;
  return {
    usedBytes: du.bytes,
    usage: [
      { unit: Unit.BYTES, total: capacity, used: du.bytes, available: min(left, fs.availableBytes) },
      { unit: Unit.INODES, total: du.inodes + fs.freeInodes, used: du.inodes, available: fs.freeInodes },
    ],
  };
}
