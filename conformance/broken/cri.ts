// Deliberately broken CRI runtimes: memory-cri with ONE handler wrapped so it breaks ONE rule of
// the CRI. Each names the conformance case that must catch it (test/conformance/cri.test.ts
// asserts exactly that case fails). They prove the suite can fail, and show runtime authors
// what each failure looks like.
import { lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ContainerState, ImageServiceDefinition, PodSandboxState, RuntimeServiceDefinition } from '../../interfaces/gen/cri/api.js';
import { failedPrecondition, invalidArgument, unknownError } from '../../interfaces/grpc/errors.js';
import { serve, type Binding } from '../../interfaces/grpc/server.js';
import { invokeMemoryCni, MEMORY_CNI_TYPE } from '../../plugins/memory-cni/index.js';
import { CriLogWriter, MemoryRuntime, type MemoryRuntimeOptions } from '../../plugins/memory-cri/index.js';
import type { StreamingRuntime } from '../../interfaces/cri/streaming/index.js';

type Impl = Record<string, (req: any, ctx: any) => any>;

export interface BrokenCriVariant {
  description: string;
  /** The case id that catches this break. */
  caughtBy: string;
  patch(b: { runtime: Impl; image: Impl }, rt: MemoryRuntime): void | (() => void);
}

/** Wrap one method: `fn(orig, req, ctx)`. */
const wrap = (impl: Impl, key: string, fn: (orig: Impl[string], req: any, ctx: any) => any) => {
  const orig = impl[key];
  impl[key] = (req, ctx) => fn(orig, req, ctx);
};

