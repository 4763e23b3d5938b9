// The field schema of the supported subset (harness/api/types.ts), walked over the raw object the
// way the API server's strict decoding does. Every Kubernetes field is in here with one of:
//   - a type: supported, checked for its JSON type and walked into;
//   - ignored(why): exists in Kubernetes, cannot change behaviour on one node → a warning;
//   - unsupported(why): would change behaviour but the harness cannot honour it → an error;
//   - check(fn): decided by the value (e.g. `hostPID: false` is harmless, `true` is not).
// A field the schema does not have at all is kubectl's `unknown field "spec.containers[0].imagePulPolicy"`.
import { child, forbidden, index, invalid, key, notSupported, unknownField, type FieldError } from './errors.js';

export type Node =
  | { t: 'string' }
  | { t: 'int' }
  | { t: 'bool' }
  | { t: 'intOrString' }
  | { t: 'quantity' }
  | { t: 'any' }
  | { t: 'array'; of: Node }
  | { t: 'map'; of: Node }
  | { t: 'object'; fields: Record<string, Field> };

export type Verdict = { ok: true } | { warn: string } | { error: FieldError };
export type Field =
  Node | { t: 'ignored'; why: string } | { t: 'unsupported'; why: string } | { t: 'check'; node: Node; fn: (value: unknown, path: string) => Verdict };

const str: Node = { t: 'string' };
const int: Node = { t: 'int' };
const bool: Node = { t: 'bool' };
const ios: Node = { t: 'intOrString' };
const qty: Node = { t: 'quantity' };
const any: Node = { t: 'any' };
const arr = (of: Node): Node => ({ t: 'array', of });
const map = (of: Node): Node => ({ t: 'map', of });
const obj = (fields: Record<string, Field>): Node => ({ t: 'object', fields });
const ignored = (why: string): Field => ({ t: 'ignored', why });
const unsupported = (why: string): Field => ({ t: 'unsupported', why });
const check = (node: Node, fn: (value: unknown, path: string) => Verdict): Field => ({ t: 'check', node, fn });

/** Harmless when it has the Kubernetes default value; otherwise unsupported. */
const onlyDefault = (node: Node, dflt: unknown, why: string): Field =>
  check(node, (v, path) => (v === dflt ? { ok: true } : { error: forbidden(path, `not supported by triad: ${why}`) }));

/** seccomp and AppArmor profiles: the runtime default (or none) is what a test node runs anyway; a local profile is not. */
const profile = (what: string): Field =>
  check(obj({ type: str, localhostProfile: str }), (v, path) => {
    const type = (v as { type?: unknown } | null)?.type;
    if (type === 'Localhost') return { error: forbidden(path, `not supported by triad: a Localhost ${what} profile cannot be loaded`) };
    return { warn: `${path}: ignored: triad does not apply ${what} profiles (${String(type ?? 'unset')})` };
  });

const NO_SCHEDULER = 'there is no scheduler: the pod runs on this node';
const NO_SECRETS = 'ConfigMaps and Secrets do not exist in the harness';

// ---- metadata ----

const metadata = obj({
  name: str,
  namespace: str,
  uid: str,
  labels: map(str),
  annotations: map(str),
  creationTimestamp: str,
  generateName: check(str, (_v, path) => ({ error: forbidden(path, 'not supported by triad: set metadata.name (there is no API server to generate a name)') })),
  deletionTimestamp: ignored('set when a deletion is requested, not on create'),
  deletionGracePeriodSeconds: ignored('set when a deletion is requested, not on create'),
  resourceVersion: ignored('there is no API server storage'),
  generation: ignored('there is no API server storage'),
  selfLink: ignored('there is no API server storage'),
  managedFields: ignored('there is no API server (server-side apply)'),
  ownerReferences: ignored('there is no garbage collector'),
  finalizers: ignored('there is no API server to hold the deletion'),
});

// ---- containers ----

