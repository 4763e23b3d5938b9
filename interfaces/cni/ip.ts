// Just enough IP arithmetic for result validation and IPAM, on bigints so v4 and v6 share code.
// No node:net (isIP): every CNI verb is a process of its own and loading node:net costs it a
// few milliseconds; a strict dotted-quad pattern and the URL parser's IPv6 grammar do the same.
const V4_OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)';
const V4 = new RegExp(`^${V4_OCTET}(?:\\.${V4_OCTET}){3}$`);
const isIPv4 = (s: string) => V4.test(s);
const isIPv6 = (s: string) => s.includes(':') && !/[[\]\/?#@\s]/.test(s) && URL.canParse(`http://[${s}]/`);

export type Family = 4 | 6;
export interface Ip {
  family: Family;
  value: bigint;
}
export interface Cidr extends Ip {
  prefix: number;
}

export const bits = (f: Family): number => (f === 4 ? 32 : 128);

export function parseIp(s: string): Ip | undefined {
  if (typeof s !== 'string') return undefined;
  if (isIPv4(s)) {
    return { family: 4, value: s.split('.').reduce((a, o) => (a << 8n) | BigInt(Number(o)), 0n) };
  }
  if (!isIPv6(s) || s.includes('%')) return undefined;
  let text = s;
  // An embedded dotted quad (::ffff:1.2.3.4) becomes two hex groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const v = parseIp(quad[1])!.value;
    text = text.slice(0, -quad[1].length) + `${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return { family: 6, value: groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

export function formatIp(ip: Ip): string {
  if (ip.family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  // Compress the longest run (≥ 2) of zero groups, as RFC 5952 asks.
  let best = -1,
    bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function parseCidr(s: string): Cidr | undefined {
  if (typeof s !== 'string') return undefined;
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const ip = parseIp(m[1]);
  const prefix = Number(m[2]);
  if (!ip || prefix > bits(ip.family)) return undefined;
  return { ...ip, prefix };
}

export const isIp = (s: unknown): boolean => typeof s === 'string' && parseIp(s) !== undefined;
export const isCidr = (s: unknown): boolean => typeof s === 'string' && parseCidr(s) !== undefined;

const hostMask = (c: Cidr): bigint => (1n << BigInt(bits(c.family) - c.prefix)) - 1n;
export const networkOf = (c: Cidr): Ip => ({ family: c.family, value: c.value & ~hostMask(c) });
export const lastOf = (c: Cidr): Ip => ({ family: c.family, value: c.value | hostMask(c) });
export const contains = (c: Cidr, ip: Ip): boolean => ip.family === c.family && (ip.value & ~hostMask(c)) === networkOf(c).value;
export const offset = (ip: Ip, n: bigint): Ip => ({ family: ip.family, value: ip.value + n });
export const ipFamilyOf = (s: string): Family | undefined => parseIp(s.split('/')[0])?.family;
