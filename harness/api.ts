// startHarness: a node (the harness kubelet on the plugins a triad.yaml names) for a plugin's own
// tests — apply manifests, wait for pods, read status, events, logs and timelines, tear down.
// It wraps startNode (harness/node.ts) and the kubelet's API; `triad run` does the same from the
// command line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Manifest, Pod, PodEvent, PodTimeline } from './api/types.js';
import { settled } from './kubelet/status.js';
import { defaultStateDir, loadConfig, parseConfig, type TriadConfig } from './config/config.js';
import type { Kubelet } from './kubelet/kubelet.js';
import { loadManifests, parseManifests } from './manifest/index.js';
import { startNode, type Node } from './node.js';
import { podTable, timelineText } from './output/index.js';

export interface HarnessOptions {
  /** A triad.yaml path, its content as an object, or a parsed config (default: every plugin in-memory). */
  config?: string | Record<string, unknown> | TriadConfig;
  /**
   * The kubelet's state dir. Default: the config's kubelet.stateDir when it sets one, else a new
   * temporary directory removed by close() (so two harnesses never share one).
   */
  stateDir?: string;
  /** Progress lines of the node (default: none). */
  log?: (msg: string) => void;
}

/** What waitFor waits for: a phase, Ready, Settled (as `triad run` waits: ready, or finished), or a predicate. */
export type PodCondition = 'Running' | 'Ready' | 'Succeeded' | 'Failed' | 'Settled' | ((pod: Pod) => boolean);

export interface Harness {
  node: Node;
  kubelet: Kubelet;
  config: TriadConfig;
  stateDir: string;
  /** Apply Pod and PersistentVolumeClaim manifests: YAML/JSON text (one or more documents) or objects. */
  apply(manifests: string | Manifest | Manifest[]): Promise<Pod[]>;
  /** Apply manifest files or directories, as `triad run FILE…` does. */
  applyFiles(...paths: string[]): Promise<Pod[]>;
  /** Resolves with the pod once the condition holds; rejects after timeoutMs (default 60 s) naming the last phase. */
  waitFor(name: string, until?: PodCondition, opts?: { namespace?: string; timeoutMs?: number }): Promise<Pod>;
  /** The pod with its v1 status (throws when there is no such pod). */
  pod(name: string, namespace?: string): Pod;
  pods(namespace?: string): Pod[];
  events(name: string, namespace?: string): PodEvent[];
  /** The pod's creation timeline (CSI, CRI and CNI steps with their times). */
  timeline(name: string, namespace?: string): PodTimeline;
  /** The timeline as the text waterfall `triad run` prints. */
  timelineText(name: string, namespace?: string): string;
  logs(name: string, opts?: { namespace?: string; container?: string; previous?: boolean }): Promise<string>;
  /** `triad get pods` as text. */
  table(): string;
  /** Delete a pod as kubelet does (preStop, stop with the grace period, sandbox, volumes). */
  delete(name: string, opts?: { namespace?: string; graceSeconds?: number }): Promise<void>;
  /** Delete a PersistentVolumeClaim: its volume is unpublished and deleted (DeleteVolume). */
  deleteClaim(name: string, namespace?: string): Promise<void>;
  /** Tear down every pod and claim, stop the kubelet and every plugin it started; throws when a step failed. */
  close(): Promise<void>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function configOf(config: HarnessOptions['config']): TriadConfig {
  if (config === undefined) return loadConfig();
  if (typeof config === 'string') return loadConfig(isAbsolute(config) ? config : resolve(config));
  if (!isObject(config)) throw new Error('startHarness: config must be a triad.yaml path or a config object');
  // A parsed TriadConfig (loadConfig, parseConfig) carries its source; a triad.yaml object does not.
  return typeof config.source === 'string' ? (config as unknown as TriadConfig) : parseConfig(config, '(config object)');
}

const conditions: Record<Exclude<PodCondition, Function>, (p: Pod) => boolean> = {
  Running: (p) => p.status?.phase === 'Running',
  Ready: (p) => p.status?.conditions.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
  Succeeded: (p) => p.status?.phase === 'Succeeded',
  Failed: (p) => p.status?.phase === 'Failed',
  Settled: settled,
};

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  let cfg = configOf(opts.config);
  let temp: string | undefined;
  let stateDir = opts.stateDir;
  if (!stateDir && cfg.kubelet.stateDir === defaultStateDir()) stateDir = temp = mkdtempSync(join(tmpdir(), 'triad-harness-'));
  if (stateDir) cfg = { ...cfg, kubelet: { ...cfg.kubelet, stateDir: resolve(stateDir) } };
  let node: Node;
  try {
    node = await startNode(cfg, { log: opts.log });
  } catch (e) {
    if (temp) rmSync(temp, { recursive: true, force: true });
    throw e;
  }
  const k = node.kubelet;
  const ns = (n?: string) => n ?? 'default';
  return {
    node,
    kubelet: k,
    config: cfg,
    stateDir: cfg.kubelet.stateDir,
    apply: (m) => k.apply(typeof m === 'string' ? parseManifests(m, '(manifests)') : Array.isArray(m) ? m : [m]),
    applyFiles: (...paths) => k.apply(loadManifests(paths)),
    waitFor: (name, until = 'Settled', o = {}) => {
      const pred = typeof until === 'function' ? until : conditions[until];
      if (!pred) throw new Error(`waitFor: unknown condition ${JSON.stringify(until)} (Running, Ready, Succeeded, Failed, Settled or a function)`);
      return k.waitFor(ns(o.namespace), name, pred, o.timeoutMs ?? 60_000);
    },
    pod: (name, n) => k.get(ns(n), name),
    pods: (n) => k.list(n),
    events: (name, n) => k.events(ns(n), name),
    timeline: (name, n) => k.timeline(ns(n), name),
    timelineText: (name, n) => timelineText(k.timeline(ns(n), name), { color: false }),
    logs: (name, o = {}) => k.logs(ns(o.namespace), name, { container: o.container, previous: o.previous }),
    table: () => podTable(k.list()),
    delete: (name, o = {}) => k.delete(ns(o.namespace), name, o.graceSeconds),
    deleteClaim: (name, n) => k.deleteClaim(ns(n), name),
    close: async () => {
      try {
        const errors = await node.close();
        if (errors.length) throw new AggregateError(errors, `harness teardown: ${errors.map((e) => e.message).join('; ')}`);
      } finally {
        if (temp) rmSync(temp, { recursive: true, force: true });
      }
    },
  };
}
