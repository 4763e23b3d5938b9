// Keeping a driver inside its own directory. Ids and names from a CO end up in file names, and
// target/staging paths are where the driver mounts: both are checked so that no request can make
// the driver read, write or mount outside its root, or mount over it. Refusals are
// INVALID_ARGUMENT naming the field.
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { invalidArgument } from '../../grpc/errors.js';
import { MAX_NAME_BYTES, required, validName } from './validate.js';

const ID_CHARS = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** What makes a string unfit to be one path component, or undefined when it is fit. */
function componentProblem(value: string): string | undefined {
  if (value.includes('\0')) return 'contains a NUL byte';
  if (isAbsolute(value)) return `must not be an absolute path, got ${JSON.stringify(value)}`;
  if (value.includes('/') || value.includes('\\')) return `must not contain a path separator, got ${JSON.stringify(value)}`;
  if (value.includes('..')) return `must not contain "..", got ${JSON.stringify(value)}`;
  return undefined;
}

/** An id that becomes a file name: ≤128 bytes of [A-Za-z0-9._-], starting alphanumeric, no "..". */
export function safeId(value: string, field: string): string {
  required(value, field);
  const problem = componentProblem(value);
  if (problem) throw invalidArgument(`${field} ${problem}`);
  if (Buffer.byteLength(value) > MAX_NAME_BYTES) throw invalidArgument(`${field} is longer than ${MAX_NAME_BYTES} bytes`);
  if (!ID_CHARS.test(value))
    throw invalidArgument(`${field} ${JSON.stringify(value)} may only hold letters, digits, '.', '_' and '-', starting with a letter or digit`);
  return value;
}

/** A CO-chosen name: the spec's name rules, and never anything that could act as a path. */
export function safeName(value: string, field: string): string {
  required(value, field);
  const problem = componentProblem(value);
  if (problem) throw invalidArgument(`${field} ${problem}`);
  return validName(value, field);
}

export const isWithin = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);

/**
 * Canonical path of `path`, which need not exist: its deepest existing ancestor resolved, the rest
 * appended. A dangling symlink is followed by hand, so it cannot hide where a mount would land.
 */
export function realPathOf(path: string, hops = 0): string {
  const abs = resolve(path);
  const rest: string[] = [];
  for (let p = abs; ; p = dirname(p)) {
    let link = false;
    try {
      link = lstatSync(p).isSymbolicLink();
    } catch {
      if (dirname(p) === p) return abs;
      rest.unshift(basename(p));
      continue;
    }
    try {
      return join(realpathSync(p), ...rest);
    } catch {
      if (!link || hops >= 40) return join(p, ...rest);
      return realPathOf(join(resolve(dirname(p), readlinkSync(p)), ...rest), hops + 1);
    }
  }
}

/**
 * `root/...parts` as a real path, refusing anything that leaves `root` or reaches its place by a
 * symlink (a volume directory swapped for a link, even to somewhere else inside root). Parts must
 * already be checked with safeId. A path that does not exist yet is returned as it will be.
 */
export function resolveInside(root: string, parts: string[], field: string): string {
  const realRoot = realpathSync(root);
  const want = join(realRoot, ...parts);
  if (!isWithin(want, realRoot) || want === realRoot) throw invalidArgument(`${field} would leave the driver root ${root}`);
  const got = realPathOf(want);
  if (got !== want) throw invalidArgument(`${field}: ${join(root, ...parts)} resolves to ${got} through a symlink; refusing to follow it`);
  return want;
}

/**
 * A target or staging path: absolute, and neither inside the driver root nor above it (mounting
 * there would hide or expose the driver's own data). Returns the real path to mount on.
 */
export function outsideRoot(path: string, root: string, field: string): string {
  required(path, field);
  if (path.includes('\0')) throw invalidArgument(`${field} contains a NUL byte`);
  if (!isAbsolute(path)) throw invalidArgument(`${field} must be an absolute path, got ${JSON.stringify(path)}`);
  const real = realPathOf(path);
  const realRoot = realPathOf(root);
  if (isWithin(real, realRoot)) throw invalidArgument(`${field} ${path} is inside the driver root ${root}`);
  if (isWithin(realRoot, real)) throw invalidArgument(`${field} ${path} contains the driver root ${root}`);
  return real;
}
