// One pod's life on the node, as kubelet's pod worker + kuberuntime SyncPod: volumes → sandbox
// (the runtime calls CNI) → init containers one by one (sidecars keep running) → app containers;
// then every sync compares what runs with what should, restarting with backoff and acting on
// probes, until the pod is terminal or deleted. Everything it creates is recorded (and
// checkpointed) so that teardown — after success, failure or interruption — can undo it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerState as CriState, PodSandboxState } from '../../interfaces/gen/cri/api.js';
import type { CriClient } from '../../interfaces/cri/client.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import type { PodSandboxConfig } from '../../interfaces/gen/cri/api.js';
import type { Container, ContainerStateTerminated, Pod } from '../api/types.js';
import { Backoff } from './backoff.js';
import { containerConfig } from './container-config.js';
import {
  blankRecord,
  isStarted,
  markCreated,
  markExited,
  markRunFailed,
  markRunning,
  markSandboxLost,
  markState,
  markVanished,
  nextAttempt,
  setWaiting,
  type ContainerKind,
  type ContainerRecord,
} from './container-record.js';
import { ImageManager, ImagePullError } from './images.js';
import { ProbeWorker, type ProbeKind, type ProbeTarget } from './prober.js';
import { Recorder } from './recorder.js';
import { podSandboxConfig } from './sandbox-config.js';
import { VolumeManager, type VolumeRecord } from './volumes.js';

export interface WorkerDeps {
  cri: CriClient;
  volumes: VolumeManager;
  images: ImageManager;
  backoff: Backoff;
  instance: string;
  logRoot: string;
  runtimeName: string;
  cgroupDriver: 'systemd' | 'cgroupfs';
  cgroupRoot: string;
  resolvConf?: string;
  probeTimeScale: number;
  /** The node's address: where probes of a hostNetwork pod dial. */
  nodeIP: string;
  /** Called after every change worth surviving a restart. */
  checkpoint: (w: PodWorker) => void;
  /** Ask for a sync soon (the kubelet coalesces). */
  wake: (w: PodWorker, afterMs?: number) => void;
}

export type { ContainerKind, ContainerRecord };

export class PodWorker {
  readonly rec: Recorder;
  readonly key: string;
  sandboxId?: string;
  sandboxAttempt = 0;
  sandboxConfig?: DeepPartial<PodSandboxConfig>;
  sandboxReady = false;
  podIPs: string[] = [];
  volumes: VolumeRecord[] = [];
  volumesReady = false;
  readonly containers = new Map<string, ContainerRecord>();
  initialized = false;
  /** Succeeded or Failed: nothing more will run. */
  terminal?: 'Succeeded' | 'Failed';
  deletionTimestamp?: number;
  startTime?: number;
  message?: string;
  reason?: string;
  private probes = new Map<string, ProbeWorker[]>();
  private syncing = false;
  private portForwards?: Record<string, string>;

  constructor(
    readonly pod: Pod,
    private readonly deps: WorkerDeps,
  ) {
    const m = pod.metadata;
    this.key = `${m.namespace}/${m.name}`;
    this.rec = new Recorder({ name: m.name, namespace: m.namespace!, uid: m.uid! });
    for (const c of pod.spec.initContainers ?? []) this.containers.set(c.name, blankRecord(c, c.restartPolicy === 'Always' ? 'sidecar' : 'init'));
    for (const c of pod.spec.containers) this.containers.set(c.name, blankRecord(c, 'app'));
  }

  get uid(): string {
    return this.pod.metadata.uid!;
  }
  get logDirectory(): string {
    return join(this.deps.logRoot, `${this.pod.metadata.namespace}_${this.pod.metadata.name}_${this.uid}`);
  }
  get restartPolicy() {
    return this.pod.spec.restartPolicy ?? 'Always';
  }
  private backoffKey(c: ContainerRecord) {
    return `${this.uid}/container/${c.name}`;
  }

  /** One pass of reconciliation; never throws (errors become events and status). */
  async sync(): Promise<void> {
    if (this.syncing || this.deletionTimestamp !== undefined) return;
    this.syncing = true;
    try {
      await this.syncOnce();
    } catch (err) {
      this.rec.event('Warning', 'FailedSync', `error syncing pod: ${(err as Error).message}`);
      this.deps.wake(this, 1000);
    } finally {
      this.syncing = false;
    }
  }

