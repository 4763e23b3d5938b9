// Pod → PodSandboxConfig, as kubelet's kuberuntime_sandbox.go builds it: metadata, hostname,
// log directory, DNS, host port mappings, labels/annotations, namespaces, security context and
// the cgroup parent of the pod's QoS class.
import { readFileSync } from 'node:fs';
import { NamespaceMode, Protocol, type DNSConfig, type PodSandboxConfig, type PortMapping } from '../../interfaces/gen/cri/api.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import type { Pod } from '../api/types.js';
import * as L from './labels.js';
import { podQos } from './resources.js';

export interface SandboxOptions {
  logDirectory: string;
  attempt: number;
  instance: string;
  cgroupDriver: 'systemd' | 'cgroupfs';
  /** Parent of all pod cgroups; kubelet's default is "kubepods". Empty: leave it to the runtime. */
  cgroupRoot: string;
  /** Host resolv.conf, for dnsPolicy Default (and ClusterFirst without cluster DNS). */
  resolvConf?: string;
}

export function sandboxLabels(pod: Pod, instance: string): Record<string, string> {
  return {
    ...(pod.metadata.labels ?? {}),
    [L.POD_NAME]: pod.metadata.name,
    [L.POD_NAMESPACE]: pod.metadata.namespace!,
    [L.POD_UID]: pod.metadata.uid!,
    [L.MANAGED]: 'true',
    [L.INSTANCE]: instance,
  };
}

export function podSandboxConfig(pod: Pod, opts: SandboxOptions): DeepPartial<PodSandboxConfig> {
  const spec = pod.spec;
  const hostNetwork = !!spec.hostNetwork;
  const sc = spec.securityContext ?? {};
  const allContainers = [...(spec.initContainers ?? []), ...spec.containers];
  return {
    metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid, attempt: opts.attempt },
    hostname: hostNetwork ? '' : podHostname(pod),
    logDirectory: opts.logDirectory,
    dnsConfig: dnsConfig(pod, opts.resolvConf),
    portMappings: portMappings(pod),
    labels: sandboxLabels(pod, opts.instance),
    annotations: { ...(pod.metadata.annotations ?? {}) },
    linux: {
      cgroupParent: cgroupParent(pod, opts),
      securityContext: {
        namespaceOptions: { network: hostNetwork ? NamespaceMode.NODE : NamespaceMode.POD, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD },
        runAsUser: sc.runAsUser !== undefined ? { value: BigInt(sc.runAsUser) } : undefined,
        runAsGroup: sc.runAsGroup !== undefined ? { value: BigInt(sc.runAsGroup) } : undefined,
        supplementalGroups: [...(sc.supplementalGroups ?? []), ...(sc.fsGroup !== undefined ? [sc.fsGroup] : [])].map(BigInt),
        privileged: allContainers.some((c) => c.securityContext?.privileged),
      },
    },
  };
}

/** spec.hostname, else the pod name truncated to a 63-character DNS label (kubelet's rule). */
export function podHostname(pod: Pod): string {
  const h = pod.spec.hostname || pod.metadata.name;
  return h.length > 63 ? h.slice(0, 63).replace(/[-.]+$/, '') : h;
}

function portMappings(pod: Pod): DeepPartial<PortMapping>[] {
  const out: DeepPartial<PortMapping>[] = [];
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({
        protocol: Protocol[(p.protocol ?? 'TCP') as keyof typeof Protocol] as Protocol,
        containerPort: p.containerPort,
        hostPort: p.hostPort,
        hostIp: p.hostIP ?? '',
      });
    }
  }
  return out;
}

/** Parse nameserver/search/options out of a resolv.conf. */
export function parseResolvConf(text: string): DNSConfig {
  const out: DNSConfig = { servers: [], searches: [], options: [] };
  for (const line of text.split('\n')) {
    const [key, ...rest] = line
      .replace(/[#;].*/, '')
      .trim()
      .split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.servers.push(rest[0]);
    else if (key === 'search') out.searches = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

/**
 * dnsPolicy None: exactly dnsConfig. Default: the host's resolv.conf. ClusterFirst: a one-node
 * harness has no cluster DNS, so — like kubelet without --cluster-dns — it falls back to Default.
 * dnsConfig is merged on top for every policy, as the API defines.
 */
function dnsConfig(pod: Pod, resolvConf = '/etc/resolv.conf'): DeepPartial<DNSConfig> {
  const spec = pod.spec;
  let base: DNSConfig = { servers: [], searches: [], options: [] };
  if (spec.dnsPolicy !== 'None') {
    try {
      base = parseResolvConf(readFileSync(resolvConf, 'utf8'));
    } catch {
      /* no host resolv.conf: empty */
    }
    if (spec.hostNetwork && spec.dnsPolicy !== 'ClusterFirstWithHostNet') {
      /* host network keeps the host's view */
    }
  }
  const extra = spec.dnsConfig ?? {};
  const options = [...base.options];
  for (const o of extra.options ?? []) {
    const v = o.value !== undefined ? `${o.name}:${o.value}` : o.name;
    const i = options.findIndex((x) => x.split(':')[0] === o.name);
    if (i >= 0) options[i] = v;
    else options.push(v);
  }
  return {
    servers: [...new Set([...base.servers, ...(extra.nameservers ?? [])])].slice(0, 3),
    searches: [...new Set([...base.searches, ...(extra.searches ?? [])])].slice(0, 32),
    options,
  };
}

/** kubelet's pod cgroup: kubepods[/burstable|/besteffort]/pod<uid> (cgroupfs) or its systemd slice name. */
export function cgroupParent(pod: Pod, opts: Pick<SandboxOptions, 'cgroupDriver' | 'cgroupRoot'>): string {
  if (!opts.cgroupRoot) return '';
  const qos = podQos(pod);
  const uid = pod.metadata.uid!;
  if (opts.cgroupDriver === 'systemd') {
    const root = opts.cgroupRoot.replace(/\.slice$/, '');
    const parts = [root, ...(qos === 'Guaranteed' ? [] : [qos.toLowerCase()]), `pod${uid.replace(/-/g, '_')}`];
    return parts.map((_, i) => parts.slice(0, i + 1).join('-')).pop()! + '.slice';
  }
  return ['', opts.cgroupRoot, ...(qos === 'Guaranteed' ? [] : [qos.toLowerCase()]), `pod${uid}`].join('/');
}
