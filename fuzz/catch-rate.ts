// How many of the deliberately broken plugins in conformance/broken/ the fuzzer catches, each
// within a time budget, without being told where the break is: every variant is served, fuzzed
// with one seed until the first finding or the budget, and counted caught when a finding shows.
// The healthy plugin is fuzzed the same way first: a finding there would make every count
// meaningless, so it fails the measurement.
//   node --import tsx fuzz/catch-rate.ts csi|cri|cni [--budget 60s] [--seed N] [--only a,b]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzz } from './runner.js';
import { openTarget, type TargetInfo } from './targets.js';
import type { InProcessPlugin } from '../interfaces/cni/index.js';

type Kind = 'csi' | 'cri' | 'cni';

export interface VariantResult {
  variant: string;
  caught: boolean;
  ms: number;
  runs: number;
  finding?: string;
}

interface Served {
  info: TargetInfo;
  inProcess?: Record<string, InProcessPlugin>;
  close(): Promise<void>;
}

async function serveVariant(kind: Kind, variant: string | undefined, dir: string): Promise<Served> {
  if (kind === 'csi') {
    const { serveBrokenCsi } = await import('../conformance/broken/csi.js');
    const p = await serveBrokenCsi(variant, { nodeId: 'node-a', dataDir: join(dir, 'data'), endpoint: join(dir, 'csi.sock'), capacityBytes: 1024n ** 4n });
    return { info: { kind, endpoint: p.endpoint, mutableParameters: { tier: 'gold' } }, close: () => p.close() };
  }
  if (kind === 'cri') {
    const { serveBrokenCri } = await import('../conformance/broken/cri.js');
    const p = await serveBrokenCri(variant, { endpoint: join(dir, 'cri.sock'), dir });
    return { info: { kind, endpoint: p.endpoint }, close: () => p.close() };
  }
  // CNI: memory-cni (or a broken variant) in this process, on a network of its own.
  const { MEMORY_CNI_TYPE, invokeMemoryCni } = await import('../plugins/memory-cni/index.js');
  const { brokenCniInProcess } = await import('../conformance/broken/cni.js');
  const config = join(dir, 'net.conflist');
  writeFileSync(
    config,
    JSON.stringify({ cniVersion: '1.1.0', name: 'fuzz-net', plugins: [{ type: MEMORY_CNI_TYPE, subnet: '10.123.0.0/16', dataDir: join(dir, 'ipam') }] }),
  );
  return {
    info: { kind, cniPath: [dir], config },
    inProcess: { [MEMORY_CNI_TYPE]: variant ? brokenCniInProcess(variant) : invokeMemoryCni },
    close: async () => undefined,
  };
}

export async function variants(kind: Kind): Promise<string[]> {
  if (kind === 'csi') return Object.keys((await import('../conformance/broken/csi.js')).brokenCsi);
  if (kind === 'cri') return Object.keys((await import('../conformance/broken/cri.js')).brokenCri);
  // Variants that only break as a chained plugin need a chain the fuzzer does not build.
  const { brokenCni } = await import('../conformance/broken/cni.js');
  return Object.keys(brokenCni).filter((k) => !brokenCni[k].chained);
}

/** Fuzz one variant (undefined: the healthy plugin) until the first finding or the budget. */
export async function measure(kind: Kind, variant: string | undefined, budgetMs: number, seed = 1): Promise<VariantResult> {
  const dir = mkdtempSync(join(tmpdir(), `triad-fuzz-rate-${kind}-`));
  const served = await serveVariant(kind, variant, dir);
  try {
    const t = await openTarget({ ...served.info, callTimeoutMs: 10_000 }, served.inProcess);
    try {
      const r = await fuzz(t.target, { seed, durationMs: budgetMs, stopAtFirst: true, minimizeTries: 0 });
      const f = r.findings[0]?.finding;
      return {
        variant: variant ?? '(healthy)',
        caught: !!f,
        ms: r.ms,
        runs: r.runs,
        finding: f && `${f.oracle} at ${f.rpc}${f.rule ? ` (${f.rule.id})` : ''}: ${f.message.slice(0, 160)}`,
      };
    } finally {
      await t.close();
    }
  } finally {
    await served.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const kind = args[0] as Kind;
  if (!['csi', 'cri', 'cni'].includes(kind)) throw new Error('usage: catch-rate.ts csi|cri|cni [--budget 60s] [--seed N] [--only a,b]');
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const budgetMs = Number((opt('--budget') ?? '60s').replace(/s$/, '')) * 1000;
  const seed = Number(opt('--seed') ?? 1);
  const only = opt('--only')?.split(',');
  const healthy = await measure(kind, undefined, Math.min(budgetMs, 30_000), seed);
  console.log(`healthy ${kind}: ${healthy.caught ? `FINDING ${healthy.finding}` : `no finding in ${healthy.runs} runs`}`);
  const results: VariantResult[] = [];
  for (const v of only ?? (await variants(kind))) {
    const r = await measure(kind, v, budgetMs, seed);
    results.push(r);
    console.log(`${r.caught ? 'CAUGHT' : 'missed'} ${v} (${(r.ms / 1000).toFixed(1)} s, ${r.runs} runs)${r.finding ? `: ${r.finding}` : ''}`);
  }
  const caught = results.filter((r) => r.caught).length;
  console.log(
    `${kind}: caught ${caught} of ${results.length} broken variants within ${budgetMs / 1000} s each (seed ${seed})${healthy.caught ? '; the healthy plugin also had a finding' : ''}`,
  );
}
