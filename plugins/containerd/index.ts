// containerd as a CRI runtime: connect to an existing socket, or run a PRIVATE instance from a
// generated config (own root/state/temp/socket/opt/runc root, CRI with restrict_oom_score_adj,
// a local pause image, overlayfs, private CNI dirs, a plain-HTTP local registry) and stop it
// without leaving anything: sandboxes first (so no shim, netns or veth outlives it), then the
// daemon by PID, leftover shims of THIS socket by PID, runc state and mounts by container id.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CriClient, defaultRuntimeEndpoint } from '../../interfaces/cri/client.js';
import { cmdline, findPids, logTail, pidAlive, startDaemon, stopPid, tryRun, waitFor, which } from '../reference/proc.js';

export { defaultRuntimeEndpoint };

export const CRI_NAMESPACE = 'k8s.io';
/** Where runc keeps state when a shim is not told otherwise (LAB.md: it lands here even with a private root). */
export const DEFAULT_RUNC_ROOT = '/run/containerd/runc';
/** containerd 1.6 puts shim sockets here, named sha256(<grpc address>/<ns>/<id>), whatever its state dir. */
export const SHIM_SOCKET_DIR = '/run/containerd/s';

/** libcni's default cache dir: containerd's CRI keeps each attachment's result in <it>/results. */
export const CNI_CACHE_DIR = '/var/lib/cni';

/**
 * Host directories a private containerd creates whatever its config says: shim sockets and
 * runc's default root for the CRI namespace under /run/containerd, libcni's result cache under
 * /var/lib/cni. Shared with any other runtime on the host: an instance records which of them
 * existed before it started and removes only the ones it created, and only once empty
 * (removeSharedDirsCreated), never by "is some containerd running".
 */
export const SHARED_DIRS = [
  '/run/containerd',
  SHIM_SOCKET_DIR,
  DEFAULT_RUNC_ROOT,
  join(DEFAULT_RUNC_ROOT, CRI_NAMESPACE),
  CNI_CACHE_DIR,
  join(CNI_CACHE_DIR, 'results'),
];

/** What a record without sharedDirs (older triad) implies existed: /run/containerd's dirs as it says, the rest yes. */
export function sharedDirsOfOldRecord(runContainerd: boolean): string[] {
  return SHARED_DIRS.filter((d) => runContainerd || !d.startsWith('/run/'));
}

/** Which of SHARED_DIRS exist now (record this before starting an instance). */
export function sharedDirsPresent(): string[] {
  return SHARED_DIRS.filter((d) => existsSync(d));
}

/** rmdir the SHARED_DIRS that were not there before (`before`), deepest first; never one that holds anything. */
export function removeSharedDirsCreated(before: string[]): string[] {
  const removed: string[] = [];
  for (const d of [...SHARED_DIRS].sort((a, b) => b.length - a.length)) {
    if (before.includes(d) || !existsSync(d)) continue;
    try {
      rmdirSync(d);
      removed.push(d);
    } catch {
      /* not empty (another runtime uses it) or gone */
    }
  }
  return removed;
}

export interface ContainerdPaths {
  dir: string;
  config: string;
  root: string;
  state: string;
  temp: string;
  opt: string;
  socket: string;
  /** runc --root for the CRI runtime (options.Root). */
  runcRoot: string;
  /** registry.config_path: one <host>/hosts.toml per registry. */
  certsDir: string;
  log: string;
}

export function containerdPaths(dir: string): ContainerdPaths {
  return {
    dir,
    config: join(dir, 'config.toml'),
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    temp: join(dir, 'tmp'),
    opt: join(dir, 'opt'),
    socket: join(dir, 'containerd.sock'),
    runcRoot: join(dir, 'runc'),
    certsDir: join(dir, 'certs.d'),
    log: join(dir, 'containerd.log'),
  };
}

export interface PrivateContainerdOptions {
  /** Everything of this instance lives here (config, root, state, socket, logs). */
  dir: string;
  /** e.g. 127.0.0.1:5000/pause:3.9 */
  sandboxImage: string;
  /** Plain-HTTP registries (host:port) to reach without TLS. */
  insecureRegistries?: string[];
  cniBinDir: string;
  cniConfDir: string;
  binary?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Ready timeout (CRI serving, runtime and network ready). */
  timeoutMs?: number;
  /** Polled while waiting for readiness: a reason string stops the instance and fails the start (e.g. on Ctrl-C). */
  abort?: () => string | undefined;
}

