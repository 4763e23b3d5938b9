// What the kubelet does when a plugin fails: faults injected through the interposer the suite's
// node puts in front of the runtime and every CSI driver (harness/node.ts, `interpose: true`), so
// these cases run on any stack a triad.yaml names — the in-memory plugins, containerd, hostPath.
// Each case aims its rules at its own pod (by name) or volume, so other cases in flight are
// untouched, removes them when it ends, and checks status, events, the calls the kubelet made and
// that the failed attempt left nothing behind.
import { existsSync, statSync } from 'node:fs';
import type { Pod } from '../../harness/api/types.js';
import type { TriadConfig } from '../../harness/config/config.js';
import { loadConfFile, loadFirstConfList } from '../../interfaces/cni/index.js';
import { MEMORY_CNI_TYPE } from '../../plugins/memory-cni/index.js';
import { POD_UID } from '../../harness/kubelet/labels.js';
import type { TranscriptEntry } from '../../interfaces/interposer/transcript.js';
import type { InterposerRule } from '../../interfaces/interposer/rules.js';
import type { RunningProxy } from '../../interfaces/interposer/proxy.js';
import { expectEqual, expectOk, expectTrue } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { CAP, cachedResults, NS, PodKit, readAllocations, type PodEnv } from './kit.js';

const G = 'pod.Faults';
const c = defineCases(PodKit, G);

const F = {
  retry:
    "kubelet: a CRI call that fails is retried on a later sync, after a back-off; the failure is a Warning event and the container's waiting reason (CreateContainerError) until the retry succeeds",
  pull: 'kubelet: a failed PullImage makes the container wait with ErrImagePull, then ImagePullBackOff while retries are held back; each failure is an event; once the pull succeeds the pod runs',
  mount:
    'kubelet: while NodePublishVolume fails (e.g. DEADLINE_EXCEEDED) the pod waits in ContainerCreating with a FailedMount event; the kubelet retries the publish and then starts the pod',
  leak: 'A failed attempt leaves nothing behind: no extra container, sandbox or mount of the pod at the plugin',
  sandbox:
    "kubelet: when RunPodSandbox fails (here: the network plugin's ADD failed) the failure is a Warning event (FailedCreatePodSandBox) and the kubelet creates the sandbox again on a later sync; the runtime undoes the failed attempt (CNI DEL, its network namespace, the sandbox)",
  outage:
    "kubelet: when the runtime's socket stops answering (connections dropped) and comes back, the kubelet reconnects: running pods keep their containers (no restart from the outage) and new pods start",
};

/** The interposer in front of the runtime, or skip: the node was started without one. */
function runtimeProxy(k: PodKit): RunningProxy {
  const p = k.env.node.interposers?.runtime;
  if (!p) return k.skip("the suite's node has no interposer in front of the runtime (started without interpose)");
  return p;
}

/** Add rules until the case ends (or remove()); calls of the proxy that match `pick` are collected in order. */
function aim(k: PodKit, p: RunningProxy, rules: InterposerRule[], pick: (e: TranscriptEntry) => boolean): { calls: TranscriptEntry[]; remove(): void } {
  const calls: TranscriptEntry[] = [];
  const stop = p.watch((e) => {
    if (pick(e)) calls.push(e);
  });
  const remove = p.addRules(rules);
  k.ctx.cleanup(() => {
    remove();
    stop();
  }, "remove the case's fault rules");
  k.ctx.log(`fault rules: ${JSON.stringify(rules)}`);
  return { calls, remove };
}