export const brokenCri: Record<string, BrokenCriVariant> = {
  'created-reported-running': {
    description: 'ContainerStatus reports a container that was created but never started as CONTAINER_RUNNING',
    caughtBy: 'cri.container.create.created',
    patch({ runtime }) {
      wrap(runtime, 'containerStatus', async (orig, req, ctx) => {
        const res = await orig(req, ctx);
        if (res.status?.state === ContainerState.CONTAINER_CREATED) res.status.state = ContainerState.CONTAINER_RUNNING;
        return res;
      });
    },
  },
  'wrong-exit-code': {
    description: 'ContainerStatus reports exit code 0 for every exited container',
    caughtBy: 'cri.container.exit.code',
    patch({ runtime }) {
      wrap(runtime, 'containerStatus', async (orig, req, ctx) => {
        const res = await orig(req, ctx);
        if (res.status?.state === ContainerState.CONTAINER_EXITED) res.status.exitCode = 0;
        return res;
      });
    },
  },
  'stop-not-idempotent': {
    description: 'StopContainer of a container that already stopped answers FAILED_PRECONDITION',
    caughtBy: 'cri.container.stop.idempotent',
    patch({ runtime }, rt) {
      wrap(runtime, 'stopContainer', (orig, req, ctx) => {
        const c = rt.store.containers.get(req.containerId);
        if (c && c.state === ContainerState.CONTAINER_EXITED) throw failedPrecondition(`container ${c.id} is not running`);
        return orig(req, ctx);
      });
    },
  },
  'not-found-as-unknown': {
    description: 'ContainerStatus of an unknown container id answers UNKNOWN instead of NOT_FOUND',
    caughtBy: 'cri.container.status.unknown-id',
    patch({ runtime }, rt) {
      wrap(runtime, 'containerStatus', (orig, req, ctx) => {
        if (!rt.store.containers.has(req.containerId)) throw unknownError(`no container ${req.containerId}`);
        return orig(req, ctx);
      });
    },
  },
  'list-ignores-labels': {
    description: 'ListContainers ignores the label selector of its filter',
    caughtBy: 'cri.container.list.label-selector',
    patch({ runtime }) {
      wrap(runtime, 'listContainers', (orig, req, ctx) => orig({ ...req, filter: req.filter ? { ...req.filter, labelSelector: {} } : undefined }, ctx));
    },
  },
  'logs-not-cri-format': {
    description: 'Container logs are written as plain text lines, without the CRI time/stream/tag prefix',
    caughtBy: 'cri.logs.format',
    patch(_b, rt) {
      // The log writer is shared by every runtime in the process: only this runtime's log files are written wrong.
      const proto = CriLogWriter.prototype as unknown as { line(stream: string, tag: string, text: Buffer): void };
      const orig = proto.line;
      proto.line = function (this: { path: string; fd?: number }, stream, tag, text) {
        const mine = [...rt.store.containers.values()].some((c) => c.logPath === this.path);
        if (!mine) return orig.call(this, stream, tag, text);
        if (this.fd === undefined) return undefined;
        writeFileSync(this.fd, Buffer.concat([text, Buffer.from('\n')]));
        return undefined;
      };
      return () => {
        proto.line = orig;
      };
    },
  },
  'sandbox-ip-missing': {
    description: 'PodSandboxStatus reports no IP for a ready sandbox on the pod network',
    caughtBy: 'cri.network.sandbox-ip',
    patch({ runtime }) {
      wrap(runtime, 'podSandboxStatus', async (orig, req, ctx) => {
        const res = await orig(req, ctx);
        if (res.status) res.status.network = { ip: '', additionalIps: [] };
        return res;
      });
    },
  },
  'exec-ignores-exit-code': {
    description: 'ExecSync answers exit code 0 whatever the command exited with',
    caughtBy: 'cri.exec-sync.exit-code',
    patch({ runtime }) {
      wrap(runtime, 'execSync', async (orig, req, ctx) => ({ ...(await orig(req, ctx)), exitCode: 0 }));
    },
  },
  'remove-image-keeps': {
    description: 'RemoveImage answers OK but keeps the image',
    caughtBy: 'cri.image.remove.by-tag',
    patch({ image }) {
      image.removeImage = async () => ({});
    },
  },
  'remove-sandbox-keeps-containers': {
    description: 'RemovePodSandbox forgets the sandbox but leaves its containers behind',
    caughtBy: 'cri.sandbox.remove.removes-containers',
    patch({ runtime }, rt) {
      wrap(runtime, 'removePodSandbox', async (orig, req, ctx) => {
        const sb = rt.store.sandboxes.get(req.podSandboxId);
        if (!sb) return orig(req, ctx);
        await runtime.stopPodSandbox(req, ctx);
        rt.store.sandboxes.delete(sb.id);
        rt.store.names.delete(sb.nameKey);
        return {};
      });
    },
  },
  'pull-answers-digest': {
    description: 'PullImage answers the repo digest as image_ref instead of the image id',
    caughtBy: 'cri.image.pull.present',
    patch({ image }, rt) {
      wrap(image, 'pullImage', async (orig, req, ctx) => {
        const res = await orig(req, ctx);
        const img = rt.images.byId.get(res.imageRef);
        return { imageRef: img?.repoDigests[0] ?? res.imageRef };
      });
    },
  },
  'dns-config-ignored': {
    description: 'RunPodSandbox drops the DNS config: containers get an empty /etc/resolv.conf',
    caughtBy: 'cri.network.dns-config',
    patch({ runtime }) {
      wrap(runtime, 'runPodSandbox', (orig, req, ctx) => orig({ ...req, config: { ...req.config, dnsConfig: undefined } }, ctx));
    },
  },
  'readonly-mount-writable': {
    description: 'CreateContainer ignores Mount.readonly: read-only mounts are writable',
    caughtBy: 'cri.mounts.readonly',
    patch({ runtime }) {
      wrap(runtime, 'createContainer', (orig, req, ctx) =>
        orig(
          { ...req, config: req.config ? { ...req.config, mounts: (req.config.mounts ?? []).map((m: object) => ({ ...m, readonly: false })) } : req.config },
          ctx,
        ),
      );
    },
  },
  'run-as-user-ignored': {
    description: 'CreateContainer ignores run_as_user: every process runs as root',
    caughtBy: 'cri.security.run-as-user',
    patch({ runtime }) {
      wrap(runtime, 'createContainer', (orig, req, ctx) => {
        const sc = req.config?.linux?.securityContext;
        if (!sc) return orig(req, ctx);
        return orig({ ...req, config: { ...req.config, linux: { ...req.config.linux, securityContext: { ...sc, runAsUser: undefined } } } }, ctx);
      });
    },
  },
  'update-resources-unknown-ok': {
    description: 'UpdateContainerResources of an unknown container id answers OK',
    caughtBy: 'cri.resources.update.unknown-id',
    patch({ runtime }, rt) {
      wrap(runtime, 'updateContainerResources', (orig, req, ctx) => (rt.store.containers.has(req.containerId) ? orig(req, ctx) : {}));
    },
  },
  'stream-ignores-filter': {
    description: 'StreamPodSandboxes streams every sandbox, ignoring the filter',
    caughtBy: 'cri.sandbox.stream',
    patch({ runtime }) {
      const orig = runtime.streamPodSandboxes as unknown as (req: unknown, ctx: unknown) => AsyncIterable<unknown>;
      runtime.streamPodSandboxes = ((req: any, ctx: any) => orig({ ...req, filter: undefined }, ctx)) as never;
    },
  },
  'restore-starts-containers': {
    description: 'RestorePod starts the restored containers itself instead of returning them CREATED',
    caughtBy: 'cri.pod-checkpoint.round-trip',
    patch({ runtime }) {
      wrap(runtime, 'restorePod', async (orig, req, ctx) => {
        const res = await orig(req, ctx);
        for (const c of res.restoredContainers) await runtime.startContainer({ containerId: c.containerId }, ctx);
        return res;
      });
    },
  },
  'failed-restore-leaves-sandbox': {
    description: 'A RestorePod that fails leaves the sandbox it made behind',
    caughtBy: 'cri.pod-checkpoint.restore.unknown-checkpoint',
    patch({ runtime }) {
      wrap(runtime, 'restorePod', async (orig, req, ctx) => {
        try {
          return await orig(req, ctx);
        } catch (e) {
          if (req.config?.metadata) await runtime.runPodSandbox({ config: req.config, runtimeHandler: req.runtimeHandler }, ctx).catch(() => undefined);
          throw e;
        }
      });
    },
  },
  'mount-options-dropped': {
    description: 'Mount.mount_options are dropped at CreateContainer although Status advertises RuntimeFeatures.mount_options',
    caughtBy: 'cri.mounts.mount-options.noexec',
    patch({ runtime }) {
      wrap(runtime, 'createContainer', (orig, req, ctx) =>
        orig({ ...req, config: req.config && { ...req.config, mounts: (req.config.mounts ?? []).map((m: object) => ({ ...m, mountOptions: [] })) } }, ctx),
      );
    },
  },
  'remove-ready-sandbox-refused': {
    description: 'RemovePodSandbox of a sandbox that was not stopped first answers FAILED_PRECONDITION',
    caughtBy: 'cri.sandbox.remove.ready',
    patch({ runtime }, rt) {
      wrap(runtime, 'removePodSandbox', (orig, req, ctx) => {
        const sb = rt.store.sandboxes.get(req.podSandboxId);
        if (sb?.state === PodSandboxState.SANDBOX_READY) throw failedPrecondition(`sandbox ${sb.id} is still ready: stop it first`);
        return orig(req, ctx);
      });
    },
  },
  'stop-timeout-zero-waits': {
    description: 'StopContainer with timeout 0 gives the process a 3 s grace period instead of killing it at once',
    caughtBy: 'cri.container.stop.timeout-zero',
    patch({ runtime }) {
      wrap(runtime, 'stopContainer', (orig, req, ctx) => orig({ ...req, timeout: req.timeout ? req.timeout : 3n }, ctx));
    },
  },
  'stop-signal-ignored': {
    description: 'StopContainer sends SIGTERM whatever stop_signal the container was created with',
    caughtBy: 'cri.container.stop.custom-signal',
    patch({ runtime }, rt) {
      wrap(runtime, 'stopContainer', (orig, req, ctx) => {
        const c = rt.store.containers.get(req.containerId);
        if (c) c.config.stopSignal = 0;
        return orig(req, ctx);
      });
    },
  },
  'image-id-not-the-id': {
    description: 'ContainerStatus.image_id names the image by its tag instead of its id',
    caughtBy: 'cri.container.status.image-id',
    patch({ runtime }) {
      wrap(runtime, 'containerStatus', async (orig, req, ctx) => {
        const res = await orig(req, ctx);
        if (res.status) res.status.imageId = res.status.image?.image ?? 'unknown';
        return res;
      });
    },
  },
  'status-user-missing': {
    description: 'ContainerStatus leaves user out although Status advertises supplemental_groups_policy',
    caughtBy: 'cri.container.status.user',
    patch({ runtime }) {
      wrap(runtime, 'containerStatus', async (orig, req, ctx) => {
        const res = await orig(req, ctx);
        if (res.status) res.status.user = undefined;
        return res;
      });
    },
  },
  'exec-sync-zero-timeout-kills': {
    description: 'ExecSync with timeout 0 stops the command after 1 s instead of letting it run',
    caughtBy: 'cri.exec-sync.no-timeout',
    patch({ runtime }) {
      wrap(runtime, 'execSync', (orig, req, ctx) => orig({ ...req, timeout: req.timeout ? req.timeout : 1n }, ctx));
    },
  },
  'metric-descriptors-grow': {
    description: 'ListMetricDescriptors answers one more descriptor on every call',
    caughtBy: 'cri.stats.metric-descriptors.static',
    patch({ runtime }) {
      let n = 0;
      wrap(runtime, 'listMetricDescriptors', async (orig, req, ctx) => {
        const res = await orig(req, ctx);
        n += 1;
        return { descriptors: [...res.descriptors, { name: `triad_broken_extra_${n}`, help: 'grows on every call', labelKeys: [] }] };
      });
    },
  },
  'symlink-host-path-not-followed': {
    description: 'CreateContainer mounts an empty directory in place of a host path that is a symbolic link',
    caughtBy: 'cri.mounts.host-path.symlink',
    patch({ runtime }) {
      wrap(runtime, 'createContainer', (orig, req, ctx) => {
        const mounts = (req.config?.mounts ?? []).map((m: { hostPath?: string }) => {
          if (!m.hostPath || !lstatSync(m.hostPath, { throwIfNoEntry: false })?.isSymbolicLink()) return m;
          const empty = join(dirname(m.hostPath), 'triad-broken-empty');
          mkdirSync(empty, { recursive: true });
          return { ...m, hostPath: empty };
        });
        return orig({ ...req, config: { ...req.config, mounts } }, ctx);
      });
    },
  },
  'sandbox-context-inherited': {
    description: 'CreateContainer gives a container without run_as_user / readonly_rootfs those of its sandbox',
    caughtBy: 'cri.security.sandbox-context-not-inherited',
    patch({ runtime }) {
      wrap(runtime, 'createContainer', (orig, req, ctx) => {
        const ssc = req.sandboxConfig?.linux?.securityContext;
        const sc = req.config?.linux?.securityContext ?? {};
        if (!ssc) return orig(req, ctx);
        const merged = { ...sc, runAsUser: sc.runAsUser ?? ssc.runAsUser, readonlyRootfs: sc.readonlyRootfs || ssc.readonlyRootfs };
        return orig({ ...req, config: { ...req.config, linux: { ...req.config.linux, securityContext: merged } } }, ctx);
      });
    },
  },
  'sandbox-run-as-group-accepted': {
    description: 'RunPodSandbox drops a run_as_group given without run_as_user instead of refusing it',
    caughtBy: 'cri.security.sandbox-run-as-group-needs-user',
    patch({ runtime }) {
      wrap(runtime, 'runPodSandbox', (orig, req, ctx) => {
        const sc = req.config?.linux?.securityContext;
        if (!sc?.runAsGroup || sc.runAsUser) return orig(req, ctx);
        return orig({ ...req, config: { ...req.config, linux: { ...req.config.linux, securityContext: { ...sc, runAsGroup: undefined } } } }, ctx);
      });
    },
  },
  'run-as-group-without-user-accepted': {
    description: 'CreateContainer drops a run_as_group given without a user instead of refusing it',
    caughtBy: 'cri.security.run-as-group-needs-user',
    patch({ runtime }) {
      wrap(runtime, 'createContainer', (orig, req, ctx) => {
        const sc = req.config?.linux?.securityContext;
        if (!sc?.runAsGroup || sc.runAsUser || sc.runAsUsername) return orig(req, ctx);
        return orig({ ...req, config: { ...req.config, linux: { ...req.config.linux, securityContext: { ...sc, runAsGroup: undefined } } } }, ctx);
      });
    },
  },
  'unknown-username-runs-as-root': {
    description: 'A run_as_username the image does not have runs the container as root instead of failing',
    caughtBy: 'cri.security.run-as-username-missing',
    patch({ runtime }, rt) {
      wrap(runtime, 'createContainer', (orig, req, ctx) => {
        const sc = req.config?.linux?.securityContext;
        const users = rt.images.resolve(req.config?.image?.image ?? '')?.entry.users;
        if (!sc?.runAsUsername || !users || users.has(sc.runAsUsername)) return orig(req, ctx);
        return orig({ ...req, config: { ...req.config, linux: { ...req.config.linux, securityContext: { ...sc, runAsUsername: '' } } } }, ctx);
      });
    },
  },
  'host-port-zero-refused': {
    description: 'RunPodSandbox refuses a port mapping with host_port 0',
    caughtBy: 'cri.network.host-port-zero',
    patch({ runtime }) {
      wrap(runtime, 'runPodSandbox', (orig, req, ctx) => {
        if ((req.config?.portMappings ?? []).some((m: { hostPort?: number }) => !m.hostPort)) throw invalidArgument('port_mappings: host_port must be 1-65535');
        return orig(req, ctx);
      });
    },
  },
  'pull-ignores-runtime-handler': {
    description: 'PullImage ignores ImageSpec.runtime_handler, also one the runtime does not have',
    caughtBy: 'cri.image.pull.unknown-runtime-handler',
    patch({ image }) {
      wrap(image, 'pullImage', (orig, req, ctx) => orig({ ...req, image: { ...req.image, runtimeHandler: '' } }, ctx));
    },
  },
  'reopen-error-creates-file': {
    description: 'ReopenContainerLog of an exited container creates a new log file and then fails',
    caughtBy: 'cri.logs.reopen.not-running',
    patch({ runtime }, rt) {
      wrap(runtime, 'reopenContainerLog', (orig, req, ctx) => {
        const c = rt.store.containers.get(req.containerId);
        if (c && c.state !== ContainerState.CONTAINER_RUNNING && c.logPath) {
          writeFileSync(c.logPath, '');
          throw failedPrecondition(`container ${c.id} is not running`);
        }
        return orig(req, ctx);
      });
    },
  },
  'container-usage-timestamp-zero': {
    description: 'ContainerStats reports the writable layer usage with timestamp 0',
    caughtBy: 'cri.stats.container.timestamps',
    patch({ runtime }) {
      wrap(runtime, 'containerStats', async (orig, req, ctx) => {
        const res = await orig(req, ctx);
        if (res.stats) res.stats.writableLayer = { ...res.stats.writableLayer, timestamp: 0n };
        return res;
      });
    },
  },
  'sandbox-usage-timestamp-zero': {
    description: 'PodSandboxStats reports the network usage with timestamp 0',
    caughtBy: 'cri.stats.pod-sandbox.timestamps',
    patch({ runtime }) {
      wrap(runtime, 'podSandboxStats', async (orig, req, ctx) => {
        const res = await orig(req, ctx);
        if (res.stats?.linux) res.stats.linux.network = { ...res.stats.linux.network, timestamp: 0n, interfaces: res.stats.linux.network?.interfaces ?? [] };
        return res;
      });
    },
  },
  'checkpoint-options-ignored': {
    description: 'CheckpointPod ignores options it does not know instead of refusing them',
    caughtBy: 'cri.pod-checkpoint.checkpoint.unknown-option',
    patch({ runtime }) {
      wrap(runtime, 'checkpointPod', (orig, req, ctx) => orig({ ...req, options: {} }, ctx));
    },
  },
  'restore-options-ignored': {
    description: 'RestorePod ignores options it does not know instead of refusing them',
    caughtBy: 'cri.pod-checkpoint.restore.unknown-option',
    patch({ runtime }) {
      wrap(runtime, 'restorePod', (orig, req, ctx) => orig({ ...req, options: {} }, ctx));
    },
  },
  'restore-handler-ignored': {
    description: 'RestorePod restores with the default handler whatever runtime_handler the request names',
    caughtBy: 'cri.pod-checkpoint.restore.unknown-runtime-handler',
    patch({ runtime }) {
      wrap(runtime, 'restorePod', (orig, req, ctx) => orig({ ...req, runtimeHandler: '' }, ctx));
    },
  },
  'restore-touches-checkpoint': {
    description: 'RestorePod writes a marker file into the checkpoint directory it restored from',
    caughtBy: 'cri.pod-checkpoint.restore.checkpoint-unmodified',
    patch({ runtime }) {
      wrap(runtime, 'restorePod', async (orig, req, ctx) => {
        const res = await orig(req, ctx);
        writeFileSync(join(req.checkpointPath, 'restored-at'), new Date().toISOString());
        return res;
      });
    },
  },
  'sandbox-namespaces-unreported': {
    description: 'PodSandboxStatus reports POD for every namespace, also for a sandbox on the host network',
    caughtBy: 'cri.network.host-network',
    patch({ runtime }) {
      wrap(runtime, 'podSandboxStatus', async (orig, req, ctx) => {
        const res = await orig(req, ctx);
        if (res.status?.linux?.namespaces?.options)
          res.status.linux.namespaces.options = { ...res.status.linux.namespaces.options, network: 0, pid: 0, ipc: 0 };
        return res;
      });
    },
  },
};

