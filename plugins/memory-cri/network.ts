// Pod networking for memory-cri. The runtime talks to a PodNetwork: any object with add/del
// (and optionally status), e.g. the harness's in-process in-memory CNI, or cniNetwork() below,
// which runs a real CNI config list through triad's CNI library the way containerd does
// (K8S_POD_* in CNI_ARGS, portMappings and pod annotations as capability args, eth0).
// Network namespaces: with `netns: true` and root, each sandbox gets a real one
// (`ip netns add triad-<id>`, no shell); otherwise the network is given a synthetic path.
// In a real netns, simulated listeners also answer on the pod IP (exposeInNetns), so a real CNI
// network (bridge) makes the pod reachable from the host as with a real runtime.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import {
  CniConfig,
  loadConfFile,
  loadFirstConfList,
  parseConfList,
  type InProcessPlugin,
  type NetworkConfigList,
  type RuntimeConf,
} from '../../interfaces/cni/index.js';

export interface PortMappingReq {
  protocol: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  hostPort: number;
  hostIP: string;
}

export interface NetworkRequest {
  sandboxId: string;
  podName: string;
  podNamespace: string;
  podUid: string;
  /** Network namespace path (real or synthetic, see netnsMode). */
  netns: string;
  portMappings: PortMappingReq[];
  dns?: { servers: string[]; searches: string[]; options: string[] };
  annotations?: Record<string, string>;
}

export interface PodNetwork {
  /** Attach the pod; answers its IPs (the first is the primary pod IP). */
  add(req: NetworkRequest, opts?: { signal?: AbortSignal }): Promise<{ ips: string[] }>;
  /** Detach the pod; must succeed for a pod that is not (or no longer) attached. */
  del(req: NetworkRequest, opts?: { signal?: AbortSignal }): Promise<void>;
  /** Throws when the network is not ready (Status reports NetworkReady=false). */
  status?(): Promise<void>;
}

export interface CniNetworkOptions {
  /** The network as a parsed list or its JSON text. */
  confList?: NetworkConfigList | string;
  /** A .conflist/.conf file, or a directory whose first config file (by name) is used. Re-read on every call. */
  config?: string;
  /** Same as a directory in `config` (containerd's conf_dir). */
  confDir?: string;
  /** Plugin binary directories (CNI_PATH). */
  binDirs?: string[];
  /** libcni's result cache (default os.tmpdir()/triad-cni-cache-<uid>). */
  cacheDir?: string;
  ifName?: string;
  timeoutMs?: number;
  /** Plugins served in this process by type (no exec). */
  inProcess?: Record<string, InProcessPlugin>;
  env?: Record<string, string>;
}

/** What the harness writes in its config: a CNI network, or none. */
export type NetworkSpec =
  | ({ type: 'cni'; netns?: boolean } & CniNetworkOptions)
  /** No pod network. `ready: false` reports it as containerd does without a CNI config (NetworkReady false). */
  | { type: 'none'; ready?: boolean };

/** containerd's Status message when it has no CNI config. */
export const NO_CNI_MESSAGE = 'Network plugin returns error: cni plugin not initialized';

/** A PodNetwork running a CNI config list through interfaces/cni (containerd's way). */
export function cniNetwork(opts: CniNetworkOptions): PodNetwork & { load(): NetworkConfigList } {
  const ifName = opts.ifName ?? 'eth0';
  const cni = new CniConfig({ path: opts.binDirs ?? [], cacheDir: opts.cacheDir, timeoutMs: opts.timeoutMs, inProcess: opts.inProcess, env: opts.env });
  const load = (): NetworkConfigList => {
    try {
      if (opts.confList !== undefined) return typeof opts.confList === 'string' ? parseConfList(opts.confList) : opts.confList;
      const where = opts.config ?? opts.confDir;
      if (!where) throw new Error('no confList, config or confDir given');
      let isDir = false;
      try {
        isDir = statSync(where).isDirectory();
      } catch {
        isDir = opts.config === undefined;
      }
      return isDir ? loadFirstConfList(where) : loadConfFile(where);
    } catch (e) {
      throw new Error(`cni config load failed: ${(e as Error).message}: cni plugin not initialized`);
    }
  };
  const rt = (req: NetworkRequest): RuntimeConf => ({
    containerID: req.sandboxId,
    netns: req.netns,
    ifName,
    args: [
      ['IgnoreUnknown', '1'],
      ['K8S_POD_NAMESPACE', req.podNamespace],
      ['K8S_POD_NAME', req.podName],
      ['K8S_POD_INFRA_CONTAINER_ID', req.sandboxId],
      ['K8S_POD_UID', req.podUid],
    ],
    capabilityArgs: {
      portMappings: req.portMappings,
      ...(req.dns && (req.dns.servers.length || req.dns.searches.length) ? { dns: req.dns } : {}),
      'io.kubernetes.cri.pod-annotations': req.annotations ?? {},
    },
  });
  return {
    load,
    async add(req, o) {
      const result = await cni.addNetworkList(load(), rt(req), { signal: o?.signal });
      const ips = (result.ips ?? []).map((ip) => ip.address.split('/')[0]);
      // containerd's choice of the primary IP: IPv4 first, then IPv6, each in result order.
      return { ips: [...ips.filter((i) => !i.includes(':')), ...ips.filter((i) => i.includes(':'))] };
    },
    async del(req, o) {
      await cni.delNetworkList(load(), rt(req), { signal: o?.signal });
    },
    async status() {
      await cni.statusNetworkList(load());
    },
  };
}

