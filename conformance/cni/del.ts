// DEL: succeeds after ADD, again (idempotent), without any ADD, without a netns, and without
// prevResult.
import { expectCniSuccess, RULES, CniKit } from './kit.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import type { CniEnv } from './kit.js';

const G = 'cni.DEL';
const c = defineCases(CniKit, G);
const IDEMPOTENT = 'cni.del.repeatable';

export const delCases: CaseDef<CniEnv>[] = [
  c({
    id: 'cni.del.after-add',
    rpc: 'DEL',
    name: 'DEL after ADD succeeds',
    rules: [RULES.addResult, RULES.delOk],
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      await k.del(net, att);
    },
  }),
  c({
    id: 'cni.del.idempotent',
    rpc: 'DEL',
    name: 'DEL twice succeeds both times',
    rules: [RULES.addResult, RULES.delOk, IDEMPOTENT],
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      await k.del(net, att);
      await k.del(net, att, IDEMPOTENT);
    },
  }),
  c({
    id: 'cni.del.without-add',
    rpc: 'DEL',
    name: 'DEL of an attachment that was never added succeeds',
    rules: [IDEMPOTENT],
    async run(k) {
      const net = k.network();
      await k.del(net, { network: net.name, containerID: k.containerId('never'), ifName: 'eth0', netns: await k.netns() }, IDEMPOTENT);
    },
  }),
  c({
    id: 'cni.del.without-netns',
    rpc: 'DEL',
    name: 'DEL without CNI_NETNS succeeds',
    rules: [RULES.addResult, 'cni.del.netns-optional', IDEMPOTENT],
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      const p = k.call('DEL', k.env.pluginType, { ...k.pluginConf(net), ...(att.result ? { prevResult: att.result } : {}) }, { ...att, omit: ['CNI_NETNS'] });
      expectCniSuccess(await p, { rule: 'cni.del.netns-optional', call: p });
      await k.del(net, att, IDEMPOTENT);
    },
  }),
  c({
    id: 'cni.del.without-prev-result',
    rpc: 'DEL',
    tags: ['Optional'],
    name: 'DEL without prevResult succeeds',
    rules: [RULES.addResult, 'cni.del.completes-despite-missing', IDEMPOTENT],
    async run(k) {
      const net = k.network();
      const { att } = await k.add(net);
      const p = k.call('DEL', k.env.pluginType, k.pluginConf(net), att);
      expectCniSuccess(await p, { rule: 'cni.del.completes-despite-missing', call: p });
      await k.del(net, att, IDEMPOTENT);
    },
  }),
];
