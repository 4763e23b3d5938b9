// ADD: the result the plugin prints is valid for the negotiated version (interfaces, ips with
// in-range interface indexes, routes, dns — the library's result validation), names the
// interface it was asked to create, and every version the plugin claims works.
import { SUPPORTED_VERSIONS, parseCidr, parseIp, type Result } from '../../interfaces/cni/index.js';
import { expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { cniCase } from './case.js';
import { resultIssues, type CniEnv, type CniKit } from './kit.js';

const G = 'cni.ADD';
const c = (d: Parameters<typeof cniCase>[1]) => cniCase(G, d);
const RESULT_RULE = 'CNI ADD: the plugin MUST print a result of the config\'s cniVersion: interfaces[] (name, mac, sandbox), ips[] (address as CIDR, gateway, interface index into interfaces), routes[] (dst CIDR, gw), dns';

/** ADD on the plugin under test alone (its own output, as printed). */
async function addOwn(k: CniKit) {
  const { outputs, att, result } = await k.add(k.network());
  return { own: outputs[k.env.index], att, result };
}

export const addCases: CaseDef<CniEnv>[] = [
  c({
    id: 'cni.add.result-valid', name: 'ADD prints a result that is valid for the config\'s cniVersion',
    async run(k) {
      const { own } = await addOwn(k);
      const issues = resultIssues(own, k.env.version);
      if (issues.length) fail(`the ADD result is invalid: ${issues.join('; ')}`, RESULT_RULE, { call: k.ctx.calls.find((x) => x.rpc === `CNI ADD ${k.env.pluginType}`), actual: own });
    },
  }),
  c({
    id: 'cni.add.ip-interface-index-in-range', name: 'Every ips[].interface of the ADD result indexes an entry of interfaces[]',
    async run(k) {
      const { own } = await addOwn(k);
      const n = own.interfaces?.length ?? 0;
      (own.ips ?? []).forEach((ip, i) => {
        if (ip.interface === undefined) return;
        expectTrue(Number.isInteger(ip.interface) && ip.interface >= 0 && ip.interface < n, `ips[${i}].interface is ${ip.interface} but the result has ${n} interface(s)`,
          'CNI result: ips[].interface is the index into the interfaces list of the interface the IP belongs to', { actual: own, call: k.ctx.calls.find((x) => x.rpc === `CNI ADD ${k.env.pluginType}`) });
      });
    },
  }),
  c({
    id: 'cni.add.interface-in-sandbox', name: 'The ADD result reports the interface CNI_IFNAME inside the sandbox CNI_NETNS',
    async run(k) {
      const { own, att } = await addOwn(k);
      const ifs = own.interfaces ?? [];
      if (!ifs.length) k.ctx.notApplicable('the plugin reports no interfaces (an IPAM-only or chained plugin)');
      const it = ifs.find((i) => i.name === att.ifName);
      const rule = 'CNI ADD: the plugin creates the interface named CNI_IFNAME inside the container at CNI_NETNS and reports it with sandbox set to that namespace';
      if (!it) fail(`no interface named ${att.ifName} in the result (interfaces: ${ifs.map((i) => i.name).join(', ')})`, rule, { actual: ifs });
      expectTrue(it.sandbox === att.netns, `interface ${att.ifName} has sandbox ${JSON.stringify(it.sandbox)}, expected ${att.netns}`, rule, { actual: it });
    },
  }),
  c({
    id: 'cni.add.gateway-in-subnet', tags: ['Optional'], name: 'Every gateway of the ADD result lies in its address\'s subnet',
    async run(k) {
      const { own } = await addOwn(k);
      for (const [i, ip] of (own.ips ?? []).entries()) {
        if (!ip.gateway) continue;
        const net = parseCidr(ip.address);
        const gw = parseIp(ip.gateway);
        if (!net || !gw) continue; // shape problems are result-valid's business
        const bits = net.family === 4 ? 32 : 128;
        const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - net.prefix)) - 1n);
        expectTrue(gw.family === net.family && (gw.value & mask) === (net.value & mask), `ips[${i}].gateway ${ip.gateway} is outside ${ip.address}`,
          'CNI result: a gateway is reachable on-link, i.e. inside the address\'s subnet', { actual: ip });
      }
    },
  }),
  c({
    id: 'cni.add.every-supported-version', tags: ['Slow'], name: 'ADD and DEL work for every version the plugin lists (0.3.0 and later), each result in that version',
    async run(k) {
      const versions = k.env.supportedVersions.filter((v) => SUPPORTED_VERSIONS.includes(v));
      if (!versions.length) k.ctx.notApplicable('the plugin lists no version of 0.3.0 or later');
      for (const v of versions) {
        const net = k.network({ cniVersion: v });
        const { outputs, att } = await k.add(net, { rule: `CNI: the plugin lists ${v} in supportedVersions, so an ADD with cniVersion ${v} MUST work` });
        const own: Result = outputs[k.env.index];
        const issues = resultIssues(own, v);
        if (issues.length) fail(`the ADD result for cniVersion ${v} is invalid: ${issues.join('; ')}`, RESULT_RULE, { actual: own });
        await k.del(net, att);
      }
    },
  }),
];
