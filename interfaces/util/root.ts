// The triad checkout/package root, found by walking up from this module (works from the
// TypeScript sources under tsx and from the compiled dist/ tree alike).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function triadRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'triad') return (cached = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the triad package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export function triadVersion(): string {
  return (JSON.parse(readFileSync(join(triadRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