const httpGet = obj({ path: str, port: ios, host: str, scheme: str, httpHeaders: arr(obj({ name: str, value: str })) });
const exec = obj({ command: arr(str) });
const tcpSocket = obj({ port: ios, host: str });
const grpc = obj({ port: int, service: str });

const probe = obj({
  exec,
  httpGet,
  tcpSocket,
  grpc,
  initialDelaySeconds: int,
  periodSeconds: int,
  timeoutSeconds: int,
  successThreshold: int,
  failureThreshold: int,
  terminationGracePeriodSeconds: int,
});
const lifecycleHandler = obj({ exec, httpGet, tcpSocket, sleep: obj({ seconds: int }) });

const securityContextProfiles = {
  seccompProfile: profile('seccomp'),
  appArmorProfile: profile('AppArmor'),
  seLinuxOptions: unsupported('SELinux labels are not applied'),
  windowsOptions: ignored('Windows-only, this is a Linux node'),
};

const containerSecurityContext = obj({
  runAsUser: int,
  runAsGroup: int,
  runAsNonRoot: bool,
  readOnlyRootFilesystem: bool,
  privileged: bool,
  allowPrivilegeEscalation: bool,
  capabilities: obj({ add: arr(str), drop: arr(str) }),
  procMount: onlyDefault(str, 'Default', 'only the Default /proc mount'),
  ...securityContextProfiles,
});

const container = obj({
  name: str,
  image: str,
  imagePullPolicy: str,
  command: arr(str),
  args: arr(str),
  workingDir: str,
  ports: arr(obj({ name: str, containerPort: int, hostPort: int, hostIP: str, protocol: str })),
  env: arr(obj({ name: str, value: str, valueFrom: unsupported(`${NO_SECRETS}, and the downward API and resource references are not resolved`) })),
  envFrom: unsupported(NO_SECRETS),
  volumeMounts: arr(
    obj({
      name: str,
      mountPath: str,
      readOnly: bool,
      subPath: str,
      subPathExpr: unsupported('subPathExpr is not expanded'),
      mountPropagation: onlyDefault(str, 'None', 'only private mounts (mountPropagation None)'),
      recursiveReadOnly: onlyDefault(str, 'Disabled', 'recursive read-only mounts are not applied'),
      // Kubernetes 1.37 (VolumeBindMountOptions, alpha): handed to the runtime as CRI Mount.mount_options.
      bindMountOptions: arr(str),
    }),
  ),
  volumeDevices: unsupported('raw block devices are not attached to containers'),
  resources: obj({ requests: map(qty), limits: map(qty), claims: unsupported('dynamic resource allocation does not exist in the harness') }),
  resizePolicy: ignored('in-place resize is not implemented'),
  restartPolicy: str,
  restartPolicyRules: unsupported('container restart rules are not implemented'),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe,
  lifecycle: obj({ postStart: lifecycleHandler, preStop: lifecycleHandler, stopSignal: unsupported('the stop signal comes from the image') }),
  terminationMessagePath: str,
  terminationMessagePolicy: ignored('the termination message is not collected'),
  securityContext: containerSecurityContext,
  // Handed to the runtime (ContainerConfig stdin, stdin_once, tty) for `triad attach`.
  stdin: bool,
  stdinOnce: bool,
  tty: bool,
});

// ---- volumes ----

/** Every volume source Kubernetes has, supported or not: a volume must have exactly one. */
export const SUPPORTED_VOLUME_SOURCES = ['emptyDir', 'hostPath', 'persistentVolumeClaim', 'csi'] as const;
export const UNSUPPORTED_VOLUME_SOURCES = [
  'configMap',
  'secret',
  'downwardAPI',
  'projected',
  'ephemeral',
  'image',
  'nfs',
  'iscsi',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'glusterfs',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'fc',
  'azureFile',
  'azureDisk',
  'vsphereVolume',
  'quobyte',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'storageos',
] as const;
const unsupportedSource = (name: string): Field => check(any, (_v, path) => ({ error: notSupported(path, name, SUPPORTED_VOLUME_SOURCES) }));