  private async syncOnce(): Promise<void> {
    if (this.terminal) return;
    this.startTime ??= Date.now();
    if (!this.volumesReady) {
      try {
        await this.deps.volumes.setUp(this.pod, this.rec, this.volumes);
        this.volumesReady = true;
        this.deps.checkpoint(this);
      } catch (err) {
        this.deps.checkpoint(this);
        this.rec.event('Warning', 'FailedMount', `MountVolume.SetUp failed: ${(err as Error).message}`);
        this.message = (err as Error).message;
        return this.deps.wake(this, this.deps.backoff.opts.initialMs);
      }
    }
    if (!this.sandboxId) {
      if (!(await this.createSandbox())) return;
    } else if (!this.sandboxReady) {
      return this.recreateSandbox();
    }
    if (!(await this.syncInitContainers())) return;
    if (!this.initialized) {
      this.initialized = true;
      this.deps.checkpoint(this);
    }
    await this.syncAppContainers();
    await this.checkTerminal();
  }

  // ---- sandbox ----

  private async createSandbox(): Promise<boolean> {
    const cfg = podSandboxConfig(this.pod, {
      logDirectory: this.logDirectory,
      attempt: this.sandboxAttempt,
      instance: this.deps.instance,
      cgroupDriver: this.deps.cgroupDriver,
      cgroupRoot: this.deps.cgroupRoot,
      resolvConf: this.deps.resolvConf,
    });
    mkdirSync(this.logDirectory, { recursive: true });
    try {
      const res = await this.rec.step('sandbox', 'RunPodSandbox', () => this.deps.cri.runtime.runPodSandbox({ config: cfg }));
      this.sandboxId = res.podSandboxId;
      this.sandboxConfig = cfg;
      this.sandboxReady = true;
      this.deps.checkpoint(this);
      const st = await this.deps.cri.runtime.podSandboxStatus({ podSandboxId: this.sandboxId, verbose: true });
      this.podIPs = [st.status?.network?.ip, ...(st.status?.network?.additionalIps ?? []).map((x) => x.ip)].filter((x): x is string => !!x);
      this.readInfo(st.info);
      this.rec.event(
        'Normal',
        'SandboxCreated',
        `Pod sandbox ${this.sandboxId.slice(0, 13)} created${this.podIPs.length ? ` with IP ${this.podIPs.join(', ')}` : ''}`,
      );
      this.message = undefined;
      return true;
    } catch (err) {
      const msg = `Failed to create pod sandbox: ${(err as Error).message}`;
      this.rec.event('Warning', 'FailedCreatePodSandBox', msg);
      this.message = msg;
      const key = `${this.uid}/sandbox`;
      this.deps.backoff.next(key);
      this.deps.wake(this, this.deps.backoff.remaining(key, Date.now()) || this.deps.backoff.opts.initialMs);
      return false;
    }
  }

  private readInfo(info: Record<string, string> | undefined): void {
    for (const v of Object.values(info ?? {})) {
      try {
        const j = JSON.parse(v) as { portForwards?: Record<string, string> };
        if (j.portForwards) this.portForwards = j.portForwards;
      } catch {
        /* not JSON: ignore */
      }
    }
  }

  /** The sandbox died under us: kubelet kills the pod's containers and starts over with a new sandbox. */
  private async recreateSandbox(): Promise<void> {
    this.rec.event('Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    for (const c of this.containers.values()) {
      this.stopProbes(c);
      if (c.id && c.state === 'running') await this.deps.cri.runtime.stopContainer({ containerId: c.id, timeout: 0n }).catch(() => undefined);
      markSandboxLost(c);
    }
    const old = this.sandboxId!;
    await this.deps.cri.runtime.stopPodSandbox({ podSandboxId: old }).catch(() => undefined);
    await this.deps.cri.runtime.removePodSandbox({ podSandboxId: old }).catch(() => undefined);
    this.sandboxId = undefined;
    this.sandboxAttempt++;
    this.initialized = false;
    this.podIPs = [];
    this.deps.checkpoint(this);
    this.deps.wake(this);
  }

  // ---- init containers ----

