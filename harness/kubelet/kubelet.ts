// The harness kubelet: accepts Pods and PersistentVolumeClaims, runs a pod worker per pod, keeps
// a PLEG (periodic relist of the runtime's containers and sandboxes, plus the runtime's event
// stream where it has one) to notice exits, serves status/logs/timeline, and on start adopts or
// cleans up what an earlier run of the same state dir left behind.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ContainerEventType, ContainerState as CriState, PodSandboxState } from '../../interfaces/gen/cri/api.js';
import type { CriClient } from '../../interfaces/cri/client.js';
import type { Manifest, PersistentVolumeClaim, Pod, PodEvent, PodTimeline } from '../api/types.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { CheckpointStore, type PodCheckpoint } from './checkpoint.js';
import { adoptRecord, restoreRecord } from './container-record.js';
import { ImageManager } from './images.js';
import * as L from './labels.js';
import { PodWorker, type WorkerDeps } from './pod-worker.js';
import { podWithStatus } from './status.js';
import { tearDownPod } from './teardown.js';
import { claimKey, VolumeManager, type CsiDriver, type StorageClass } from './volumes.js';
import { readCriLog } from './logs.js';
import { streamingUrl, type StreamRequest } from './streaming.js';

export interface KubeletTimings {
  /** How often the runtime is relisted for container changes (kubelet: 1 s). */
  plegPeriodMs: number;
  /**
   * Also follow the runtime's container event stream (kubelet's EventedPLEG feature gate, off by
   * default there too): exits are noticed at once instead of at the next relist, at the price of
   * every lifecycle event of every pod crossing the CRI connection (most of a pod start's cost on
   * an in-memory runtime; see bench/README.md).
   */
  eventedPleg?: boolean;
  /** Restart backoff (kubelet: 10 s doubling to 300 s). Also used for image pulls. */
  backoff: BackoffOptions;
  /** Multiplies probe periods and delays (1 = as written; tests use 0.01). */
  probeTimeScale: number;
}

export interface KubeletOptions {
  cri: CriClient;
  drivers: Map<string, CsiDriver>;
  classes: StorageClass[];
  stateDir: string;
  timings: KubeletTimings;
  /** Checkpoint to disk so a restarted harness can adopt pods (off when every plugin lives in-process). */
  checkpoints: boolean;
  cgroupRoot?: string;
  resolvConf?: string;
  /** The node's address: pods' hostIP, hostNetwork pods' IP and where their probes dial (default 127.0.0.1). */
  nodeIP?: string;
  log?: (msg: string) => void;
}

/** The node's address when none is given: this one-node harness keeps probe and pod traffic on loopback. */
export const DEFAULT_NODE_IP = '127.0.0.1';

/**
 * One relist in this many lists every container (and notices those removed behind the kubelet's
 * back); the others ask the runtime only for containers that are not running — what can have
 * changed without the kubelet doing it — so a node full of running pods costs next to nothing
 * per relist instead of every container each period.
 */
const FULL_RELIST_EVERY = 10;

/** How often one delete tries the whole teardown before it reports what is left. */
const TEARDOWN_TRIES = 3;

export class NotFoundError extends Error {}

export class Kubelet {
  private readonly workers = new Map<string, PodWorker>();
  private readonly byKey = new Map<string, string>();
  /** Pending syncs: when, and how to cancel (a timer, or an immediate for "now"). */
  private readonly timers = new Map<PodWorker, { at: number; cancel(): void }>();
  private readonly running = new Set<PodWorker>();
  private readonly dirty = new Set<PodWorker>();
  private readonly listeners = new Set<(w: PodWorker) => void>();
  /** Waiters on one pod (waitFor), by namespace/name: a sync wakes only its own pod's. */
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Last state seen of every container of a known pod, and whose it is. */
  private readonly seen = new Map<string, { state: CriState; w: PodWorker }>();
  private readonly backoff: Backoff;
  private readonly images: ImageManager;
  readonly volumes: VolumeManager;
  private readonly store?: CheckpointStore;
  readonly instance: string;
  readonly nodeIP: string;
  runtimeName = 'runtime';
  private cgroupDriver: 'systemd' | 'cgroupfs' = 'cgroupfs';
  /** The runtime advertises RuntimeFeatures.mount_options (Kubernetes 1.37): pods may use bindMountOptions. */
  private mountOptions = false;
  private plegTimer?: NodeJS.Timeout;
  private eventStream?: { cancel(): void };
  private stopped = false;
  private relisting?: Promise<void>;
  private relists = 0;

