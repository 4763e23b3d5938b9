// Shared helper of the reference-stack tests: decides whether the stack can run here, brings it
// up once per file (reusing a running one) and tears it down again when this file started it.
// Not root or packages missing → the tests are skipped with the reason in their names, EXCEPT
// in CI (CI=true), where a missing stack is a failure. TRIAD_REFERENCE_KEEP=1 keeps a stack
// this file started (faster local iteration; `triad reference down` removes it).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'uvu';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../harness/config/config.js';
import { POD_UID } from '../../harness/kubelet/labels.js';
import { startNode, type Node } from '../../harness/node.js';
import { CriClient } from '../../interfaces/cri/client.js';
import { links } from '../../plugins/bridge/index.js';
import { mountsUnder } from '../../plugins/containerd/index.js';
import { run, which } from '../../plugins/reference/proc.js';
import { parseConfigText } from '../../harness/config/config.js';
import {
  isRoot,
  missingPackages,
  referenceDown,
  referenceStatus,
  referenceUp,
  type ConfigCheck,
  type StackInfo,
  type UpResult,
} from '../../plugins/reference/index.js';

export interface StackHandle {
  available: boolean;
  reason?: string;
  stack?: UpResult;
  client?: CriClient;
  /** This process started the stack (so it takes it down). */
  owned: boolean;
  /** Run `fn` in release(), before the stack goes down, last registered first (also on SIGTERM/SIGINT). */
  defer(fn: () => unknown): void;
  release(): Promise<void>;
}

const ci = process.env.CI === 'true';

export function unavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (!isRoot()) return 'not root';
  const missing = missingPackages();
  if (missing.length)
    return `missing ${missing
      .map((m) => m.pkg)
      .filter((p, i, a) => a.indexOf(p) === i)
      .join(', ')} (run .ci/setup-host)`;
  return undefined;
}

/** The stack's triad.yaml must pass the harness's own parser, as `triad reference` checks it. */
export const checkConfig: ConfigCheck = (text, file) => {
  parseConfigText(text, file);
};

export async function useStack(opts: { stateDir?: string } = {}): Promise<StackHandle> {
  const reason = unavailableReason();
  if (reason) {
    if (ci) throw new Error(`reference stack unavailable in CI: ${reason}`);
    console.log(`(reference stack unavailable here: ${reason}; its tests are skipped)`);
    return { available: false, reason, owned: false, defer: () => undefined, release: async () => undefined };
  }
  const before = await referenceStatus({ stateDir: opts.stateDir, checkConfig });
  const started = Date.now();
  let stack: UpResult;
  try {
    stack = await referenceUp({ stateDir: opts.stateDir, checkConfig });
  } catch (err) {
    // Root with the packages present: a failing up is a real failure, never a skip.
    throw new Error(`reference up failed: ${(err as Error).message}`);
  }
  const owned = !before.healthy;
  if (owned)
    console.log(
      `(reference stack up in ${Date.now() - started} ms on subnet ${stack.network.subnet}${process.env.TRIAD_REFERENCE_SUBNET ? ` (TRIAD_REFERENCE_SUBNET=${process.env.TRIAD_REFERENCE_SUBNET})` : ''}: ${JSON.stringify(stack.timingsMs)})`,
    );
  const client = new CriClient(stack.containerd!.endpoint, { timeoutMs: 60_000 });
  await client.waitForReady(10_000);
  let released = false;
  const deferred: Array<() => unknown> = [];
  const release = async () => {
    if (released) return;
    released = true;
    for (const fn of deferred.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        console.error(`(cleanup: ${(err as Error).message})`);
      }
    }
    client.close();
    if (owned && process.env.TRIAD_REFERENCE_KEEP !== '1') await referenceDown({ stateDir: opts.stateDir });
  };
  // The runner kills a timed-out file with SIGTERM: take the stack down first.
  const onSignal = (sig: NodeJS.Signals) => {
    void release().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return {
    available: true,
    stack,
    client,
    owned,
    defer: (fn) => {
      deferred.push(fn);
    },
    release,
  };
}

/** `it(name, fn)`: the suite's test, or a skip naming why when the stack is unavailable. */
export function testOrSkip(t: Test, h: StackHandle): (name: string, fn: () => Promise<void> | void) => void {
  if (h.available) return (name, fn) => t(name, fn);
  return (name, fn) => t.skip(`${name} [skipped: reference stack unavailable: ${h.reason}]`, fn);
}

