// VERSION and version negotiation: what the plugin says it supports (answering in the version it
// was asked in), that it supports the network's version, and that a version it does not support
// is refused with code 1.
import { parseVersion } from '../../interfaces/cni/index.js';
import { expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { expectCniError, expectCniSuccess, RULES, type CniEnv, CniKit } from './kit.js';

const G = 'cni.VERSION';
const c = defineCases(CniKit, G);

export const versionCases: CaseDef<CniEnv>[] = [
  c({
    id: 'cni.version.reports-versions',
    rpc: 'VERSION',
    name: 'VERSION prints {cniVersion, supportedVersions} with valid version strings',
    rules: ['cni.version.prints-version-info'],
    async run(k) {
      const rule = 'cni.version.prints-version-info';
      const p = k.call('VERSION', k.env.pluginType, { cniVersion: k.env.version });
      const out = expectCniSuccess(await p, { rule, call: p }) as Record<string, unknown> | undefined;
      if (!out || typeof out !== 'object') fail('VERSION printed no JSON object', { rule, call: p });
      expectTrue(typeof out.cniVersion === 'string', 'cniVersion is missing', { rule, call: p });
      expectTrue(Array.isArray(out.supportedVersions) && out.supportedVersions.length > 0, 'supportedVersions is missing or empty', { rule, call: p });
      for (const v of out.supportedVersions as unknown[]) {
        try {
          parseVersion(v as string);
        } catch {
          fail(`supportedVersions holds ${JSON.stringify(v)}`, { rule, call: p });
        }
      }
    },
  }),
  c({
    id: 'cni.version.echoes-cni-version',
    rpc: 'VERSION',
    name: "VERSION answers with the cniVersion it was given (the network's, and the oldest other version listed)",
    rules: ['cni.version.echoes-cni-version', 'cni.version.prints-version-info'],
    async run(k) {
      // Two askings tell an echo from a fixed answer; more would only cost an exec each.
      const valid = k.env.supportedVersions.filter((v) => {
        try {
          parseVersion(v);
          return true;
        } catch {
          return false;
        }
      });
      const asked = [k.env.version, ...valid.filter((v) => v !== k.env.version).slice(0, 1)];
      for (const v of asked) {
        const p = k.call('VERSION', k.env.pluginType, { cniVersion: v });
        const out = expectCniSuccess(await p, { rule: 'cni.version.prints-version-info', call: p }) as Record<string, unknown> | undefined;
        expectTrue(out?.cniVersion === v, `asked with cniVersion ${v}, VERSION answered cniVersion ${JSON.stringify(out?.cniVersion)}`, {
          rule: 'cni.version.echoes-cni-version',
          call: p,
          expected: v,
          actual: out?.cniVersion,
        });
      }
    },
  }),
  c({
    id: 'cni.version.answers-without-container-env',
    rpc: 'VERSION',
    name: 'VERSION answers with only CNI_COMMAND set',
    rules: ['cni.version.only-command-env'],
    async run(k) {
      const p = k.call(
        'VERSION',
        k.env.pluginType,
        { cniVersion: k.env.version },
        { omit: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_ARGS', 'CNI_PATH'] },
      );
      expectCniSuccess(await p, { rule: 'cni.version.only-command-env', call: p });
    },
  }),
  c({
    id: 'cni.version.supports-config-version',
    name: "supportedVersions includes the network config's cniVersion",
    rules: ['cni.version.supports-network-version'],
    async run(k) {
      expectTrue(
        k.env.supportedVersions.includes(k.env.version),
        `supportedVersions ${JSON.stringify(k.env.supportedVersions)} does not include the network's cniVersion ${k.env.version}`,
        { rule: 'cni.version.supports-network-version', actual: k.env.supportedVersions },
      );
    },
  }),
  c({
    id: 'cni.version.unsupported-version-rejected',
    rpc: 'ADD',
    name: 'ADD with a cniVersion the plugin does not support fails with error code 1',
    rules: ['cni.errors.code-1-incompatible-version', RULES.exitCode],
    async run(k) {
      const net = k.network();
      const netns = await k.netns();
      const containerID = k.containerId();
      const conf = { ...k.pluginConf(net), cniVersion: '99.99.99' };
      const p = k.call('ADD', k.env.pluginType, conf, { containerID, ifName: 'eth0', netns });
      const out = await p;
      if (out.exitCode === 0)
        k.ctx.cleanup(() => k.call('DEL', k.env.pluginType, k.pluginConf(net), { containerID, ifName: 'eth0', netns }), `DEL ${containerID}`);
      expectCniError(out, [1], { rule: 'cni.errors.code-1-incompatible-version', call: p });
    },
  }),
  c({
    id: 'cni.version.malformed-version-rejected',
    rpc: 'ADD',
    tags: ['Optional'],
    name: 'ADD with a cniVersion that is not a version fails (code 1, 6 or 7)',
    rules: ['cni.config.cni-version-semver', RULES.exitCode],
    async run(k) {
      const net = k.network();
      const netns = await k.netns();
      const containerID = k.containerId();
      const p = k.call('ADD', k.env.pluginType, { ...k.pluginConf(net), cniVersion: 'banana' }, { containerID, ifName: 'eth0', netns });
      const out = await p;
      if (out.exitCode === 0)
        k.ctx.cleanup(() => k.call('DEL', k.env.pluginType, k.pluginConf(net), { containerID, ifName: 'eth0', netns }), `DEL ${containerID}`);
      expectCniError(out, [1, 6, 7], { rule: 'cni.config.cni-version-semver', call: p });
    },
  }),
];
