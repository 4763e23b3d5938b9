// triad.yaml: which runtime, network and storage plugins the harness drives, plus timings.
// No file means everything in-memory. Changing one line swaps one plugin:
//
//   runtime: { type: memory, images: images.yaml }  # (images: more images for the memory runtime) or containerd (socket / private), or endpoint
//            # private containerd (containerd without endpoint; root only): triad starts and stops
//            # its own, under <stateDir>/containerd or runtime.containerd.root, with
//            # containerd: { sandboxImage, registry (both required), binary?, root? }; its CNI comes
//            # from `network` (memory: the triad-memory plugin exec'd by containerd; cni: that
//            # conflist and binDirs; none: rejected, containerd runs CNI for every sandbox)
//   network: { type: memory, subnet: 10.88.0.0/16 } # or cni (conflist + bin dirs), or none
//   storage:
//     drivers: [{ name: memory.csi.triad.dev, type: memory }]   # or hostpath, or endpoint
//     classes: [{ name: standard, driver: memory.csi.triad.dev, default: true }]
//   kubelet: { stateDir: /tmp/triad, backoff: { initialMs: 10000, maxMs: 300000 } }
//
// Any runtime, network or driver entry may carry `faults:` (a list of rules) and `record:` (a JSONL
// transcript file). A memory plugin runs its rules itself (interfaces/faults.ts); in front of a
// real one the harness puts the interposer (the gRPC proxy; for CNI the shim) with the rules of
// interfaces/interposer/rules.ts. `record:` on any plugin puts the interposer in front to record.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { parseFaultRules, type FaultRule } from '../../interfaces/faults.js';
import { parseInterposerRules, type InterposerRule } from '../../interfaces/interposer/rules.js';
import { loadImageFile } from '../../plugins/memory-cri/image-file.js';

export interface RuntimeConfig {
  type: 'memory' | 'containerd' | 'endpoint';
  /** CRI endpoint for `endpoint`, or an existing containerd socket (unset: triad starts a private containerd). */
  endpoint?: string;
  imageEndpoint?: string;
  /**
   * Private containerd settings (type containerd without endpoint: triad starts one, see
   * harness/private-containerd.ts). sandboxImage (the pause image, e.g. 127.0.0.1:5000/pause:3.9)
   * and registry (the plain-HTTP host:port it pulls from, e.g. 127.0.0.1:5000) are required for
   * it — `triad reference up` serves both (stack.json: images.pause, registry.host); binary
   * defaults to containerd on PATH; root (everything of the instance: config, state, socket, CNI
   * dirs) defaults to <kubelet.stateDir>/containerd. With an endpoint, sandboxImage and registry
   * are informational only (the reference stack's triad.yaml records them) and binary/root are refused.
   */
  containerd?: { binary?: string; root?: string; sandboxImage?: string; registry?: string };
  /** memory: an images file (plugins/memory-cri/README.md) whose images are served besides the built-in ones; absolute. */
  images?: string;
  /** Fault rules run inside the memory runtime; for a real one they go to `interpose`. */
  faults: FaultRule[];
  interpose?: Interpose;
}

/**
 * `faults:` on a real plugin, or `record:` on any: the harness puts the interposer (the gRPC
 * proxy, or for CNI the shim) in front of the plugin with these rules and this transcript file.
 */
export interface Interpose {
  rules: InterposerRule[];
  record?: string;
}

export interface NetworkConfig {
  type: 'memory' | 'cni' | 'none';
  /** memory: the IPAM subnet (kept on the harness, never routed). */
  subnet: string;
  /** cni: a .conflist/.conf file, or a directory whose first config (by name) is used. */
  config?: string;
  binDirs: string[];
  faults: FaultRule[];
  interpose?: Interpose;
}

export interface DriverConfig {
  name: string;
  type: 'memory' | 'hostpath' | 'endpoint';
  endpoint?: string;
  controllerEndpoint?: string;
  /** hostpath: the directory holding the volumes. */
  root?: string;
  faults: FaultRule[];
  interpose?: Interpose;
}

export interface ClassConfig {
  name: string;
  driver: string;
  parameters: Record<string, string>;
  default: boolean;
}

export interface KubeletConfig {
  stateDir: string;
  nodeName: string;
  plegPeriodMs: number;
  /** Follow the runtime's container event stream besides relisting (kubelet's EventedPLEG gate; default off, as there). */
  eventedPleg: boolean;
  backoff: { initialMs: number; maxMs: number };
  probeTimeScale: number;
  rpcTimeoutMs: number;
  cgroupRoot: string;
}

