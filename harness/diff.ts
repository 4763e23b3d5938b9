// Differential runs: the same pods on two node configurations (triad.yaml A and B), every gRPC
// call recorded by the interposer, then the two transcripts normalized — generated ids, times,
// addresses and state paths replaced by stable placeholders — and compared: calls made on one
// side only or in another order, a different status code for the same call, answer fields
// present on one side only, and a different final pod status.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest, Pod } from './api/types.js';
import type { TriadConfig } from './config/config.js';
import { startNode } from './node.js';
import { readTranscript, type TranscriptEntry } from '../interfaces/interposer/transcript.js';

export interface SideRun {
  config: string;
  calls: TranscriptEntry[];
  pods: Array<{ name: string; status: unknown }>;
  errors: string[];
  /** Replaced by <state> in paths. */ stateDir?: string;
}

export interface Divergence {
  kind: 'calls' | 'order' | 'code' | 'field' | 'pod-status';
  /** Method (Service/RPC, with the n-th call of it: `RuntimeService/CreateContainer#1`) or pod name. */
  where: string;
  a?: unknown;
  b?: unknown;
  message: string;
}

export interface DiffResult {
  a: { config: string; calls: number; errors: string[] };
  b: { config: string; calls: number; errors: string[] };
  divergences: Divergence[];
}

/** Run the manifests on one configuration with every plugin recorded; the node is torn down (teardown calls recorded too). */
export async function recordRun(cfg: TriadConfig, manifests: Manifest[], opts: { timeoutMs: number; settled: (p: Pod) => boolean }): Promise<SideRun> {
  const dir = mkdtempSync(join(tmpdir(), 'triad-diff-'));
  const record = join(dir, 'calls.jsonl');
  const run: TriadConfig = {
    ...cfg,
    runtime: { ...cfg.runtime, interpose: { rules: cfg.runtime.interpose?.rules ?? [], record } },
    storage: { ...cfg.storage, drivers: cfg.storage.drivers.map((d) => ({ ...d, interpose: { rules: d.interpose?.rules ?? [], record } })) },
    kubelet: { ...cfg.kubelet, stateDir: join(dir, 'node') },
  };
  const errors: string[] = [];
  const node = await startNode(run);
  let pods: Array<{ name: string; status: unknown }> = [];
  try {
    const applied = await node.kubelet.apply(manifests);
    await Promise.all(
      applied.map((p) =>
        node.kubelet.waitFor(p.metadata.namespace!, p.metadata.name, opts.settled, opts.timeoutMs).catch((e: Error) => {
          errors.push(`${p.metadata.name}: ${e.message}`);
        }),
      ),
    );
    pods = applied.map((p) => ({ name: p.metadata.name, status: node.kubelet.get(p.metadata.namespace!, p.metadata.name).status }));
  } finally {
    for (const e of await node.close()) errors.push(`teardown: ${e.message}`);
  }
  const calls = readTranscript(record);
  rmSync(dir, { recursive: true, force: true });
  return { config: cfg.source, calls, pods, errors, stateDir: dir };
}

// ---- normalization ----

const ID_KEYS = /^(podSandboxId|containerId|volumeId|snapshotId|id|imageRef|uid|sandboxId|containerID)$/;
const TIME_KEYS = /(At|Timestamp|timestamp|createdAt|startedAt|finishedAt|time|lastProbeTime|lastTransitionTime|startTime)$/;
const IP = /\b(\d{1,3}\.){3}\d{1,3}(\/\d+)?\b|\b[0-9a-f]{1,4}(:[0-9a-f]{0,4}){2,7}\b/gi;
const HEX_ID = /\b[0-9a-f]{32,64}\b/g;

/** Stable placeholders per run: the n-th distinct id seen becomes <id-n>, wherever it appears later. */
class Normalizer {
  private readonly ids = new Map<string, string>();
  constructor(private readonly stateDirs: string[]) {}

  private id(v: string): string {
    let out = this.ids.get(v);
    if (!out) {
      out = `<id-${this.ids.size + 1}>`;
      this.ids.set(v, out);
    }
    return out;
  }

