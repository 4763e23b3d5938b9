// What the node's own mount table says about a host path behind a container mount: the mount
// points under it. A read-only bind mount that is not recursive (the CRI default: no
// recursive_read_only) leaves each such submount as it is on the node — a tmpfs mounted there
// stays writable in the container, as it does with runc.
import { readFileSync } from 'node:fs';

/** Mount points of the node strictly below dir (from /proc/self/mountinfo); none when unreadable. */
export function nodeSubmounts(dir: string): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const base = dir.replace(/\/+$/, '');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    const point = field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (point.startsWith(base + '/')) out.push(point);
  }
  return out;
}