  /** True once every regular init container succeeded and every sidecar is started. */
  private async syncInitContainers(): Promise<boolean> {
    for (const spec of this.pod.spec.initContainers ?? []) {
      const c = this.containers.get(spec.name)!;
      if (c.kind === 'sidecar') {
        if (c.state === 'running' && c.started) continue;
        if (c.state === 'running') return false; // its startup probe gates the next one
        if (c.state === 'none' || c.state === 'exited' || c.state === 'created') {
          if (this.initialized && c.state === 'exited') {
            await this.restartIfDue(c);
            continue;
          }
          await this.startOrBackoff(c);
          // started with no startup probe to pass: the next container may start in this same sync
          if (isStarted(c)) continue;
          return false;
        }
        return false;
      }
      if (c.state === 'exited' && c.exitCode === 0) continue;
      if (this.initialized) continue; // init containers do not rerun once the pod is initialized
      if (c.state === 'running' || c.state === 'created') return false;
      if (c.state === 'exited') {
        if (this.restartPolicy === 'Never') {
          this.rec.event('Warning', 'Failed', `Init container ${c.name} failed with exit code ${c.exitCode}`, ref(c));
          await this.finish('Failed', `Init container ${c.name} failed`);
          return false;
        }
        await this.restartIfDue(c);
        return false;
      }
      await this.startOrBackoff(c);
      return false;
    }
    return true;
  }

  // ---- app containers ----

  private async syncAppContainers(): Promise<void> {
    const starts: Promise<void>[] = [];
    for (const c of this.containers.values()) {
      if (c.kind !== 'app') continue;
      if (c.state === 'none') starts.push(this.startOrBackoff(c));
      else if (c.state === 'exited' && this.shouldRestart(c)) starts.push(this.restartIfDue(c));
    }
    await Promise.all(starts);
  }

  private shouldRestart(c: ContainerRecord): boolean {
    if (c.kind === 'sidecar') return true;
    const p = this.restartPolicy;
    return p === 'Always' || (p === 'OnFailure' && c.exitCode !== 0);
  }

  /** Restart an exited container unless it is inside its backoff window (CrashLoopBackOff). */
  private async restartIfDue(c: ContainerRecord): Promise<void> {
    const key = this.backoffKey(c);
    const since = c.finishedAt ?? Date.now();
    if (this.deps.backoff.inBackoff(key, since)) {
      const wait = this.deps.backoff.remaining(key, since);
      const msg = `back-off ${Math.round(this.deps.backoff.opts.initialMs > 0 ? wait / 1000 : 0)}s restarting failed container=${c.name} pod=${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.uid})`;
      if (c.waiting?.reason !== 'CrashLoopBackOff') this.rec.event('Warning', 'BackOff', 'Back-off restarting failed container', ref(c));
      setWaiting(c, 'CrashLoopBackOff', msg);
      this.deps.wake(this, wait + 1);
      return;
    }
    this.deps.backoff.next(key, since);
    await this.startContainer(c);
  }

  private async startOrBackoff(c: ContainerRecord): Promise<void> {
    const key = this.backoffKey(c);
    if (c.finishedAt !== undefined && c.waiting && this.deps.backoff.inBackoff(key, c.finishedAt)) {
      this.deps.wake(this, this.deps.backoff.remaining(key, c.finishedAt) + 1);
      return;
    }
    await this.startContainer(c);
  }

