// A private containerd for `runtime: { type: containerd }` without an endpoint: startNode starts
// one (plugins/containerd startContainerd) and node.close() removes it again.
//
// Everything of the instance lives in ONE directory, runtime.containerd.root or
// <kubelet.stateDir>/containerd (so two nodes with different state dirs never collide):
//
//   <dir>/triad-private.json          the record: owner (pid + start time), containerd pid, what
//                                     the network needs undone (bridges it created, host state)
//   <dir>/config.toml, containerd.sock, root, state, tmp, opt, runc, certs.d, containerd.log
//   <dir>/cni/net.d                   its CNI conf dir: ONE conflist, from the `network` section
//   <dir>/cni/bin                     its CNI bin dir (containerd 1.6 takes one): links / wrappers
//   <dir>/cni/ipam                    network.type memory: the triad-memory plugin's allocations
//
// The CNI network comes from triad.yaml's `network` section:
//   memory  the triad-memory plugin installed as an executable (installCniBinary) that containerd
//           execs, with `subnet` and `faults`, plus the loopback plugin (containerd sets up `lo`
//           through it). It configures no interface: pods get an IP that nothing routes.
//   cni     the given conflist (or the first config of the given directory), copied into the conf
//           dir; the plugins of `binDirs` (first dir wins) linked into the bin dir. A bridge the
//           conflist names that does not exist at start is created by the bridge plugin for our
//           pods: close() deletes it (once no port is left on it) and restores ip_forward.
//   none    refused (config.ts): containerd runs CNI for every sandbox and is not NetworkReady
//           without a network; hostNetwork-only nodes are not supported.
//
// close() drains the sandboxes through CRI, stops the daemon and its shims by PID, deletes runc
// state, unmounts what is under the dir, undoes the network's host state and removes the dir.
// With keepPods (a daemon restart), the instance keeps running and its record is released: the
// next startNode with the same dir ADOPTS it when its config is unchanged (the kubelet then
// adopts the pods). A record whose owner died (kill -9) is adopted the same way, or, when the
// config changed or the instance is broken, cleaned up before a fresh start. A dir in use by a
// live owner is refused; so is an existing non-empty dir without a record (never ours to delete).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { confFiles, loadConfFile } from '../interfaces/cni/index.js';
import { CriClient } from '../interfaces/cri/client.js';
import { bridgePorts, cleanupBridge, cleanupPortmapRules, DEFAULT_BIN_DIRS, linkExists, links, natChains } from '../plugins/bridge/index.js';
import {
  containerdAlive,
  containerdConfig,
  containerdPaths,
  mountsUnder,
  removeSharedDirsCreated,
  sharedDirsOfOldRecord,
  sharedDirsPresent,
  startContainerd,
  stopContainerd,
  unmountUnder,
  waitCriReady,
  type ContainerdInstance,
  type PrivateContainerdOptions,
} from '../plugins/containerd/index.js';
import { installCniBinary, MEMORY_CNI_TYPE } from '../plugins/memory-cni/index.js';
import { findPids, which } from '../plugins/reference/proc.js';
import { isPrivateContainerd, privateContainerdProblem, type TriadConfig } from './config/config.js';
import { cgroupBases, podCgroups, rmEmptyDirs } from './kubelet/cgroups.js';

export const RECORD_FILE = 'triad-private.json';
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/** What a node tells about its private containerd (Node.privateContainerd). */
export interface PrivateContainerdInfo {
  pid: number;
  endpoint: string;
  /** The instance's directory (removed by close). */
  dir: string;
  /** Taken over from a previous owner (keepPods, or a killed triad) instead of started. */
  adopted: boolean;
  network: {
    type: 'memory' | 'cni';
    /** CNI network name (the conflist's `name`). */
    name: string;
    confDir: string;
    binDir: string;
    conflist: string;
    /** memory: the triad-memory plugin's dataDir (allocations in <ipamDir>/<name>). */
    ipamDir?: string;
    /** Bridges of the conflist that did not exist before: deleted by close. */
    bridgesCreated: string[];
  };
}

export interface PrivateContainerd extends PrivateContainerdInfo {
  /** Stop and remove everything (or with keep: leave it running for the next owner). */
  close(opts?: { keep?: boolean }): Promise<void>;
}

