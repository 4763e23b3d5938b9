// CRI pod sandboxes: RunPodSandbox → SANDBOX_READY, StopPodSandbox → SANDBOX_NOTREADY (its
// containers stopped), RemovePodSandbox → gone (its containers too); idempotent stop/remove,
// labels and annotations, metadata and name reservation, ListPodSandbox filters (only ever over
// this case's own sandboxes), unknown ids, StreamPodSandboxes and UpdatePodSandboxResources.
import { PodSandboxState } from '../../interfaces/gen/cri/api.js';
import { expectCode, expectEqual, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { ContainerState, EXIT, POD, RULES, RUN, expectNotFound, expectOkOr, expectRefused, flat, rpcCap, short, type CriEnv, CriKit, type Pod } from './kit.js';

const c = defineCases(CriKit, 'cri.PodSandbox');

const STOP_RULE = 'cri.stop-pod-sandbox.not-ready';
const STOP_IDEMPOTENT = 'cri.stop-pod-sandbox.idempotent';
const REMOVE_RULE = 'cri.remove-pod-sandbox.removes';
const REMOVE_IDEMPOTENT = 'cri.remove-pod-sandbox.idempotent';
const LABELS_RULE = 'cri.pod-sandbox-config.labels';
const ANNOTATIONS_RULE = 'cri.pod-sandbox-config.annotations-unaltered';
const STATUS = RULES.sandboxStatusOk;
const LIST = RULES.listSandboxes;

async function sandboxState(k: CriKit, id: string, rule = RULES.sandboxStatusOk) {
  const p = k.runtime.podSandboxStatus({ podSandboxId: id });
  const st = await expectOk(p, { rule });
  if (!st.status) fail('PodSandboxStatus answered without status', { rule, call: p });
  return { status: st.status, call: p };
}

async function listed(k: CriKit, filter: Record<string, unknown>): Promise<string[]> {
  const res = await expectOk(k.runtime.listPodSandbox({ filter }), { rule: LIST });
  return res.items.map((x) => x.id).sort();
}

const ids = (...pods: Pod[]) => pods.map((p) => p.id).sort();

export const sandboxCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.sandbox.run.ready',
    rpc: 'RunPodSandbox',
    name: 'RunPodSandbox gives a SANDBOX_READY sandbox whose status echoes its metadata and creation time',
    rules: [...POD, STATUS, 'cri.pod-sandbox-status.created-at', 'cri.pod-sandbox-status.runtime-handler', 'cri.run-pod-sandbox.default-runtime-handler'],
    async run(k) {
      const t0 = BigInt(Date.now() - 5000) * 1_000_000n;
      const pod = await k.sandbox();
      const t1 = BigInt(Date.now() + 5000) * 1_000_000n;
      const { status, call } = await sandboxState(k, pod.id);
      expectEqual(status.id, pod.id, { rule: STATUS, what: 'status.id', call });
      expectEqual(PodSandboxState[status.state], 'SANDBOX_READY', { rule: RULES.runOk, what: 'status.state', call });
      const md = pod.config.metadata!;
      expectEqual({ ...status.metadata }, { name: md.name, namespace: md.namespace, uid: md.uid, attempt: 0 }, { rule: STATUS, what: 'status.metadata', call });
      expectEqual(status.runtimeHandler, '', {
        rule: 'cri.pod-sandbox-status.runtime-handler',
        what: 'status.runtime_handler of a sandbox run with the default handler',
        call,
      });
      expectTrue(status.createdAt >= t0 && status.createdAt <= t1, `created_at ${status.createdAt} is not the time of the call (nanoseconds since the epoch)`, {
        rule: 'cri.pod-sandbox-status.created-at',
        call,
      });
    },
  }),
  c({
    id: 'cri.sandbox.status.labels-annotations',
    rpc: ['PodSandboxStatus', 'ListPodSandbox'],
    name: 'PodSandboxStatus and ListPodSandbox return the labels and annotations given',
    rules: [...POD, STATUS, LABELS_RULE, ANNOTATIONS_RULE, LIST, 'cri.pod-sandbox-status.created-at'],
    async run(k) {
      const pod = await k.sandbox({
        labels: { 'triad.dev/color': 'blue', app: 'conformance' },
        annotations: { 'triad.dev/note': 'kept as is: ünïcode & spaces', empty: '' },
      });
      const { status, call } = await sandboxState(k, pod.id);
      for (const [key, v] of Object.entries(pod.config.labels ?? {}))
        expectEqual(status.labels[key], v, { rule: LABELS_RULE, what: `status.labels[${key}]`, call });
      expectEqual({ ...status.annotations }, { ...pod.config.annotations }, { rule: ANNOTATIONS_RULE, what: 'status.annotations', call });
      const lp = k.runtime.listPodSandbox({ filter: { id: pod.id } });
      const item = (await expectOk(lp, { rule: LIST })).items.find((x) => x.id === pod.id);
      expectTrue(item, `ListPodSandbox with filter.id ${short(pod.id)} does not list the sandbox`, { rule: LIST, call: lp });
      for (const [key, v] of Object.entries(pod.config.labels ?? {}))
        expectEqual(item.labels[key], v, { rule: LABELS_RULE, what: `items[].labels[${key}]`, call: lp });
      expectEqual({ ...item.annotations }, { ...pod.config.annotations }, { rule: ANNOTATIONS_RULE, what: 'items[].annotations', call: lp });
      expectEqual(PodSandboxState[item.state], 'SANDBOX_READY', { rule: LIST, what: 'items[].state', call: lp });
      expectEqual(item.createdAt, status.createdAt, { rule: 'cri.pod-sandbox-status.created-at', what: 'items[].created_at', call: lp });
    },
  }),
  c({
    id: 'cri.sandbox.status.unknown-id',
    rpc: 'PodSandboxStatus',
    name: 'PodSandboxStatus of an unknown sandbox id fails with NOT_FOUND',
    rules: ['cri.pod-sandbox-status.unknown-id-error', RULES.notFound],
    async run(k) {
      await expectNotFound(k.runtime.podSandboxStatus({ podSandboxId: k.env.unknownId }), { rule: 'cri.pod-sandbox-status.unknown-id-error' });
    },
  }),
  c({
    id: 'cri.sandbox.status.verbose',
    rpc: 'PodSandboxStatus',
    name: 'PodSandboxStatus with verbose answers OK, info only then',
    tags: ['Optional'],
    rules: [...POD, STATUS, 'cri.pod-sandbox-status.verbose-info', 'cri.verbose.info-present'],
    async run(k) {
      const pod = await k.sandbox();
      const quiet = await expectOk(k.runtime.podSandboxStatus({ podSandboxId: pod.id, verbose: false }), { rule: STATUS });
      expectEqual(Object.keys(quiet.info).length, 0, {
        rule: 'cri.pod-sandbox-status.verbose-info',
        what: 'number of info keys without verbose',
        call: k.ctx.lastCall,
      });
      const v = await expectOk(k.runtime.podSandboxStatus({ podSandboxId: pod.id, verbose: true }), { rule: 'cri.verbose.info-present' });
      expectTrue(Object.keys(v.info).length > 0, 'verbose PodSandboxStatus has no info', { rule: 'cri.verbose.info-present', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.sandbox.stop.not-ready',
    rpc: 'StopPodSandbox',
    name: 'StopPodSandbox makes the sandbox SANDBOX_NOTREADY',
    rules: [...POD, STATUS, STOP_RULE],
    async run(k) {
      const pod = await k.sandbox();
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), { rule: STOP_RULE });
      const { status, call } = await sandboxState(k, pod.id);
      expectEqual(PodSandboxState[status.state], 'SANDBOX_NOTREADY', { rule: STOP_RULE, what: 'status.state', call });
    },
  }),
  c({
    id: 'cri.sandbox.stop.idempotent',
    rpc: 'StopPodSandbox',
    name: 'StopPodSandbox twice answers OK both times',
    rules: [...POD, STOP_RULE, STOP_IDEMPOTENT],
    async run(k) {
      const pod = await k.sandbox();
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), { rule: STOP_RULE });
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), { rule: STOP_IDEMPOTENT });
    },
  }),
  c({
    id: 'cri.sandbox.stop.unknown-id',
    rpc: 'StopPodSandbox',
    name: 'StopPodSandbox of an unknown sandbox id answers OK or NOT_FOUND',
    rules: ['cri.stop-pod-sandbox.unknown-id'],
    async run(k) {
      await expectOkOr(k.runtime.stopPodSandbox({ podSandboxId: k.env.unknownId }), 'NOT_FOUND', { rule: 'cri.stop-pod-sandbox.unknown-id' });
    },
  }),
  c({
    id: 'cri.sandbox.stop.stops-containers',
    rpc: 'StopPodSandbox',
    name: "StopPodSandbox stops the sandbox's running containers",
    rules: [...POD, ...RUN, STOP_RULE, 'cri.stop-pod-sandbox.kills-containers'],
    async run(k) {
      const pod = await k.sandbox();
      const ctr = await k.sleeper(pod);
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), { rule: STOP_RULE });
      await k.waitExited(ctr, 10_000, 'cri.stop-pod-sandbox.kills-containers');
    },
  }),
  c({
    id: 'cri.sandbox.remove.gone',
    rpc: 'RemovePodSandbox',
    name: 'After StopPodSandbox and RemovePodSandbox the sandbox is unknown and not listed',
    rules: [...POD, STOP_RULE, REMOVE_RULE, LIST],
    async run(k) {
      const pod = await k.sandbox();
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), { rule: STOP_RULE });
      await expectOk(k.runtime.removePodSandbox({ podSandboxId: pod.id }), { rule: REMOVE_RULE });
      await expectCode(k.runtime.podSandboxStatus({ podSandboxId: pod.id }), 'NOT_FOUND', { rule: REMOVE_RULE });
      const left = await listed(k, { labelSelector: k.mine });
      expectEqual(left, [], { rule: REMOVE_RULE, what: 'sandboxes of this case still listed' });
    },
  }),
  c({
    id: 'cri.sandbox.remove.idempotent',
    rpc: 'RemovePodSandbox',
    name: 'RemovePodSandbox twice answers OK both times',
    rules: [...POD, STOP_RULE, REMOVE_RULE, REMOVE_IDEMPOTENT],
    async run(k) {
      const pod = await k.sandbox();
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), { rule: STOP_RULE });
      await expectOk(k.runtime.removePodSandbox({ podSandboxId: pod.id }), { rule: REMOVE_RULE });
      await expectOk(k.runtime.removePodSandbox({ podSandboxId: pod.id }), { rule: REMOVE_IDEMPOTENT });
    },
  }),
  c({
    id: 'cri.sandbox.remove.unknown-id',
    rpc: 'RemovePodSandbox',
    name: 'RemovePodSandbox of an unknown sandbox id answers OK',
    rules: [REMOVE_IDEMPOTENT],
    async run(k) {
      await expectOk(k.runtime.removePodSandbox({ podSandboxId: k.env.unknownId }), { rule: REMOVE_IDEMPOTENT });
    },
  }),
  c({
    id: 'cri.sandbox.remove.removes-containers',
    rpc: 'RemovePodSandbox',
    name: "RemovePodSandbox removes the sandbox's containers too",
    rules: [...POD, ...RUN, STOP_RULE, REMOVE_RULE, 'cri.remove-pod-sandbox.removes-containers', RULES.listContainers],
    async run(k) {
      const pod = await k.sandbox();
      const a = await k.sleeper(pod, 'a');
      const b = await k.create(pod, 'b', ['true']);
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), { rule: STOP_RULE });
      await expectOk(k.runtime.removePodSandbox({ podSandboxId: pod.id }), { rule: REMOVE_RULE });
      const rule = 'cri.remove-pod-sandbox.removes-containers';
      for (const id of [a, b])
        await expectCode(k.runtime.containerStatus({ containerId: id }), 'NOT_FOUND', {
          rule,
          what: `ContainerStatus of container ${short(id)} of the removed sandbox`,
        });
      const res = await expectOk(k.runtime.listContainers({ filter: { labelSelector: k.mine } }), { rule: RULES.listContainers });
      expectEqual(
        res.containers.map((x) => x.id),
        [],
        { rule, what: 'containers of this case still listed', call: k.ctx.lastCall },
      );
    },
  }),
  c({
    id: 'cri.sandbox.remove.ready',
    rpc: 'RemovePodSandbox',
    name: 'RemovePodSandbox of a sandbox that was never stopped terminates and removes it and its running container',
    rules: [...POD, ...RUN, REMOVE_RULE, 'cri.remove-pod-sandbox.removes-containers'],
    async run(k) {
      const pod = await k.sandbox();
      const ctr = await k.sleeper(pod);
      const rule = 'cri.remove-pod-sandbox.removes-containers';
      await expectOk(k.runtime.removePodSandbox({ podSandboxId: pod.id }), { rule });
      await expectCode(k.runtime.podSandboxStatus({ podSandboxId: pod.id }), 'NOT_FOUND', { rule: REMOVE_RULE });
      await expectCode(k.runtime.containerStatus({ containerId: ctr }), 'NOT_FOUND', {
        rule,
        what: `ContainerStatus of the running container ${short(ctr)} of the removed sandbox`,
      });
    },
  }),
  c({
    id: 'cri.sandbox.run.same-name',
    rpc: 'RunPodSandbox',
    name: 'RunPodSandbox with the metadata of an existing sandbox fails',
    rules: [...POD, 'cri.pod-sandbox-config.metadata-identifies'],
    async run(k) {
      const pod = await k.sandbox();
      await expectRefused(k.runtime.runPodSandbox({ config: pod.config }), {
        rule: 'cri.pod-sandbox-config.metadata-identifies',
        what: 'RunPodSandbox with the metadata of an existing sandbox',
        created: (res) => k.trackSandbox(res.podSandboxId, pod.config),
      });
    },
  }),
  c({
    id: 'cri.sandbox.run.next-attempt',
    rpc: 'RunPodSandbox',
    name: 'A sandbox with the same name and the next attempt number can run while the stopped one exists',
    rules: [...POD, STATUS, STOP_RULE, 'cri.pod-sandbox-config.next-attempt'],
    async run(k) {
      const first = await k.sandbox();
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: first.id }), { rule: STOP_RULE });
      const md = first.config.metadata!;
      const second = await k.sandbox({ ...first.config, metadata: { ...md, attempt: 1 } }, 'cri.pod-sandbox-config.next-attempt');
      expectTrue(second.id !== first.id, 'the new attempt got the old sandbox id', { rule: RULES.runId, call: k.ctx.lastCall });
      const { status, call } = await sandboxState(k, second.id);
      expectEqual(status.metadata?.attempt, 1, { rule: STATUS, what: 'status.metadata.attempt', call });
    },
  }),
  c({
    id: 'cri.sandbox.run.unknown-runtime-handler',
    rpc: 'RunPodSandbox',
    name: 'RunPodSandbox with a runtime handler the runtime does not have fails',
    tags: ['Optional'],
    rules: ['cri.run-pod-sandbox.unknown-runtime-handler'],
    async run(k) {
      const config = k.podConfig();
      await expectRefused(k.runtime.runPodSandbox({ config, runtimeHandler: `triad-no-such-handler-${k.env.runId}` }), {
        rule: 'cri.run-pod-sandbox.unknown-runtime-handler',
        what: 'RunPodSandbox with an unknown runtime_handler',
        created: (res) => k.trackSandbox(res.podSandboxId, config),
      });
    },
  }),
  c({
    id: 'cri.sandbox.run.missing-metadata',
    rpc: 'RunPodSandbox',
    name: 'RunPodSandbox without metadata fails',
    rules: ['cri.run-pod-sandbox.metadata-required'],
    async run(k) {
      const config = k.podConfig();
      await expectRefused(k.runtime.runPodSandbox({ config: { ...config, metadata: undefined } }), {
        rule: 'cri.run-pod-sandbox.metadata-required',
        what: 'RunPodSandbox without metadata',
        created: (res) => k.trackSandbox(res.podSandboxId, config),
      });
    },
  }),
  c({
    id: 'cri.sandbox.list.label-selector',
    rpc: 'ListPodSandbox',
    name: 'ListPodSandbox label_selector matches all the given labels (AND)',
    rules: [...POD, LIST, 'cri.pod-sandbox-filter.label-selector'],
    async run(k) {
      const a = await k.sandbox({ labels: { 'triad.dev/tier': 'front', 'triad.dev/zone': 'a' } });
      const b = await k.sandbox({ labels: { 'triad.dev/tier': 'front', 'triad.dev/zone': 'b' } });
      const rule = 'cri.pod-sandbox-filter.label-selector';
      expectEqual(await listed(k, { labelSelector: k.mine }), ids(a, b), { rule, what: 'sandboxes with the case labels' });
      expectEqual(await listed(k, { labelSelector: { ...k.mine, 'triad.dev/tier': 'front' } }), ids(a, b), { rule, what: 'sandboxes with tier=front' });
      expectEqual(await listed(k, { labelSelector: { ...k.mine, 'triad.dev/zone': 'b' } }), ids(b), { rule, what: 'sandboxes with zone=b' });
      expectEqual(await listed(k, { labelSelector: { ...k.mine, 'triad.dev/tier': 'front', 'triad.dev/zone': 'a' } }), ids(a), {
        rule,
        what: 'sandboxes with tier=front AND zone=a',
      });
      expectEqual(await listed(k, { labelSelector: { ...k.mine, 'triad.dev/zone': 'c' } }), [], { rule, what: 'sandboxes with zone=c' });
    },
  }),
  c({
    id: 'cri.sandbox.list.by-id',
    rpc: 'ListPodSandbox',
    name: 'ListPodSandbox filter.id lists that sandbox only; an unknown id lists nothing',
    rules: [...POD, LIST, 'cri.pod-sandbox-filter.id'],
    async run(k) {
      const a = await k.sandbox();
      await k.sandbox();
      const rule = 'cri.pod-sandbox-filter.id';
      expectEqual(await listed(k, { id: a.id }), [a.id], { rule, what: 'sandboxes listed for filter.id' });
      expectEqual(await listed(k, { id: k.env.unknownId }), [], { rule, what: 'sandboxes listed for an unknown filter.id' });
    },
  }),
  c({
    id: 'cri.sandbox.list.by-state',
    rpc: 'ListPodSandbox',
    name: 'ListPodSandbox filter.state separates ready and not-ready sandboxes',
    rules: [...POD, LIST, STOP_RULE, 'cri.pod-sandbox-filter.state', 'cri.pod-sandbox-filter.and'],
    async run(k) {
      const ready = await k.sandbox();
      const stopped = await k.sandbox();
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: stopped.id }), { rule: STOP_RULE });
      const rule = 'cri.pod-sandbox-filter.state';
      expectEqual(await listed(k, { labelSelector: k.mine, state: { state: PodSandboxState.SANDBOX_READY } }), [ready.id], {
        rule,
        what: 'SANDBOX_READY sandboxes of this case',
      });
      expectEqual(await listed(k, { labelSelector: k.mine, state: { state: PodSandboxState.SANDBOX_NOTREADY } }), [stopped.id], {
        rule,
        what: 'SANDBOX_NOTREADY sandboxes of this case',
      });
      expectEqual(await listed(k, { labelSelector: k.mine, id: stopped.id, state: { state: PodSandboxState.SANDBOX_READY } }), [], {
        rule: 'cri.pod-sandbox-filter.and',
        what: 'filter.id of the stopped sandbox AND state READY',
      });
    },
  }),
  c({
    id: 'cri.sandbox.stream',
    rpc: 'StreamPodSandboxes',
    name: 'StreamPodSandboxes streams the sandboxes ListPodSandbox lists for the same filter',
    needs: [rpcCap('StreamPodSandboxes')],
    rules: [...POD, 'cri.stream-list.same-as-list', 'cri.stream-list.item-once', RULES.eof, RULES.nonEmpty],
    async run(k) {
      const a = await k.sandbox({ labels: { 'triad.dev/streamed': 'yes' } });
      const b = await k.sandbox({ labels: { 'triad.dev/streamed': 'yes' } });
      await k.sandbox({ labels: { 'triad.dev/streamed': 'no' } });
      const filter = { labelSelector: { ...k.mine, 'triad.dev/streamed': 'yes' } };
      const msgs = await expectOk(
        k.collect('RuntimeService/StreamPodSandboxes', { filter }, (req, o) => k.env.client.runtime.streamPodSandboxes(req as never, o), 'podSandboxes'),
        { rule: 'cri.stream-list.same-as-list' },
      );
      const got = flat(msgs, 'podSandboxes').map((x) => x.id);
      expectEqual(got.length, new Set(got).size, {
        rule: 'cri.stream-list.item-once',
        what: 'number of streamed sandboxes (a duplicate makes it larger than the distinct ids)',
        call: k.ctx.lastCall,
      });
      expectEqual([...got].sort(), ids(a, b), { rule: 'cri.stream-list.same-as-list', what: 'streamed sandbox ids', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.sandbox.update-resources',
    rpc: 'UpdatePodSandboxResources',
    name: 'UpdatePodSandboxResources of a ready sandbox answers OK',
    needs: [rpcCap('UpdatePodSandboxResources')],
    rules: [...POD, STATUS, 'cri.update-pod-sandbox-resources.applies'],
    async run(k) {
      const pod = await k.sandbox();
      await expectOk(
        k.runtime.updatePodSandboxResources({
          podSandboxId: pod.id,
          resources: { cpuShares: 512n, cpuPeriod: 100_000n, cpuQuota: 50_000n, memoryLimitInBytes: 256n * 1024n * 1024n },
        }),
        { rule: 'cri.update-pod-sandbox-resources.applies' },
      );
      const { status, call } = await sandboxState(k, pod.id);
      expectEqual(PodSandboxState[status.state], 'SANDBOX_READY', { rule: 'cri.update-pod-sandbox-resources.applies', what: 'status.state', call });
    },
  }),
  c({
    id: 'cri.sandbox.status.containers-state',
    rpc: 'ContainerStatus',
    name: "A sandbox's containers keep their own states (running and exited side by side)",
    rules: [...POD, ...RUN, ...EXIT, RULES.statusOk, STATUS, 'cri.container.independent-states', 'cri.pod-sandbox-status.container-statuses'],
    async run(k) {
      const pod = await k.sandbox();
      const running = await k.sleeper(pod, 'running');
      const done = await k.run(pod, 'done', ['true']);
      await k.waitExited(done);
      const st = await k.status(running);
      expectEqual(ContainerState[st.state], 'CONTAINER_RUNNING', {
        rule: 'cri.container.independent-states',
        what: 'state of the sleeping container',
        call: k.ctx.lastCall,
      });
      const p = k.runtime.podSandboxStatus({ podSandboxId: pod.id });
      const res = await expectOk(p, { rule: STATUS });
      expectEqual(PodSandboxState[res.status?.state ?? -1], 'SANDBOX_READY', { rule: 'cri.container.independent-states', what: 'sandbox state', call: p });
      // containers_statuses is optional (evented PLEG); when given it is the sandbox's own containers.
      const rule = 'cri.pod-sandbox-status.container-statuses';
      if (res.containersStatuses.length) {
        expectEqual(res.containersStatuses.map((x) => x.id).sort(), [running, done].sort(), { rule, what: 'ids in containers_statuses', call: p });
        expectTrue(res.timestamp > 0n, `timestamp is ${res.timestamp} while containers_statuses are given`, { rule, call: p });
      }
    },
  }),
];