const q = (s: string) => JSON.stringify(s); // TOML basic strings accept JSON escapes

/** The config.toml (version 2) for a private instance. */
export function containerdConfig(o: PrivateContainerdOptions): string {
  const p = containerdPaths(o.dir);
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `# Private containerd for triad's reference stack (plugins/containerd). Generated: do not edit.
version = 2
root = ${q(p.root)}
state = ${q(p.state)}
temp = ${q(p.temp)}
oom_score = 0
# snapshotters that cannot work here or are not used: skipped to keep the log quiet
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = ${q(p.socket)}
  uid = 0
  gid = 0

# no separate ttrpc, debug or metrics listeners: nothing that could collide with another instance
[ttrpc]
  address = ""

[debug]
  address = ""
  level = ${q(o.logLevel ?? 'info')}

[metrics]
  address = ""

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = ${q(p.opt)}

  [${cri}]
    sandbox_image = ${q(o.sandboxImage)}
    # REQUIRED on these machines: without it runc cannot set the sandbox's oom_score_adj (-998)
    restrict_oom_score_adj = true
    # network namespaces under this instance's state dir, not /var/run/netns
    netns_mounts_under_state_dir = true
    disable_tcp_service = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    enable_selinux = false
    max_container_log_line_size = 16384

    [${cri}.containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [${cri}.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [${cri}.containerd.runtimes.runc.options]
          Root = ${q(p.runcRoot)}
          SystemdCgroup = false

    [${cri}.cni]
      bin_dir = ${q(o.cniBinDir)}
      conf_dir = ${q(o.cniConfDir)}
      max_conf_num = 1

    [${cri}.registry]
      config_path = ${q(p.certsDir)}
`;
}

/** hosts.toml for a plain-HTTP registry (the non-deprecated replacement of registry.mirrors). */
export function hostsToml(host: string): string {
  return `# written by triad: ${host} over plain HTTP\nserver = "http://${host}"\n\n[host."http://${host}"]\n  capabilities = ["pull", "resolve", "push"]\n  skip_verify = true\n`;
}

export interface ContainerdInstance {
  pid: number;
  endpoint: string;
  paths: ContainerdPaths;
}

/** Conditions RuntimeReady / NetworkReady from CRI Status. */
export async function criConditions(client: CriClient, timeoutMs = 5000): Promise<Record<string, { status: boolean; reason: string; message: string }>> {
  const st = await client.runtime.status({ verbose: false }, { timeoutMs });
  const out: Record<string, { status: boolean; reason: string; message: string }> = {};
  for (const c of st.status?.conditions ?? []) out[c.type] = { status: c.status, reason: c.reason, message: c.message };
  return out;
}

/** Wait until the CRI socket serves and Status reports RuntimeReady (and NetworkReady unless told not to). */
export async function waitCriReady(client: CriClient, opts: { timeoutMs?: number; network?: boolean; abort?: () => string | undefined } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  await waitFor(
    `CRI at ${client.endpoint}`,
    async () => {
      await client.waitForReady(1000);
      return true;
    },
    { timeoutMs, intervalMs: 100, abort: opts.abort },
  );
  await waitFor(
    `CRI Status ready at ${client.endpoint}`,
    async () => {
      const c = await criConditions(client);
      if (!c.RuntimeReady?.status) throw new Error(`RuntimeReady false: ${c.RuntimeReady?.reason ?? ''} ${c.RuntimeReady?.message ?? ''}`);
      if (opts.network !== false && !c.NetworkReady?.status)
        throw new Error(`NetworkReady false: ${c.NetworkReady?.reason ?? ''} ${c.NetworkReady?.message ?? ''}`);
      return true;
    },
    { timeoutMs: Math.max(1000, deadline - Date.now()), intervalMs: 200, abort: opts.abort },
  );
}

/** A CRI client on an existing containerd (default /run/containerd/containerd.sock or CONTAINER_RUNTIME_ENDPOINT), once ready. */
export async function connectContainerd(endpoint = defaultRuntimeEndpoint(), opts: { timeoutMs?: number; network?: boolean } = {}): Promise<CriClient> {
  const client = new CriClient(endpoint.includes('://') ? endpoint : `unix://${endpoint}`, { timeoutMs: 60_000 });
  try {
    await waitCriReady(client, { timeoutMs: opts.timeoutMs ?? 10_000, network: opts.network ?? false });
    return client;
  } catch (err) {
    client.close();
    throw err;
  }
}

