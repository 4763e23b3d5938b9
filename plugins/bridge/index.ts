// The real CNI bridge network for the reference stack: a conflist for the reference plugins
// (bridge + host-local IPAM, portmap), the plugin binaries' location, host-side helpers (the
// bridge, routes, network namespaces) and cleanupBridge, which removes everything the network
// left on the host. Traffic stays on the machine: isGateway gives host↔pod, ipMasq is off and no
// route beyond the pod subnet is handed to pods.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCidr, parseConfList, type NetworkConfigList, formatIp, offset, networkOf, lastOf } from '../../interfaces/cni/index.js';
import { chooseSubnet, subnetConflicts, type Choice, type ChooseOptions, type HostNetwork } from './subnet.js';
import { run, tryRun, which } from '../reference/proc.js';

export * from './subnet.js';

export const REQUIRED_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap'];
export const DEFAULT_BIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];

export interface BridgeNetworkOptions {
  /** CNI network name (also the host-local subdirectory and the portmap rule comments). */
  name: string;
  /** Linux bridge device, ≤ 15 characters. */
  bridge: string;
  /** IPv4 pod subnet, e.g. 172.30.7.0/24 (pickSubnet finds a free one). */
  subnet: string;
  /** host-local's dataDir (allocations live in <dataDir>/<name>/). */
  dataDir: string;
  cniVersion?: string;
  /** Add the portmap plugin (hostPort support); default true. */
  portmap?: boolean;
}

/** Gateway (first host address) of a subnet, as CIDR and bare IP. */
export function gatewayOf(subnet: string): { ip: string; cidr: string; prefix: number } {
  const c = parseCidr(subnet);
  if (!c || c.family !== 4) throw new Error(`subnet ${subnet}: need an IPv4 CIDR`);
  if (c.prefix > 29) throw new Error(`subnet ${subnet}: too small (need /29 or larger)`);
  const ip = formatIp(offset(networkOf(c), 1n));
  return { ip, cidr: `${ip}/${c.prefix}`, prefix: c.prefix };
}

/** The conflist object: bridge (host-local IPAM) then portmap. No masquerade, no default route. */
export function bridgeConfList(o: BridgeNetworkOptions): Record<string, unknown> {
  if (o.bridge.length > 15) throw new Error(`bridge name ${o.bridge} is longer than 15 characters`);
  const c = parseCidr(o.subnet);
  if (!c || c.family !== 4) throw new Error(`subnet ${o.subnet}: need an IPv4 CIDR`);
  const net = `${formatIp(networkOf(c))}/${c.prefix}`;
  const plugins: Record<string, unknown>[] = [
    {
      type: 'bridge',
      bridge: o.bridge,
      isGateway: true,
      isDefaultGateway: false,
      ipMasq: false,
      hairpinMode: true,
      promiscMode: false,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: net, gateway: gatewayOf(net).ip, rangeStart: formatIp(offset(networkOf(c), 2n)), rangeEnd: formatIp(offset(lastOf(c), -1n)) }]],
        // no `routes`: pods reach their own subnet only
        dataDir: o.dataDir,
      },
    },
  ];
  if (o.portmap !== false) plugins.push({ type: 'portmap', capabilities: { portMappings: true }, snat: false });
  return { cniVersion: o.cniVersion ?? '1.0.0', name: o.name, plugins };
}

/** Write the conflist into confDir (validated by triad's CNI library); returns its path. */
export function writeBridgeConfList(confDir: string, o: BridgeNetworkOptions, fileName = `10-${o.name}.conflist`): { path: string; list: NetworkConfigList } {
  mkdirSync(confDir, { recursive: true });
  mkdirSync(o.dataDir, { recursive: true });
  const text = JSON.stringify(bridgeConfList(o), null, 2) + '\n';
  const path = join(confDir, fileName);
  const list = parseConfList(text, { source: path, kind: 'list' });
  writeFileSync(path, text);
  return { path, list };
}

/** The loopback config, for runtimes that want `lo` as a separate network (containerd does lo itself). */
export function loopbackConf(cniVersion = '1.0.0'): Record<string, unknown> {
  return { cniVersion, name: 'lo', type: 'loopback' };
}

/** Directories holding the reference plugins: CNI_PATH entries first, then the usual places. */
export function findCniBinDirs(env = process.env, required = REQUIRED_PLUGINS): string[] {
  const candidates = [...(env.CNI_PATH ?? '').split(':').filter(Boolean), ...DEFAULT_BIN_DIRS];
  const dirs = [...new Set(candidates)].filter((d) => required.every((p) => existsSync(join(d, p))));
  return dirs;
}