  value(v: unknown, key = ''): unknown {
    if (Array.isArray(v)) return v.map((x) => this.value(x, key));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.value(x, k);
      return out;
    }
    if (typeof v === 'string') {
      if (TIME_KEYS.test(key)) return '<time>';
      if (ID_KEYS.test(key) && v) return this.id(v);
      let s = v;
      for (const d of this.stateDirs) s = s.split(d).join('<state>');
      s = s.replace(HEX_ID, (m) => this.id(m)).replace(IP, '<ip>');
      for (const [raw, ph] of this.ids) if (raw.length >= 8) s = s.split(raw).join(ph);
      return s;
    }
    if ((typeof v === 'number' || typeof v === 'bigint') && TIME_KEYS.test(key)) return '<time>';
    return v;
  }
}

/** Field paths of an answer (leaves; list items as []), to compare which fields each side fills. */
function fieldPaths(v: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) {
    for (const x of v) fieldPaths(x, `${prefix}[]`, out);
    return out;
  }
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (
        x === undefined ||
        x === null ||
        x === '' ||
        (Array.isArray(x) && !x.length) ||
        (typeof x === 'object' && !Array.isArray(x) && !Object.keys(x as object).length)
      )
        continue;
      fieldPaths(x, prefix ? `${prefix}.${k}` : k, out);
    }
    return out;
  }
  if (prefix) out.add(prefix);
  return out;
}

/** Polling calls (relists, status checks, the event stream) come as often as time allows: compared by kind only. */
const POLLING = new Set([
  'RuntimeService/ListContainers',
  'RuntimeService/ListPodSandbox',
  'RuntimeService/ContainerStatus',
  'RuntimeService/PodSandboxStatus',
  'RuntimeService/GetContainerEvents',
  'RuntimeService/Status',
  'RuntimeService/Version',
  'ImageService/ImageStatus',
  'RuntimeService/ContainerStats',
  'RuntimeService/ListContainerStats',
]);

function podStatusView(n: Normalizer, status: unknown): unknown {
  const s = status as Pod['status'];
  if (!s) return undefined;
  const cs = (list: NonNullable<Pod['status']>['containerStatuses'] | undefined) =>
    (list ?? []).map((c) => ({
      name: c.name,
      ready: c.ready,
      restartCount: c.restartCount,
      state: Object.fromEntries(
        Object.entries(c.state ?? {}).map(([k, v]) => [k, { reason: (v as { reason?: string })?.reason, exitCode: (v as { exitCode?: number })?.exitCode }]),
      ),
    }));
  return n.value({
    phase: s.phase,
    reason: s.reason,
    conditions: (s.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason })),
    initContainerStatuses: cs(s.initContainerStatuses),
    containerStatuses: cs(s.containerStatuses),
  });
}

const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);

