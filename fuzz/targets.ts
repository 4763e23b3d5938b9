// Builds a target from the options a run was given (the CLI's flags, or a replay file's record
// of them), so `triad fuzz replay FILE` rebuilds exactly what found the bug. The CO-side
// directories a CSI run needs (staging paths, target parents) default to a fresh temporary
// directory that is removed afterwards (never recursively: a leftover mount stays visible).
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Target } from './types.js';

export interface TargetInfo {
  kind: 'cri' | 'csi' | 'cni';
  /** CRI/CSI: the plugin's endpoint (unix path, unix:///path or host:port). */
  endpoint?: string;
  /** Per-call deadline, ms. */
  callTimeoutMs?: number;
  /** CSI: where staging and target paths go. */
  workDir?: string;
  /** CSI: watch this directory for writes outside the driver's root (hostPath drivers). */
  watchDir?: string;
  /** CSI: with watchDir, the driver's own root (writes below it are allowed). */
  root?: string;
  /** CSI: a modification the driver supports (key → value). */
  mutableParameters?: Record<string, string>;
  /** CNI: the plugin directories and the network config file. */
  cniPath?: string[];
  config?: string;
}

export interface OpenTarget {
  target: Target;
  info: TargetInfo;
  close(): Promise<void>;
}

/** Remove empty directories below and including dir, deepest first; never a non-empty one. */
export function removeEmptyTree(dir: string): void {
  let names: string[];
  try {
    if (!lstatSync(dir).isDirectory()) return;
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) removeEmptyTree(join(dir, n));
  try {
    rmdirSync(dir);
  } catch {
    /* not empty or a mount point: leave it */
  }
}

/**
 * Open the target `info` describes; a CSI run without workDir (or whose workDir is gone) gets its
 * own. `inProcess`: CNI plugins run in this process by type (tests; not recorded in replays).
 */
export async function openTarget(info: TargetInfo, inProcess?: Record<string, import('../interfaces/cni/index.js').InProcessPlugin>): Promise<OpenTarget> {
  if (info.kind === 'csi') {
    if (!info.endpoint) throw new Error('fuzz csi: --endpoint is required');
    // A replay names the directory of the run that found the bug, long removed: made again, removed again.
    const own = !info.workDir || !existsSync(info.workDir);
    const workDir = info.workDir ?? mkdtempSync(join(tmpdir(), 'triad-fuzz-csi-'));
    mkdirSync(workDir, { recursive: true });
    const { csiTarget } = await import('./csi.js');
    try {
      const target = await csiTarget({
        endpoint: info.endpoint,
        stagingDir: join(workDir, 'staging'),
        targetDir: join(workDir, 'target'),
        callTimeoutMs: info.callTimeoutMs,
        mutableParameters: info.mutableParameters,
        watch: info.watchDir ? { dir: info.watchDir, allowed: [info.root, workDir].filter((x): x is string => !!x) } : undefined,
      });
      return {
        target,
        info: { ...info, workDir },
        close: async () => {
          await target.close();
          if (own) removeEmptyTree(workDir);
        },
      };
    } catch (e) {
      if (own) removeEmptyTree(workDir);
      throw e;
    }
  }
  if (info.kind === 'cri') {
    if (!info.endpoint) throw new Error('fuzz cri: --endpoint is required');
    const { criTarget } = await import('./cri.js');
    const target = await criTarget({ endpoint: info.endpoint, callTimeoutMs: info.callTimeoutMs });
    return { target, info, close: () => target.close() };
  }
  if (info.kind === 'cni') {
    if (!info.cniPath?.length) throw new Error('fuzz cni: --cni-path is required');
    if (!info.config) throw new Error('fuzz cni: --config is required');
    const { cniTarget } = await import('./cni.js');
    const target = await cniTarget({ cniPath: info.cniPath, config: info.config, callTimeoutMs: info.callTimeoutMs, inProcess });
    return { target, info, close: () => target.close() };
  }
  throw new Error(`fuzz: kind ${JSON.stringify(info.kind)} is not supported (csi, cri, cni)`);
}
