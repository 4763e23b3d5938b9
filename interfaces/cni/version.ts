// Spec versions: comparison, negotiation, and converting/validating results between the two
// result shapes that matter today (0.3.x/0.4.0 with ips[].version, 1.x without).
import { parseCidr, parseIp, isIp, type Family } from './ip.js';
import type { Interface, IpConfig, Result, Route } from './types.js';

/** The spec version this library implements. */
export const CURRENT_VERSION = '1.1.0';
/** Versions whose results this library can read and write (0.1/0.2 results have another shape). */
export const SUPPORTED_VERSIONS: readonly string[] = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];

export function parseVersion(v: string): [number, number, number] {
  const m = typeof v === 'string' ? /^(\d+)\.(\d+)\.(\d+)$/.exec(v) : null;
  if (!m) throw new Error(`invalid CNI version ${JSON.stringify(v)} (expected MAJOR.MINOR.PATCH)`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [parseVersion(a), parseVersion(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

export const versionAtLeast = (v: string, min: string): boolean => compareVersions(v, min) >= 0;

/**
 * The version to use for a config: the highest of cniVersion and cniVersions[] that `supported`
 * contains (libcni likewise ignores versions newer than it implements). undefined when none is.
 */
export function negotiateVersion(conf: { cniVersion?: unknown; cniVersions?: unknown }, supported: readonly string[] = SUPPORTED_VERSIONS): string | undefined {
  const offered = [...(Array.isArray(conf.cniVersions) ? conf.cniVersions : []), ...(conf.cniVersion !== undefined ? [conf.cniVersion] : [])].filter(
    (v): v is string => typeof v === 'string' && supported.includes(v),
  );
  return offered.sort(compareVersions).at(-1);
}

const familyOf = (cidr: string): Family | undefined => parseIp(String(cidr).split('/')[0])?.family;

/** The same result in another spec version's shape. Unknown fields of a shape are dropped. */
export function convertResult(result: Result, to: string): Result {
  if (!SUPPORTED_VERSIONS.includes(to)) {
    throw new Error(`cannot convert a result to CNI version ${to} (supported: ${SUPPORTED_VERSIONS.join(', ')})`);
  }
  const from = result.cniVersion ?? to;
  if (!SUPPORTED_VERSIONS.includes(from)) {
    throw new Error(`cannot convert a result from CNI version ${from} (supported: ${SUPPORTED_VERSIONS.join(', ')})`);
  }
  const legacy = !versionAtLeast(to, '1.0.0');
  const v11 = versionAtLeast(to, '1.1.0');
  const out: Result = { cniVersion: to };
  if (result.interfaces) {
    out.interfaces = result.interfaces.map((i): Interface => {
      const { name, mac, sandbox, mtu, socketPath, pciID } = i;
      const o: Interface = { name };
      if (mac !== undefined) o.mac = mac;
      if (v11 && mtu !== undefined) o.mtu = mtu;
      if (sandbox !== undefined) o.sandbox = sandbox;
      if (v11 && socketPath !== undefined) o.socketPath = socketPath;
      if (v11 && pciID !== undefined) o.pciID = pciID;
      return o;
    });
  }
  if (result.ips) {
    out.ips = result.ips.map((ip): IpConfig => {
      const o = {} as IpConfig;
      if (legacy) {
        const f = familyOf(ip.address);
        o.version = ip.version ?? (f ? (String(f) as '4' | '6') : undefined);
      }
      o.address = ip.address;
      if (ip.gateway !== undefined) o.gateway = ip.gateway;
      if (ip.interface !== undefined) o.interface = ip.interface;
      return o;
    });
  }
  if (result.routes) {
    out.routes = result.routes.map((r): Route => {
      if (v11) return { ...r };
      const o: Route = { dst: r.dst };
      if (r.gw !== undefined) o.gw = r.gw;
      return o;
    });
  }
  if (result.dns) out.dns = { ...result.dns };
  return out;
}

const MAC = /^(?:[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}|[0-9a-f]{2}(?:[:-][0-9a-f]{2}){7}|[0-9a-f]{2}(?:[:-][0-9a-f]{2}){19})$/i;

/** Everything wrong with a result, each naming its field path; empty when it is valid. */
export function resultProblems(result: unknown): string[] {
  const p: string[] = [];
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return ['result: not a JSON object'];
  const r = result as Record<string, unknown>;
  let legacy = false;
  if (typeof r.cniVersion !== 'string') p.push('cniVersion: missing');
  else {
    try {
      legacy = !versionAtLeast(r.cniVersion, '1.0.0');
    } catch (e) {
      p.push(`cniVersion: ${(e as Error).message}`);
    }
  }
  const arr = (k: string): unknown[] => {
    if (r[k] === undefined || r[k] === null) return [];
    if (!Array.isArray(r[k])) {
      p.push(`${k}: not an array`);
      return [];
    }
    return r[k] as unknown[];
  };
  const ifaces = arr('interfaces');
  ifaces.forEach((x, i) => {
    const it = (x ?? {}) as Record<string, unknown>;
    if (typeof it.name !== 'string' || !it.name) p.push(`interfaces[${i}].name: missing`);
    if (it.mac !== undefined && it.mac !== '' && !(typeof it.mac === 'string' && MAC.test(it.mac))) {
      p.push(`interfaces[${i}].mac: ${JSON.stringify(it.mac)} is not a MAC address`);
    }
    if (it.mtu !== undefined && !(Number.isInteger(it.mtu) && (it.mtu as number) >= 0)) p.push(`interfaces[${i}].mtu: not a non-negative integer`);
  });
  arr('ips').forEach((x, i) => {
    const ip = (x ?? {}) as Record<string, unknown>;
    const cidr = parseCidr(ip.address as string);
    if (!cidr) p.push(`ips[${i}].address: ${JSON.stringify(ip.address)} is not an ip/prefix CIDR`);
    if (ip.gateway !== undefined) {
      const gw = parseIp(ip.gateway as string);
      if (!gw) p.push(`ips[${i}].gateway: ${JSON.stringify(ip.gateway)} is not an IP address`);
      else if (cidr && gw.family !== cidr.family) p.push(`ips[${i}].gateway: IPv${gw.family} gateway for an IPv${cidr.family} address`);
    }
    if (ip.interface !== undefined && !(Number.isInteger(ip.interface) && (ip.interface as number) >= 0 && (ip.interface as number) < ifaces.length)) {
      p.push(`ips[${i}].interface: index ${JSON.stringify(ip.interface)} out of range (${ifaces.length} interfaces)`);
    }
    if (legacy && ip.version === undefined) p.push(`ips[${i}].version: missing (required before 1.0.0)`);
    if (ip.version !== undefined) {
      if (ip.version !== '4' && ip.version !== '6') p.push(`ips[${i}].version: ${JSON.stringify(ip.version)} is not "4" or "6"`);
      else if (cidr && ip.version !== String(cidr.family)) p.push(`ips[${i}].version: "${ip.version}" for an IPv${cidr.family} address`);
    }
  });
  arr('routes').forEach((x, i) => {
    const rt = (x ?? {}) as Record<string, unknown>;
    if (!parseCidr(rt.dst as string)) p.push(`routes[${i}].dst: ${JSON.stringify(rt.dst)} is not a CIDR`);
    if (rt.gw !== undefined && !isIp(rt.gw)) p.push(`routes[${i}].gw: ${JSON.stringify(rt.gw)} is not an IP address`);
  });
  if (r.dns !== undefined) {
    const dns = r.dns as Record<string, unknown>;
    if (typeof dns !== 'object' || dns === null) p.push('dns: not an object');
    else if (dns.nameservers !== undefined) {
      if (!Array.isArray(dns.nameservers)) p.push('dns.nameservers: not an array');
      else
        dns.nameservers.forEach((n, i) => {
          if (!isIp(n)) p.push(`dns.nameservers[${i}]: ${JSON.stringify(n)} is not an IP address`);
        });
    }
  }
  return p;
}

export class ResultValidationError extends Error {
  constructor(
    readonly problems: string[],
    context = 'invalid CNI result',
  ) {
    super(`${context}: ${problems.join('; ')}`);
    this.name = 'ResultValidationError';
  }
}

/** Throws ResultValidationError listing every problem. */
export function validateResult(result: unknown, context?: string): asserts result is Result {
  const p = resultProblems(result);
  if (p.length) throw new ResultValidationError(p, context);
}
