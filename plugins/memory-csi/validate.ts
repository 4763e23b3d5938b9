// Request checks. Every failure is INVALID_ARGUMENT (the spec's "missing required field" and
// "invalid or unsupported field") and names the field as the proto spells it.
import { isAbsolute } from 'node:path';
import {
  VolumeCapability_AccessMode_Mode as Mode,
  type CapacityRange, type TopologyRequirement, type VolumeCapability,
} from '../../interfaces/gen/csi/csi.js';
import { invalidArgument } from '../../interfaces/grpc/errors.js';
import type { AccessType, Segments } from './store.js';

/** The spec's general size limit for strings (paths and node ids are exempt). */
export const MAX_NAME_BYTES = 128;
const BANNED = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

export function required(value: string, field: string): string {
  if (!value) throw invalidArgument(`${field} is required`);
  return value;
}

/** CreateVolume / CreateSnapshot / CreateVolumeGroupSnapshot names. */
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

/** Domain-style plugin name: at most 63 characters, alphanumeric at both ends, dashes and dots between. */
export function validPluginName(name: string): string {
  if (!/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,61}[a-zA-Z0-9])?$/.test(name)) {
    throw new Error(`memory-csi: driver name ${JSON.stringify(name)} does not follow the CSI naming rules (≤63 chars, [a-zA-Z0-9] at both ends, dashes and dots between)`);
  }
  return name;
}

const KNOWN_MODES = new Set<number>([
  Mode.SINGLE_NODE_WRITER, Mode.SINGLE_NODE_READER_ONLY, Mode.MULTI_NODE_READER_ONLY, Mode.MULTI_NODE_SINGLE_WRITER,
  Mode.MULTI_NODE_MULTI_WRITER, Mode.SINGLE_NODE_SINGLE_WRITER, Mode.SINGLE_NODE_MULTI_WRITER,
]);

/** Modes under which one node may publish the volume at several target paths at once. */
export const MULTI_TARGET_MODES = new Set<number>([
  Mode.MULTI_NODE_READER_ONLY, Mode.MULTI_NODE_SINGLE_WRITER, Mode.MULTI_NODE_MULTI_WRITER, Mode.SINGLE_NODE_MULTI_WRITER,
]);
/** Modes under which the volume may be controller-published to several nodes. */
export const MULTI_NODE_MODES = new Set<number>([Mode.MULTI_NODE_READER_ONLY, Mode.MULTI_NODE_SINGLE_WRITER, Mode.MULTI_NODE_MULTI_WRITER]);

export function accessTypeOf(cap: VolumeCapability): AccessType {
  return cap.block ? 'block' : 'mount';
}

/** One capability: access_type is one of block or mount, access_mode.mode a known mode. */
export function validCapability(cap: VolumeCapability | undefined, field: string): VolumeCapability {
  if (!cap) throw invalidArgument(`${field} is required`);
  if (!cap.block && !cap.mount) throw invalidArgument(`${field}.access_type is required: set block or mount`);
  if (cap.block && cap.mount) throw invalidArgument(`${field}.access_type must be one of block or mount, not both`);
  if (!cap.accessMode) throw invalidArgument(`${field}.access_mode is required`);
  if (!KNOWN_MODES.has(cap.accessMode.mode)) throw invalidArgument(`${field}.access_mode.mode ${Mode[cap.accessMode.mode] ?? cap.accessMode.mode} is not a supported access mode`);
  return cap;
}

/** A non-empty list of capabilities that all use the same access type. */
export function validCapabilities(caps: VolumeCapability[], field: string): { accessType: AccessType; fsType: string } {
  if (!caps.length) throw invalidArgument(`${field} is required: give at least one volume capability`);
  caps.forEach((c, i) => validCapability(c, `${field}[${i}]`));
  const types = new Set(caps.map(accessTypeOf));
  if (types.size > 1) throw invalidArgument(`${field} mixes block and mount access types; a volume is one or the other`);
  const fsTypes = new Set(caps.map((c) => c.mount?.fsType ?? '').filter(Boolean));
  if (fsTypes.size > 1) throw invalidArgument(`${field} asks for several filesystem types: ${[...fsTypes].join(', ')}`);
  return { accessType: accessTypeOf(caps[0]), fsType: [...fsTypes][0] ?? '' };
}

/** Canonical form of a capability, for "same arguments" comparisons. */
export function capabilityKey(cap: VolumeCapability): string {
  const m = cap.mount;
  return JSON.stringify([accessTypeOf(cap), cap.accessMode?.mode ?? 0, m?.fsType ?? '', [...(m?.mountFlags ?? [])].sort(), m?.volumeMountGroup ?? '']);
}

/** Why `cap` cannot be used with a volume of this access type and filesystem, or undefined when it can. */
export function incompatibility(cap: VolumeCapability, vol: { accessType: AccessType; fsType: string }): string | undefined {
  const at = accessTypeOf(cap);
  if (at !== vol.accessType) return `the volume is a ${vol.accessType} volume, the capability asks for ${at} access`;
  const fs = cap.mount?.fsType ?? '';
  if (fs && vol.fsType && fs !== vol.fsType) return `the volume's filesystem is ${vol.fsType}, the capability asks for ${fs}`;
  return undefined;
}

/** required_bytes / limit_bytes: non-negative, and limit (when set) not below required. */
export function validRange(range: CapacityRange | undefined, field: string): { required: bigint; limit: bigint } | undefined {
  if (!range) return undefined;
  const { requiredBytes: required, limitBytes: limit } = range;
  if (required < 0n) throw invalidArgument(`${field}.required_bytes must not be negative`);
  if (limit < 0n) throw invalidArgument(`${field}.limit_bytes must not be negative`);
  if (limit > 0n && required > limit) throw invalidArgument(`${field}.required_bytes (${required}) is larger than limit_bytes (${limit})`);
  return { required, limit };
}

export function validRequirement(req: TopologyRequirement | undefined, field: string): TopologyRequirement | undefined {
  if (!req) return undefined;
  if (!req.requisite.length && !req.preferred.length) throw invalidArgument(`${field}: give requisite or preferred topologies (or leave the field unset)`);
  return req;
}

/** Topology `t` describes (part of) segments `node`: every key of t has the node's value. */
export function within(t: Segments, node: Segments): boolean {
  const keys = Object.keys(t);
  return keys.length > 0 && keys.every((k) => node[k] === t[k]);
}

export function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && b[k] === a[k]);
}

const UNITS: Record<string, bigint> = {
  '': 1n, k: 1000n, K: 1000n, M: 1000n ** 2n, G: 1000n ** 3n, T: 1000n ** 4n, P: 1000n ** 5n,
  Ki: 1024n, Mi: 1024n ** 2n, Gi: 1024n ** 3n, Ti: 1024n ** 4n, Pi: 1024n ** 5n,
};

/** Bytes from a Kubernetes-style quantity ("1Gi", "500M", "4096"). */
export function parseQuantity(value: string, field: string): bigint {
  const m = /^(\d{1,18})(k|K|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/.exec(value.trim());
  if (!m) throw invalidArgument(`${field} ${JSON.stringify(value)} is not a size (bytes, or a quantity such as 512Mi or 1G)`);
  const bytes = BigInt(m[1]) * UNITS[m[2] ?? ''];
  if (bytes <= 0n) throw invalidArgument(`${field} must be larger than zero`);
  return bytes;
}
