// Choosing a pod subnet for a bridge network on a machine that already has networks (other
// bridges, VPNs, CNI networks, a Kubernetes node's pod and service ranges). A pure function
// over the host's routes and addresses (hostNetworks() in index.ts reads them), so the choice is
// unit-tested without root. The search covers all of the private ranges (RFC 1918), skipping
// past each taken range instead of trying a fixed handful of neighbours, and starts at a place
// derived from a seed (the stack's state dir, a bridge name): the same stack gets the same
// subnet every time, and stacks started side by side rarely race for the same one.
import { createHash } from 'node:crypto';
import { formatIp, lastOf, networkOf, parseCidr } from '../../interfaces/cni/index.js';

/** Where a subnet is searched by default: the private IPv4 ranges. */
export const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

export interface AvoidedRange {
  cidr: string;
  why: string;
}

/**
 * Ranges never chosen although nothing on the host may route them: traffic to them goes
 * through a node's own rules (kube-proxy), not its routing table.
 */
export const AVOIDED_RANGES: AvoidedRange[] = [{ cidr: '10.96.0.0/12', why: "Kubernetes' default service range" }];

/** Something that occupies addresses on the host: a route or an interface address. */
export interface HostNetwork {
  cidr: string;
  what: string;
}

export interface ChooseOptions {
  /** Size of the subnet to choose (default 24). */
  prefix?: number;
  /** Where to search (default PRIVATE_RANGES). */
  ranges?: string[];
  /** Never chosen (default AVOIDED_RANGES). */
  avoid?: AvoidedRange[];
  /** Where the search starts (a hash of it); default: the start of the first range. */
  seed?: string;
  /** How to choose one by hand, for the error (e.g. "--subnet <cidr> or TRIAD_REFERENCE_SUBNET"). */
  hint?: string;
}

export interface Choice {
  subnet: string;
  /** The range it came from. */
  range: string;
  /** Host networks and avoided ranges passed over on the way (what made the first candidate unusable). */
  passedOver: string[];
}

interface Interval {
  lo: number;
  hi: number;
  what: string;
}

function interval(cidr: string, what: string, field = 'subnet'): Interval {
  const c = parseCidr(cidr.includes('/') ? cidr : `${cidr}/32`);
  if (!c) throw new Error(`${field}: ${cidr} is not a CIDR`);
  if (c.family !== 4) throw new Error(`${field}: ${cidr} is not IPv4`);
  return { lo: Number(networkOf(c).value), hi: Number(lastOf(c).value), what };
}

const fmt = (n: number, prefix: number) => `${formatIp({ family: 4, value: BigInt(n) })}/${prefix}`;

/** The host networks (and avoided ranges, when given) that overlap `subnet`. */
export function subnetConflicts(subnet: string, taken: HostNetwork[], avoid: AvoidedRange[] = []): string[] {
  const s = interval(subnet, subnet);
  const all = [...taken.map((t) => interval(t.cidr, t.what, 'host network')), ...avoid.map((a) => interval(a.cidr, `${a.cidr} (${a.why})`, 'avoided range'))];
  return all.filter((t) => t.lo <= s.hi && s.lo <= t.hi).map((t) => t.what);
}

/**
 * A /prefix subnet inside `ranges` that overlaps none of `taken` nor the avoided ranges.
 * Throws, naming the ranges searched, what occupies them and how to choose one by hand.
 */