const volume = obj({
  name: str,
  emptyDir: obj({ medium: str, sizeLimit: qty }),
  hostPath: obj({ path: str, type: str }),
  persistentVolumeClaim: obj({ claimName: str, readOnly: bool }),
  csi: obj({ driver: str, readOnly: bool, fsType: str, volumeAttributes: map(str), nodePublishSecretRef: obj({ name: str }) }),
  ...Object.fromEntries(UNSUPPORTED_VOLUME_SOURCES.map((s) => [s, unsupportedSource(s)])),
});

// ---- pod ----

const podSecurityContext = obj({
  runAsUser: int,
  runAsGroup: int,
  runAsNonRoot: bool,
  fsGroup: int,
  supplementalGroups: arr(int),
  fsGroupChangePolicy: ignored('volume ownership is not changed'),
  supplementalGroupsPolicy: onlyDefault(str, 'Merge', 'only the Merge supplemental groups policy'),
  seLinuxChangePolicy: ignored('SELinux labels are not applied'),
  sysctls: unsupported('sysctls are not set in the sandbox'),
  ...securityContextProfiles,
});

const podSpec = obj({
  volumes: arr(volume),
  initContainers: arr(container),
  containers: arr(container),
  ephemeralContainers: check(any, (_v, path) => ({ error: forbidden(path, 'cannot be set on create') })),
  restartPolicy: str,
  terminationGracePeriodSeconds: int,
  activeDeadlineSeconds: unsupported('active deadlines are not enforced'),
  dnsPolicy: str,
  dnsConfig: obj({ nameservers: arr(str), searches: arr(str), options: arr(obj({ name: str, value: str })) }),
  hostname: str,
  subdomain: str,
  hostNetwork: bool,
  nodeName: str,
  securityContext: podSecurityContext,
  hostPID: onlyDefault(bool, false, 'the sandbox always has its own PID namespace'),
  hostIPC: onlyDefault(bool, false, 'the sandbox always has its own IPC namespace'),
  shareProcessNamespace: onlyDefault(bool, false, 'containers never share a PID namespace'),
  setHostnameAsFQDN: onlyDefault(bool, false, 'the hostname is never the FQDN'),
  hostUsers: onlyDefault(bool, true, 'user namespaces are not implemented'),
  hostAliases: unsupported('/etc/hosts entries are not written'),
  readinessGates: unsupported('there are no controllers to set readiness gate conditions'),
  runtimeClassName: unsupported('there is one runtime handler'),
  os: unsupported('the pod OS is not checked or applied'),
  schedulingGates: unsupported('there is no scheduler to remove the gates'),
  resourceClaims: unsupported('dynamic resource allocation does not exist in the harness'),
  resources: unsupported('pod-level resources are not implemented'),
  nodeSelector: ignored(NO_SCHEDULER),
  affinity: ignored(NO_SCHEDULER),
  tolerations: ignored(NO_SCHEDULER),
  topologySpreadConstraints: ignored(NO_SCHEDULER),
  schedulerName: ignored(NO_SCHEDULER),
  priorityClassName: ignored(NO_SCHEDULER),
  priority: ignored(NO_SCHEDULER),
  preemptionPolicy: ignored(NO_SCHEDULER),
  overhead: ignored('pod overhead is not accounted'),
  serviceAccountName: ignored('there are no service accounts'),
  serviceAccount: ignored('there are no service accounts'),
  automountServiceAccountToken: ignored('there are no service account tokens to mount'),
  enableServiceLinks: ignored('there are no Services'),
  imagePullSecrets: ignored(`${NO_SECRETS}: images are pulled without credentials`),
});

const STATUS_IGNORED = ignored('status is reported by the kubelet, not read from the manifest');

export const POD_SCHEMA = obj({ apiVersion: str, kind: str, metadata, spec: podSpec, status: STATUS_IGNORED });

