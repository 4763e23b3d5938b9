// CRI: what each RPC owes (by rule id in conformance/rules/cri.yaml), the lifecycle sequences the
// generator builds (PullImage → RunPodSandbox → CreateContainer → Start → use → Stop → Remove →
// StopPodSandbox → RemovePodSandbox → RemoveImage, bent as for CSI), a small model of each
// container's state to check status answers against, and cleanup.
import { ContainerState, ImageServiceDefinition, NamespaceMode, PodSandboxState, RuntimeServiceDefinition } from '../interfaces/gen/cri/api.js';
import { bend } from './csi.js';
import { GrpcTarget } from './grpc-target.js';
import type { RpcSpec, Session } from './grpc.js';
import type { Rng } from './rng.js';
import type { Json, Step } from './types.js';

/** The image the sequences run (memory-cri's catalogue has it; a real runtime pulls it). */
export const CRI_FUZZ_IMAGE = 'docker.io/library/busybox:1.36';

const SLEEP = ['sh', '-c', 'sleep 3600'];
const MEMORY_LIMIT = '268435456';
const notFound = (field: string, kind: string, ok = [5], rule = 'cri.unknown-id.not-found') => ({ field, kind, unknown: { ok, rule } });
/** Model state of a container: what ContainerStatus must say next. */
const STATE = { created: ContainerState.CONTAINER_CREATED, running: ContainerState.CONTAINER_RUNNING, exited: ContainerState.CONTAINER_EXITED } as const;

async function containerStillThere(s: Session, id: string): Promise<string | undefined> {
  const st = await s.call('RuntimeService/ContainerStatus', { containerId: id });
  if (!st.err) return `ContainerStatus still answers container ${id} after RemoveContainer answered OK`;
  const l = await s.call('RuntimeService/ListContainers', { filter: { id } });
  return !l.err && l.res.containers.some((c: any) => c.id === id) ? `ListContainers still lists container ${id} after RemoveContainer answered OK` : undefined;
}

async function sandboxStillThere(s: Session, id: string): Promise<string | undefined> {
  const st = await s.call('RuntimeService/PodSandboxStatus', { podSandboxId: id });
  if (!st.err) return `PodSandboxStatus still answers sandbox ${id} after RemovePodSandbox answered OK`;
  const l = await s.call('RuntimeService/ListContainers', { filter: { podSandboxId: id } });
  if (!l.err && l.res.containers.length)
    return `ListContainers still lists ${l.res.containers.length} container(s) of sandbox ${id} after RemovePodSandbox answered OK`;
  return undefined;
}

async function imageStillThere(s: Session, ref: string): Promise<string | undefined> {
  const st = await s.call('ImageService/ImageStatus', { image: { image: ref } });
  return !st.err && st.res.image ? `ImageStatus still answers image ${ref} (${st.res.image.id}) after RemoveImage answered OK` : undefined;
}

/** Does a container's labels carry every pair of the selector? */
const selects = (labels: Record<string, string>, sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);

