// Chaining: the plugin under test inside a list with the suite's passthrough plugin, which
// records the prevResult it is handed. Its result must reach the next plugin unchanged (ADD,
// CHECK, DEL); a chained plugin must carry the previous plugins' result forward.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertResult, type PluginConf, type Result } from '../../interfaces/cni/index.js';
import { expectEqual, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { CNI } from './case.js';
import { RULES, type CniEnv, CniKit } from './kit.js';
import { PASSTHROUGH_TYPE, type Recorded } from './passthrough.js';

const G = 'cni.chain';
const c = defineCases(CniKit, G);

function recorder(k: CniKit): { conf: PluginConf; read(): Recorded[] } {
  const file = join(k.env.scratch, `${k.ctx.unique('record')}.jsonl`);
  return {
    conf: { type: PASSTHROUGH_TYPE, record: file },
    read: () => {
      try {
        return readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Recorded);
      } catch {
        return [];
      }
    },
  };
}

const norm = (r: Result | undefined, v: string) => (r ? convertResult({ ...r, cniVersion: r.cniVersion ?? v }, v) : r);

/** A stand-in first plugin's result: one interface and one address no real plugin would pick. */
const SEED: Omit<Result, 'cniVersion'> = {
  interfaces: [{ name: 'seed0', mac: '0a:58:c6:33:64:07', sandbox: '/var/run/netns/seed' }],
  ips: [{ address: '198.51.100.7/24', gateway: '198.51.100.1', interface: 0 }],
  routes: [{ dst: '203.0.113.0/24', gw: '198.51.100.1' }],
  dns: { nameservers: ['198.51.100.53'] },
};

export const chainCases: CaseDef<CniEnv>[] = [
  c({
    id: 'cni.chain.result-reaches-next-plugin',
    rpc: ['ADD', 'CHECK', 'DEL'],
    name: "In a list, the next plugin receives the plugin's ADD result as prevResult (and on CHECK and DEL)",
    // The suite plays the runtime: the recorder shows it chains results as the spec says.
    rules: [RULES.addResult, RULES.delOk, RULES.checkOk, 'cni.exec.runtime-chains-prev-result', 'cni.check.runtime-passes-add-result'],
    async run(k) {
      const rec = recorder(k);
      const user = k.env.opts.list.plugins;
      const net = k.network({ plugins: [...user.slice(0, k.env.index + 1), rec.conf] });
      const { outputs, att } = await k.add(net);
      const own = outputs[k.env.index];
      const rule = 'cni.exec.runtime-chains-prev-result';
      const adds = rec.read().filter((r) => r.verb === 'ADD');
      if (!adds.length) fail('the passthrough plugin after the plugin under test was not called', { rule });
      expectEqual(norm(adds[0].prevResult, net.cniVersion), norm(own, net.cniVersion), { rule, what: 'prevResult received by the next plugin on ADD' });
      if (k.has(CNI.check)) {
        await k.check(net, att);
        const checks = rec.read().filter((r) => r.verb === 'CHECK');
        expectTrue(checks.length === 1 && checks[0].prevResult !== undefined, 'the next plugin got no prevResult on CHECK', {
          rule: 'cni.check.runtime-passes-add-result',
          actual: checks,
        });
      }
      await k.del(net, att);
      const dels = rec.read().filter((r) => r.verb === 'DEL');
      expectTrue(dels.length === 1, `the next plugin was called ${dels.length} times on DEL`, { rule, actual: dels });
    },
  }),
  c({
    id: 'cni.chain.prev-result-preserved',
    rpc: 'ADD',
    needs: [CNI.chained],
    name: 'A chained plugin given prevResult passes its interfaces, IPs and routes on',
    rules: [RULES.addResult, 'cni.add.prev-result-handled'],
    async run(k) {
      const rec = recorder(k);
      const seed: PluginConf = { type: PASSTHROUGH_TYPE, seed: { cniVersion: k.env.version, ...SEED } };
      const net = k.network({ plugins: [seed, k.env.plugin, rec.conf] });
      const { outputs } = await k.add(net);
      const own = outputs[1];
      const rule = 'cni.add.prev-result-handled';
      for (const ip of SEED.ips!)
        expectTrue(
          (own.ips ?? []).some((x) => x.address === ip.address),
          `the result lost prevResult's address ${ip.address}`,
          { rule, actual: own },
        );
      for (const it of SEED.interfaces!)
        expectTrue(
          (own.interfaces ?? []).some((x) => x.name === it.name),
          `the result lost prevResult's interface ${it.name}`,
          { rule, actual: own },
        );
      for (const r of SEED.routes!)
        expectTrue(
          (own.routes ?? []).some((x) => x.dst === r.dst),
          `the result lost prevResult's route to ${r.dst}`,
          { rule, actual: own },
        );
      const adds = rec.read().filter((r) => r.verb === 'ADD');
      expectTrue(adds.length === 1, 'the plugin after the chained plugin was not called', { rule });
    },
  }),
];
