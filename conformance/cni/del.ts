// DEL: succeeds after ADD, again (idempotent), without any ADD, without a netns, and without
// prevResult.
import { expectCniSuccess } from './kit.js';
import type { CaseDef } from '../runner/types.js';
import { cniCase } from './case.js';
import type { CniEnv } from './kit.js';

const G = 'cni.DEL';
const c = (d: Parameters<typeof cniCase>[1]) => cniCase(G, d);
const IDEMPOTENT = 'CNI DEL: plugins should complete a DEL without error even if resources are missing; a DEL repeated, or for an attachment never added, MUST succeed';

export const delCases: CaseDef<CniEnv>[] = [
  c({
    id: 'cni.del.after-add', name: 'DEL after ADD succeeds',
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      await k.del(net, att, 'CNI DEL: deleting an attachment made by ADD MUST succeed');
    },
  }),
  c({
    id: 'cni.del.idempotent', name: 'DEL twice succeeds both times',
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      await k.del(net, att, 'CNI DEL: deleting an attachment made by ADD MUST succeed');
      await k.del(net, att, IDEMPOTENT);
    },
  }),
  c({
    id: 'cni.del.without-add', name: 'DEL of an attachment that was never added succeeds',
    async run(k) {
      const net = k.network();
      await k.del(net, { network: net.name, containerID: k.containerId('never'), ifName: 'eth0', netns: await k.netns() }, IDEMPOTENT);
    },
  }),
  c({
    id: 'cni.del.without-netns', name: 'DEL without CNI_NETNS succeeds',
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      const p = k.call('DEL', k.env.pluginType, { ...k.pluginConf(net), ...(att.result ? { prevResult: att.result } : {}) }, { ...att, omit: ['CNI_NETNS'] });
      expectCniSuccess(await p, 'CNI DEL: CNI_NETNS is not required for DEL (the namespace may already be gone); the plugin MUST still clean up and succeed', p);
      await k.del(net, att, IDEMPOTENT);
    },
  }),
  c({
    id: 'cni.del.without-prev-result', tags: ['Optional'], name: 'DEL without prevResult succeeds',
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      const p = k.call('DEL', k.env.pluginType, k.pluginConf(net), att);
      expectCniSuccess(await p, 'CNI DEL: a runtime may have lost the cached result; plugins should complete DEL without prevResult', p);
      await k.del(net, att, IDEMPOTENT);
    },
  }),
];