// ---- the harness kubelet on the reference stack (harness-*.serial.test.ts) ----------------------

export interface StackNode extends Node {
  /** The kubelet state dir (pods, staging and target paths, checkpoints, logs). */
  dir: string;
  /** close() the node; throws with its errors, and when a mount is left under dir. Removes dir. */
  cleanup(): Promise<void>;
}

/** Fast kubelet timings for tests on real plugins (the in-memory tests use 20 ms / 150 ms). */
export const FAST_KUBELET = { plegPeriodMs: 100, backoff: { initialMs: 200, maxMs: 1600 }, probeTimeScale: 0.02, rpcTimeoutMs: 60_000 };

/**
 * A harness node from the stack's own triad.yaml, with sections replaced (runtime, network,
 * storage) and the kubelet in a fresh temporary state dir with fast timings.
 */
export async function stackNode(s: StackInfo, replace: { runtime?: object; network?: object; storage?: object; kubelet?: object } = {}): Promise<StackNode> {
  const raw = parseYaml(readFileSync(s.triadYaml, 'utf8')) as Record<string, unknown>;
  const dir = mkdtempSync(join(tmpdir(), 'triad-ref-harness-'));
  for (const k of ['runtime', 'network', 'storage'] as const) if (replace[k]) raw[k] = replace[k];
  raw.kubelet = { ...FAST_KUBELET, ...(replace.kubelet ?? {}), stateDir: dir };
  let node: Node;
  try {
    node = await startNode(parseConfig(raw, s.triadYaml));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let done: Promise<void> | undefined;
  return {
    ...node,
    dir,
    cleanup: () =>
      (done ??= (async () => {
        const errors = await node.close();
        const left = mountsUnder(dir);
        if (!left.length) rmSync(dir, { recursive: true, force: true });
        if (errors.length || left.length) {
          throw new Error(
            `node teardown: ${[...errors.map((e) => e.message), ...(left.length ? [`mounts left under ${dir}: ${left.join(', ')}`] : [])].join('; ')}`,
          );
        }
      })()),
  };
}

export { httpGet } from '../../conformance/runner/http.js';

/** What a runtime's verbose PodSandboxStatus tells about the sandbox's network namespace and ports. */
export async function sandboxNetInfo(node: Node, sandboxId: string): Promise<{ netns?: string; portForwards?: Record<string, string> }> {
  const st = await node.cri.runtime.podSandboxStatus({ podSandboxId: sandboxId, verbose: true });
  const info = JSON.parse(st.info.info ?? '{}') as {
    netns?: string;
    portForwards?: Record<string, string>;
    runtimeSpec?: { linux?: { namespaces?: { type: string; path?: string }[] } };
  };
  const netns = info.runtimeSpec?.linux?.namespaces?.find((n) => n.type === 'network')?.path || info.netns || undefined;
  return { netns, portForwards: info.portForwards };
}

/** Sandboxes and containers the runtime still lists for a pod uid. */
export async function runtimeLeftovers(node: Node, uid: string): Promise<{ sandboxes: string[]; containers: string[] }> {
  const sel = { labelSelector: { [POD_UID]: uid } };
  const [sb, cs] = await Promise.all([node.cri.runtime.listPodSandbox({ filter: sel }), node.cri.runtime.listContainers({ filter: sel })]);
  return { sandboxes: sb.items.map((x) => x.id), containers: cs.containers.map((x) => x.id) };
}

/** Is `path` a mount point, or does anything live at it? (a deleted netns leaves neither) */
export function pathLeft(path: string): boolean {
  return existsSync(path) || mountsUnder(path).length > 0;
}

/**
 * The host end of the pod's veth: the link whose ifindex is the `link_index` of eth0 inside the
 * netns. Exact even when other pods share the bridge. undefined when eth0 is not a veth.
 */
export async function hostVeth(netns: string): Promise<string | undefined> {
  const out = await run(which('nsenter') ?? 'nsenter', [`--net=${netns}`, 'ip', '-j', 'link', 'show', 'eth0']);
  const [eth0] = JSON.parse(out || '[]') as { link_index?: number }[];
  if (!eth0?.link_index) return undefined;
  return (await links()).find((l) => l.ifindex === eth0.link_index)?.ifname;
}
