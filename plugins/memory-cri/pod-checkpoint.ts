// Pod-level checkpoint and restore (CheckpointPod / RestorePod, KEP-5823, alpha in Kubernetes 1.37).
//
// CheckpointPod writes one file, pod-checkpoint.json, into the caller's empty output directory:
// the sandbox's config and runtime handler, and for each chosen container its config, image, the
// in-memory rootfs (the writable layer) and its log so far. The capture runs without yielding to
// the event loop, so no simulated process runs while it is taken: one consistent cut of the pod,
// and the containers never stop running (what "pause all, capture, resume all" gives a real
// runtime). Files behind host mounts are volumes, not part of the checkpoint (as with CRIU).
//
// RestorePod makes a new sandbox from the request's config and recreates each container from its
// config (matched by metadata name), with the checkpointed rootfs and log. The containers are
// CREATED; StartContainer runs them. Simulated processes hold no memory worth saving, so a
// restored container's process starts again from its argv, against the restored files; the log
// keeps what was written before the checkpoint. A failed restore removes what it created.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ContainerConfig, ContainerState, PodSandboxConfig, PodSandboxState, RuntimeServiceDefinition } from '../../interfaces/gen/cri/api.js';
import { failedPrecondition, internal, invalidArgument, notFound, StatusError, unavailable } from '../../interfaces/grpc/errors.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import { containerOr404, createContainerIn } from './container.js';
import { imageForContainer } from './images.js';
import type { MemoryRuntime } from './runtime.js';
import { createSandbox, removeSandbox, sandboxOr404 } from './sandbox.js';
import type { RootfsEntry } from './sim/index.js';
import { RUNTIME_NAME } from './status.js';
import { nowNs, type ContainerRec } from './store.js';

/** The file a pod checkpoint is, inside the output directory. */
export const POD_CHECKPOINT_FILE = 'pod-checkpoint.json';
export const POD_CHECKPOINT_FORMAT = 'triad.dev/memory-cri/pod-checkpoint/v1';

/** Rootfs files the runtime writes for the sandbox a container is in: the restored sandbox's own win. */
const SANDBOX_FILES: ReadonlySet<string> = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/proc/self/status']);

export interface CheckpointedContainer {
  id: string;
  name: string;
  /** ContainerConfig in its proto3 JSON form. */
  config: unknown;
  imageId: string;
  rootfs: RootfsEntry[];
  /** The CRI log file's bytes at the checkpoint (base64), '' without a log. */
  log: string;
}

export interface PodCheckpoint {
  format: string;
  runtime: string;
  runtimeVersion: string;
  /** Nanoseconds since the epoch, as a decimal string. */
  createdAt: string;
  sandbox: { id: string; runtimeHandler: string; config: unknown };
  containers: CheckpointedContainer[];
}

