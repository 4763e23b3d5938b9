// ExecSync runs the simulator in a running container's context (its files, env, user, ports) as
// a child of the container's process, so it dies with the container. A timeout kills it and
// answers DEADLINE_EXCEEDED, which is what kubelet turns into an exec probe timeout (containerd:
// "timeout … exceeded: context deadline exceeded"). Exec, Attach and PortForward return a URL of
// a streaming server, which memory-cri does not have: they answer UNIMPLEMENTED.
import { ContainerState, RuntimeServiceDefinition } from '../../interfaces/gen/cri/api.js';
import { failedPrecondition, invalidArgument, Status, StatusError } from '../../interfaces/grpc/errors.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import { containerOr404, stateName } from './container.js';
import type { MemoryRuntime } from './runtime.js';
import { BufferSink, emptyInput, resolveArgv, spawn } from './sim/index.js';

const MAX_OUTPUT = 16 * 1024 * 1024;

const NO_STREAMING = 'memory-cri has no streaming server';

export function execService(rt: MemoryRuntime): ServiceImpl<typeof RuntimeServiceDefinition> {
  return {
    async execSync(req, ctx) {
      const peek = rt.store.containers.get(req.containerId);
      await rt.fault('ExecSync', ctx, req.containerId, ...(peek ? rt.containerTargets(peek) : []));
      const c = containerOr404(rt, req.containerId);
      if (!req.cmd?.length) throw invalidArgument('cmd must not be empty');
      if (c.state !== ContainerState.CONTAINER_RUNNING || !c.proc || c.proc.done) {
        throw failedPrecondition(`container ${c.id} is in ${stateName(c.state)} state: ExecSync needs a running container`);
      }
      const r = resolveArgv(req.cmd, c.host, c.env, c.cwd);
      if (!r.ok) {
        throw new StatusError(Status.UNKNOWN, `failed to exec in container: failed to start exec "${req.cmd[0]}": OCI runtime exec failed: exec failed: unable to start container process: ${r.message}: unknown`);
      }
      const out = new BufferSink(MAX_OUTPUT);
      const err = new BufferSink(MAX_OUTPUT);
      const proc = c.proc.spawnChild();
      const timeoutS = Number(req.timeout);
      let timedOut = false;
      const timer = timeoutS > 0 ? setTimeout(() => { timedOut = true; proc.kill('KILL'); }, timeoutS * 1000) : undefined;
      const onAbort = () => proc.kill('KILL');
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      try {
        const res = await spawn({ resolved: r, env: c.env, cwd: c.cwd, host: c.host, io: { stdin: emptyInput(), out, err }, proc });
        if (timedOut) {
          throw new StatusError(Status.DEADLINE_EXCEEDED, `failed to exec in container: timeout ${timeoutS}s exceeded: context deadline exceeded`);
        }
        return { stdout: out.buffer(), stderr: err.buffer(), exitCode: res.exitCode };
      } finally {
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
      }
    },

    async exec(req, ctx) {
      await rt.fault('Exec', ctx, req.containerId);
      throw new StatusError(Status.UNIMPLEMENTED, `Exec: ${NO_STREAMING} (interactive sessions need one); use ExecSync`);
    },

    async attach(req, ctx) {
      await rt.fault('Attach', ctx, req.containerId);
      throw new StatusError(Status.UNIMPLEMENTED, `Attach: ${NO_STREAMING}; read the container's log file instead`);
    },

    async portForward(req, ctx) {
      await rt.fault('PortForward', ctx, req.podSandboxId);
      throw new StatusError(Status.UNIMPLEMENTED, `PortForward: ${NO_STREAMING}; PodSandboxStatus (verbose) reports portForwards, where each listening port really is`);
    },
  };
}
