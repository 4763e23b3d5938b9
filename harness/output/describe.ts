// `triad describe pod`: kubectl describe's layout (staging/src/k8s.io/kubectl/pkg/describe,
// describePod), written as tab-separated lines and aligned like kubectl's tabbedString does.
// What the harness has no notion of (priority, service account, controllers, readiness gates,
// ephemeral containers) is left out; node selectors and tolerations are always <none>.
import type { Container, ContainerState, ContainerStatus, PodEvent, Pod, Probe, Volume } from '../api/types.js';
import { DESCRIBE_TABWRITER, rfc1123z, since, tabwrite, toMillis } from './format.js';
import { podQOS } from './qos.js';

export interface DescribeOptions {
  /** "now" in ms since epoch for event ages and "Terminating (lasts …)" (default Date.now()) */
  now?: number;
  /** print timestamps in UTC instead of local time */
  utc?: boolean;
  /** the events' From column (default "triad-kubelet") */
  source?: string;
}

const NONE = '<none>';
const MAX_ANNOTATION_LEN = 140;
const SKIP_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

class Out {
  private readonly parts: string[] = [];
  /** like kubectl's PrefixWriter.Write: two spaces per level, then the text */
  w(level: number, text: string): void {
    this.parts.push('  '.repeat(level) + text);
  }
  toString(): string {
    return tabwrite(this.parts.join(''), DESCRIBE_TABWRITER);
  }
}

const printBool = (b: boolean | undefined) => (b ? 'True' : 'False');
const orNone = (s: string | undefined) => (s ? s : NONE);
const oneLine = (s: string) => s.replace(/\t/g, ' ');

function labelsMultiline(o: Out, title: string, labels: Record<string, string> | undefined): void {
  o.w(0, `${title}:\t`);
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return o.w(0, `${NONE}\n`);
  keys.forEach((k, i) => {
    if (i !== 0) o.w(0, '\t');
    o.w(0, `${k}=${oneLine(labels![k])}\n`);
  });
}

function annotationsMultiline(o: Out, title: string, annotations: Record<string, string> | undefined): void {
  o.w(0, `${title}:\t`);
  const keys = Object.keys(annotations ?? {})
    .filter((k) => !SKIP_ANNOTATIONS.has(k))
    .sort();
  if (keys.length === 0) return o.w(0, `${NONE}\n`);
  keys.forEach((key, i) => {
    if (i !== 0) o.w(0, '\t');
    const value = oneLine(annotations![key].replace(/\n$/, ''));
    if (value.length + key.length + 2 > MAX_ANNOTATION_LEN || value.includes('\n')) {
      o.w(0, `${key}:\n`);
      for (const s of value.split('\n')) {
        const short = s.length > MAX_ANNOTATION_LEN - 2 ? s.slice(0, MAX_ANNOTATION_LEN - 2) + '...' : s;
        o.w(0, `\t  ${short}\n`);
      }
    } else {
      o.w(0, `${key}: ${value}\n`);
    }
  });
}