interface OwnerRef {
  pid: number;
  start: string;
}

interface PrivateRecord {
  version: 1;
  createdAt: string;
  owner: OwnerRef | null;
  containerdPid: number;
  network: { type: 'memory' | 'cni'; name: string; bridgesCreated: string[]; portmap: boolean };
  /** Host state before the first start, restored at the final close. */
  host: {
    natChains: string[];
    ipForward: string;
    runContainerd: boolean;
    /** Which of the shared host dirs existed (SHARED_DIRS in plugins/containerd); absent in older records. */
    sharedDirs?: string[];
    /** kubelet.cgroupRoot, its pod cgroups before the start, and where the root itself already was. */
    cgroupRoot: string;
    podCgroups: string[];
    cgroupRootsBefore: string[];
  };
}

/** Dirs of private containerds owned by this process (two nodes of one process, same dir). */
const inUse = new Set<string>();

function procStart(pid: number): string | undefined {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2).split(' ')[19]; // field 22, starttime
  } catch {
    return undefined;
  }
}

const ownerAlive = (o: OwnerRef | null | undefined): boolean => !!o && procStart(o.pid) === o.start;
const me = (): OwnerRef => ({ pid: process.pid, start: procStart(process.pid) ?? '' });

function readRecord(dir: string): PrivateRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, RECORD_FILE), 'utf8')) as PrivateRecord;
  } catch {
    return undefined;
  }
}

function writeRecord(dir: string, r: PrivateRecord): void {
  const f = join(dir, RECORD_FILE);
  writeFileSync(`${f}.tmp`, JSON.stringify(r, null, 2) + '\n');
  renameSync(`${f}.tmp`, f); // a crash never leaves half a record
}

function readFileSafe(f: string): string {
  try {
    return readFileSync(f, 'utf8').trim();
  } catch {
    return '';
  }
}