  /** Pull, create and start one container (the next attempt of it). */
  private async startContainer(c: ContainerRecord): Promise<void> {
    // A new attempt after an earlier container of this name; the first one is attempt 0.
    const attempt = c.id ? c.restartCount + 1 : c.restartCount;
    if (!c.id && c.restartCount === 0 && !c.waiting) setWaiting(c, 'ContainerCreating');
    const phase = c.kind === 'app' ? 'containers' : 'init';
    let img;
    try {
      img = await this.deps.images.ensure(c.spec, this.uid, this.sandboxConfig ?? {}, this.rec);
    } catch (err) {
      if (err instanceof ImagePullError) {
        setWaiting(c, err.reason, err.message);
        // Right after a failed pull, sync again soon so the status moves on to ImagePullBackOff
        // (as kubelet's next sync shows it); inside the window, wake when it ends.
        const key = `${this.uid}/image/${c.spec.image}`;
        const left = this.deps.backoff.remaining(key, Date.now());
        this.deps.wake(this, err.reason === 'ErrImagePull' ? Math.min(1000, Math.max(1, Math.floor(left / 4))) : left + 1);
        return;
      }
      throw err;
    }
    // Keep one previous attempt (for logs --previous); remove older ones.
    if (c.id) nextAttempt(c, attempt, this.terminatedState(c));
    while (c.oldIds.length > 1) {
      const old = c.oldIds.shift()!;
      await this.deps.cri.runtime.removeContainer({ containerId: old }).catch(() => undefined);
    }
    const volumePaths = new Map(this.volumes.map((v) => [v.name, { hostPath: v.hostPath, readOnly: v.readOnly }]));
    for (const m of c.spec.volumeMounts ?? []) {
      const v = volumePaths.get(m.name);
      if (m.subPath && v) mkdirSync(join(v.hostPath, m.subPath), { recursive: true });
    }
    try {
      const config = containerConfig(this.pod, c.spec, {
        attempt,
        kind: c.kind,
        volumePaths,
        imageRef: img.ref,
        imageUser: { uid: img.uid, username: img.username },
      });
      const { containerId } = await this.rec.step(phase, `CreateContainer ${c.name}`, () =>
        this.deps.cri.runtime.createContainer({ podSandboxId: this.sandboxId!, config, sandboxConfig: this.sandboxConfig }),
      );
      markCreated(c, containerId, img.imageId);
      this.deps.checkpoint(this);
      this.rec.event('Normal', 'Created', `Created container ${c.name}`, ref(c));
      await this.rec.step(phase, `StartContainer ${c.name}`, () => this.deps.cri.runtime.startContainer({ containerId }));
      markRunning(c, Date.now());
      this.rec.event('Normal', 'Started', `Started container ${c.name}`, ref(c));
      this.startProbes(c);
    } catch (err) {
      markRunFailed(c, (err as Error).message, Date.now());
      this.rec.event('Warning', 'Failed', `Error: ${(err as Error).message}`, ref(c));
      const key = this.backoffKey(c);
      this.deps.backoff.next(key);
      this.deps.wake(this, this.deps.backoff.remaining(key, c.finishedAt!) + 1);
    }
  }

  terminatedState(c: ContainerRecord): ContainerStateTerminated {
    return {
      exitCode: c.exitCode ?? 0,
      reason: c.reason,
      message: c.message,
      startedAt: c.startedAt ? new Date(c.startedAt).toISOString() : undefined,
      finishedAt: c.finishedAt ? new Date(c.finishedAt).toISOString() : undefined,
      containerID: c.id ? `${this.deps.runtimeName}://${c.id}` : undefined,
    };
  }

  // ---- container state from the runtime (PLEG) ----

  /** The runtime says container `id` is now in `state`; fetch details on exit. True when that is news. */
  async observe(id: string, state: CriState): Promise<boolean> {
    const c = [...this.containers.values()].find((x) => x.id === id);
    if (!c) return false;
    const now =
      state === CriState.CONTAINER_RUNNING
        ? 'running'
        : state === CriState.CONTAINER_EXITED
          ? 'exited'
          : state === CriState.CONTAINER_CREATED
            ? 'created'
            : 'unknown';
    if (now === c.state) return false;
    if (now === 'exited') {
      const st = await this.deps.cri.runtime.containerStatus({ containerId: id }).catch(() => undefined);
      const s = st?.status;
      markExited(
        c,
        {
          exitCode: s?.exitCode,
          reason: s?.reason,
          message: s?.message,
          startedAt: s?.startedAt ? Number(s.startedAt / 1_000_000n) : undefined,
          finishedAt: s?.finishedAt ? Number(s.finishedAt / 1_000_000n) : undefined,
        },
        Date.now(),
      );
      this.stopProbes(c);
      const phase = c.kind === 'app' ? 'containers' : 'init';
      this.rec.mark(
        phase,
        `${c.name} ran (exit ${c.exitCode}${c.reason && c.reason !== 'Completed' && c.reason !== 'Error' ? ', ' + c.reason : ''})`,
        c.startedAt ?? c.finishedAt!,
        c.finishedAt!,
        c.exitCode === 0,
      );
      // a clean exit keeps the backoff entry: kubelet backs off restarts of any exit
    } else {
      markState(c, now);
    }
    this.deps.checkpoint(this);
    return true;
  }

