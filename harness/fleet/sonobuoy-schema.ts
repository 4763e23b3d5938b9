// A schema check of Sonobuoy's plugin definition format, written from Sonobuoy's manifest types
// (pkg/plugin/manifest: Manifest, SonobuoyConfig) and the Kubernetes core/v1 types it embeds
// (Container for `spec`, PodSpec for `podSpec`, Volume for `extra-volumes`). Sonobuoy's decoder
// ignores unknown keys, so a misspelt field would silently do nothing: here it is an error.
// Field names and types are Sonobuoy's and Kubernetes'; the fields triad generates are checked
// deeply, the other known ones only for being known.

type Obj = Record<string, unknown>;
type Check = (v: unknown, path: string, errs: string[]) => void;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

const str: Check = (v, p, e) => {
  if (typeof v !== 'string') e.push(`${p}: must be a string, not ${typeName(v)}`);
};
const bool: Check = (v, p, e) => {
  if (typeof v !== 'boolean') e.push(`${p}: must be a boolean, not ${typeName(v)}`);
};
const int: Check = (v, p, e) => {
  if (typeof v !== 'number' || !Number.isInteger(v)) e.push(`${p}: must be an integer, not ${typeName(v)}`);
};
const any: Check = () => undefined;
const oneOf =
  (...values: string[]): Check =>
  (v, p, e) => {
    if (typeof v !== 'string' || !values.includes(v)) e.push(`${p}: must be one of ${values.join(', ')} (got ${JSON.stringify(v)})`);
  };
const arr =
  (item: Check): Check =>
  (v, p, e) => {
    if (!Array.isArray(v)) {
      e.push(`${p}: must be a list, not ${typeName(v)}`);
      return;
    }
    v.forEach((x, i) => item(x, `${p}[${i}]`, e));
  };
const map =
  (value: Check): Check =>
  (v, p, e) => {
    if (!isObj(v)) {
      e.push(`${p}: must be a map, not ${typeName(v)}`);
      return;
    }
    for (const [k, x] of Object.entries(v)) value(x, `${p}.${k}`, e);
  };
const quantity: Check = (v, p, e) => {
  if (!(typeof v === 'number' || (typeof v === 'string' && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i?|[mkMGTPE])?$/.test(v))))
    e.push(`${p}: must be a quantity (e.g. 100m, 256Mi), got ${JSON.stringify(v)}`);
};
const obj =
  (fields: Record<string, Check>, required: string[] = [], what = 'object'): Check =>
  (v, p, e) => {
    if (!isObj(v)) {
      e.push(`${p}: must be ${what === 'object' ? 'an object' : `a ${what}`}, not ${typeName(v)}`);
      return;
    }
    for (const r of required) if (v[r] === undefined) e.push(`${p}.${r}: required`);
    for (const [k, x] of Object.entries(v)) {
      const f = fields[k];
      if (!f) e.push(`${p}.${k}: not a field of ${what}${closest(k, Object.keys(fields))}`);
      else f(x, `${p}.${k}`, e);
    }
  };
const known = (names: string): Record<string, Check> =>
  Object.fromEntries(
    names
      .split(/\s+/)
      .filter(Boolean)
      .map((n) => [n, any]),
  );

function closest(k: string, names: string[]): string {
  const lower = k.toLowerCase().replace(/[-_]/g, '');
  const hit = names.find((n) => n.toLowerCase().replace(/[-_]/g, '') === lower);
  return hit ? ` (did you mean ${hit}?)` : '';
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsLabel: Check = (v, p, e) => {
  str(v, p, e);
  if (typeof v === 'string' && !DNS_LABEL.test(v)) e.push(`${p}: must be a DNS label (lowercase alphanumerics and '-', at most 63), got ${JSON.stringify(v)}`);
};

// ---- core/v1 pieces ----

const envVar = obj(
  {
    name: str,
    value: str,
    valueFrom: obj(
      {
        fieldRef: obj({ apiVersion: str, fieldPath: str }, ['fieldPath'], 'ObjectFieldSelector'),
        resourceFieldRef: any,
        configMapKeyRef: any,
        secretKeyRef: any,
        fileKeyRef: any,
      },
      [],
      'EnvVarSource',
    ),
  },
  ['name'],
  'EnvVar',
);

const volumeMount = obj(
  {
    name: str,
    mountPath: str,
    readOnly: bool,
    subPath: str,
    subPathExpr: str,
    recursiveReadOnly: oneOf('Disabled', 'IfPossible', 'Enabled'),
    mountPropagation: oneOf('None', 'HostToContainer', 'Bidirectional'),
  },
  ['name', 'mountPath'],
  'VolumeMount',
);

const securityContext = obj(
  {
    capabilities: obj({ add: arr(str), drop: arr(str) }, [], 'Capabilities'),
    privileged: bool,
    runAsUser: int,
    runAsGroup: int,
    runAsNonRoot: bool,
    readOnlyRootFilesystem: bool,
    allowPrivilegeEscalation: bool,
    procMount: oneOf('Default', 'Unmasked'),
    seLinuxOptions: any,
    windowsOptions: any,
    seccompProfile: any,
    appArmorProfile: any,
  },
  [],
  'SecurityContext',
);

const resources = obj({ limits: map(quantity), requests: map(quantity), claims: any }, [], 'ResourceRequirements');

const CONTAINER_FIELDS = {
  ...known(
    'ports envFrom resizePolicy restartPolicy restartPolicyRules volumeDevices livenessProbe readinessProbe startupProbe lifecycle terminationMessagePath terminationMessagePolicy stdin stdinOnce tty',
  ),
  name: dnsLabel,
  image: str,
  command: arr(str),
  args: arr(str),
  workingDir: str,
  env: arr(envVar),
  volumeMounts: arr(volumeMount),
  resources,
  imagePullPolicy: oneOf('Always', 'IfNotPresent', 'Never'),
  securityContext,
};
const container = obj(CONTAINER_FIELDS, ['name'], 'Container');

const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];
const volume = obj(
  {
    ...known(
      'secret nfs iscsi glusterfs persistentVolumeClaim rbd flexVolume cinder cephfs flocker downwardAPI fc azureFile configMap vsphereVolume quobyte azureDisk photonPersistentDisk projected portworxVolume scaleIO storageos csi ephemeral image gcePersistentDisk awsElasticBlockStore gitRepo',
    ),
    name: dnsLabel,
    hostPath: obj({ path: str, type: oneOf(...HOST_PATH_TYPES) }, ['path'], 'HostPathVolumeSource'),
    emptyDir: obj({ medium: oneOf('', 'Memory'), sizeLimit: quantity }, [], 'EmptyDirVolumeSource'),
  },
  ['name'],
  'Volume',
);

