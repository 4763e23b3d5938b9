// The reference stack, set up by one call: Debian packages → offline images (busybox, pause)
// → a real local registry → the bridge CNI network → a private containerd (CRI) → the hostPath
// CSI driver as a daemon (see hostpath.ts) → triad.yaml.
// Its record, <stateDir>/stack.json, holds every PID, path and endpoint, so a second `up` finds
// the running stack and `down` removes all of it (sandboxes, daemons, mounts, veths, bridge,
// iptables rules, cgroups and dirs it created). Everything lives under one state dir:
//
//   <stateDir>/stack.json, triad.yaml, .triad-reference (marker)
//   <stateDir>/images/{busybox,pause}          OCI layouts (cache: rebuilt only when missing)
//   <stateDir>/registry/{config.yml,data,registry.log}
//   <stateDir>/cni/{bin,net.d,ipam}            plugin links, the conflist, host-local state
//   <stateDir>/containerd/{config.toml,containerd.sock,root,state,tmp,opt,runc,certs.d,containerd.log}
//   <stateDir>/hostpath/{csi.sock,root,hostpath.log}  the hostPath CSI driver (volumes under root)
//   <stateDir>/pods                            log dirs for sandboxes started by tests
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { contains, parseCidr } from '../../interfaces/cni/index.js';
import { CriClient } from '../../interfaces/cri/client.js';
import {
  addrsOf,
  bridgePorts,
  cleanupBridge,
  ensureBridge,
  gatewayOf,
  hostLocalAllocations,
  linkExists,
  links,
  natChains,
  parseSubnetRequest,
  pickSubnet,
  subnetConflict,
  writeBridgeConfList,
} from '../bridge/index.js';
import {
  containerdAlive,
  containerdPaths,
  criConditions,
  mountsUnder,
  removeSharedDirsCreated,
  sharedDirsOfOldRecord,
  sharedDirsPresent,
  startContainerd,
  stopContainerd,
  unmountUnder,
  type StopReport,
} from '../containerd/index.js';
import { buildImages, portFree, pushImage, registryAlive, registryDigest, registryReady, startRegistry, stopRegistry } from '../images/index.js';
import { hostpathStatus, startHostpathDaemon, stopHostpathDaemon, type HostpathDaemon, type HostpathStopReport } from './hostpath.js';
import { cniSourceDir, ensurePackages, isRoot } from './packages.js';
import { pidAlive, sleep } from './proc.js';

export { missingPackages, isRoot } from './packages.js';
export { HOSTPATH_NODE_ID, triadCliCommand, type HostpathDaemon } from './hostpath.js';

export const DEFAULT_STATE_DIR = '/var/lib/triad-reference';
export const DEFAULT_REGISTRY_PORT = 5000;
const MARKER = '.triad-reference';

export function defaultReferenceDir(env = process.env): string {
  return env.TRIAD_REFERENCE_DIR || DEFAULT_STATE_DIR;
}

export interface ReferenceOptions {
  /** Default: $TRIAD_REFERENCE_DIR or /var/lib/triad-reference. */
  stateDir?: string;
  /** Default: the first free port from 5000. */
  registryPort?: number;
  /**
   * The pod subnet: a /24../29 (exactly that), a larger block (a free /24 inside it), or `auto`.
   * Default: $TRIAD_REFERENCE_SUBNET, else auto — a free /24 in the private ranges that no route
   * or address on the machine overlaps, outside Kubernetes' service range (bridge/subnet.ts).
   */
  subnet?: string;
  /** Default: triad0 for the default state dir, triad<hash> otherwise (≤ 15 chars). */
  bridge?: string;
  /** apt-get install missing packages when root (default true). */
  installPackages?: boolean;
  /** Progress lines. */
  log?: (msg: string) => void;
  /** Checks the triad.yaml the stack writes (and finds at status); see ConfigCheck. */
  checkConfig?: ConfigCheck;
}

/**
 * Validates a triad.yaml's text, throwing an error that names the bad key. The stack writes the
 * harness's config but sits below the harness, so the caller (the CLI, a test) passes the
 * harness's parser in; without one, the file is written and reported unchecked.
 */
export type ConfigCheck = (text: string, file: string) => void;

