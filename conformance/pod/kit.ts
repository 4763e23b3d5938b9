// What pod cases share: the suite's options, the node the suite built (the harness kubelet on the
// plugins triad.yaml names), the ways the suite observes each plugin on its own — the CNI result
// libcni cached for a sandbox, host-local style IPAM allocations, the runtime over CRI, CSI target
// and staging paths in the mount table — and a per-case kit that runs pods with unique names and
// registers their deletion, so nothing outlives the case.
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Pod } from '../../harness/api/types.js';
import type { TriadConfig } from '../../harness/config/config.js';
import { POD_UID } from '../../harness/kubelet/labels.js';
import type { VolumeRecord } from '../../harness/kubelet/volumes.js';
import { parseManifests } from '../../harness/manifest/index.js';
import type { Node } from '../../harness/node.js';
import type { CriClient } from '../../interfaces/cri/client.js';
import { listCache, type CacheEntry } from '../../interfaces/cni/index.js';
import { RuntimeServiceDefinition, type ContainerStatus as CriContainerStatus, type PodSandboxStatus } from '../../interfaces/gen/cri/api.js';
import type { PromiseClient } from '../../interfaces/grpc/client.js';
import { RpcError } from '../../interfaces/grpc/errors.js';
import { expectOk, fail, show } from '../runner/assert.js';
import type { CaseContext } from '../runner/context.js';
import { isGrpcCallOf, methodNames } from '../define.js';

export interface PodSuiteOptions {
  /** The node to build: a parsed triad.yaml (loadConfig). Its kubelet section is overridden (state dir, fast timings). */
  config: TriadConfig;
  /** The suite node's kubelet state dir (default: a new temporary directory, removed afterwards). */
  stateDir?: string;
  /** A busybox-like image (sh, sleep, echo, cat, test, touch, mkdir, httpd, wget). Default: busybox:1.36, from the config's registry when it names one. */
  image?: string;
  /** Storage class of the claims (default: the config's default class). */
  storageClass?: string;
  /** CSI driver for inline ephemeral volumes (default: a `memory` driver of the config, known to support them). */
  ephemeralDriver?: string;
  /** libcni's result cache of the runtime (<dir>/results/<network>-<sandbox>-<ifname>). Default: known for the memory runtime, else /var/lib/cni (libcni's default, which containerd and CRI-O use). */
  cniCacheDir?: string;
  /** host-local style allocation dir of the pod network (<dataDir>/<network>; files named like addresses). Default: from the network config. */
  ipamDir?: string;
  /** Port the test pods serve HTTP on (default 8080). */
  port?: number;
}

/** How the suite sees the pod network without going through the runtime. */
export interface NetworkObserver {
  /** The network's name (as in the conflist). */
  name?: string;
  /** libcni's cache dir; `certain` when the suite knows the runtime caches there (memory runtime or --cni-cache-dir). */
  cache?: { dir: string; certain: boolean };
  /** The allocation dir (<dataDir>/<network>). */
  ipamDir?: string;
}

export interface PodEnv {
  opts: PodSuiteOptions;
  node: Node;
  /** Not recording: setup, cleanup, leak checks. */
  cri: CriClient;
  image: string;
  port: number;
  /** The class claims use, and its driver. */
  storageClass?: { name: string; driver: string };
  ephemeralDriver?: string;
  net: NetworkObserver;
  capabilities: Set<string>;
  /** What the run created, for the leak check. */
  created: { pods: Set<string>; sandboxes: Set<string>; claims: Set<string>; volumes: Map<string, string>; paths: Set<string> };
}

export const NS = 'default';

/** Capability labels the suite's setup reports. */
export const CAP = {
  /** The runtime has a pod network (NetworkReady, and the config names a network). */
  network: 'runtime:pod-network',
  /** The storage class's driver provisions volumes (CREATE_DELETE_VOLUME). */
  provisioning: 'csi:dynamic-provisioning',
  /** A driver that serves inline ephemeral volumes is known. */
  ephemeral: 'csi:ephemeral-inline',
  /** The class's driver lists volumes or gets one (LIST_VOLUMES / GET_VOLUME). */
  volumeLookup: 'csi:volume-lookup',
};

