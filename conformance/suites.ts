// The suite registry: every conformance suite the CLI knows, with its flags, how to build it from
// parsed flags, and how to run it against triad's own in-memory plugin (`triad conformance all`).
// CSI and CNI register here; the CRI and pod suites join with registerSuite().
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfFile, loadFirstConfList, type PluginConf } from '../interfaces/cni/index.js';
import { installCniBinary, MEMORY_CNI_TYPE } from '../plugins/memory-cni/index.js';
import { serveMemoryCsi } from '../plugins/memory-csi/index.js';
import { cniCases, cniSuite } from './cni/suite.js';
import { criRegistration } from './cri/register.js';
import { csiCases, csiSuite } from './csi/suite.js';
import { podRegistration } from './pod/register.js';
import type { CaseDef, Suite } from './runner/types.js';

export interface SuiteFlag {
  /** Commander flag syntax, e.g. '--csi.endpoint <ep>'. */
  flags: string;
  description: string;
  default?: string;
}

export interface PreparedSuite {
  suite: Suite<any>;
  /** Stop what prepare/inMemory started (servers, temp dirs). */
  dispose(): Promise<void>;
}

export interface RegisteredSuite {
  name: string;
  description: string;
  flags: SuiteFlag[];
  /** The cases, for --list (no plugin needed). */
  cases(): CaseDef<any>[];
  /** Build the suite from parsed flags (commander keeps dotted names as is: opts['csi.endpoint']). */
  prepare(opts: Record<string, unknown>): Promise<PreparedSuite>;
  /** The suite against triad's in-memory plugin; undefined when that cannot run here. */
  inMemory?(): Promise<PreparedSuite | undefined>;
}

const registry = new Map<string, RegisteredSuite>();

export function registerSuite(s: RegisteredSuite): void {
  if (registry.has(s.name)) throw new Error(`conformance suite ${s.name} is registered twice`);
  registry.set(s.name, s);
}

export const suites = (): RegisteredSuite[] => [...registry.values()];
export const getSuite = (name: string): RegisteredSuite | undefined => registry.get(name);

// ---- helpers ----------------------------------------------------------------------------------

const UNITS: Record<string, bigint> = {
  '': 1n,
  k: 1000n,
  K: 1000n,
  M: 1000n ** 2n,
  G: 1000n ** 3n,
  T: 1000n ** 4n,
  Ki: 1024n,
  Mi: 1024n ** 2n,
  Gi: 1024n ** 3n,
  Ti: 1024n ** 4n,
};

