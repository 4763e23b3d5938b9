// What CRI cases share: the suite's options, the env discovered at setup (runtime version, the
// test images, which optional RPCs the runtime answers), and a per-case kit — recording clients
// for RuntimeService and ImageService (every call lands in failure reports and the RPC coverage
// table) and helpers that run sandboxes and containers with their undo steps registered.
//
// Working alongside other users of the same runtime: everything a case creates carries the run
// label (triad.dev/conformance-run=<runId>) and a per-case label; lists and counts only ever
// look at objects with those labels; nothing requires an empty node.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  ContainerState,
  ImageServiceDefinition,
  PodSandboxState,
  RuntimeServiceDefinition,
  type ContainerConfig,
  type ContainerStatus,
  type PodSandboxConfig,
  type VersionResponse,
} from '../../interfaces/gen/cri/api.js';
import type { CriClient } from '../../interfaces/cri/client.js';
import type { CallOptions, PromiseClient, ServerStream } from '../../interfaces/grpc/client.js';
import { RpcError } from '../../interfaces/grpc/errors.js';
import type { DeepPartial, ServiceDef } from '../../interfaces/grpc/types.js';
import { ConformanceFailure, expectCode, expectOk, fail, type Expect } from '../runner/assert.js';
import type { CaseContext } from '../runner/context.js';
import { isGrpcCallOf, methodNames, recordedNames } from '../define.js';

export { ContainerState, PodSandboxState };

export const RUN_LABEL = 'triad.dev/conformance-run';
export const CASE_LABEL = 'triad.dev/conformance-case';
export const NAMESPACE = 'triad-conformance';

/** Defaults when no --test-image is given: what memory-cri's catalogue has (busybox, and pause as the scratch image). */
export const DEFAULT_TEST_IMAGES = ['docker.io/library/busybox:1.36', 'registry.k8s.io/pause:3.9'];

export interface CriSuiteOptions {
  /** RuntimeService endpoint: unix:///path, a socket path, or host:port. */
  runtimeEndpoint: string;
  /** ImageService endpoint when it is another one. */
  imageEndpoint?: string;
  /**
   * [0]: the image containers run (busybox-like: sh, sleep, echo, cat, id, hostname, httpd, wget);
   * [1]: the scratch image the pull/remove cases remove and pull again (never the same image as [0]).
   */
  testImages?: string[];
  /** Where host ports of pods answer (portmap DNAT address, e.g. the bridge gateway). Default 127.0.0.1. */
  hostPortAddress?: string;
  /** Parent of pod log directories and host-path volumes (default: a new temporary directory). */
  workDir?: string;
  /** cgroupfs parent for sandboxes (each gets <parent>/<pod name>); kubelet always sets one, and some runtimes need it for stats. */
  cgroupParent?: string;
  /** Per-call deadline outside cases, ms. */
  timeoutMs?: number;
}

export interface ScratchImage {
  ref: string;
  id: string;
  presentBefore: boolean;
}

export interface CriEnv {
  opts: CriSuiteOptions;
  /** Not recording: setup, cleanups, leak check. */
  client: CriClient;
  runId: string;
  prefix: string;
  workDir: string;
  /** The container image as given, and its id. */
  image: string;
  imageId: string;
  /** The image the remove cases may remove (and pull again), or why there is none. */
  scratch?: ScratchImage;
  scratchProblem?: string;
  version: VersionResponse;
  capabilities: Set<string>;
  /** RPC → the runtime's UNIMPLEMENTED message. */
  unimplemented: Map<string, string>;
  nodeHostname: string;
  /** An id no runtime object has. */
  unknownId: string;
  has(cap: string): boolean;
}

/** Capability label of an optional RPC the runtime implements (did not answer UNIMPLEMENTED at setup). */
export const rpcCap = (rpc: string) => `cri:${rpc}`;

// ---- rules (ids in conformance/rules/cri.yaml) ---------------------------------------------------

/** Rule ids the kit's helpers assert; a case using a helper declares the ids of its group below. */
export const RULES = {
  runOk: 'cri.run-pod-sandbox.ready',
  runId: 'cri.run-pod-sandbox.answers-id',
  createOk: 'cri.create-container.created',
  createId: 'cri.create-container.answers-id',
  startOk: 'cri.start-container.running',
  statusOk: 'cri.container-status.answers',
  sandboxStatusOk: 'cri.pod-sandbox-status.answers',
  execOk: 'cri.exec-sync.runs',
  notFound: 'cri.unknown-id.not-found',
  exitCode: 'cri.container-status.exit-code',
  logFormat: 'cri.logs.format',
  listSandboxes: 'cri.list-pod-sandbox.lists',
  listContainers: 'cri.list-containers.lists',
  eof: 'cri.stream-list.eof',
  nonEmpty: 'cri.stream-list.non-empty-messages',
  statusAnswers: 'cri.status.answers',
} as const;

