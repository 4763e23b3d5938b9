// Containers: CREATED → RUNNING → EXITED (UNKNOWN if the simulator itself failed), as containerd
// runs them. StartContainer spawns the simulated process; its exit sets finishedAt, exitCode and
// the reason (Completed, Error, OOMKilled; StartError with exit 128 when the process could not
// be started). StopContainer sends the stop signal, waits out the grace period and kills (137);
// Stop/Remove of unknown ids succeed; RemoveContainer force-kills a running container.
import {
  ContainerEventType,
  ContainerState,
  NamespaceMode,
  PodSandboxState,
  RuntimeServiceDefinition,
  Signal,
  type Container,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerStatus,
} from '../../interfaces/gen/cri/api.js';
import { alreadyExists, failedPrecondition, invalidArgument, notFound, unavailable, unimplemented, unknownError } from '../../interfaces/grpc/errors.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import { imageForContainer } from './images.js';
import { CriLogWriter } from './logs.js';
import type { MemoryRuntime } from './runtime.js';
import { parseSignal, resolveArgv, SimProcess, spawn, type ExitResult, type Host } from './sim/index.js';
import { pidNamespace } from './pidns.js';
import { procFile } from './sim/procs.js';
import { checkRunAsGroup, containerArgv, containerEnv, containerFs, containerSeccomp, containerUser, effectiveCapabilities, sandboxHostname } from './spec.js';
import { jsonInfo, matchLabels, newId, nowNs, serialized, Store, type ContainerRec, type SandboxRec } from './store.js';
import { ContainerStdio } from './stdio.js';

/**
 * A CRI timeout (seconds, int64) as a setTimeout delay. Node turns any delay past 2^31-1 ms into
 * 1 ms, so a huge grace period would end at once; ~24.8 days is as good as forever here.
 */
export const timerMs = (seconds: number): number => Math.min(seconds * 1000, 2 ** 31 - 1);

const START_ERROR_EXIT = 128;

export const stateName = (s: ContainerState): string => ContainerState[s] ?? String(s);

/** The signal StopContainer sends: the config's, else the image's STOPSIGNAL, else SIGTERM. */
export function stopSignalOf(c: ContainerRec): Signal {
  if (c.config.stopSignal) return c.config.stopSignal;
  const img = c.image.entry.config.stopSignal;
  const byName = img ? (Signal as unknown as Record<string, number>)[`SIGNAL_SIG${img.toUpperCase().replace(/^SIG/, '')}`] : undefined;
  return byName ?? Signal.SIGNAL_SIGTERM;
}

export function containerStatus(rt: MemoryRuntime, c: ContainerRec): DeepPartial<ContainerStatus> {
  const img = rt.images.byId.get(c.image.entry.id);
  return {
    id: c.id,
    metadata: c.metadata,
    state: c.state,
    createdAt: c.createdAt,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    exitCode: c.exitCode,
    image: { ...c.config.image, image: img?.repoTags[0] ?? c.image.name },
    imageRef: img?.repoDigests[0] ?? c.image.ref,
    reason: c.reason,
    message: c.message,
    labels: c.config.labels,
    annotations: c.config.annotations,
    mounts: c.config.mounts,
    logPath: c.logPath,
    resources: c.resources ? { linux: c.resources } : undefined,
    imageId: c.image.entry.id,
    user: { linux: { uid: BigInt(c.user.uid), gid: BigInt(c.user.gid), supplementalGroups: [...new Set([c.user.gid, ...c.user.groups])].map(BigInt) } },
    stopSignal: stopSignalOf(c),
  };
}

export function containerSummary(c: ContainerRec): DeepPartial<Container> {
  return {
    id: c.id,
    podSandboxId: c.sandboxId,
    metadata: c.metadata,
    image: c.config.image,
    imageRef: c.image.entry.id,
    state: c.state,
    createdAt: c.createdAt,
    labels: c.config.labels,
    annotations: c.config.annotations,
    imageId: c.image.entry.id,
  };
}

export function listContainers(rt: MemoryRuntime, f: Partial<ContainerFilter> | undefined): ContainerRec[] {
  let list = [...rt.store.containers.values()];
  if (f?.id) {
    const id = Store.filterId(rt.store.containers, f.id);
    list = list.filter((c) => c.id === id);
  }
  if (f?.podSandboxId) {
    const sid = Store.filterId(rt.store.sandboxes, f.podSandboxId) ?? f.podSandboxId;
    list = list.filter((c) => c.sandboxId === sid);
  }
  if (f?.state) list = list.filter((c) => c.state === f.state!.state);
  return list.filter((c) => matchLabels(c.config.labels, f?.labelSelector));
}

