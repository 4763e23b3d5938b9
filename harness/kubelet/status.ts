// The v1 PodStatus of a pod worker, computed as kubelet's generateAPIPodStatus/getPhase do:
// phase from the app containers and the restart policy, the four pod conditions, and a
// container status per container with state, last state, readiness and restart count.
import type { ContainerStatus, Pod, PodCondition, PodPhase, PodStatus } from '../api/types.js';
import type { ContainerRecord, PodWorker } from './pod-worker.js';
import { podQos } from './resources.js';

const iso = (ms?: number) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function containerStatus(w: PodWorker, c: ContainerRecord, runtimeName: string): ContainerStatus {
  const id = c.id ? `${runtimeName}://${c.id}` : undefined;
  let state: ContainerStatus['state'];
  if (c.waiting && c.state !== 'running') state = { waiting: { reason: c.waiting.reason, message: c.waiting.message } };
  else if (c.state === 'running') state = { running: { startedAt: iso(c.startedAt) } };
  else if (c.state === 'exited') state = { terminated: { ...w.terminatedState(c), containerID: id } };
  else if (c.state === 'unknown') state = { waiting: { reason: 'ContainerStatusUnknown' } };
  else
    state = {
      waiting: { reason: c.kind === 'app' && !w.initialized && (w.pod.spec.initContainers?.length ?? 0) > 0 ? 'PodInitializing' : 'ContainerCreating' },
    };
  return {
    name: c.name,
    state,
    lastState: c.lastTerminated ? { terminated: c.lastTerminated } : {},
    ready: c.ready && c.state === 'running',
    restartCount: c.restartCount,
    image: c.spec.image,
    imageID: c.imageId ?? '',
    containerID: id,
    started: c.state === 'running' ? c.started : false,
  };
}

export function podPhase(w: PodWorker): PodPhase {
  if (w.terminal) return w.terminal;
  if (!w.initialized) return 'Pending';
  const apps = [...w.containers.values()].filter((c) => c.kind === 'app');
  const running = apps.filter((c) => c.state === 'running').length;
  const stopped = apps.filter((c) => c.state === 'exited');
  const waiting = apps.length - running - stopped.length;
  if (waiting > 0 && running === 0 && stopped.length === 0) return 'Pending';
  if (running > 0) return 'Running';
  if (waiting > 0) return 'Pending';
  // every app container has stopped
  const policy = w.restartPolicy;
  if (policy === 'Always') return 'Running';
  if (stopped.every((c) => c.exitCode === 0)) return 'Succeeded';
  return policy === 'OnFailure' ? 'Running' : 'Failed';
}

function cond(type: PodCondition['type'], ok: boolean, reason?: string, message?: string): PodCondition {
  return { type, status: ok ? 'True' : 'False', ...(ok ? {} : { reason, message }) };
}

/** nodeIP: the node's address (the pod's hostIP, and a hostNetwork pod's own IP). */
export function podStatus(w: PodWorker, runtimeName: string, nodeIP: string): PodStatus {
  const all = [...w.containers.values()];
  const inits = all.filter((c) => c.kind !== 'app');
  const apps = all.filter((c) => c.kind === 'app');
  const sidecars = inits.filter((c) => c.kind === 'sidecar');
  const terminal = w.terminal !== undefined;
  const notReady = [...apps, ...sidecars].filter((c) => !(c.ready && c.state === 'running')).map((c) => c.name);
  const initPending = inits.filter((c) => (c.kind === 'init' ? !(c.state === 'exited' && c.exitCode === 0) : !c.started)).map((c) => c.name);
  const initialized = w.initialized || initPending.length === 0;
  const containersReady = !terminal && notReady.length === 0;
  const phase = podPhase(w);
  return {
    phase,
    conditions: [
      cond('PodReadyToStartContainers', w.sandboxReady && !!w.sandboxId),
      cond('Initialized', initialized, 'ContainersNotInitialized', `containers with incomplete status: [${initPending.join(' ')}]`),
      cond(
        'Ready',
        containersReady,
        terminal ? 'PodCompleted' : 'ContainersNotReady',
        terminal ? undefined : `containers with unready status: [${notReady.join(' ')}]`,
      ),
      cond(
        'ContainersReady',
        containersReady,
        terminal ? 'PodCompleted' : 'ContainersNotReady',
        terminal ? undefined : `containers with unready status: [${notReady.join(' ')}]`,
      ),
      { type: 'PodScheduled', status: 'True' },
    ],
    message: w.message,
    reason: w.reason,
    hostIP: nodeIP,
    // a hostNetwork pod has the node's address (kubelet reports the node IP; no CNI was called)
    podIP: w.pod.spec.hostNetwork ? nodeIP : w.podIPs[0],
    podIPs: (w.pod.spec.hostNetwork ? [nodeIP] : w.podIPs).map((ip) => ({ ip })),
    startTime: iso(w.startTime),
    initContainerStatuses: inits.length ? inits.map((c) => containerStatus(w, c, runtimeName)) : undefined,
    containerStatuses: apps.map((c) => containerStatus(w, c, runtimeName)),
    qosClass: podQos(w.pod),
  };
}

/** The pod as `get -o json` shows it: spec plus computed status and deletion mark. */
export function podWithStatus(w: PodWorker, runtimeName: string, nodeIP: string): Pod {
  return {
    ...w.pod,
    metadata: { ...w.pod.metadata, ...(w.deletionTimestamp ? { deletionTimestamp: iso(w.deletionTimestamp) } : {}) },
    spec: { ...w.pod.spec, nodeName: w.pod.spec.nodeName },
    status: podStatus(w, runtimeName, nodeIP),
  };
}

/** A pod that needs no more waiting: finished (Never/OnFailure), or Running and Ready under restartPolicy Always. */
export const settled = (p: Pod) =>
  ['Succeeded', 'Failed'].includes(p.status?.phase ?? '') ||
  ((p.spec.restartPolicy ?? 'Always') === 'Always' &&
    p.status?.phase === 'Running' &&
    !!p.status.conditions.find((c) => c.type === 'Ready' && c.status === 'True'));