  constructor(private readonly opts: KubeletOptions) {
    mkdirSync(opts.stateDir, { recursive: true });
    this.instance = createHash('sha256').update(opts.stateDir).digest('hex').slice(0, 12);
    this.nodeIP = opts.nodeIP ?? DEFAULT_NODE_IP;
    this.backoff = new Backoff(opts.timings.backoff);
    this.images = new ImageManager(opts.cri, this.backoff);
    if (opts.checkpoints) this.store = new CheckpointStore(join(opts.stateDir, 'checkpoints'));
    this.volumes = new VolumeManager({
      rootDir: opts.stateDir,
      drivers: opts.drivers,
      classes: opts.classes,
      saveClaims: (c) => this.store?.saveClaims(c),
    });
  }

  private get deps(): WorkerDeps {
    return {
      cri: this.opts.cri,
      volumes: this.volumes,
      images: this.images,
      backoff: this.backoff,
      instance: this.instance,
      logRoot: join(this.opts.stateDir, 'logs', 'pods'),
      runtimeName: this.runtimeName,
      cgroupDriver: this.cgroupDriver,
      cgroupRoot: this.opts.cgroupRoot ?? '',
      resolvConf: this.opts.resolvConf,
      probeTimeScale: this.opts.timings.probeTimeScale,
      nodeIP: this.nodeIP,
      checkpoint: (w) => this.checkpoint(w),
      wake: (w, afterMs) => this.wake(w, afterMs),
    };
  }

  /** Learn the runtime, recover an earlier run's leftovers, and start the PLEG. */
  async start(): Promise<void> {
    const v = await this.opts.cri.runtime.version({ version: 'v1' });
    this.runtimeName = v.runtimeName || 'runtime';
    try {
      const rc = await this.opts.cri.runtime.runtimeConfig({});
      this.cgroupDriver = rc.linux?.cgroupDriver === 0 ? 'systemd' : 'cgroupfs';
    } catch {
      /* runtimes before 1.28 lack RuntimeConfig: kubelet then uses its own flag (cgroupfs) */
    }
    try {
      this.mountOptions = (await this.opts.cri.runtime.status({})).features?.mountOptions === true;
    } catch {
      /* no features known: pods with bindMountOptions are refused */
    }
    await this.recover();
    if (this.opts.timings.eventedPleg) this.subscribeEvents();
    this.schedulePleg();
  }

  // ---- API ----

  /** Apply manifests: claims are provisioned, pods start. A pod name already in use is an error. */
  async apply(manifests: Manifest[]): Promise<Pod[]> {
    const pods: Pod[] = [];
    for (const m of manifests) {
      if (m.kind === 'PersistentVolumeClaim') await this.applyClaim(m);
    }
    for (const m of manifests) {
      if (m.kind !== 'Pod') continue;
      const key = `${m.metadata.namespace}/${m.metadata.name}`;
      if (this.byKey.has(key)) throw new Error(`pods "${m.metadata.name}" already exists in namespace ${m.metadata.namespace}`);
      this.admitBindMountOptions(m);
      pods.push(this.addPod(m).pod);
    }
    return pods;
  }

  private async applyClaim(pvc: PersistentVolumeClaim): Promise<void> {
    const key = claimKey(pvc.metadata.namespace!, pvc.metadata.name);
    if (this.volumes.claims.has(key)) return;
    try {
      await this.volumes.provision(pvc);
    } catch (err) {
      this.opts.log?.(`PersistentVolumeClaim ${key}: provisioning failed, will retry when a pod uses it: ${(err as Error).message}`);
    }
  }

  /** As kubelet 1.37: a pod with bindMountOptions is rejected on a node whose runtime cannot apply them (never silently dropped). */
  private admitBindMountOptions(pod: Pod): void {
    if (this.mountOptions) return;
    for (const [kind, list] of [
      ['initContainers', pod.spec.initContainers],
      ['containers', pod.spec.containers],
    ] as const) {
      (list ?? []).forEach((c, i) =>
        (c.volumeMounts ?? []).forEach((m, j) => {
          if (m.bindMountOptions?.length) {
            throw new Error(
              `pod ${pod.metadata.namespace}/${pod.metadata.name}: spec.${kind}[${i}].volumeMounts[${j}].bindMountOptions: the container runtime (${this.runtimeName}) does not support bind mount options (its Status does not advertise RuntimeFeatures.mount_options)`,
            );
          }
        }),
      );
    }
  }

