// Sonobuoy plugin definitions for the four suites. A definition is Sonobuoy's manifest
// (pkg/plugin/manifest): `sonobuoy-config` (driver, plugin-name, result-format…), `spec` (the
// plugin's one container), `podSpec` (the rest of the pod; Sonobuoy only adds to it: its worker
// sidecar, the `results` emptyDir), `extra-volumes` and `config-map` (files Sonobuoy mounts at
// /tmp/sonobuoy/config). driver DaemonSet: one pod on every node, each testing the plugin on its
// own node through hostPath mounts of that node's sockets and directories.
//
// Privileges, per suite, and why:
//   cri  root uid (the socket is root's, mode 0660), no capabilities; hostNetwork because the
//        runtime's streaming server (exec/attach/port-forward URLs) and host ports answer on the
//        node's loopback; a work dir at the same path on node and container, because the runtime
//        writes container logs and bind-mounts host directories there and the suite reads them.
//   csi  root uid, no capabilities; the driver's socket dir; staging/target parents under the
//        kubelet dir, where the node driver (which mounts /var/lib/kubelet with Bidirectional
//        propagation) can mount. No mount propagation into the suite's container: the suite
//        checks paths and RPC answers, not the mounted contents (and the harness kubelet, which
//        proves these pod specs locally, runs private mounts only).
//   cni  the plugins the suite execs act on the node's network: hostNetwork, NET_ADMIN, NET_RAW
//        and SYS_ADMIN (`ip netns add` bind-mounts namespaces inside the container's own mount
//        namespace; no propagation needed), the node's CNI bin/conf dirs read-only and its IPAM
//        state (/var/lib/cni) so test addresses are not handed out twice.
//   pod  the harness kubelet on the node's runtime (and a CSI driver when named): the cri
//        mounts and network, the CNI dirs read-only, /var/lib/cni read-only (the suite compares
//        the runtime's CNI cache with what CRI reports), a triad.yaml from `config-map`.
import { stringify } from 'yaml';

export const SUITES = ['cri', 'csi', 'cni', 'pod'] as const;
export type PluginSuite = (typeof SUITES)[number];

/** Where Sonobuoy mounts the shared results emptyDir and sets $RESULTS_DIR (its default ResultsDir). */
export const SONOBUOY_RESULTS_DIR = '/tmp/sonobuoy/results';
/** Where Sonobuoy mounts the plugin's `config-map` files ($SONOBUOY_CONFIG_DIR). */
export const SONOBUOY_CONFIG_DIR = '/tmp/sonobuoy/config';

export interface PluginOptions {
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** CRI socket on the node (cri, pod). */
  criSocket?: string;
  /** CSI driver name (csi: required; pod: optional). */
  driver?: string;
  /** CSI socket on the node; default /var/lib/kubelet/plugins/<driver>/csi.sock. */
  csiSocket?: string;
  kubeletDir?: string;
  cniBinDir?: string;
  cniConfDir?: string;
  /** cni: the config file in cniConfDir (default: the first there, as the suite picks it). */
  cniConfig?: string;
  cniStateDir?: string;
  /** cri/pod: node directory the suite shares with the runtime (logs, host-path volumes). */
  workDir?: string;
  /** Extra arguments for `triad conformance <suite>` (e.g. --focus, --test-image). */
  extraArgs?: string[];
  /** Plugin name (default triad-<suite>). */
  name?: string;
}

export const DEFAULTS = {
  criSocket: '/run/containerd/containerd.sock',
  kubeletDir: '/var/lib/kubelet',
  cniBinDir: '/opt/cni/bin',
  cniConfDir: '/etc/cni/net.d',
  cniStateDir: '/var/lib/cni',
  workDir: '/var/lib/triad-conformance',
};

type Obj = Record<string, unknown>;
interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  mountPropagation?: string;
}
interface Volume {
  name: string;
  hostPath: { path: string; type: string };
}

export interface PluginDefinition {
  'sonobuoy-config': { driver: 'DaemonSet'; 'plugin-name': string; 'result-format': 'junit'; description: string; 'skip-cleanup'?: boolean };
  spec: Obj & { name: string; image: string; args: string[]; env: Obj[]; volumeMounts: Mount[]; securityContext: Obj };
  podSpec: Obj & { volumes: Volume[]; tolerations: Obj[]; containers: [] };
  'config-map'?: Record<string, string>;
}

const unix = (p: string) => `unix://${p}`;
const parent = (p: string) => p.replace(/\/[^/]+\/?$/, '') || '/';

