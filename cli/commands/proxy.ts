// triad proxy --listen A --upstream B [--faults FILE] [--record FILE] — the gRPC interposer in
// front of any CRI runtime or CSI driver until SIGINT/SIGTERM: point the client (kubelet, crictl,
// csi-sanity, triad) at A instead of B to inject faults into, or record, a real plugin's calls.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { parseInterposerRules, startProxy, type InterposerRule } from '../../interfaces/interposer/index.js';
import { untilSignal } from './serve.js';

/** A fault file: a YAML list of rules, or a mapping with `faults:`. */
export function loadInterposerRules(file: string): InterposerRule[] {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseInterposerRules(Array.isArray(raw) ? raw : ((raw as { faults?: unknown } | null)?.faults ?? []), file);
}

export function register(program: Command): void {
  program
    .command('proxy')
    .description('interpose on a CRI runtime or CSI driver: forward every call, inject faults, record a transcript')
    .requiredOption('--listen <endpoint>', 'where clients connect (unix:///path or host:port)')
    .requiredOption('--upstream <endpoint>', 'the real plugin (unix:///path or host:port)')
    .option('--faults <file>', 'fault rules (YAML list, or a map with faults:); format in docs/interposer.md')
    .option('--record <file>', 'append a JSONL transcript of every call to this file')
    .action(async (o: { listen: string; upstream: string; faults?: string; record?: string }) => {
      const rules = o.faults ? loadInterposerRules(o.faults) : [];
      const p = await startProxy({ listen: o.listen, upstream: o.upstream, rules, record: o.record });
      await untilSignal(`proxy to ${p.upstream.display}${rules.length ? ` (${rules.length} fault rules)` : ''}`, p.endpoint.display, () => p.close());
    });
}
