// CHECK (0.4.0+): passes right after ADD, also when a later plugin of the chain changed the
// result (added a route); fails after DEL and (Optional: runtimes must not ask) for a container
// the plugin does not know.
import { execa } from 'execa';
import { basename } from 'node:path';
import { versionAtLeast, type PluginConf } from '../../interfaces/cni/index.js';
import { expectTrue } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { CNI } from './case.js';
import { expectCniError, RULES, type CniEnv, CniKit } from './kit.js';
import { PASSTHROUGH_TYPE } from './passthrough.js';

const G = 'cni.CHECK';
const c = defineCases(CniKit, G);

/** The route the stand-in later plugin adds (TEST-NET-3, never anyone's real route). */
export const LATER_ROUTE = { dst: '203.0.113.0/24' };

export const checkCases: CaseDef<CniEnv>[] = [
  c({
    id: 'cni.check.after-add',
    rpc: 'CHECK',
    needs: [CNI.check],
    name: 'CHECK right after ADD succeeds',
    rules: [RULES.addResult, 'cni.check.right-after-add'],
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      await k.check(net, att, 'cni.check.right-after-add');
    },
  }),
  c({
    id: 'cni.check.allows-later-changes',
    rpc: 'CHECK',
    needs: [CNI.check],
    name: 'CHECK passes when a later plugin of the chain added a route to the result (and, in a namespace, to the container)',
    rules: [RULES.addResult, 'cni.check.allows-later-changes'],
    async run(k) {
      // The passthrough after the plugin under test plays a later plugin that adds a route.
      const later: PluginConf = { type: PASSTHROUGH_TYPE, addRoutes: [LATER_ROUTE] };
      const net = k.network({ plugins: [...k.env.opts.list.plugins.slice(0, k.env.index + 1), later] });
      const { att, result } = await k.add(net);
      expectTrue(
        (result.routes ?? []).some((r) => r.dst === LATER_ROUTE.dst),
        'the stand-in later plugin did not add its route (a bug in the suite)',
        { rule: RULES.addResult, actual: result },
      );
      if (k.env.opts.netns) {
        // As the later plugin would have done for real: the route exists in the container.
        const dev = (result.interfaces ?? []).find((i) => i.name === att.ifName && i.sandbox) ? att.ifName : undefined;
        if (!dev) return k.ctx.notApplicable(`the result has no interface ${att.ifName} in the container to route through`);
        await execa('ip', ['-n', basename(att.netns), 'route', 'add', LATER_ROUTE.dst, 'dev', dev]);
      }
      await k.check(net, att, 'cni.check.allows-later-changes');
    },
  }),
  c({
    // [Optional]: "a runtime must not call CHECK for a container that has not been ADDed", so the
    // spec leaves the plugin's answer open; it should still fail ("should return an error if …
    // IP reservations … are missing"), with 3 (container unknown) or a plugin-specific code.
    id: 'cni.check.unknown-container',
    rpc: 'CHECK',
    tags: ['Optional'],
    needs: [CNI.check],
    name: 'CHECK of a container the plugin never added fails (code 3 or a plugin-specific code)',
    rules: [RULES.addResult, 'cni.check.untracked-resource-missing-fails', 'cni.errors.code-3-unknown-container', 'cni.errors.reserved-codes', RULES.exitCode],
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      const stranger = { ...att, containerID: k.containerId('stranger') };
      const conf = { ...k.pluginConf(net), prevResult: att.result };
      const p = k.call('CHECK', k.env.pluginType, conf, stranger);
      expectCniError(await p, [3], {
        rule: 'cni.check.untracked-resource-missing-fails',
        call: p,
        pluginSpecific: true,
        codeRule: 'cni.errors.reserved-codes',
      });
    },
  }),
  c({
    // [Optional]: after DEL the plugin's interface, address and reservation are gone: CHECK "should" fail.
    id: 'cni.check.after-del-fails',
    rpc: 'CHECK',
    tags: ['Optional'],
    needs: [CNI.check],
    name: 'CHECK after DEL fails',
    rules: [RULES.addResult, RULES.delOk, 'cni.check.created-resource-missing-fails'],
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      await k.del(net, att);
      const failed = await k.checkFails(net, att);
      expectTrue(failed !== undefined, 'CHECK succeeded for an attachment that was deleted', {
        rule: 'cni.check.created-resource-missing-fails',
        call: k.ctx.lastCall,
      });
    },
  }),
  c({
    id: 'cni.check.rejected-before-0.4.0',
    rpc: 'CHECK',
    tags: ['Optional'],
    name: 'CHECK with a config older than 0.4.0 fails with code 1',
    rules: ['cni.version.verb-newer-than-config', RULES.exitCode],
    applies: (env) =>
      !env.supportedVersions.some((v) => versionAtLeast(v, '0.4.0'))
        ? 'the plugin supports no version from 0.4.0 on, so CHECK is an unknown command to it, not a version question (cni.errors.unknown-command covers those)'
        : env.supportedVersions.some((v) => !versionAtLeast(v, '0.4.0') && versionAtLeast(v, '0.3.0'))
          ? undefined
          : 'the plugin supports no version before 0.4.0',
    async run(k) {
      const old = k.env.supportedVersions.find((v) => !versionAtLeast(v, '0.4.0') && versionAtLeast(v, '0.3.0'))!;
      const net = k.network({ cniVersion: old });
      const p = k.call('CHECK', k.env.pluginType, k.pluginConf(net), { containerID: k.containerId(), ifName: 'eth0', netns: await k.netns() });
      expectCniError(await p, [1], { rule: 'cni.version.verb-newer-than-config', call: p });
    },
  }),
];