/** "1Gi", "500M", "1073741824" → bytes. */
export function parseSize(s: string): bigint {
  const m = /^(\d+)(k|K|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(s.trim());
  if (!m) throw new Error(`--test-volume-size ${JSON.stringify(s)} is not a size (bytes, or 512Mi, 1Gi, 10G…)`);
  return BigInt(m[1]) * UNITS[m[2] ?? ''];
}

/** YAML (or JSON) map of CreateVolume parameters; values become strings. */
export function loadParameters(file: string): Record<string, string> {
  const doc = parseYaml(readFileSync(file, 'utf8')) as unknown;
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${file}: expected a map of parameter names to values`);
  return Object.fromEntries(Object.entries(doc as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

// ---- CSI --------------------------------------------------------------------------------------

registerSuite({
  name: 'csi',
  description: 'CSI driver conformance (Identity, Controller, Node, snapshots, GroupController), csi-sanity style',
  flags: [
    { flags: '--csi.endpoint <ep>', description: 'CSI endpoint of the driver (unix:///path, a socket path, or host:port); also $CSI_ENDPOINT' },
    { flags: '--csi.controllerendpoint <ep>', description: 'controller service endpoint, when it is another one' },
    { flags: '--staging-dir <dir>', description: 'CO-created parent of staging paths (default: a temp dir)' },
    { flags: '--target-dir <dir>', description: 'CO-created parent of target paths (default: a temp dir)' },
    { flags: '--test-volume-parameters <file>', description: 'YAML map of CreateVolume parameters' },
    {
      flags: '--test-volume-mutable-parameters <file>',
      description: 'YAML map of mutable parameters the driver supports (ControllerModifyVolume cases; without it they are not applicable)',
    },
    { flags: '--test-volume-size <size>', description: 'capacity asked for test volumes (bytes or 1Gi, 512Mi…)', default: '1Gi' },
    { flags: '--test-volume-access-type <type>', description: 'mount or block', default: 'mount' },
  ],
  cases: () => csiCases,
  async prepare(o) {
    const endpoint = str(o['csi.endpoint']) ?? process.env.CSI_ENDPOINT;
    if (!endpoint) throw new Error('--csi.endpoint is required (or set CSI_ENDPOINT)');
    const access = str(o.testVolumeAccessType) ?? 'mount';
    if (access !== 'mount' && access !== 'block') throw new Error('--test-volume-access-type must be mount or block');
    return {
      suite: csiSuite({
        endpoint,
        controllerEndpoint: str(o['csi.controllerendpoint']),
        stagingDir: str(o.stagingDir),
        targetDir: str(o.targetDir),
        parameters: str(o.testVolumeParameters) ? loadParameters(o.testVolumeParameters as string) : undefined,
        mutableParameters: str(o.testVolumeMutableParameters) ? loadParameters(o.testVolumeMutableParameters as string) : undefined,
        volumeSize: parseSize(str(o.testVolumeSize) ?? '1Gi'),
        accessType: access,
      }),
      dispose: async () => undefined,
    };
  },
  async inMemory() {
    const dir = mkdtempSync(join(tmpdir(), 'triad-conformance-csi-'));
    try {
      const csi = await serveMemoryCsi({ nodeId: 'triad-conformance-node', dataDir: join(dir, 'data'), endpoint: join(dir, 'csi.sock') });
      return {
        // memory-csi's default mutable parameter keys are iops and tier.
        suite: csiSuite({ endpoint: csi.endpoint, stagingDir: join(dir, 'staging'), targetDir: join(dir, 'target'), mutableParameters: { tier: 'gold' } }),
        dispose: async () => {
          try {
            await csi.close();
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      };
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  },
});

// ---- CNI --------------------------------------------------------------------------------------

registerSuite({
  name: 'cni',
  description: 'CNI plugin conformance (VERSION, ADD, CHECK, DEL, errors, chaining, IPAM, STATUS/GC, netns)',
  flags: [
    { flags: '--cni-path <dirs>', description: `plugin binary dirs, "${delimiter}"-separated; also $CNI_PATH` },
    { flags: '--config <file>', description: 'network config (.conflist or .conf); default: the first config in $NETCONFPATH' },
    { flags: '--plugin <type>', description: 'which plugin of the list is under test (default: the first)' },
    { flags: '--chained', description: 'test the plugin as a chained plugin (it must carry prevResult on)' },
    { flags: '--netns', description: 'create a network namespace per case and check interfaces in it (root)' },
    { flags: '--parallel-adds <n>', description: 'ADDs run at once by the concurrency case', default: '50' },
    { flags: '--invalid-config <file>', description: 'JSON keys merged into the plugin config to make one it must reject (code 7)' },
    { flags: '--ipam-state-dir <dir>', description: 'host-local style allocation dir (<dir>/<network>/<ip>) to check DEL and GC against' },
  ],
  cases: () => cniCases,
  async prepare(o) {
    const pathText = str(o.cniPath) ?? process.env.CNI_PATH;
    if (!pathText) throw new Error('--cni-path is required (or set CNI_PATH)');
    const file = str(o.config);
    let list;
    if (file) list = loadConfFile(file);
    else if (process.env.NETCONFPATH) list = loadFirstConfList(process.env.NETCONFPATH);
    else throw new Error('--config is required (or set NETCONFPATH to a dir of network configs)');
    const type = str(o.plugin);
    const index = type ? list.plugins.findIndex((p) => p.type === type) : 0;
    if (index < 0)
      throw new Error(`--plugin ${type}: the network ${list.name} has no plugin of that type (it has ${list.plugins.map((p) => p.type).join(', ')})`);
    const n = Number(str(o.parallelAdds) ?? 50);
    if (!Number.isInteger(n) || n < 1) throw new Error('--parallel-adds must be a positive integer');
    const invalid = str(o.invalidConfig) ? (JSON.parse(readFileSync(o.invalidConfig as string, 'utf8')) as PluginConf) : undefined;
    return {
      suite: cniSuite({
        path: pathText.split(delimiter).filter(Boolean),
        list,
        pluginIndex: index,
        chained: o.chained === true ? true : undefined,
        netns: o.netns === true,
        parallelAdds: n,
        invalidConfig: invalid,
        ipamStateDir: str(o.ipamStateDir),
      }),
      dispose: async () => undefined,
    };
  },
  async inMemory() {
    const dir = mkdtempSync(join(tmpdir(), 'triad-conformance-cni-'));
    try {
      const bin = join(dir, 'bin');
      installCniBinary(bin, MEMORY_CNI_TYPE);
      const file = join(dir, '10-triad.conflist');
      writeFileSync(
        file,
        JSON.stringify(
          {
            cniVersion: '1.1.0',
            name: 'triad-conformance',
            plugins: [{ type: MEMORY_CNI_TYPE, subnet: '10.123.0.0/16', dataDir: join(dir, 'ipam') }],
          },
          null,
          2,
        ),
      );
      return {
        suite: cniSuite({ path: [bin], list: loadConfFile(file) }),
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      };
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  },
});

// ---- CRI (conformance/cri/register.ts) ----------------------------------------------------------

registerSuite(criRegistration);

// ---- pod (conformance/pod/register.ts) ----------------------------------------------------------

registerSuite(podRegistration);
