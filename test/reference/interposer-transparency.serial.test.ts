// The interposer is transparent on a real runtime: the CRI suite against the reference stack's
// containerd gives the same outcome for every case through `startProxy` (recording a transcript)
// as straight against containerd's socket, the two runs side by side. Cases containerd 1.6 is
// known to fail are left out of both runs, as in conformance-cri.serial.test.ts.
//
// containerd itself is not deterministic under load: a run straight against it has failed
// cri.network.sandbox-ip and cri.streaming.spdy.exec.missing-command once while the proxied run
// passed them. So a case whose outcome differs is run again on both sides (twice at most, alone);
// only a case that still differs counts against the proxy. Every difference is printed with both
// sides' failure messages, so a flake stays visible in the log.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { criSuite } from '../../conformance/cri/suite.js';
import { runSuites, type CaseResult, type RunReport } from '../../conformance/runner/index.js';
import { readTranscript, startProxy } from '../../interfaces/interposer/index.js';
import { testOrSkip, useStack } from './stack.js';

const t = suite('reference stack: the interposer is transparent on containerd');
const h = await useStack();
const it = testOrSkip(t, h);
t.after(() => h.release());

const KNOWN = ['cri.image.list.filter', 'cri.container.exit.timestamps-ordered', 'cri.stats.container.exited'];
const ids = (list: string[]) => `^(${list.map((id) => id.replace(/\./g, '\\.')).join('|')}) `;
const byId = (r: RunReport) => new Map(r.suites[0].cases.map((c) => [c.id, c]));
const said = (c: CaseResult | undefined) => `${c?.status ?? 'absent'}${c?.failure ? ` (${c.failure.message.slice(0, 300)})` : ''}`;

/** Ids whose outcome differs between the two runs, each printed with both sides' messages. */
function differing(direct: RunReport, proxied: RunReport, label: string): string[] {
  const a = byId(direct),
    b = byId(proxied);
  const out = [...new Set([...a.keys(), ...b.keys()])].filter((id) => a.get(id)?.status !== b.get(id)?.status);
  for (const id of out) console.log(`    (${label}: ${id}: direct ${said(a.get(id))}; proxied ${said(b.get(id))})`);
  return out;
}

it('the CRI suite on containerd: same outcome for every case through the proxy', async () => {
  const s = h.stack!;
  const dir = mkdtempSync(join(tmpdir(), 'triad-ref-interposer-'));
  // the two runs go at the same time (2 min instead of 3 here; both sides see the same load), each
  // with its own cgroup parent, as each checks for leaks
  const run = (endpoint: string, side: string, focus?: string[]) =>
    runSuites(
      [
        criSuite({
          runtimeEndpoint: endpoint,
          testImages: [s.images!.busybox, s.images!.pause],
          hostPortAddress: s.network.gateway,
          cgroupParent: `/triad-transparency-${process.pid}-${side}`,
        }),
      ],
      { parallel: 4, timeoutMs: 60_000, handleSigint: false, reporters: [], skip: ids(KNOWN), ...(focus ? { focus: ids(focus) } : {}) },
    );
  try {
    const p = await startProxy({ listen: join(dir, 'p.sock'), upstream: s.containerd!.endpoint, record: join(dir, 'calls.jsonl') });
    try {
      const [direct, proxied] = await Promise.all([run(s.containerd!.endpoint, 'direct'), run(p.endpoint.display, 'proxied')]);
      assert.ok(direct.totals.passed >= 130, `direct: only ${direct.totals.passed} passed`);
      assert.equal([...byId(proxied).keys()].sort(), [...byId(direct).keys()].sort(), 'the same cases ran');
      let differ = differing(direct, proxied, 'full run');
      for (let round = 1; differ.length && round <= 2; round++) {
        const again = differ;
        const [d, q] = [await run(s.containerd!.endpoint, 'direct', again), await run(p.endpoint.display, 'proxied', again)];
        differ = differing(d, q, `again #${round}`).filter((id) => again.includes(id));
      }
      assert.equal(differ, [], `cases whose outcome through the proxy still differs after two more runs: ${differ.join(', ')}`);
      const calls = readTranscript(join(dir, 'calls.jsonl'));
      assert.ok(calls.length > 500, `only ${calls.length} calls recorded`);
      assert.ok(
        calls.some((c) => c.method === 'RuntimeService/Exec' && c.status.name === 'OK'),
        'Exec (a streaming URL) went through the proxy',
      );
      assert.ok(
        calls.some((c) => c.method === 'ImageService/PullImage' && c.status.name === 'OK'),
        'the image service went through the proxy',
      );
      console.log(
        `    (containerd: ${direct.totals.passed} passed, ${direct.totals.failed} failed, ${direct.totals.warned} warned, ${direct.totals.notApplicable} not applicable; ${calls.length} calls through the proxy)`,
      );
    } finally {
      await p.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