/** What k.sandbox() asserts. */
export const POD = [RULES.runOk, RULES.runId];
/** What k.create() / k.run() assert (k.run also starts). */
export const CREATE = [RULES.createOk, RULES.createId];
export const RUN = [...CREATE, RULES.startOk];
/** What k.waitExited() asserts: the container exits with its process. */
export const EXIT = [RULES.exitCode];

// ---- recording clients ------------------------------------------------------------------------

const rpcError = (e: unknown) => (e instanceof RpcError ? { code: e.code, name: e.codeName, message: e.details } : undefined);

type Unary = (req?: unknown, o?: CallOptions) => Promise<unknown>;

/** Unary methods are recorded as-is; server streams are recorded when collected (kit.collect / kit.events). */
function recording<D extends ServiceDef>(ctx: CaseContext, def: D, client: PromiseClient<D>): PromiseClient<D> {
  const service = def.fullName.split('.').pop();
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(def.methods)) {
    const m = def.methods[key];
    const fn = (client as Record<string, Unary>)[key];
    if (m.requestStream || m.responseStream) {
      out[key] = fn;
      continue;
    }
    out[key] = (req: unknown = {}, o?: CallOptions) => ctx.track(`${service}/${m.name}`, req, fn(req, { timeoutMs: ctx.deadlineMs(), ...o }), rpcError);
  }
  return out as PromiseClient<D>;
}

/** Every RPC of both services, as the coverage table names them. */
export const CRI_RPCS = recordedNames(RuntimeServiceDefinition, ImageServiceDefinition);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A cleanup call tolerating NOT_FOUND: the thing is gone, which is what cleanup wanted. */
export async function gone(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof RpcError && e.codeName === 'NOT_FOUND')) throw e;
  }
}

export const isUnimplemented = (e: unknown) => e instanceof RpcError && e.codeName === 'UNIMPLEMENTED';

export interface Pod {
  id: string;
  config: DeepPartial<PodSandboxConfig>;
  name: string;
  uid: string;
  logDir: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** One line of a CRI log file. */
export interface LogLine {
  raw: string;
  time: string;
  stream: string;
  tag: string;
  text: string;
}

export function parseLogLine(raw: string): LogLine | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP])(?: (.*))?$/s.exec(raw);
  return m ? { raw, time: m[1], stream: m[2], tag: m[3], text: m[4] ?? '' } : undefined;
}

/** RFC 3339 with optional fraction of up to 9 digits and a zone (Z or ±hh:mm). */
export const RFC3339_NANO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

/** Remove the empty cgroup directories of a cgroupfs path in every hierarchy (v1 and v2), deepest first. */
export function removeCgroupDirs(path: string): void {
  const root = '/sys/fs/cgroup';
  const rel = path.replace(/^\/+/, '');
  if (!rel) return;
  let hierarchies: string[] = [''];
  try {
    hierarchies = ['', ...readdirSync(root)];
  } catch {
    return;
  }
  for (const h of hierarchies) {
    const parts = rel.split('/');
    for (let n = parts.length; n > 0; n--) {
      try {
        rmdirSync(join(root, h, ...parts.slice(0, n)));
      } catch {
        break;
      }
    }
  }
}

/** Every RPC of both services, by proto name: what a case may declare as its rpc. */
export const CRI_RPC_NAMES = methodNames(RuntimeServiceDefinition, ImageServiceDefinition);
export type CriRpc = (typeof CRI_RPC_NAMES)[number];

export class CriKit {
  static readonly rpcNames = CRI_RPC_NAMES;
  static isCallOf = isGrpcCallOf;
  readonly runtime: PromiseClient<typeof RuntimeServiceDefinition>;
  readonly image: PromiseClient<typeof ImageServiceDefinition>;
  /** Label value shared by everything this case creates. */
  readonly caseTag: string;

  constructor(
    readonly ctx: CaseContext,
    readonly env: CriEnv,
  ) {
    this.runtime = recording(ctx, RuntimeServiceDefinition, env.client.runtime);
    this.image = recording(ctx, ImageServiceDefinition, env.client.image);
    this.caseTag = `${ctx.run.prefix}-${ctx.seq}`;
  }