function verboseInfo(rt: MemoryRuntime, c: ContainerRec): Record<string, string> {
  const sb = rt.store.sandboxes.get(c.sandboxId);
  return {
    info: jsonInfo({
      sandboxID: c.sandboxId,
      pid: c.state === ContainerState.CONTAINER_RUNNING ? c.pid : 0,
      removing: false,
      runtimeType: 'io.containerd.triad-memory.v1',
      simulated: true,
      runtimeSpec: {
        process: {
          args: c.argv,
          env: [...c.env].map(([k, v]) => `${k}=${v}`),
          cwd: c.cwd,
          user: { uid: c.user.uid, gid: c.user.gid, additionalGids: c.user.groups },
        },
        hostname: c.host.hostname,
        root: { readonly: c.fs.readonlyRootfs },
        mounts: c.fs.mounts.map((m) => ({
          destination: m.containerPath,
          source: m.hostPath,
          options: [m.readonly ? 'ro' : 'rw', 'rbind', ...(m.options ?? [])],
        })),
        linux: { resources: c.resources ?? {} },
      },
      portForwards: sb ? sb.ports.forwards() : {},
    }),
  };
}

/** containerd: log_directory joined with log_path; no log path, no log. A relative path without a directory is not written. */
function logPathOf(dir: string | undefined, path: string | undefined): string {
  if (!path) return '';
  if (dir) return `${dir.replace(/\/+$/, '')}/${path}`;
  return path.startsWith('/') ? path : '';
}

/** Look a container up for an RPC that needs it: NOT_FOUND as containerd words it. */
export function containerOr404(rt: MemoryRuntime, id: string): ContainerRec {
  const c = rt.store.container(id);
  if (!c) throw notFound(`an error occurred when try to find container "${id}": not found`);
  return c;
}

function finish(rt: MemoryRuntime, c: ContainerRec, r: ExitResult, message = ''): void {
  c.finishedAt = nowNs();
  c.exitCode = r.exitCode;
  if (r.internalError) {
    c.state = ContainerState.CONTAINER_UNKNOWN;
    c.reason = 'Unknown';
    c.message = `simulator failure: ${r.internalError.message}`;
  } else {
    c.state = ContainerState.CONTAINER_EXITED;
    c.reason = r.reason ?? (r.exitCode === 0 ? 'Completed' : 'Error');
    c.message = message;
  }
  if (c.fate) clearTimeout(c.fate);
  c.fate = undefined;
  c.log?.close();
  c.allocated = 0;
  rt.emit(c.id, c.sandboxId, ContainerEventType.CONTAINER_STOPPED_EVENT);
}

/** A failed start: EXITED with 128 / StartError (containerd), and the RPC fails with runc's words. */
function startError(rt: MemoryRuntime, c: ContainerRec, detail: string): never {
  const msg = `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: ${detail}: unknown`;
  c.startedAt = 0n;
  finish(rt, c, { exitCode: START_ERROR_EXIT, reason: 'StartError' }, msg);
  throw unknownError(`failed to start containerd task "${c.id}": ${msg}`);
}

async function start(rt: MemoryRuntime, c: ContainerRec): Promise<void> {
  if (rt.closing) throw unavailable('memory-cri is shutting down');
  const sb = rt.store.sandboxes.get(c.sandboxId);
  if (c.state !== ContainerState.CONTAINER_CREATED) {
    throw failedPrecondition(`container ${c.id} is in ${stateName(c.state)} state, StartContainer needs CONTAINER_CREATED`);
  }
  if (!sb || sb.state !== PodSandboxState.SANDBOX_READY) throw failedPrecondition(`sandbox container "${c.sandboxId}" is not running`);
  const user = containerUser(c.config, c.image.entry);
  if ('error' in user) startError(rt, c, user.error);
  c.user = user;
  c.host.user = user;
  c.host.caps = effectiveCapabilities(c.config, user.uid);
  const r = resolveArgv(c.argv, c.host, c.env, c.cwd);
  if (!r.ok) startError(rt, c, r.message);
  let log: CriLogWriter | undefined;
  if (c.logPath) {
    try {
      log = new CriLogWriter(c.logPath, rt.maxLogLineBytes);
    } catch (e) {
      startError(rt, c, `failed to create container loggers: ${(e as Error).message}`);
    }
  }
  const proc = new SimProcess({ ignore: c.image.entry.ignoreSigterm ? ['TERM'] : [] });
  c.log = log;
  c.proc = proc;
  c.pid = proc.pid;
  c.host.init = proc;
  c.state = ContainerState.CONTAINER_RUNNING;
  c.startedAt = nowNs();
  c.stdio = new ContainerStdio(c.config, log, proc);
  rt.emit(c.id, c.sandboxId, ContainerEventType.CONTAINER_STARTED_EVENT);
  c.exited = spawn({ resolved: r, env: c.env, cwd: c.cwd, host: c.host, io: c.stdio.io(), proc }).then((res) => {
    finish(rt, c, res);
    return res;
  });
  // Fate rules: make this container exit (or be OOM-killed) some time after it started.
  const fate = rt.faults.take('StartContainer', rt.containerTargets(c), (x) => x.exitCode !== undefined || !!x.oom);
  if (fate) {
    c.fate = setTimeout(() => {
      c.fate = undefined;
      if (fate.oom) proc.terminate(137, 'OOMKilled');
      else proc.terminate(fate.exitCode ?? 0);
    }, fate.afterMs ?? 0);
  }
}