const toleration = obj(
  {
    key: str,
    operator: oneOf('Exists', 'Equal'),
    value: str,
    effect: oneOf('NoSchedule', 'PreferNoSchedule', 'NoExecute'),
    tolerationSeconds: int,
  },
  [],
  'Toleration',
);

const podSpec = obj(
  {
    ...known(
      'initContainers ephemeralContainers activeDeadlineSeconds automountServiceAccountToken nodeName shareProcessNamespace securityContext imagePullSecrets hostname subdomain affinity schedulerName hostAliases priorityClassName priority dnsConfig readinessGates runtimeClassName enableServiceLinks preemptionPolicy overhead topologySpreadConstraints setHostnameAsFQDN os hostUsers schedulingGates resourceClaims resources',
    ),
    volumes: arr(volume),
    containers: arr(container),
    restartPolicy: oneOf('Always', 'OnFailure', 'Never'),
    terminationGracePeriodSeconds: int,
    dnsPolicy: oneOf('ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'),
    nodeSelector: map(str),
    serviceAccountName: str,
    serviceAccount: str,
    hostNetwork: bool,
    hostPID: bool,
    hostIPC: bool,
    tolerations: arr(toleration),
  },
  [],
  'PodSpec',
);

// ---- Sonobuoy's own ----

const sonobuoyConfig = obj(
  {
    driver: oneOf('Job', 'DaemonSet'),
    'plugin-name': dnsLabel,
    'skip-cleanup': bool,
    'result-format': oneOf('raw', 'junit', 'gojson', 'manual'),
    'result-files': arr(str),
    description: str,
    'source-url': str,
    order: int,
  },
  ['driver', 'plugin-name'],
  'sonobuoy-config',
);

const manifest = obj(
  {
    'sonobuoy-config': sonobuoyConfig,
    spec: container,
    'extra-volumes': arr(volume),
    podSpec,
    'config-map': map(str),
  },
  ['sonobuoy-config', 'spec'],
  'Sonobuoy plugin',
);

/** Every problem of a plugin definition (parsed YAML), as "path: problem"; empty when it is valid. */
export function checkPluginDefinition(def: unknown): string[] {
  const errs: string[] = [];
  manifest(def, '', errs);
  if (errs.length || !isObj(def)) return errs.map((x) => x.replace(/^\./, ''));
  // Cross-field rules: what Sonobuoy and the API server would reject later, on the cluster.
  const spec = def.spec as Obj;
  const pod = (def.podSpec ?? {}) as Obj;
  const volumes = new Set([...((pod.volumes ?? []) as Obj[]), ...((def['extra-volumes'] ?? []) as Obj[])].map((v) => v.name as string));
  volumes.add('results'); // Sonobuoy adds the results emptyDir to every plugin pod
  for (const [i, m] of ((spec.volumeMounts ?? []) as Obj[]).entries()) {
    if (!volumes.has(m.name as string))
      errs.push(`spec.volumeMounts[${i}].name: no volume named ${JSON.stringify(m.name)} in podSpec.volumes or extra-volumes`);
    if (m.mountPropagation === 'Bidirectional' && (spec.securityContext as Obj | undefined)?.privileged !== true)
      errs.push(`spec.volumeMounts[${i}].mountPropagation: Bidirectional needs a privileged container`);
  }
  const cfg = def['sonobuoy-config'] as Obj;
  if (cfg.driver === 'DaemonSet' && pod.restartPolicy !== undefined && pod.restartPolicy !== 'Always')
    errs.push(`podSpec.restartPolicy: a DaemonSet's pods must restart Always (got ${String(pod.restartPolicy)})`);
  if (!spec.image) errs.push('spec.image: required');
  if (pod.hostNetwork === true && pod.dnsPolicy !== undefined && pod.dnsPolicy !== 'ClusterFirstWithHostNet' && pod.dnsPolicy !== 'Default')
    errs.push("podSpec.dnsPolicy: with hostNetwork use ClusterFirstWithHostNet (ClusterFirst would fall back to the node's resolver)");
  return errs;
}
