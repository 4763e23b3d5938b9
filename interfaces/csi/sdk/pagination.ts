// ListVolumes / ListSnapshots pagination over records ordered by a creation sequence number.
// A token is "<kind>:<seq of the first entry of the next page>": it stays valid when entries
// around it are deleted, and one list's token is refused by another (ABORTED, as the spec says
// for a starting_token the plugin cannot use).
import { aborted, invalidArgument } from '../../grpc/errors.js';

export function paginate<T extends { seq: number }>(kind: string, all: T[], maxEntries: number, startingToken: string): { page: T[]; nextToken: string } {
  if (maxEntries < 0) throw invalidArgument('max_entries must not be negative');
  let from = 0;
  if (startingToken) {
    const m = new RegExp(`^${kind}:(\\d{1,15})$`).exec(startingToken);
    if (!m) throw aborted(`starting_token ${JSON.stringify(startingToken)} is not a token this driver issued for ${kind}`);
    from = Number(m[1]);
  }
  const sorted = all.filter((r) => r.seq >= from).sort((a, b) => a.seq - b.seq);
  if (maxEntries === 0 || sorted.length <= maxEntries) return { page: sorted, nextToken: '' };
  return { page: sorted.slice(0, maxEntries), nextToken: `${kind}:${sorted[maxEntries].seq}` };
}