export function explainCapability(c: string): string {
  switch (c) {
    case CAP.network:
      return 'the runtime has no pod network (network type none, or the runtime reports NetworkReady=false)';
    case CAP.provisioning:
      return 'no storage class whose CSI driver advertises CREATE_DELETE_VOLUME (ControllerGetCapabilities): claims cannot be provisioned';
    case CAP.ephemeral:
      return 'no CSI driver known to serve inline ephemeral volumes (Kubernetes declares that in the CSIDriver object, not over CSI): name one with --ephemeral-driver';
    case CAP.volumeLookup:
      return "the storage class's driver advertises neither LIST_VOLUMES nor GET_VOLUME (ControllerGetCapabilities): a deleted volume cannot be looked up";
    default:
      return `the node lacks ${c}`;
  }
}

// ---- observations outside the harness --------------------------------------------------------

export interface Allocation {
  ip: string;
  containerID: string;
  ifName: string;
}

/** host-local style allocations: files named like addresses holding "<containerID>\n<ifname>" (host-local writes \r\n). */
export function readAllocations(dir: string | undefined): Allocation[] {
  if (!dir) return [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: Allocation[] = [];
  for (const n of names) {
    if (!/^[0-9a-fA-F.:]+$/.test(n) || !/[.:]/.test(n)) continue;
    try {
      const [containerID = '', ifName = ''] = readFileSync(join(dir, n), 'utf8')
        .split(/\r?\n/)
        .map((s) => s.trim());
      out.push({ ip: n, containerID, ifName });
    } catch {
      /* released meanwhile */
    }
  }
  return out;
}

/** The ADD results libcni cached for a sandbox (one per network attachment). */
export function cachedResults(net: NetworkObserver, sandboxId: string): CacheEntry[] {
  if (!net.cache) return [];
  return listCache(net.cache.dir, sandboxId).filter((e) => !net.name || e.networkName === net.name);
}

export const stripPrefix = (a: string) => a.split('/')[0];

export interface MountEntry {
  id: number;
  parent: number;
  dev: string;
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function mountTable(): MountEntry[] {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [pre, post = ''] = l.split(' - ');
      const f = pre.split(' ');
      const p = post.split(' ');
      return {
        id: Number(f[0]),
        parent: Number(f[1]),
        dev: f[2],
        root: unescapeMount(f[3]),
        mountPoint: unescapeMount(f[4]),
        fsType: p[0] ?? '',
        source: unescapeMount(p[1] ?? ''),
      };
    });
}

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
};

/** Mount points at `path` or below it. */
export function mountsAt(path: string): string[] {
  const base = real(path).replace(/\/+$/, '');
  const raw = resolve(path).replace(/\/+$/, '');
  return mountTable()
    .map((m) => m.mountPoint)
    .filter((m) => m === base || m.startsWith(`${base}/`) || m === raw || m.startsWith(`${raw}/`));
}

export const exists = (p: string) => {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
};

/**
 * The host directory behind a published volume: the source of the bind mount at `target` (found
 * through a mount of the same filesystem), or the directory a symlink at `target` points to.
 * Undefined when the target is a filesystem of its own (a device) or nothing is there.
 */
export function backingDir(target: string): string | undefined {
  let st;
  try {
    st = lstatSync(target);
  } catch {
    return undefined;
  }
  if (st.isSymbolicLink()) {
    const l = readlinkSync(target);
    return isAbsolute(l) ? l : resolve(dirname(target), l);
  }
  const table = mountTable();
  const at = table.filter((m) => m.mountPoint === real(target)).at(-1);
  if (!at || at.root === '/') return undefined;
  // at.root is the source's path inside its filesystem; the host path is where that filesystem
  // itself is mounted (root "/"), else under another mount of it whose root contains at.root
  // (never another bind of the same directory, like a staging path).
  const within = (m: MountEntry) => m.root === '/' || at.root.startsWith(`${m.root}/`);
  const hosts = table
    .filter((m) => m.dev === at.dev && m !== at && within(m))
    .sort((a, b) => (a.root === '/' ? -1 : b.root === '/' ? 1 : b.root.length - a.root.length));
  for (const h of hosts) {
    const p = join(h.mountPoint, relative(h.root, at.root));
    if (p !== real(target)) return p;
  }
  return undefined;
}

