// memory-cni's config: host-local's IPAM keys, read from the top level or from "ipam" (so a
// host-local style config works as is). Bad values are INVALID_NETWORK_CONFIG (7) naming the key.
import { join } from 'node:path';
import {
  cniError,
  CniErrorCode,
  contains,
  formatIp,
  lastOf,
  networkOf,
  offset,
  parseCidr,
  parseIp,
  type Cidr,
  type DnsConf,
  type Ip,
  type PluginConf,
  type Route,
} from '../../interfaces/cni/index.js';
import { parseFaults, type FaultRule } from './faults.js';
import { userTempDir } from '../../interfaces/util/tmp.js';

export const DEFAULT_SUBNET = '10.88.0.0/16';
export const DEFAULT_DATA_DIR = userTempDir('triad-memory-cni');

export interface MemoryConf {
  network: string;
  subnet: Cidr;
  rangeStart: Ip;
  rangeEnd: Ip;
  gateway: Ip;
  routes: Route[];
  dns?: DnsConf;
  /** Where this network's allocations live: <dataDir>/<network name>, as host-local. */
  stateDir: string;
  faults: FaultRule[];
}

export function parseMemoryConf(conf: PluginConf): MemoryConf {
  const ipam = (conf.ipam ?? {}) as Record<string, unknown>;
  const get = (k: string): unknown => (conf[k] !== undefined ? conf[k] : ipam[k]);
  const name = conf.name ?? '';

  const subnetText = (get('subnet') ?? DEFAULT_SUBNET) as string;
  const parsed = parseCidr(subnetText);
  if (!parsed) throw cniError(CniErrorCode.InvalidNetworkConfig, `subnet ${JSON.stringify(subnetText)} is not a CIDR`);
  const subnet: Cidr = { ...networkOf(parsed), prefix: parsed.prefix };
  const size = 1n << BigInt((subnet.family === 4 ? 32 : 128) - subnet.prefix);
  const net = networkOf(subnet);
  const last = lastOf(subnet);
  // Like host-local: skip the network address, and the broadcast address for IPv4 (/31 and /32 have neither).
  const small = subnet.family === 4 ? size <= 2n : size <= 1n;
  const defStart = small ? net : offset(net, 1n);
  const defEnd = small || subnet.family === 6 ? last : offset(last, -1n);

  const ipKey = (k: string, def: Ip): Ip => {
    const v = get(k);
    if (v === undefined) return def;
    const ip = parseIp(v as string);
    if (!ip) throw cniError(CniErrorCode.InvalidNetworkConfig, `${k} ${JSON.stringify(v)} is not an IP address`);
    if (!contains(subnet, ip)) throw cniError(CniErrorCode.InvalidNetworkConfig, `${k} ${v} is outside subnet ${subnetText}`);
    return ip;
  };
  const rangeStart = ipKey('rangeStart', defStart);
  const rangeEnd = ipKey('rangeEnd', defEnd);
  if (rangeStart.value > rangeEnd.value)
    throw cniError(CniErrorCode.InvalidNetworkConfig, `rangeStart ${formatIp(rangeStart)} is after rangeEnd ${formatIp(rangeEnd)}`);
  const gateway = ipKey('gateway', offset(net, small ? 0n : 1n));

  const rawRoutes = get('routes');
  let routes: Route[];
  if (rawRoutes === undefined) {
    routes = [{ dst: subnet.family === 4 ? '0.0.0.0/0' : '::/0', gw: formatIp(gateway) }];
  } else {
    if (!Array.isArray(rawRoutes)) throw cniError(CniErrorCode.InvalidNetworkConfig, 'routes must be an array');
    routes = rawRoutes.map((r, i) => {
      if (!parseCidr((r as Route)?.dst)) throw cniError(CniErrorCode.InvalidNetworkConfig, `routes[${i}].dst is not a CIDR`);
      if ((r as Route).gw !== undefined && !parseIp((r as Route).gw!))
        throw cniError(CniErrorCode.InvalidNetworkConfig, `routes[${i}].gw is not an IP address`);
      return r as Route;
    });
  }
  const dns = get('dns') as DnsConf | undefined;
  const dataDir = get('dataDir') ?? DEFAULT_DATA_DIR;
  if (typeof dataDir !== 'string' || !dataDir) throw cniError(CniErrorCode.InvalidNetworkConfig, 'dataDir must be a non-empty string');

  return { network: name, subnet, rangeStart, rangeEnd, gateway, routes, dns, stateDir: join(dataDir, name), faults: parseFaults(conf.faults) };
}
