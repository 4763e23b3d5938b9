// CHECK (0.4.0+): passes right after ADD, fails after DEL and (Optional: runtimes must not ask)
// for a container the plugin does not know.
import { versionAtLeast } from '../../interfaces/cni/index.js';
import { expectTrue } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { CNI, cniCase } from './case.js';
import { expectCniError, type CniEnv } from './kit.js';

const G = 'cni.CHECK';
const c = (d: Parameters<typeof cniCase>[1]) => cniCase(G, d);

export const checkCases: CaseDef<CniEnv>[] = [
  c({
    id: 'cni.check.after-add', needs: [CNI.check], name: 'CHECK right after ADD succeeds',
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      await k.check(net, att, 'CNI CHECK: the plugin MUST succeed when the container\'s networking is as its ADD left it (prevResult)');
    },
  }),
  c({
    // [Optional]: "a runtime must not call CHECK for a container that has not been ADDed", so the
    // spec leaves the plugin's answer open; it should still fail ("should return an error if …
    // IP reservations … are missing"), with 3 (container unknown) or a plugin-specific code.
    id: 'cni.check.unknown-container', tags: ['Optional'], needs: [CNI.check], name: 'CHECK of a container the plugin never added fails (code 3 or a plugin-specific code)',
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      const stranger = { ...att, containerID: k.containerId('stranger') };
      const conf = { ...k.pluginConf(net), prevResult: att.result };
      const p = k.call('CHECK', k.env.pluginType, conf, stranger);
      expectCniError(await p, [3], 'CNI CHECK: the plugin should return an error when resources of the attachment (its IP reservation) are missing; the well-known code is 3 — unknown container (codes 1-99 must not be used otherwise; 100+ are the plugin\'s own)', p, { pluginSpecific: true });
    },
  }),
  c({
    id: 'cni.check.after-del-fails', needs: [CNI.check], name: 'CHECK after DEL fails',
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      await k.del(net, att);
      const failed = await k.checkFails(net, att);
      expectTrue(failed !== undefined, 'CHECK succeeded for an attachment that was deleted', 'CNI CHECK: the plugin MUST return an error when the container\'s networking is not as prevResult describes', { call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cni.check.rejected-before-0.4.0', tags: ['Optional'], name: 'CHECK with a config older than 0.4.0 fails with code 1',
    applies: (env) => (!env.supportedVersions.some((v) => versionAtLeast(v, '0.4.0'))
      ? 'the plugin supports no version from 0.4.0 on, so CHECK is an unknown command to it, not a version question (cni.errors.unknown-command covers those)'
      : env.supportedVersions.some((v) => !versionAtLeast(v, '0.4.0') && versionAtLeast(v, '0.3.0')) ? undefined : 'the plugin supports no version before 0.4.0'),
    async run(k) {
      const old = k.env.supportedVersions.find((v) => !versionAtLeast(v, '0.4.0') && versionAtLeast(v, '0.3.0'))!;
      const net = k.network({ cniVersion: old });
      const p = k.call('CHECK', k.env.pluginType, k.pluginConf(net), { containerID: k.containerId(), ifName: 'eth0', netns: await k.netns() });
      expectCniError(await p, [1], `CNI: CHECK does not exist before 0.4.0; a ${old} config asking for it is an incompatible version (1)`, p);
    },
  }),
];