/** Go's net.JoinHostPort */
const joinHostPort = (host: string, port: string) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** A probe as kubectl's DescribeProbe prints it, with the API server's defaults applied. */
export function describeProbe(p: Probe): string {
  const attrs =
    `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s ` +
    `#success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
  if (p.exec) return `exec [${p.exec.command.join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const g = p.httpGet;
    const scheme = (g.scheme ?? 'HTTP').toLowerCase();
    const port = String(g.port ?? '');
    const host = port ? joinHostPort(g.host ?? '', port) : (g.host ?? '');
    let path = g.path ?? '/';
    if (path && !path.startsWith('/') && host) path = '/' + path;
    return `http-get ${scheme}://${host}${encodeURI(path)} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${p.tcpSocket.port} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''} ${attrs}`;
  return `unknown ${attrs}`;
}

function describeState(o: Out, name: string, st: ContainerState | undefined, utc: boolean): void {
  if (st?.running) {
    o.w(2, `${name}:\tRunning\n`);
    o.w(3, `Started:\t${rfc1123z(st.running.startedAt, utc)}\n`);
  } else if (st?.waiting) {
    o.w(2, `${name}:\tWaiting\n`);
    if (st.waiting.reason) o.w(3, `Reason:\t${st.waiting.reason}\n`);
  } else if (st?.terminated) {
    const t = st.terminated;
    o.w(2, `${name}:\tTerminated\n`);
    if (t.reason) o.w(3, `Reason:\t${t.reason}\n`);
    if (t.message) o.w(3, `Message:\t${oneLine(t.message)}\n`);
    o.w(3, `Exit Code:\t${t.exitCode}\n`);
    if (t.signal && t.signal > 0) o.w(3, `Signal:\t${t.signal}\n`);
    o.w(3, `Started:\t${rfc1123z(t.startedAt, utc)}\n`);
    o.w(3, `Finished:\t${rfc1123z(t.finishedAt, utc)}\n`);
  } else {
    o.w(2, `${name}:\tWaiting\n`);
  }
}

function describeResources(o: Out, r: Container['resources'], level: number): void {
  for (const [title, list] of [
    ['Limits', r?.limits],
    ['Requests', r?.requests],
  ] as const) {
    const names = Object.keys(list ?? {}).sort();
    if (names.length > 0) o.w(level, `${title}:\n`);
    for (const n of names) o.w(level + 1, `${n}:\t${list![n]}\n`);
  }
}

function describeContainers(o: Out, label: string, containers: Container[], statuses: ContainerStatus[] | undefined, utc: boolean): void {
  const byName = new Map((statuses ?? []).map((s) => [s.name, s]));
  o.w(0, `${label}:${containers.length === 0 ? ` ${NONE}` : ''}\n`);
  for (const c of containers) {
    const st = byName.get(c.name);
    o.w(1, `${c.name}:\n`);
    if (st) o.w(2, `Container ID:\t${st.containerID ?? ''}\n`);
    o.w(2, `Image:\t${c.image}\n`);
    if (st) o.w(2, `Image ID:\t${st.imageID ?? ''}\n`);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`).join(', ');
    o.w(2, ports.includes(',') ? `Ports:\t${ports}\n` : `Port:\t${orNone(ports)}\n`);
    const hostPorts = (c.ports ?? []).map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`).join(', ');
    o.w(2, hostPorts.includes(',') ? `Host Ports:\t${hostPorts}\n` : `Host Port:\t${orNone(hostPorts)}\n`);
    for (const [title, list] of [
      ['Command', c.command],
      ['Args', c.args],
    ] as const) {
      if (!list || list.length === 0) continue;
      o.w(2, `${title}:\n`);
      for (const item of list) for (const s of item.split('\n')) o.w(3, `${oneLine(s)}\n`);
    }
    if (st) {
      describeState(o, 'State', st.state, utc);
      if (st.lastState?.terminated) describeState(o, 'Last State', st.lastState, utc);
      o.w(2, `Ready:\t${printBool(st.ready)}\n`);
      o.w(2, `Restart Count:\t${st.restartCount ?? 0}\n`);
    }
    describeResources(o, c.resources, 2);
    if (c.livenessProbe) o.w(2, `Liveness:\t${describeProbe(c.livenessProbe)}\n`);
    if (c.readinessProbe) o.w(2, `Readiness:\t${describeProbe(c.readinessProbe)}\n`);
    if (c.startupProbe) o.w(2, `Startup:\t${describeProbe(c.startupProbe)}\n`);
    const env = c.env ?? [];
    o.w(2, `Environment:${env.length === 0 ? `\t${NONE}` : ''}\n`);
    for (const e of env) {
      (e.value ?? '').split('\n').forEach((s, i) => o.w(3, i === 0 ? `${e.name}:\t${oneLine(s)}\n` : `\t${oneLine(s)}\n`));
    }
    const mounts = [...(c.volumeMounts ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0));
    o.w(2, `Mounts:${mounts.length === 0 ? `\t${NONE}` : ''}\n`);
    for (const m of mounts) {
      const flags = [m.readOnly ? 'ro' : 'rw'];
      if (m.subPath) flags.push(`path=${JSON.stringify(m.subPath)}`);
      o.w(3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
    }
  }
}

function describeVolumes(o: Out, volumes: Volume[] | undefined): void {
  if (!volumes || volumes.length === 0) return o.w(0, `Volumes:\t${NONE}\n`);
  o.w(0, 'Volumes:\n');
  for (const v of volumes) {
    o.w(1, `${v.name}:\n`);
    if (v.hostPath) {
      o.w(2, 'Type:\tHostPath (bare host directory volume)\n' + `    Path:\t${v.hostPath.path}\n` + `    HostPathType:\t${v.hostPath.type ?? ''}\n`);
    } else if (v.emptyDir) {
      o.w(
        2,
        "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n" +
          `    Medium:\t${v.emptyDir.medium ?? ''}\n` +
          `    SizeLimit:\t${v.emptyDir.sizeLimit || '<unset>'}\n`,
      );
    } else if (v.persistentVolumeClaim) {
      o.w(
        2,
        'Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n' +
          `    ClaimName:\t${v.persistentVolumeClaim.claimName}\n` +
          `    ReadOnly:\t${v.persistentVolumeClaim.readOnly === true}\n`,
      );
    } else if (v.csi) {
      o.w(
        2,
        'Type:\tCSI (a Container Storage Interface (CSI) volume source)\n' +
          `    Driver:\t${v.csi.driver}\n` +
          `    FSType:\t${v.csi.fsType ?? ''}\n` +
          `    ReadOnly:\t${v.csi.readOnly === true}\n`,
      );
      // kubectl writes the continuation lines of VolumeAttributes with the level prefix repeated.
      const attrs = v.csi.volumeAttributes ?? {};
      o.w(2, 'VolumeAttributes:\t');
      const keys = Object.keys(attrs).sort();
      if (keys.length === 0) o.w(0, `${NONE}\n`);
      keys.forEach((k, i) => {
        if (i !== 0) {
          o.w(2, '');
          o.w(2, '\t');
        }
        const line = oneLine(`${k}=${attrs[k]}`);
        o.w(2, line.length > MAX_ANNOTATION_LEN ? `${line.slice(0, MAX_ANNOTATION_LEN)}...\n` : `${line}\n`);
      });
    } else {
      o.w(1, '<unknown>\n');
    }
  }
}

export interface AggregatedEvent {
  type: PodEvent['type'];
  reason: string;
  message: string;
  object?: string;
  count: number;
  first: number;
  last: number;
}

/**
 * Identical events folded into one with a count, as the kubelet's event recorder folds them
 * (same type, reason, message and involved object), ordered by when each was last seen.
 */
export function aggregateEvents(events: PodEvent[]): AggregatedEvent[] {
  const byKey = new Map<string, AggregatedEvent>();
  for (const e of events) {
    const key = JSON.stringify([e.type, e.reason, e.message, e.object ?? '']);
    const a = byKey.get(key);
    if (a) {
      a.count++;
      a.first = Math.min(a.first, e.time);
      a.last = Math.max(a.last, e.time);
    } else {
      byKey.set(key, { type: e.type, reason: e.reason, message: e.message, object: e.object, count: 1, first: e.time, last: e.time });
    }
  }
  return [...byKey.values()].sort((a, b) => a.last - b.last);
}

function describeEvents(o: Out, events: PodEvent[], now: number, source: string): void {
  if (events.length === 0) return o.w(0, `Events:\t${NONE}\n`);
  o.w(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  o.w(1, '----\t------\t----\t----\t-------\n');
  for (const e of aggregateEvents(events)) {
    const age = e.count > 1 ? `${since(e.last, now)} (x${e.count} over ${since(e.first, now)})` : since(e.first, now);
    o.w(1, `${e.type}\t${oneLine(e.reason)}\t${age}\t${source}\t${oneLine(e.message.trim()).replace(/\n/g, ' ')}\n`);
  }
}

/** `kubectl describe pod` for one pod and its events. */
export function describePod(pod: Pod, events: PodEvent[] = [], opts: DescribeOptions = {}): string {
  const now = opts.now ?? Date.now();
  const utc = opts.utc ?? false;
  const st = pod.status;
  const phase = st?.phase ?? 'Pending';
  const o = new Out();
  o.w(0, `Name:\t${pod.metadata.name}\n`);
  o.w(0, `Namespace:\t${pod.metadata.namespace ?? 'default'}\n`);
  o.w(0, pod.spec.nodeName ? `Node:\t${pod.spec.nodeName}/${st?.hostIP ?? ''}\n` : `Node:\t${NONE}\n`);
  if (st?.startTime) o.w(0, `Start Time:\t${rfc1123z(st.startTime, utc)}\n`);
  labelsMultiline(o, 'Labels', pod.metadata.labels);
  annotationsMultiline(o, 'Annotations', pod.metadata.annotations);
  if (pod.metadata.deletionTimestamp && phase !== 'Failed' && phase !== 'Succeeded') {
    o.w(0, `Status:\tTerminating (lasts ${since(toMillis(pod.metadata.deletionTimestamp), now)})\n`);
    o.w(0, `Termination Grace Period:\t${pod.spec.terminationGracePeriodSeconds ?? 30}s\n`);
  } else {
    o.w(0, `Status:\t${phase}\n`);
  }
  if (st?.reason) o.w(0, `Reason:\t${oneLine(st.reason)}\n`);
  if (st?.message) o.w(0, `Message:\t${oneLine(st.message)}\n`);
  o.w(0, `IP:\t${st?.podIP ?? ''}\n`);
  const ips = st?.podIPs ?? [];
  if (ips.length === 0) o.w(0, `IPs:\t${NONE}\n`);
  else {
    o.w(0, 'IPs:\n');
    for (const ip of ips) o.w(1, `IP:\t${ip.ip}\n`);
  }
  const init = pod.spec.initContainers ?? [];
  if (init.length > 0) describeContainers(o, 'Init Containers', init, st?.initContainerStatuses, utc);
  describeContainers(o, 'Containers', pod.spec.containers, st?.containerStatuses, utc);
  const conditions = st?.conditions ?? [];
  if (conditions.length > 0) {
    o.w(0, 'Conditions:\n  Type\tStatus\n');
    for (const c of conditions) o.w(1, `${c.type} \t${c.status} \n`);
  }
  describeVolumes(o, pod.spec.volumes);
  o.w(0, `QoS Class:\t${podQOS(pod)}\n`);
  o.w(0, `Node-Selectors:\t${NONE}\n`);
  o.w(0, `Tolerations:\t${NONE}\n`);
  describeEvents(o, events, now, opts.source ?? 'triad-kubelet');
  return o.toString();
}