  /** The runtime no longer lists a container we track (removed behind our back). */
  vanished(id: string): void {
    const c = [...this.containers.values()].find((x) => x.id === id);
    if (c && markVanished(c, Date.now())) this.stopProbes(c);
  }

  // ---- probes and hooks ----

  /** Run a lifecycle hook command in the container; a non-zero exit is a hook failure. */
  async hookExec(c: ContainerRecord, cmd: string[], timeoutS: number): Promise<void> {
    const r = await this.probeTarget(c).exec(cmd, timeoutS);
    if (r.exitCode !== 0) throw new Error(`hook ${JSON.stringify(cmd)} in ${c.name} exited with ${r.exitCode}: ${r.output.trim()}`);
  }

  hookTarget(c: ContainerRecord): ProbeTarget {
    return this.probeTarget(c);
  }

  private probeTarget(c: ContainerRecord): ProbeTarget {
    return {
      exec: async (cmd, timeoutS) => {
        const r = await this.deps.cri.runtime.execSync({ containerId: c.id!, cmd, timeout: BigInt(timeoutS) }, { timeoutMs: timeoutS * 1000 + 2000 });
        return { exitCode: r.exitCode, output: Buffer.from(r.stdout).toString() + Buffer.from(r.stderr).toString() };
      },
      address: async (port, host) => {
        if (host) return { host, port };
        if (this.portForwards !== undefined) {
          const st = await this.deps.cri.runtime.podSandboxStatus({ podSandboxId: this.sandboxId!, verbose: true });
          this.readInfo(st.info);
          const fwd = this.portForwards[String(port)];
          if (fwd) {
            const i = fwd.lastIndexOf(':');
            return { host: fwd.slice(0, i), port: Number(fwd.slice(i + 1)) };
          }
          // The runtime lists every port something listens on; the pod IP of a simulated
          // sandbox is not on this machine, so dialing it would send packets off the node.
          if (!this.pod.spec.hostNetwork) throw new Error(`dial tcp ${this.podIPs[0] ?? '<pod IP>'}:${port}: connect: connection refused`);
        }
        if (this.pod.spec.hostNetwork) return { host: this.deps.nodeIP, port };
        if (!this.podIPs[0]) throw new Error('pod has no IP to probe');
        return { host: this.podIPs[0], port };
      },
    };
  }

  /** Probes dial only a running container of a live pod: an exited one's IP may already be released. */
  private liveProbeTarget(c: ContainerRecord): ProbeTarget {
    return { ...this.probeTarget(c), live: () => c.state === 'running' && this.sandboxReady && !this.terminal && this.deletionTimestamp === undefined };
  }

  private startProbes(c: ContainerRecord): void {
    this.stopProbes(c);
    const spec = c.spec;
    const list: ProbeWorker[] = [];
    const make = (kind: ProbeKind, p: NonNullable<Container['livenessProbe']>) =>
      new ProbeWorker(kind, p, spec, this.liveProbeTarget(c), (k, ok, msg) => this.onProbe(c, k, ok, msg), this.deps.probeTimeScale);
    if (spec.startupProbe) list.push(make('startup', spec.startupProbe));
    else {
      if (spec.livenessProbe) list.push(make('liveness', spec.livenessProbe));
      if (spec.readinessProbe) list.push(make('readiness', spec.readinessProbe));
    }
    for (const w of list) w.start();
    this.probes.set(c.name, list);
  }

  private stopProbes(c: ContainerRecord): void {
    for (const w of this.probes.get(c.name) ?? []) w.stop();
    this.probes.delete(c.name);
  }

