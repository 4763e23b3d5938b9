// Addresses: concurrent ADDs get distinct addresses, DEL frees the address (the freed one is not
// held any more), and ADD again after DEL works.
import { expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { CNI, cniCase } from './case.js';
import type { CniEnv } from './kit.js';

const G = 'cni.IPAM';
const c = (d: Parameters<typeof cniCase>[1]) => cniCase(G, d);
const addrOf = (a: string) => a.split('/')[0];

export const ipamCases: CaseDef<CniEnv>[] = [
  c({
    id: 'cni.ipam.distinct-addresses-parallel', tags: ['Slow'], timeoutMs: 180_000,
    name: 'Many ADDs at once (default 50) all succeed with distinct addresses',
    async run(k) {
      const n = k.env.opts.parallelAdds ?? 50;
      const net = k.network();
      const results = await Promise.all(Array.from({ length: n }, async (_, i) => k.add(net, { containerID: k.containerId(`p${i}-`), rule: 'CNI ADD: concurrent ADDs for different containers MUST each succeed (a plugin serialises access to shared state itself)' })));
      const owners = new Map<string, string>();
      let withIps = 0;
      for (const r of results) {
        const ips = (r.outputs[k.env.index].ips ?? []).map((x) => addrOf(x.address));
        if (ips.length) withIps++;
        for (const ip of ips) {
          const other = owners.get(ip);
          if (other) fail(`address ${ip} was given to both ${other} and ${r.att.containerID}`, 'CNI IPAM: an address is allocated to one attachment at a time; concurrent ADDs MUST NOT hand out the same address', { actual: { ip, containers: [other, r.att.containerID] } });
          owners.set(ip, r.att.containerID);
        }
      }
      if (!withIps) k.ctx.notApplicable('the plugin\'s results carry no IP addresses');
    },
  }),
  c({
    id: 'cni.ipam.del-frees-address', needs: [CNI.ipamState], name: 'DEL frees the attachment\'s address',
    async run(k) {
      const net = k.network();
      const { att, outputs } = await k.add(net);
      const ips = (outputs[k.env.index].ips ?? []).map((x) => addrOf(x.address));
      if (!ips.length) k.ctx.notApplicable('the plugin\'s result carries no IP address');
      const before = k.allocations(net.name);
      for (const ip of ips) expectTrue(before.get(ip)?.containerID === att.containerID, `address ${ip} of ${att.containerID} is not recorded in the state dir`, 'CNI IPAM: an allocated address is recorded for its attachment', { actual: Object.fromEntries(before) });
      await k.del(net, att);
      const after = k.allocations(net.name);
      const held = ips.filter((ip) => after.has(ip));
      const mine = [...after].filter(([, o]) => o.containerID === att.containerID);
      expectTrue(!held.length && !mine.length, `after DEL, ${[...held, ...mine.map(([ip]) => ip)].join(', ')} still allocated to ${att.containerID}`,
        'CNI DEL: the plugin MUST release every resource the attachment held; its address becomes free for others', { actual: Object.fromEntries(after) });
    },
  }),
  c({
    id: 'cni.ipam.readd-after-del', name: 'ADD again after DEL of the same attachment succeeds',
    async run(k) {
      const net = k.network();
      const first = await k.add(net);
      await k.del(net, first.att);
      await k.add(net, { containerID: first.att.containerID, netns: first.att.netns, rule: 'CNI: after DEL an attachment is gone, so ADD for the same container and interface MUST work again' });
    },
  }),
  c({
    id: 'cni.ipam.two-interfaces', tags: ['Optional'], name: 'Two interfaces of one container get distinct addresses',
    async run(k) {
      const net = k.network();
      const netns = await k.netns();
      const containerID = k.containerId();
      const a = await k.add(net, { containerID, netns, ifName: 'eth0' });
      const b = await k.add(net, { containerID, netns, ifName: 'net1' });
      const ipa = (a.outputs[k.env.index].ips ?? []).map((x) => addrOf(x.address));
      const ipb = (b.outputs[k.env.index].ips ?? []).map((x) => addrOf(x.address));
      if (!ipa.length) k.ctx.notApplicable('the plugin\'s result carries no IP address');
      const both = ipa.filter((x) => ipb.includes(x));
      expectTrue(!both.length, `eth0 and net1 of ${containerID} both got ${both.join(', ')}`, 'CNI: an attachment is (container, network, interface); two attachments do not share an address', { actual: { eth0: ipa, net1: ipb } });
    },
  }),
];
