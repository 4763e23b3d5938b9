// Errors the spec way: non-zero exit and {"code", "msg", "details"} on stdout, with the code the
// spec's table assigns — 4 for missing or bad CNI_* variables (its message naming them), 6 for a
// config that does not decode, 7 for a config that decodes but does not validate. The error
// object itself is a SHOULD ("it should output an error result"), so its format case is
// [Optional]; that a malformed config value is refused at all is a SHOULD of CONVENTIONS.md
// ([Optional] too); which code a refused config gets is the table's row 7 (required).
import type { PluginConf } from '../../interfaces/cni/index.js';
import { expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { errorObject, expectCniError, expectCniSuccess, RULES, type CniEnv, CniKit } from './kit.js';

const G = 'cni.errors';
const c = defineCases(CniKit, G);
const CODE4 = 'cni.errors.code-4-invalid-env';

/** ADD with one CNI_* variable left out must fail with 4 (and whatever it made is undone). */
function missingVar(id: string, v: string): CaseDef<CniEnv> {
  return c({
    id,
    rpc: 'ADD',
    name: `ADD without ${v} fails with code 4`,
    rules: ['cni.add.required-env', CODE4, RULES.exitCode],
    async run(k) {
      const net = k.network();
      const att = { containerID: k.containerId(), ifName: 'eth0', netns: await k.netns() };
      const p = k.call('ADD', k.env.pluginType, k.pluginConf(net), { ...att, omit: [v] });
      const out = await p;
      if (out.exitCode === 0) k.ctx.cleanup(() => k.call('DEL', k.env.pluginType, k.pluginConf(net), att), `DEL ${att.containerID}`);
      expectCniError(out, [4], { rule: 'cni.add.required-env', call: p, codeRule: CODE4 });
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
  if (!conf) k.ctx.notApplicable("the suite knows no invalid value for this plugin's config (no subnet/ranges key); pass --invalid-config FILE");
  const att = { containerID: k.containerId(), ifName: 'eth0', netns: await k.netns() };
  const p = k.call('ADD', k.env.pluginType, conf, att);
  const out = await p;
  if (out.exitCode === 0) k.ctx.cleanup(() => k.call('DEL', k.env.pluginType, k.pluginConf(net), att), `DEL ${att.containerID}`);
  return { out, p };
}

export const errorCases: CaseDef<CniEnv>[] = [
  c({
    id: 'cni.errors.error-output-format',
    rpc: 'ADD',
    tags: ['Optional'],
    name: 'A failing call exits non-zero and prints the spec error object on stdout',
    rules: ['cni.errors.error-object', RULES.exitCode],
    async run(k) {
      const net = k.network();
      const att = { containerID: k.containerId(), ifName: 'eth0', netns: await k.netns() };
      const p = k.call('ADD', k.env.pluginType, { ...k.pluginConf(net), cniVersion: '99.99.99' }, att);
      const out = await p;
      if (out.exitCode === 0 && !errorObject(out)) {
        k.ctx.cleanup(() => k.call('DEL', k.env.pluginType, k.pluginConf(net), att), `DEL ${att.containerID}`);
        k.ctx.notApplicable(
          'the plugin accepted cniVersion 99.99.99, so no error could be provoked here (cni.version.unsupported-version-rejected reports that)',
        );
      }
      const rule = 'cni.errors.error-object';
      const e = errorObject(out);
      if (!e) fail(`exit ${out.exitCode} with stdout ${JSON.stringify(out.stdout.trim().slice(0, 200))}: not a JSON error object`, { rule, call: p });
      expectTrue(out.exitCode !== 0, 'the plugin printed an error object but exited 0', { rule: RULES.exitCode, call: p });
      expectTrue(Number.isInteger(e.code) && e.code >= 0, `code is ${JSON.stringify(e.code)}`, { rule, call: p });
      expectTrue(e.msg.length > 0, 'msg is empty', { rule, call: p });
      const d = (out.json as Record<string, unknown>).details;
      expectTrue(d === undefined || typeof d === 'string', `details is ${JSON.stringify(d)}, not a string`, { rule, call: p });
    },
  }),
  c({
    id: 'cni.errors.unknown-command',
    name: 'An unknown CNI_COMMAND fails with code 4',
    rules: [CODE4, RULES.exitCode],
    async run(k) {
      const net = k.network();
      const p = k.call('BOGUS', k.env.pluginType, k.pluginConf(net), { containerID: k.containerId(), ifName: 'eth0', netns: await k.netns() });
      expectCniError(await p, [4], { rule: CODE4, call: p });
    },
  }),
  missingVar('cni.errors.missing-containerid', 'CNI_CONTAINERID'),
  missingVar('cni.errors.missing-ifname', 'CNI_IFNAME'),
  missingVar('cni.errors.missing-netns', 'CNI_NETNS'),
  c({
    id: 'cni.errors.env-error-names-variable',
    rpc: 'ADD',
    name: 'The message of error 4 names the missing variable',
    rules: ['cni.add.required-env', CODE4, 'cni.errors.code-4-names-variable', RULES.exitCode],
    async run(k) {
      const net = k.network();
      const att = { containerID: k.containerId(), ifName: 'eth0', netns: await k.netns() };
      const p = k.call('ADD', k.env.pluginType, k.pluginConf(net), { ...att, omit: ['CNI_CONTAINERID'] });
      const out = await p;
      if (out.exitCode === 0) k.ctx.cleanup(() => k.call('DEL', k.env.pluginType, k.pluginConf(net), att), `DEL ${att.containerID}`);
      const e = expectCniError(out, [4], { rule: 'cni.add.required-env', call: p, codeRule: CODE4 });
      const text = `${e.msg} ${e.details ?? ''}`;
      expectTrue(text.includes('CNI_CONTAINERID'), `error 4 for a missing CNI_CONTAINERID does not name it: ${JSON.stringify(text.trim())}`, {
        rule: 'cni.errors.code-4-names-variable',
        call: p,
      });
    },
  }),
  c({
    // CNI_PATH is optional for ADD: a plugin that needs it (to find its IPAM) fails with 4.
    id: 'cni.errors.missing-path',
    rpc: 'ADD',
    name: 'ADD without CNI_PATH succeeds, or fails with code 4',
    rules: ['cni.add.path-optional', CODE4, RULES.exitCode, RULES.delOk],
    async run(k) {
      const net = k.network();
      const att = { containerID: k.containerId(), ifName: 'eth0', netns: await k.netns() };
      const p = k.call('ADD', k.env.pluginType, k.pluginConf(net), { ...att, omit: ['CNI_PATH'] });
      const out = await p;
      if (out.exitCode === 0 && !errorObject(out)) {
        const result = out.json;
        const d = k.call('DEL', k.env.pluginType, { ...k.pluginConf(net), ...(result && typeof result === 'object' ? { prevResult: result } : {}) }, att);
        expectCniSuccess(await d, { rule: RULES.delOk, call: d });
        return;
      }
      expectCniError(out, [4], { rule: 'cni.add.path-optional', call: p, codeRule: CODE4 });
    },
  }),
  c({
    id: 'cni.errors.invalid-json',
    rpc: 'ADD',
    name: 'A config that is not JSON fails with code 6',
    rules: ['cni.errors.code-6-decode-failure', RULES.exitCode],
    async run(k) {
      const p = k.call('ADD', k.env.pluginType, '{"cniVersion": "1.0.0", "name": ', { containerID: k.containerId(), ifName: 'eth0', netns: await k.netns() });
      expectCniError(await p, [6], { rule: 'cni.errors.code-6-decode-failure', call: p });
    },
  }),
  c({
    // [Optional]: refusing a malformed value is a SHOULD of CONVENTIONS.md.
    id: 'cni.errors.invalid-config',
    rpc: 'ADD',
    tags: ['Optional'],
    name: 'A config with an invalid value is refused (non-zero exit)',
    rules: ['cni.conventions.malformed-field-fails', 'cni.delegate.error-passed-on'],
    async run(k) {
      const { out, p } = await addInvalid(k);
      expectTrue(out.exitCode !== 0, 'ADD with an invalid value in the config succeeded', {
        rule: 'cni.conventions.malformed-field-fails',
        call: p,
        actual: out.json ?? out.stdout,
      });
    },
  }),
  c({
    id: 'cni.errors.invalid-config-well-known-code',
    rpc: 'ADD',
    name: 'A config with an invalid value that the plugin refuses gets code 7 (or 6), not a plugin-specific one',
    rules: ['cni.errors.code-7-invalid-config', RULES.exitCode],
    async run(k) {
      const { out, p } = await addInvalid(k);
      if (out.exitCode === 0 && !errorObject(out))
        k.ctx.notApplicable('the plugin accepted the invalid value, so there is no error code to judge (cni.errors.invalid-config reports that)');
      expectCniError(out, [7, 6], { rule: 'cni.errors.code-7-invalid-config', call: p });
    },
  }),
];