/** A label whose pod name no other case's matches: rules are aimed at `*<label>*`. */
const label = (k: PodKit, what: string) => `${what}${k.ctx.seq}x`;
const podOf = (e: TranscriptEntry) => (e.request as { sandboxConfig?: { metadata?: { name?: string } } }).sandboxConfig?.metadata?.name ?? '';
const events = (k: PodKit, pod: Pod) => k.kubelet.events(NS, pod.metadata.name).map((e) => `${e.type} ${e.reason}: ${e.message}`);
/** The network's last plugin: its ADD runs after the others' (an address and interfaces exist by then). */
function lastPluginType(cfg: TriadConfig): string | undefined {
  const net = cfg.network;
  if (net.type === 'memory') return MEMORY_CNI_TYPE;
  if (net.type !== 'cni' || !net.config) return undefined;
  try {
    const list = existsSync(net.config) && statSync(net.config).isDirectory() ? loadFirstConfList(net.config) : loadConfFile(net.config);
    return list.plugins.at(-1)?.type;
  } catch {
    return undefined;
  }
}
const cniPod = (e: TranscriptEntry) => (e.request as { args?: Record<string, string> }).args?.K8S_POD_NAME ?? '';
const cniSandbox = (e: TranscriptEntry) => (e.request as { containerId?: string }).containerId ?? '';

const waitingReason = (p: Pod, c: string) => p.status?.containerStatuses?.find((x) => x.name === c)?.state.waiting?.reason;

