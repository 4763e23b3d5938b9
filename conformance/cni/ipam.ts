// Addresses: concurrent ADDs get distinct addresses, DEL frees the address (the freed one is not
// held any more), and ADD again after DEL works.
import { expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { CNI } from './case.js';
import { RULES, type CniEnv, CniKit } from './kit.js';

const G = 'cni.IPAM';
const c = defineCases(CniKit, G);
const addrOf = (a: string) => a.split('/')[0];

export const ipamCases: CaseDef<CniEnv>[] = [
  c({
    id: 'cni.ipam.distinct-addresses-parallel',
    rpc: 'ADD',
    tags: ['Slow'],
    timeoutMs: 180_000,
    name: 'Many ADDs at once (default 50) all succeed with distinct addresses, and as many DELs at once succeed',
    rules: ['cni.lifecycle.concurrent-containers'],
    async run(k) {
      const n = k.env.opts.parallelAdds ?? 50;
      const net = k.network();
      const results = await Promise.all(
        Array.from({ length: n }, async (_, i) => k.add(net, { containerID: k.containerId(`p${i}-`), rule: 'cni.lifecycle.concurrent-containers' })),
      );
      const owners = new Map<string, string>();
      let withIps = 0;
      for (const r of results) {
        const ips = (r.outputs[k.env.index].ips ?? []).map((x) => addrOf(x.address));
        if (ips.length) withIps++;
        for (const ip of ips) {
          const other = owners.get(ip);
          if (other)
            fail(`address ${ip} was given to both ${other} and ${r.att.containerID}`, {
              rule: 'cni.lifecycle.concurrent-containers',
              actual: { ip, containers: [other, r.att.containerID] },
            });
          owners.set(ip, r.att.containerID);
        }
      }
      // the same number of DELs at once (registered cleanups would run them one after another)
      await Promise.all(results.map((r) => k.del(net, r.att, 'cni.lifecycle.concurrent-containers')));
      if (!withIps) k.ctx.notApplicable("the plugin's results carry no IP addresses");
    },
  }),
  c({
    // [Optional]: DEL "should" undo what ADD did (for a delegating plugin that is its IPAM's DEL).
    id: 'cni.ipam.del-frees-address',
    rpc: 'DEL',
    tags: ['Optional'],
    needs: [CNI.ipamState],
    name: "DEL frees the attachment's address",
    rules: [RULES.addResult, RULES.delOk, 'cni.del.undoes-add'],
    async run(k) {
      const net = k.network();
      const { att, outputs } = await k.add(net);
      const ips = (outputs[k.env.index].ips ?? []).map((x) => addrOf(x.address));
      if (!ips.length) k.ctx.notApplicable("the plugin's result carries no IP address");
      const before = k.allocations(net.name);
      const unseen = ips.filter((ip) => before.get(ip)?.containerID !== att.containerID);
      if (unseen.length)
        k.ctx.notApplicable(
          `address ${unseen.join(', ')} of ${att.containerID} is not recorded in the state dir the suite watches (${k.env.stateDir}/${net.name}), so its release cannot be seen (pass --ipam-state-dir)`,
        );
      await k.del(net, att);
      const after = k.allocations(net.name);
      const held = ips.filter((ip) => after.has(ip));
      const mine = [...after].filter(([, o]) => o.containerID === att.containerID);
      expectTrue(!held.length && !mine.length, `after DEL, ${[...held, ...mine.map(([ip]) => ip)].join(', ')} still allocated to ${att.containerID}`, {
        rule: 'cni.del.undoes-add',
        actual: Object.fromEntries(after),
      });
    },
  }),
  c({
    id: 'cni.ipam.readd-after-del',
    rpc: ['ADD', 'DEL'],
    name: 'ADD again after DEL of the same attachment succeeds',
    rules: [RULES.addResult, RULES.delOk, 'cni.lifecycle.add-after-del'],
    async run(k) {
      const net = k.network();
      const first = await k.add(net);
      await k.del(net, first.att);
      await k.add(net, { containerID: first.att.containerID, netns: first.att.netns, rule: 'cni.lifecycle.add-after-del' });
    },
  }),
  c({
    id: 'cni.ipam.two-interfaces',
    rpc: 'ADD',
    tags: ['Optional'],
    name: 'Two interfaces of one container get distinct addresses',
    rules: [RULES.addResult, 'cni.lifecycle.attachment-identity'],
    async run(k) {
      const net = k.network();
      const netns = await k.netns();
      const containerID = k.containerId();
      const a = await k.add(net, { containerID, netns, ifName: 'eth0' });
      const b = await k.add(net, { containerID, netns, ifName: 'net1' });
      const ipa = (a.outputs[k.env.index].ips ?? []).map((x) => addrOf(x.address));
      const ipb = (b.outputs[k.env.index].ips ?? []).map((x) => addrOf(x.address));
      if (!ipa.length) k.ctx.notApplicable("the plugin's result carries no IP address");
      const both = ipa.filter((x) => ipb.includes(x));
      expectTrue(!both.length, `eth0 and net1 of ${containerID} both got ${both.join(', ')}`, {
        rule: 'cni.lifecycle.attachment-identity',
        actual: { eth0: ipa, net1: ipb },
      });
    },
  }),
];