/** The PodNetwork for an option value, and whether real netns were asked for. */
export function podNetworkFrom(v: PodNetwork | NetworkSpec | undefined): { network?: PodNetwork; netns: boolean; notReady?: string } {
  if (!v) return { netns: false };
  if (typeof (v as PodNetwork).add === 'function') return { network: v as PodNetwork, netns: false };
  const spec = v as NetworkSpec;
  if (spec.type === 'none') return { netns: false, ...(spec.ready === false ? { notReady: NO_CNI_MESSAGE } : {}) };
  if (spec.type === 'cni') {
    const { type: _t, netns, ...cni } = spec;
    return { network: cniNetwork(cni), netns: !!netns };
  }
  throw new Error(`memory-cri: unknown network type ${JSON.stringify((spec as { type: unknown }).type)} (cni or none, or a PodNetwork object)`);
}

// ---- network namespaces ---------------------------------------------------------------------------

export const NETNS_RUN_DIR = '/var/run/netns';

export const isRoot = (): boolean => process.getuid?.() === 0;

/** `ip netns add NAME`; answers the namespace's path. */
export async function createNetns(name: string): Promise<string> {
  const r = await execa('ip', ['netns', 'add', name], { reject: false, shell: false });
  if (r.exitCode !== 0) throw new Error(`ip netns add ${name}: ${String(r.stderr || r.shortMessage).trim()}`);
  return `${NETNS_RUN_DIR}/${name}`;
}

/** `ip netns delete NAME`; a namespace that is already gone is fine. */
export async function deleteNetns(name: string): Promise<void> {
  const r = await execa('ip', ['netns', 'delete', name], { reject: false, shell: false });
  const err = String(r.stderr ?? '');
  if (r.exitCode !== 0 && !/No such file/i.test(err)) {
    throw new Error(`ip netns delete ${name}: ${err.trim() || r.shortMessage}`);
  }
}

export const netnsName = (sandboxId: string): string => `triad-${sandboxId.slice(0, 12)}`;

/** A netns path that does not exist: what an in-memory network gets without real namespaces. */
export const syntheticNetns = (sandboxId: string): string => `/var/run/netns/triad-memory-${sandboxId.slice(0, 12)}`;

// ---- listeners inside a real network namespace ---------------------------------------------------

// Runs inside the pod's netns (nsenter --net): listens on 0.0.0.0:PORT there and pipes every
// connection to a unix socket (the filesystem is shared across network namespaces). Exits when
// its stdin closes, so it never outlives the runtime that started it, even after kill -9.
const NETNS_PROXY = `
const net = require('net');
const [port, sock] = process.argv.slice(1);
const srv = net.createServer((c) => {
  const u = net.connect(sock);
  const kill = () => { c.destroy(); u.destroy(); };
  c.on('error', kill); u.on('error', kill);
  c.pipe(u); u.pipe(c);
});
srv.on('error', (e) => { process.stderr.write(e.message); process.exit(1); });
srv.listen(Number(port), '0.0.0.0', () => process.stdout.write('ready\\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

const pipeBoth = (a: Socket, b: Socket): void => {
  const kill = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', kill);
  b.on('error', kill);
  a.pipe(b);
  b.pipe(a);
};

/**
 * Make `target` (host:port where a simulated listener really listens) answer on `port` inside the
 * network namespace at `netnsPath` — on the pod IP, as a process of the pod would. A proxy process
 * in the netns forwards over a unix socket to this process, which forwards to the target.
 * Resolves once the port listens in the netns; the returned function undoes it.
 */
export async function exposeInNetns(netnsPath: string, port: number, target: string, timeoutMs = 10_000): Promise<() => Promise<void>> {
  const i = target.lastIndexOf(':');
  const [host, tport] = [target.slice(0, i), Number(target.slice(i + 1))];
  const dir = mkdtempSync(join(tmpdir(), 'triad-mcri-'));
  const sock = join(dir, `${port}.sock`);
  const relay = createServer((s) => pipeBoth(s, connect(tport, host)));
  await new Promise<void>((resolve, reject) => {
    relay.once('error', reject);
    relay.listen(sock, () => {
      relay.off('error', reject);
      resolve();
    });
  });
  const child = spawn('nsenter', [`--net=${netnsPath}`, process.execPath, '-e', NETNS_PROXY, String(port), sock], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const undo = async () => {
    child.stdin.end();
    child.kill('SIGTERM');
    await exited;
    await new Promise<void>((resolve) => relay.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  };
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const ready = await new Promise<string | undefined>((resolve) => {
    let out = '';
    const timer = setTimeout(() => resolve(`not listening within ${timeoutMs} ms`), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve(undefined);
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve(e.message);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(`exited with ${code}`);
    });
  });
  if (ready) {
    await undo();
    throw new Error(`cannot listen on port ${port} in ${netnsPath}: ${ready}${stderr ? `: ${stderr.trim()}` : ''}`);
  }
  return undo;
}

/** An IPv4 address on this machine's loopback (127.0.0.0/8): a pod IP a client here can reach. */
export const isLoopbackV4 = (ip: string | undefined): ip is string => !!ip && /^127\.\d+\.\d+\.\d+$/.test(ip);

/**
 * Make `target` answer on ip:port, where ip is the pod's loopback IP (a pod subnet inside
 * 127.0.0.0/8): clients on this machine reach the pod at its IP, as they would on a node.
 * Best effort: when ip:port cannot be bound (a port below 1024 without privilege, or taken),
 * the port is only where portForwards says.
 */
export async function exposeOnLoopback(ip: string, port: number, target: string): Promise<() => Promise<void>> {
  const i = target.lastIndexOf(':');
  const [host, tport] = [target.slice(0, i), Number(target.slice(i + 1))];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    pipeBoth(s, connect(tport, host));
  });
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, ip, () => resolve(true));
  });
  if (!ok) return async () => undefined;
  return async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