export interface RouteEntry {
  dst: string;
  dev?: string;
  protocol?: string;
  type?: string;
  table?: string;
}

/** IPv4 routes of every table (`ip -j route show table all`), default routes left out. */
export async function hostRoutes(): Promise<RouteEntry[]> {
  const out = await run(ip(), ['-j', '-4', 'route', 'show', 'table', 'all']);
  return (JSON.parse(out || '[]') as RouteEntry[]).filter((r) => r.dst && r.dst !== 'default');
}

/**
 * What occupies IPv4 addresses on this machine: every route (any table) and every interface
 * address with its prefix (an address on a down link has no route, but its network is in use).
 * Loopback is left out (127/8 is never a candidate), and so is `ownBridge` (a bridge of ours,
 * re-used).
 */
export async function hostNetworks(ownBridge?: string): Promise<HostNetwork[]> {
  const out: HostNetwork[] = [];
  for (const r of await hostRoutes()) {
    if ((ownBridge && r.dev === ownBridge) || r.dst.startsWith('127.')) continue;
    out.push({
      cidr: r.dst.includes('/') ? r.dst : `${r.dst}/32`,
      what: `route ${r.type && r.type !== 'unicast' ? `${r.type} ` : ''}${r.dst}${r.dev ? ` dev ${r.dev}` : ''}${r.table && r.table !== 'main' ? ` table ${r.table}` : ''}`,
    });
  }
  for (const a of await addrs()) {
    if (a.ifname === 'lo' || (ownBridge && a.ifname === ownBridge)) continue;
    for (const i of a.addr_info ?? []) {
      if (i.family !== 'inet') continue;
      const c = parseCidr(`${i.local}/${i.prefixlen}`);
      if (c) out.push({ cidr: `${formatIp(networkOf(c))}/${c.prefix}`, what: `address ${i.local}/${i.prefixlen} on ${a.ifname}` });
    }
  }
  return out;
}

/** What on this machine overlaps `subnet` (routes and addresses on `ownBridge` aside), or undefined. */
export async function subnetConflict(subnet: string, ownBridge?: string): Promise<string | undefined> {
  return subnetConflicts(subnet, await hostNetworks(ownBridge))[0];
}

/** A free /24 (chooseSubnet over this machine's routes and addresses); see subnet.ts. */
export async function pickSubnet(o: ChooseOptions & { ownBridge?: string } = {}): Promise<Choice> {
  return chooseSubnet(await hostNetworks(o.ownBridge), o);
}

export function ip(): string {
  return which('ip') ?? 'ip';
}

export function iptables(): string | undefined {
  return which('iptables');
}

export interface LinkInfo {
  ifname: string;
  ifindex: number;
  master?: string;
  operstate?: string;
  linkinfo?: { info_kind?: string };
  address?: string;
}

export async function links(netns?: string): Promise<LinkInfo[]> {
  const args = netns ? ['-n', netns, '-j', '-d', 'link', 'show'] : ['-j', '-d', 'link', 'show'];
  return JSON.parse((await run(ip(), args)) || '[]') as LinkInfo[];
}

export async function linkExists(name: string): Promise<boolean> {
  return (await tryRun(ip(), ['link', 'show', 'dev', name])).code === 0;
}

/** Interfaces enslaved to `bridge` (the host ends of pod veths). */
export async function bridgePorts(bridge: string): Promise<string[]> {
  return (await links()).filter((l) => l.master === bridge).map((l) => l.ifname);
}

/**
 * Create the bridge with the gateway address (idempotent), so its route claims the subnet at once.
 * Its MAC is pinned, as the bridge plugin does for bridges it creates itself: an unpinned bridge
 * takes the lowest MAC of its ports, which changes as pods come and go — the bridge plugin's
 * CHECK then fails for every other pod ("Bridge interface … Mac doesn't match") and neighbours'
 * ARP entries for the gateway go stale.
 */
export async function ensureBridge(bridge: string, subnet: string): Promise<void> {
  const gw = gatewayOf(subnet);
  if (!(await linkExists(bridge))) {
    await run(ip(), ['link', 'add', 'name', bridge, 'type', 'bridge']);
  }
  await pinMac(bridge);
  const addrs = await addrsOf(bridge);
  if (!addrs.includes(gw.cidr)) await run(ip(), ['addr', 'add', gw.cidr, 'dev', bridge]);
  await run(ip(), ['link', 'set', 'dev', bridge, 'up']);
}

