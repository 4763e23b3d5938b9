// Checkpoints of what the harness created, written atomically (temp file + rename), so a harness
// that crashed or was killed can adopt running pods and undo half-done ones.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../api/types.js';
import type { ClaimRecord, VolumeRecord } from './volumes.js';

export interface PodCheckpoint {
  version: 1;
  pod: Pod;
  sandboxId?: string;
  sandboxAttempt: number;
  volumes: VolumeRecord[];
  volumesReady: boolean;
  containers: { name: string; id?: string; oldIds: string[]; restartCount: number }[];
  initialized: boolean;
  terminal?: 'Succeeded' | 'Failed';
  deletionTimestamp?: number;
}

export function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, path);
}

export class CheckpointStore {
  private readonly podsDir: string;
  private readonly claimsFile: string;

  constructor(readonly dir: string) {
    this.podsDir = join(dir, 'pods');
    this.claimsFile = join(dir, 'claims.json');
    mkdirSync(this.podsDir, { recursive: true, mode: 0o700 });
  }

  savePod(cp: PodCheckpoint): void {
    writeAtomic(join(this.podsDir, `${cp.pod.metadata.uid}.json`), JSON.stringify(cp));
  }

  removePod(uid: string): void {
    rmSync(join(this.podsDir, `${uid}.json`), { force: true });
  }

  /** Every readable pod checkpoint; unreadable ones are reported, not fatal. */
  loadPods(onError: (file: string, err: Error) => void = () => {}): PodCheckpoint[] {
    const out: PodCheckpoint[] = [];
    for (const f of readdirSync(this.podsDir)) {
      if (!f.endsWith('.json')) {
        if (f.includes('.tmp-')) rmSync(join(this.podsDir, f), { force: true }); // a write cut short
        continue;
      }
      try {
        out.push(JSON.parse(readFileSync(join(this.podsDir, f), 'utf8')) as PodCheckpoint);
      } catch (err) {
        onError(join(this.podsDir, f), err as Error);
      }
    }
    return out;
  }

  saveClaims(claims: ClaimRecord[]): void {
    writeAtomic(this.claimsFile, JSON.stringify(claims));
  }

  loadClaims(): ClaimRecord[] {
    if (!existsSync(this.claimsFile)) return [];
    return JSON.parse(readFileSync(this.claimsFile, 'utf8')) as ClaimRecord[];
  }
}