export const faultCases: CaseDef<PodEnv>[] = [
  c({
    id: 'pod.faults.create-container-fails-once',
    name: 'CreateContainer fails once: the kubelet reports CreateContainerError with a Warning event, retries after a back-off, and the pod runs with one container',
    async run(k) {
      const p = runtimeProxy(k);
      const l = label(k, 'ccfail');
      const message = 'triad fault: CreateContainer fails once';
      const { calls } = aim(
        k,
        p,
        [{ rpc: 'CreateContainer', match: { 'sandboxConfig.metadata.name': `*${l}*` }, times: 1, fail: { code: 'UNKNOWN', message } }],
        (e) => e.method === 'RuntimeService/CreateContainer' && podOf(e).includes(l),
      );
      const pod = await k.run({ label: l, containers: [{ name: 'app', script: 'sleep 3600' }] });
      let sawWaiting = false;
      const off = k.kubelet.onChange((w) => {
        if (w.key === `${NS}/${pod.metadata.name}` && waitingReason(k.get(pod.metadata.name), 'app') === 'CreateContainerError') sawWaiting = true;
      });
      k.ctx.cleanup(off, 'stop watching the pod');
      const running = await k.running(pod.metadata.name);
      expectEqual(
        calls.map((x) => x.status.name),
        ['UNKNOWN', 'OK'],
        { rule: F.retry, what: 'the outcomes of CreateContainer for the pod' },
      );
      const gap = Date.parse(calls[1].time) - (Date.parse(calls[0].time) + calls[0].durationMs);
      const initial = k.env.node.config.kubelet.backoff.initialMs;
      expectTrue(gap >= initial * 0.9, `the retry came ${gap} ms after the failure, before the back-off of ${initial} ms`, {
        rule: F.retry,
        actual: calls.map((x) => x.time),
      });
      const ev = events(k, running);
      expectTrue(
        ev.some((e) => e.startsWith('Warning') && e.includes(message)),
        `no Warning event carries the failure; events: ${ev.join(' | ')}`,
        { rule: F.retry, actual: ev },
      );
      expectTrue(sawWaiting, 'the container was never seen waiting with reason CreateContainerError', { rule: F.retry });
      const list = await expectOk(k.cri.listContainers({ filter: { labelSelector: { [POD_UID]: running.metadata.uid! } } }), {
        rule: 'CRI ListContainers MUST answer OK',
      });
      expectEqual(list.containers.length, 1, { rule: F.leak, what: 'containers the runtime has for the pod' });
    },
  }),
  c({
    id: 'pod.faults.pull-image-not-found',
    name: 'PullImage answers NOT_FOUND: the container waits with ErrImagePull then ImagePullBackOff, with events; once pulls work the pod runs',
    async run(k) {
      const p = runtimeProxy(k);
      const l = label(k, 'pullnf');
      const { calls, remove } = aim(
        k,
        p,
        [{ rpc: 'PullImage', match: { 'sandboxConfig.metadata.name': `*${l}*` }, fail: { code: 'NOT_FOUND', message: 'triad fault: no such image' } }],
        (e) => e.method === 'ImageService/PullImage' && podOf(e).includes(l),
      );
      // the image is on the node already: Always makes the kubelet pull it anyway
      const pod = await k.run({ label: l, containers: [{ name: 'app', script: 'sleep 3600', extra: { imagePullPolicy: 'Always' } }] });
      const reasons = new Set<string>();
      const look = () => {
        try {
          const r = waitingReason(k.get(pod.metadata.name), 'app');
          if (r) reasons.add(r);
        } catch {
          /* gone */
        }
      };
      const off = k.kubelet.onChange((w) => {
        if (w.key === `${NS}/${pod.metadata.name}`) look();
      });
      const timer = setInterval(look, 20);
      k.ctx.cleanup(() => {
        off();
        clearInterval(timer);
      }, 'stop watching the pod');
      await k.waitFor(pod.metadata.name, (x) => waitingReason(x, 'app') === 'ImagePullBackOff', 'app waiting with ImagePullBackOff');
      look();
      expectTrue(reasons.has('ErrImagePull'), `the container was never seen waiting with ErrImagePull (seen: ${[...reasons].join(', ')})`, { rule: F.pull });
      expectTrue(calls.length >= 1 && calls.every((x) => x.status.name === 'NOT_FOUND'), `PullImage calls: ${calls.map((x) => x.status.name).join(', ')}`, {
        rule: F.pull,
      });
      const ev = events(k, k.get(pod.metadata.name));
      expectTrue(ev.some((e) => /ErrImagePull/.test(e)) && ev.some((e) => /BackOff/.test(e)), `events lack ErrImagePull or BackOff: ${ev.join(' | ')}`, {
        rule: F.pull,
        actual: ev,
      });
      // pulls work again: the next retry after the back-off succeeds
      const before = calls.length;
      remove();
      await k.running(pod.metadata.name);
      expectTrue(
        calls.slice(before).some((x) => x.status.name === 'OK'),
        'the pod runs but no successful PullImage was seen',
        { rule: F.pull },
      );
    },
  }),
  c({
    id: 'pod.faults.publish-deadline',
    name: 'NodePublishVolume misses its deadline once: the pod waits in ContainerCreating with FailedMount, the kubelet retries the publish, then the pod runs; one mount, at one target',
    needs: [CAP.provisioning],
    async run(k) {
      const driver = k.env.storageClass!.driver;
      const p = k.env.node.interposers?.drivers.get(driver);
      if (!p) return k.skip(`the suite's node has no interposer in front of CSI driver ${driver}`);
      const claim = k.name('pubdl');
      await k.claims([claim]);
      const volumeId = k.kubelet.volumes.claims.get(`${NS}/${claim}`)!.volumeId!;
      const { calls } = aim(
        k,
        p,
        [
          {
            rpc: 'NodePublishVolume',
            match: { volumeId },
            times: 1,
            delayMs: 300,
            fail: { code: 'DEADLINE_EXCEEDED', message: 'triad fault: NodePublishVolume missed its deadline' },
          },
        ],
        (e) => e.method === 'Node/NodePublishVolume' && (e.request as { volumeId?: string }).volumeId === volumeId,
      );
      const pod = await k.run({
        label: 'pubdl',
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
        containers: [{ name: 'app', script: 'sleep 3600', mounts: [{ name: 'data', mountPath: '/data' }] }],
      });
      let creating = false;
      const look = () => {
        try {
          if (waitingReason(k.get(pod.metadata.name), 'app') === 'ContainerCreating') creating = true;
        } catch {
          /* gone */
        }
      };
      const timer = setInterval(look, 20);
      look();
      k.ctx.cleanup(() => clearInterval(timer), 'stop watching the pod');
      const running = await k.running(pod.metadata.name);
      clearInterval(timer);
      expectTrue(creating, 'the pod was never seen waiting in ContainerCreating while the publish failed', { rule: F.mount });
      expectEqual(calls.map((x) => x.status.name).slice(0, 2), ['DEADLINE_EXCEEDED', 'OK'], {
        rule: F.mount,
        what: 'the outcomes of NodePublishVolume for the volume',
      });
      const ev = events(k, running);
      expectTrue(
        ev.some((e) => /FailedMount/.test(e) && /missed its deadline/.test(e)),
        `no FailedMount event carries the failure: ${ev.join(' | ')}`,
        { rule: F.mount, actual: ev },
      );
      const targets = new Set(calls.filter((x) => x.status.name === 'OK').map((x) => (x.request as { targetPath: string }).targetPath));
      expectEqual(targets.size, 1, { rule: F.leak, what: 'distinct target paths published for the pod' });
    },
  }),
  c({
    id: 'pod.faults.cni-add-fails',
    name: "The network's last plugin fails its ADD once: RunPodSandbox fails with a Warning event, the kubelet creates the sandbox again and the pod runs; the failed attempt leaves no sandbox, address, cached result or network namespace, and was undone with DEL",
    needs: [CAP.network],
    async run(k) {
      const cni = k.env.node.interposers?.cni;
      if (!cni)
        return k.skip(
          "the suite's node has no CNI interposer: its runtime runs CNI from its own configuration (a containerd behind an endpoint), out of triad's reach; a private containerd (runtime.type containerd without endpoint) or the memory runtime get one",
        );
      const type = lastPluginType(k.env.node.config);
      if (!type) return k.skip("the network's plugins are not known from triad.yaml (network.config unreadable)");
      const p = runtimeProxy(k);
      const l = label(k, 'cniadd');
      const message = `triad fault: ${type} ADD fails once`;
      const sandboxes: TranscriptEntry[] = [];
      const stop = p.watch((e) => {
        if (
          e.method === 'RuntimeService/RunPodSandbox' &&
          ((e.request as { config?: { metadata?: { name?: string } } }).config?.metadata?.name ?? '').includes(l)
        )
          sandboxes.push(e);
      });
      k.ctx.cleanup(stop, 'stop watching RunPodSandbox');
      // CNI error 11: "try again later"
      const rules: InterposerRule[] = [{ rpc: `${type}/ADD`, match: { 'args.K8S_POD_NAME': `*${l}*` }, times: 1, fail: { code: 11, message } }];
      const remove = await cni.addRules(rules);
      k.ctx.cleanup(remove, "remove the case's CNI fault rules");
      k.ctx.log(`CNI fault rules: ${JSON.stringify(rules)}`);
      const pod = await k.run({ label: l, containers: [{ name: 'app', script: 'sleep 3600' }] });
      const running = await k.running(pod.metadata.name);
      const calls = cni.calls().filter((e) => cniPod(e).includes(l));
      k.ctx.log(`CNI calls for the pod: ${calls.map((e) => `${e.method} ${cniSandbox(e).slice(0, 12)} ${e.status.name}`).join(', ')}`);
      const adds = calls.filter((e) => e.method === `${type}/ADD`);
      expectEqual(
        adds.map((e) => e.status.name),
        ['CNI_ERROR', 'OK'],
        { rule: F.sandbox, what: `the outcomes of ${type} ADD for the pod` },
      );
      expectTrue(
        sandboxes.length === 2 && sandboxes[0].status.name !== 'OK' && sandboxes[1].status.name === 'OK',
        `RunPodSandbox for the pod: ${sandboxes.map((e) => e.status.name).join(', ')} (expected a failure, then OK)`,
        { rule: F.sandbox, actual: sandboxes.map((e) => e.status) },
      );
      const ev = events(k, running);
      expectTrue(
        ev.some((e) => e.startsWith('Warning') && e.includes(message)),
        `no Warning event carries the CNI failure; events: ${ev.join(' | ')}`,
        { rule: F.sandbox, actual: ev },
      );
      // what the failed attempt made, the runtime must have undone
      const failed = cniSandbox(adds[0]);
      const netns = (adds[0].request as { netns?: string }).netns;
      expectTrue(
        !!failed && failed !== cniSandbox(adds[1]),
        `the retry used sandbox ${cniSandbox(adds[1])}, the failed attempt ${failed}: expected a new sandbox`,
        { rule: F.sandbox },
      );
      expectTrue(
        calls.some((e) => e.method.endsWith('/DEL') && cniSandbox(e) === failed),
        `no CNI DEL for the failed sandbox ${failed}; calls: ${calls.map((e) => `${e.method} ${cniSandbox(e).slice(0, 12)} ${e.status.name}`).join(', ')}`,
        { rule: F.leak },
      );
      const list = await expectOk(k.cri.listPodSandbox({}), { rule: 'CRI ListPodSandbox MUST answer OK' });
      expectEqual(
        list.items.filter((x) => x.id === failed).map((x) => x.id),
        [],
        { rule: F.leak, what: 'sandboxes the runtime still has of the failed attempt' },
      );
      expectEqual(
        readAllocations(k.env.net.ipamDir)
          .filter((a) => a.containerID === failed)
          .map((a) => a.ip),
        [],
        { rule: F.leak, what: 'addresses still allocated to the failed sandbox' },
      );
      expectEqual(cachedResults(k.env.net, failed).length, 0, { rule: F.leak, what: 'cached CNI results of the failed sandbox' });
      expectTrue(!netns || !existsSync(netns), `the failed sandbox's network namespace ${netns} is still there`, { rule: F.leak });
      expectEqual(list.items.filter((x) => x.metadata?.name === running.metadata.name || x.labels?.[POD_UID] === running.metadata.uid).length, 1, {
        rule: F.leak,
        what: 'sandboxes the runtime has for the pod',
      });
    },
  }),
  c({
    id: 'pod.faults.runtime-outage',
    name: 'The runtime socket drops every connection for a while, then comes back: the kubelet recovers, the running pod keeps its container, a new pod starts',
    serial: true,
    async run(k) {
      const p = runtimeProxy(k);
      const before = await k.running((await k.run({ label: 'outage-a', containers: [{ name: 'app', script: 'sleep 3600' }] })).metadata.name);
      const id = (await k.containerStatus(before, 'app')).id;
      const proxies = [p, k.env.node.interposers?.image].filter((x): x is RunningProxy => !!x);
      const dropped: TranscriptEntry[] = [];
      const stops = proxies.map((x) =>
        x.watch((e) => {
          if (e.fault === 'drop') dropped.push(e);
        }),
      );
      const removes = proxies.map((x) => x.addRules([{ rpc: '*', drop: true }]));
      k.ctx.cleanup(() => {
        for (const f of [...removes, ...stops]) f();
      }, 'end the outage');
      // long enough for several PLEG relists to hit the dead socket
      await new Promise((r) => setTimeout(r, Math.max(1500, 4 * k.env.node.config.kubelet.plegPeriodMs)));
      for (const f of removes) f();
      expectTrue(dropped.length > 0, 'the kubelet made no runtime call during the outage (no relist?)', { rule: F.outage });
      k.ctx.log(`${dropped.length} runtime calls dropped during the outage: ${[...new Set(dropped.map((e) => e.method))].join(', ')}`);
      const after = await k.running((await k.run({ label: 'outage-b', containers: [{ name: 'app', script: 'sleep 3600' }] })).metadata.name);
      expectEqual(after.status?.phase, 'Running', { rule: F.outage, what: 'the phase of a pod started after the outage' });
      const a = k.get(before.metadata.name);
      expectEqual(a.status?.phase, 'Running', { rule: F.outage, what: 'the phase of the pod that ran through the outage' });
      expectEqual(a.status?.containerStatuses?.[0]?.restartCount, 0, { rule: F.outage, what: 'its restartCount' });
      expectEqual((await k.containerStatus(a, 'app')).id, id, { rule: F.outage, what: 'its container id (the same container, not a new one)' });
    },
  }),
];
