// Volume and snapshot data on disk: volumes are directories, snapshots tar.gz archives of one.
// tar and cp run through execa without a shell; archives are written beside their final name
// and renamed into place, so a half-written archive is never taken for a snapshot.
import { execa } from 'execa';
import { chmodSync, lstatSync, mkdirSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { commandFailed } from '../../interfaces/csi/sdk/index.js';

/** A fresh volume directory, world-writable like a hostPath volume so pods of any uid can write. */
export function makeVolumeDir(dir: string): void {
  mkdirSync(dir);
  chmodSync(dir, 0o777);
}

/**
 * Archive the contents of `dir` into `file`. --one-file-system keeps anything mounted inside the
 * volume out; symlinks are stored as links, never followed. tar's exit status 1 ("a file changed
 * as we read it") still leaves a complete archive of a volume in use, so it counts as success.
 */
export async function archive(dir: string, file: string): Promise<bigint> {
  const tmp = `${file}.partial`;
  const r = await execa('tar', ['--create', '--gzip', '--file', tmp, '--one-file-system', '--numeric-owner', '--directory', dir, '.'], { reject: false });
  if (r.exitCode !== 0 && r.exitCode !== 1) {
    rmSync(tmp, { force: true });
    throw commandFailed(`archiving ${dir}`, r);
  }
  renameSync(tmp, file);
  return statSync(file, { bigint: true }).size;
}

/** Restore an archive into an (empty) volume directory. GNU tar refuses members that climb out with "..". */
export async function extract(file: string, dir: string): Promise<void> {
  try {
    await execa('tar', ['--extract', '--gzip', '--file', file, '--directory', dir, '--numeric-owner', '--no-overwrite-dir']);
  } catch (err) {
    throw commandFailed(`restoring ${file}`, err);
  }
}

/** Copy a volume's contents: owners, modes, times and links kept (cp -a), nothing followed. */
export async function copyTree(src: string, dst: string): Promise<void> {
  try {
    await execa('cp', ['-a', '--one-file-system', '--', `${src}/.`, `${dst}/`]);
  } catch (err) {
    throw commandFailed(`copying ${src} to ${dst}`, err);
  }
}

/** Remove a volume directory or snapshot file; a symlink put in its place is removed, never followed. */
export function removeData(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (st.isSymbolicLink() || !st.isDirectory()) unlinkSync(path);
  else rmSync(path, { recursive: true, force: true });
}