export const CRI_SPECS: Record<string, RpcSpec> = {
  'RuntimeService/Version': {
    answers: [
      { path: 'runtimeName', rule: 'cri.version.answers' },
      { path: 'runtimeVersion', rule: 'cri.version.answers' },
      { path: 'runtimeApiVersion', rule: 'cri.version.answers' },
    ],
  },
  'RuntimeService/Status': { answers: [{ path: 'status', rule: 'cri.status.answers' }] },
  'ImageService/PullImage': {
    creates: { kind: 'image', id: (_res, req) => req.image?.image },
    answers: [{ path: 'imageRef', rule: 'cri.pull-image.pulls' }],
    checks: [
      {
        rule: 'cri.image-id.consistent',
        async fn(s, req, res) {
          const st = await s.call('ImageService/ImageStatus', { image: { image: req.image.image } });
          if (st.err || !st.res.image) return `ImageStatus of ${req.image.image} right after PullImage answered OK has no image`;
          return st.res.image.id !== res.imageRef
            ? `PullImage answered image_ref ${res.imageRef}, ImageStatus says the image id is ${st.res.image.id}`
            : undefined;
        },
      },
    ],
  },
  'ImageService/ImageStatus': {},
  'ImageService/ListImages': {},
  'ImageService/ImageFsInfo': {},
  'ImageService/RemoveImage': {
    target: { field: 'image.image', kind: 'image', unknown: { ok: [0], rule: 'cri.remove-image.idempotent' } },
    idempotent: 'cri.remove-image.idempotent',
    deletes: { rule: 'cri.remove-image.removes', stillThere: imageStillThere },
  },
  'RuntimeService/RunPodSandbox': {
    creates: { kind: 'sandbox', id: (r) => r.podSandboxId },
    required: [{ field: 'config.metadata', rule: 'cri.run-pod-sandbox.metadata-required' }],
    answers: [{ path: 'podSandboxId', rule: 'cri.run-pod-sandbox.answers-id' }],
  },
  'RuntimeService/PodSandboxStatus': {
    target: notFound('podSandboxId', 'sandbox'),
    answers: [{ path: 'status.id', rule: 'cri.pod-sandbox-status.answers' }],
    checks: [
      {
        rule: 'cri.pod-sandbox-status.network-ip',
        fn(_s, _req, res) {
          const st = res.status;
          const hostNet = st?.linux?.namespaces?.options?.network === NamespaceMode.NODE;
          return st && st.state === PodSandboxState.SANDBOX_READY && !hostNet && !st.network?.ip
            ? `sandbox ${st.id} is ready on the pod network but reports no IP`
            : undefined;
        },
      },
    ],
  },
  'RuntimeService/ListPodSandbox': {},
  'RuntimeService/StopPodSandbox': {
    target: notFound('podSandboxId', 'sandbox', [0, 5], 'cri.stop-pod-sandbox.unknown-id'),
    idempotent: 'cri.stop-pod-sandbox.idempotent',
    undo: 'cri.stop-pod-sandbox.idempotent',
  },
  'RuntimeService/RemovePodSandbox': {
    target: notFound('podSandboxId', 'sandbox', [0], 'cri.remove-pod-sandbox.idempotent'),
    idempotent: 'cri.remove-pod-sandbox.idempotent',
    // Stopped first or not, a removal succeeds: running containers are terminated with it.
    undo: 'cri.remove-pod-sandbox.removes-containers',
    deletes: { rule: 'cri.remove-pod-sandbox.removes', stillThere: sandboxStillThere },
  },
  'RuntimeService/CreateContainer': {
    creates: { kind: 'container', id: (r) => r.containerId },
    target: notFound('podSandboxId', 'sandbox'),
    answers: [{ path: 'containerId', rule: 'cri.create-container.answers-id' }],
    // Only the sleeper has a known future: a bent command may exit on its own.
    after: (s, req, res) => {
      if (JSON.stringify(req.config?.command) === JSON.stringify(SLEEP) && !req.config?.args?.length) s.state.set(res.containerId, 'created');
    },
  },
  'RuntimeService/StartContainer': {
    target: notFound('containerId', 'container'),
    after: (s, req) => {
      if (s.state.get(req.containerId) === 'created') s.state.set(req.containerId, 'running');
    },
  },
  'RuntimeService/StopContainer': {
    target: notFound('containerId', 'container', [0, 5], 'cri.stop-container.unknown-id'),
    idempotent: 'cri.stop-container.idempotent',
    undo: 'cri.stop-container.idempotent',
    // A grace period is the caller's to give: waiting it out is not a hang.
    mayBlock: (req) => Number(req.timeout) > 0,
    after: (s, req) => {
      if (s.state.get(req.containerId) === 'running') s.state.set(req.containerId, Number(req.timeout) === 0 ? 'killed' : 'exited');
      else s.state.delete(req.containerId); // a created container stopped: the spec leaves its next state open
    },
  },
  'RuntimeService/RemoveContainer': {
    target: notFound('containerId', 'container', [0], 'cri.remove-container.idempotent'),
    idempotent: 'cri.remove-container.idempotent',
    undo: 'cri.remove-container.force-running',
    deletes: { rule: 'cri.remove-container.removes', stillThere: containerStillThere },
  },
  'RuntimeService/ContainerStatus': {
    target: notFound('containerId', 'container'),
    answers: [{ path: 'status.id', rule: 'cri.container-status.answers' }],
    checks: [
      {
        rule: 'cri.create-container.created',
        fn(s, req, res) {
          const want = s.state.get(req.containerId);
          const st = res.status;
          if (!st || !want) return undefined;
          const expected = want === 'killed' ? STATE.exited : STATE[want as keyof typeof STATE];
          return st.state !== expected
            ? `container ${req.containerId} is ${want} by the calls so far, ContainerStatus says ${ContainerState[st.state] ?? st.state}`
            : undefined;
        },
      },
      {
        rule: 'cri.container-status.signal-exit-code',
        fn(s, req, res) {
          const st = res.status;
          return s.state.get(req.containerId) === 'killed' && st?.state === STATE.exited && st.exitCode !== 137 && st.exitCode !== 143
            ? `container ${req.containerId} (a sleep) was stopped with timeout 0, ContainerStatus says exit code ${st.exitCode} where a killed process has 137`
            : undefined;
        },
      },
      {
        rule: 'cri.image-id.consistent',
        async fn(s, _req, res) {
          const st = res.status;
          if (!st?.imageId) return undefined;
          const img = await s.call('ImageService/ImageStatus', { image: { image: st.image?.image ?? CRI_FUZZ_IMAGE } });
          return !img.err && img.res.image && img.res.image.id !== st.imageId
            ? `ContainerStatus.image_id is ${st.imageId}, the image's id is ${img.res.image.id}`
            : undefined;
        },
      },
    ],
  },
  'RuntimeService/ListContainers': {
    checks: [
      {
        rule: 'cri.container-filter.label-selector',
        fn(_s, req, res) {
          const sel = req.filter?.labelSelector ?? {};
          const bad = res.containers.find((c: any) => !selects(c.labels ?? {}, sel));
          return bad
            ? `ListContainers with label selector ${JSON.stringify(sel)} answered container ${bad.id} whose labels ${JSON.stringify(bad.labels)} do not match`
            : undefined;
        },
      },
    ],
  },
  'RuntimeService/ExecSync': {
    target: notFound('containerId', 'container'),
    mayBlock: (req) => Number(req.timeout) !== 5,
    mustSucceed: {
      rule: 'cri.exec-sync.timeout-zero',
      when: (s, req) =>
        Number(req.timeout) === 0 && s.state.get(req.containerId) === 'running'
          ? `ExecSync with timeout 0 (none) in running container ${req.containerId}`
          : undefined,
    },
    checks: [
      {
        rule: 'cri.exec-sync.exit-code',
        fn(_s, req, res) {
          const m = /(?:^|; )exit (\d+)$/.exec(req.cmd?.[2] ?? '');
          return req.cmd?.[0] === 'sh' && m && res.exitCode !== Number(m[1])
            ? `ExecSync of sh -c '${req.cmd[2]}' (timeout ${req.timeout}) answered exit code ${res.exitCode}`
            : undefined;
        },
      },
    ],
  },
  'RuntimeService/ListMetricDescriptors': {
    checks: [
      {
        rule: 'cri.list-metric-descriptors.static',
        fn(s, _r, res) {
          // s.vars outlives the session: the first answer of the whole run is the reference.
          const now = JSON.stringify(res.descriptors);
          const before = s.vars['metric-descriptors'];
          if (before === undefined) {
            s.vars['metric-descriptors'] = now;
            return undefined;
          }
          return before !== now
            ? `ListMetricDescriptors answered other descriptors than earlier in this run (${JSON.parse(before).length} then, ${res.descriptors.length} now: ${now.slice(0, 200)})`
            : undefined;
        },
      },
    ],
  },
  'RuntimeService/UpdateContainerResources': {
    target: notFound('containerId', 'container'),
    // A bent memory limit may get the container OOM-killed: its state is no longer known.
    after: (s, req) => {
      if (String(req.linux?.memoryLimitInBytes) !== MEMORY_LIMIT) s.state.delete(req.containerId);
    },
  },
  'RuntimeService/ContainerStats': { target: notFound('containerId', 'container', [5], 'cri.container-stats.unknown-id-error') },
};

