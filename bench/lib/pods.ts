// The benchmark pod: one long-running busybox container, no volumes, no probes — the smallest pod
// that exercises the whole start path (sandbox + CNI, image check, create, start). Each plan holds
// the Pod manifest (what triad applies) and the CRI configs the harness would send for it (what
// the floor sends), all built before any timing starts.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Pod } from '../../harness/api/types.js';
import { containerConfig } from '../../harness/kubelet/container-config.js';
import { podSandboxConfig } from '../../harness/kubelet/sandbox-config.js';
import { parseManifests } from '../../harness/manifest/index.js';
import type { ContainerConfig, PodSandboxConfig } from '../../interfaces/gen/cri/api.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';

export const NAMESPACE = 'bench';

export interface PodPlan {
  name: string;
  uid: string;
  image: string;
  pod: Pod;
  sandboxConfig: DeepPartial<PodSandboxConfig>;
  containerConfig: DeepPartial<ContainerConfig>;
}

export interface PlanOptions {
  image: string;
  /** Where the floor's sandboxes put their logs (one directory per pod below it). */
  logRoot: string;
  /** Sandbox label value that tells the floor's sandboxes apart. */
  instance: string;
  cgroupRoot?: string;
  cgroupDriver?: 'systemd' | 'cgroupfs';
}

/** The pod manifest as `triad run` would see it after parsing and defaulting. */
export function templatePod(image: string): Pod {
  const [pod] = parseManifests(
    `
apiVersion: v1
kind: Pod
metadata: { name: bench-template, namespace: ${NAMESPACE} }
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: app
    image: ${image}
    imagePullPolicy: IfNotPresent
    command: [sleep, '3600']
`,
    '(bench)',
  ) as Pod[];
  return pod;
}

let seq = 0;

/** n pod plans named <prefix>-<seq> (unique across the process). */
export function makePlans(prefix: string, n: number, opts: PlanOptions): PodPlan[] {
  const tpl = templatePod(opts.image);
  const out: PodPlan[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${prefix}-${seq++}`;
    const uid = randomUUID();
    const pod: Pod = structuredClone(tpl);
    pod.metadata.name = name;
    pod.metadata.uid = uid;
    const sandboxConfig = podSandboxConfig(pod, {
      logDirectory: join(opts.logRoot, `${NAMESPACE}_${name}_${uid}`),
      attempt: 0,
      instance: opts.instance,
      cgroupDriver: opts.cgroupDriver ?? 'cgroupfs',
      cgroupRoot: opts.cgroupRoot ?? '',
      resolvConf: '/etc/resolv.conf',
    });
    const cc = containerConfig(pod, pod.spec.containers[0], { attempt: 0, kind: 'app', volumePaths: new Map(), imageRef: opts.image });
    out.push({ name, uid, image: opts.image, pod, sandboxConfig, containerConfig: cc });
  }
  return out;
}
