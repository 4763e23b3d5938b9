// cri-minimal: a small CRI runtime. It keeps pod sandboxes and containers in memory, walks them
// through the CRI state machines, writes container output to CRI-format log files, and runs
// simulated programs (process.ts) instead of real processes. Copy this directory to start a
// runtime of your own; replace process.ts with something that really runs things.
//
//   sandbox:    RunPodSandbox → READY → StopPodSandbox → NOTREADY → RemovePodSandbox
//   container:  CreateContainer → CREATED → StartContainer → RUNNING → (exit | StopContainer) → EXITED → RemoveContainer
//
// Images come from a fixed catalogue of references: PullImage of anything else fails NOT_FOUND,
// like a registry miss. What it does not have is a container environment: pods get no network
// (no IP; a runtime that wants one calls CNI in RunPodSandbox and StopPodSandbox, see CniConfig
// in triad/sdk/cni), mounts are recorded but no program sees files, and users, capabilities and
// resource limits are not applied. Every RPC not defined here (Exec/Attach/PortForward, stats,
// events, checkpoints…) answers UNIMPLEMENTED, which the CRI allows for optional features.
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import {
  ContainerState,
  ImageServiceDefinition,
  NamespaceMode,
  PodSandboxState,
  RuntimeServiceDefinition,
  type ContainerConfig,
  type LinuxContainerResources,
  type PodSandboxConfig,
  type PodSandboxMetadata,
} from 'triad/sdk/cri';
import {
  alreadyExists,
  bind,
  deadlineExceeded,
  failedPrecondition,
  invalidArgument,
  notFound,
  serve,
  unknownError,
  type Binding,
  type RunningServer,
} from 'triad/sdk';
import { compile } from './process.js';

export const RUNTIME_NAME = 'cri-minimal';
/**
 * The CRI conformance cases this runtime leaves out, as a --skip regex (`skip` of runConformance):
 * what needs a container environment (pod network and IP, mounts and a root filesystem, users
 * and capabilities) and the shell features its simulated programs lack (printf, arithmetic).
 * Take a part out as the runtime learns to do it.
 */
export const UNSUPPORTED_CASES =
  'cri\\.(network\\.(sandbox-ip|distinct-ips|localhost-shared|dns-config|host-port)|mounts\\.|security\\.|logs\\.(partial-line|long-line|reopen)\\s)';
export const DEFAULT_IMAGES = ['busybox:1.36', 'busybox:latest', 'alpine:latest', 'registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.10'];

export interface CriMinimalOptions {
  /** The "registry": the image references PullImage finds (normalized as below). */
  images?: string[];
}

interface Sandbox {
  id: string;
  config: PodSandboxConfig;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: bigint;
  nameKey: string;
  hostname: string;
}
interface Container {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  state: ContainerState;
  imageRef: string;
  logPath: string;
  nameKey: string;
  hostname: string;
  createdAt: bigint;
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  reason: string;
  message: string;
  /** Recorded and reported; nothing here enforces limits. */
  resources?: LinuxContainerResources;
  /** While RUNNING: abort to send the program TERM or KILL; `exited` settles when it has ended. */
  term?: AbortController;
  kill?: AbortController;
  exited?: Promise<void>;
}
interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: bigint;
  pinned: boolean;
}

export interface CriMinimal {
  bindings: Binding[];
  /** Kill every running container (a runtime's shutdown; sandboxes and containers are forgotten with it). */
  close(): Promise<void>;
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());
const newId = () => randomBytes(32).toString('hex');
const matches = (labels: Record<string, string>, selector: Record<string, string> = {}) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** "busybox" → "docker.io/library/busybox:latest", as containerd normalizes references. */
export function normalize(ref: string): string {
  const first = ref.split('/')[0];
  const domain = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  let full = domain ? ref : `docker.io/${ref.includes('/') ? '' : 'library/'}${ref}`;
  if (!full.includes('@') && !/:[^/]+$/.test(full)) full += ':latest';
  if (!/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)+(:\w[\w.-]{0,127}|@sha256:[0-9a-f]{64})$/.test(full)) {
    throw invalidArgument(`${JSON.stringify(ref)} is not a valid image reference`);
  }
  return full;
}
const repository = (ref: string) => ref.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
/** The image a reference, repo digest or id names, among `list`. */
const find = (list: Iterable<Image>, ref = '') => {
  const n = (() => {
    try {
      return normalize(ref);
    } catch {
      return ref;
    }
  })();
  return [...list].find((i) => i.id === ref || i.id === `sha256:${ref}` || i.repoTags.includes(n) || i.repoDigests.includes(n));
};

