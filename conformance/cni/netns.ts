// Kernel checks (--netns, or found automatically for a real plugin as root): each case gets its
// own network namespace (ip netns add, deleted in cleanup). The ADD result and the namespace
// agree both ways: what the result puts in the container (interfaces with a sandbox, their
// addresses, routes) is really there, and every link, address and route that appeared in the
// namespace during ADD is in the result. After DEL the interface is gone; DEL still succeeds
// once the namespace itself is gone.
import { execa } from 'execa';
import { basename } from 'node:path';
import { parseCidr, parseIp, type Result } from '../../interfaces/cni/index.js';
import { expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { CNI } from './case.js';
import { RULES, type CniEnv, CniKit } from './kit.js';

const G = 'cni.netns';
const c = defineCases(CniKit, G);
const R = {
  interfaces: 'cni.add.result-interfaces-match-netns',
  ips: 'cni.add.result-ips-match-netns',
  routes: 'cni.add.result-routes-match-netns',
};

interface Link {
  ifname: string;
  address?: string;
  addr_info?: Array<{ local: string; prefixlen: number; scope?: string }>;
}
interface Route {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  table?: string;
  type?: string;
}
interface NsState {
  links: Link[];
  routes: Route[];
}

/** Links with their addresses and the routes of every table, as `ip -j` prints them inside the namespace. */
export async function nsState(netns: string): Promise<NsState> {
  const ns = basename(netns);
  const j = async (args: string[]) => JSON.parse((await execa('ip', ['-n', ns, '-j', ...args])).stdout || '[]');
  const links = (await j(['addr', 'show'])) as Link[];
  const routes = [...(await j(['-4', 'route', 'show', 'table', 'all'])), ...(await j(['-6', 'route', 'show', 'table', 'all']))] as Route[];
  return { links, routes };
}

/** A destination as one canonical string: "default" and host routes become CIDRs, the network part masked. */
function canonical(dst: string, family?: 4 | 6): string {
  if (dst === 'default') return canonical(family === 6 ? '::/0' : '0.0.0.0/0');
  const withPrefix = dst.includes('/') ? dst : `${dst}/${dst.includes(':') ? 128 : 32}`;
  const cidr = parseCidr(withPrefix);
  if (!cidr) return dst;
  const bits = cidr.family === 4 ? 32 : 128;
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - cidr.prefix)) - 1n);
  return `${cidr.family}:${(cidr.value & mask).toString(16)}/${cidr.prefix}`;
}
const sameIp = (a?: string, b?: string) => !!a && !!b && parseIp(a)?.value === parseIp(b)?.value;

/** Routes a plugin made: not the kernel's own (subnet, local, multicast, link-local). */
const madeRoutes = (rs: Route[]) => rs.filter((r) => r.protocol !== 'kernel' && r.table !== 'local' && (r.type ?? 'unicast') === 'unicast');
const routeKey = (r: Route) => `${canonical(r.dst, r.gateway?.includes(':') || r.dst.includes(':') ? 6 : 4)} via ${r.gateway ?? '-'} dev ${r.dev ?? '-'}`;
/** Addresses a plugin gave: not link-local (the kernel adds those when a link comes up). */
const madeAddrs = (l: Link) => (l.addr_info ?? []).filter((a) => a.scope !== 'link' && a.scope !== 'host');

/** The interfaces the result puts in a container (non-empty sandbox), with their index. */
const inSandbox = (r: Result) => (r.interfaces ?? []).map((it, i) => ({ it, i })).filter((x) => !!x.it.sandbox);

