// cni-static: a CNI plugin that hands each attachment one address from a fixed list in its
// config. The core of an example: copy this directory to start a plugin of your own.
//
// It configures no interface (that needs root and netlink): it is the address-allocation half of
// a plugin, standing alone, so it runs anywhere. A plugin that creates the interface (veth,
// macvlan...) adds `interfaces: [{ name: ifName, mac, sandbox: netns }]` to its result and points
// each `ips[].interface` at it.
//
//   { "type": "triad-static",
//     "addresses": ["10.22.0.10/24", "10.22.0.11/24"],   required: ip/prefix, one per attachment
//     "gateway": "10.22.0.1",                             optional, inside the addresses' subnets
//     "routes": [{ "dst": "0.0.0.0/0", "gw": "10.22.0.1" }],  optional, passed through
//     "dns": { "nameservers": ["10.22.0.1"] },           optional, passed through
//     "dataDir": "/var/lib/cni/triad-static" }            optional: allocations live in <dataDir>/<network>/
//
// State is host-local's layout: one file per allocated address, named after the address, holding
// "<containerID>\n<ifName>". A file is claimed with open(O_CREAT|O_EXCL) ('wx'): the kernel lets
// exactly one of several concurrent ADDs (separate processes) create it, so no lock is needed.
//
// Error codes (the skeleton adds 1 for versions, 4 for CNI_* variables, 6 for bad JSON):
//   7  invalid config (names the key)        11 every address is taken (TRY_AGAIN_LATER)
//   3  CHECK of an attachment we never made  5  state dir I/O failure
//   50 STATUS: the state dir is not writable 100 CHECK: prevResult lacks our address
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  cniError,
  CniErrorCode,
  contains,
  dispatch,
  formatIp,
  parseCidr,
  parseIp,
  type CmdArgs,
  type DispatchOutput,
  type DnsConf,
  type IpConfig,
  type PluginConf,
  type PluginFuncs,
  type Result,
  type Route,
} from 'triad/sdk/cni';

export const STATIC_CNI_TYPE = 'triad-static';
export const STATIC_CNI_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export const DEFAULT_DATA_DIR = '/var/lib/cni/triad-static';
/** Plugin-specific codes start at 100. */
export const ADDRESS_MISMATCH = 100;
/** A claim file still empty after this long belongs to an ADD that died mid-write: GC frees it. */
const ABANDONED_MS = 60_000;

export interface StaticConf {
  network: string;
  /** As written ("10.22.0.10/24"), in config order: the allocation order. */
  addresses: string[];
  gateway?: string;
  routes: Route[];
  dns?: DnsConf;
  /** <dataDir>/<network name> */
  stateDir: string;
}

export function parseStaticConf(conf: PluginConf): StaticConf {
  const { addresses, gateway, routes = [], dns, dataDir = DEFAULT_DATA_DIR } = conf as Record<string, unknown>;
  if (!Array.isArray(addresses) || addresses.length === 0)
    throw cniError(CniErrorCode.InvalidNetworkConfig, 'addresses must be a non-empty list of ip/prefix strings');
  const seen = new Set<string>();
  const cidrs = addresses.map((a, i) => {
    const c = parseCidr(a as string);
    if (!c) throw cniError(CniErrorCode.InvalidNetworkConfig, `addresses[${i}] ${JSON.stringify(a)} is not an ip/prefix address`);
    const ip = formatIp(c);
    if (seen.has(ip)) throw cniError(CniErrorCode.InvalidNetworkConfig, `addresses[${i}]: ${ip} is listed twice`);
    seen.add(ip);
    return c;
  });
  if (gateway !== undefined) {
    const gw = parseIp(gateway as string);
    if (!gw) throw cniError(CniErrorCode.InvalidNetworkConfig, `gateway ${JSON.stringify(gateway)} is not an IP address`);
    const outside = cidrs.find((c) => c.family === gw.family && !contains(c, gw));
    if (outside) throw cniError(CniErrorCode.InvalidNetworkConfig, `gateway ${gateway} is outside the subnet of ${formatIp(outside)}/${outside.prefix}`);
  }
  if (!Array.isArray(routes)) throw cniError(CniErrorCode.InvalidNetworkConfig, 'routes must be a list');
  routes.forEach((r, i) => {
    if (!parseCidr((r as Route)?.dst)) throw cniError(CniErrorCode.InvalidNetworkConfig, `routes[${i}].dst is not a CIDR`);
    if ((r as Route).gw !== undefined && !parseIp((r as Route).gw!)) throw cniError(CniErrorCode.InvalidNetworkConfig, `routes[${i}].gw is not an IP address`);
  });
  if (dns !== undefined && (typeof dns !== 'object' || dns === null || Array.isArray(dns)))
    throw cniError(CniErrorCode.InvalidNetworkConfig, 'dns must be an object');
  if (typeof dataDir !== 'string' || !dataDir) throw cniError(CniErrorCode.InvalidNetworkConfig, 'dataDir must be a non-empty string');
  return {
    network: conf.name ?? '', // the skeleton has checked the name: safe as a path component
    addresses: cidrs.map((c) => `${formatIp(c)}/${c.prefix}`),
    gateway: gateway as string | undefined,
    routes: routes as Route[],
    dns: dns as DnsConf | undefined,
    stateDir: join(dataDir, conf.name ?? ''),
  };
}

// ---- allocations on disk ----------------------------------------------------------------------

interface Allocation {
  ip: string;
  containerID: string;
  ifName: string;
  file: string;
}

const ipOf = (address: string) => address.split('/')[0];