  private addPod(pod: Pod): PodWorker {
    const w = new PodWorker(pod, this.deps);
    this.workers.set(w.uid, w);
    this.byKey.set(w.key, w.uid);
    w.rec.event('Normal', 'Scheduled', `Successfully assigned ${w.key} to ${pod.spec.nodeName ?? 'triad-node'}`);
    this.checkpoint(w);
    this.wake(w);
    return w;
  }

  worker(namespace: string, name: string): PodWorker {
    const uid = this.byKey.get(`${namespace}/${name}`);
    const w = uid ? this.workers.get(uid) : undefined;
    if (!w) throw new NotFoundError(`pods "${name}" not found in namespace ${namespace}`);
    return w;
  }

  list(namespace?: string): Pod[] {
    return [...this.workers.values()]
      .filter((w) => !namespace || w.pod.metadata.namespace === namespace)
      .map((w) => podWithStatus(w, this.runtimeName, this.nodeIP));
  }

  /** A streaming session URL of the runtime for exec/attach/port-forward into this pod. */
  streamUrl(namespace: string, name: string, req: StreamRequest): Promise<{ url: string }> {
    return streamingUrl(this.worker(namespace, name), this.opts.cri, this.runtimeName, req);
  }

  get(namespace: string, name: string): Pod {
    return podWithStatus(this.worker(namespace, name), this.runtimeName, this.nodeIP);
  }
  events(namespace: string, name: string): PodEvent[] {
    return [...this.worker(namespace, name).rec.events];
  }
  timeline(namespace: string, name: string): PodTimeline {
    return this.worker(namespace, name).rec.timeline();
  }
  claims(): PersistentVolumeClaim[] {
    return [...this.volumes.claims.values()].map((c) => c.claim);
  }

  /** Resolves when `pred` holds for the pod's status, or rejects after timeoutMs with the last status. */
  waitFor(namespace: string, name: string, pred: (p: Pod) => boolean, timeoutMs: number): Promise<Pod> {
    return new Promise((resolve, reject) => {
      const check = () => {
        let p: Pod;
        try {
          p = this.get(namespace, name);
        } catch (err) {
          done();
          return reject(err);
        }
        if (pred(p)) {
          done();
          resolve(p);
        }
        return p;
      };
      const timer = setTimeout(() => {
        const p = check();
        done();
        reject(Object.assign(new Error(`timed out after ${timeoutMs} ms waiting for pod ${namespace}/${name} (phase ${p?.status?.phase})`), { pod: p }));
      }, timeoutMs);
      const key = `${namespace}/${name}`;
      const listener = () => {
        check();
      };
      const done = () => {
        clearTimeout(timer);
        const set = this.waiters.get(key);
        set?.delete(listener);
        if (set?.size === 0) this.waiters.delete(key);
      };
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      set.add(listener);
      check();
    });
  }

