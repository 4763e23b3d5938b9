// Errors the spec way: non-zero exit and {"code", "msg", "details"} on stdout, with the code the
// spec assigns — 4 for missing or bad CNI_* variables, 6 for a config that does not decode, 7
// for a config that decodes but is invalid. The spec only forbids misusing codes 1-99, so a
// plugin-specific code (100+) for an invalid config is conformant; using 7 is [Optional].
import type { PluginConf } from '../../interfaces/cni/index.js';
import { expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { cniCase } from './case.js';
import { errorObject, type CniEnv, type CniKit } from './kit.js';
import { expectCniError } from './kit.js';

const G = 'cni.errors';
const c = (d: Parameters<typeof cniCase>[1]) => cniCase(G, d);
const ENV_RULE = (v: string) => `CNI spec "Error codes": 4 — invalid necessary environment variables: ${v} is required for ADD`;

/** ADD with one CNI_* variable left out must fail with 4 (and whatever it made is undone). */
function missingVar(id: string, v: string): CaseDef<CniEnv> {
  return c({
    id, name: `ADD without ${v} fails with code 4`,
    async run(k) {
      const net = k.network();
      const att = { containerID: k.containerId(), ifName: 'eth0', netns: await k.netns() };
      const p = k.call('ADD', k.env.pluginType, k.pluginConf(net), { ...att, omit: [v] });
      const out = await p;
      if (out.exitCode === 0) k.ctx.cleanup(() => k.call('DEL', k.env.pluginType, k.pluginConf(net), att), `DEL ${att.containerID}`);
      expectCniError(out, [4], ENV_RULE(v), p);
    },
  });
}

/** A config this plugin cannot accept: the user's, or a key it has set to a value of the wrong kind. */
function invalidConfig(k: CniKit, base: PluginConf): PluginConf | undefined {
  if (k.env.opts.invalidConfig) return { ...base, ...k.env.opts.invalidConfig, name: base.name, cniVersion: base.cniVersion };
  const ipam = base.ipam as Record<string, unknown> | undefined;
  if (typeof (base as Record<string, unknown>).subnet === 'string') return { ...base, subnet: 'not-a-cidr' };
  if (ipam && typeof ipam.subnet === 'string') return { ...base, ipam: { ...ipam, subnet: 'not-a-cidr' } };
  if (ipam && Array.isArray(ipam.ranges)) return { ...base, ipam: { ...ipam, ranges: 'not-a-list' } };
  return undefined;
}

/** ADD with a config this plugin cannot accept (DEL registered should it succeed anyway). */
async function addInvalid(k: CniKit) {
  const net = k.network();
  const conf = invalidConfig(k, k.pluginConf(net));
  if (!conf) k.ctx.notApplicable('the suite knows no invalid value for this plugin\'s config (no subnet/ranges key); pass --invalid-config FILE');
  const att = { containerID: k.containerId(), ifName: 'eth0', netns: await k.netns() };
  const p = k.call('ADD', k.env.pluginType, conf, att);
  const out = await p;
  if (out.exitCode === 0) k.ctx.cleanup(() => k.call('DEL', k.env.pluginType, k.pluginConf(net), att), `DEL ${att.containerID}`);
  return { out, p };
}

export const errorCases: CaseDef<CniEnv>[] = [
  c({
    id: 'cni.errors.error-output-format', name: 'A failing call exits non-zero and prints the spec error object on stdout',
    async run(k) {
      const net = k.network();
      const att = { containerID: k.containerId(), ifName: 'eth0', netns: await k.netns() };
      const p = k.call('ADD', k.env.pluginType, { ...k.pluginConf(net), cniVersion: '99.99.99' }, att);
      const out = await p;
      if (out.exitCode === 0) {
        k.ctx.cleanup(() => k.call('DEL', k.env.pluginType, k.pluginConf(net), att), `DEL ${att.containerID}`);
        k.ctx.notApplicable('the plugin accepted cniVersion 99.99.99, so no error could be provoked here (cni.version.unsupported-version-rejected reports that)');
      }
      const rule = 'CNI spec "Error": a failing plugin MUST exit non-zero and print {"code": <uint>, "msg": <string>, "details"?: <string>} to stdout';
      const e = errorObject(out);
      if (!e) fail(`exit ${out.exitCode} with stdout ${JSON.stringify(out.stdout.trim().slice(0, 200))}: not a JSON error object`, rule, { call: p });
      expectTrue(Number.isInteger(e.code) && e.code >= 0, `code is ${JSON.stringify(e.code)}`, rule, { call: p });
      expectTrue(e.msg.length > 0, 'msg is empty', rule, { call: p });
      const d = (out.json as Record<string, unknown>).details;
      expectTrue(d === undefined || typeof d === 'string', `details is ${JSON.stringify(d)}, not a string`, rule, { call: p });
    },
  }),
  c({
    id: 'cni.errors.unknown-command', name: 'An unknown CNI_COMMAND fails with code 4',
    async run(k) {
      const net = k.network();
      const p = k.call('BOGUS', k.env.pluginType, k.pluginConf(net), { containerID: k.containerId(), ifName: 'eth0', netns: await k.netns() });
      expectCniError(await p, [4], 'CNI spec "Error codes": 4 — invalid necessary environment variables: CNI_COMMAND must be one of ADD, DEL, CHECK, STATUS, GC, VERSION', p);
    },
  }),
  missingVar('cni.errors.missing-containerid', 'CNI_CONTAINERID'),
  missingVar('cni.errors.missing-ifname', 'CNI_IFNAME'),
  missingVar('cni.errors.missing-netns', 'CNI_NETNS'),
  missingVar('cni.errors.missing-path', 'CNI_PATH'),
  c({
    id: 'cni.errors.invalid-json', name: 'A config that is not JSON fails with code 6',
    async run(k) {
      const p = k.call('ADD', k.env.pluginType, '{"cniVersion": "1.0.0", "name": ', { containerID: k.containerId(), ifName: 'eth0', netns: await k.netns() });
      expectCniError(await p, [6], 'CNI spec "Error codes": 6 — failed to decode content: the config on stdin is not valid JSON', p);
    },
  }),
  c({
    id: 'cni.errors.invalid-config', name: 'A config with an invalid value is refused with a spec error (7, 6, or a plugin-specific code)',
    async run(k) {
      const { out, p } = await addInvalid(k);
      expectCniError(out, [7, 6], 'CNI spec "Error": a plugin unable to complete MUST exit non-zero with an error object; codes 1-99 must not be used other than as specified, so an invalid config is 7 (6 when it cannot even be decoded) or a plugin-specific 100+', p, { pluginSpecific: true });
    },
  }),
  c({
    id: 'cni.errors.invalid-config-well-known-code', tags: ['Optional'], name: 'A config with an invalid value fails with the well-known code 7 (or 6)',
    async run(k) {
      const { out, p } = await addInvalid(k);
      expectCniError(out, [7, 6], 'CNI spec "Well-known Error Codes": 7 — invalid network config: "if some validations on network configs do not pass, this error will be raised" (6 when it cannot even be decoded)', p);
    },
  }),
];
