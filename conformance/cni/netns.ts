// Kernel checks (--netns, root): each case gets its own network namespace (ip netns add,
// deleted in cleanup). After ADD the reported interface exists there with the reported MAC and
// addresses; after DEL it is gone; DEL still succeeds once the namespace itself is gone.
import { execa } from 'execa';
import { basename } from 'node:path';
import { expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { CNI, cniCase } from './case.js';
import type { CniEnv } from './kit.js';

const G = 'cni.netns';
const c = (d: Parameters<typeof cniCase>[1]) => cniCase(G, d);

interface Link { ifname: string; address?: string; addr_info?: Array<{ local: string; prefixlen: number }> }

async function links(netns: string): Promise<Link[]> {
  const r = await execa('ip', ['-n', basename(netns), '-j', 'addr', 'show']);
  return JSON.parse(r.stdout || '[]') as Link[];
}

export const netnsCases: CaseDef<CniEnv>[] = [
  c({
    id: 'cni.netns.interface-created', needs: [CNI.kernel], name: 'After ADD the reported interface exists in the namespace with the reported MAC and addresses',
    async run(k) {
      const net = k.network();
      const { att, result } = await k.add(net);
      const it = (result.interfaces ?? []).find((i) => i.name === att.ifName && (i.sandbox ?? '') !== '');
      if (!it) fail(`the result reports no interface ${att.ifName} in a sandbox`, 'CNI ADD: the plugin creates CNI_IFNAME in CNI_NETNS and reports it with its sandbox', { actual: result.interfaces });
      const inside = await links(att.netns);
      const link = inside.find((l) => l.ifname === att.ifName);
      const rule = 'CNI ADD: the interface the result reports exists in the container\'s namespace as reported (name, MAC, addresses)';
      if (!link) fail(`no link ${att.ifName} in ${att.netns} (links: ${inside.map((l) => l.ifname).join(', ')})`, rule, { actual: inside });
      if (it.mac) expectTrue(link.address?.toLowerCase() === it.mac.toLowerCase(), `${att.ifName} has MAC ${link.address}, the result says ${it.mac}`, rule, { actual: link });
      const idx = (result.interfaces ?? []).indexOf(it);
      for (const ip of (result.ips ?? []).filter((x) => x.interface === idx)) {
        const [addr, prefix] = ip.address.split('/');
        expectTrue((link.addr_info ?? []).some((a) => a.local === addr && String(a.prefixlen) === prefix), `${att.ifName} does not carry ${ip.address}`, rule, { actual: link });
      }
    },
  }),
  c({
    id: 'cni.netns.interface-removed', needs: [CNI.kernel], name: 'After DEL the interface is gone from the namespace',
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      await k.del(net, att);
      const inside = await links(att.netns);
      expectTrue(!inside.some((l) => l.ifname === att.ifName), `${att.ifName} still exists in ${att.netns} after DEL`, 'CNI DEL: the plugin MUST remove what its ADD created in the container', { actual: inside });
    },
  }),
  c({
    id: 'cni.netns.del-after-netns-gone', needs: [CNI.kernel], name: 'DEL succeeds after the namespace was deleted',
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      await execa('ip', ['netns', 'del', basename(att.netns)]);
      await k.del(net, att, 'CNI DEL: plugins should complete DEL without error even if resources (here the namespace) are already gone');
    },
  }),
];
