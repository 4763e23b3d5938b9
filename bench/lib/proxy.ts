// The interposer's cost per call: the same CRI calls sent straight to memory-cri, through
// `triad proxy` without a transcript, and through it with --record — interleaved call by call
// (direct, proxied, recorded, then the next), one call in flight, so load drifts hit all three
// alike. Everything runs in this process (client, proxy and plugin share the CPU, as they would
// share a node's), over unix sockets.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CriClient } from '../../interfaces/cri/client.js';
import { startProxy } from '../../interfaces/interposer/proxy.js';
import { serveMemoryCri } from '../../plugins/memory-cri/index.js';
import { ratio, round, summarize, type LatencySummary } from './stats.js';

export interface ProxySide {
  latencyUs: LatencySummary;
}
export interface ProxyKind {
  /** `Version` (an empty round trip) or `pod` (RunPodSandbox, PodSandboxStatus, StopPodSandbox, RemovePodSandbox: µs per call). */
  kind: string;
  calls: number;
  direct: ProxySide;
  proxied: ProxySide;
  recorded: ProxySide;
  /** proxied / direct and recorded / direct, of the mean and the p50 per call. */
  ratio: { mean: number; p50: number; recordedMean: number; recordedP50: number };
  /** Mean µs the proxy adds to one call (without and with a transcript). */
  addedUs: { proxied: number; recorded: number };
}
export interface ProxyOverhead {
  kinds: ProxyKind[];
  transcriptBytesPerCall: number;
}

export async function proxyOverhead(opts: { calls: number; warmup: number; progress?: (m: string) => void }): Promise<ProxyOverhead> {
  const dir = mkdtempSync(join(tmpdir(), 'triad-bench-proxy-'));
  const up = await serveMemoryCri({ endpoint: join(dir, 'cri.sock') });
  const plain = await startProxy({ listen: join(dir, 'p.sock'), upstream: up.endpoint });
  const record = join(dir, 'calls.jsonl');
  const rec = await startProxy({ listen: join(dir, 'r.sock'), upstream: up.endpoint, record });
  const clients = [new CriClient(up.endpoint), new CriClient(plain.endpoint.display), new CriClient(rec.endpoint.display)];
  try {
    const version = async (c: CriClient) => {
      await c.runtime.version({});
      return 1;
    };
    let n = 0;
    const pod = async (c: CriClient) => {
      const { podSandboxId } = await c.runtime.runPodSandbox({ config: { metadata: { name: `bench-${n++}`, namespace: 'bench', uid: `u${n}`, attempt: 0 } } });
      await c.runtime.podSandboxStatus({ podSandboxId });
      await c.runtime.stopPodSandbox({ podSandboxId });
      await c.runtime.removePodSandbox({ podSandboxId });
      return 4;
    };
    const kinds: ProxyKind[] = [];
    let recordedCalls = 0;
    for (const [kind, op] of [
      ['Version', version],
      ['pod', pod],
    ] as const) {
      for (let i = 0; i < opts.warmup; i++) for (const c of clients) await op(c);
      const samples: number[][] = [[], [], []];
      for (let i = 0; i < opts.calls; i++) {
        // rotate who goes first, so no side always follows the same one
        for (let k = 0; k < 3; k++) {
          const s = (i + k) % 3;
          const t0 = performance.now();
          const calls = await op(clients[s]);
          samples[s].push(((performance.now() - t0) * 1000) / calls);
          if (s === 2) recordedCalls += calls;
        }
      }
      const [d, p, r] = samples.map(summarize);
      kinds.push({
        kind,
        calls: opts.calls,
        direct: { latencyUs: d },
        proxied: { latencyUs: p },
        recorded: { latencyUs: r },
        ratio: { mean: ratio(p.mean, d.mean), p50: ratio(p.p50, d.p50), recordedMean: ratio(r.mean, d.mean), recordedP50: ratio(r.p50, d.p50) },
        addedUs: { proxied: round(p.mean - d.mean, 1), recorded: round(r.mean - d.mean, 1) },
      });
      opts.progress?.(
        `  proxy ${kind}: direct ${round(d.mean, 0)} µs, proxied ${round(p.mean, 0)} µs (×${ratio(p.mean, d.mean)}), recorded ${round(r.mean, 0)} µs (×${ratio(r.mean, d.mean)}) per call`,
      );
    }
    await rec.close();
    const warm = opts.warmup * 5; // warm-up calls also went to the transcript
    return { kinds, transcriptBytesPerCall: Math.round(statSync(record).size / (recordedCalls + warm)) };
  } finally {
    for (const c of clients) c.close();
    await rec.close();
    await plain.close();
    await up.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
