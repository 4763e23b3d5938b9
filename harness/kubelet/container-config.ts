// Pod container → ContainerConfig, as kubelet's kuberuntime_container.go generates it: metadata
// with the attempt, image, command/args, env, working dir, mounts (with subPath), log path,
// labels/annotations, and the Linux resources and security context.
import type { ContainerConfig, Mount } from '../../interfaces/gen/cri/api.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import type { Container, Pod } from '../api/types.js';
import * as L from './labels.js';
import { containerResources } from './resources.js';

/** Default /proc and /sys paths a non-privileged container must not see or write (kubelet's defaults). */
export const DEFAULT_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface ContainerOptions {
  attempt: number;
  kind: 'init' | 'sidecar' | 'app';
  /** Host directory behind each pod volume, by volume name. */
  volumePaths: Map<string, { hostPath: string; readOnly: boolean }>;
  /** Image reference to run (the pulled image's ref). */
  imageRef: string;
  /** The image's configured user (ImageStatus uid or username). */
  imageUser?: { uid?: bigint; username?: string };
}

/** kubelet's log path: <container name>/<restart count>.log under the sandbox log directory. */
export const containerLogPath = (name: string, attempt: number) => `${name}/${attempt}.log`;

export function containerConfig(pod: Pod, c: Container, opts: ContainerOptions): DeepPartial<ContainerConfig> {
  const psc = pod.spec.securityContext ?? {};
  const sc = c.securityContext ?? {};
  // As kubelet does: with no runAsUser in the pod, the image's user is sent explicitly (its uid, or
  // its name when the image names one), so runAsGroup never reaches the runtime alone.
  const podUser = sc.runAsUser ?? psc.runAsUser;
  const runAsUser = podUser !== undefined ? BigInt(podUser) : opts.imageUser?.uid;
  const runAsUsername = podUser === undefined && runAsUser === undefined ? opts.imageUser?.username : undefined;
  const runAsGroup = sc.runAsGroup ?? psc.runAsGroup;
  const privileged = !!sc.privileged;
  return {
    metadata: { name: c.name, attempt: opts.attempt },
    image: { image: opts.imageRef, userSpecifiedImage: c.image },
    command: c.command ?? [],
    args: c.args ?? [],
    workingDir: c.workingDir ?? '',
    stdin: !!c.stdin,
    stdinOnce: !!c.stdinOnce,
    tty: !!c.tty,
    envs: (c.env ?? []).map((e) => ({ key: e.name, value: Buffer.from(e.value ?? '') })),
    mounts: mounts(c, opts),
    labels: {
      [L.POD_NAME]: pod.metadata.name,
      [L.POD_NAMESPACE]: pod.metadata.namespace!,
      [L.POD_UID]: pod.metadata.uid!,
      [L.CONTAINER_NAME]: c.name,
      [L.MANAGED]: 'true',
    },
    annotations: {
      [L.CONTAINER_RESTART_COUNT]: String(opts.attempt),
      [L.CONTAINER_KIND]: opts.kind,
    },
    logPath: containerLogPath(c.name, opts.attempt),
    linux: {
      resources: containerResources(pod, c),
      securityContext: {
        privileged,
        namespaceOptions: { network: pod.spec.hostNetwork ? 2 : 0, pid: 1, ipc: 0 },
        runAsUser: runAsUser !== undefined ? { value: runAsUser } : undefined,
        runAsUsername: runAsUsername ?? '',
        runAsGroup: runAsGroup !== undefined ? { value: BigInt(runAsGroup) } : undefined,
        supplementalGroups: [...(psc.supplementalGroups ?? []), ...(psc.fsGroup !== undefined ? [psc.fsGroup] : [])].map(BigInt),
        readonlyRootfs: !!sc.readOnlyRootFilesystem,
        noNewPrivs: sc.allowPrivilegeEscalation === false,
        capabilities: sc.capabilities ? { addCapabilities: sc.capabilities.add ?? [], dropCapabilities: sc.capabilities.drop ?? [] } : undefined,
        maskedPaths: privileged ? [] : DEFAULT_MASKED_PATHS,
        readonlyPaths: privileged ? [] : DEFAULT_READONLY_PATHS,
      },
    },
  };
}

function mounts(c: Container, opts: ContainerOptions): DeepPartial<Mount>[] {
  const out: DeepPartial<Mount>[] = [];
  for (const m of c.volumeMounts ?? []) {
    const v = opts.volumePaths.get(m.name);
    if (!v) throw new Error(`container ${c.name}: volumeMount ${m.name} has no prepared volume`);
    out.push({
      containerPath: m.mountPath,
      hostPath: m.subPath ? `${v.hostPath}/${m.subPath}` : v.hostPath,
      readonly: !!m.readOnly || v.readOnly,
      ...(m.bindMountOptions?.length ? { mountOptions: [...m.bindMountOptions] } : {}),
    });
  }
  return out;
}