export interface StackInfo {
  version: 1;
  stateDir: string;
  createdAt: string;
  /** 'starting' while up runs (a crash leaves it so; down still cleans), then 'up'. */
  phase: 'starting' | 'up';
  triadYaml: string;
  registry?: { pid: number; port: number; host: string; url: string; config: string; root: string; log: string };
  containerd?: { pid: number; endpoint: string; socket: string; dir: string; config: string; root: string; state: string; runcRoot: string; log: string };
  /** The hostPath CSI driver daemon (`triad serve hostpath-csi`), storage class `standard`. */
  hostpath?: HostpathDaemon;
  network: {
    name: string;
    bridge: string;
    subnet: string;
    gateway: string;
    conflist: string;
    confDir: string;
    binDir: string;
    sourceBinDir: string;
    ipamDir: string;
  };
  images?: { busybox: string; busyboxLatest: string; pause: string; digests: Record<string, string> };
  /** Host state before up, so down restores exactly that. */
  host: {
    ipForward: string;
    natChains: string[];
    cgroups: string[];
    /** /run/containerd existed (all a record said before sharedDirs). */
    runContainerd: boolean;
    sharedDirs?: string[];
  };
}

export interface UpResult extends StackInfo {
  reused: boolean;
  timingsMs: Record<string, number>;
}

const stackFile = (dir: string) => join(dir, 'stack.json');

export function readStack(stateDir = defaultReferenceDir()): StackInfo | undefined {
  try {
    return JSON.parse(readFileSync(stackFile(resolve(stateDir)), 'utf8')) as StackInfo;
  } catch {
    return undefined;
  }
}

function writeStack(s: StackInfo): void {
  writeFileSync(stackFile(s.stateDir), JSON.stringify(s, null, 2) + '\n');
}

// ---- lock: <stateDir>.lock (a directory holding the owner's pid) ----