export const PVC_SCHEMA = obj({
  apiVersion: str,
  kind: str,
  metadata,
  spec: obj({
    accessModes: arr(str),
    storageClassName: str,
    volumeMode: str,
    resources: obj({ requests: map(qty), limits: map(qty) }),
    selector: unsupported('claims are provisioned dynamically, never bound to existing volumes by selector'),
    volumeName: unsupported('claims are provisioned dynamically, never bound to a named volume'),
    dataSource: unsupported('volumes are not populated from snapshots or other claims'),
    dataSourceRef: unsupported('volumes are not populated from snapshots or other claims'),
    volumeAttributesClassName: unsupported('volume attributes classes do not exist in the harness'),
  }),
  status: STATUS_IGNORED,
});

// ---- the walk ----

export interface WalkResult {
  errors: FieldError[];
  warnings: string[];
  typeErrors: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEmpty = (v: unknown) => (Array.isArray(v) ? v.length === 0 : isObject(v) && Object.keys(v).length === 0);

function typeError(path: string, value: unknown, expected: string, r: WalkResult): void {
  r.typeErrors++;
  let hint = '';
  if (expected === 'a string' && typeof value === 'boolean') hint = ' (YAML reads unquoted yes/no/on/off/true/false as booleans: quote it)';
  else if (expected === 'a string' && typeof value === 'number') hint = ' (quote it)';
  r.errors.push(invalid(path, value, `must be ${expected}${hint}`));
}

function walk(node: Node, v: unknown, path: string, r: WalkResult): void {
  if (v === undefined || v === null) return; // null is "unset", as in Go's JSON decoding
  switch (node.t) {
    case 'any':
      return;
    case 'string':
      if (typeof v !== 'string') typeError(path, v, 'a string', r);
      return;
    case 'bool':
      if (typeof v !== 'boolean') typeError(path, v, 'a boolean', r);
      return;
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) typeError(path, v, 'an integer', r);
      return;
    case 'intOrString':
      if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))) typeError(path, v, 'an integer or a string', r);
      return;
    case 'quantity':
      if (typeof v !== 'string' && typeof v !== 'number') typeError(path, v, 'a quantity (a string such as "500m" or "1Gi", or a number)', r);
      return;
    case 'array':
      if (!Array.isArray(v)) return typeError(path, v, 'an array', r);
      v.forEach((x, i) => {
        if (x === null || x === undefined) typeError(index(path, i), x, node.of.t === 'object' ? 'an object' : `not null`, r);
        else walk(node.of, x, index(path, i), r);
      });
      return;
    case 'map':
      if (!isObject(v)) return typeError(path, v, 'an object (a map)', r);
      for (const [k, x] of Object.entries(v)) walk(node.of, x, key(path, k), r);
      return;
    case 'object':
      if (!isObject(v)) return typeError(path, v, 'an object', r);
      for (const [k, x] of Object.entries(v)) {
        const p = child(path, k);
        const f = Object.hasOwn(node.fields, k) ? node.fields[k] : undefined;
        if (!f) {
          r.errors.push(unknownField(p));
          continue;
        }
        if (x === undefined || x === null) continue;
        if (f.t === 'ignored') {
          // an empty map or list asks for nothing, so nothing is ignored (`status: {}` of `kubectl run --dry-run -o yaml`)
          if (!isEmpty(x)) r.warnings.push(`${p}: ignored: ${f.why}`);
        } else if (f.t === 'unsupported') r.errors.push(forbidden(p, `not supported by triad: ${f.why}`));
        else if (f.t === 'check') {
          const before = r.typeErrors;
          walk(f.node, x, p, r);
          if (r.typeErrors !== before) continue;
          const verdict = f.fn(x, p);
          if ('warn' in verdict) r.warnings.push(verdict.warn);
          else if ('error' in verdict) r.errors.push(verdict.error);
        } else walk(f, x, p, r);
      }
      return;
  }
}

/** Walk a raw manifest against its schema: unknown, unsupported and mistyped fields, and warnings. */
export function checkFields(schema: Node, raw: unknown): WalkResult {
  const r: WalkResult = { errors: [], warnings: [], typeErrors: 0 };
  walk(schema, raw, '', r);
  return r;
}
