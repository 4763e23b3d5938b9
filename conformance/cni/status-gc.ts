// STATUS and GC (1.1.0): STATUS answers ready; GC removes attachments missing from
// cni.dev/valid-attachments and keeps the listed ones.
import { buildPluginConfig, VALID_ATTACHMENTS_KEY, versionAtLeast } from '../../interfaces/cni/index.js';
import { expectTrue } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { CNI } from './case.js';
import { expectCniError, expectCniSuccess, RULES, type CniEnv, CniKit } from './kit.js';

const G = 'cni.STATUS+GC';
const c = defineCases(CniKit, G);
const V = '1.1.0';
const addrs = (r: { ips?: Array<{ address: string }> }) => (r.ips ?? []).map((x) => x.address.split('/')[0]);

/**
 * Two attachments on a 1.1.0 network, then GC keeping only the first. The list goes under both
 * keys: the spec text's cni.dev/attachments and libcni's (and the plugins') cni.dev/valid-attachments.
 */
async function gcScenario(k: CniKit, rule: string) {
  const net = k.network({ cniVersion: V });
  const keep = await k.add(net);
  const stale = await k.add(net);
  const valid = [{ containerID: keep.att.containerID, ifname: keep.att.ifName }];
  for (const p of net.plugins) {
    const call = k.call('GC', p.type, buildPluginConfig(net, p, { extra: { [VALID_ATTACHMENTS_KEY]: valid, 'cni.dev/attachments': valid } }), {});
    expectCniSuccess(await call, { rule, call });
  }
  return { net, keep, stale };
}

export const statusGcCases: CaseDef<CniEnv>[] = [
  c({
    id: 'cni.status.ready',
    rpc: 'STATUS',
    needs: [CNI.statusGc],
    name: 'STATUS answers ready (exit 0) for a 1.1.0 config',
    rules: ['cni.status.ready-succeeds'],
    async run(k) {
      const net = k.network({ cniVersion: V });
      const p = k.call('STATUS', k.env.pluginType, k.pluginConf(net), {});
      expectCniSuccess(await p, { rule: 'cni.status.ready-succeeds', call: p });
    },
  }),
  c({
    // Only for plugins that know STATUS (support 1.1.0): to an older plugin STATUS is an unknown
    // command, whatever the config's version (cni.errors.unknown-command covers those).
    id: 'cni.status.rejected-before-1.1.0',
    rpc: 'STATUS',
    tags: ['Optional'],
    needs: [CNI.statusGc],
    name: 'STATUS with a config older than 1.1.0 fails with code 1',
    rules: ['cni.version.verb-newer-than-config', RULES.exitCode],
    applies: (env) =>
      env.supportedVersions.some((v) => versionAtLeast(v, '0.3.0') && !versionAtLeast(v, V)) ? undefined : 'the plugin supports no version before 1.1.0',
    async run(k) {
      const old = [...k.env.supportedVersions].reverse().find((v) => versionAtLeast(v, '0.3.0') && !versionAtLeast(v, V))!;
      const p = k.call('STATUS', k.env.pluginType, k.pluginConf(k.network({ cniVersion: old })), {});
      expectCniError(await p, [1], { rule: 'cni.version.verb-newer-than-config', call: p });
    },
  }),
  c({
    // [Optional]: GC "SHOULD" remove as many stale resources as possible.
    id: 'cni.gc.removes-stale',
    rpc: 'GC',
    tags: ['Optional'],
    needs: [CNI.statusGc, CNI.check],
    name: 'GC removes attachments not in cni.dev/valid-attachments',
    rules: [RULES.addResult, 'cni.gc.completes', 'cni.gc.removes-stale'],
    async run(k) {
      const { net, stale } = await gcScenario(k, 'cni.gc.completes');
      const rule = 'cni.gc.removes-stale';
      if (k.has(CNI.ipamState)) {
        const left = k.allocations(net.name);
        const held = addrs(stale.outputs[k.env.index]).filter((ip) => left.get(ip)?.containerID === stale.att.containerID);
        expectTrue(!held.length, `after GC, ${held.join(', ')} still allocated to the stale attachment ${stale.att.containerID}`, {
          rule,
          actual: Object.fromEntries(left),
        });
      }
      const failed = await k.checkFails(net, stale.att);
      expectTrue(failed !== undefined, `CHECK of the stale attachment ${stale.att.containerID} still passes after GC`, { rule, call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cni.gc.keeps-valid',
    rpc: 'GC',
    needs: [CNI.statusGc, CNI.check],
    name: 'GC keeps the attachments listed in cni.dev/valid-attachments',
    rules: [RULES.addResult, 'cni.gc.keeps-listed'],
    async run(k) {
      const { net, keep } = await gcScenario(k, 'cni.gc.keeps-listed');
      const rule = 'cni.gc.keeps-listed';
      if (k.has(CNI.ipamState)) {
        const left = k.allocations(net.name);
        const lost = addrs(keep.outputs[k.env.index]).filter((ip) => left.get(ip)?.containerID !== keep.att.containerID);
        expectTrue(!lost.length, `after GC, ${lost.join(', ')} of the valid attachment ${keep.att.containerID} were released`, {
          rule,
          actual: Object.fromEntries(left),
        });
      }
      await k.check(net, keep.att, rule);
    },
  }),
];