export const netnsCases: CaseDef<CniEnv>[] = [
  c({
    id: 'cni.netns.result-matches-netns',
    rpc: 'ADD',
    needs: [CNI.kernel],
    name: 'After ADD what the result puts in the container is there: interfaces (name, MAC), their addresses, the routes',
    rules: [RULES.addResult, R.interfaces, R.ips, R.routes],
    async run(k) {
      const net = k.network();
      const { att, result } = await k.add(net);
      const mine = inSandbox(result);
      if (!mine.length)
        fail(`the result puts no interface in the container (interfaces: ${JSON.stringify(result.interfaces ?? [])})`, { rule: R.interfaces, actual: result });
      const { links, routes } = await nsState(att.netns);
      const names = links.map((l) => l.ifname).join(', ');
      for (const { it, i } of mine) {
        const link = links.find((l) => l.ifname === it.name);
        if (!link)
          fail(`the result reports ${it.name} in ${it.sandbox}, but ${att.netns} has no such link (links: ${names})`, { rule: R.interfaces, actual: links });
        if (it.mac)
          expectTrue(link.address?.toLowerCase() === it.mac.toLowerCase(), `${it.name} has MAC ${link.address}, the result says ${it.mac}`, {
            rule: R.interfaces,
            actual: link,
          });
        for (const ip of (result.ips ?? []).filter((x) => x.interface === i)) {
          const [addr, prefix] = ip.address.split('/');
          expectTrue(
            (link.addr_info ?? []).some((a) => sameIp(a.local, addr) && String(a.prefixlen) === prefix),
            `${it.name} does not carry ${ip.address} (it has ${(link.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).join(', ') || 'none'})`,
            { rule: R.ips, actual: link },
          );
        }
      }
      for (const r of result.routes ?? []) {
        const want = canonical(r.dst);
        const found = routes.filter((x) => canonical(x.dst, x.dst.includes(':') || r.dst.includes(':') ? 6 : 4) === want);
        expectTrue(found.length > 0, `the result reports a route to ${r.dst}, but ${att.netns} has none`, { rule: R.routes, actual: routes });
        if (r.gw)
          expectTrue(
            found.some((x) => sameIp(x.gateway, r.gw)),
            `the route to ${r.dst} in ${att.netns} goes via ${found.map((x) => x.gateway ?? 'no gateway').join(', ')}, the result says ${r.gw}`,
            { rule: R.routes, actual: found },
          );
      }
    },
  }),
  c({
    id: 'cni.netns.netns-matches-result',
    rpc: 'ADD',
    needs: [CNI.kernel],
    name: 'Every link, address and route that ADD put in the container is in the result',
    rules: [RULES.addResult, R.interfaces, R.ips, R.routes],
    async run(k) {
      const net = k.network();
      const netns = await k.netns();
      const before = await nsState(netns);
      const { result } = await k.add(net, { netns });
      const after = await nsState(netns);
      const had = new Set(before.links.map((l) => l.ifname));
      const reported = new Set(inSandbox(result).map((x) => x.it.name));
      for (const l of after.links.filter((x) => !had.has(x.ifname))) {
        expectTrue(
          reported.has(l.ifname),
          `ADD created link ${l.ifname} in ${netns}, but the result does not list it in the container (interfaces: ${JSON.stringify(result.interfaces ?? [])})`,
          { rule: R.interfaces, actual: result },
        );
      }
      const oldAddrs = new Set(before.links.flatMap((l) => madeAddrs(l).map((a) => `${l.ifname} ${a.local}/${a.prefixlen}`)));
      for (const l of after.links) {
        for (const a of madeAddrs(l)) {
          if (oldAddrs.has(`${l.ifname} ${a.local}/${a.prefixlen}`)) continue;
          expectTrue(
            (result.ips ?? []).some((ip) => {
              const [x, p] = ip.address.split('/');
              return sameIp(x, a.local) && p === String(a.prefixlen);
            }),
            `ADD put ${a.local}/${a.prefixlen} on ${l.ifname} in ${netns}, but the result's ips do not list it (ips: ${JSON.stringify(result.ips ?? [])})`,
            { rule: R.ips, actual: result },
          );
        }
      }
      const oldRoutes = new Set(madeRoutes(before.routes).map(routeKey));
      for (const r of madeRoutes(after.routes).filter((x) => !oldRoutes.has(routeKey(x)))) {
        const fam = r.dst.includes(':') || r.gateway?.includes(':') ? 6 : 4;
        expectTrue(
          (result.routes ?? []).some((x) => canonical(x.dst) === canonical(r.dst, fam)),
          `ADD added the route ${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} in ${netns}, but the result's routes do not list it (routes: ${JSON.stringify(result.routes ?? [])})`,
          { rule: R.routes, actual: result },
        );
      }
    },
  }),
  c({
    // [Optional]: DEL "should" delete the interface.
    id: 'cni.netns.interface-removed',
    rpc: 'DEL',
    tags: ['Optional'],
    needs: [CNI.kernel],
    name: 'After DEL the interface is gone from the namespace',
    rules: [RULES.addResult, RULES.delOk, 'cni.del.undoes-add'],
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      await k.del(net, att);
      const { links } = await nsState(att.netns);
      expectTrue(!links.some((l) => l.ifname === att.ifName), `${att.ifName} still exists in ${att.netns} after DEL`, {
        rule: 'cni.del.undoes-add',
        actual: links,
      });
    },
  }),
  c({
    // [Optional]: DEL "should" complete although resources (the namespace) are gone.
    id: 'cni.netns.del-after-netns-gone',
    rpc: 'DEL',
    tags: ['Optional'],
    needs: [CNI.kernel],
    name: 'DEL succeeds after the namespace was deleted',
    rules: [RULES.addResult, 'cni.del.completes-despite-missing'],
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      await execa('ip', ['netns', 'del', basename(att.netns)]);
      await k.del(net, att, 'cni.del.completes-despite-missing');
    },
  }),
];