/** Start a private containerd; resolves once its CRI reports runtime and network ready. */
export async function startContainerd(o: PrivateContainerdOptions): Promise<ContainerdInstance> {
  const bin = o.binary ?? which('containerd');
  if (!bin) throw new Error('containerd not found (apt-get install containerd runc)');
  const p = containerdPaths(o.dir);
  for (const d of [p.dir, p.root, p.state, p.temp, p.opt, p.runcRoot, p.certsDir]) mkdirSync(d, { recursive: true, mode: 0o711 });
  if (p.socket.length > 100) throw new Error(`socket path too long for a unix socket: ${p.socket}`);
  for (const host of o.insecureRegistries ?? []) {
    mkdirSync(join(p.certsDir, host), { recursive: true });
    writeFileSync(join(p.certsDir, host, 'hosts.toml'), hostsToml(host));
  }
  writeFileSync(p.config, containerdConfig(o));
  rmSync(p.socket, { force: true });
  const env = { ...process.env, TMPDIR: p.temp, PATH: `${process.env.PATH ?? ''}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` };
  const d = startDaemon(bin, ['--config', p.config], { log: p.log, env, cwd: p.dir });
  const inst: ContainerdInstance = { pid: d.pid, endpoint: `unix://${p.socket}`, paths: p };
  const client = new CriClient(inst.endpoint, { timeoutMs: 10_000 });
  try {
    await waitCriReady(client, {
      timeoutMs: o.timeoutMs ?? 30_000,
      abort: () => (d.exited() ? `containerd exited (${JSON.stringify(d.exited())}):\n${logTail(p.log)}` : o.abort?.()),
    });
  } catch (err) {
    client.close();
    await stopContainerd(inst, { drain: false }).catch(() => undefined);
    throw new Error(`${(err as Error).message}\n--- ${p.log} ---\n${logTail(p.log)}`);
  }
  client.close();
  return inst;
}

export function containerdAlive(inst: Pick<ContainerdInstance, 'pid' | 'paths'>): boolean {
  return pidAlive(inst.pid, inst.paths.config);
}

export interface DrainReport {
  pods: string[];
  containers: string[];
  errors: string[];
}

/** Stop and remove every container and sandbox the runtime knows (what kubelet does at node teardown). */
export async function removeAllPods(client: CriClient): Promise<DrainReport> {
  const r: DrainReport = { pods: [], containers: [], errors: [] };
  const note = (what: string) => (err: unknown) => {
    r.errors.push(`${what}: ${(err as Error).message}`);
  };
  const { containers } = await client.runtime.listContainers({});
  for (const c of containers) {
    r.containers.push(c.id);
    await client.runtime.stopContainer({ containerId: c.id, timeout: 0n }).catch(note(`stop container ${c.id}`));
    await client.runtime.removeContainer({ containerId: c.id }).catch(note(`remove container ${c.id}`));
  }
  const { items } = await client.runtime.listPodSandbox({});
  for (const s of items) {
    r.pods.push(s.id);
    await client.runtime.stopPodSandbox({ podSandboxId: s.id }).catch(note(`stop sandbox ${s.id}`));
    await client.runtime.removePodSandbox({ podSandboxId: s.id }).catch(note(`remove sandbox ${s.id}`));
  }
  return r;
}

function readdirSafe(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

/** Container ids this instance may have left state for (task dirs, runc dirs). */
export function knownTaskIds(p: ContainerdPaths): string[] {
  return [...new Set([...readdirSafe(join(p.state, 'io.containerd.runtime.v2.task', CRI_NAMESPACE)), ...readdirSafe(join(p.runcRoot, CRI_NAMESPACE))])].filter(
    (id) => /^[0-9a-f]{64}$/.test(id),
  );
}

/** Mount points at or below `dir`, deepest first (from /proc/mounts). */
export function mountsUnder(dir: string): string[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const base = dir.replace(/\/+$/, '');
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => unescape(l.split(' ')[1]))
    .filter((m) => m === base || m.startsWith(base + '/'))
    .sort((a, b) => b.length - a.length);
}

