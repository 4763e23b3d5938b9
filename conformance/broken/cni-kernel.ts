// CNI plugins that really touch the kernel, for the kernel cases (real network namespaces, root):
// memory-cni's IPAM plus a veth pair whose container end (CNI_IFNAME, with the reported MAC,
// addresses and routes) is moved into CNI_NETNS. `veth` is the healthy one; each broken variant
// breaks ONE thing and names the case that catches it (test/conformance/netns.test.ts).
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { dispatch, type InProcessPlugin, type PluginFuncs, type Result } from '../../interfaces/cni/index.js';
import { createMemoryCni } from '../../plugins/memory-cni/index.js';

export interface VethFaults {
  /** DEL leaves the interface in the namespace. */
  leaveOnDel?: boolean;
  /** The result leaves out the addresses the plugin put on the interface. */
  omitIps?: boolean;
}

export function vethCni(f: VethFaults = {}): PluginFuncs {
  const mem = createMemoryCni();
  return {
    ...mem,
    async add(a): Promise<Result> {
      const r = await mem.add(a);
      const ns = basename(a.netns);
      const host = `tv${createHash('sha1').update(`${a.containerID}/${a.ifName}`).digest('hex').slice(0, 10)}`;
      const it = r.interfaces![0];
      await execa('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', a.ifName, 'netns', ns]);
      await execa('ip', ['-n', ns, 'link', 'set', a.ifName, 'address', it.mac!]);
      for (const ip of r.ips ?? []) await execa('ip', ['-n', ns, 'addr', 'add', ip.address, 'dev', a.ifName]);
      await execa('ip', ['-n', ns, 'link', 'set', a.ifName, 'up']);
      const gw = r.ips?.[0]?.gateway;
      for (const rt of r.routes ?? [])
        await execa('ip', ['-n', ns, 'route', 'add', rt.dst, ...((rt.gw ?? gw) ? ['via', (rt.gw ?? gw)!] : []), 'dev', a.ifName]);
      return f.omitIps ? { ...r, ips: [] } : r;
    },
    async del(a) {
      if (!f.leaveOnDel && a.netns) await execa('ip', ['-n', basename(a.netns), 'link', 'del', a.ifName]).catch(() => undefined);
      await mem.del(a);
    },
  };
}

export interface BrokenKernelCniVariant {
  description: string;
  caughtBy: string;
  faults: VethFaults;
}

export const brokenKernelCni: Record<string, BrokenKernelCniVariant> = {
  'leaves-interface-on-del': {
    description: 'DEL answers success but leaves the interface in the namespace',
    caughtBy: 'cni.netns.interface-removed',
    faults: { leaveOnDel: true },
  },
  'result-omits-ips': {
    description: 'ADD puts the address on the interface but its result leaves out ips',
    caughtBy: 'cni.netns.netns-matches-result',
    faults: { omitIps: true },
  },
};

/** The healthy veth plugin (no variant) or a broken one, for CniSuiteOptions.inProcess. */
export function vethInProcess(variant?: string): InProcessPlugin {
  const v = variant === undefined ? undefined : brokenKernelCni[variant];
  if (variant !== undefined && !v) throw new Error(`unknown broken kernel CNI variant ${variant} (known: ${Object.keys(brokenKernelCni).join(', ')})`);
  const p = vethCni(v?.faults);
  return (env, stdin) => dispatch(p, env, stdin);
}
