// `triad get pods`: the kubectl `get pods` table. READY, STATUS and RESTARTS are computed the way
// kubectl's printPod (pkg/printers/internalversion) computes them, sidecars included, and the
// table is aligned the way kubectl's tabwriter aligns it.
import type { Container, Pod } from '../api/types.js';
import { GET_TABWRITER, humanDuration, since, tabwrite, toMillis } from './format.js';

export interface PodTableOptions {
  /** -o wide: also NODE, NOMINATED NODE, READINESS GATES */
  wide?: boolean;
  /** "now" in ms since epoch for AGE and the RESTARTS suffix (default Date.now()) */
  now?: number;
  /** --no-headers */
  noHeaders?: boolean;
}

export interface PodRow {
  name: string;
  ready: string;
  status: string;
  restarts: string;
  age: string;
  ip: string;
  node: string;
  nominatedNode: string;
  readinessGates: string;
}

const NONE = '<none>';
/** The pod reason the node controller sets on pods of an unreachable node. */
const NODE_UNREACHABLE_REASON = 'NodeLost';

const isSidecar = (c: Container | undefined) => c?.restartPolicy === 'Always';

/** The cells of one pod's row, computed like kubectl's printPod. */
export function podRow(pod: Pod, now: number = Date.now()): PodRow {
  const status = pod.status;
  const phase = status?.phase ?? 'Pending';
  const initSpecs = pod.spec.initContainers ?? [];
  const initByName = new Map(initSpecs.map((c) => [c.name, c]));
  const conditions = status?.conditions ?? [];

  let restarts = 0;
  let sidecarRestarts = 0;
  let totalContainers = pod.spec.containers.length + initSpecs.filter(isSidecar).length;
  let readyContainers = 0;
  let lastRestart = 0; // ms; 0 = none
  let lastSidecarRestart = 0;

  let reason: string = phase;
  if (status?.reason) reason = status.reason;
  for (const c of conditions as { type: string; reason?: string }[]) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  let initializing = false;
  const initStatuses = status?.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    restarts += cs.restartCount;
    const finished = toMillis(cs.lastState?.terminated?.finishedAt);
    if (finished !== undefined && finished > lastRestart) lastRestart = finished;
    const sidecar = isSidecar(initByName.get(cs.name));
    if (sidecar) {
      sidecarRestarts += cs.restartCount;
      if (finished !== undefined && finished > lastSidecarRestart) lastSidecarRestart = finished;
    }
    const term = cs.state?.terminated;
    const wait = cs.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready) readyContainers++;
      continue;
    }
    if (term) {
      // initialization failed
      if (!term.reason) reason = term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
      else reason = `Init:${term.reason}`;
    } else if (wait?.reason && wait.reason !== 'PodInitializing') {
      reason = `Init:${wait.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  const initializedTrue = conditions.some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initializedTrue) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = status?.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += cs.restartCount;
      const finished = toMillis(cs.lastState?.terminated?.finishedAt);
      if (finished !== undefined && finished > lastRestart) lastRestart = finished;
      const term = cs.state?.terminated;
      const wait = cs.state?.waiting;
      if (wait?.reason) reason = wait.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // back to Running if at least one container still reports running
    if (reason === 'Completed' && hasRunning) {
      reason = conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp && status?.reason === NODE_UNREACHABLE_REASON) reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartsStr = String(restarts);
  if (restarts !== 0 && lastRestart !== 0) restartsStr = `${restarts} (${humanDuration(now - lastRestart)} ago)`;

  const ip = status?.podIPs?.[0]?.ip || status?.podIP || NONE;
  return {
    name: pod.metadata.name,
    ready: `${readyContainers}/${totalContainers}`,
    status: reason,
    restarts: restartsStr,
    age: since(pod.metadata.creationTimestamp, now),
    ip,
    node: pod.spec.nodeName || NONE,
    nominatedNode: NONE,
    readinessGates: NONE,
  };
}

/** Just the STATUS column for a pod. */
export function podStatusReason(pod: Pod, now?: number): string {
  return podRow(pod, now).status;
}

/**
 * The `get pods` table: NAME READY STATUS RESTARTS AGE IP, and with `wide` also NODE,
 * NOMINATED NODE and READINESS GATES. Empty string when there are no pods (kubectl then says
 * "No resources found" on stderr; that is the caller's business).
 */
export function podTable(pods: Pod[], opts: PodTableOptions = {}): string {
  if (pods.length === 0) return '';
  const now = opts.now ?? Date.now();
  const header = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP'];
  if (opts.wide) header.push('NODE', 'NOMINATED NODE', 'READINESS GATES');
  const lines: string[] = [];
  if (!opts.noHeaders) lines.push(header.join('\t'));
  for (const pod of pods) {
    const r = podRow(pod, now);
    const cells = [r.name, r.ready, r.status, r.restarts, r.age, r.ip];
    if (opts.wide) cells.push(r.node, r.nominatedNode, r.readinessGates);
    lines.push(cells.map((c) => c.replace(/[\t\n]/g, ' ')).join('\t'));
  }
  return tabwrite(lines.join('\n') + '\n', GET_TABWRITER);
}