  has(cap: string): boolean {
    return this.env.capabilities.has(cap);
  }

  /** The run and case labels, plus extra ones. */
  labels(extra: Record<string, string> = {}): Record<string, string> {
    return { [RUN_LABEL]: this.env.runId, [CASE_LABEL]: this.caseTag, ...extra };
  }

  /** A selector for what this case created. */
  get mine(): Record<string, string> {
    return { [RUN_LABEL]: this.env.runId, [CASE_LABEL]: this.caseTag };
  }

  /** Skip as not applicable when the call answers UNIMPLEMENTED (an optional RPC the runtime lacks). */
  async optional<T>(p: Promise<T>, rpc: string): Promise<T> {
    try {
      return await p;
    } catch (e) {
      if (isUnimplemented(e)) this.ctx.notApplicable(`the runtime answers UNIMPLEMENTED for ${rpc}: ${(e as RpcError).details}`);
      const st = e instanceof ConformanceFailure ? e.details.status : undefined;
      if (st?.name === 'UNIMPLEMENTED') this.ctx.notApplicable(`the runtime answers UNIMPLEMENTED for ${rpc}: ${st.message}`);
      throw e;
    }
  }

  // ---- sandboxes ----

  /** A full PodSandboxConfig with fresh metadata, the run labels, a log directory; `over` replaces fields. */
  podConfig(over: DeepPartial<PodSandboxConfig> = {}): Pod['config'] & { metadata: { name: string; uid: string } } {
    const name = this.ctx.unique('pod');
    const uid = randomUUID();
    const logDirectory = join(this.env.workDir, 'pods', `${NAMESPACE}_${name}_${uid}`);
    const linux: Record<string, unknown> = { ...(over.linux ?? {}) };
    if (this.env.opts.cgroupParent && !linux.cgroupParent) linux.cgroupParent = `${this.env.opts.cgroupParent.replace(/\/+$/, '')}/${name}`;
    return {
      metadata: { name, namespace: NAMESPACE, uid, attempt: 0 },
      hostname: name,
      logDirectory,
      annotations: { 'triad.dev/conformance-case-id': this.ctx.id },
      ...over,
      labels: this.labels(over.labels as Record<string, string> | undefined),
      linux,
    } as Pod['config'] & { metadata: { name: string; uid: string } };
  }

  /** Register stop + remove of a sandbox (tolerating NOT_FOUND), and its cgroup dirs. */
  trackSandbox(id: string, config: Pod['config']): void {
    const parent = config.linux?.cgroupParent;
    if (parent && this.env.opts.cgroupParent) this.ctx.cleanup(() => removeCgroupDirs(parent), `remove cgroup ${parent}`);
    this.ctx.cleanup(async () => {
      await gone(this.env.client.runtime.stopPodSandbox({ podSandboxId: id }));
      await gone(this.env.client.runtime.removePodSandbox({ podSandboxId: id }));
    }, `StopPodSandbox + RemovePodSandbox ${id}`);
  }

  /** RunPodSandbox that must succeed; the sandbox is stopped and removed when the case ends. */
  async sandbox(over: DeepPartial<PodSandboxConfig> = {}, rule: string = RULES.runOk): Promise<Pod> {
    const config = this.podConfig(over);
    const logDir = config.logDirectory;
    if (logDir) {
      mkdirSync(logDir, { recursive: true });
      this.ctx.cleanup(() => rmSync(logDir, { recursive: true, force: true }), `remove log directory ${logDir}`);
    }
    const p = this.runtime.runPodSandbox({ config });
    const res = await expectOk(p, { rule });
    if (!res.podSandboxId) fail('RunPodSandbox answered without pod_sandbox_id', { rule: RULES.runId, call: p });
    this.trackSandbox(res.podSandboxId, config);
    return { id: res.podSandboxId, config, name: config.metadata.name, uid: config.metadata.uid, logDir: config.logDirectory ?? '' };
  }

  // ---- containers ----

  /** A ContainerConfig running `command` in the test image with the run labels and a log path. */
  containerConfig(name: string, command: string[], over: DeepPartial<ContainerConfig> = {}): DeepPartial<ContainerConfig> {
    return {
      metadata: { name, attempt: 0 },
      image: { image: this.env.image },
      command,
      logPath: `${name}/0.log`,
      annotations: { 'triad.dev/conformance-case-id': this.ctx.id },
      linux: {},
      ...over,
      labels: this.labels(over.labels as Record<string, string> | undefined),
    };
  }