async function withLock<T>(stateDir: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${stateDir}.lock`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSafe(join(lock, 'pid')));
      if (!owner || !pidAlive(owner)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (owner === process.pid) throw new Error(`reference stack ${stateDir}: re-entrant lock`);
      if (Date.now() > deadline) throw new Error(`reference stack ${stateDir} is locked by pid ${owner}`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function readFileSafe(f: string): string {
  try {
    return readFileSync(f, 'utf8').trim();
  } catch {
    return '';
  }
}

// ---- host state helpers ----

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';
const CGROUP_NAMES = ['k8s.io', 'kubepods'];

function cgroupCandidates(): string[] {
  const base = '/sys/fs/cgroup';
  const out: string[] = [];
  let ctrls: string[] = [];
  try {
    ctrls = readdirSync(base).filter((c) => statSync(join(base, c)).isDirectory());
  } catch {
    return out;
  }
  for (const name of CGROUP_NAMES) {
    out.push(join(base, name));
    for (const c of ctrls) out.push(join(base, c, name));
  }
  return out;
}

/** rmdir a directory tree bottom-up, directories only (cgroups, empty run dirs); never deletes files. */
function rmdirTree(d: string): boolean {
  let entries: string[] = [];
  try {
    entries = readdirSync(d, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.isSymbolicLink())
      .map((e) => e.name);
  } catch {
    return false;
  }
  for (const e of entries) rmdirTree(join(d, e));
  try {
    rmdirSync(d);
    return true;
  } catch {
    return false;
  }
}

function hashOf(s: string, n = 6): string {
  return createHash('sha256').update(s).digest('hex').slice(0, n);
}

function networkNames(stateDir: string, bridge?: string): { name: string; bridge: string } {
  if (stateDir === DEFAULT_STATE_DIR) return { name: 'triad-ref', bridge: bridge ?? 'triad0' };
  const h = hashOf(stateDir);
  return { name: `triad-ref-${h}`, bridge: bridge ?? `triad${h}` };
}

async function pickPort(start: number): Promise<number> {
  for (let p = start; p < start + 100; p++) if (await portFree(p)) return p;
  throw new Error(`no free port in ${start}..${start + 99}`);
}

// ---- up ----

function subnetSource(opts: ReferenceOptions): string {
  return opts.subnet !== undefined ? `--subnet ${opts.subnet}` : `TRIAD_REFERENCE_SUBNET=${process.env.TRIAD_REFERENCE_SUBNET ?? ''}`;
}

/** What the caller asked for: opts.subnet, else $TRIAD_REFERENCE_SUBNET, else auto. */
function subnetRequestOf(opts: ReferenceOptions) {
  return opts.subnet !== undefined
    ? parseSubnetRequest(opts.subnet, '--subnet')
    : parseSubnetRequest(process.env.TRIAD_REFERENCE_SUBNET, 'TRIAD_REFERENCE_SUBNET');
}

const SUBNET_HINT = '--subnet <cidr> (triad reference up) or TRIAD_REFERENCE_SUBNET (tests too)';

/**
 * The subnet request for ANOTHER network beside the stack (a second stack, a test's own bridge):
 * the block TRIAD_REFERENCE_SUBNET names when it is one, else auto (an exact subnet is the stack's own).
 */
export function extraSubnetRequest(env = process.env): string {
  const r = parseSubnetRequest(env.TRIAD_REFERENCE_SUBNET, 'TRIAD_REFERENCE_SUBNET');
  return r.kind === 'range' ? r.range : 'auto';
}

/** A free /24 for another network beside the stack (see extraSubnetRequest); `seed` spreads callers apart. */
export async function pickExtraSubnet(seed: string): Promise<string> {
  const want = extraSubnetRequest();
  const c = want === 'auto' ? await pickSubnet({ seed, hint: SUBNET_HINT }) : await pickSubnet({ ranges: [want], avoid: [], seed, hint: SUBNET_HINT });
  return c.subnet;
}

function subnetFits(subnet: string, want: ReturnType<typeof subnetRequestOf>): boolean {
  if (want.kind === 'auto') return true;
  if (want.kind === 'exact') return subnet === want.subnet;
  const r = parseCidr(want.range)!,
    s = parseCidr(subnet)!;
  return s.prefix >= r.prefix && contains(r, s);
}

/** Bring the stack up (or return the running one). */
export async function referenceUp(opts: ReferenceOptions = {}): Promise<UpResult> {
  const stateDir = resolve(opts.stateDir ?? defaultReferenceDir());
  const log = opts.log ?? (() => undefined);
  mkdirSync(join(stateDir, '..'), { recursive: true });
  return withLock(stateDir, async () => {
    const existing = readStack(stateDir);
    if (existing) {
      const st = await statusOf(existing, opts.checkConfig);
      if (st.healthy) {
        if (opts.registryPort && existing.registry?.port !== opts.registryPort)
          throw new Error(`reference stack at ${stateDir} is running with registry port ${existing.registry?.port}, not ${opts.registryPort} (run down first)`);
        const want = subnetRequestOf(opts);
        if (!subnetFits(existing.network.subnet, want))
          throw new Error(
            `reference stack at ${stateDir} is running with subnet ${existing.network.subnet}, not ${want.kind === 'exact' ? want.subnet : `inside ${want.kind === 'range' ? want.range : ''}`} (${subnetSource(opts)}; run down first)`,
          );
        log(`reusing the running stack at ${stateDir}`);
        return { ...existing, reused: true, timingsMs: {} };
      }
      log(`stack at ${stateDir} is not healthy (${st.problems.join('; ')}): tearing it down first`);
      await downLocked(stateDir, log);
    }
    return upLocked(stateDir, opts, log);
  });
}

async function upLocked(stateDir: string, opts: ReferenceOptions, log: (m: string) => void): Promise<UpResult> {
  const timings: Record<string, number> = {};
  const step = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
    const t = Date.now();
    log(`${name}…`);
    const r = await fn();
    timings[name] = Date.now() - t;
    return r;
  };
  if (!isRoot()) throw new Error('the reference stack needs root (containerd, network namespaces, iptables)');
  await step('packages', () => ensurePackages({ install: opts.installPackages, log }));

  const names = networkNames(stateDir, opts.bridge);
  if (await linkExists(names.bridge)) {
    // a bridge of this state dir without a running stack: left by a crash; ours by name
    log(`removing leftover bridge ${names.bridge}`);
    await cleanupBridge(names.bridge, { network: names.name });
  }

  const subnet = await step('subnet', async () => {
    const want = subnetRequestOf(opts);
    const hint = SUBNET_HINT;
    if (want.kind === 'exact') {
      const clash = await subnetConflict(want.subnet, names.bridge);
      if (clash) throw new Error(`subnet ${want.subnet} (${subnetSource(opts)}) overlaps ${clash} on this machine: choose another with ${hint}`);
      log(`subnet ${want.subnet} (${subnetSource(opts)})`);
      return want.subnet;
    }
    const c =
      want.kind === 'range'
        ? await pickSubnet({ ranges: [want.range], avoid: [], seed: stateDir, ownBridge: names.bridge, hint })
        : await pickSubnet({ seed: stateDir, ownBridge: names.bridge, hint });
    log(
      `subnet ${c.subnet}: free in ${c.range}${want.kind === 'range' ? ` (${subnetSource(opts)})` : ''}${c.passedOver.length ? `, passing over ${c.passedOver.join(', ')}` : ''}`,
    );
    return c.subnet;
  });
  const port = opts.registryPort ?? (await pickPort(DEFAULT_REGISTRY_PORT));
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, MARKER), 'triad reference stack state; removed by `triad reference down`\n');
  const sourceBinDir = cniSourceDir();
  const cniDir = join(stateDir, 'cni');
  const stack: StackInfo = {
    version: 1,
    stateDir,
    createdAt: new Date().toISOString(),
    phase: 'starting',
    triadYaml: join(stateDir, 'triad.yaml'),
    network: {
      ...names,
      subnet,
      gateway: gatewayOf(subnet).ip,
      confDir: join(cniDir, 'net.d'),
      conflist: join(cniDir, 'net.d', `10-${names.name}.conflist`),
      binDir: join(cniDir, 'bin'),
      sourceBinDir,
      ipamDir: join(cniDir, 'ipam'),
    },
    host: {
      ipForward: readFileSafe(IP_FORWARD),
      natChains: await natChains(),
      cgroups: cgroupCandidates().filter((d) => existsSync(d)),
      runContainerd: existsSync('/run/containerd'),
      sharedDirs: sharedDirsPresent(),
    },
  };
  writeStack(stack);

  try {
    const built = await step('images', () => buildImages(join(stateDir, 'images')));
    const reg = await step('registry', () => startRegistry({ dir: join(stateDir, 'registry'), port }));
    stack.registry = reg;
    writeStack(stack);
    const [bb, pause] = await step('push', () => Promise.all([pushImage(built.busybox, reg.host), pushImage(built.pause, reg.host)]));
    stack.images = {
      busybox: bb.refs[0],
      busyboxLatest: bb.refs[1],
      pause: pause.refs[0],
      digests: { busybox: built.busybox.manifestDigest, pause: built.pause.manifestDigest },
    };

    await step('network', async () => {
      const n = stack.network;
      mkdirSync(n.binDir, { recursive: true });
      for (const f of readdirSync(sourceBinDir)) {
        const link = join(n.binDir, f);
        if (!existsSync(link)) symlinkSync(join(sourceBinDir, f), link);
      }
      writeBridgeConfList(n.confDir, { name: n.name, bridge: n.bridge, subnet: n.subnet, dataDir: n.ipamDir });
      await ensureBridge(n.bridge, n.subnet);
    });
    writeStack(stack);

    // containerd and the hostPath CSI daemon start side by side (independent; each takes 1-3 s).
    // allSettled, not all: both are recorded before a failure of either is thrown, so the
    // cleanup below never races a daemon still starting.
    const [cdR, hpR] = await Promise.allSettled([
      step('containerd', () =>
        startContainerd({
          dir: join(stateDir, 'containerd'),
          sandboxImage: stack.images!.pause,
          insecureRegistries: [reg.host],
          cniBinDir: stack.network.binDir,
          cniConfDir: stack.network.confDir,
        }),
      ),
      step('hostpath', () => startHostpathDaemon(join(stateDir, 'hostpath'))),
    ]);
    if (cdR.status === 'fulfilled') {
      const cd = cdR.value;
      const p = cd.paths;
      stack.containerd = {
        pid: cd.pid,
        endpoint: cd.endpoint,
        socket: p.socket,
        dir: p.dir,
        config: p.config,
        root: p.root,
        state: p.state,
        runcRoot: p.runcRoot,
        log: p.log,
      };
    }
    if (hpR.status === 'fulfilled') stack.hostpath = hpR.value;
    writeStack(stack);
    if (cdR.status === 'rejected') throw cdR.reason;
    if (hpR.status === 'rejected') throw hpR.reason;

    await step('triad.yaml', () => writeTriadYaml(stack, opts.checkConfig));
    stack.phase = 'up';
    writeStack(stack);
    return { ...stack, reused: false, timingsMs: timings };
  } catch (err) {
    log(`up failed: ${(err as Error).message}; cleaning up`);
    await downLocked(stateDir, log).catch((e) => log(`cleanup after failed up: ${(e as Error).message}`));
    throw err;
  }
}

/** The triad.yaml for this stack (checked with the caller's ConfigCheck before it is written). */
export function triadYamlText(s: StackInfo): string {
  const j = JSON.stringify;
  return [
    `# triad.yaml for the reference stack (written by \`triad reference up\`; state: ${s.stateDir})`,
    `# Use: TRIAD_CONFIG=${s.triadYaml} (or --config). Tear down: triad reference down --state-dir ${s.stateDir}`,
    'runtime:',
    '  type: containerd',
    `  endpoint: ${j(s.containerd!.endpoint)}`,
    '  containerd:',
    `    sandboxImage: ${j(s.images!.pause)}`,
    `    registry: ${j(s.registry!.host)}`,
    'network:',
    '  type: cni',
    `  subnet: ${j(s.network.subnet)}`,
    `  config: ${j(s.network.conflist)}`,
    '  binDirs:',
    `    - ${j(s.network.binDir)}`,
    'storage:',
    `  # ${s.hostpath!.name}: the hostPath CSI driver daemon of this stack (pid ${s.hostpath!.pid}, volumes under root);`,
    '  # memory.csi.triad.dev: the in-memory driver, started inside each harness node.',
    '  drivers:',
    '    - name: memory.csi.triad.dev',
    '      type: memory',
    `    - name: ${j(s.hostpath!.name)}`,
    '      type: hostpath',
    `      endpoint: ${j(s.hostpath!.endpoint)}`,
    `      root: ${j(s.hostpath!.root)}`,
    '  classes:',
    '    - name: standard',
    `      driver: ${j(s.hostpath!.name)}`,
    '      default: true',
    '    - name: memory',
    '      driver: memory.csi.triad.dev',
    '',
  ].join('\n');
}

