// Volume capabilities: validating the ones a request carries, comparing them, and deciding whether
// one fits an existing volume. Drivers narrow what they accept with CapabilitySupport.
import { VolumeCapability_AccessMode_Mode as Mode, type VolumeCapability } from '../../gen/csi/csi.js';
import { invalidArgument } from '../../grpc/errors.js';
import type { DeepPartial } from '../../grpc/types.js';

export { Mode };
export type AccessType = 'mount' | 'block';

/** Every access mode of spec v1.12 (UNKNOWN and UNRECOGNIZED are never valid). */
export const ALL_MODES: ReadonlySet<number> = new Set<number>([
  Mode.SINGLE_NODE_WRITER,
  Mode.SINGLE_NODE_READER_ONLY,
  Mode.MULTI_NODE_READER_ONLY,
  Mode.MULTI_NODE_SINGLE_WRITER,
  Mode.MULTI_NODE_MULTI_WRITER,
  Mode.SINGLE_NODE_SINGLE_WRITER,
  Mode.SINGLE_NODE_MULTI_WRITER,
]);
/** Modes a volume that lives on one node can honour. */
export const SINGLE_NODE_MODES: ReadonlySet<number> = new Set<number>([
  Mode.SINGLE_NODE_WRITER,
  Mode.SINGLE_NODE_READER_ONLY,
  Mode.SINGLE_NODE_SINGLE_WRITER,
  Mode.SINGLE_NODE_MULTI_WRITER,
]);
/** Modes under which one node may publish the volume at several target paths at once. */
export const MULTI_TARGET_MODES: ReadonlySet<number> = new Set<number>([
  Mode.MULTI_NODE_READER_ONLY,
  Mode.MULTI_NODE_SINGLE_WRITER,
  Mode.MULTI_NODE_MULTI_WRITER,
  Mode.SINGLE_NODE_MULTI_WRITER,
]);
/** Modes under which the volume may be controller-published to several nodes. */
export const MULTI_NODE_MODES: ReadonlySet<number> = new Set<number>([
  Mode.MULTI_NODE_READER_ONLY,
  Mode.MULTI_NODE_SINGLE_WRITER,
  Mode.MULTI_NODE_MULTI_WRITER,
]);

/** What a driver can serve; anything else is INVALID_ARGUMENT ("unsupported field"). Default: everything. */
export interface CapabilitySupport {
  modes?: ReadonlySet<number>;
  accessTypes?: ReadonlyArray<AccessType>;
}

export function accessTypeOf(cap: VolumeCapability): AccessType {
  return cap.block ? 'block' : 'mount';
}

/** Why this driver cannot serve `cap` at all, or undefined when it can (for ValidateVolumeCapabilities). */
export function unsupported(cap: VolumeCapability, support: CapabilitySupport = {}): string | undefined {
  const at = accessTypeOf(cap);
  if (support.accessTypes && !support.accessTypes.includes(at))
    return `${at} access is not supported by this driver (supported: ${support.accessTypes.join(', ')})`;
  const mode = cap.accessMode?.mode ?? Mode.UNKNOWN;
  if (support.modes && !support.modes.has(mode)) return `access mode ${Mode[mode] ?? mode} is not supported by this driver`;
  return undefined;
}

/** One capability: access_type is one of block or mount, access_mode.mode a known (and supported) mode. */
export function validCapability(cap: VolumeCapability | undefined, field: string, support: CapabilitySupport = {}): VolumeCapability {
  if (!cap) throw invalidArgument(`${field} is required`);
  if (!cap.block && !cap.mount) throw invalidArgument(`${field}.access_type is required: set block or mount`);
  if (cap.block && cap.mount) throw invalidArgument(`${field}.access_type must be one of block or mount, not both`);
  if (!cap.accessMode) throw invalidArgument(`${field}.access_mode is required`);
  if (!ALL_MODES.has(cap.accessMode.mode))
    throw invalidArgument(`${field}.access_mode.mode ${Mode[cap.accessMode.mode] ?? cap.accessMode.mode} is not a supported access mode`);
  const why = unsupported(cap, support);
  if (why) throw invalidArgument(`${field}: ${why}`);
  return cap;
}

/** A non-empty list of capabilities that all use the same access type and filesystem. */
export function validCapabilities(caps: VolumeCapability[], field: string, support: CapabilitySupport = {}): { accessType: AccessType; fsType: string } {
  if (!caps.length) throw invalidArgument(`${field} is required: give at least one volume capability`);
  caps.forEach((c, i) => validCapability(c, `${field}[${i}]`, support));
  const types = new Set(caps.map(accessTypeOf));
  if (types.size > 1) throw invalidArgument(`${field} mixes block and mount access types; a volume is one or the other`);
  const fsTypes = new Set(caps.map((c) => c.mount?.fsType ?? '').filter(Boolean));
  if (fsTypes.size > 1) throw invalidArgument(`${field} asks for several filesystem types: ${[...fsTypes].join(', ')}`);
  return { accessType: accessTypeOf(caps[0]), fsType: [...fsTypes][0] ?? '' };
}

/** Canonical form of a capability, for "same arguments" comparisons (mount flags in any order). */
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

/** A mount capability as a request field (clients and tests). */
export const mountCapability = (mode: Mode = Mode.SINGLE_NODE_WRITER, fsType = ''): DeepPartial<VolumeCapability> => ({
  mount: { fsType, mountFlags: [], volumeMountGroup: '' },
  accessMode: { mode },
});
/** A block capability as a request field. */
export const blockCapability = (mode: Mode = Mode.SINGLE_NODE_WRITER): DeepPartial<VolumeCapability> => ({ block: {}, accessMode: { mode } });