export function diffRuns(a: SideRun, b: SideRun): DiffResult {
  const out: Divergence[] = [];
  const na = new Normalizer(a.stateDir ? [a.stateDir] : []);
  const nb = new Normalizer(b.stateDir ? [b.stateDir] : []);
  const seq = (r: SideRun) => r.calls.filter((c) => !POLLING.has(c.method));
  const sa = seq(a);
  const sb = seq(b);
  // calls one side makes more often (or only it makes)
  const count = (s: TranscriptEntry[]) => s.reduce((m, c) => m.set(c.method, (m.get(c.method) ?? 0) + 1), new Map<string, number>());
  const ca = count(sa);
  const cb = count(sb);
  for (const m of [...new Set([...ca.keys(), ...cb.keys()])].sort()) {
    if ((ca.get(m) ?? 0) !== (cb.get(m) ?? 0))
      out.push({ kind: 'calls', where: m, a: ca.get(m) ?? 0, b: cb.get(m) ?? 0, message: `${m}: called ${ca.get(m) ?? 0} times on A, ${cb.get(m) ?? 0} on B` });
  }
  // of the polling calls only the event subscription says something when one side lacks it (relists come with time)
  for (const m of ['RuntimeService/GetContainerEvents'].filter((p) => a.calls.some((c) => c.method === p) !== b.calls.some((c) => c.method === p))) {
    out.push({
      kind: 'calls',
      where: m,
      a: a.calls.some((c) => c.method === m),
      b: b.calls.some((c) => c.method === m),
      message: `${m}: called on ${a.calls.some((c) => c.method === m) ? 'A' : 'B'} only`,
    });
  }
  // the order of the calls both make
  const common = (s: TranscriptEntry[], other: Map<string, number>) => s.map((c) => c.method).filter((m) => other.has(m));
  const oa = common(sa, cb);
  const ob = common(sb, ca);
  const firstDiff = oa.findIndex((m, i) => ob[i] !== m);
  if (firstDiff >= 0) {
    out.push({
      kind: 'order',
      where: `call ${firstDiff + 1}`,
      a: oa.slice(Math.max(0, firstDiff - 1), firstDiff + 3),
      b: ob.slice(Math.max(0, firstDiff - 1), firstDiff + 3),
      message: `the calls go in another order from call ${firstDiff + 1}: A ${oa[firstDiff]}, B ${ob[firstDiff]}`,
    });
  }
  // the n-th call of each method on both sides: its status, and which answer fields each side fills
  const nth = (s: TranscriptEntry[]) => {
    const seen = new Map<string, number>();
    return new Map(
      s.map((c) => {
        const n = (seen.get(c.method) ?? 0) + 1;
        seen.set(c.method, n);
        return [`${c.method}#${n}`, c] as const;
      }),
    );
  };
  const byA = nth(a.calls);
  const byB = nth(b.calls);
  for (const [key, x] of byA) {
    const y = byB.get(key);
    if (!y) continue;
    if (x.status.code !== y.status.code) {
      out.push({
        kind: 'code',
        where: key,
        a: x.status,
        b: y.status,
        message: `${key}: A answered ${x.status.name}${x.status.message ? ` (${x.status.message})` : ''}, B ${y.status.name}${y.status.message ? ` (${y.status.message})` : ''}`,
      });
      continue;
    }
    if (POLLING.has(x.method) && x.method !== 'RuntimeService/ContainerStatus' && x.method !== 'RuntimeService/PodSandboxStatus') continue;
    const fa = fieldPaths(na.value(x.response));
    const fb = fieldPaths(nb.value(y.response));
    const onlyA = [...fa].filter((f) => !fb.has(f));
    const onlyB = [...fb].filter((f) => !fa.has(f));
    if (onlyA.length || onlyB.length)
      out.push({
        kind: 'field',
        where: key,
        a: onlyA,
        b: onlyB,
        message: `${key}: fields only on A: ${onlyA.join(', ') || '-'}; only on B: ${onlyB.join(', ') || '-'}`,
      });
  }
  // the final pod status
  for (const p of a.pods) {
    const q = b.pods.find((x) => x.name === p.name);
    const va = podStatusView(na, p.status);
    const vb = podStatusView(nb, q?.status);
    if (!same(va, vb)) out.push({ kind: 'pod-status', where: p.name, a: va, b: vb, message: `pod ${p.name}: final status differs` });
  }
  // one finding per (kind, method): the n-th calls of a method usually diverge alike
  const seen = new Set<string>();
  const divergences = out.filter((d) => {
    const k = `${d.kind} ${d.where.replace(/#\d+$/, '')} ${JSON.stringify([d.a, d.b])}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return { a: { config: a.config, calls: a.calls.length, errors: a.errors }, b: { config: b.config, calls: b.calls.length, errors: b.errors }, divergences };
}

export function diffText(r: DiffResult): string {
  let s = `A: ${r.a.config} (${r.a.calls} calls)\nB: ${r.b.config} (${r.b.calls} calls)\n`;
  for (const [side, e] of [
    ['A', r.a.errors],
    ['B', r.b.errors],
  ] as const)
    for (const x of e) s += `${side}: ${x}\n`;
  if (!r.divergences.length) return `${s}no divergence\n`;
  s += `${r.divergences.length} divergence${r.divergences.length === 1 ? '' : 's'}:\n`;
  for (const d of r.divergences) {
    s += `  [${d.kind}] ${d.message}\n`;
    if (d.kind === 'pod-status' || d.kind === 'order') s += `      A: ${JSON.stringify(d.a)}\n      B: ${JSON.stringify(d.b)}\n`;
  }
  return s;
}
