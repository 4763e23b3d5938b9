// Pod cgroups with the cgroupfs driver: the runtime (runc) creates <root>/[qos/]pod<uid> as the
// parent of the pod's containers and removes each container's cgroup, but never that parent —
// kubelet's pod cgroup manager does, once the pod is gone. Works on cgroup v1 (one hierarchy per
// controller) and v2 (one unified tree). Only empty directories are removed: rmdir of a cgroup
// with a task or a child fails, so a pod still running is never touched.
import { existsSync, lstatSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const BASE = '/sys/fs/cgroup';

function readdirSafe(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

/** The hierarchies: /sys/fs/cgroup itself on v2, each controller's mount on v1. */
export function cgroupBases(): string[] {
  if (existsSync(join(BASE, 'cgroup.controllers'))) return [BASE];
  return readdirSafe(BASE)
    .map((c) => join(BASE, c))
    .filter((d) => {
      try {
        return lstatSync(d).isDirectory();
      } catch {
        return false;
      }
    });
}

/** Every <base>/<root>/[besteffort|burstable/]pod<uid> directory, in every hierarchy. */
export function podCgroups(root: string): string[] {
  if (!root) return [];
  const out: string[] = [];
  for (const b of cgroupBases()) {
    const r = join(b, root);
    for (const parent of [r, join(r, 'besteffort'), join(r, 'burstable')]) {
      for (const e of readdirSafe(parent)) if (/^pod[0-9a-f-]+$/.test(e)) out.push(join(parent, e));
    }
  }
  return out;
}

/** rmdir `d` and the empty cgroups below it, deepest first; a busy one stays. */
export function rmEmptyDirs(d: string): void {
  for (const e of readdirSafe(d)) rmEmptyDirs(join(d, e));
  try {
    if (statSync(d).isDirectory()) rmdirSync(d);
  } catch {
    /* busy or gone */
  }
}

/**
 * Remove a deleted pod's cgroup (`parent` as given in PodSandboxConfig.linux.cgroupParent, a
 * cgroupfs path) from every hierarchy. Returns the directories still there (a task left in them).
 */
export function removePodCgroup(parent: string): string[] {
  if (!parent || !parent.startsWith('/')) return [];
  const left: string[] = [];
  for (const b of cgroupBases()) {
    const d = join(b, parent);
    if (!existsSync(d)) continue;
    rmEmptyDirs(d);
    if (existsSync(d)) left.push(d);
  }
  return left;
}
