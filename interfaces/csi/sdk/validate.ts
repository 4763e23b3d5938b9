// Request field checks. Every failure is INVALID_ARGUMENT (the spec's "missing required field" and
// "invalid or unsupported field") and names the field as the proto spells it, so a CO's log says
// which field of which call was wrong.
import { isAbsolute } from 'node:path';
import { invalidArgument } from '../../grpc/errors.js';

/** The spec's general size limit for strings (paths and node ids are exempt). */
export const MAX_NAME_BYTES = 128;
const BANNED = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

export function required(value: string, field: string): string {
  if (!value) throw invalidArgument(`${field} is required`);
  return value;
}

/** CreateVolume / CreateSnapshot / CreateVolumeGroupSnapshot names: ≤128 bytes, no control characters. */
export function validName(value: string, field: string): string {
  required(value, field);
  if (Buffer.byteLength(value) > MAX_NAME_BYTES) throw invalidArgument(`${field} is longer than ${MAX_NAME_BYTES} bytes`);
  if (BANNED.test(value)) throw invalidArgument(`${field} contains a control character the spec bans`);
  return value;
}

export function absolutePath(value: string, field: string): string {
  required(value, field);
  if (!isAbsolute(value)) throw invalidArgument(`${field} must be an absolute path, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Domain-style plugin name: at most 63 characters, alphanumeric at both ends, dashes and dots
 * between. A configuration error, not a request error: a plain Error prefixed with `who`.
 */
export function validPluginName(name: string, who = 'csi'): string {
  if (!/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,61}[a-zA-Z0-9])?$/.test(name)) {
    throw new Error(
      `${who}: driver name ${JSON.stringify(name)} does not follow the CSI naming rules (≤63 chars, [a-zA-Z0-9] at both ends, dashes and dots between)`,
    );
  }
  return name;
}

/** Same keys, same values: the "same arguments" test of idempotent creates. */
export function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && b[k] === a[k]);
}