function absolute(what: string, p: string): string {
  if (!p.startsWith('/')) throw new Error(`${what} must be an absolute path on the node (got ${JSON.stringify(p)})`);
  return p.replace(/\/+$/, '') || '/';
}

/** The definition for one suite; throws on options that name nothing usable. */
export function pluginDefinition(suite: PluginSuite, o: PluginOptions): PluginDefinition {
  if (!SUITES.includes(suite)) throw new Error(`unknown suite ${JSON.stringify(suite)} (cri, csi, cni, pod)`);
  if (!o.image) throw new Error('--image is required');
  const criSocket = absolute('--cri-socket', o.criSocket ?? DEFAULTS.criSocket);
  const kubeletDir = absolute('--kubelet-dir', o.kubeletDir ?? DEFAULTS.kubeletDir);
  const cniBin = absolute('--cni-bin-dir', o.cniBinDir ?? DEFAULTS.cniBinDir);
  const cniConf = absolute('--cni-conf-dir', o.cniConfDir ?? DEFAULTS.cniConfDir);
  const cniState = absolute('--cni-state-dir', o.cniStateDir ?? DEFAULTS.cniStateDir);
  const workDir = absolute('--work-dir', o.workDir ?? DEFAULTS.workDir);
  if (o.driver !== undefined && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,61}[A-Za-z0-9])?$/.test(o.driver))
    throw new Error(
      `--driver ${JSON.stringify(o.driver)} is not a CSI driver name (at most 63 characters: alphanumerics, '-', '.', starting and ending alphanumeric)`,
    );
  const csiSocket = o.driver || o.csiSocket ? absolute('--csi-socket', o.csiSocket ?? `${kubeletDir}/plugins/${o.driver}/csi.sock`) : undefined;
  const name = o.name ?? `triad-${suite}`;
  if (!/^[a-z0-9]([a-z0-9-]{0,50}[a-z0-9])?$/.test(name))
    throw new Error(
      `--name ${JSON.stringify(name)}: a plugin name must be a DNS label (lowercase alphanumerics and '-', at most 52 characters: Sonobuoy builds object names from it)`,
    );

  const volumes: Volume[] = [];
  const mounts: Mount[] = [{ name: 'results', mountPath: SONOBUOY_RESULTS_DIR }];
  const host = (vol: string, path: string, type: string, mount: Omit<Mount, 'name' | 'mountPath'> = {}, at = path) => {
    volumes.push({ name: vol, hostPath: { path, type } });
    mounts.push({ name: vol, mountPath: at, ...mount });
  };
  const args = ['conformance', suite];
  const env: Obj[] = [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }];
  let hostNetwork = false;
  const caps: string[] = [];
  let configMap: Record<string, string> | undefined;

  switch (suite) {
    case 'cri':
      host('cri-socket', criSocket, 'Socket');
      host('work', workDir, 'DirectoryOrCreate');
      args.push('--runtime-endpoint', unix(criSocket), '--work-dir', `${workDir}/cri`);
      hostNetwork = true;
      break;
    case 'csi': {
      if (!o.driver && !o.csiSocket)
        throw new Error('csi: --driver NAME is required (the socket defaults to <kubelet-dir>/plugins/NAME/csi.sock), or give --csi-socket');
      host('csi-plugin-dir', parent(csiSocket!), 'Directory');
      const scratch = `${kubeletDir}/plugins/triad-conformance`;
      host('csi-scratch', scratch, 'DirectoryOrCreate');
      args.push('--csi.endpoint', unix(csiSocket!), '--staging-dir', `${scratch}/staging`, '--target-dir', `${scratch}/target`);
      break;
    }
    case 'cni':
      host('cni-bin', cniBin, 'Directory', { readOnly: true });
      host('cni-conf', cniConf, 'Directory', { readOnly: true });
      host('cni-state', cniState, 'DirectoryOrCreate');
      args.push('--cni-path', cniBin, '--netns', '--ipam-state-dir', `${cniState}/networks`);
      if (o.cniConfig) args.push('--config', `${cniConf}/${o.cniConfig.replace(/^.*\//, '')}`);
      else env.push({ name: 'NETCONFPATH', value: cniConf });
      hostNetwork = true;
      caps.push('NET_ADMIN', 'NET_RAW', 'SYS_ADMIN');
      break;
    case 'pod': {
      host('cri-socket', criSocket, 'Socket');
      host('work', workDir, 'DirectoryOrCreate');
      host('cni-bin', cniBin, 'Directory', { readOnly: true });
      host('cni-conf', cniConf, 'Directory', { readOnly: true });
      host('cni-state', cniState, 'DirectoryOrCreate', { readOnly: true });
      if (csiSocket) host('csi-plugin-dir', parent(csiSocket), 'Directory');
      const config: Obj = {
        runtime: { type: 'endpoint', endpoint: unix(criSocket) },
        network: { type: 'cni', config: cniConf, binDirs: [cniBin] },
        kubelet: { stateDir: `${workDir}/pod` },
      };
      if (csiSocket) {
        const driver = o.driver ?? 'csi.driver.under.test';
        config.storage = { drivers: [{ name: driver, type: 'endpoint', endpoint: unix(csiSocket) }], classes: [{ name: 'standard', driver, default: true }] };
      }
      configMap = { 'triad.yaml': stringify(config) };
      args.push('--config', `${SONOBUOY_CONFIG_DIR}/triad.yaml`, '--cni-cache-dir', `${cniState}/results`);
      hostNetwork = true;
      break;
    }
  }
  args.push(...(o.extraArgs ?? []), '--sonobuoy', '--stay');

  const securityContext: Obj = {
    runAsUser: 0,
    runAsGroup: 0,
    allowPrivilegeEscalation: false,
    capabilities: caps.length ? { drop: ['ALL'], add: caps } : { drop: ['ALL'] },
  };

  const def: PluginDefinition = {
    'sonobuoy-config': {
      driver: 'DaemonSet',
      'plugin-name': name,
      'result-format': 'junit',
      description: `triad conformance ${suite} on every node: ${{ cri: "the node's CRI runtime", csi: `the CSI driver ${o.driver ?? csiSocket}`, cni: "the node's CNI plugins", pod: "whole pods through the harness kubelet on the node's plugins" }[suite]}`,
    },
    spec: {
      name,
      image: o.image,
      imagePullPolicy: o.imagePullPolicy ?? 'IfNotPresent',
      args,
      env,
      volumeMounts: mounts,
      securityContext,
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
    },
    podSpec: {
      containers: [],
      hostNetwork,
      dnsPolicy: hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
      serviceAccountName: 'sonobuoy-serviceaccount',
      // Every node, also tainted control-plane nodes and nodes under pressure.
      tolerations: [{ operator: 'Exists' }],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      volumes,
    },
  };
  if (configMap) def['config-map'] = configMap;
  return def;
}