  private onProbe(c: ContainerRecord, kind: ProbeKind, ok: boolean, message: string): void {
    if (c.state !== 'running' || this.deletionTimestamp !== undefined) return;
    const label = kind[0].toUpperCase() + kind.slice(1);
    if (!ok) this.rec.event('Warning', 'Unhealthy', `${label} probe failed: ${message}`, ref(c));
    if (kind === 'readiness') {
      c.ready = ok;
    } else if (kind === 'startup' && ok) {
      c.started = true;
      c.ready = !c.spec.readinessProbe;
      const rest: ProbeWorker[] = [];
      if (c.spec.livenessProbe)
        rest.push(
          new ProbeWorker('liveness', c.spec.livenessProbe, c.spec, this.liveProbeTarget(c), (k, o, m) => this.onProbe(c, k, o, m), this.deps.probeTimeScale),
        );
      if (c.spec.readinessProbe)
        rest.push(
          new ProbeWorker('readiness', c.spec.readinessProbe, c.spec, this.liveProbeTarget(c), (k, o, m) => this.onProbe(c, k, o, m), this.deps.probeTimeScale),
        );
      for (const w of rest) w.start();
      this.probes.set(c.name, rest);
    } else if (!ok) {
      // liveness or startup failure: kill; the exit is then handled like any other
      c.killedFor = `failed ${kind} probe`;
      this.rec.event('Normal', 'Killing', `Container ${c.name} failed ${kind} probe, will be restarted`, ref(c));
      this.stopProbes(c);
      const grace = c.spec.livenessProbe?.terminationGracePeriodSeconds ?? this.pod.spec.terminationGracePeriodSeconds ?? 30;
      void this.deps.cri.runtime
        .stopContainer({ containerId: c.id!, timeout: BigInt(grace) }, { timeoutMs: grace * 1000 + 10_000 })
        .then(() => this.observe(c.id!, CriState.CONTAINER_EXITED))
        .catch((e: Error) => this.rec.event('Warning', 'FailedKillPod', `error killing container ${c.name}: ${e.message}`, ref(c)))
        .finally(() => this.deps.wake(this));
    }
    this.deps.wake(this);
  }

  // ---- terminal pods ----

  private async checkTerminal(): Promise<void> {
    if (this.restartPolicy === 'Always') return;
    const apps = [...this.containers.values()].filter((c) => c.kind === 'app');
    if (!apps.every((c) => c.state === 'exited' && !this.shouldRestart(c))) return;
    await this.finish(apps.every((c) => c.exitCode === 0) ? 'Succeeded' : 'Failed');
  }

  /** Terminal phase: stop sidecars (last first) and the sandbox, which releases the pod IP. */
  private async finish(phase: 'Succeeded' | 'Failed', message?: string): Promise<void> {
    this.terminal = phase;
    if (message) this.message = message;
    const running = [...this.containers.values()].filter((c) => c.state === 'running').reverse();
    for (const c of running) {
      this.stopProbes(c);
      await this.rec
        .step('teardown', `StopContainer ${c.name}`, () =>
          this.deps.cri.runtime.stopContainer({ containerId: c.id!, timeout: BigInt(this.grace()) }, { timeoutMs: this.grace() * 1000 + 10_000 }),
        )
        .catch(() => undefined);
      await this.observe(c.id!, CriState.CONTAINER_EXITED);
    }
    if (this.sandboxId) {
      await this.rec
        .step('teardown', 'StopPodSandbox', () => this.deps.cri.runtime.stopPodSandbox({ podSandboxId: this.sandboxId! }))
        .catch((e: Error) => this.rec.event('Warning', 'FailedKillPod', `error stopping sandbox: ${e.message}`));
      this.sandboxReady = false;
    }
    this.rec.event(phase === 'Succeeded' ? 'Normal' : 'Warning', phase, `Pod ${phase.toLowerCase()}${message ? ': ' + message : ''}`);
    this.deps.checkpoint(this);
  }

  grace(): number {
    return this.pod.spec.terminationGracePeriodSeconds ?? 30;
  }

  /** Note a sandbox that the runtime reports not ready (it died under us). */
  observeSandbox(state: PodSandboxState): void {
    if (state !== PodSandboxState.SANDBOX_READY && this.sandboxReady && !this.terminal && this.deletionTimestamp === undefined) {
      this.sandboxReady = false;
      this.deps.wake(this);
    }
  }

  /** After adoption: probe the containers found running, as if they had just started. */
  resumeProbes(): void {
    for (const c of this.containers.values()) if (c.state === 'running') this.startProbes(c);
  }

  stopAllProbes(): void {
    for (const c of this.containers.values()) this.stopProbes(c);
  }
}

export function ref(c: ContainerRecord): string {
  return c.kind === 'app' ? `spec.containers{${c.name}}` : `spec.initContainers{${c.name}}`;
}
