// Bind mounts, the way a node plugin makes a volume appear at a staging or target path. Commands
// run through execa without a shell (paths are never interpreted), and "is it mounted?" is read
// from /proc/self/mountinfo rather than guessed from stat, so a bind mount of a directory on the
// same filesystem is seen too.
import { execa } from 'execa';
import { mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { commandFailed } from './errors.js';

/** Mount points of this process's mount namespace (field 5 of mountinfo, octal escapes undone). */
export function mountPoints(): Set<string> {
  const out = new Set<string>();
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length > 4) out.add(f[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

/** mountinfo lists canonical paths: compare the real path when `path` exists. */
export function isMountPoint(path: string): boolean {
  const points = mountPoints();
  if (points.has(path)) return true;
  try {
    return points.has(realpathSync(path));
  } catch {
    return false;
  }
}

/** Mount points at or below `dir`, deepest last (unmount them in reverse). */
export function mountsUnder(dir: string): string[] {
  let real = dir;
  try {
    real = realpathSync(dir);
  } catch {
    /* gone: compare as given */
  }
  return [...mountPoints()].filter((p) => p === real || p.startsWith(real + '/')).sort();
}

/** `mount --bind src dst`, then remount read-only when asked; INTERNAL with mount's stderr on failure. */
export async function bindMount(src: string, dst: string, readonly: boolean): Promise<void> {
  try {
    await execa('mount', ['--bind', src, dst]);
  } catch (err) {
    throw commandFailed(`bind-mounting ${src} on ${dst}`, err);
  }
  if (!readonly) return;
  try {
    // A bind mount inherits the source's flags; read-only needs a second, remount step.
    await execa('mount', ['-o', 'remount,bind,ro', dst]);
  } catch (err) {
    await unmount(dst).catch(() => undefined);
    throw commandFailed(`remounting ${dst} read-only`, err);
  }
}

/** Unmount every mount stacked on `path`; a busy mount is detached lazily rather than left behind. */
export async function unmount(path: string): Promise<void> {
  for (let i = 0; i < 8 && isMountPoint(path); i++) {
    try {
      await execa('umount', [path]);
    } catch (err) {
      try {
        await execa('umount', ['-l', path]);
      } catch {
        throw commandFailed(`unmounting ${path}`, err);
      }
    }
  }
}

/**
 * Whether bind mounts work here: undefined if they do, else why not. Being root is not enough
 * (a container without CAP_SYS_ADMIN, a read-only /proc), so this really mounts inside `scratch`.
 */
export async function bindMountProblem(scratch: string): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return `bind mounts need root (running as uid ${process.getuid?.() ?? '?'})`;
  const probe = join(scratch, `.bind-probe-${process.pid}-${Date.now()}`);
  const a = join(probe, 'a');
  const b = join(probe, 'b');
  try {
    mkdirSync(a, { recursive: true });
    mkdirSync(b, { recursive: true });
    await execa('mount', ['--bind', a, b]);
    await unmount(b);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