export function chooseSubnet(taken: HostNetwork[], o: ChooseOptions = {}): Choice {
  const prefix = o.prefix ?? 24;
  if (!Number.isInteger(prefix) || prefix < 8 || prefix > 29) throw new Error(`subnet size /${prefix}: need /8 to /29`);
  const size = 2 ** (32 - prefix);
  const ranges = (o.ranges ?? PRIVATE_RANGES).map((r) => {
    const i = interval(r, r, 'range');
    if (i.hi - i.lo + 1 < size) throw new Error(`range ${r} is smaller than a /${prefix}`);
    return i;
  });
  if (!ranges.length) throw new Error('no range to choose a subnet from');
  const avoid = o.avoid ?? AVOIDED_RANGES;
  const blockers = [
    ...taken.map((t) => interval(t.cidr, t.what, 'host network')),
    ...avoid.map((a) => interval(a.cidr, `${a.cidr} (${a.why})`, 'avoided range')),
  ].sort((a, b) => a.lo - b.lo);

  // the seed picks a block among all blocks of all ranges; the walk goes on from there, wrapping
  const counts = ranges.map((r) => Math.floor((r.hi - r.lo + 1) / size));
  const total = counts.reduce((a, b) => a + b, 0);
  let start = o.seed === undefined ? 0 : parseInt(createHash('sha256').update(o.seed).digest('hex').slice(0, 12), 16) % total;
  let first = 0;
  while (start >= counts[first]) {
    start -= counts[first];
    first++;
  }
  const startAddr = ranges[first].lo + start * size;
  const segments: Array<{ r: Interval; lo: number; hi: number }> = [{ r: ranges[first], lo: startAddr, hi: ranges[first].hi }];
  for (let k = 1; k < ranges.length; k++) {
    const r = ranges[(first + k) % ranges.length];
    segments.push({ r, lo: r.lo, hi: r.hi });
  }
  if (startAddr > ranges[first].lo) segments.push({ r: ranges[first], lo: ranges[first].lo, hi: startAddr - 1 });

  const passedOver: string[] = [];
  for (const seg of segments) {
    // blocks are aligned to the range (its start is aligned to its own, larger, size)
    let cand = seg.lo;
    while (cand + size - 1 <= seg.hi) {
      const end = cand + size - 1;
      const hit = blockers.filter((b) => b.lo <= end && cand <= b.hi);
      if (!hit.length)
        return { subnet: fmt(cand, prefix), range: fmt(seg.r.lo, 32 - Math.log2(seg.r.hi - seg.r.lo + 1)), passedOver: [...new Set(passedOver)] };
      for (const h of hit) passedOver.push(h.what);
      // past the furthest-reaching blocker, up to the next aligned block
      const past = Math.max(...hit.map((h) => h.hi)) + 1;
      cand = seg.r.lo + Math.ceil((past - seg.r.lo) / size) * size;
    }
  }
  const occupied = [...new Set(passedOver)];
  const shown = occupied.slice(0, 8).join(', ') + (occupied.length > 8 ? `, and ${occupied.length - 8} more` : '');
  throw new Error(
    `no free /${prefix} subnet in ${ranges.map((r) => fmt(r.lo, 32 - Math.log2(r.hi - r.lo + 1))).join(', ')}: every one overlaps ${shown || 'something'}${o.hint ? `; choose one by hand with ${o.hint}` : ''}`,
  );
}

/** What a --subnet value asks for. */
export type SubnetRequest = { kind: 'auto' } | { kind: 'exact'; subnet: string } | { kind: 'range'; range: string };

/**
 * Parse a --subnet / TRIAD_REFERENCE_SUBNET value: `auto` (or empty) → search the private
 * ranges; a /24 to /29 → exactly that subnet; a larger block (/8 to /23) → a free /24 inside it.
 */
export function parseSubnetRequest(value: string | undefined, source = '--subnet'): SubnetRequest {
  const v = (value ?? '').trim();
  if (!v || v === 'auto') return { kind: 'auto' };
  const c = parseCidr(v);
  if (!c || c.family !== 4)
    throw new Error(`${source}: ${v} is not an IPv4 CIDR (e.g. 172.30.7.0/24 for exactly that subnet, 172.30.0.0/16 for a free /24 inside it, or auto)`);
  const canonical = fmt(Number(networkOf(c).value), c.prefix);
  if (canonical !== v) throw new Error(`${source}: ${v} has host bits set (the network is ${canonical})`);
  if (c.prefix > 29) throw new Error(`${source}: ${v} is too small for pods (need /29 or larger)`);
  if (c.prefix < 8) throw new Error(`${source}: ${v} is too large (need /8 or smaller)`);
  return c.prefix >= 24 ? { kind: 'exact', subnet: v } : { kind: 'range', range: v };
}