/** Is `ip` (IPv4) on a network directly attached to this host (a route without gateway, not the default)? */
export function directlyAttached(ip: string): { dev: string; net: string } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  const value = ((Number(m[1]) << 24) >>> 0) + (Number(m[2]) << 16) + (Number(m[3]) << 8) + Number(m[4]);
  let text = '';
  try {
    text = readFileSync('/proc/net/route', 'utf8');
  } catch {
    return undefined;
  }
  const le = (h: string) => {
    const n = parseInt(h, 16);
    return (((n & 0xff) << 24) >>> 0) + (((n >>> 8) & 0xff) << 16) + (((n >>> 16) & 0xff) << 8) + ((n >>> 24) & 0xff);
  };
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [dev, dst, gw, , , , , mask] = f;
    const d = le(dst);
    const mk = le(mask);
    if (mk === 0 || le(gw) !== 0) continue;
    if ((value & mk) >>> 0 === (d & mk) >>> 0) {
      const bits = mk.toString(2).replace(/0/g, '').length;
      return { dev, net: `${[d >>> 24, (d >>> 16) & 255, (d >>> 8) & 255, d & 255].join('.')}/${bits}` };
    }
  }
  return undefined;
}

// ---- the per-case kit -------------------------------------------------------------------------

type Runtime = PromiseClient<typeof RuntimeServiceDefinition>;

const rpcError = (e: unknown) => (e instanceof RpcError ? { code: e.code, name: e.codeName, message: e.details } : undefined);

function recording(ctx: CaseContext, client: Runtime): Runtime {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(RuntimeServiceDefinition.methods)) {
    const m = (RuntimeServiceDefinition.methods as Record<string, { name: string; requestStream: boolean; responseStream: boolean }>)[key];
    const fn = (client as unknown as Record<string, (req: unknown, o?: unknown) => unknown>)[key];
    if (m.requestStream || m.responseStream) {
      out[key] = fn;
      continue;
    }
    out[key] = (req: unknown = {}, o?: { timeoutMs?: number }) =>
      ctx.track(`RuntimeService/${m.name}`, req, fn(req, { timeoutMs: Math.min(ctx.deadlineMs(), 60_000), ...o }) as Promise<unknown>, rpcError);
  }
  return out as Runtime;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A container running `sh -c script`. */
export interface ContainerSpec {
  name: string;
  script: string;
  mounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  extra?: Record<string, unknown>;
}

export interface PodSpecInput {
  label?: string;
  containers: ContainerSpec[];
  initContainers?: ContainerSpec[];
  volumes?: Array<Record<string, unknown>>;
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  hostNetwork?: boolean;
  /** PersistentVolumeClaims to create first: claim name → size. */
  claims?: string[];
}

export interface RunningSandbox {
  id: string;
  status: PodSandboxStatus;
  info: Record<string, string>;
}

export class PodKit {
  /** A pod case's own recorded calls go to RuntimeService (the rest flows through the kubelet). */
  static readonly rpcNames = methodNames(RuntimeServiceDefinition);
  static isCallOf = isGrpcCallOf;
  readonly cri: Runtime;

  constructor(
    readonly ctx: CaseContext,
    readonly env: PodEnv,
  ) {
    this.cri = recording(ctx, env.cri.runtime);
  }

  get kubelet() {
    return this.env.node.kubelet;
  }

  has(c: string): boolean {
    return this.env.capabilities.has(c);
  }
  skip(reason: string): never {
    return this.ctx.skip(reason);
  }

  /** A DNS-1123 name unique in the run. */
  name(label: string): string {
    return this.ctx
      .unique(label)
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-');
  }

  container(c: ContainerSpec): Record<string, unknown> {
    return {
      name: c.name,
      image: this.env.image,
      imagePullPolicy: 'IfNotPresent',
      command: ['sh', '-c', c.script],
      ...(c.mounts?.length ? { volumeMounts: c.mounts } : {}),
      ...(c.extra ?? {}),
    };
  }

