// The subset of the Kubernetes core/v1 API the harness kubelet reads and reports, with the
// upstream JSON field names, so manifests and `-o json` output are the real shapes.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
}

export interface Pod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: ObjectMeta;
  spec: PodSpec;
  status?: PodStatus;
}

export interface PersistentVolumeClaim {
  apiVersion: 'v1';
  kind: 'PersistentVolumeClaim';
  metadata: ObjectMeta;
  spec: {
    accessModes?: string[];
    storageClassName?: string;
    volumeMode?: 'Filesystem' | 'Block';
    resources?: { requests?: { storage?: string }; limits?: { storage?: string } };
  };
  status?: { phase?: 'Pending' | 'Bound' | 'Lost'; capacity?: { storage?: string }; accessModes?: string[] };
}

export type Manifest = Pod | PersistentVolumeClaim;

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  restartPolicy?: RestartPolicy;
  volumes?: Volume[];
  hostname?: string;
  subdomain?: string;
  hostNetwork?: boolean;
  dnsPolicy?: 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';
  dnsConfig?: { nameservers?: string[]; searches?: string[]; options?: { name: string; value?: string }[] };
  terminationGracePeriodSeconds?: number;
  securityContext?: PodSecurityContext;
  nodeName?: string;
}

export interface PodSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  fsGroup?: number;
  supplementalGroups?: number[];
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  workingDir?: string;
  /** Keep stdin open for `triad attach -i` (stdinOnce: closed after the first attach ends); tty: run on a terminal. */
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  ports?: { name?: string; containerPort: number; hostPort?: number; hostIP?: string; protocol?: 'TCP' | 'UDP' | 'SCTP' }[];
  /** bindMountOptions (Kubernetes 1.37, alpha): noexec, nodev, nosuid; the runtime applies them (CRI Mount.mount_options). */
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string; bindMountOptions?: string[] }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: ContainerSecurityContext;
  lifecycle?: { preStop?: LifecycleHandler; postStart?: LifecycleHandler };
  /** Only on init containers: `Always` makes it a sidecar. */
  restartPolicy?: 'Always';
  terminationMessagePath?: string;
}

export interface ContainerSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
}

export interface LifecycleHandler {
  exec?: { command: string[] };
  httpGet?: HttpGetAction;
  tcpSocket?: { port: number | string; host?: string };
  sleep?: { seconds: number };
}

export interface HttpGetAction {
  path?: string;
  port: number | string;
  host?: string;
  scheme?: 'HTTP' | 'HTTPS';
  httpHeaders?: { name: string; value: string }[];
}

export interface Probe {
  exec?: { command: string[] };
  httpGet?: HttpGetAction;
  tcpSocket?: { port: number | string; host?: string };
  /** grpc.health.v1 Check on the pod IP and port (a number: no named ports), for the service name ("" = the server). */
  grpc?: { port: number; service?: string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  terminationGracePeriodSeconds?: number;
}

export interface Volume {
  name: string;
  emptyDir?: { medium?: '' | 'Memory'; sizeLimit?: string };
  hostPath?: { path: string; type?: '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice' };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  csi?: { driver: string; readOnly?: boolean; fsType?: string; volumeAttributes?: Record<string, string>; nodePublishSecretRef?: { name: string } };
}

// ---- status (what `triad get pods -o json` prints) ----

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface PodCondition {
  type: 'PodReadyToStartContainers' | 'Initialized' | 'ContainersReady' | 'Ready' | 'PodScheduled';
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface ContainerStateWaiting {
  reason?: string;
  message?: string;
}
export interface ContainerStateRunning {
  startedAt?: string;
}
export interface ContainerStateTerminated {
  exitCode: number;
  signal?: number;
  reason?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  containerID?: string;
}
export interface ContainerState {
  waiting?: ContainerStateWaiting;
  running?: ContainerStateRunning;
  terminated?: ContainerStateTerminated;
}

export interface ContainerStatus {
  name: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started?: boolean;
}

export interface PodStatus {
  phase: PodPhase;
  conditions: PodCondition[];
  message?: string;
  reason?: string;
  hostIP?: string;
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime?: string;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses: ContainerStatus[];
  qosClass?: 'Guaranteed' | 'Burstable' | 'BestEffort';
}

// ---- events and the creation timeline ----

export interface PodEvent {
  /** ms since epoch */
  time: number;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** e.g. "spec.containers{app}" as kubectl shows it */
  object?: string;
}

/** One step of a pod's life with its start and duration: a bar in the waterfall. */
export interface TimelineStep {
  /** Group the step belongs to: volumes, sandbox, images, init, containers, probes, teardown. */
  phase: string;
  /** e.g. "RunPodSandbox", "PullImage busybox:latest", "NodePublishVolume data" */
  name: string;
  /** ms since epoch */
  start: number;
  /** ms; undefined while in progress */
  durationMs?: number;
  ok: boolean;
  error?: string;
}

export interface PodTimeline {
  pod: string;
  namespace: string;
  uid: string;
  steps: TimelineStep[];
}