function readLog(path: string): string {
  if (!path) return '';
  try {
    return readFileSync(path).toString('base64');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

function noOptions(options: Record<string, string> | undefined, rpc: string): void {
  const keys = Object.keys(options ?? {});
  if (keys.length) throw invalidArgument(`options: memory-cri has no ${rpc} options, ${keys.map((k) => JSON.stringify(k)).join(', ')} is not supported`);
}

/** Read and check a pod checkpoint directory: NOT_FOUND when there is none, INVALID_ARGUMENT when it is not one of ours or damaged. */
export function readPodCheckpoint(dir: string): PodCheckpoint {
  if (!existsSync(dir)) throw notFound(`checkpoint_path ${JSON.stringify(dir)}: no such directory`);
  if (!statSync(dir).isDirectory()) throw invalidArgument(`checkpoint_path ${JSON.stringify(dir)} is not a directory`);
  const file = join(dir, POD_CHECKPOINT_FILE);
  if (!existsSync(file)) throw invalidArgument(`checkpoint_path ${JSON.stringify(dir)} holds no memory-cri pod checkpoint (${POD_CHECKPOINT_FILE} is missing)`);
  const corrupt = (why: string) => invalidArgument(`corrupt pod checkpoint ${file}: ${why}`);
  let cp: PodCheckpoint;
  try {
    cp = JSON.parse(readFileSync(file, 'utf8')) as PodCheckpoint;
  } catch (e) {
    throw corrupt(`not JSON (${(e as Error).message})`);
  }
  if (!cp || typeof cp !== 'object') throw corrupt('not an object');
  if (cp.format !== POD_CHECKPOINT_FORMAT) throw corrupt(`format is ${JSON.stringify(cp.format)}, expected ${JSON.stringify(POD_CHECKPOINT_FORMAT)}`);
  if (!cp.sandbox || typeof cp.sandbox !== 'object' || typeof cp.sandbox.config !== 'object') throw corrupt('no sandbox');
  if (!Array.isArray(cp.containers) || cp.containers.length === 0) throw corrupt('no containers');
  const names = new Set<string>();
  cp.containers.forEach((c, i) => {
    if (!c || typeof c.name !== 'string' || !c.name) throw corrupt(`containers[${i}] has no name`);
    if (names.has(c.name)) throw corrupt(`container name ${JSON.stringify(c.name)} appears twice`);
    names.add(c.name);
    if (typeof c.config !== 'object' || !c.config) throw corrupt(`containers[${i}] (${c.name}) has no config`);
    if (typeof c.imageId !== 'string' || !c.imageId) throw corrupt(`containers[${i}] (${c.name}) has no image id`);
    if (!Array.isArray(c.rootfs)) throw corrupt(`containers[${i}] (${c.name}) has no rootfs`);
    if (typeof c.log !== 'string') throw corrupt(`containers[${i}] (${c.name}) has no log`);
  });
  return cp;
}

/** The capture itself: synchronous on purpose (see the header). */
function capture(rt: MemoryRuntime, sandbox: { id: string; runtimeHandler: string; config: PodSandboxConfig }, containers: ContainerRec[]): PodCheckpoint {
  return {
    format: POD_CHECKPOINT_FORMAT,
    runtime: RUNTIME_NAME,
    runtimeVersion: rt.runtimeVersion,
    createdAt: nowNs().toString(),
    sandbox: { id: sandbox.id, runtimeHandler: sandbox.runtimeHandler, config: PodSandboxConfig.toJSON(sandbox.config) },
    containers: containers.map((c) => ({
      id: c.id,
      name: c.metadata.name,
      config: ContainerConfig.toJSON(c.config),
      imageId: c.image.entry.id,
      rootfs: c.fs.snapshot(),
      log: readLog(c.logPath),
    })),
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The process-defining fields of a restore config must agree with the checkpoint (they describe the process, they cannot change it). */
function checkProcess(rt: MemoryRuntime, i: number, cfg: ContainerConfig, saved: CheckpointedContainer): void {
  const was = ContainerConfig.fromJSON(saved.config);
  const where = `container_configs[${i}] (${JSON.stringify(saved.name)})`;
  const img = imageForContainer(rt, cfg.image?.image ?? '');
  if (img.entry.id !== saved.imageId)
    throw invalidArgument(`${where}: image ${cfg.image?.image} is ${img.entry.id}, the checkpoint's container runs ${saved.imageId}`);
  const envs = (c: ContainerConfig) => c.envs.map((e) => [e.key, Buffer.from(e.value).toString('base64')]);
  for (const [field, a, b] of [
    ['command', cfg.command, was.command],
    ['args', cfg.args, was.args],
    ['working_dir', cfg.workingDir, was.workingDir],
    ['envs', envs(cfg), envs(was)],
    ['linux.security_context.run_as_user', cfg.linux?.securityContext?.runAsUser, was.linux?.securityContext?.runAsUser],
    ['linux.security_context.run_as_group', cfg.linux?.securityContext?.runAsGroup, was.linux?.securityContext?.runAsGroup],
  ] as const) {
    if (!same(a, b)) throw invalidArgument(`${where}: ${field} differs from the checkpointed container's (${JSON.stringify(b)?.slice(0, 200)})`);
  }
}

export function podCheckpointService(rt: MemoryRuntime): ServiceImpl<typeof RuntimeServiceDefinition> {
  return {
    async checkpointPod(req, ctx) {
      const peek = req.podSandboxId ? rt.store.sandboxes.get(req.podSandboxId) : undefined;
      await rt.fault('CheckpointPod', ctx, req.podSandboxId, ...(peek ? rt.sandboxTargets(peek) : []));
      if (!req.podSandboxId) throw invalidArgument('pod_sandbox_id is required');
      if (!req.outputPath) throw invalidArgument('output_path is required');
      if (!isAbsolute(req.outputPath)) throw invalidArgument(`output_path ${JSON.stringify(req.outputPath)} must be an absolute path`);
      if (!req.containerIds.length) throw invalidArgument('container_ids must name at least one container');
      noOptions(req.options, 'CheckpointPod');
      const sb = sandboxOr404(rt, req.podSandboxId);
      if (sb.state !== PodSandboxState.SANDBOX_READY) throw failedPrecondition(`sandbox ${sb.id} is not ready: only a running pod can be checkpointed`);
      const containers: ContainerRec[] = [];
      for (const id of req.containerIds) {
        const c = containerOr404(rt, id);
        if (containers.includes(c)) throw invalidArgument(`container_ids names container ${c.id} twice`);
        if (c.sandboxId !== sb.id) throw invalidArgument(`container ${c.id} belongs to sandbox ${c.sandboxId}, not to ${sb.id}`);
        if (c.state !== ContainerState.CONTAINER_RUNNING)
          throw failedPrecondition(`container ${c.id} (${c.metadata.name}) is not running: only running containers can be checkpointed`);
        containers.push(c);
      }
      let entries: string[];
      try {
        if (!statSync(req.outputPath).isDirectory()) throw invalidArgument(`output_path ${JSON.stringify(req.outputPath)} is not a directory`);
        entries = readdirSync(req.outputPath);
      } catch (e) {
        if (e instanceof StatusError) throw e;
        throw invalidArgument(
          `output_path ${JSON.stringify(req.outputPath)} is not an existing directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        );
      }
      if (entries.length)
        throw failedPrecondition(
          `output_path ${JSON.stringify(req.outputPath)} is not empty (${entries.length} entries): the checkpoint needs an empty directory`,
        );
      const cp = capture(rt, sb, containers);
      // Written under a temporary name and renamed: a failure leaves the directory as it was.
      const tmp = join(req.outputPath, `.${POD_CHECKPOINT_FILE}.partial`);
      try {
        writeFileSync(tmp, JSON.stringify(cp));
        renameSync(tmp, join(req.outputPath, POD_CHECKPOINT_FILE));
      } catch (e) {
        rmSync(tmp, { force: true });
        throw internal(`writing the pod checkpoint into ${req.outputPath}: ${(e as Error).message}`);
      }
      return {};
    },

    async restorePod(req, ctx) {
      const md = req.config?.metadata;
      await rt.fault('RestorePod', ctx, md?.name, md?.namespace, md?.uid, md ? `${md.namespace}/${md.name}` : undefined);
      if (!req.checkpointPath) throw invalidArgument('checkpoint_path is required');
      if (!isAbsolute(req.checkpointPath)) throw invalidArgument(`checkpoint_path ${JSON.stringify(req.checkpointPath)} must be an absolute path`);
      if (!req.config) throw invalidArgument('config is required');
      noOptions(req.options, 'RestorePod');
      if (!req.containerConfigs.length) throw invalidArgument('container_configs must hold one config per checkpointed container');
      const cp = readPodCheckpoint(req.checkpointPath);
      const saved = new Map(cp.containers.map((c) => [c.name, c]));
      const seen = new Set<string>();
      req.containerConfigs.forEach((cfg, i) => {
        const name = cfg.metadata?.name ?? '';
        if (!name) throw invalidArgument(`container_configs[${i}].metadata.name is required`);
        if (seen.has(name)) throw invalidArgument(`container_configs names ${JSON.stringify(name)} twice`);
        seen.add(name);
        const s = saved.get(name);
        if (!s)
          throw invalidArgument(
            `container_configs[${i}]: the checkpoint has no container ${JSON.stringify(name)} (it has ${[...saved.keys()].map((n) => JSON.stringify(n)).join(', ')})`,
          );
        checkProcess(rt, i, cfg, s);
      });
      const missing = [...saved.keys()].filter((n) => !seen.has(n));
      if (missing.length) throw invalidArgument(`container_configs lacks the checkpointed container(s) ${missing.map((n) => JSON.stringify(n)).join(', ')}`);

      const sb = await createSandbox(rt, req.config, req.runtimeHandler, ctx.signal);
      const logsWritten: string[] = [];
      try {
        const restored = req.containerConfigs.map((cfg) => {
          const s = saved.get(cfg.metadata!.name)!;
          const c = createContainerIn(rt, sb, cfg);
          try {
            c.fs.restore(s.rootfs, SANDBOX_FILES);
          } catch (e) {
            throw invalidArgument(`corrupt pod checkpoint ${join(req.checkpointPath, POD_CHECKPOINT_FILE)}: container ${s.name}: ${(e as Error).message}`);
          }
          if (c.logPath && s.log) {
            mkdirSync(dirname(c.logPath), { recursive: true });
            logsWritten.push(c.logPath);
            writeFileSync(c.logPath, Buffer.from(s.log, 'base64'));
          }
          return { name: s.name, containerId: c.id };
        });
        if (rt.closing) throw unavailable('memory-cri is shutting down');
        return { podSandboxId: sb.id, restoredContainers: restored };
      } catch (e) {
        // Nothing of a failed restore may stay: the sandbox goes, and its containers with it.
        await removeSandbox(rt, sb).catch(() => undefined);
        for (const f of logsWritten) rmSync(f, { force: true });
        throw e;
      }
    },
  };
}