/** Stop with a grace period in seconds (0: kill at once), as containerd: waits for the exit. */
export async function stopContainer(rt: MemoryRuntime, c: ContainerRec, timeoutS: number): Promise<void> {
  await serialized(c, async () => {
    if (c.state === ContainerState.CONTAINER_UNKNOWN) {
      c.state = ContainerState.CONTAINER_EXITED;
      rt.emit(c.id, c.sandboxId, ContainerEventType.CONTAINER_STOPPED_EVENT);
      return;
    }
    if (c.state !== ContainerState.CONTAINER_RUNNING || !c.proc) return;
    const proc = c.proc;
    if (timeoutS > 0) {
      const name = Signal[stopSignalOf(c)]?.replace(/^SIGNAL_/, '') ?? 'SIGTERM';
      const sig = name === 'SIGKILL' ? 'KILL' : (parseSignal(name) ?? 'TERM');
      proc.kill(sig);
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((r) => {
        timer = setTimeout(r, timerMs(timeoutS));
      });
      await Promise.race([c.exited, grace]);
      clearTimeout(timer);
    }
    proc.kill('KILL');
    await c.exited;
  });
}

/** Force-remove: kill if running, forget it, free its name. */
export async function removeContainer(rt: MemoryRuntime, c: ContainerRec): Promise<void> {
  await serialized(c, async () => {
    if (!rt.store.containers.has(c.id)) return;
    if (c.state === ContainerState.CONTAINER_RUNNING && c.proc) {
      c.proc.kill('KILL');
      await c.exited;
    }
    if (c.fate) clearTimeout(c.fate);
    rt.store.containers.delete(c.id);
    if (rt.store.names.get(c.nameKey) === c.id) rt.store.names.delete(c.nameKey);
    rt.emit(c.id, c.sandboxId, ContainerEventType.CONTAINER_DELETED_EVENT);
  });
}

/** Create a container (CONTAINER_CREATED) from a checked config in a ready sandbox: CreateContainer, RestorePod. */
export function createContainerIn(rt: MemoryRuntime, sb: SandboxRec, config: ContainerConfig): ContainerRec {
  const name = config.metadata?.name;
  if (!config.metadata || !name) throw invalidArgument('config.metadata.name is required');
  if (!config.image?.image) throw invalidArgument('config.image.image is required');
  const local = imageForContainer(rt, config.image.image);
  const m = sb.metadata;
  const nameKey = `${name}_${m.name}_${m.namespace}_${m.uid}_${config.metadata.attempt}`;
  const holder = rt.store.names.get(nameKey);
  if (holder) throw alreadyExists(`failed to reserve container name "${nameKey}": name "${nameKey}" is reserved for "${holder}"`);
  const entry = local.entry;
  checkRunAsGroup(config);
  const seccomp = containerSeccomp(config);
  const argv = containerArgv(config, entry);
  const hostname = sandboxHostname(sb, rt.nodeHostname);
  const cwd = config.workingDir || entry.config.workingDir || '/';
  const env = containerEnv(config, entry, hostname);
  const user = containerUser(config, entry);
  const u = 'error' in user ? { uid: 0, gid: 0, groups: [], name: 'root', group: 'root' } : user;
  const fs = containerFs(config, entry, sb, hostname, cwd, u);
  const id = newId();
  const host: Host = {
    fs,
    hostname,
    ips: sb.ips,
    user: u,
    ports: sb.ports,
    allocate: (bytes) => rt.allocate(c, bytes),
    caps: effectiveCapabilities(config, u.uid),
    seccomp,
    noNewPrivs: !!config.linux?.securityContext?.noNewPrivs && !config.linux.securityContext.privileged,
    hostIpc: sb.config.linux?.securityContext?.namespaceOptions?.ipc === NamespaceMode.NODE,
    hostNetwork: sb.hostNetwork,
  };
  host.pidns = pidNamespace(rt, { id, sandboxId: sb.id, config });
  fs.virtual = (path) => procFile({ host }, path);
  const c: ContainerRec = {
    id,
    sandboxId: sb.id,
    config,
    metadata: config.metadata,
    state: ContainerState.CONTAINER_CREATED,
    image: { entry, name: local.repoTags[0] ?? config.image.image, ref: local.repoDigests[0] ?? entry.id },
    createdAt: nowNs(),
    startedAt: 0n,
    finishedAt: 0n,
    exitCode: 0,
    reason: '',
    message: '',
    logPath: logPathOf(sb.config.logDirectory, config.logPath),
    argv,
    env,
    cwd,
    user: u,
    fs,
    host,
    resources: config.linux?.resources,
    pid: 0,
    nameKey,
    allocated: 0,
    lock: Promise.resolve(),
  };
  rt.store.names.set(nameKey, id);
  rt.store.containers.set(id, c);
  rt.emit(id, sb.id, ContainerEventType.CONTAINER_CREATED_EVENT);
  return c;
}