/** A streaming variant: memory-cri's session handlers wrapped (the gRPC answers stay right). */
const streaming = (description: string, caughtBy: string, wrap: (r: StreamingRuntime) => StreamingRuntime): BrokenCriVariant => ({
  description,
  caughtBy,
  patch(_b, rt) {
    rt.streaming!.wrap = wrap;
  },
});

Object.assign(brokenCri, {
  'streaming-drops-stderr': streaming('the streaming server never sends what exec writes to stderr', 'cri.streaming.spdy.exec.stdio-apart', (r) => ({
    ...r,
    exec: (req, io) => r.exec(req, { ...io, stderr: io.stderr && new PassThrough().resume() }),
  })),
  'streaming-loses-exit-code': streaming(
    "the streaming server reports Success whatever the exec'd command exits with",
    'cri.streaming.spdy.exec.exit-code',
    (r) => ({
      ...r,
      exec: async (req, io) => {
        await r.exec(req, io);
        return 0;
      },
    }),
  ),
  'streaming-ignores-stdin': streaming(
    'the streaming server drops what the client writes on stdin (the command sees end of input at once)',
    'cri.streaming.spdy.exec.stdin',
    (r) => ({
      ...r,
      exec: (req, io) => {
        io.stdin?.resume();
        return r.exec(req, { ...io, stdin: io.stdin && new PassThrough().end() });
      },
    }),
  ),
  'streaming-wrong-port': streaming('port-forward connects to the port after the one asked for', 'cri.streaming.spdy.port-forward.http', (r) => ({
    ...r,
    portForward: (pod, port) => r.portForward(pod, port + 1),
  })),
  'streaming-no-tty': streaming('exec runs the command without a terminal even when tty was asked for', 'cri.streaming.spdy.exec.tty', (r) => ({
    ...r,
    exec: (req, io) => r.exec(req, { ...io, tty: false }),
  })),
  'streaming-ignores-resize': streaming('the terminal keeps 80×24 whatever the resize channel says', 'cri.streaming.spdy.exec.resize', (r) => ({
    ...r,
    exec: (req, io) => r.exec(req, { ...io, onResize: () => undefined }),
  })),
  'streaming-missing-command-succeeds': streaming(
    'exec of a program that does not exist reports exit code 0',
    'cri.streaming.spdy.exec.missing-command',
    (r) => ({ ...r, exec: (req, io) => r.exec(req, io).catch(() => 0) }),
  ),
  'attach-drops-output': streaming('attach joins the container but forwards none of its output', 'cri.streaming.spdy.attach.output', (r) => ({
    ...r,
    attach: (req, io) => r.attach(req, { ...io, stdout: io.stdout && new PassThrough().resume(), stderr: io.stderr && new PassThrough().resume() }),
  })),
  'attach-ignores-stdin': streaming('attach drops what the client writes (the container sees end of input)', 'cri.streaming.spdy.attach.stdin', (r) => ({
    ...r,
    attach: (req, io) => {
      io.stdin?.resume();
      return r.attach(req, { ...io, stdin: io.stdin && new PassThrough().end() });
    },
  })),
  'streaming-sessions-crossed': (() => {
    // Every session's output goes to the stdout of the session opened last.
    let latest: NodeJS.WritableStream | null = null;
    return streaming("with two exec sessions open, both commands' output goes to the newer session", 'cri.streaming.spdy.sessions.concurrent', (r) => ({
      ...r,
      exec: (req, io) => {
        latest = io.stdout;
        const own = io.stdout;
        const crossed = new PassThrough();
        crossed.on('data', (d: Buffer) => (latest ?? own)?.write(d));
        return r.exec(req, { ...io, stdout: crossed }).finally(() => crossed.end());
      },
    }));
  })(),
  'streaming-url-outlives-container': streaming(
    'a URL of a removed container still "runs" echo: its arguments come back with exit 0',
    'cri.streaming.spdy.url.after-remove',
    (r) => ({
      ...r,
      exec: (req, io) =>
        r.exec(req, io).catch((e: Error) => {
          if (!/not found/.test(e.message) || req.cmd[0] !== 'echo') throw e;
          io.stdout?.write(`${req.cmd.slice(1).join(' ')}\n`);
          return 0;
        }),
    }),
  ),
} satisfies Record<string, BrokenCriVariant>);