  /** A claim of the suite's storage class; deleted (after the pods using it) when the case ends. */
  claimManifest(name: string): Record<string, unknown> {
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: NS },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: this.env.storageClass?.name, resources: { requests: { storage: '16Mi' } } },
    };
  }

  /** Create claims (provisioned at once, as the harness does) and register their deletion. */
  async claims(names: string[]): Promise<void> {
    if (!names.length) return;
    for (const n of names) {
      this.env.created.claims.add(n);
      this.ctx.cleanup(() => this.kubelet.deleteClaim(NS, n), `delete claim ${n}`);
    }
    const ms = parseManifests(names.map((n) => JSON.stringify(this.claimManifest(n))).join('\n---\n'), '(pod suite)');
    await this.kubelet.apply(ms);
    for (const n of names) {
      const c = this.kubelet.volumes.claims.get(`${NS}/${n}`);
      if (!c?.volumeId)
        fail(`claim ${n} was not provisioned: CreateVolume at ${c?.driver ?? this.env.storageClass?.driver} did not give a volume`, {
          rule: RULES.provision,
          actual: c?.claim.status,
        });
      this.env.created.volumes.set(c.volumeId, c.driver);
    }
  }

  /** Apply a pod (after its claims) with a unique name; it is deleted (grace 0) when the case ends. */
  async run(p: PodSpecInput): Promise<Pod> {
    await this.claims(p.claims ?? []);
    const name = this.name(p.label ?? 'pod');
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: NS, labels: { 'triad.dev/conformance': this.ctx.run.prefix } },
      spec: {
        restartPolicy: p.restartPolicy ?? 'Always',
        terminationGracePeriodSeconds: 1,
        ...(p.hostNetwork ? { hostNetwork: true } : {}),
        ...(p.volumes?.length ? { volumes: p.volumes } : {}),
        ...(p.initContainers?.length ? { initContainers: p.initContainers.map((c) => this.container(c)) } : {}),
        containers: p.containers.map((c) => this.container(c)),
      },
    };
    const [m] = parseManifests(JSON.stringify(pod), '(pod suite)');
    this.env.created.pods.add(name);
    this.ctx.cleanup(() => this.delete(name, true), `delete pod ${name}`);
    const [applied] = await this.kubelet.apply([m]);
    return applied;
  }

  /** Delete a pod with grace 0 (the harness's full teardown). `quiet`: a pod already gone is fine. */
  async delete(name: string, quiet = false): Promise<void> {
    try {
      this.kubelet.worker(NS, name);
    } catch (e) {
      if (quiet) return;
      throw e;
    }
    await this.kubelet.delete(NS, name, 0);
  }

  get(name: string): Pod {
    return this.kubelet.get(NS, name);
  }

  /** Wait for the pod's status to satisfy `pred`; on timeout the case fails showing the last status and events. */
  async waitFor(name: string, pred: (p: Pod) => boolean, what: string, timeoutMs = this.ctx.deadlineMs() - 1500): Promise<Pod> {
    try {
      return await this.kubelet.waitFor(NS, name, pred, Math.max(500, timeoutMs));
    } catch (e) {
      let p: Pod | undefined;
      try {
        p = this.get(name);
      } catch {
        /* gone */
      }
      const events = (() => {
        try {
          return [...new Set(this.kubelet.events(NS, name).map((x) => `${x.type} ${x.reason}: ${x.message.replace(/\b[0-9a-f]{64}\b/g, '<id>')}`))].slice(-5);
        } catch {
          return [];
        }
      })();
      return fail(`pod ${name} did not reach "${what}": ${(e as Error).message}`, {
        rule: RULES.progress,
        actual: {
          phase: p?.status?.phase,
          message: p?.status?.message,
          containers: [...(p?.status?.initContainerStatuses ?? []), ...(p?.status?.containerStatuses ?? [])].map((c) => ({
            name: c.name,
            state: c.state,
            restartCount: c.restartCount,
          })),
          events,
        },
      });
    }
  }

  running(name: string): Promise<Pod> {
    return this.waitFor(
      name,
      (p) => p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.state.running),
      'Running with every container running',
    );
  }

  /** The pod's sandbox as the runtime lists it (by the pod uid label), with its verbose status. */
  async sandbox(pod: Pod): Promise<RunningSandbox> {
    const uid = pod.metadata.uid!;
    const list = await expectOk(this.cri.listPodSandbox({ filter: { labelSelector: { [POD_UID]: uid } } }), { rule: RULES.listOk });
    const items = list.items.filter((s) => s.state === 0);
    if (items.length !== 1)
      fail(`the runtime lists ${items.length} ready sandbox(es) for pod ${pod.metadata.name} (uid ${uid}), expected 1`, {
        rule: RULES.oneSandbox,
        actual: list.items.map((s) => ({ id: s.id, state: s.state })),
      });
    const id = items[0].id;
    this.env.created.sandboxes.add(id);
    const st = await expectOk(this.cri.podSandboxStatus({ podSandboxId: id, verbose: true }), { rule: RULES.sandboxStatusOk });
    return { id, status: st.status!, info: st.info };
  }

  /** The CRI ContainerStatus of a container of the pod, by name (its current attempt). */
  async containerStatus(pod: Pod, container: string): Promise<CriContainerStatus & { id: string }> {
    const p = this.get(pod.metadata.name);
    const s = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].find((c) => c.name === container);
    const id = s?.containerID?.replace(/^[a-z0-9.-]+:\/\//, '');
    if (!id) fail(`pod ${pod.metadata.name} has no container id for ${container}`, { rule: RULES.progress, actual: s });
    const res = await expectOk(this.cri.containerStatus({ containerId: id, verbose: false }), { rule: RULES.containerStatusOk });
    return { ...res.status!, id };
  }

  /** Container log text (CRI log decoded). */
  async logs(name: string, container: string, previous = false): Promise<string> {
    try {
      return await this.kubelet.logs(NS, name, { container, previous });
    } catch {
      return '';
    }
  }

  /** Wait until the container's log matches `re`; fails with the log as it is then. */
  async waitLog(name: string, container: string, re: RegExp, what: string, rule: string): Promise<string> {
    const until = this.ctx.endsAt - 1500;
    let text = '';
    for (;;) {
      text = await this.logs(name, container);
      if (re.test(text)) return text;
      if (Date.now() > until || this.ctx.aborted) break;
      await sleep(50);
    }
    return fail(`${what}: container ${container} of pod ${name} never logged ${re}`, { rule, expected: String(re), actual: text.slice(-2000) });
  }

  /** Wait until a file exists on the host (and has content matching `re`). */
  async waitFile(path: string, re: RegExp, what: string, rule: string): Promise<string> {
    const until = this.ctx.endsAt - 1500;
    let text: string | undefined;
    for (;;) {
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        text = undefined;
      }
      if (text !== undefined && re.test(text)) return text;
      if (Date.now() > until || this.ctx.aborted) break;
      await sleep(50);
    }
    return fail(`${what}: ${path} ${text === undefined ? 'never appeared' : `holds ${show(text)}`}, expected ${re}`, {
      rule,
      expected: String(re),
      actual: text,
    });
  }

  /** The harness's record of the pod's volumes: what it published where (CSI target paths, emptyDir dirs). */
  volumes(name: string): VolumeRecord[] {
    return this.kubelet.worker(NS, name).volumes.map((v) => ({ ...v }));
  }

  volume(name: string, volume: string): VolumeRecord {
    const v = this.volumes(name).find((x) => x.name === volume);
    if (!v) fail(`the harness has no record of volume ${volume} of pod ${name}`, { rule: RULES.progress });
    this.env.created.paths.add(v.hostPath);
    return v;
  }

  /** Where the harness staged a claim (NodeStageVolume's staging_target_path), if it did. */
  stagingPath(claim: string): string | undefined {
    const c = this.kubelet.volumes.claims.get(`${NS}/${claim}`);
    if (c?.stagingPath) this.env.created.paths.add(c.stagingPath);
    return c?.staged ? c.stagingPath : undefined;
  }

  /** ExecSync in a container; undefined (and the case not applicable) when the runtime lacks ExecSync. */
  async exec(containerId: string, cmd: string[], timeoutS = 5): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    try {
      const r = await this.cri.execSync({ containerId, cmd, timeout: BigInt(timeoutS) }, { timeoutMs: timeoutS * 1000 + 5000 });
      return { exitCode: r.exitCode, stdout: Buffer.from(r.stdout).toString(), stderr: Buffer.from(r.stderr).toString() };
    } catch (e) {
      if (e instanceof RpcError && e.codeName === 'UNIMPLEMENTED')
        this.ctx.notApplicable(`the runtime does not implement ExecSync (${e.details}): the check runs a command in the pod`);
      throw e;
    }
  }

  /** A random token, to tell this case's data from anything else. */
  token(): string {
    return `${this.ctx.run.prefix}-${this.ctx.seq}-${Math.random().toString(36).slice(2, 10)}`;
  }
}