/** Unmount everything at or below `dir` (lazily when busy); returns what was unmounted. */
export async function unmountUnder(dir: string): Promise<string[]> {
  const done: string[] = [];
  for (let round = 0; round < 5; round++) {
    const ms = mountsUnder(dir);
    if (!ms.length) break;
    for (const m of ms) {
      const r = await tryRun('umount', [m]);
      if (r.code !== 0) await tryRun('umount', ['-l', m]);
      done.push(m);
    }
  }
  return [...new Set(done)];
}

export interface StopReport {
  drained?: DrainReport;
  daemon: 'not-running' | 'terminated' | 'killed';
  shims: number[];
  runcState: string[];
  /** libcni result cache entries of this instance's sandboxes, removed. */
  cniCache: string[];
  unmounted: string[];
}

/**
 * Stop a private instance: remove all sandboxes through its CRI (unless drain: false), stop
 * the daemon by PID, end shims still serving THIS socket by PID, delete runc state of its
 * container ids (private root and /run/containerd/runc/k8s.io), their shim sockets, and
 * unmount anything left under its dir. `removeDir` deletes the dir afterwards.
 */
export async function stopContainerd(inst: ContainerdInstance, opts: { drain?: boolean; removeDir?: boolean; extraIds?: string[] } = {}): Promise<StopReport> {
  const p = inst.paths;
  const ids = new Set<string>(opts.extraIds ?? []);
  const report: StopReport = { daemon: 'not-running', shims: [], runcState: [], cniCache: [], unmounted: [] };
  if (opts.drain !== false && containerdAlive(inst)) {
    const client = new CriClient(inst.endpoint, { timeoutMs: 30_000 });
    try {
      await client.waitForReady(3000);
      report.drained = await removeAllPods(client);
      for (const id of [...report.drained.pods, ...report.drained.containers]) ids.add(id);
    } catch (err) {
      report.drained = { pods: [], containers: [], errors: [`drain: ${(err as Error).message}`] };
    } finally {
      client.close();
    }
  }
  for (const id of knownTaskIds(p)) ids.add(id);
  report.daemon = await stopPid(inst.pid, { match: p.config, timeoutMs: 15_000 });

  // Shims outlive containerd by design: end the ones serving this socket (they are ours).
  const shims = findPids((argv) => /containerd-shim/.test(argv[0]) && argv.includes('-address') && argv[argv.indexOf('-address') + 1] === p.socket);
  for (const pid of shims) {
    const argv = cmdline(pid) ?? [];
    const i = argv.indexOf('-id');
    if (i >= 0 && argv[i + 1]) ids.add(argv[i + 1]);
    await stopPid(pid, { match: p.socket, timeoutMs: 3000 }).catch(() => undefined);
    report.shims.push(pid);
  }
  for (const id of knownTaskIds(p)) ids.add(id);

  const runc = which('runc');
  for (const root of [join(p.runcRoot, CRI_NAMESPACE), join(DEFAULT_RUNC_ROOT, CRI_NAMESPACE)]) {
    for (const id of ids) {
      const d = join(root, id);
      if (!existsSync(d)) continue;
      if (runc) await tryRun(runc, ['--root', root, 'delete', '--force', id]);
      rmSync(d, { recursive: true, force: true });
      report.runcState.push(d);
    }
  }
  for (const id of ids) {
    const sock = join(
      SHIM_SOCKET_DIR,
      createHash('sha256')
        .update(join(p.socket, CRI_NAMESPACE, id))
        .digest('hex'),
    );
    rmSync(sock, { force: true });
  }
  // libcni's cached results of our sandboxes (<network>-<sandbox id>-<ifname>): CNI DEL removes
  // them, a sandbox gone without one (a daemon killed, a network swapped) leaves them. Ours by id.
  const cache = join(CNI_CACHE_DIR, 'results');
  for (const f of readdirSafe(cache)) {
    if (![...ids].some((id) => f.includes(`-${id}-`))) continue;
    rmSync(join(cache, f), { force: true });
    report.cniCache.push(f);
  }
  report.unmounted = await unmountUnder(p.dir);
  if (opts.removeDir) {
    if (mountsUnder(p.dir).length) throw new Error(`mounts remain under ${p.dir}: ${mountsUnder(p.dir).join(', ')}`);
    rmSync(p.dir, { recursive: true, force: true });
  }
  return report;
}