function list(conf: StaticConf): Allocation[] {
  let names: string[];
  try {
    names = readdirSync(conf.stateDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw cniError(CniErrorCode.IoFailure, `cannot read state dir ${conf.stateDir}`, (e as Error).message);
  }
  const out: Allocation[] = [];
  for (const ip of names) {
    if (!parseIp(ip)) continue;
    const file = join(conf.stateDir, ip);
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    } // freed meanwhile
    const [containerID = '', ifName = ''] = text.split('\n');
    out.push({ ip, containerID, ifName, file });
  }
  return out;
}

const find = (conf: StaticConf, containerID: string, ifName: string) => list(conf).find((a) => a.containerID === containerID && a.ifName === ifName);

/** Claim the first free address of the list (or return the one this attachment already has). */
function claim(conf: StaticConf, containerID: string, ifName: string): string {
  const mine = find(conf, containerID, ifName);
  if (mine) return conf.addresses.find((a) => ipOf(a) === mine.ip) ?? `${mine.ip}/${mine.ip.includes(':') ? 128 : 32}`;
  try {
    mkdirSync(conf.stateDir, { recursive: true });
  } catch (e) {
    throw cniError(CniErrorCode.IoFailure, `cannot create state dir ${conf.stateDir}`, (e as Error).message);
  }
  for (const address of conf.addresses) {
    const file = join(conf.stateDir, ipOf(address));
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o644); // O_CREAT|O_EXCL: fails with EEXIST when someone holds it
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw cniError(CniErrorCode.IoFailure, `cannot record allocation of ${address}`, (e as Error).message);
    }
    try {
      writeSync(fd, `${containerID}\n${ifName}`);
    } catch (e) {
      try {
        unlinkSync(file);
      } catch {
        /* gone */
      }
      throw cniError(CniErrorCode.IoFailure, `cannot record allocation of ${address}`, (e as Error).message);
    } finally {
      closeSync(fd);
    }
    return address;
  }
  throw cniError(
    CniErrorCode.TryAgainLater,
    `all ${conf.addresses.length} addresses of network ${conf.network} are allocated`,
    'addresses come back as attachments are deleted',
  );
}

function free(a: Allocation): void {
  try {
    unlinkSync(a.file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw cniError(CniErrorCode.IoFailure, `cannot free ${a.ip}`, (e as Error).message);
  }
}

// ---- the verbs --------------------------------------------------------------------------------

export const staticCni: PluginFuncs = {
  versions: STATIC_CNI_VERSIONS,
  about: `triad example CNI plugin (type ${STATIC_CNI_TYPE}): one address per attachment from a static list`,

  add(a: CmdArgs): Result {
    const conf = parseStaticConf(a.config);
    const address = claim(conf, a.containerID, a.ifName);
    const family = parseIp(ipOf(address))!.family;
    const ip: IpConfig = { address };
    if (conf.gateway && parseIp(conf.gateway)!.family === family) ip.gateway = conf.gateway;
    // Written as 1.1.0; the skeleton converts it to the config's cniVersion and validates it.
    return { cniVersion: '1.1.0', ips: [ip], routes: conf.routes, ...(conf.dns ? { dns: conf.dns } : {}) };
  },

  check(a) {
    const conf = parseStaticConf(a.config);
    if (!a.prevResult) throw cniError(CniErrorCode.InvalidNetworkConfig, 'CHECK needs prevResult (the ADD result)');
    const mine = find(conf, a.containerID, a.ifName);
    if (!mine) throw cniError(CniErrorCode.UnknownContainer, `no address is allocated to ${a.containerID}/${a.ifName} in network ${conf.network}`);
    const have = (a.prevResult.ips ?? []).map((i) => ipOf(i.address));
    if (!have.includes(mine.ip))
      throw cniError(ADDRESS_MISMATCH, `${mine.ip} of ${a.containerID}/${a.ifName} is not in prevResult`, `prevResult has [${have.join(', ')}]`);
  },

  del(a) {
    const conf = parseStaticConf(a.config);
    // Idempotent: nothing allocated (a repeated DEL, or a DEL without ADD) is success.
    for (const al of list(conf)) if (al.containerID === a.containerID && al.ifName === a.ifName) free(al);
  },

  status(a) {
    const conf = parseStaticConf(a.config);
    const probe = join(conf.stateDir, `.probe-${process.pid}`);
    try {
      mkdirSync(conf.stateDir, { recursive: true });
      closeSync(openSync(probe, 'w'));
      unlinkSync(probe);
    } catch (e) {
      throw cniError(CniErrorCode.PluginNotAvailable, `state dir ${conf.stateDir} is not writable: ADD would fail`, (e as Error).message);
    }
  },

  gc(a) {
    const conf = parseStaticConf(a.config);
    const valid = new Set((a.validAttachments ?? []).map((v) => `${v.containerID}\n${v.ifname}`));
    for (const al of list(conf)) {
      if (!al.containerID) {
        // Claimed but never written: an ADD crashed between open and write, or is writing right now.
        let age = 0;
        try {
          age = Date.now() - statSync(al.file).mtimeMs;
        } catch {
          continue;
        }
        if (age > ABANDONED_MS) free(al);
        continue;
      }
      if (!valid.has(`${al.containerID}\n${al.ifName}`)) free(al);
    }
  },
};

/** The same protocol as the executable (CNI_* env and config in, stdout and exit code out), in-process. */
export function invokeStaticCni(env: Record<string, string | undefined>, stdin: string): Promise<DispatchOutput> {
  return dispatch(staticCni, env, stdin);
}
