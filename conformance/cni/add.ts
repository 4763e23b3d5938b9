// ADD: the result the plugin prints is valid for the negotiated version (interfaces, ips with
// in-range interface indexes, routes, dns — the library's result validation), names the
// interface it was asked to create in the sandbox it was given, an interface name the plugin
// cannot use or one already in the container is refused, and every version the plugin claims works.
import { SUPPORTED_VERSIONS, parseCidr, parseIp, type Result } from '../../interfaces/cni/index.js';
import { expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { RULES, resultIssues, type CniEnv, CniKit } from './kit.js';

const G = 'cni.ADD';
const c = defineCases(CniKit, G);

/** ADD on the plugin under test alone (its own output, as printed). */
async function addOwn(k: CniKit) {
  const { outputs, att, result } = await k.add(k.network());
  return { own: outputs[k.env.index], att, result };
}

/** No interface name Linux (or any sane plugin) can use: longer than IFNAMSIZ-1 (15 bytes). */
export const UNUSABLE_IFNAME = 'triad-ifname-too-long-to-use';

export const addCases: CaseDef<CniEnv>[] = [
  c({
    id: 'cni.add.result-valid',
    rpc: 'ADD',
    name: "ADD prints a result that is valid for the config's cniVersion",
    // The first call of the case is ADD: no STATUS before it (cni.status.not-relied-on).
    rules: [RULES.addResult, 'cni.result.valid', 'cni.status.not-relied-on'],
    async run(k) {
      const { own } = await addOwn(k);
      const issues = resultIssues(own, k.env.version);
      if (issues.length)
        fail(`the ADD result is invalid: ${issues.join('; ')}`, {
          rule: 'cni.result.valid',
          call: k.ctx.calls.find((x) => x.rpc === `CNI ADD ${k.env.pluginType}`),
          actual: own,
        });
    },
  }),
  c({
    id: 'cni.add.ip-interface-index-in-range',
    rpc: 'ADD',
    name: 'Every ips[].interface of the ADD result indexes an entry of interfaces[]',
    rules: [RULES.addResult, 'cni.result.ip-interface-index'],
    async run(k) {
      const { own } = await addOwn(k);
      const n = own.interfaces?.length ?? 0;
      (own.ips ?? []).forEach((ip, i) => {
        if (ip.interface === undefined) return;
        expectTrue(
          Number.isInteger(ip.interface) && ip.interface >= 0 && ip.interface < n,
          `ips[${i}].interface is ${ip.interface} but the result has ${n} interface(s)`,
          { rule: 'cni.result.ip-interface-index', actual: own, call: k.ctx.calls.find((x) => x.rpc === `CNI ADD ${k.env.pluginType}`) },
        );
      });
    },
  }),
  c({
    // [Optional]: ADD "should" create CNI_IFNAME in the container (an interface plugin does).
    id: 'cni.add.interface-in-sandbox',
    rpc: 'ADD',
    tags: ['Optional'],
    name: 'The ADD result reports the interface CNI_IFNAME inside a sandbox',
    rules: [RULES.addResult, 'cni.add.creates-interface'],
    async run(k) {
      const { own, att } = await addOwn(k);
      const ifs = own.interfaces ?? [];
      if (!ifs.length) k.ctx.notApplicable('the plugin reports no interfaces (an IPAM-only or chained plugin)');
      const it = ifs.find((i) => i.name === att.ifName);
      if (!it)
        fail(`no interface named ${att.ifName} in the result (interfaces: ${ifs.map((i) => i.name).join(', ')})`, {
          rule: 'cni.add.creates-interface',
          actual: ifs,
        });
      expectTrue(
        typeof it.sandbox === 'string' && it.sandbox !== '',
        `interface ${att.ifName} has no sandbox (${JSON.stringify(it.sandbox)}): the result puts it on the host`,
        { rule: 'cni.add.creates-interface', actual: it },
      );
    },
  }),
  c({
    id: 'cni.add.sandbox-is-cni-netns',
    rpc: 'ADD',
    tags: ['Optional'],
    name: 'The interface created in the container reports sandbox = CNI_NETNS',
    rules: [RULES.addResult, 'cni.result.sandbox-is-cni-netns'],
    async run(k) {
      const { own, att } = await addOwn(k);
      const it = (own.interfaces ?? []).find((i) => i.name === att.ifName && i.sandbox);
      if (!it) return k.ctx.notApplicable(`the result reports no interface ${att.ifName} in a sandbox (cni.add.interface-in-sandbox reports that)`);
      expectTrue(
        it.sandbox === att.netns,
        `interface ${att.ifName} has sandbox ${JSON.stringify(it.sandbox)}, expected the CNI_NETNS it was given, ${att.netns}`,
        { rule: 'cni.result.sandbox-is-cni-netns', actual: it, expected: att.netns },
      );
    },
  }),
  c({
    id: 'cni.add.gateway-in-subnet',
    rpc: 'ADD',
    tags: ['Optional'],
    name: "Every gateway of the ADD result lies in its address's subnet",
    rules: [RULES.addResult, 'cni.result.gateway-in-subnet'],
    async run(k) {
      const { own } = await addOwn(k);
      for (const [i, ip] of (own.ips ?? []).entries()) {
        if (!ip.gateway) continue;
        const net = parseCidr(ip.address);
        const gw = parseIp(ip.gateway);
        if (!net || !gw) continue; // shape problems are result-valid's business
        const bits = net.family === 4 ? 32 : 128;
        const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - net.prefix)) - 1n);
        expectTrue(gw.family === net.family && (gw.value & mask) === (net.value & mask), `ips[${i}].gateway ${ip.gateway} is outside ${ip.address}`, {
          rule: 'cni.result.gateway-in-subnet',
          actual: ip,
        });
      }
    },
  }),
  c({
    id: 'cni.add.unusable-ifname-fails',
    rpc: 'ADD',
    name: 'ADD with an interface name no plugin can use (28 characters) fails',
    rules: ['cni.params.ifname-unusable-fails'],
    async run(k) {
      const net = k.network();
      const att = { containerID: k.containerId(), ifName: UNUSABLE_IFNAME, netns: await k.netns() };
      const p = k.call('ADD', k.env.pluginType, k.pluginConf(net), att);
      const out = await p;
      if (out.exitCode === 0) k.ctx.cleanup(() => k.call('DEL', k.env.pluginType, k.pluginConf(net), att), `DEL ${att.containerID}`);
      expectTrue(
        out.exitCode !== 0,
        `ADD with CNI_IFNAME=${UNUSABLE_IFNAME} (longer than the 15 bytes Linux allows) succeeded: the plugin used another name or none`,
        { rule: 'cni.params.ifname-unusable-fails', call: p, actual: out.json ?? out.stdout },
      );
    },
  }),
  c({
    id: 'cni.add.existing-interface-fails',
    rpc: 'ADD',
    name: 'ADD of an interface name that already exists in the container fails',
    rules: [RULES.addResult, 'cni.add.existing-interface-fails'],
    applies: (env) => (env.chained ? 'a chained plugin adjusts the interface an earlier plugin created; the rule binds the plugin that creates it' : undefined),
    async run(k) {
      // Two container ids in one namespace (as a pod's containers share one): the second ADD asks for
      // the name the first one created there.
      const net = k.network();
      const first = await k.add(net);
      if (!(first.outputs[k.env.index].interfaces ?? []).some((i) => i.name === first.att.ifName && i.sandbox)) {
        k.ctx.notApplicable(`the plugin reports no interface ${first.att.ifName} in the container; the rule binds a plugin that creates one`);
      }
      const att = { containerID: k.containerId('second'), ifName: first.att.ifName, netns: first.att.netns };
      const p = k.call('ADD', k.env.pluginType, k.pluginConf(net), att);
      const out = await p;
      if (out.exitCode === 0) k.ctx.cleanup(() => k.call('DEL', k.env.pluginType, k.pluginConf(net), att), `DEL ${att.containerID}`);
      expectTrue(
        out.exitCode !== 0,
        `a second ADD for ${att.ifName} in ${att.netns} (container ${att.containerID}) succeeded although ${first.att.containerID} already has that interface there`,
        { rule: 'cni.add.existing-interface-fails', call: p, actual: out.json ?? out.stdout },
      );
    },
  }),
  c({
    id: 'cni.add.every-supported-version',
    rpc: 'ADD',
    tags: ['Slow'],
    name: 'ADD and DEL work for every version the plugin lists (0.3.0 and later), each result in that version',
    rules: ['cni.version.listed-versions-work', 'cni.result.valid', RULES.delOk],
    async run(k) {
      const versions = k.env.supportedVersions.filter((v) => SUPPORTED_VERSIONS.includes(v));
      if (!versions.length) k.ctx.notApplicable('the plugin lists no version of 0.3.0 or later');
      for (const v of versions) {
        const net = k.network({ cniVersion: v });
        const { outputs, att } = await k.add(net, { rule: 'cni.version.listed-versions-work' });
        const own: Result = outputs[k.env.index];
        const issues = resultIssues(own, v);
        if (issues.length) fail(`the ADD result for cniVersion ${v} is invalid: ${issues.join('; ')}`, { rule: 'cni.result.valid', actual: own });
        await k.del(net, att);
      }
    },
  }),
];