function writeTriadYaml(s: StackInfo, check?: ConfigCheck): void {
  const text = triadYamlText(s);
  check?.(text, s.triadYaml); // throws if the harness's schema disagrees
  writeFileSync(s.triadYaml, text);
}

// ---- down ----

export interface DownReport {
  stateDir: string;
  found: boolean;
  containerd?: StopReport;
  hostpath?: HostpathStopReport;
  registry?: string;
  bridge?: Awaited<ReturnType<typeof cleanupBridge>>;
  unmounted: string[];
  cgroupsRemoved: string[];
  /** Shared host dirs the stack created (SHARED_DIRS in plugins/containerd), removed once empty. */
  sharedDirsRemoved?: string[];
  ipForwardRestored: boolean;
  removed: boolean;
}

/** Tear the stack down completely; safe to call when nothing is running or nothing exists. */
export async function referenceDown(opts: { stateDir?: string; log?: (m: string) => void } = {}): Promise<DownReport> {
  const stateDir = resolve(opts.stateDir ?? defaultReferenceDir());
  if (!existsSync(stateDir)) return { stateDir, found: false, unmounted: [], cgroupsRemoved: [], ipForwardRestored: false, removed: false };
  return withLock(stateDir, () => downLocked(stateDir, opts.log ?? (() => undefined)));
}

