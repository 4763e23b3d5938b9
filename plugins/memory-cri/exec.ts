// ExecSync runs the simulator in a running container's context (its files, env, user, ports) as
// a child of the container's process, so it dies with the container. A timeout kills it and
// answers DEADLINE_EXCEEDED, which is what kubelet turns into an exec probe timeout (containerd:
// "timeout … exceeded: context deadline exceeded"). Exec, Attach and PortForward check the
// request as kubelet's streaming library does (INVALID_ARGUMENT) and answer a one-use URL of
// memory-cri's streaming server (streaming-server.ts); with `streaming: false` they answer
// UNIMPLEMENTED.
import { ContainerState, RuntimeServiceDefinition } from '../../interfaces/gen/cri/api.js';
import { deadlineExceeded, failedPrecondition, invalidArgument, notFound, unimplemented, unknownError } from '../../interfaces/grpc/errors.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import { containerOr404, stateName, timerMs } from './container.js';
import type { MemoryRuntime } from './runtime.js';
import { BufferSink, emptyInput, resolveArgv, spawn } from './sim/index.js';

const MAX_OUTPUT = 16 * 1024 * 1024;

const NO_STREAMING = 'this memory-cri runs without a streaming server (streaming: false)';

/** The checks of kubelet's streaming server (GetExec/GetAttach), which containerd answers with. */
function checkStdio(req: { containerId: string; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }): void {
  if (!req.containerId) throw invalidArgument('missing required container_id');
  if (req.tty && req.stderr) throw invalidArgument('tty and stderr cannot both be true');
  if (!req.stdin && !req.stdout && !req.stderr) throw invalidArgument('one of stdin, stdout, or stderr must be set');
}

function runningOr412(rt: MemoryRuntime, id: string, rpc: string) {
  const c = containerOr404(rt, id);
  if (c.state !== ContainerState.CONTAINER_RUNNING || !c.proc || c.proc.done) {
    throw failedPrecondition(`container ${c.id} is in ${stateName(c.state)} state: ${rpc} needs a running container`);
  }
  return c;
}

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
        throw unknownError(
          `failed to exec in container: failed to start exec "${req.cmd[0]}": OCI runtime exec failed: exec failed: unable to start container process: ${r.message}: unknown`,
        );
      }
      const out = new BufferSink(MAX_OUTPUT);
      const err = new BufferSink(MAX_OUTPUT);
      const proc = c.proc.spawnChild();
      const timeoutS = Number(req.timeout);
      let timedOut = false;
      const timer =
        timeoutS > 0
          ? setTimeout(() => {
              timedOut = true;
              proc.kill('KILL');
            }, timerMs(timeoutS))
          : undefined;
      const onAbort = () => proc.kill('KILL');
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      try {
        const res = await spawn({ resolved: r, env: c.env, cwd: c.cwd, host: c.host, io: { stdin: emptyInput(), out, err }, proc });
        if (timedOut) {
          throw deadlineExceeded(`failed to exec in container: timeout ${timeoutS}s exceeded: context deadline exceeded`);
        }
        return { stdout: out.buffer(), stderr: err.buffer(), exitCode: res.exitCode };
      } finally {
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
      }
    },

    async exec(req, ctx) {
      await rt.fault('Exec', ctx, req.containerId);
      if (!rt.streaming) throw unimplemented(`Exec: ${NO_STREAMING}; use ExecSync`);
      checkStdio(req);
      if (!req.cmd?.length) throw invalidArgument('cmd must not be empty');
      runningOr412(rt, req.containerId, 'Exec');
      return (await rt.streaming.get()).getExec(req);
    },

    async attach(req, ctx) {
      await rt.fault('Attach', ctx, req.containerId);
      if (!rt.streaming) throw unimplemented(`Attach: ${NO_STREAMING}; read the container's log file instead`);
      checkStdio(req);
      runningOr412(rt, req.containerId, 'Attach');
      return (await rt.streaming.get()).getAttach(req);
    },

    async portForward(req, ctx) {
      await rt.fault('PortForward', ctx, req.podSandboxId);
      if (!rt.streaming)
        throw unimplemented(`PortForward: ${NO_STREAMING}; PodSandboxStatus (verbose) reports portForwards, where each listening port really is`);
      if (!req.podSandboxId) throw invalidArgument('missing required pod_sandbox_id');
      const sb = rt.store.sandboxes.get(req.podSandboxId);
      if (!sb) throw notFound(`an error occurred when try to find sandbox "${req.podSandboxId}": not found`);
      return (await rt.streaming.get()).getPortForward(req);
    },
  };
}
