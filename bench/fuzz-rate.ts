// node --import tsx bench/fuzz-rate.ts [--seconds 10] [--out FILE]
//
// The fuzzer's rate against memory-csi: calls per second of `triad fuzz csi` (generation,
// mutation, oracles, leak checks and cleanup included; no minimization), next to a floor measured
// in the same run: the same driver answering a plain loop of the lifecycle's own calls
// (CreateVolume → DeleteVolume on one channel, nothing judged). On a shared machine the ratio is
// the figure to compare across runs. Prints one JSON object; --out also writes it to FILE.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { serveBrokenCsi } from '../conformance/broken/csi.js';
import { fuzz } from '../fuzz/runner.js';
import { openTarget } from '../fuzz/targets.js';
import { ControllerDefinition, VolumeCapability_AccessMode_Mode as Mode } from '../interfaces/gen/csi/csi.js';
import { Connection } from '../interfaces/grpc/client.js';

export interface FuzzRate {
  seconds: number;
  fuzz: { runs: number; calls: number; callsPerSec: number };
  floor: { calls: number; callsPerSec: number };
  ratio: number;
  loadavg: number[];
}

export async function fuzzRate(seconds = 10): Promise<FuzzRate> {
  const dir = mkdtempSync(join(tmpdir(), 'triad-bench-fuzz-'));
  const csi = await serveBrokenCsi(undefined, { nodeId: 'node-a', dataDir: join(dir, 'data'), endpoint: join(dir, 'csi.sock'), capacityBytes: 1024n ** 4n });
  try {
    const t = await openTarget({ kind: 'csi', endpoint: csi.endpoint, callTimeoutMs: 30_000, mutableParameters: { tier: 'gold' } });
    let report;
    try {
      report = await fuzz(t.target, { seed: 1, durationMs: seconds * 1000, minimizeTries: 0 });
    } finally {
      await t.close();
    }
    // The floor: create and delete volumes as fast as the driver answers, one channel, no checks.
    const conn = new Connection(csi.endpoint);
    const ctl = conn.service(ControllerDefinition);
    const cap = { mount: { fsType: '', mountFlags: [], volumeMountGroup: '' }, accessMode: { mode: Mode.SINGLE_NODE_WRITER } };
    let calls = 0;
    const t0 = performance.now();
    try {
      for (let i = 0; performance.now() - t0 < seconds * 1000; i++) {
        const v = await ctl.createVolume({ name: `floor-${i}`, volumeCapabilities: [cap] });
        await ctl.deleteVolume({ volumeId: v.volume!.volumeId });
        calls += 2;
      }
    } finally {
      conn.close();
    }
    const floorRate = calls / ((performance.now() - t0) / 1000);
    const fuzzRate = report.calls / (report.ms / 1000);
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return {
      seconds,
      fuzz: { runs: report.runs, calls: report.calls, callsPerSec: r2(fuzzRate) },
      floor: { calls, callsPerSec: r2(floorRate) },
      ratio: r2(fuzzRate / floorRate),
      loadavg: loadavg(),
    };
  } finally {
    await csi.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (n: string) => {
    const i = args.indexOf(n);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const seconds = Number(opt('--seconds') ?? 10);
  if (!(seconds > 0)) throw new Error('--seconds must be a positive number');
  const r = await fuzzRate(seconds);
  const text = `${JSON.stringify(r, null, 2)}\n`;
  process.stdout.write(text);
  const out = opt('--out');
  if (out) writeFileSync(out, text);
}
