// capacity_range handling shared by CreateVolume, ControllerExpandVolume and NodeExpandVolume:
// malformed ranges are INVALID_ARGUMENT, ranges the driver cannot satisfy OUT_OF_RANGE.
import type { CapacityRange } from '../../gen/csi/csi.js';
import { invalidArgument } from '../../grpc/errors.js';
import { outOfRange } from './errors.js';

export interface Range {
  required: bigint;
  limit: bigint;
}

/** required_bytes / limit_bytes: non-negative, and limit (when set) not below required. 0 = unset. */
export function validRange(range: CapacityRange | undefined, field: string): Range | undefined {
  if (!range) return undefined;
  const { requiredBytes: required, limitBytes: limit } = range;
  if (required < 0n) throw invalidArgument(`${field}.required_bytes must not be negative`);
  if (limit < 0n) throw invalidArgument(`${field}.limit_bytes must not be negative`);
  if (limit > 0n && required > limit) throw invalidArgument(`${field}.required_bytes (${required}) is larger than limit_bytes (${limit})`);
  return { required, limit };
}

export interface SizeRules {
  /** Size when the request asks for none: the source's size, or the driver's default. */
  natural: bigint;
  /** Largest volume the driver makes. */
  max: bigint;
  /** A content source the new volume must be able to hold. */
  source?: { bytes: bigint; what: string };
}

/**
 * The size of a new volume: required_bytes if given, else the natural size within limit_bytes;
 * never smaller than its content source. OUT_OF_RANGE when limit_bytes or the driver's maximum
 * rules every size out.
 */
export function resolveCapacity(range: Range | undefined, rules: SizeRules): bigint {
  const { natural, max, source } = rules;
  let size = range?.required || (range?.limit && range.limit < natural ? range.limit : natural);
  if (source && size < source.bytes) {
    if (range?.limit && range.limit < source.bytes) {
      throw outOfRange(`capacity_range.limit_bytes ${range.limit} is smaller than ${source.what} (${source.bytes} bytes)`);
    }
    size = source.bytes;
  }
  if (size > max) throw outOfRange(`${size} bytes is more than the largest volume this driver makes (${max} bytes)`);
  return size;
}

/** ControllerExpandVolume's capacity_range: required, well-formed, and asking for something. */
export function validExpansionRange(range: CapacityRange | undefined, field = 'capacity_range'): Range {
  if (!range) throw invalidArgument(`${field} is required`);
  const r = validRange(range, field)!;
  if (!r.required && !r.limit) throw invalidArgument(`${field}: set required_bytes or limit_bytes`);
  return r;
}

/**
 * The size ControllerExpandVolume grows a volume of `current` bytes to (`current` itself when it
 * already suffices). Volumes never shrink: a limit below the current size is OUT_OF_RANGE, and so
 * is a size above the driver's maximum. `what` names the volume in messages.
 */
export function expansionTarget(r: Range, current: bigint, max: bigint, what: string): bigint {
  if (r.limit && current > r.limit) throw outOfRange(`${what} already has ${current} bytes, more than limit_bytes ${r.limit}; volumes do not shrink`);
  const want = r.required || r.limit;
  if (want <= current) return current;
  if (want > max) throw outOfRange(`${want} bytes is more than the largest volume this driver makes (${max} bytes)`);
  return want;
}

const UNITS: Record<string, bigint> = {
  '': 1n,
  k: 1000n,
  K: 1000n,
  M: 1000n ** 2n,
  G: 1000n ** 3n,
  T: 1000n ** 4n,
  P: 1000n ** 5n,
  Ki: 1024n,
  Mi: 1024n ** 2n,
  Gi: 1024n ** 3n,
  Ti: 1024n ** 4n,
  Pi: 1024n ** 5n,
};

/** Bytes from a Kubernetes-style quantity ("1Gi", "500M", "4096"); INVALID_ARGUMENT naming `field`. */
export function parseQuantity(value: string, field: string): bigint {
  const m = /^(\d{1,18})(k|K|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/.exec(value.trim());
  if (!m) throw invalidArgument(`${field} ${JSON.stringify(value)} is not a size (bytes, or a quantity such as 512Mi or 1G)`);
  const bytes = BigInt(m[1]) * UNITS[m[2] ?? ''];
  if (bytes <= 0n) throw invalidArgument(`${field} must be larger than zero`);
  return bytes;
}