export function criMinimal(opts: CriMinimalOptions = {}): CriMinimal {
  const registry: Image[] = (opts.images ?? DEFAULT_IMAGES).map((r) => {
    const ref = normalize(r);
    return {
      id: `sha256:${sha256(ref)}`,
      repoTags: [ref],
      repoDigests: [`${repository(ref)}@sha256:${sha256(`manifest ${ref}`)}`],
      size: 1_000_000n,
      pinned: false,
    };
  });
  const sandboxes = new Map<string, Sandbox>();
  const containers = new Map<string, Container>();
  const images = new Map<string, Image>(); // pulled, by id
  const names = new Map<string, string>(); // reserved names → id: one pod/container per name and attempt

  const sandboxOr404 = (id: string) =>
    sandboxes.get(id) ??
    (() => {
      throw notFound(`sandbox "${id}" not found`);
    })();
  const containerOr404 = (id: string) =>
    containers.get(id) ??
    (() => {
      throw notFound(`container "${id}" not found`);
    })();
  const imageOf = (ref?: string) => find(images.values(), ref);

  const log = (c: Container, line: string, stream: string) => {
    if (c.logPath) appendFileSync(c.logPath, `${new Date().toISOString()} ${stream} F ${line}\n`);
  };
  /** The program of a container (or an exec in it), with its environment and working directory. */
  const programOf = (c: Container, argv: string[]) =>
    compile(argv, {
      env: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        HOSTNAME: c.hostname,
        ...Object.fromEntries(c.config.envs.map((e) => [e.key, e.value.toString()])),
      },
      cwd: c.config.workingDir || '/',
      hostname: c.hostname,
    });
  const finish = (c: Container, exitCode: number, reason = exitCode === 0 ? 'Completed' : 'Error', message = '') => {
    Object.assign(c, { state: ContainerState.CONTAINER_EXITED, finishedAt: nowNs(), exitCode, reason, message, term: undefined, kill: undefined });
  };
  /** StopContainer: TERM, up to `timeoutS` seconds for the program to end, then KILL (at once for 0). */
  const stopContainer = async (c: Container, timeoutS: number) => {
    if (!c.kill) return; // not running
    if (timeoutS > 0) {
      c.term!.abort();
      await Promise.race([c.exited, delay(timeoutS * 1000)]);
    }
    c.kill?.abort();
    await c.exited;
  };
  const stopSandbox = async (sb: Sandbox) => {
    await Promise.all([...containers.values()].filter((c) => c.sandboxId === sb.id).map((c) => stopContainer(c, 0)));
    sb.state = PodSandboxState.SANDBOX_NOTREADY;
  };

  const sandboxStatus = (sb: Sandbox) => ({
    id: sb.id,
    metadata: sb.metadata,
    state: sb.state,
    createdAt: sb.createdAt,
    network: { ip: '' },
    labels: sb.config.labels,
    annotations: sb.config.annotations,
    runtimeHandler: '',
    // No namespaces of its own: it reports the modes the sandbox was configured with.
    linux: { namespaces: { options: sb.config.linux?.securityContext?.namespaceOptions } },
  });
  const containerStatus = (c: Container) => ({
    id: c.id,
    metadata: c.config.metadata,
    state: c.state,
    createdAt: c.createdAt,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    exitCode: c.exitCode,
    image: c.config.image,
    imageRef: c.imageRef,
    imageId: c.imageRef,
    reason: c.reason,
    message: c.message,
    labels: c.config.labels,
    annotations: c.config.annotations,
    mounts: c.config.mounts,
    logPath: c.logPath,
    resources: c.resources && { linux: c.resources },
  });

  const runtime = bind(RuntimeServiceDefinition, {
    version: () => ({ version: '0.1.0', runtimeName: RUNTIME_NAME, runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' }),
    status: () => ({
      status: {
        conditions: [
          { type: 'RuntimeReady', status: true },
          { type: 'NetworkReady', status: true, reason: 'NoPodNetwork', message: 'pods get no network of their own (no IP)' },
        ],
      },
    }),
    updateRuntimeConfig: () => ({}), // the pod CIDR: nothing to do without a pod network

    runPodSandbox({ config, runtimeHandler }) {
      const md = config?.metadata;
      if (!config || !md?.name || !md.namespace || !md.uid) throw invalidArgument('config.metadata needs name, namespace and uid');
      if (runtimeHandler) throw notFound(`no runtime handler "${runtimeHandler}" is configured (only the default one)`);
      const nameKey = `${md.name}_${md.namespace}_${md.uid}_${md.attempt}`;
      if (names.has(nameKey)) throw alreadyExists(`sandbox name "${nameKey}" is reserved for "${names.get(nameKey)}"`);
      const hostNetwork = config.linux?.securityContext?.namespaceOptions?.network === NamespaceMode.NODE;
      const sb: Sandbox = {
        id: newId(),
        config,
        metadata: md,
        state: PodSandboxState.SANDBOX_READY,
        createdAt: nowNs(),
        nameKey,
        hostname: hostNetwork ? hostname() : config.hostname || md.name,
      };
      sandboxes.set(sb.id, sb);
      names.set(nameKey, sb.id);
      return { podSandboxId: sb.id };
    },
    async stopPodSandbox({ podSandboxId }) {
      const sb = sandboxes.get(podSandboxId);
      if (sb) await stopSandbox(sb); // stopping what is gone or stopped is OK: the call is idempotent
      return {};
    },
    async removePodSandbox({ podSandboxId }) {
      const sb = sandboxes.get(podSandboxId);
      if (!sb) return {}; // idempotent
      await stopSandbox(sb);
      for (const c of containers.values())
        if (c.sandboxId === sb.id) {
          containers.delete(c.id);
          names.delete(c.nameKey);
        }
      sandboxes.delete(sb.id);
      names.delete(sb.nameKey);
      return {};
    },
    podSandboxStatus: ({ podSandboxId, verbose }) => {
      const sb = sandboxOr404(podSandboxId);
      return { status: sandboxStatus(sb), info: verbose ? { info: JSON.stringify({ hostname: sb.hostname, config: sb.config }) } : {} };
    },
    listPodSandbox: ({ filter: f }) => ({
      items: [...sandboxes.values()]
        .filter((sb) => (!f?.id || sb.id === f.id) && (!f?.state || sb.state === f.state.state) && matches(sb.config.labels, f?.labelSelector))
        .map((sb) => ({
          id: sb.id,
          metadata: sb.metadata,
          state: sb.state,
          createdAt: sb.createdAt,
          labels: sb.config.labels,
          annotations: sb.config.annotations,
        })),
    }),

    createContainer({ podSandboxId, config }) {
      if (!config?.metadata?.name || !config.image?.image) throw invalidArgument('config needs metadata.name and image.image');
      const sb = sandboxOr404(podSandboxId);
      if (sb.state !== PodSandboxState.SANDBOX_READY) throw failedPrecondition(`sandbox ${sb.id} is not ready`);
      const image = imageOf(config.image.image);
      if (!image) throw notFound(`image "${config.image.image}" is not present: pull it first`);
      const md = sb.metadata;
      const nameKey = `${config.metadata.name}_${md.name}_${md.namespace}_${md.uid}_${config.metadata.attempt}`;
      if (names.has(nameKey)) throw alreadyExists(`container name "${nameKey}" is reserved for "${names.get(nameKey)}"`);
      const dir = sb.config.logDirectory;
      const c: Container = {
        id: newId(),
        sandboxId: sb.id,
        config,
        state: ContainerState.CONTAINER_CREATED,
        imageRef: image.id,
        nameKey,
        hostname: sb.hostname,
        logPath: config.logPath && dir ? join(dir, config.logPath) : '',
        createdAt: nowNs(),
        startedAt: 0n,
        finishedAt: 0n,
        exitCode: 0,
        reason: '',
        message: '',
        resources: config.linux?.resources,
      };
      containers.set(c.id, c);
      names.set(nameKey, c.id);
      return { containerId: c.id };
    },
    startContainer({ containerId }) {
      const c = containerOr404(containerId);
      if (c.state !== ContainerState.CONTAINER_CREATED) throw failedPrecondition(`container ${c.id} is ${ContainerState[c.state]}, not CONTAINER_CREATED`);
      if (sandboxes.get(c.sandboxId)?.state !== PodSandboxState.SANDBOX_READY) throw failedPrecondition(`sandbox ${c.sandboxId} is not ready`);
      const program = programOf(c, [...c.config.command, ...c.config.args]);
      if ('error' in program) {
        finish(c, 128, 'StartError', program.error); // as containerd: EXITED with 128, and the call fails
        throw unknownError(`failed to start container "${c.id}": ${program.error}`);
      }
      if (c.logPath) mkdirSync(dirname(c.logPath), { recursive: true });
      const term = new AbortController();
      const kill = new AbortController();
      Object.assign(c, { state: ContainerState.CONTAINER_RUNNING, startedAt: nowNs(), term, kill });
      c.exited = program((line, stream) => log(c, line, stream), { term: term.signal, kill: kill.signal }).then(
        (code) => finish(c, code),
        (err: Error) => finish(c, 255, 'Error', err.message), // e.g. the log could not be written
      );
      return {};
    },
    async stopContainer({ containerId, timeout }) {
      const c = containers.get(containerId);
      if (c) await stopContainer(c, Number(timeout)); // unknown or already stopped: OK (idempotent)
      return {};
    },
    async removeContainer({ containerId }) {
      const c = containers.get(containerId);
      if (!c) return {}; // idempotent
      await stopContainer(c, 0); // removing a running container kills it first
      containers.delete(c.id);
      names.delete(c.nameKey);
      return {};
    },
    containerStatus: ({ containerId, verbose }) => {
      const c = containerOr404(containerId);
      return {
        status: containerStatus(c),
        info: verbose ? { info: JSON.stringify({ argv: [...c.config.command, ...c.config.args], hostname: c.hostname }) } : {},
      };
    },
    listContainers: ({ filter: f }) => ({
      containers: [...containers.values()]
        .filter(
          (c) =>
            (!f?.id || c.id === f.id) &&
            (!f?.podSandboxId || c.sandboxId === f.podSandboxId) &&
            (!f?.state || c.state === f.state.state) &&
            matches(c.config.labels, f?.labelSelector),
        )
        .map((c) => ({
          id: c.id,
          podSandboxId: c.sandboxId,
          metadata: c.config.metadata,
          image: c.config.image,
          imageRef: c.imageRef,
          imageId: c.imageRef,
          state: c.state,
          createdAt: c.createdAt,
          labels: c.config.labels,
          annotations: c.config.annotations,
        })),
    }),

    async execSync({ containerId, cmd, timeout }) {
      const c = containerOr404(containerId);
      if (c.state !== ContainerState.CONTAINER_RUNNING) throw failedPrecondition(`container ${c.id} is not running`);
      const program = programOf(c, cmd);
      if ('error' in program) throw unknownError(`exec failed: ${program.error}`);
      const out = { stdout: '', stderr: '' };
      const kill = new AbortController();
      const timer = Number(timeout) > 0 ? setTimeout(() => kill.abort(), Number(timeout) * 1000) : undefined;
      const exitCode = await program(
        (line, stream) => {
          out[stream] += `${line}\n`;
        },
        { term: new AbortController().signal, kill: kill.signal },
      ).finally(() => clearTimeout(timer));
      if (kill.signal.aborted) throw deadlineExceeded(`exec timed out after ${timeout}s`);
      return { stdout: Buffer.from(out.stdout), stderr: Buffer.from(out.stderr), exitCode };
    },
    updateContainerResources({ containerId, linux }) {
      const c = containerOr404(containerId);
      if (c.state === ContainerState.CONTAINER_EXITED) throw failedPrecondition(`container ${c.id} has exited`);
      if (linux) c.resources = linux;
      return {};
    },
    reopenContainerLog({ containerId }) {
      const c = containerOr404(containerId);
      if (c.state !== ContainerState.CONTAINER_RUNNING) throw failedPrecondition(`container ${c.id} is not running`);
      return {}; // every line opens the log file anew: a rotated file is picked up by itself
    },
  });

  const image = bind(ImageServiceDefinition, {
    pullImage({ image: spec }) {
      if (!spec?.image) throw invalidArgument('image.image is required');
      if (spec.runtimeHandler) throw notFound(`no runtime handler "${spec.runtimeHandler}" is configured (only the default one)`);
      const ref = normalize(spec.image); // INVALID_ARGUMENT for a malformed reference
      const img = find(registry, ref);
      if (!img) throw notFound(`failed to pull image "${spec.image}": ${ref}: not found`);
      images.set(img.id, img);
      return { imageRef: img.id };
    },
    imageStatus: ({ image: spec, verbose }) => {
      const img = imageOf(spec?.image); // absent: no image, and no error
      return { image: img, info: verbose && img ? { info: JSON.stringify({ simulated: true, ...img, size: String(img.size) }) } : {} };
    },
    listImages: ({ filter }) => ({ images: filter?.image?.image ? [imageOf(filter.image.image)].filter((i) => !!i) : [...images.values()] }),
    removeImage({ image: spec }) {
      const img = imageOf(spec?.image);
      if (img) images.delete(img.id);
      return {}; // removing an absent image is OK
    },
    imageFsInfo: () => ({
      imageFilesystems: [
        {
          timestamp: nowNs(),
          fsId: { mountpoint: '/var/lib/cri-minimal/images' },
          usedBytes: { value: [...images.values()].reduce((n, i) => n + i.size, 0n) },
          inodesUsed: { value: BigInt(images.size) },
        },
      ],
    }),
  });

  return {
    bindings: [runtime, image],
    close: async () => {
      await Promise.all([...containers.values()].map((c) => stopContainer(c, 0)));
    },
  };
}

/** Serve RuntimeService and ImageService on one endpoint (unix:///path, a socket path, or host:port). */
export async function serveCriMinimal(endpoint: string, opts?: CriMinimalOptions): Promise<RunningServer> {
  const rt = criMinimal(opts);
  const server = await serve(endpoint, rt.bindings);
  return { endpoint: server.endpoint, close: (graceMs) => server.close(graceMs).finally(() => rt.close()) };
}