export interface CriFuzzOptions {
  endpoint: string;
  callTimeoutMs?: number;
}

/** Build the target (nothing to learn from the runtime first: the sequences name their image). */
export async function criTarget(o: CriFuzzOptions): Promise<GrpcTarget> {
  return new GrpcTarget({
    kind: 'cri',
    services: [RuntimeServiceDefinition, ImageServiceDefinition],
    specs: CRI_SPECS,
    endpoint: o.endpoint,
    callTimeoutMs: o.callTimeoutMs ?? 5000,
    vars: {},
    ping: { rpc: 'RuntimeService/Version', req: { version: 'v1' } },
    generate: (rng, run) => generateCri(rng, run),
    // The kubelet's part: the image is there before a sequence starts, whatever earlier ones
    // removed (so a minimized sequence replays on its own). Not judged.
    async prepare(_steps, s) {
      await s.call('ImageService/PullImage', { image: { image: CRI_FUZZ_IMAGE } }).catch(() => undefined);
    },
    async cleanup(s) {
      for (const [id, k] of s.created)
        if (k === 'container') {
          await s.call('RuntimeService/StopContainer', { containerId: id, timeout: 0 });
          await s.call('RuntimeService/RemoveContainer', { containerId: id });
        }
      for (const [id, k] of s.created)
        if (k === 'sandbox') {
          await s.call('RuntimeService/StopPodSandbox', { podSandboxId: id });
          await s.call('RuntimeService/RemovePodSandbox', { podSandboxId: id });
        }
    },
  });
}

