// Mutations of a valid request (proto3 JSON): remove a field, put an extreme value in a leaf,
// empty or duplicate a list, add a strange map key. Each returns words saying what it did, so a
// finding can explain its request. Only the RNG decides, so a seed replays the same mutations.
import type { Rng } from './rng.js';
import type { Json } from './types.js';

type Path = (string | number)[];

/** Every path in `v` to a leaf, list or map (not the root). */
function paths(v: Json, at: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(v))
    v.forEach((x, i) => {
      out.push([...at, i]);
      paths(x, [...at, i], out);
    });
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      out.push([...at, k]);
      paths(x, [...at, k], out);
    }
  return out;
}

const get = (v: Json, p: Path): Json => p.reduce<Json>((o, k) => (o as Record<string | number, Json>)[k], v);
const parentOf = (v: Json, p: Path) => get(v, p.slice(0, -1)) as Record<string | number, Json> | Json[];
const show = (p: Path) =>
  p
    .map((k) => (typeof k === 'number' ? `[${k}]` : k))
    .join('.')
    .replace(/\.\[/g, '[');

/** Strings that break naive code: empty, huge, unicode, NUL, path tricks, foreign ids. */
export const STRANGE_STRINGS: readonly { what: string; value: () => string }[] = [
  { what: 'empty', value: () => '' },
  { what: '128 KiB long', value: () => 'x'.repeat(128 * 1024) },
  { what: '300 characters', value: () => 'n'.repeat(300) },
  { what: 'unicode (RTL, emoji, combining)', value: () => '\u202eöß💥\u0301名' },
  { what: 'a NUL byte', value: () => 'a\u0000b' },
  { what: 'a path with ..', value: () => '../../../fuzz-escape' },
  { what: 'a single slash', value: () => '/' },
  { what: 'whitespace', value: () => ' \t\n' },
  { what: 'a foreign id', value: () => 'fuzz-foreign-0123456789abcdef' },
];

/** A map key no plugin can support (a slash, a non-ASCII letter, a space). */
export const STRANGE_KEY = 'fuzz/\u00ff key';

const STRANGE_NUMBERS: readonly (number | string)[] = [-1, 0, 2147483647, -2147483648, '9223372036854775807', '-9223372036854775808'];

/** Apply 1..max mutations to a copy of `req`; returns it and what was done. */
export function mutate(req: Json, rng: Rng, max = 2): { req: Json; mutations: string[] } {
  const out = structuredClone(req);
  const done: string[] = [];
  const n = 1 + rng.int(max);
  for (let i = 0; i < n; i++) {
    const ps = paths(out);
    if (!ps.length) break;
    const p = rng.pick(ps);
    const parent = parentOf(out, p);
    const key = p[p.length - 1];
    const cur = get(out, p);
    const r = rng.int(4);
    if (r === 0) {
      // remove the field (or the list element)
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      done.push(`${show(p)} removed`);
    } else if (typeof cur === 'number' || (typeof cur === 'string' && /^-?\d+$/.test(cur))) {
      // Numbers first: proto3 JSON writes 64-bit integers as digit strings.
      const v = rng.pick(STRANGE_NUMBERS);
      (parent as Record<string | number, Json>)[key] = v;
      done.push(`${show(p)} set to ${v}`);
    } else if (typeof cur === 'string') {
      const s = rng.pick(STRANGE_STRINGS);
      (parent as Record<string | number, Json>)[key] = s.value();
      done.push(`${show(p)} set to ${s.what}`);
    } else if (typeof cur === 'boolean') {
      (parent as Record<string | number, Json>)[key] = !cur;
      done.push(`${show(p)} flipped to ${!cur}`);
    } else if (Array.isArray(cur)) {
      if (cur.length && rng.chance(0.5)) {
        cur.push(structuredClone(cur[0]));
        done.push(`${show(p)} with its first entry twice`);
      } else {
        cur.length = 0;
        done.push(`${show(p)} emptied`);
      }
    } else if (cur && typeof cur === 'object') {
      if (rng.chance(0.5)) {
        (cur as Record<string, Json>)[STRANGE_KEY] = rng.pick(STRANGE_STRINGS).value();
        done.push(`${show(p)} gained a strange key`);
      } else {
        (parent as Record<string | number, Json>)[key] = {};
        done.push(`${show(p)} emptied`);
      }
    } else {
      (parent as Record<string | number, Json>)[key] = 99;
      done.push(`${show(p)} set to 99 (an unknown enum value)`);
    }
  }
  return { req: out, mutations: done };
}

/** `req` without the field at `path` (a dotted path), for the minimizer. */
export function withoutPath(req: Json, p: Path): Json {
  const out = structuredClone(req);
  const parent = parentOf(out, p);
  if (Array.isArray(parent)) parent.splice(p[p.length - 1] as number, 1);
  else delete parent[p[p.length - 1]];
  return out;
}

export { paths as fieldPaths };