  trackContainer(id: string): void {
    this.ctx.cleanup(() => gone(this.env.client.runtime.removeContainer({ containerId: id })), `RemoveContainer ${id}`);
  }

  /** CreateContainer that must succeed; removed when the case ends. */
  async create(pod: Pod, name: string, command: string[], over: DeepPartial<ContainerConfig> = {}): Promise<string> {
    const p = this.runtime.createContainer({ podSandboxId: pod.id, config: this.containerConfig(name, command, over), sandboxConfig: pod.config });
    const res = await expectOk(p, { rule: RULES.createOk });
    if (!res.containerId) fail('CreateContainer answered without container_id', { rule: RULES.createId, call: p });
    this.trackContainer(res.containerId);
    return res.containerId;
  }

  async start(containerId: string): Promise<void> {
    await expectOk(this.runtime.startContainer({ containerId }), { rule: RULES.startOk });
  }

  /** Created and started. */
  async run(pod: Pod, name: string, command: string[], over: DeepPartial<ContainerConfig> = {}): Promise<string> {
    const id = await this.create(pod, name, command, over);
    await this.start(id);
    return id;
  }

  /** A running container that sleeps (for exec, stats, updates). */
  sleeper(pod: Pod, name = 'sleeper', over: DeepPartial<ContainerConfig> = {}): Promise<string> {
    return this.run(pod, name, ['sleep', '3600'], over);
  }

  async status(containerId: string, rule: string = RULES.statusOk): Promise<ContainerStatus> {
    const p = this.runtime.containerStatus({ containerId });
    const res = await expectOk(p, { rule });
    if (!res.status) fail('ContainerStatus answered without status', { rule, call: p });
    return res.status;
  }

  /** Poll (unrecorded) until the container is in `state`, then one recorded ContainerStatus. */
  async waitState(containerId: string, state: ContainerState, timeoutMs = 10_000, rule: string = RULES.exitCode): Promise<ContainerStatus> {
    const deadline = Date.now() + Math.min(timeoutMs, this.ctx.deadlineMs() - 200);
    for (;;) {
      let st: ContainerState | undefined;
      try {
        st = (await this.env.client.runtime.containerStatus({ containerId }, { timeoutMs: 5000 })).status?.state;
      } catch {
        /* reported by the recorded call below */
      }
      if (st === state || Date.now() > deadline || this.ctx.aborted) break;
      await sleep(50);
    }
    const p = this.runtime.containerStatus({ containerId });
    const res = await expectOk(p, { rule });
    if (res.status?.state !== state) {
      fail(
        `container ${containerId} is ${ContainerState[res.status?.state ?? -1] ?? res.status?.state}, expected ${ContainerState[state]} within ${timeoutMs} ms`,
        { rule, call: p, expected: ContainerState[state], actual: ContainerState[res.status?.state ?? -1] },
      );
    }
    return res.status!;
  }

  waitExited(containerId: string, timeoutMs = 10_000, rule: string = RULES.exitCode): Promise<ContainerStatus> {
    return this.waitState(containerId, ContainerState.CONTAINER_EXITED, timeoutMs, rule);
  }

  /** ExecSync that must answer (any exit code). */
  async exec(containerId: string, cmd: string[], timeoutS = 10, rule: string = RULES.execOk): Promise<ExecResult> {
    const p = this.runtime.execSync({ containerId, cmd, timeout: BigInt(timeoutS) });
    const r = await expectOk(p, { rule });
    return { stdout: Buffer.from(r.stdout).toString(), stderr: Buffer.from(r.stderr).toString(), exitCode: r.exitCode };
  }

  sh(containerId: string, script: string, timeoutS = 10): Promise<ExecResult> {
    return this.exec(containerId, ['sh', '-c', script], timeoutS);
  }

  /** `sh -c script` that must exit 0; answers stdout. */
  async shOk(containerId: string, script: string, rule: string): Promise<string> {
    const r = await this.sh(containerId, script);
    if (r.exitCode !== 0)
      fail(`\`${script}\` exited ${r.exitCode} (stderr: ${JSON.stringify(r.stderr.slice(0, 300))})`, { rule, call: this.ctx.lastCall, actual: r });
    return r.stdout;
  }

  // ---- logs ----