  onChange(fn: (w: PodWorker) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Delete a pod: full teardown; the pod disappears once nothing of it is left. */
  async delete(namespace: string, name: string, graceS?: number): Promise<void> {
    const w = this.worker(namespace, name);
    await this.terminate(w, graceS);
  }

  private async terminate(w: PodWorker, graceS?: number): Promise<void> {
    w.deletionTimestamp ??= Date.now();
    this.checkpoint(w);
    const t = this.timers.get(w);
    if (t) {
      t.cancel();
      this.timers.delete(w);
    }
    while (this.running.has(w)) await new Promise((r) => setTimeout(r, 5));
    const ids = [...w.containers.values()].flatMap((c) => [...c.oldIds, ...(c.id ? [c.id] : [])]);
    // kubelet's pod worker re-syncs a terminating pod until its teardown succeeds; a runtime error
    // such as a shim connection closing mid-kill usually clears on the next try.
    let errors = await tearDownPod(w, this.deps, graceS);
    for (let retry = 1; errors.length && retry < TEARDOWN_TRIES; retry++) {
      await new Promise((r) => setTimeout(r, 1000 * retry));
      errors = await tearDownPod(w, this.deps, 0);
    }
    if (errors.length) {
      this.checkpoint(w);
      throw new Error(`deleting pod ${w.key} left errors (will retry on the next delete or restart): ${errors.map((e) => e.message).join('; ')}`);
    }
    this.workers.delete(w.uid);
    this.byKey.delete(w.key);
    this.images.forget(w.uid);
    this.backoff.forget(`${w.uid}/`);
    this.store?.removePod(w.uid);
    for (const id of ids) this.seen.delete(id);
    this.changed(w);
  }

  async deleteClaim(namespace: string, name: string): Promise<void> {
    await this.volumes.deleteClaim(claimKey(namespace, name));
  }

  /** Container log text (CRI format decoded), current or previous attempt. */
  async logs(namespace: string, name: string, opts: { container?: string; previous?: boolean } = {}): Promise<string> {
    const path = await this.logPath(namespace, name, opts);
    return readCriLog(path);
  }

  async logPath(namespace: string, name: string, opts: { container?: string; previous?: boolean } = {}): Promise<string> {
    const w = this.worker(namespace, name);
    const names = [...w.containers.keys()];
    const cname = opts.container ?? (w.pod.spec.containers.length === 1 ? w.pod.spec.containers[0].name : undefined);
    if (!cname) throw new Error(`a container name must be specified for pod ${name}, choose one of: [${w.pod.spec.containers.map((c) => c.name).join(' ')}]`);
    const c = w.containers.get(cname);
    if (!c) throw new Error(`container ${cname} is not valid for pod ${name} (containers: ${names.join(', ')})`);
    const id = opts.previous ? c.oldIds.at(-1) : c.id;
    if (!id)
      throw new Error(
        opts.previous
          ? `previous terminated container "${cname}" in pod "${name}" not found`
          : `container "${cname}" in pod "${name}" is waiting to start: ${c.waiting?.reason ?? 'ContainerCreating'}`,
      );
    const st = await this.opts.cri.runtime.containerStatus({ containerId: id });
    const p = st.status?.logPath ?? '';
    if (!p) throw new Error(`runtime reports no log path for container ${cname}`);
    return isAbsolute(p) ? p : join(w.logDirectory, p);
  }

  /** Stop the kubelet. deletePods: tear every pod and claim down (what an interrupted `triad run` must do). */
  async shutdown(opts: { deletePods: boolean; deleteClaims?: boolean } = { deletePods: true }): Promise<Error[]> {
    this.stopped = true;
    if (this.plegTimer) clearTimeout(this.plegTimer);
    this.eventStream?.cancel();
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    const errors: Error[] = [];
    for (const w of this.workers.values()) w.stopAllProbes();
    if (opts.deletePods) {
      await Promise.all(
        [...this.workers.values()].map((w) =>
          this.terminate(w).catch((e: Error) => {
            errors.push(e);
          }),
        ),
      );
      if (opts.deleteClaims ?? true) {
        for (const key of [...this.volumes.claims.keys()]) {
          const [ns, name] = key.split('/');
          await this.deleteClaim(ns, name).catch((e: Error) => {
            errors.push(e);
          });
        }
      }
    }
    await this.relisting;
    return errors;
  }

  // ---- scheduling ----

  private wake(w: PodWorker, afterMs = 0): void {
    if (this.stopped || !this.workers.has(w.uid)) return;
    const at = Date.now() + afterMs;
    const t = this.timers.get(w);
    if (t && t.at <= at) return;
    if (t) t.cancel();
    const fire = () => {
      this.timers.delete(w);
      void this.run(w);
    };
    // "Now" runs on the next turn of the event loop, not a timer (which waits at least 1 ms).
    if (afterMs <= 0) {
      const i = setImmediate(fire);
      this.timers.set(w, { at, cancel: () => clearImmediate(i) });
    } else {
      const i = setTimeout(fire, afterMs);
      this.timers.set(w, { at, cancel: () => clearTimeout(i) });
    }
  }

  private async run(w: PodWorker): Promise<void> {
    if (this.running.has(w)) {
      this.dirty.add(w);
      return;
    }
    this.running.add(w);
    try {
      do {
        this.dirty.delete(w);
        await w.sync();
      } while (this.dirty.has(w) && !this.stopped);
    } finally {
      this.running.delete(w);
    }
    this.changed(w);
  }

  private changed(w: PodWorker): void {
    for (const l of this.listeners) l(w);
    for (const l of this.waiters.get(w.key) ?? []) l();
  }

  private checkpoint(w: PodWorker): void {
    if (!this.store || !this.workers.has(w.uid)) return;
    const cp: PodCheckpoint = {
      version: 1,
      pod: w.pod,
      sandboxId: w.sandboxId,
      sandboxAttempt: w.sandboxAttempt,
      volumes: w.volumes,
      volumesReady: w.volumesReady,
      containers: [...w.containers.values()].map((c) => ({ name: c.name, id: c.id, oldIds: c.oldIds, restartCount: c.restartCount })),
      initialized: w.initialized,
      terminal: w.terminal,
      deletionTimestamp: w.deletionTimestamp,
    };
    this.store.savePod(cp);
  }

  // ---- PLEG ----

  private schedulePleg(): void {
    if (this.stopped) return;
    this.plegTimer = setTimeout(() => {
      this.relisting = this.relist()
        .catch((e: Error) => this.opts.log?.(`PLEG relist failed: ${e.message}`))
        .finally(() => this.schedulePleg());
    }, this.opts.timings.plegPeriodMs);
  }

  /** Compare the runtime's view with the last one and tell the affected pod workers. */
  async relist(): Promise<void> {
    if (this.workers.size === 0) {
      this.seen.clear();
      return;
    }
    const full = this.relists++ % FULL_RELIST_EVERY === 0;
    const rt = this.opts.cri.runtime;
    const managed = { [L.MANAGED]: 'true' };
    const containers = (state?: CriState) => rt.listContainers({ filter: { labelSelector: managed, ...(state === undefined ? {} : { state: { state } }) } });
    // Likewise only sandboxes that are not ready matter (a ready one is what its worker believes).
    const [lists, ss] = await Promise.all([
      Promise.all(full ? [containers()] : [CriState.CONTAINER_CREATED, CriState.CONTAINER_EXITED, CriState.CONTAINER_UNKNOWN].map(containers)),
      rt.listPodSandbox({ filter: { state: { state: PodSandboxState.SANDBOX_NOTREADY }, labelSelector: { ...managed, [L.INSTANCE]: this.instance } } }),
    ]);
    const now = new Set<string>();
    const touched = new Set<PodWorker>();
    for (const c of lists.flatMap((l) => l.containers)) {
      now.add(c.id);
      // an unchanged container costs one map lookup
      if (this.seen.get(c.id)?.state === c.state) continue;
      const w = this.workers.get(c.labels[L.POD_UID]);
      if (!w) continue;
      this.seen.set(c.id, { state: c.state, w });
      // only news needs a sync (a container first seen in the state its worker gave it is none)
      if (await w.observe(c.id, c.state)) touched.add(w);
    }
    for (const [id, { w }] of full ? this.seen : []) {
      if (now.has(id)) continue;
      this.seen.delete(id);
      if (this.workers.get(w.uid) === w) {
        w.vanished(id);
        touched.add(w);
      }
    }
    for (const s of ss.items) {
      const w = this.workers.get(s.labels[L.POD_UID]);
      if (w && w.sandboxId === s.id) w.observeSandbox(s.state);
    }
    for (const w of touched) this.wake(w);
  }

  /** Use the runtime's container event stream where it has one; the relist stays as a safety net. */
  private subscribeEvents(): void {
    const stream = this.opts.cri.runtime.getContainerEvents({}, { timeoutMs: 365 * 24 * 3600_000 });
    this.eventStream = stream;
    void (async () => {
      try {
        for await (const ev of stream) {
          const uid = ev.podSandboxStatus?.labels[L.POD_UID] ?? ev.podSandboxStatus?.metadata?.uid;
          const w = uid ? this.workers.get(uid) : undefined;
          if (!w) continue;
          const state =
            ev.containerEventType === ContainerEventType.CONTAINER_STARTED_EVENT
              ? CriState.CONTAINER_RUNNING
              : ev.containerEventType === ContainerEventType.CONTAINER_STOPPED_EVENT
                ? CriState.CONTAINER_EXITED
                : undefined;
          if (state === undefined) continue;
          this.seen.set(ev.containerId, { state, w });
          // Only news needs a sync: the STARTED of a container this kubelet just started does not.
          if (await w.observe(ev.containerId, state)) this.wake(w);
        }
      } catch {
        /* UNIMPLEMENTED or the runtime went away: relisting covers it */
      }
    })();
  }

  // ---- recovery after a crash or kill -9 ----

  private async recover(): Promise<void> {
    if (!this.store) return;
    this.volumes.restoreClaims(this.store.loadClaims());
    const cps = this.store.loadPods((f, e) => this.opts.log?.(`ignoring unreadable checkpoint ${f}: ${e.message}`));
    const sandboxes = (await this.opts.cri.runtime.listPodSandbox({ filter: { labelSelector: { [L.MANAGED]: 'true', [L.INSTANCE]: this.instance } } })).items;
    const known = new Set<string>();
    for (const cp of cps) {
      const w = new PodWorker(cp.pod, this.deps);
      this.workers.set(w.uid, w);
      this.byKey.set(w.key, w.uid);
      w.volumes = cp.volumes;
      w.volumesReady = cp.volumesReady;
      w.sandboxId = cp.sandboxId;
      w.sandboxAttempt = cp.sandboxAttempt;
      w.initialized = cp.initialized;
      w.terminal = cp.terminal;
      for (const c of cp.containers) {
        const r = w.containers.get(c.name);
        if (r) restoreRecord(r, c);
      }
      const sb = sandboxes.find((s) => s.id === cp.sandboxId);
      if (sb) known.add(sb.id);
      if (cp.deletionTimestamp !== undefined) {
        w.rec.event('Normal', 'Recovered', 'finishing the deletion interrupted by a harness restart');
        await this.terminate(w).catch((e: Error) => this.opts.log?.(e.message));
      } else if (sb && sb.state === PodSandboxState.SANDBOX_READY) {
        await this.adopt(w);
      } else {
        // half-done: undo what was recorded, then start the pod afresh
        w.rec.event('Normal', 'Recovered', 'rolling back a pod start interrupted by a harness restart');
        const errors = await tearDownPod(w, this.deps);
        this.workers.delete(w.uid);
        this.byKey.delete(w.key);
        this.store.removePod(w.uid);
        if (errors.length) {
          this.opts.log?.(`rollback of ${w.key}: ${errors.map((e) => e.message).join('; ')}`);
          continue;
        }
        this.addPod(cp.pod);
      }
    }
    // sandboxes of this instance that no checkpoint knows: a crash between RunPodSandbox and the checkpoint
    for (const s of sandboxes) {
      if (known.has(s.id)) continue;
      const cs = await this.opts.cri.runtime.listContainers({ filter: { podSandboxId: s.id } });
      for (const c of cs.containers) {
        await this.opts.cri.runtime.stopContainer({ containerId: c.id, timeout: 0n }).catch(() => undefined);
        await this.opts.cri.runtime.removeContainer({ containerId: c.id }).catch(() => undefined);
      }
      await this.opts.cri.runtime.stopPodSandbox({ podSandboxId: s.id }).catch(() => undefined);
      await this.opts.cri.runtime.removePodSandbox({ podSandboxId: s.id }).catch(() => undefined);
      this.opts.log?.(`removed orphan sandbox ${s.id} (pod ${s.metadata?.namespace}/${s.metadata?.name})`);
    }
  }

  /** Take over a running pod: read its containers' states from the runtime and keep syncing. */
  private async adopt(w: PodWorker): Promise<void> {
    w.sandboxReady = true;
    const st = await this.opts.cri.runtime.podSandboxStatus({ podSandboxId: w.sandboxId!, verbose: true });
    w.podIPs = [st.status?.network?.ip, ...(st.status?.network?.additionalIps ?? []).map((x) => x.ip)].filter((x): x is string => !!x);
    const cs = await this.opts.cri.runtime.listContainers({ filter: { podSandboxId: w.sandboxId! } });
    for (const c of w.containers.values()) {
      const mine = cs.containers.filter((x) => x.labels[L.CONTAINER_NAME] === c.name).sort((a, b) => Number(a.createdAt - b.createdAt));
      const latest = mine.at(-1);
      adoptRecord(
        c,
        latest && { id: latest.id, attempt: latest.metadata?.attempt },
        mine.slice(0, -1).map((x) => x.id),
      );
      if (latest) {
        await w.observe(latest.id, latest.state);
        if (latest.state === CriState.CONTAINER_RUNNING) c.startedAt = Number(latest.createdAt / 1_000_000n);
      }
    }
    w.resumeProbes();
    w.rec.event('Normal', 'Adopted', `pod re-adopted after a harness restart (sandbox ${w.sandboxId!.slice(0, 13)})`);
    this.wake(w);
  }
}

/** The host's resolv.conf, or none when the file is missing. */
export function hostResolvConf(): string | undefined {
  return existsSync('/etc/resolv.conf') ? '/etc/resolv.conf' : undefined;
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