function readdirSafe(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

/** The directory of the private instance for this config. */
export function privateContainerdDir(cfg: TriadConfig): string {
  return resolve(cfg.runtime.containerd?.root ?? join(cfg.kubelet.stateDir, 'containerd'));
}

/**
 * Everything that makes a private containerd impossible before anything is started: the
 * containerd section (sandboxImage, registry), the network (none), root, the binaries and the
 * socket path length. Throws an Error naming the field.
 */
export function checkPrivateContainerd(
  cfg: TriadConfig,
  env: { uid?: number; which?: (bin: string) => string | undefined } = {},
): { binary: string; dir: string } {
  if (!isPrivateContainerd(cfg.runtime)) throw new Error(`${cfg.source}: runtime: not a private containerd`);
  const problem = privateContainerdProblem(cfg);
  if (problem) throw new Error(`${cfg.source}: ${problem.path}: ${problem.message}`);
  const uid = env.uid ?? process.getuid?.() ?? -1;
  if (uid !== 0) {
    throw new Error(
      `${cfg.source}: runtime: a private containerd (runtime.type containerd without runtime.endpoint) needs root — it mounts overlayfs snapshots, creates network namespaces and runs runc — and this is uid ${uid}: run triad as root, set runtime.endpoint to a running containerd's CRI socket, or use runtime.type memory`,
    );
  }
  const find = env.which ?? which;
  const bin = cfg.runtime.containerd?.binary;
  const binary = bin ? find(bin) : find('containerd');
  if (!binary)
    throw new Error(
      bin
        ? `${cfg.source}: runtime.containerd.binary: ${bin} not found`
        : `${cfg.source}: runtime: containerd not found on PATH for a private containerd (apt-get install containerd runc, or set runtime.containerd.binary)`,
    );
  if (!find('runc'))
    throw new Error(`${cfg.source}: runtime: runc not found on PATH (a private containerd runs its containers with runc: apt-get install runc)`);
  const dir = privateContainerdDir(cfg);
  const sock = containerdPaths(dir).socket;
  if (sock.length > 100)
    throw new Error(
      `${cfg.source}: runtime.containerd.root: the socket path ${sock} is too long for a unix socket (${sock.length} > 100): set runtime.containerd.root (or kubelet.stateDir) to a shorter directory`,
    );
  return { binary, dir };
}

// ---- the CNI network of the instance -------------------------------------------------------

interface NetSetup {
  record: PrivateRecord['network'];
  info: PrivateContainerdInfo['network'];
}

function findPluginDir(type: string, dirs: string[]): string | undefined {
  return dirs.find((d) => existsSync(join(d, type)));
}

function linkPlugins(binDir: string, dirs: string[]): void {
  mkdirSync(binDir, { recursive: true });
  for (const d of dirs) {
    for (const f of readdirSafe(d)) {
      const link = join(binDir, f);
      if (!existsSync(link)) {
        try {
          symlinkSync(join(d, f), link);
        } catch {
          /* raced: first wins */
        }
      }
    }
  }
}

/**
 * The instance's CNI network from triad.yaml: written into its dirs, or with write: false only
 * worked out (what it would be), so a previous instance can be judged, and if need be torn
 * down, while its own network config is still in place (its pods' CNI DEL needs it).
 */
async function setupNetwork(cfg: TriadConfig, dir: string, previous?: PrivateRecord['network'], write = true): Promise<NetSetup> {
  const net = cfg.network;
  const confDir = join(dir, 'cni', 'net.d');
  const binDir = join(dir, 'cni', 'bin');
  if (write) {
    mkdirSync(confDir, { recursive: true });
    mkdirSync(binDir, { recursive: true });
  }
  // exactly one config in the conf dir (what containerd loads is what triad.yaml says), written
  // only when it changes: an adopted containerd reloads the dir on every change
  const putConf = (file: string, text: string) => {
    if (!write) return join(confDir, file);
    for (const f of readdirSafe(confDir)) if (f !== file) rmSync(join(confDir, f), { recursive: true, force: true });
    if (readFileSafe(join(confDir, file)) !== text.trim()) writeFileSync(join(confDir, file), text);
    return join(confDir, file);
  };
  const searchDirs = [...new Set([...net.binDirs, ...(process.env.CNI_PATH ?? '').split(':').filter(Boolean), ...DEFAULT_BIN_DIRS])];
  // containerd sets up `lo` of every sandbox through the loopback plugin, whatever the network
  const loDir = findPluginDir('loopback', searchDirs);
  if (!loDir)
    throw new Error(
      `${cfg.source}: network.binDirs: no CNI loopback plugin in ${searchDirs.join(', ')} — containerd configures each sandbox's lo through it (apt-get install containernetworking-plugins)`,
    );

  if (net.type === 'memory') {
    const ipamDir = join(dir, 'cni', 'ipam');
    if (write) {
      mkdirSync(ipamDir, { recursive: true });
      installCniBinary(binDir, MEMORY_CNI_TYPE); // one bundle of the current sources: never stale, one module load an exec
      if (!existsSync(join(binDir, 'loopback'))) symlinkSync(join(loDir, 'loopback'), join(binDir, 'loopback'));
    }
    const name = 'triad-memory';
    const plugin: Record<string, unknown> = { type: MEMORY_CNI_TYPE, subnet: net.subnet, dataDir: ipamDir, routes: [] };
    if (net.faults.length) plugin.faults = net.faults;
    const conflist = putConf('10-triad-memory.conflist', JSON.stringify({ cniVersion: '1.0.0', name, plugins: [plugin] }, null, 2) + '\n');
    return {
      record: { type: 'memory', name, bridgesCreated: [], portmap: false },
      info: { type: 'memory', name, confDir, binDir, conflist, ipamDir, bridgesCreated: [] },
    };
  }
  if (net.type !== 'cni') throw new Error(`${cfg.source}: network.type: ${net.type} does not work with a private containerd (use memory or cni)`);
  let src = net.config!;
  if (!existsSync(src)) throw new Error(`${cfg.source}: network.config: ${src} does not exist`);
  if (statSync(src).isDirectory()) {
    const files = confFiles(src);
    if (!files.length) throw new Error(`${cfg.source}: network.config: no .conf, .conflist or .json file in ${src}`);
    src = files[0];
  }
  let list;
  try {
    list = loadConfFile(src);
  } catch (err) {
    throw new Error(`${cfg.source}: network.config: ${(err as Error).message}`);
  }
  const dirs = [...new Set(net.binDirs)];
  const missing = list.plugins.map((p) => p.type).filter((t) => !findPluginDir(t, dirs));
  if (missing.length) throw new Error(`${cfg.source}: network.binDirs: no CNI plugin ${missing.join(', ')} (used by ${src}) in ${dirs.join(', ')}`);
  if (write) {
    linkPlugins(binDir, dirs);
    if (!existsSync(join(binDir, 'loopback'))) symlinkSync(join(loDir, 'loopback'), join(binDir, 'loopback'));
  }
  const conflist = putConf(basename(src), readFileSync(src, 'utf8'));
  const bridges = [...new Set(list.plugins.filter((p) => p.type === 'bridge').map((p) => (typeof p.bridge === 'string' && p.bridge) || 'cni0'))];
  const created = new Set(previous?.bridgesCreated ?? []);
  for (const b of bridges) if (!(await linkExists(b))) created.add(b);
  const bridgesCreated = [...created];
  return {
    record: { type: 'cni', name: list.name, bridgesCreated, portmap: list.plugins.some((p) => p.type === 'portmap') },
    info: { type: 'cni', name: list.name, confDir, binDir, conflist, bridgesCreated },
  };
}

// ---- teardown ------------------------------------------------------------------------------

/**
 * Stop the instance recorded in `dir` and undo everything of it: sandboxes, daemon, shims, runc
 * state, mounts, the bridges its network created, shared portmap chains, ip_forward,
 * /run/containerd when it made it — then remove the dir. Returns what could not be undone.
 */
async function teardown(dir: string, rec: PrivateRecord | undefined, log: (m: string) => void): Promise<string[]> {
  const problems: string[] = [];
  const paths = containerdPaths(dir);
  // the recorded pid, or (a triad killed before it recorded one) the daemon running our config
  let pid = rec?.containerdPid ?? 0;
  if (!containerdAlive({ pid, paths })) pid = findPids((argv) => /(^|\/)containerd$/.test(argv[0] ?? '') && argv.includes(paths.config))[0] ?? 0;
  const inst: ContainerdInstance = { pid, endpoint: `unix://${paths.socket}`, paths };
  const rep = await stopContainerd(inst, { drain: true });
  for (const e of rep.drained?.errors ?? []) {
    // "drain: …" is an unreachable CRI (a daemon already gone): its shims and runc state are
    // still removed by PID and id below, so it is worth a line, not a failure
    if (e.startsWith('drain:')) log(`private containerd ${dir}: ${e}`);
    else problems.push(`private containerd ${dir}: ${e}`);
  }
  if (rep.drained && (rep.drained.pods.length || rep.drained.containers.length))
    log(`private containerd ${dir}: removed ${rep.drained.pods.length} sandbox(es), ${rep.drained.containers.length} container(s) left by the node`);
  let deletedBridge = false;
  for (const b of rec?.network.bridgesCreated ?? []) {
    if (!(await linkExists(b))) continue;
    const ports = await bridgePorts(b);
    if (ports.length) {
      problems.push(`bridge ${b} (created for this node's pods) still has ports ${ports.join(', ')}: left in place`);
      continue;
    }
    try {
      await cleanupBridge(b);
      deletedBridge = true;
    } catch (err) {
      problems.push(`bridge ${b}: ${(err as Error).message}`);
    }
  }
  if (rec?.network.portmap)
    await cleanupPortmapRules(rec.network.name, rec.host.natChains, { networkRules: false }).catch((e: Error) => problems.push(`portmap chains: ${e.message}`));
  if (deletedBridge && rec?.host.ipForward === '0' && readFileSafe(IP_FORWARD) === '1') {
    // the bridge plugin (isGateway) turned forwarding on; off again unless another triad bridge is up
    const others = (await links()).some((l) => /^triad|^cni/.test(l.ifname) && l.linkinfo?.info_kind === 'bridge');
    if (!others) {
      try {
        writeFileSync(IP_FORWARD, '0');
      } catch {
        /* read-only /proc/sys */
      }
    }
  }
  // the shared host dirs this instance created (shim sockets, runc's default root, CNI cache),
  // by its record of which were there before, and only once empty (another runtime's stay)
  if (rec) removeSharedDirsCreated(rec.host.sharedDirs ?? sharedDirsOfOldRecord(rec.host.runContainerd));
  if (rec) removePodCgroups(rec.host);
  await unmountUnder(dir);
  const left = mountsUnder(dir);
  if (left.length) problems.push(`mounts remain under ${dir}: ${left.join(', ')}; not removing it`);
  else rmSync(dir, { recursive: true, force: true });
  return problems;
}

// ---- pod cgroups (cgroupfs; see kubelet/cgroups.ts): the kubelet removes each pod's as it goes;
// what is left (pods kept running, a killed harness) goes with the instance ----

function cgroupRoots(root: string): string[] {
  return root
    ? cgroupBases()
        .map((b) => join(b, root))
        .filter((d) => existsSync(d))
    : [];
}

function cgroupSnapshot(root: string): Pick<PrivateRecord['host'], 'cgroupRoot' | 'podCgroups' | 'cgroupRootsBefore'> {
  return { cgroupRoot: root, podCgroups: podCgroups(root), cgroupRootsBefore: cgroupRoots(root) };
}

/** rmdir the pod cgroups that appeared since the start and are empty now (never one with a task or a child). */
function removePodCgroups(h: PrivateRecord['host']): void {
  if (!h.cgroupRoot) return;
  const before = new Set(h.podCgroups);
  for (const d of podCgroups(h.cgroupRoot)) if (!before.has(d)) rmEmptyDirs(d);
  const rootsBefore = new Set(h.cgroupRootsBefore);
  for (const r of cgroupRoots(h.cgroupRoot)) if (!rootsBefore.has(r)) rmEmptyDirs(r);
}

/**
 * Remove the private containerd recorded in `dir` (one left by a killed triad): refused while
 * its owner runs. Nothing happens when `dir` holds no record.
 */
export async function removePrivateContainerd(dir: string, log: (m: string) => void = () => undefined): Promise<boolean> {
  const rec = readRecord(dir);
  if (!rec) return false;
  if (ownerAlive(rec.owner) && !(rec.owner!.pid === process.pid && !inUse.has(dir)))
    throw new Error(`the private containerd in ${dir} belongs to the running triad pid ${rec.owner!.pid}`);
  const problems = await teardown(dir, rec, log);
  if (problems.length) throw new Error(problems.join('; '));
  return true;
}

// ---- start ---------------------------------------------------------------------------------

export interface StartPrivateOptions {
  log?: (msg: string) => void;
  /** Polled while starting: a reason aborts the start (which then cleans up). */
  abort?: () => string | undefined;
  timeoutMs?: number;
}

/** Start (or adopt) the private containerd of `cfg`; resolves once its CRI is ready. */
export async function startPrivateContainerd(cfg: TriadConfig, o: StartPrivateOptions = {}): Promise<PrivateContainerd> {
  const log = o.log ?? (() => undefined);
  const { binary, dir } = checkPrivateContainerd(cfg);
  const cd = cfg.runtime.containerd!;
  if (inUse.has(dir))
    throw new Error(
      `${cfg.source}: runtime.containerd.root: ${dir} is the private containerd of another node of this process (give each node its own kubelet.stateDir or runtime.containerd.root)`,
    );

  const previous = readRecord(dir);
  if (!previous && readdirSafe(dir).length) {
    throw new Error(
      `${cfg.source}: runtime.containerd.root: ${dir} exists and is not a triad private containerd (no ${RECORD_FILE}): not touching it; point runtime.containerd.root at a new or empty directory`,
    );
  }
  if (previous && ownerAlive(previous.owner)) {
    throw new Error(
      `${cfg.source}: runtime.containerd.root: the private containerd in ${dir} belongs to the running triad pid ${previous.owner!.pid} (give this node its own kubelet.stateDir or runtime.containerd.root)`,
    );
  }
  const containerdOptions = (net: NetSetup): PrivateContainerdOptions => ({
    dir,
    binary,
    sandboxImage: cd.sandboxImage!,
    insecureRegistries: [cd.registry!],
    cniBinDir: net.info.binDir,
    cniConfDir: net.info.confDir,
    timeoutMs: o.timeoutMs,
    abort: o.abort,
  });
  inUse.add(dir);
  try {
    const paths = containerdPaths(dir);
    // ---- a previous owner's instance: adopt it when unchanged and healthy, else clean it up
    if (previous) {
      // worked out, not written: a previous instance that is not adopted is torn down with its
      // own network config still in place (else its pods' CNI DEL runs against the new one and
      // the old attachments' results stay in libcni's cache)
      const net = await setupNetwork(cfg, dir, previous.network, false);
      const opts = containerdOptions(net);
      const prevInst = { pid: previous.containerdPid, paths };
      const same =
        readFileSafe(paths.config) === containerdConfig(opts).trim() && previous.network.type === net.record.type && previous.network.name === net.record.name;
      if (same && containerdAlive(prevInst)) {
        const client = new CriClient(`unix://${paths.socket}`, { timeoutMs: 5000 });
        const healthy = await waitCriReady(client, { timeoutMs: 5000 }).then(
          () => true,
          () => false,
        );
        client.close();
        if (healthy) {
          const written = await setupNetwork(cfg, dir, previous.network);
          const rec: PrivateRecord = { ...previous, owner: me(), network: written.record };
          writeRecord(dir, rec);
          log(`adopting the private containerd pid ${previous.containerdPid} in ${dir} (left running by triad pid ${previous.owner?.pid ?? '?'})`);
          return handle(dir, rec, written, true, log);
        }
      }
      log(
        `private containerd in ${dir}: ${containerdAlive(prevInst) ? `pid ${previous.containerdPid} left by a previous triad is ${same ? 'not healthy' : 'configured differently'}` : 'a previous instance died'}: cleaning it up first`,
      );
      const problems = await teardown(dir, previous, log);
      if (problems.length) throw new Error(`cannot clean up the previous private containerd in ${dir}: ${problems.join('; ')}`);
    }
    // a fresh instance: the record first (a crash from here on leaves a dir the next start
    // recognises and cleans), then the network, then the daemon
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    const rec: PrivateRecord = {
      version: 1,
      createdAt: new Date().toISOString(),
      owner: me(),
      containerdPid: 0,
      network: { type: cfg.network.type === 'cni' ? 'cni' : 'memory', name: '', bridgesCreated: [], portmap: false },
      host: {
        natChains: await natChains(),
        ipForward: readFileSafe(IP_FORWARD),
        runContainerd: existsSync('/run/containerd'),
        sharedDirs: sharedDirsPresent(),
        ...cgroupSnapshot(cfg.kubelet.cgroupRoot),
      },
    };
    writeRecord(dir, rec);
    let net: NetSetup;
    try {
      net = await setupNetwork(cfg, dir);
    } catch (err) {
      await teardown(dir, rec, log).catch(() => undefined);
      throw err;
    }
    rec.network = net.record;
    writeRecord(dir, rec);
    const opts = containerdOptions(net);
    const started = Date.now();
    let inst: ContainerdInstance;
    try {
      inst = await startContainerd(opts);
    } catch (err) {
      await teardown(dir, rec, log).catch(() => undefined);
      throw err;
    }
    rec.containerdPid = inst.pid;
    writeRecord(dir, rec);
    log(`private containerd pid ${inst.pid} ready in ${Date.now() - started} ms at ${inst.endpoint} (CNI network ${net.info.name}, ${net.info.type})`);
    return handle(dir, rec, net, false, log);
  } catch (err) {
    inUse.delete(dir);
    throw err;
  }
}

function handle(dir: string, rec: PrivateRecord, net: NetSetup, adopted: boolean, log: (m: string) => void): PrivateContainerd {
  let closed: Promise<void> | undefined;
  return {
    pid: rec.containerdPid,
    endpoint: `unix://${containerdPaths(dir).socket}`,
    dir,
    adopted,
    network: net.info,
    close: (opts = {}) =>
      (closed ??= (async () => {
        try {
          if (opts.keep) {
            writeRecord(dir, { ...rec, owner: null });
            log(`keeping the private containerd pid ${rec.containerdPid} in ${dir} running (the next node with this dir adopts it)`);
            return;
          }
          const problems = await teardown(dir, rec, log);
          if (problems.length) throw new Error(problems.join('; '));
        } finally {
          inUse.delete(dir);
        }
      })()),
  };
}