  /** The lines of a log file ([] while it does not exist). */
  logLines(path: string): string[] {
    try {
      return readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l !== '');
    } catch {
      return [];
    }
  }

  /** Wait until the log at `path` has a line satisfying pred. */
  async waitLog(path: string, pred: (l: LogLine | undefined, raw: string) => boolean, timeoutMs: number, what: string, rule: string): Promise<string[]> {
    const deadline = Date.now() + Math.min(timeoutMs, this.ctx.deadlineMs() - 200);
    for (;;) {
      const lines = this.logLines(path);
      if (lines.some((l) => pred(parseLogLine(l), l))) return lines;
      if (Date.now() > deadline || this.ctx.aborted) fail(`${what} did not appear in ${path} within ${timeoutMs} ms`, { rule, actual: lines.slice(-20) });
      await sleep(50);
    }
  }

  // ---- host paths ----

  /** A fresh host directory for volumes, removed when the case ends (whatever a container wrote in it). */
  hostDir(label = 'vol'): string {
    const dir = join(this.env.workDir, 'volumes', this.ctx.unique(label));
    mkdirSync(dir, { recursive: true });
    this.ctx.cleanup(() => rmSync(dir, { recursive: true, force: true }), `remove host directory ${dir}`);
    return dir;
  }

  // ---- server streams ----

  /**
   * Call a server-streaming list RPC (Stream*) and collect its messages until the server ends the
   * stream. A stream still open after limitMs is cancelled and fails on RULES.eof; a message
   * without items (its list under `key` empty) fails on RULES.nonEmpty. Recorded like a unary call.
   */
  collect<T>(rpc: string, req: unknown, open: (req: unknown, o: CallOptions) => ServerStream<T>, key: string, limitMs = 5000): Promise<T[]> {
    const items: T[] = [];
    let cut = false;
    const p = (async () => {
      const s = open(req, { timeoutMs: this.ctx.deadlineMs() });
      const timer = setTimeout(
        () => {
          cut = true;
          s.cancel();
        },
        Math.min(limitMs, this.ctx.deadlineMs()),
      );
      try {
        for await (const x of s) items.push(x);
      } catch (e) {
        if (!cut) throw e;
      } finally {
        clearTimeout(timer);
      }
      return items;
    })();
    const tracked = this.ctx.track(rpc, req, p, rpcError);
    return tracked.then((msgs) => {
      if (cut)
        fail(`${rpc} sent ${msgs.length} message(s) but did not end the stream within ${limitMs} ms`, { rule: RULES.eof, call: tracked, actual: msgs.length });
      const empty = msgs.findIndex((m) => !(m as Record<string, unknown[]>)[key]?.length);
      if (empty >= 0) fail(`message ${empty + 1} of ${msgs.length} of ${rpc} has no items in ${key}`, { rule: RULES.nonEmpty, call: tracked });
      return msgs;
    });
  }
}

/** Every item of a stream of messages each holding a list (Stream* RPCs). */
export const flat = <T, K extends string>(msgs: Array<Record<K, T[]>>, key: K): T[] => msgs.flatMap((m) => m[key] ?? []);

/** The call must succeed or fail with one of `codes`. */
export async function expectOkOr(p: Promise<unknown>, codes: string | string[], { rule, what }: Expect): Promise<void> {
  try {
    await p;
  } catch {
    await expectCode(p, codes, { rule, what });
  }
}

/** The call must fail (with any code: the CRI names none for it). `created` registers cleanup of what a wrong success made. */
export async function expectRefused<T>(p: Promise<T>, { rule, what = 'the call', created }: Expect & { created?: (v: T) => void }): Promise<void> {
  let v: T;
  try {
    v = await p;
  } catch {
    return;
  }
  created?.(v);
  fail(`${what} succeeded; expected the runtime to refuse it`, { rule, call: p, expected: 'an error', actual: 'OK' });
}

/** "a1b2…" → a short id for messages. */
export const short = (id: string) => id.slice(0, 13);

/**
 * The call names an id the runtime does not know: it must fail (`rule`, where api.proto says
 * so) and with NOT_FOUND (RULES.notFound, what kubelet relies on).
 */
export async function expectNotFound(p: Promise<unknown>, { rule: errorRule, what }: Partial<Expect> = {}): Promise<void> {
  let ok = false;
  try {
    await p;
    ok = true;
  } catch {
    /* checked below */
  }
  if (ok && errorRule) await expectCode(p, 'NOT_FOUND', { rule: errorRule, what });
  await expectCode(p, 'NOT_FOUND', { rule: RULES.notFound, what });
}