/** Set a link's MAC to itself unless it was set explicitly already (addr_assign_type 3, NET_ADDR_SET). */
async function pinMac(link: string): Promise<void> {
  let type = '';
  try {
    type = readFileSync(`/sys/class/net/${link}/addr_assign_type`, 'utf8').trim();
  } catch {
    /* no sysfs: try anyway */
  }
  if (type === '3') return;
  const [l] = JSON.parse((await run(ip(), ['-j', 'link', 'show', 'dev', link])) || '[]') as LinkInfo[];
  if (l?.address) await run(ip(), ['link', 'set', 'dev', link, 'address', l.address]);
}

export interface AddrInfo {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
  master?: string;
}

/** `ip -j [-n NS] addr`: every interface with its addresses. */
export async function addrs(netns?: string): Promise<AddrInfo[]> {
  const args = netns ? ['-n', netns, '-j', 'addr', 'show'] : ['-j', 'addr', 'show'];
  return JSON.parse((await run(ip(), args)) || '[]') as AddrInfo[];
}

/** CIDRs (a.b.c.d/n) on one interface of the host, or of a namespace. */
export async function addrsOf(ifname: string, netns?: string): Promise<string[]> {
  const all = await addrs(netns);
  return (all.find((a) => a.ifname === ifname)?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
}

// ---- network namespaces (ip netns: /var/run/netns/NAME) ----

export async function createNetns(name: string): Promise<string> {
  await run(ip(), ['netns', 'add', name]);
  await run(ip(), ['-n', name, 'link', 'set', 'lo', 'up']);
  return `/var/run/netns/${name}`;
}

export async function deleteNetns(name: string): Promise<void> {
  if ((await listNetns()).includes(name)) await run(ip(), ['netns', 'delete', name]);
}

export async function listNetns(): Promise<string[]> {
  const out = await tryRun(ip(), ['-j', 'netns', 'list']);
  if (out.code !== 0 || !out.stdout.trim()) return [];
  return (JSON.parse(out.stdout) as { name: string }[]).map((n) => n.name);
}

/** Run a command inside a named namespace (`ip netns exec`). */
export async function netnsExec(name: string, cmd: string[]): Promise<string> {
  return run(ip(), ['netns', 'exec', name, ...cmd]);
}

/** Addresses inside a network namespace given by name or by path (/var/run/netns/X, /proc/PID/ns/net). */
export async function netnsAddrs(ns: string): Promise<AddrInfo[]> {
  if (!ns.includes('/')) return addrs(ns);
  const out = await run(which('nsenter') ?? 'nsenter', [`--net=${ns}`, ip(), '-j', 'addr', 'show']);
  return JSON.parse(out || '[]') as AddrInfo[];
}

// ---- host-local state ----

/** IPs host-local has allocated for `network` (files named like addresses in <dataDir>/<network>). */
export function hostLocalAllocations(dataDir: string, network: string): string[] {
  const d = join(dataDir, network);
  if (!existsSync(d)) return [];
  return readdirSync(d)
    .filter((f) => /^[0-9.]+$/.test(f) || f.includes(':'))
    .filter((f) => !f.startsWith('last_reserved_ip'));
}

// ---- iptables rules portmap leaves ----

/** Chains the portmap plugin creates in the nat table, whatever network uses them. */
export const PORTMAP_SHARED_CHAINS = ['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-SETMARK', 'CNI-HOSTPORT-MASQ'];

async function natRules(): Promise<string[]> {
  const ipt = iptables();
  if (!ipt) return [];
  const r = await tryRun(ipt, ['-w', '-t', 'nat', '-S']);
  return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

export async function natChains(): Promise<string[]> {
  return (await natRules()).filter((l) => l.startsWith('-N ')).map((l) => l.slice(3).trim());
}

/**
 * Remove the portmap rules of network `name`: each `-A CNI-HOSTPORT-DNAT … --comment "dnat name: \"NAME\" id: …" -j CNI-DN-x`
 * jump and its CNI-DN-x chain; then each shared CNI-HOSTPORT-* chain that was not there before
 * (`preexisting`) and is now empty, with the PREROUTING/OUTPUT/POSTROUTING jumps into it.
 * `networkRules: false` skips the first part (a network other runtimes may use too).
 */
export async function cleanupPortmapRules(name: string, preexisting: string[] = [], opts: { networkRules?: boolean } = {}): Promise<string[]> {
  const ipt = iptables();
  if (!ipt) return [];
  const removed: string[] = [];
  const ours = (l: string) => l.includes(`name: \\"${name}\\"`);
  const dnChains = new Set<string>();
  // networkRules: false — only the shared chains (the network may be another runtime's too)
  for (const l of opts.networkRules === false ? [] : await natRules()) {
    if (!l.startsWith('-A ') || !ours(l)) continue;
    const target = l.match(/ -j (CNI-DN-[0-9a-f]+)/)?.[1];
    if (target) dnChains.add(target);
    await deleteRule(ipt, l);
    removed.push(l);
  }
  for (const chain of dnChains) {
    await tryRun(ipt, ['-w', '-t', 'nat', '-F', chain]);
    if ((await tryRun(ipt, ['-w', '-t', 'nat', '-X', chain])).code === 0) removed.push(`-X ${chain}`);
  }
  for (const chain of PORTMAP_SHARED_CHAINS) {
    if (preexisting.includes(chain)) continue;
    const now = await natRules();
    if (!now.includes(`-N ${chain}`)) continue;
    if (now.some((l) => l.startsWith(`-A ${chain} `))) continue; // still used by someone: keep
    for (const l of now)
      if (l.startsWith('-A ') && l.endsWith(`-j ${chain}`)) {
        await deleteRule(ipt, l);
        removed.push(l);
      }
    if ((await tryRun(ipt, ['-w', '-t', 'nat', '-X', chain])).code === 0) removed.push(`-X ${chain}`);
  }
  return removed;
}

async function deleteRule(ipt: string, spec: string): Promise<void> {
  // `-A CHAIN args…` as printed by -S; re-split respecting the quoted comment
  const args = (spec.slice(3).match(/"(?:\\.|[^"\\])*"|\S+/g) ?? []).map((a) => (a.startsWith('"') ? a.slice(1, -1).replace(/\\"/g, '"') : a));
  await tryRun(ipt, ['-w', '-t', 'nat', '-D', ...args]);
}

// ---- ip_forward: the bridge plugin (isGateway) turns it on; whoever set up the network turns it
// back off when it was off before ----

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

export function ipForward(): string {
  try {
    return readFileSync(IP_FORWARD, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * Forwarding back off when it was off before (`before`, read with ipForward() at setup), unless
 * another triad bridge (triad*) is still up and needs it. Returns whether it wrote.
 */
export async function restoreIpForward(before: string, ownBridge?: string): Promise<boolean> {
  if (before !== '0' || ipForward() !== '1') return false;
  if ((await links()).some((l) => l.ifname !== ownBridge && /^triad/.test(l.ifname) && l.linkinfo?.info_kind === 'bridge')) return false;
  try {
    writeFileSync(IP_FORWARD, '0');
    return true;
  } catch {
    return false;
  } // read-only /proc/sys
}

export interface CleanupBridgeOptions {
  /** CNI network name: its portmap rules and host-local state are removed too. */
  network?: string;
  /** host-local dataDir of that network (default: leave files alone). */
  dataDir?: string;
  /** Shared portmap chains that existed before the network was set up (kept). */
  preexistingChains?: string[];
}

export interface CleanupReport {
  veths: string[];
  bridge: boolean;
  rules: string[];
  ipam: boolean;
}

/**
 * Remove what a bridge network left on the host: the veths still enslaved to the bridge, the
 * bridge, the network's portmap iptables rules, and its host-local allocations.
 */
export async function cleanupBridge(bridge: string, o: CleanupBridgeOptions = {}): Promise<CleanupReport> {
  const report: CleanupReport = { veths: [], bridge: false, rules: [], ipam: false };
  if (await linkExists(bridge)) {
    for (const port of await bridgePorts(bridge)) {
      const r = await tryRun(ip(), ['link', 'delete', 'dev', port]);
      if (r.code === 0) report.veths.push(port);
    }
    await run(ip(), ['link', 'delete', 'dev', bridge, 'type', 'bridge']);
    report.bridge = true;
  }
  if (o.network) report.rules = await cleanupPortmapRules(o.network, o.preexistingChains);
  if (o.network && o.dataDir) {
    const d = join(o.dataDir, o.network);
    if (existsSync(d)) {
      rmSync(d, { recursive: true, force: true });
      report.ipam = true;
    }
  }
  return report;
}