export interface RunningBrokenCri {
  endpoint: string;
  runtime: MemoryRuntime;
  close(): Promise<void>;
}

/**
 * Serve memory-cri (with memory-cni in process as its pod network, as `triad conformance all`
 * does) with one variant's break applied; no variant: the healthy runtime, the same way.
 */
export async function serveBrokenCri(variant: string | undefined, opts: MemoryRuntimeOptions & { endpoint: string; dir: string }): Promise<RunningBrokenCri> {
  const v = variant ? brokenCri[variant] : undefined;
  if (variant && !v) throw new Error(`unknown broken CRI variant ${variant} (known: ${Object.keys(brokenCri).join(', ')})`);
  const netDir = join(opts.dir, 'network');
  mkdirSync(netDir, { recursive: true });
  const conflist = join(netDir, '10-triad-memory.conflist');
  writeFileSync(
    conflist,
    JSON.stringify({ cniVersion: '1.1.0', name: 'triad-broken', plugins: [{ type: MEMORY_CNI_TYPE, subnet: '10.125.0.0/16', dataDir: join(netDir, 'ipam') }] }),
  );
  const rt = new MemoryRuntime({
    stateDir: join(opts.dir, 'state'),
    network: { type: 'cni', config: conflist, binDirs: [netDir], cacheDir: join(netDir, 'cache'), inProcess: { [MEMORY_CNI_TYPE]: invokeMemoryCni } },
    ...opts,
  });
  const bindings = rt.bindings() as Binding<any>[];
  const find = (def: unknown) => {
    const b = bindings.find((x) => x.def === def);
    if (!b) throw new Error('memory-cri binding missing');
    b.impl = { ...b.impl };
    return b.impl as Impl;
  };
  const undo = v?.patch({ runtime: find(RuntimeServiceDefinition), image: find(ImageServiceDefinition) }, rt);
  let server;
  try {
    server = await serve(opts.endpoint, bindings);
  } catch (e) {
    if (undo) undo();
    await rt.close();
    throw e;
  }
  const s = server;
  return {
    endpoint: s.endpoint.display,
    runtime: rt,
    close: async () => {
      try {
        await rt.close();
        await s.close(2000);
      } finally {
        if (undo) undo();
      }
    },
  };
}

/** A temp dir for a broken runtime; removed by the returned cleanup. */
export function brokenCriDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'triad-broken-cri-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
