// CRI pod sandboxes: RunPodSandbox → SANDBOX_READY, StopPodSandbox → SANDBOX_NOTREADY (its
// containers stopped), RemovePodSandbox → gone (its containers too); idempotent stop/remove,
// labels and annotations, metadata and name reservation, ListPodSandbox filters (only ever over
// this case's own sandboxes), unknown ids, StreamPodSandboxes and UpdatePodSandboxResources.
import { PodSandboxState } from '../../interfaces/gen/cri/api.js';
import { expectCode, expectEqual, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { caseIn } from './case.js';
import { ContainerState, RULES, expectOkOr, expectRefused, flat, rpcCap, short, type CriEnv, type CriKit, type Pod } from './kit.js';

const c = caseIn('cri.PodSandbox');

const STOP_RULE = 'CRI StopPodSandbox stops the sandbox\'s processes and tears down its network; the sandbox is then SANDBOX_NOTREADY';
const STOP_IDEMPOTENT = 'CRI StopPodSandbox is idempotent: it MUST NOT return an error if all relevant resources have already been reclaimed';
const REMOVE_RULE = 'CRI RemovePodSandbox removes the sandbox (and force-removes its containers); afterwards the runtime no longer knows it';
const REMOVE_IDEMPOTENT = 'CRI RemovePodSandbox is idempotent: it MUST NOT return an error if the sandbox has already been removed';
const LABELS_RULE = 'CRI PodSandboxStatus / PodSandbox: labels and annotations are the ones given in PodSandboxConfig (kubelet finds its pods by them)';

async function sandboxState(k: CriKit, id: string, rule = RULES.sandboxStatusOk) {
  const p = k.runtime.podSandboxStatus({ podSandboxId: id });
  const st = await expectOk(p, rule);
  if (!st.status) fail('PodSandboxStatus answered without status', rule, { call: p });
  return { status: st.status, call: p };
}

async function listed(k: CriKit, filter: Record<string, unknown>): Promise<string[]> {
  const res = await expectOk(k.runtime.listPodSandbox({ filter }), RULES.listOk('ListPodSandbox'));
  return res.items.map((x) => x.id).sort();
}

const ids = (...pods: Pod[]) => pods.map((p) => p.id).sort();

export const sandboxCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.sandbox.run.ready', name: 'RunPodSandbox gives a SANDBOX_READY sandbox whose status echoes its metadata and creation time',
    async run(k) {
      const t0 = BigInt(Date.now() - 5000) * 1_000_000n;
      const pod = await k.sandbox();
      const t1 = BigInt(Date.now() + 5000) * 1_000_000n;
      const { status, call } = await sandboxState(k, pod.id);
      expectEqual(status.id, pod.id, 'CRI PodSandboxStatus.id is the sandbox id', 'status.id', call);
      expectEqual(PodSandboxState[status.state], 'SANDBOX_READY', RULES.runOk, 'status.state', call);
      const md = pod.config.metadata!;
      expectEqual({ ...status.metadata }, { name: md.name, namespace: md.namespace, uid: md.uid, attempt: 0 }, 'CRI PodSandboxStatus.metadata is the PodSandboxMetadata given to RunPodSandbox', 'status.metadata', call);
      expectTrue(status.createdAt >= t0 && status.createdAt <= t1, `created_at ${status.createdAt} is not the time of the call (nanoseconds since the epoch)`,
        'CRI PodSandboxStatus.created_at: creation timestamp of the sandbox in nanoseconds (kubelet orders sandboxes by it)', { call });
    },
  }),
  c({
    id: 'cri.sandbox.status.labels-annotations', name: 'PodSandboxStatus and ListPodSandbox return the labels and annotations given',
    async run(k) {
      const pod = await k.sandbox({ labels: { 'triad.dev/color': 'blue', app: 'conformance' }, annotations: { 'triad.dev/note': 'kept as is: ünïcode & spaces', empty: '' } });
      const { status, call } = await sandboxState(k, pod.id);
      for (const [key, v] of Object.entries(pod.config.labels ?? {})) expectEqual(status.labels[key], v, LABELS_RULE, `status.labels[${key}]`, call);
      for (const [key, v] of Object.entries(pod.config.annotations ?? {})) expectEqual(status.annotations[key], v, LABELS_RULE, `status.annotations[${key}]`, call);
      const lp = k.runtime.listPodSandbox({ filter: { id: pod.id } });
      const item = (await expectOk(lp, RULES.listOk('ListPodSandbox'))).items.find((x) => x.id === pod.id);
      expectTrue(item, `ListPodSandbox with filter.id ${short(pod.id)} does not list the sandbox`, RULES.listOk('ListPodSandbox'), { call: lp });
      for (const [key, v] of Object.entries(pod.config.labels ?? {})) expectEqual(item.labels[key], v, LABELS_RULE, `items[].labels[${key}]`, lp);
      for (const [key, v] of Object.entries(pod.config.annotations ?? {})) expectEqual(item.annotations[key], v, LABELS_RULE, `items[].annotations[${key}]`, lp);
      expectEqual(PodSandboxState[item.state], 'SANDBOX_READY', 'CRI PodSandbox.state is the sandbox state', 'items[].state', lp);
      expectEqual(item.createdAt, status.createdAt, 'CRI PodSandbox.created_at is the same creation time PodSandboxStatus reports', 'items[].created_at', lp);
    },
  }),
  c({
    id: 'cri.sandbox.status.unknown-id', name: 'PodSandboxStatus of an unknown sandbox id fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.runtime.podSandboxStatus({ podSandboxId: k.env.unknownId }), 'NOT_FOUND', RULES.notFound('PodSandboxStatus', 'sandbox'));
    },
  }),
  c({
    id: 'cri.sandbox.status.verbose', name: 'PodSandboxStatus with verbose answers OK, info only then', tags: ['Optional'],
    async run(k) {
      const pod = await k.sandbox();
      const quiet = await expectOk(k.runtime.podSandboxStatus({ podSandboxId: pod.id, verbose: false }), RULES.sandboxStatusOk);
      expectEqual(Object.keys(quiet.info).length, 0, 'CRI PodSandboxStatusResponse.info: extra information of the sandbox, only returned when verbose is true', 'number of info keys without verbose', k.ctx.lastCall);
      const v = await expectOk(k.runtime.podSandboxStatus({ podSandboxId: pod.id, verbose: true }), RULES.sandboxStatusOk);
      expectTrue(Object.keys(v.info).length > 0, 'verbose PodSandboxStatus has no info', 'CRI PodSandboxStatusResponse.info: with verbose, runtime-specific details (kubelet and crictl show them)', { call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.sandbox.stop.not-ready', name: 'StopPodSandbox makes the sandbox SANDBOX_NOTREADY',
    async run(k) {
      const pod = await k.sandbox();
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), STOP_RULE);
      const { status, call } = await sandboxState(k, pod.id, 'CRI PodSandboxStatus: a stopped sandbox still exists until it is removed');
      expectEqual(PodSandboxState[status.state], 'SANDBOX_NOTREADY', STOP_RULE, 'status.state', call);
    },
  }),
  c({
    id: 'cri.sandbox.stop.idempotent', name: 'StopPodSandbox twice answers OK both times',
    async run(k) {
      const pod = await k.sandbox();
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), STOP_RULE);
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), STOP_IDEMPOTENT);
    },
  }),
  c({
    id: 'cri.sandbox.stop.unknown-id', name: 'StopPodSandbox of an unknown sandbox id answers OK or NOT_FOUND',
    async run(k) {
      await expectOkOr(k.runtime.stopPodSandbox({ podSandboxId: k.env.unknownId }), 'NOT_FOUND',
        'CRI StopPodSandbox of an id the runtime does not know: OK (nothing left to reclaim) or NOT_FOUND; any other error makes kubelet retry forever');
    },
  }),
  c({
    id: 'cri.sandbox.stop.stops-containers', name: 'StopPodSandbox stops the sandbox\'s running containers',
    async run(k) {
      const pod = await k.sandbox();
      const ctr = await k.sleeper(pod);
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), STOP_RULE);
      await k.waitExited(ctr, 10_000, 'CRI StopPodSandbox: if there are any running containers in the sandbox, they MUST be forcibly terminated');
    },
  }),
  c({
    id: 'cri.sandbox.remove.gone', name: 'After StopPodSandbox and RemovePodSandbox the sandbox is unknown and not listed',
    async run(k) {
      const pod = await k.sandbox();
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), STOP_RULE);
      await expectOk(k.runtime.removePodSandbox({ podSandboxId: pod.id }), REMOVE_RULE);
      await expectCode(k.runtime.podSandboxStatus({ podSandboxId: pod.id }), 'NOT_FOUND', `${REMOVE_RULE}: PodSandboxStatus then fails with NOT_FOUND`);
      const left = await listed(k, { labelSelector: k.mine });
      expectEqual(left, [], REMOVE_RULE, 'sandboxes of this case still listed');
    },
  }),
  c({
    id: 'cri.sandbox.remove.idempotent', name: 'RemovePodSandbox twice answers OK both times',
    async run(k) {
      const pod = await k.sandbox();
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), STOP_RULE);
      await expectOk(k.runtime.removePodSandbox({ podSandboxId: pod.id }), REMOVE_RULE);
      await expectOk(k.runtime.removePodSandbox({ podSandboxId: pod.id }), REMOVE_IDEMPOTENT);
    },
  }),
  c({
    id: 'cri.sandbox.remove.unknown-id', name: 'RemovePodSandbox of an unknown sandbox id answers OK',
    async run(k) {
      await expectOk(k.runtime.removePodSandbox({ podSandboxId: k.env.unknownId }), REMOVE_IDEMPOTENT);
    },
  }),
  c({
    id: 'cri.sandbox.remove.removes-containers', name: 'RemovePodSandbox removes the sandbox\'s containers too',
    async run(k) {
      const pod = await k.sandbox();
      const a = await k.sleeper(pod, 'a');
      const b = await k.create(pod, 'b', ['true']);
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: pod.id }), STOP_RULE);
      await expectOk(k.runtime.removePodSandbox({ podSandboxId: pod.id }), REMOVE_RULE);
      const rule = 'CRI RemovePodSandbox: if there are any containers in the sandbox, they MUST be forcibly removed';
      for (const id of [a, b]) await expectCode(k.runtime.containerStatus({ containerId: id }), 'NOT_FOUND', rule, `ContainerStatus of container ${short(id)} of the removed sandbox`);
      const res = await expectOk(k.runtime.listContainers({ filter: { labelSelector: k.mine } }), RULES.listOk('ListContainers'));
      expectEqual(res.containers.map((x) => x.id), [], rule, 'containers of this case still listed', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.sandbox.remove.ready', name: 'RemovePodSandbox of a sandbox that was never stopped removes it', tags: ['Optional'],
    async run(k) {
      const pod = await k.sandbox();
      await k.sleeper(pod);
      const p = k.runtime.removePodSandbox({ podSandboxId: pod.id });
      try { await p; } catch (e) {
        k.ctx.notApplicable(`the runtime wants StopPodSandbox before RemovePodSandbox (${(e as Error).message}); kubelet always stops first`);
      }
      await expectCode(k.runtime.podSandboxStatus({ podSandboxId: pod.id }), 'NOT_FOUND', `${REMOVE_RULE}: a RemovePodSandbox that answered OK removed the sandbox`);
    },
  }),
  c({
    id: 'cri.sandbox.run.same-name', name: 'RunPodSandbox with the metadata of an existing sandbox fails',
    async run(k) {
      const pod = await k.sandbox();
      await expectRefused(k.runtime.runPodSandbox({ config: pod.config }),
        'CRI RunPodSandbox: the name built from metadata (name, namespace, uid, attempt) is reserved while the sandbox exists; a second sandbox with it MUST be refused',
        'RunPodSandbox with the metadata of an existing sandbox', (res) => k.trackSandbox(res.podSandboxId, pod.config));
    },
  }),
  c({
    id: 'cri.sandbox.run.next-attempt', name: 'A sandbox with the same name and the next attempt number can run while the stopped one exists',
    async run(k) {
      const first = await k.sandbox();
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: first.id }), STOP_RULE);
      const md = first.config.metadata!;
      const second = await k.sandbox({ ...first.config, metadata: { ...md, attempt: 1 } },
        'CRI RunPodSandbox: kubelet recreates a pod\'s sandbox with attempt+1 while the old one is still there; that MUST work');
      expectTrue(second.id !== first.id, 'the new attempt got the old sandbox id', 'CRI RunPodSandbox answers the id of a new sandbox', { call: k.ctx.lastCall });
      const { status, call } = await sandboxState(k, second.id);
      expectEqual(status.metadata?.attempt, 1, 'CRI PodSandboxStatus.metadata.attempt is the attempt given', 'status.metadata.attempt', call);
    },
  }),
  c({
    id: 'cri.sandbox.run.unknown-runtime-handler', name: 'RunPodSandbox with a runtime handler the runtime does not have fails',
    async run(k) {
      const config = k.podConfig();
      await expectRefused(k.runtime.runPodSandbox({ config, runtimeHandler: `triad-no-such-handler-${k.env.runId}` }),
        'CRI RunPodSandboxRequest.runtime_handler names a configured handler (RuntimeClass); an unknown one MUST be refused, not silently replaced',
        'RunPodSandbox with an unknown runtime_handler', (res) => k.trackSandbox(res.podSandboxId, config));
    },
  }),
  c({
    id: 'cri.sandbox.run.missing-metadata', name: 'RunPodSandbox without metadata fails',
    async run(k) {
      const config = k.podConfig();
      await expectRefused(k.runtime.runPodSandbox({ config: { ...config, metadata: undefined } }), 'CRI PodSandboxConfig.metadata is required: it names the sandbox',
        'RunPodSandbox without metadata', (res) => k.trackSandbox(res.podSandboxId, config));
    },
  }),
  c({
    id: 'cri.sandbox.list.label-selector', name: 'ListPodSandbox label_selector matches all the given labels (AND)',
    async run(k) {
      const a = await k.sandbox({ labels: { 'triad.dev/tier': 'front', 'triad.dev/zone': 'a' } });
      const b = await k.sandbox({ labels: { 'triad.dev/tier': 'front', 'triad.dev/zone': 'b' } });
      const rule = 'CRI PodSandboxFilter.label_selector: the sandbox\'s labels MUST match every key/value of the selector (AND)';
      expectEqual(await listed(k, { labelSelector: k.mine }), ids(a, b), rule, 'sandboxes with the case labels');
      expectEqual(await listed(k, { labelSelector: { ...k.mine, 'triad.dev/tier': 'front' } }), ids(a, b), rule, 'sandboxes with tier=front');
      expectEqual(await listed(k, { labelSelector: { ...k.mine, 'triad.dev/zone': 'b' } }), ids(b), rule, 'sandboxes with zone=b');
      expectEqual(await listed(k, { labelSelector: { ...k.mine, 'triad.dev/tier': 'front', 'triad.dev/zone': 'a' } }), ids(a), rule, 'sandboxes with tier=front AND zone=a');
      expectEqual(await listed(k, { labelSelector: { ...k.mine, 'triad.dev/zone': 'c' } }), [], rule, 'sandboxes with zone=c');
    },
  }),
  c({
    id: 'cri.sandbox.list.by-id', name: 'ListPodSandbox filter.id lists that sandbox only; an unknown id lists nothing',
    async run(k) {
      const a = await k.sandbox();
      await k.sandbox();
      const rule = 'CRI PodSandboxFilter.id: only the sandbox with that id';
      expectEqual(await listed(k, { id: a.id }), [a.id], rule, 'sandboxes listed for filter.id');
      expectEqual(await listed(k, { id: k.env.unknownId }), [], rule, 'sandboxes listed for an unknown filter.id');
    },
  }),
  c({
    id: 'cri.sandbox.list.by-state', name: 'ListPodSandbox filter.state separates ready and not-ready sandboxes',
    async run(k) {
      const ready = await k.sandbox();
      const stopped = await k.sandbox();
      await expectOk(k.runtime.stopPodSandbox({ podSandboxId: stopped.id }), STOP_RULE);
      const rule = 'CRI PodSandboxFilter.state: only sandboxes in that state';
      expectEqual(await listed(k, { labelSelector: k.mine, state: { state: PodSandboxState.SANDBOX_READY } }), [ready.id], rule, 'SANDBOX_READY sandboxes of this case');
      expectEqual(await listed(k, { labelSelector: k.mine, state: { state: PodSandboxState.SANDBOX_NOTREADY } }), [stopped.id], rule, 'SANDBOX_NOTREADY sandboxes of this case');
      expectEqual(await listed(k, { labelSelector: k.mine, id: stopped.id, state: { state: PodSandboxState.SANDBOX_READY } }), [], rule, 'filter.id of the stopped sandbox AND state READY');
    },
  }),
  c({
    id: 'cri.sandbox.stream', name: 'StreamPodSandboxes streams the sandboxes ListPodSandbox lists for the same filter', needs: [rpcCap('StreamPodSandboxes')],
    async run(k) {
      const a = await k.sandbox({ labels: { 'triad.dev/streamed': 'yes' } });
      const b = await k.sandbox({ labels: { 'triad.dev/streamed': 'yes' } });
      await k.sandbox({ labels: { 'triad.dev/streamed': 'no' } });
      const filter = { labelSelector: { ...k.mine, 'triad.dev/streamed': 'yes' } };
      const msgs = await expectOk(k.collect('RuntimeService/StreamPodSandboxes', { filter }, (req, o) => k.env.client.runtime.streamPodSandboxes(req as never, o)),
        'CRI StreamPodSandboxes MUST stream the sandboxes matching the filter, then end');
      const got = flat(msgs, 'podSandboxes').map((x) => x.id).sort();
      expectEqual(got, ids(a, b), 'CRI StreamPodSandboxes: the same sandboxes as ListPodSandbox with the same filter, each once', 'streamed sandbox ids', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.sandbox.update-resources', name: 'UpdatePodSandboxResources of a ready sandbox answers OK', needs: [rpcCap('UpdatePodSandboxResources')],
    async run(k) {
      const pod = await k.sandbox();
      await expectOk(k.runtime.updatePodSandboxResources({ podSandboxId: pod.id, resources: { cpuShares: 512n, cpuPeriod: 100_000n, cpuQuota: 50_000n, memoryLimitInBytes: 256n * 1024n * 1024n } }),
        'CRI UpdatePodSandboxResources (best-effort notice of new pod-level resources) MUST answer OK for a ready sandbox');
      const { status, call } = await sandboxState(k, pod.id);
      expectEqual(PodSandboxState[status.state], 'SANDBOX_READY', 'CRI UpdatePodSandboxResources does not disturb the sandbox', 'status.state', call);
    },
  }),
  c({
    id: 'cri.sandbox.status.containers-state', name: 'A sandbox\'s containers keep their own states (running and exited side by side)',
    async run(k) {
      const pod = await k.sandbox();
      const running = await k.sleeper(pod, 'running');
      const done = await k.run(pod, 'done', ['true']);
      await k.waitExited(done);
      const st = await k.status(running);
      expectEqual(ContainerState[st.state], 'CONTAINER_RUNNING', 'CRI: one container exiting does not change the state of another container of the sandbox', 'state of the sleeping container', k.ctx.lastCall);
      const { status, call } = await sandboxState(k, pod.id);
      expectEqual(PodSandboxState[status.state], 'SANDBOX_READY', 'CRI: a sandbox stays SANDBOX_READY when one of its containers exits', 'sandbox state', call);
    },
  }),
];
