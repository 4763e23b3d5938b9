// Default state directories under the system temp dir, one per user: a directory that the first
// user on a shared machine creates is not writable by the next one, so a fixed name such as
// /tmp/triad-memory-cni would make every other user's run fail with EACCES.
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** os.tmpdir()/<name>-<uid> (plain <name> where there are no uids). */
export function userTempDir(name: string): string {
  const uid = process.getuid?.();
  return join(tmpdir(), uid === undefined ? name : `${name}-${uid}`);
}