/** The rules the cases quote: CRI, CNI, CSI and kubelet behaviour a pod relies on. */
export const RULES = {
  progress:
    'A pod whose plugins work reaches Running (or completes) within the case timeout: volumes published, sandbox and network up, images pulled, containers started',
  provision: 'CSI CreateVolume for a claim of a class whose driver has CREATE_DELETE_VOLUME MUST give a volume',
  listOk: 'CRI ListPodSandbox MUST answer OK',
  oneSandbox: 'CRI: a running pod has exactly one READY sandbox, found by the labels the kubelet set in PodSandboxConfig',
  sandboxStatusOk: 'CRI PodSandboxStatus MUST answer OK for a sandbox the runtime lists',
  containerStatusOk: 'CRI ContainerStatus MUST answer OK for a container of a running pod',
  sandboxIp: "CRI PodSandboxStatus.network.ip is the pod's primary IP: the address the network plugin (CNI ADD result) gave the sandbox",
  podIp: 'kubelet: status.podIP / podIPs are PodSandboxStatus.network.ip and additional_ips, in that order',
  ipam: "CNI: the address in the ADD result is the one the plugin's IPAM allocated to that container (host-local records <ip> → container id)",
  cniCache:
    "libcni caches every ADD result (<cacheDir>/results/<network>-<containerID>-<ifname>) so DEL and CHECK get prevResult; the runtime's ADD for a sandbox leaves one",
  answers: "A pod answers on its IP: a port its container listens on is reachable at status.podIP from the pod's own network namespace",
  answersHost: "A pod answers on its IP from the node: kubelet's httpGet/tcpSocket probes dial status.podIP from the host",
  hostNetwork:
    "CRI: a sandbox with NamespaceMode NODE for network shares the host's network; the runtime MUST NOT call the CNI plugin for it (no ADD, no allocation)",
  distinct: 'CNI IPAM: two pods attached at the same time never share an address',
  publishedIsSeen:
    "CSI NodePublishVolume makes the volume available at target_path; the kubelet hands that path to the runtime as the mount's host_path, so the containers see exactly the published volume (a file written at target_path is read in the container, and vice versa)",
  runtimeMount:
    'CRI ContainerStatus.mounts reports each mount as created: container_path with the host_path the kubelet gave (the CSI target path) and readonly',
  shared: 'Containers of one pod mounting the same volume share it: what one writes the other reads',
  persists:
    "A claim's volume keeps its data between pods: NodePublishVolume exposes the volume's content at every target_path it is published to, not a fresh directory",
  readonly:
    'A volumeMount with readOnly: true is mounted read-only (CRI Mount.readonly; and CSI NodePublishVolume readonly for a read-only claim): writes fail with EROFS',
  emptyDir: 'An emptyDir volume is one directory shared by every container of the pod (init containers included)',
  initOrder:
    'kubelet runs init containers one at a time, in order, each to successful completion before the next starts, and app containers only after all of them',
  initTimes: 'CRI ContainerStatus startedAt/finishedAt are when the process started and exited: each init container started after the previous one finished',
  initFailure: 'restartPolicy Never: a failed init container fails the pod; no app container is created',
  phases: 'Pod phase goes Pending → Running → Succeeded for a run-to-completion pod and never back; Ready is False with reason PodCompleted at the end',
  exitCode: "CRI ContainerStatus.exit_code is the process's exit status; the pod status shows the same in state.terminated",
  restart:
    'restartPolicy Always: a container that exits is restarted (a new CRI container with metadata.attempt = restartCount); restartCount counts restarts and lastState keeps the last exit',
  ipReleased:
    "CNI DEL (called by the runtime at StopPodSandbox/RemovePodSandbox) MUST release the pod's address: the allocation and libcni's cached result are gone once the pod is deleted",
  unpublished:
    'CSI NodeUnpublishVolume MUST undo NodePublishVolume: nothing is mounted at target_path and the SP deleted what it created there; NodeUnstageVolume likewise for the staging path',
  claimDeleted:
    'CSI DeleteVolume for a claim with reclaim policy Delete removes the volume: the controller no longer lists it (or answers NOT_FOUND) and its data is gone',
  ephemeralDeleted: 'CSI inline ephemeral volume: it lives from NodePublishVolume to NodeUnpublishVolume; after unpublish its data is gone',
  runtimeClean: 'CRI RemovePodSandbox removes the sandbox and every container in it: List* no longer returns them and *Status answers NOT_FOUND',
};
