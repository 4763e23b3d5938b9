// Everything the driver does to the host filesystem: volume data as real directories (mount) or
// sparse image files (block), and placing a volume at a target path.
//
// Two mechanisms put a volume at a target:
//  - bind:    as root, `mount --bind` the data onto the target (a directory, or a file for block),
//             remounted read-only when asked — what a real node plugin does;
//  - symlink: without root, the target is a symbolic link to the data. A runtime bind-mounting
//             the target follows the link, so containers still share the real files; readonly is
//             recorded and reported but cannot be enforced by the kernel.
import { execa } from 'execa';
import {
  closeSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmdirSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { failedPrecondition, internal } from '../../interfaces/grpc/errors.js';
import { bindMount, bindMountProblem, commandFailed, diskUsage, isMountPoint, mountPoints, unmount } from '../../interfaces/csi/sdk/index.js';

export type Mechanism = 'bind' | 'symlink';
export type PublishMode = 'auto' | Mechanism;

// Mount mechanics are the SDK's; re-exported because tests and the services reach them here.
export { bindMount, isMountPoint, mountPoints, unmount };
export { diskUsage as usage };

/** `bind` when running as root and a probe bind mount inside `scratch` works, else `symlink`. */
export async function detectMechanism(mode: PublishMode, scratch: string): Promise<Mechanism> {
  if (mode === 'symlink') return 'symlink';
  if (process.getuid?.() !== 0) {
    if (mode === 'bind') throw new Error('memory-csi: publishMode "bind" needs root (mount --bind); use "auto" or "symlink"');
    return 'symlink';
  }
  const problem = await bindMountProblem(scratch);
  if (problem === undefined) return 'bind';
  if (mode === 'bind') throw new Error(`memory-csi: publishMode "bind" but mount --bind does not work here: ${problem}`);
  return 'symlink';
}

/** Create a volume's data: a directory, or a sparse file of `capacity` bytes. */
export function createData(path: string, block: boolean, capacity: bigint): void {
  mkdirSync(dirname(path), { recursive: true });
  if (!block) {
    mkdirSync(path, { recursive: true });
    return;
  }
  closeSync(openSync(path, 'w'));
  truncateSync(path, Number(capacity));
}

/** Copy data (a volume's or a snapshot's) to a new place; image files stay sparse. */
export async function copyData(src: string, dst: string, block: boolean): Promise<void> {
  mkdirSync(dirname(dst), { recursive: true });
  if (!existsSync(src)) throw internal(`data of the source is missing at ${src}`);
  if (!block) {
    cpSync(src, dst, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    return;
  }
  try {
    await execa('cp', ['--sparse=always', src, dst]);
  } catch (err) {
    throw commandFailed(`copying ${src} to ${dst}`, err);
  }
}

export function growBlock(path: string, capacity: bigint): void {
  if (statSync(path).size < Number(capacity)) truncateSync(path, Number(capacity));
}

/** Create the missing ancestors of `path`; returns those it created, outermost first. */
export function mkParents(path: string): string[] {
  const missing: string[] = [];
  for (let d = dirname(path); !existsSync(d); d = dirname(d)) missing.unshift(d);
  if (missing.length) mkdirSync(missing[missing.length - 1], { recursive: true });
  return missing;
}

/** Remove directories created by mkParents, deepest first, as long as they are empty. */
export function rmParents(created: string[]): void {
  for (const d of [...created].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

/**
 * Remove `path` (if it is one of `own`) and then each ancestor that is one of `own`, while they
 * are empty: directories the driver created go away once nothing of anybody's is left in them.
 */
export function pruneOwnDirs(own: Set<string>, path: string): void {
  for (let d = path; own.has(d); d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return;
    }
    own.delete(d);
  }
}

/** What sits at `path`: nothing, an empty directory, a symlink, or something else. */
export function pathState(path: string): 'none' | 'empty-dir' | 'empty-file' | 'symlink' | 'other' {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 'none';
  }
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return readdirSync(path).length === 0 ? 'empty-dir' : 'other';
  if (st.isFile() && st.size === 0) return 'empty-file';
  return 'other';
}

/**
 * Put the data at `target`. Mount volumes get a directory, block volumes a file. Returns the
 * parents it had to create. Anything but an empty directory / empty file already at the target
 * is refused, so the driver never hides or deletes somebody else's files.
 */
export async function placeTarget(how: Mechanism, src: string, target: string, block: boolean, readonly: boolean): Promise<string[]> {
  const state = pathState(target);
  if (state === 'other' || state === 'symlink') {
    throw failedPrecondition(`target_path ${target} already exists and is not an empty ${block ? 'file' : 'directory'}`);
  }
  const created = mkParents(target);
  try {
    if (how === 'symlink') {
      if (state === 'empty-dir') rmdirSync(target);
      if (state === 'empty-file') unlinkSync(target);
      symlinkSync(src, target);
      return created;
    }
    if (block) {
      if (state === 'empty-dir') rmdirSync(target);
      if (state !== 'empty-file') closeSync(openSync(target, 'w'));
    } else {
      if (state === 'empty-file') unlinkSync(target);
      if (state !== 'empty-dir') mkdirSync(target);
    }
    await bindMount(src, target, readonly);
    return created;
  } catch (err) {
    removeQuietly(target);
    rmParents(created);
    throw err;
  }
}

/** Undo placeTarget: unmount (bind) and delete what the driver created at the target. */
export async function removeTarget(how: Mechanism, target: string): Promise<void> {
  if (how === 'bind') await unmount(target);
  removeQuietly(target);
}

function removeQuietly(path: string): void {
  const state = pathState(path);
  if (state === 'symlink' || state === 'empty-file') unlinkSync(path);
  else if (state === 'empty-dir') rmdirSync(path);
}

/** Real bytes a volume's data takes: file sizes of a directory, allocated blocks of a sparse image. */
export function dataBytes(path: string, block: boolean): bigint {
  if (!block) return diskUsage(path).bytes;
  try {
    return statSync(path, { bigint: true }).blocks * 512n;
  } catch {
    return 0n;
  }
}
