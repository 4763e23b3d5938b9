// The interposer is transparent on a real runtime: the CRI suite against the reference stack's
// containerd gives the same outcome for every case through `startProxy` (recording a transcript)
// as straight against containerd's socket. Cases containerd 1.6 is known to fail are left out of
// both runs, as in conformance-cri.serial.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { criSuite } from '../../conformance/cri/suite.js';
import { runSuites, type RunReport } from '../../conformance/runner/index.js';
import { readTranscript, startProxy } from '../../interfaces/interposer/index.js';
import { testOrSkip, useStack } from './stack.js';

const t = suite('reference stack: the interposer is transparent on containerd');
const h = await useStack();
const it = testOrSkip(t, h);
t.after(() => h.release());

const KNOWN = ['cri.image.list.filter', 'cri.container.exit.timestamps-ordered', 'cri.stats.container.exited'];
const outcome = (r: RunReport) => Object.fromEntries(r.suites[0].cases.map((c) => [c.id, c.status]));

it('the CRI suite on containerd: same outcome for every case through the proxy', async () => {
  const s = h.stack!;
  const dir = mkdtempSync(join(tmpdir(), 'triad-ref-interposer-'));
  const run = (endpoint: string) => runSuites([criSuite({
    runtimeEndpoint: endpoint, testImages: [s.images!.busybox, s.images!.pause], hostPortAddress: s.network.gateway, cgroupParent: '/triad-conformance',
  })], { parallel: 4, timeoutMs: 60_000, handleSigint: false, skip: `^(${KNOWN.map((id) => id.replace(/\./g, '\\.')).join('|')}) ` });
  try {
    const direct = await run(s.containerd!.endpoint);
    const p = await startProxy({ listen: join(dir, 'p.sock'), upstream: s.containerd!.endpoint, record: join(dir, 'calls.jsonl') });
    let proxied: RunReport;
    try { proxied = await run(p.endpoint.display); } finally { await p.close(); }
    assert.ok(direct.totals.passed >= 130, `direct: only ${direct.totals.passed} passed`);
    assert.equal(outcome(proxied), outcome(direct));
    assert.equal(proxied.totals, direct.totals);
    const calls = readTranscript(join(dir, 'calls.jsonl'));
    assert.ok(calls.length > 500, `only ${calls.length} calls recorded`);
    assert.ok(calls.some((c) => c.method === 'RuntimeService/Exec' && c.status.name === 'OK'), 'Exec (a streaming URL) went through the proxy');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