async function downLocked(stateDir: string, log: (m: string) => void): Promise<DownReport> {
  const s = readStack(stateDir);
  const report: DownReport = { stateDir, found: !!s, unmounted: [], cgroupsRemoved: [], ipForwardRestored: false, removed: false };
  if (!s && !existsSync(join(stateDir, MARKER))) {
    if (existsSync(stateDir)) throw new Error(`${stateDir} exists but is not a triad reference stack (no stack.json or ${MARKER}): not touching it`);
    return report;
  }
  if (s) {
    const cdDir = s.containerd?.dir ?? join(stateDir, 'containerd');
    if (existsSync(cdDir)) {
      log('stopping containerd (sandboxes first)…');
      report.containerd = await stopContainerd({
        pid: s.containerd?.pid ?? 0,
        endpoint: s.containerd?.endpoint ?? `unix://${containerdPaths(cdDir).socket}`,
        paths: containerdPaths(cdDir),
      });
    }
    // after containerd (no container holds a volume any more): stop by PID, then destroy
    const hpDir = join(stateDir, 'hostpath');
    if (s.hostpath || existsSync(hpDir)) {
      log('stopping the hostPath CSI driver and removing its volumes and mounts…');
      report.hostpath = await stopHostpathDaemon(hpDir, s.hostpath?.pid);
      if (report.hostpath.error) log(`hostpath destroy: ${report.hostpath.error}`);
    }
    if (s.registry) {
      log('stopping the registry…');
      report.registry = await stopRegistry(s.registry.pid);
    }
    log(`removing bridge ${s.network.bridge}…`);
    report.bridge = await cleanupBridge(s.network.bridge, { network: s.network.name, dataDir: s.network.ipamDir, preexistingChains: s.host.natChains });
    // cgroups: its containers' own (<k8s.io>/<id>, by the ids its containerd had), then a
    // k8s.io/kubepods root it created, once empty. Another runtime's k8s.io cgroups are never
    // touched: they are not in our ids, and a root that holds them is not empty.
    const ids = [
      ...new Set([
        ...(report.containerd?.drained?.pods ?? []),
        ...(report.containerd?.drained?.containers ?? []),
        ...(report.containerd?.runcState ?? []).map((d) => basename(d)),
      ]),
    ];
    for (const d of cgroupCandidates()) {
      if (!existsSync(d)) continue;
      if (basename(d) === 'k8s.io') for (const id of ids) if (rmdirTree(join(d, id))) report.cgroupsRemoved.push(join(d, id));
      if (s.host.cgroups.includes(d)) continue;
      if (rmdirTree(d)) report.cgroupsRemoved.push(d);
    }
    report.sharedDirsRemoved = removeSharedDirsCreated(s.host.sharedDirs ?? sharedDirsOfOldRecord(s.host.runContainerd));
    if (s.host.ipForward === '0' && readFileSafe(IP_FORWARD) === '1' && !(await otherTriadBridges(s.network.bridge))) {
      try {
        writeFileSync(IP_FORWARD, '0');
        report.ipForwardRestored = true;
      } catch {
        /* read-only /proc/sys */
      }
    }
  }
  report.unmounted = await unmountUnder(stateDir);
  const left = mountsUnder(stateDir);
  if (left.length) throw new Error(`mounts remain under ${stateDir}: ${left.join(', ')}; not removing it`);
  rmSync(stateDir, { recursive: true, force: true });
  report.removed = true;
  return report;
}

