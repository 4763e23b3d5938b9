// A node on the in-memory plugins with fast timings, for harness tests.
import tmp from 'tmp';
import { parseConfig, type TriadConfig } from '../../harness/config/config.js';
import { startNode, type Node } from '../../harness/node.js';
import { parseManifests } from '../../harness/manifest/index.js';
import type { Manifest, Pod } from '../../harness/api/types.js';

export interface TestNode extends Node {
  dir: string;
  cleanup(): Promise<void>;
}

export async function testNode(overrides: Record<string, unknown> = {}): Promise<TestNode> {
  const dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'triad-harness-' });
  const raw = {
    ...overrides,
    kubelet: {
      stateDir: dir.name,
      plegPeriodMs: 20,
      backoff: { initialMs: 150, maxMs: 1200 },
      probeTimeScale: 0.02,
      rpcTimeoutMs: 10_000,
      ...((overrides.kubelet as object) ?? {}),
    },
  };
  const cfg: TriadConfig = parseConfig(raw, '(test)');
  const node = await startNode(cfg);
  return {
    ...node,
    dir: dir.name,
    cleanup: async () => {
      const errors = await node.close();
      dir.removeCallback();
      if (errors.length) throw new Error(`teardown errors: ${errors.map((e) => e.message).join('; ')}`);
    },
  };
}

export function manifests(yaml: string): Manifest[] {
  return parseManifests(yaml, '(test)');
}

export const phase = (p: Pod) => p.status?.phase;
export const ready = (p: Pod) => p.status?.conditions.find((c) => c.type === 'Ready')?.status === 'True';
export const waiting = (p: Pod, c: string) =>
  [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].find((s) => s.name === c)?.state.waiting?.reason;
export const cstatus = (p: Pod, c: string) => [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].find((s) => s.name === c)!;