/** One CRI sequence: a pod with one container through its life, some steps left out, bent or repeated. */
export function generateCri(rng: Rng, run: number): Step[] {
  const name = `fuzz-${run}-${rng.int(1e9).toString(36)}`;
  const labels = { 'triad.dev/fuzz': name };
  const sandbox: Json = { metadata: { name, uid: `uid-${name}`, namespace: 'fuzz', attempt: 0 }, hostname: name, labels, linux: {} };
  const container: Json = { metadata: { name: 'c', attempt: 0 }, image: { image: CRI_FUZZ_IMAGE }, command: SLEEP, labels };
  const code = 1 + rng.int(120);
  const lifecycle: Step[] = [
    { rpc: 'ImageService/PullImage', req: { image: { image: CRI_FUZZ_IMAGE } } },
    { rpc: 'RuntimeService/RunPodSandbox', req: { config: sandbox }, bind: 'p' },
    { rpc: 'RuntimeService/PodSandboxStatus', req: { podSandboxId: '$p' } },
    { rpc: 'RuntimeService/CreateContainer', req: { podSandboxId: '$p', config: container, sandboxConfig: sandbox }, bind: 'c' },
    { rpc: 'RuntimeService/ContainerStatus', req: { containerId: '$c' } },
    { rpc: 'RuntimeService/StartContainer', req: { containerId: '$c' } },
    { rpc: 'RuntimeService/ContainerStatus', req: { containerId: '$c' } },
    // Now and then without a timeout and slower than a second: timeout 0 means none.
    rng.chance(0.15)
      ? { rpc: 'RuntimeService/ExecSync', req: { containerId: '$c', cmd: ['sh', '-c', `sleep 1.2; exit ${code}`], timeout: 0 } }
      : { rpc: 'RuntimeService/ExecSync', req: { containerId: '$c', cmd: ['sh', '-c', `exit ${code}`], timeout: 5 } },
    {
      rpc: 'RuntimeService/ListContainers',
      req: { filter: { podSandboxId: '$p', labelSelector: rng.chance(0.5) ? labels : { 'triad.dev/fuzz': `${name}-other` } } },
    },
    { rpc: 'RuntimeService/UpdateContainerResources', req: { containerId: '$c', linux: { cpuShares: 512, memoryLimitInBytes: MEMORY_LIMIT } } },
    { rpc: 'RuntimeService/ContainerStats', req: { containerId: '$c' } },
    { rpc: 'RuntimeService/StopContainer', req: { containerId: '$c', timeout: 0 } },
    { rpc: 'RuntimeService/ContainerStatus', req: { containerId: '$c' } },
    { rpc: 'RuntimeService/RemoveContainer', req: { containerId: '$c' } },
    { rpc: 'RuntimeService/StopPodSandbox', req: { podSandboxId: '$p' } },
    { rpc: 'RuntimeService/RemovePodSandbox', req: { podSandboxId: '$p' } },
  ];
  const extras: Step[] = [
    { rpc: 'RuntimeService/Version', req: { version: 'v1' } },
    { rpc: 'RuntimeService/Status', req: {} },
    { rpc: 'ImageService/ImageStatus', req: { image: { image: CRI_FUZZ_IMAGE } } },
    { rpc: 'ImageService/ListImages', req: {} },
    { rpc: 'RuntimeService/ListPodSandbox', req: {} },
    { rpc: 'RuntimeService/ListMetricDescriptors', req: {} },
  ];
  const steps: Step[] = [];
  for (const [i, s] of lifecycle.entries()) if (i <= 1 || rng.chance(0.85)) steps.push(structuredClone(s));
  // Now and then the image goes at the end (the next sequence pulls it again).
  if (rng.chance(0.1)) steps.push({ rpc: 'ImageService/RemoveImage', req: { image: { image: CRI_FUZZ_IMAGE } } });
  return bend(steps, extras, rng, ['$p', '$c'], (rpc) => (CRI_SPECS[rpc]?.required ?? []).map((r) => r.field.split('.')[0]));
}