/** The definition as YAML, the file `sonobuoy run --plugin FILE` reads. */
export function pluginYaml(def: PluginDefinition): string {
  return stringify(def, { lineWidth: 0 });
}

/**
 * The pod Sonobuoy would run on `nodeName`, without its worker sidecar (the caller watches the
 * done file instead): podSpec + spec + the results volume, $RESULTS_DIR as Sonobuoy's `gen`
 * sets it, and the downward-API NODE_NAME resolved as the kubelet would (the harness kubelet
 * does not resolve valueFrom). `resultsDir` (a node directory) stands in for the emptyDir so
 * the caller can read the results.
 */
export function podFromDefinition(def: PluginDefinition, opts: { podName: string; nodeName: string; resultsDir: string; configDir?: string }): Obj {
  const spec = structuredClone(def.spec);
  spec.env = [
    ...spec.env.map((e) => (e.name === 'NODE_NAME' && e.valueFrom ? { name: 'NODE_NAME', value: opts.nodeName } : e)),
    { name: 'RESULTS_DIR', value: SONOBUOY_RESULTS_DIR },
    { name: 'SONOBUOY_RESULTS_DIR', value: SONOBUOY_RESULTS_DIR },
  ];
  const volumes: unknown[] = [...structuredClone(def.podSpec.volumes), { name: 'results', hostPath: { path: opts.resultsDir, type: 'DirectoryOrCreate' } }];
  if (def['config-map']) {
    if (!opts.configDir) throw new Error(`${def['sonobuoy-config']['plugin-name']} has a config-map: give configDir (the node directory holding its files)`);
    volumes.push({ name: 'sonobuoy-config', hostPath: { path: opts.configDir, type: 'Directory' } });
    spec.volumeMounts = [...spec.volumeMounts, { name: 'sonobuoy-config', mountPath: SONOBUOY_CONFIG_DIR, readOnly: true }];
  }
  // Everything of podSpec stays (scheduling fields included; the harness kubelet accepts them with a warning).
  const { containers: _none, ...podSpec } = structuredClone(def.podSpec);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: opts.podName, namespace: 'default', labels: { 'sonobuoy-plugin': def['sonobuoy-config']['plugin-name'] } },
    spec: { ...podSpec, containers: [spec], volumes },
  };
}
