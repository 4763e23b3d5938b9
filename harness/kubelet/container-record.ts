// What the kubelet knows about one container of a pod's spec, and every way that knowledge
// changes: the pod worker, the PLEG, teardown and recovery all move a record through these
// functions, so which fields a transition sets or clears is decided here once.
import type { Container, ContainerStateTerminated } from '../api/types.js';

export type ContainerKind = 'init' | 'sidecar' | 'app';

export interface ContainerRecord {
  name: string;
  kind: ContainerKind;
  spec: Container;
  id?: string;
  /** Ids of earlier attempts still on the runtime (the previous one is kept for `logs --previous`). */
  oldIds: string[];
  restartCount: number;
  state: 'none' | 'created' | 'running' | 'exited' | 'unknown';
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  message?: string;
  waiting?: { reason: string; message?: string };
  lastTerminated?: ContainerStateTerminated;
  image?: string;
  imageId?: string;
  ready: boolean;
  /** Startup probe passed (or none). */
  started: boolean;
  /** Set when the harness itself killed it (liveness), so the exit is expected. */
  killedFor?: string;
}

export function blankRecord(spec: Container, kind: ContainerKind): ContainerRecord {
  return { name: spec.name, kind, spec, oldIds: [], restartCount: 0, state: 'none', ready: false, started: false };
}

/** Running and past its startup probe (or it has none). */
export function isStarted(c: ContainerRecord): boolean {
  return c.state === 'running' && c.started;
}

/** Why the container is not running (shown while it is not). */
export function setWaiting(c: ContainerRecord, reason: string, message?: string): void {
  c.waiting = message === undefined ? { reason } : { reason, message };
}

/** A new attempt replaces the current container: it becomes an old id, its end the last state. */
export function nextAttempt(c: ContainerRecord, attempt: number, lastTerminated: ContainerStateTerminated | undefined): void {
  if (!c.id) return;
  if (c.state === 'exited' || c.state === 'created') c.lastTerminated = lastTerminated;
  c.oldIds.push(c.id);
  c.id = undefined;
  c.restartCount = attempt;
}

/** CreateContainer answered. */
export function markCreated(c: ContainerRecord, id: string, imageId: string): void {
  c.id = id;
  c.state = 'created';
  c.image = c.spec.image;
  c.imageId = imageId;
}

/** StartContainer answered: the previous attempt's end is forgotten, probes gate started/ready. */
export function markRunning(c: ContainerRecord, at: number): void {
  c.state = 'running';
  c.startedAt = at;
  c.waiting = undefined;
  c.exitCode = c.reason = c.message = c.finishedAt = undefined;
  c.killedFor = undefined;
  c.started = !c.spec.startupProbe;
  c.ready = !c.spec.readinessProbe && c.started;
}

/** CreateContainer or StartContainer failed; a created container that did not start counts as exited (128, StartError). */
export function markRunFailed(c: ContainerRecord, message: string, at: number): void {
  const created = !!c.id;
  setWaiting(c, created ? 'RunContainerError' : 'CreateContainerError', message);
  if (created) {
    c.state = 'exited';
    c.finishedAt = at;
    c.exitCode = 128;
    c.reason = 'StartError';
    c.message = message;
  }
  c.finishedAt ??= at;
}

/** The runtime reports the container in a non-exited state. */
export function markState(c: ContainerRecord, state: 'created' | 'running' | 'unknown'): void {
  c.state = state;
}

/** The runtime reports the container exited, with what its status says (missing fields keep or default). */
export function markExited(
  c: ContainerRecord,
  s: { exitCode?: number; reason?: string; message?: string; startedAt?: number; finishedAt?: number },
  at: number,
): void {
  c.state = 'exited';
  c.exitCode = s.exitCode ?? c.exitCode ?? 0;
  c.reason = s.reason || (c.exitCode === 0 ? 'Completed' : 'Error');
  c.message = s.message || undefined;
  c.finishedAt = s.finishedAt ?? at;
  if (s.startedAt) c.startedAt = s.startedAt;
  c.ready = false;
}

/** The runtime no longer lists it (removed behind the kubelet's back). False when that changes nothing. */
export function markVanished(c: ContainerRecord, at: number): boolean {
  if (c.state === 'exited') return false;
  c.state = 'exited';
  c.exitCode = c.exitCode ?? 137;
  c.reason = 'ContainerStatusUnknown';
  c.message = 'The container could not be located when the pod was terminated';
  c.finishedAt = at;
  return true;
}

/** The sandbox died: the container is gone with it and will be created afresh in the new one. */
export function markSandboxLost(c: ContainerRecord): void {
  if (c.id) {
    c.oldIds.push(c.id);
    c.id = undefined;
  }
  if (c.state === 'exited' || c.state === 'running') c.restartCount += 1;
  c.state = 'none';
  c.ready = false;
}

/** Teardown stopped it (or tried to: what is left is removed next). */
export function markStopped(c: ContainerRecord): void {
  c.state = 'exited';
  c.ready = false;
}

/** Teardown removed its containers; `left` are the ids whose removal failed (a later delete retries them). */
export function markRemoved(c: ContainerRecord, left: string[]): void {
  c.oldIds = left;
  c.id = undefined;
}

/** From a checkpoint after a harness restart. */
export function restoreRecord(c: ContainerRecord, cp: { id?: string; oldIds: string[]; restartCount: number }): void {
  c.id = cp.id;
  c.oldIds = cp.oldIds;
  c.restartCount = cp.restartCount;
}

/**
 * Adopted after a restart: the newest container of this name is current (created, past its probes
 * gate until the PLEG says more), older ones are old ids; none found: nothing is current.
 */
export function adoptRecord(c: ContainerRecord, latest: { id: string; attempt?: number } | undefined, older: string[]): void {
  if (!latest) {
    c.id = undefined;
    return;
  }
  c.id = latest.id;
  c.oldIds = older;
  c.restartCount = latest.attempt ?? c.restartCount;
  c.state = 'created';
  c.started = true;
  c.ready = !c.spec.readinessProbe;
}