export interface TriadConfig {
  /** The file this came from, for error messages and relative paths. */
  source: string;
  runtime: RuntimeConfig;
  network: NetworkConfig;
  storage: { drivers: DriverConfig[]; classes: ClassConfig[] };
  kubelet: KubeletConfig;
}

export const MEMORY_DRIVER = 'memory.csi.triad.dev';

/** runtime.type containerd without runtime.endpoint: triad starts a private containerd. */
export const isPrivateContainerd = (r: Pick<RuntimeConfig, 'type' | 'endpoint'>): boolean => r.type === 'containerd' && !r.endpoint;

const REFERENCE_HINT =
  '`triad reference up` serves a pause image from a local registry: its stack.json (/var/lib/triad-reference/stack.json) has them as images.pause and registry.host';

/**
 * Why a private containerd cannot be started from this config (field path + message), or
 * undefined. Checked by parseConfig, and again by startNode for configs built in code.
 */
export function privateContainerdProblem(cfg: Pick<TriadConfig, 'runtime' | 'network'>): { path: string; message: string } | undefined {
  const r = cfg.runtime;
  if (!isPrivateContainerd(r)) return undefined;
  const cd = r.containerd ?? {};
  const what = 'a private containerd (runtime.type containerd without runtime.endpoint)';
  if (!cd.sandboxImage)
    return {
      path: 'runtime.containerd.sandboxImage',
      message: `required for ${what}: the pause image every pod sandbox runs, pulled from runtime.containerd.registry (e.g. 127.0.0.1:5000/pause:3.9); ${REFERENCE_HINT}`,
    };
  if (!cd.registry)
    return {
      path: 'runtime.containerd.registry',
      message: `required for ${what}: the plain-HTTP registry (host:port, e.g. 127.0.0.1:5000) it pulls the sandbox image and pod images from; ${REFERENCE_HINT}`,
    };
  if (/[/\s]/.test(cd.registry))
    return { path: 'runtime.containerd.registry', message: `must be host[:port] with no scheme or path (got ${JSON.stringify(cd.registry)})` };
  if (r.imageEndpoint)
    return { path: 'runtime.imageEndpoint', message: `${what} serves images on its own socket: remove runtime.imageEndpoint (or set runtime.endpoint)` };
  if (cfg.network.type === 'none')
    return {
      path: 'network.type',
      message: `none does not work with ${what}: containerd runs CNI for every pod sandbox (and reports NetworkReady=false without a network); use network.type memory (the triad-memory CNI plugin, which configures no interface) or cni (a conflist + binDirs)`,
    };
  return undefined;
}

export class ConfigError extends Error {
  constructor(source: string, path: string, message: string) {
    super(`${source}: ${path ? path + ': ' : ''}${message}`);
    this.name = 'ConfigError';
  }
}

export function defaultStateDir(): string {
  return process.env.TRIAD_STATE_DIR || join(tmpdir(), `triad-${process.getuid?.() ?? 'user'}`);
}

export function loadConfig(file?: string): TriadConfig {
  if (!file) return parseConfig({}, '(defaults)');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, '', `cannot read config: ${(err as Error).message}`);
  }
  return parseConfigText(text, file);
}