/** Is another triad reference bridge up (then ip_forward stays as it is)? */
async function otherTriadBridges(own: string): Promise<boolean> {
  return (await links()).some((l) => l.ifname !== own && /^triad/.test(l.ifname) && l.linkinfo?.info_kind === 'bridge');
}

// ---- status ----

export interface ComponentStatus {
  ok: boolean;
  detail: string;
}

export interface StatusReport {
  stateDir: string;
  healthy: boolean;
  problems: string[];
  components: {
    registry: ComponentStatus;
    images: ComponentStatus;
    containerd: ComponentStatus;
    network: ComponentStatus;
    hostpath: ComponentStatus;
    config: ComponentStatus;
  };
  stack?: StackInfo;
}

export async function referenceStatus(opts: { stateDir?: string; checkConfig?: ConfigCheck } = {}): Promise<StatusReport> {
  const stateDir = resolve(opts.stateDir ?? defaultReferenceDir());
  const s = readStack(stateDir);
  if (!s) {
    const none = { ok: false, detail: 'not set up' };
    return {
      stateDir,
      healthy: false,
      problems: [`no stack at ${stateDir} (run: triad reference up)`],
      components: { registry: none, images: none, containerd: none, network: none, hostpath: none, config: none },
    };
  }
  return statusOf(s, opts.checkConfig);
}

