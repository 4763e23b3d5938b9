// Shared by the conformance tests: temp dirs, a healthy or broken memory-csi on a temp socket,
// a memory-cni network config, and running a suite quietly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfList, type NetworkConfigList } from '../../interfaces/cni/index.js';
import { MEMORY_CNI_TYPE } from '../../plugins/memory-cni/index.js';
import { serveBrokenCsi } from '../../conformance/broken/csi.js';

/** A modification memory-csi supports (its default mutable parameter keys are iops and tier). */
export const MEMORY_CSI_MUTABLE = { tier: 'gold' };
import { csiSuite } from '../../conformance/csi/suite.js';
import { runSuites, type CaseResult, type RunOptions, type RunReport, type Suite } from '../../conformance/runner/index.js';

export function tmp(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Run suites with no console output (reporters only if given). Strict by default: a suite's own
 * tests see every deviation as a failure, [Optional] cases included.
 */
export function runQuiet(suites: Suite<any>[], opts: RunOptions = {}): Promise<RunReport> {
  return runSuites(suites, { handleSigint: false, timeoutMs: 10_000, strict: true, ...opts });
}

export const cases = (r: RunReport): CaseResult[] => r.suites.flatMap((s) => s.cases);
export const byId = (r: RunReport, id: string): CaseResult | undefined => cases(r).find((c) => c.id === id);
/** Notes the suite left about its own bugs (an undeclared rule, a declared rpc never called): none expected. */
export const suiteBugs = (r: RunReport): string[] =>
  cases(r).flatMap((c) => (c.notes ?? []).filter((n) => n.startsWith('suite bug')).map((n) => `${c.id}: ${n}`));
export const failedIds = (r: RunReport) =>
  cases(r)
    .filter((c) => c.status === 'failed')
    .map((c) => c.id);

/** The CSI suite against memory-csi (or a broken variant of it) on a temp socket. */
export async function withCsi<T>(
  variant: string | undefined,
  fn: (suite: Suite<any>) => Promise<T>,
  faults?: Parameters<typeof serveBrokenCsi>[1]['faults'],
): Promise<T> {
  const t = tmp('triad-cf-csi-');
  // A 1 TiB pool: a variant that never frees volumes (delete-keeps-volume) must not exhaust it and fail unrelated cases.
  const csi = await serveBrokenCsi(variant, {
    nodeId: 'node-a',
    dataDir: join(t.dir, 'data'),
    endpoint: join(t.dir, 'csi.sock'),
    faults,
    capacityBytes: 1024n ** 4n,
  });
  try {
    return await fn(
      csiSuite({ endpoint: csi.endpoint, stagingDir: join(t.dir, 'staging'), targetDir: join(t.dir, 'target'), mutableParameters: MEMORY_CSI_MUTABLE }),
    );
  } finally {
    await csi.close().catch(() => undefined);
    t.cleanup();
  }
}

/** A one-plugin network of `type` (memory-cni keys) with its state under dir. */
export function memoryNet(dir: string, type = MEMORY_CNI_TYPE, version = '1.1.0'): NetworkConfigList {
  return parseConfList(JSON.stringify({ cniVersion: version, name: 'cfnet', plugins: [{ type, subnet: '10.77.0.0/16', dataDir: join(dir, 'ipam') }] }));
}

/** Describe a report's failures for assertion messages. */
export function describeFailures(r: RunReport): string {
  return (
    cases(r)
      .filter((c) => c.status === 'failed')
      .map((c) => `${c.id}: ${c.failure?.message}`)
      .join('\n') || '(none)'
  );
}