/** A triad.yaml's text, parsed and validated; errors name `file` (and the line of a YAML error). */
export function parseConfigText(text: string, file: string): TriadConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const line = err instanceof YAMLParseError && err.linePos ? ` (line ${err.linePos[0].line})` : '';
    throw new ConfigError(file, '', `invalid YAML${line}: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseConfig(raw ?? {}, file);
}

type Obj = Record<string, unknown>;

/** Validate and default a config object; every error names the file and the field path. */
export function parseConfig(raw: unknown, source: string): TriadConfig {
  const base = source.startsWith('(') ? process.cwd() : dirname(resolve(source));
  const fail = (path: string, msg: string): never => {
    throw new ConfigError(source, path, msg);
  };
  const obj = (v: unknown, path: string): Obj => {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) fail(path, 'must be a mapping');
    return v as Obj;
  };
  const known = (o: Obj, path: string, keys: string[]) => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`${path ? path + '.' : ''}${k}`, `unknown field (known: ${keys.join(', ')})`);
  };
  const str = (o: Obj, k: string, path: string, def?: string): string | undefined => {
    const v = o[k];
    if (v === undefined) return def;
    if (typeof v !== 'string' || !v) fail(`${path}.${k}`, 'must be a non-empty string');
    return v as string;
  };
  const int = (o: Obj, k: string, path: string, def: number, min = 0): number => {
    const v = o[k];
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) fail(`${path}.${k}`, `must be a number ≥ ${min}`);
    return v as number;
  };
  const oneOf = <T extends string>(o: Obj, k: string, path: string, values: T[], def: T): T => {
    const v = o[k] ?? def;
    if (!values.includes(v as T)) fail(`${path}.${k}`, `must be one of ${values.join(', ')} (got ${JSON.stringify(v)})`);
    return v as T;
  };
  const file = (p: string | undefined) => (p === undefined ? undefined : resolve(base, p));
  // A memory plugin runs its fault rules itself (interfaces/faults.ts, container exits included);
  // a real one gets the interposer in front (interfaces/interposer/rules.ts: + match, nth, drop, corrupt, remove).
  const faults = (o: Obj, path: string, memory: boolean) => {
    if (!memory) return [];
    try {
      return parseFaultRules(o.faults, `${path}.faults`);
    } catch (err) {
      return fail('', (err as Error).message);
    }
  };
  const interpose = (o: Obj, path: string, memory: boolean): Interpose | undefined => {
    const record = file(str(o, 'record', path));
    let rules: InterposerRule[] = [];
    if (!memory) {
      try {
        rules = parseInterposerRules(o.faults, `${path}.faults`);
      } catch (err) {
        return fail('', (err as Error).message);
      }
    }
    return rules.length || record ? { rules, record } : undefined;
  };

  const top = obj(raw, '');
  known(top, '', ['runtime', 'network', 'storage', 'kubelet']);

  const r = obj(top.runtime, 'runtime');
  known(r, 'runtime', ['type', 'endpoint', 'imageEndpoint', 'containerd', 'images', 'faults', 'record']);
  const cd = obj(r.containerd, 'runtime.containerd');
  known(cd, 'runtime.containerd', ['binary', 'root', 'sandboxImage', 'registry']);
  const runtimeType = oneOf(r, 'type', 'runtime', ['memory', 'containerd', 'endpoint'], 'memory');
  const runtime: RuntimeConfig = {
    type: runtimeType,
    endpoint: str(r, 'endpoint', 'runtime'),
    imageEndpoint: str(r, 'imageEndpoint', 'runtime'),
    containerd: {
      binary: str(cd, 'binary', 'runtime.containerd'),
      root: file(str(cd, 'root', 'runtime.containerd')),
      sandboxImage: str(cd, 'sandboxImage', 'runtime.containerd'),
      registry: str(cd, 'registry', 'runtime.containerd'),
    },
    images: file(str(r, 'images', 'runtime')),
    faults: faults(r, 'runtime', runtimeType === 'memory'),
    interpose: interpose(r, 'runtime', runtimeType === 'memory'),
  };
  if (runtime.type === 'endpoint' && !runtime.endpoint) fail('runtime.endpoint', 'required when runtime.type is endpoint');
  if (runtime.type === 'containerd' && runtime.endpoint) {
    for (const key of ['binary', 'root'] as const)
      if (runtime.containerd?.[key])
        fail(`runtime.containerd.${key}`, 'only for a private containerd (runtime.type containerd without runtime.endpoint): remove it, or runtime.endpoint');
  }
  if (runtime.images) {
    if (runtime.type !== 'memory')
      fail('runtime.images', `an images file is for the memory runtime (runtime.type is ${runtime.type}: its images come from a registry)`);
    // read now, so a bad file is reported with the config rather than when the node starts
    try {
      loadImageFile(runtime.images);
    } catch (err) {
      fail('runtime.images', (err as Error).message);
    }
  }

  const n = obj(top.network, 'network');
  known(n, 'network', ['type', 'subnet', 'config', 'binDirs', 'faults', 'record']);
  const binDirs = n.binDirs === undefined ? ['/opt/cni/bin', '/usr/lib/cni'] : n.binDirs;
  if (!Array.isArray(binDirs) || binDirs.some((d) => typeof d !== 'string')) fail('network.binDirs', 'must be a list of directories');
  const networkType = oneOf(n, 'type', 'network', ['memory', 'cni', 'none'], 'memory');
  if (networkType === 'memory' && n.record !== undefined)
    fail('network.record', 'the memory network runs inside the memory runtime, with no exec to interpose on: record the runtime (runtime.record) instead');
  if (networkType === 'none' && (n.faults !== undefined || n.record !== undefined))
    fail(n.faults !== undefined ? 'network.faults' : 'network.record', 'network.type none runs no CNI plugin to interpose on');
  const network: NetworkConfig = {
    type: networkType,
    subnet: str(n, 'subnet', 'network', '10.88.0.0/16')!,
    config: file(str(n, 'config', 'network')),
    binDirs: (binDirs as string[]).map((d) => resolve(base, d)),
    faults: faults(n, 'network', networkType === 'memory'),
    interpose: interpose(n, 'network', networkType === 'memory'),
  };
  if (network.type === 'cni' && !network.config) fail('network.config', 'required when network.type is cni (a .conflist file or a directory of configs)');
  const cdProblem = privateContainerdProblem({ runtime, network });
  if (cdProblem) fail(cdProblem.path, cdProblem.message);
  if (runtime.type !== 'memory' && network.type === 'memory') {
    // a real runtime calls CNI itself, from its own config: the memory network is then its CNI plugin
  }

  const s = obj(top.storage, 'storage');
  known(s, 'storage', ['drivers', 'classes']);
  const rawDrivers = s.drivers === undefined ? [{ name: MEMORY_DRIVER, type: 'memory' }] : s.drivers;
  if (!Array.isArray(rawDrivers)) fail('storage.drivers', 'must be a list');
  const drivers: DriverConfig[] = (rawDrivers as unknown[]).map((d, i) => {
    const p = `storage.drivers[${i}]`;
    const o = obj(d, p);
    known(o, p, ['name', 'type', 'endpoint', 'controllerEndpoint', 'root', 'faults', 'record']);
    const type = oneOf(o, 'type', p, ['memory', 'hostpath', 'endpoint'], 'memory');
    const dc: DriverConfig = {
      name: str(o, 'name', p) ?? fail(`${p}.name`, 'required'),
      type,
      endpoint: str(o, 'endpoint', p),
      controllerEndpoint: str(o, 'controllerEndpoint', p),
      root: file(str(o, 'root', p)),
      faults: faults(o, p, type === 'memory'),
      interpose: interpose(o, p, type === 'memory'),
    };
    if (dc.type === 'endpoint' && !dc.endpoint) fail(`${p}.endpoint`, 'required when type is endpoint');
    return dc;
  });
  const names = new Set<string>();
  drivers.forEach((d, i) => {
    if (names.has(d.name)) fail(`storage.drivers[${i}].name`, `duplicate driver ${d.name}`);
    names.add(d.name);
  });
  const rawClasses = s.classes === undefined ? [{ name: 'standard', driver: drivers[0]?.name, default: true }] : s.classes;
  if (!Array.isArray(rawClasses)) fail('storage.classes', 'must be a list');
  const classes: ClassConfig[] = (rawClasses as unknown[]).map((c, i) => {
    const p = `storage.classes[${i}]`;
    const o = obj(c, p);
    known(o, p, ['name', 'driver', 'parameters', 'default']);
    const driver = str(o, 'driver', p) ?? fail(`${p}.driver`, 'required');
    if (!names.has(driver)) fail(`${p}.driver`, `no driver named ${driver} in storage.drivers`);
    const params = obj(o.parameters, `${p}.parameters`);
    for (const [k, v] of Object.entries(params)) if (typeof v !== 'string') fail(`${p}.parameters.${k}`, 'must be a string');
    return { name: str(o, 'name', p) ?? fail(`${p}.name`, 'required'), driver, parameters: params as Record<string, string>, default: o.default === true };
  });

  const k = obj(top.kubelet, 'kubelet');
  known(k, 'kubelet', ['stateDir', 'nodeName', 'plegPeriodMs', 'eventedPleg', 'backoff', 'probeTimeScale', 'rpcTimeoutMs', 'cgroupRoot']);
  const b = obj(k.backoff, 'kubelet.backoff');
  known(b, 'kubelet.backoff', ['initialMs', 'maxMs']);
  const kubelet: KubeletConfig = {
    stateDir: file(str(k, 'stateDir', 'kubelet')) ?? defaultStateDir(),
    nodeName: str(k, 'nodeName', 'kubelet', 'triad-node')!,
    plegPeriodMs: int(k, 'plegPeriodMs', 'kubelet', 1000, 1),
    eventedPleg:
      k.eventedPleg === undefined ? false : typeof k.eventedPleg === 'boolean' ? k.eventedPleg : fail('kubelet.eventedPleg', 'must be true or false'),
    backoff: { initialMs: int(b, 'initialMs', 'kubelet.backoff', 10_000), maxMs: int(b, 'maxMs', 'kubelet.backoff', 300_000) },
    probeTimeScale: int(k, 'probeTimeScale', 'kubelet', 1),
    rpcTimeoutMs: int(k, 'rpcTimeoutMs', 'kubelet', 120_000, 1),
    cgroupRoot: typeof k.cgroupRoot === 'string' ? k.cgroupRoot : runtime.type === 'memory' ? '' : 'kubepods',
  };
  if (kubelet.backoff.maxMs < kubelet.backoff.initialMs) fail('kubelet.backoff.maxMs', 'must be ≥ initialMs');
  return { source, runtime, network, storage: { drivers, classes }, kubelet };
}