async function statusOf(s: StackInfo, checkConfig?: ConfigCheck): Promise<StatusReport> {
  const c: StatusReport['components'] = {
    registry: { ok: false, detail: 'not started' },
    images: { ok: false, detail: 'not pushed' },
    containerd: { ok: false, detail: 'not started' },
    network: { ok: false, detail: '' },
    hostpath: { ok: false, detail: 'not started' },
    config: { ok: false, detail: '' },
  };
  if (s.registry) {
    const alive = registryAlive(s.registry.pid);
    const ready = alive && (await registryReady(s.registry.port));
    c.registry = {
      ok: ready,
      detail: `pid ${s.registry.pid} ${alive ? 'running' : 'not running'}, ${s.registry.url}/v2/ ${ready ? 'answers' : 'does not answer'}`,
    };
  }
  if (s.images && c.registry.ok) {
    const want = [
      [s.images.busybox, s.images.digests.busybox],
      [s.images.busyboxLatest, s.images.digests.busybox],
      [s.images.pause, s.images.digests.pause],
    ] as const;
    const bad: string[] = [];
    for (const [ref, digest] of want) {
      const [, path] = ref.split(/\/(.*)/s);
      const [name, tag] = path.split(':');
      if ((await registryDigest(s.registry!.host, name, tag)) !== digest) bad.push(ref);
    }
    c.images = { ok: bad.length === 0, detail: bad.length ? `missing from the registry: ${bad.join(', ')}` : `${want.map((w) => w[0]).join(', ')}` };
  }
  if (s.containerd) {
    const inst = { pid: s.containerd.pid, paths: containerdPaths(s.containerd.dir) };
    if (!containerdAlive(inst)) c.containerd = { ok: false, detail: `pid ${s.containerd.pid} not running` };
    else {
      const client = new CriClient(s.containerd.endpoint, { timeoutMs: 5000 });
      try {
        await client.waitForReady(3000);
        const cond = await criConditions(client);
        const v = await client.runtime.version({ version: 'v1' });
        const ok = !!cond.RuntimeReady?.status && !!cond.NetworkReady?.status;
        c.containerd = {
          ok,
          detail: `pid ${s.containerd.pid}, ${v.runtimeName} ${v.runtimeVersion} (CRI ${v.runtimeApiVersion}) at ${s.containerd.endpoint}; RuntimeReady=${!!cond.RuntimeReady?.status} NetworkReady=${!!cond.NetworkReady?.status}${ok ? '' : ` ${cond.NetworkReady?.message ?? ''}`}`,
        };
      } catch (err) {
        c.containerd = { ok: false, detail: `pid ${s.containerd.pid} running but CRI fails: ${(err as Error).message}` };
      } finally {
        client.close();
      }
    }
  }
  {
    const n = s.network;
    const exists = await linkExists(n.bridge);
    const gw = exists ? (await addrsOf(n.bridge)).includes(gatewayOf(n.subnet).cidr) : false;
    const confOk = existsSync(n.conflist);
    const pods = exists ? (await bridgePorts(n.bridge)).length : 0;
    c.network = {
      ok: exists && gw && confOk,
      detail: `bridge ${n.bridge} ${exists ? (gw ? `up with ${gatewayOf(n.subnet).cidr}` : 'without its gateway address') : 'missing'}, subnet ${n.subnet}, ${pods} veth(s), ${hostLocalAllocations(n.ipamDir, n.name).length} IP(s) allocated${confOk ? '' : `, ${n.conflist} missing`}`,
    };
  }
  if (s.hostpath) c.hostpath = await hostpathStatus(s.hostpath);
  try {
    const text = readFileSync(s.triadYaml, 'utf8');
    checkConfig?.(text, s.triadYaml);
    c.config = { ok: true, detail: checkConfig ? s.triadYaml : `${s.triadYaml} (present; not checked against the harness's schema)` };
  } catch (err) {
    c.config = { ok: false, detail: (err as Error).message };
  }
  const problems = Object.entries(c)
    .filter(([, v]) => !v.ok)
    .map(([k, v]) => `${k}: ${v.detail}`);
  if (s.phase !== 'up') problems.unshift(`phase ${s.phase} (an up did not finish)`);
  return { stateDir: s.stateDir, healthy: problems.length === 0, problems, components: c, stack: s };
}