export function containerService(rt: MemoryRuntime): ServiceImpl<typeof RuntimeServiceDefinition> {
  return {
    async createContainer(req, ctx) {
      const config = req.config;
      const name = config?.metadata?.name;
      const sbId = req.podSandboxId;
      const sbPeek = sbId ? rt.store.sandboxes.get(sbId) : undefined;
      await rt.fault('CreateContainer', ctx, name, sbId, sbPeek?.metadata.name, sbPeek?.metadata.namespace);
      if (!config) throw invalidArgument('config is required');
      if (!config.metadata || !name) throw invalidArgument('config.metadata.name is required');
      if (!config.image?.image) throw invalidArgument('config.image.image is required');
      if (!sbId) throw invalidArgument('pod_sandbox_id is required');
      const sb = rt.store.sandbox(sbId);
      if (!sb) throw notFound(`failed to find sandbox id "${sbId}": not found`);
      if (sb.state !== PodSandboxState.SANDBOX_READY)
        throw failedPrecondition(`failed to create containerd container: sandbox "${sb.id}" is not ready (SANDBOX_NOTREADY)`);
      return { containerId: createContainerIn(rt, sb, config).id };
    },

    async startContainer(req, ctx) {
      const peek = rt.store.containers.get(req.containerId);
      await rt.fault('StartContainer', ctx, req.containerId, ...(peek ? rt.containerTargets(peek) : []));
      const c = containerOr404(rt, req.containerId);
      await serialized(c, () => start(rt, c));
      return {};
    },

    async stopContainer(req, ctx) {
      const peek = rt.store.containers.get(req.containerId);
      await rt.fault('StopContainer', ctx, req.containerId, ...(peek ? rt.containerTargets(peek) : []));
      const c = rt.store.container(req.containerId);
      if (c) await stopContainer(rt, c, Number(req.timeout));
      return {};
    },

    async removeContainer(req, ctx) {
      const peek = rt.store.containers.get(req.containerId);
      await rt.fault('RemoveContainer', ctx, req.containerId, ...(peek ? rt.containerTargets(peek) : []));
      const c = rt.store.container(req.containerId);
      if (c) await removeContainer(rt, c);
      return {};
    },

    async listContainers(req, ctx) {
      await rt.fault('ListContainers', ctx);
      return { containers: listContainers(rt, req.filter).map(containerSummary) };
    },

    async containerStatus(req, ctx) {
      const peek = rt.store.containers.get(req.containerId);
      await rt.fault('ContainerStatus', ctx, req.containerId, ...(peek ? rt.containerTargets(peek) : []));
      const c = containerOr404(rt, req.containerId);
      return { status: containerStatus(rt, c), info: req.verbose ? verboseInfo(rt, c) : {} };
    },

    async updateContainerResources(req, ctx) {
      const peek = rt.store.containers.get(req.containerId);
      await rt.fault('UpdateContainerResources', ctx, req.containerId, ...(peek ? rt.containerTargets(peek) : []));
      const c = containerOr404(rt, req.containerId);
      if (c.state !== ContainerState.CONTAINER_CREATED && c.state !== ContainerState.CONTAINER_RUNNING) {
        throw failedPrecondition(`container ${c.id} is in ${stateName(c.state)} state: resources cannot be updated`);
      }
      if (req.linux) c.resources = req.linux;
      return {};
    },

    async reopenContainerLog(req, ctx) {
      const peek = rt.store.containers.get(req.containerId);
      await rt.fault('ReopenContainerLog', ctx, req.containerId, ...(peek ? rt.containerTargets(peek) : []));
      const c = containerOr404(rt, req.containerId);
      if (c.state !== ContainerState.CONTAINER_RUNNING) throw failedPrecondition(`container ${c.id} is not running`);
      try {
        c.log?.reopen();
      } catch (e) {
        throw unknownError(`failed to reopen log ${c.logPath}: ${(e as Error).message}`);
      }
      return {};
    },

    async checkpointContainer(req, ctx) {
      await rt.fault('CheckpointContainer', ctx, req.containerId);
      throw unimplemented('CheckpointContainer: memory-cri simulates processes and has nothing to checkpoint (CRIU is not available)');
    },
  };
}
