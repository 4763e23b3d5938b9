// The CRI fuzzer: it finds a broken variant's bug without being told where and the replay file
// reproduces it; a short seeded run against memory-cri finds nothing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveBrokenCri } from '../../conformance/broken/cri.js';
import { replay } from '../../fuzz/replay.js';
import { fuzz } from '../../fuzz/runner.js';
import { openTarget } from '../../fuzz/targets.js';

const t = suite('fuzz-cri');
let dir: string;
t.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'triad-fuzz-test-'));
});
t.after.each(() => rmSync(dir, { recursive: true, force: true }));

const show = (fs: { finding: { oracle: string; rpc: string; message: string } }[]) =>
  fs.map((f) => `${f.finding.oracle} at ${f.finding.rpc}: ${f.finding.message}`);

t('CRI: finds exec-ignores-exit-code and the replay reproduces it; memory-cri gives no finding', async () => {
  const broken = await serveBrokenCri('exec-ignores-exit-code', { endpoint: join(dir, 'b.sock'), dir: join(dir, 'b') });
  try {
    const o = await openTarget({ kind: 'cri', endpoint: broken.endpoint, callTimeoutMs: 10_000 });
    let file: string;
    try {
      const r = await fuzz(o.target, { seed: 1, runs: 5, out: join(dir, 'out'), targetInfo: { ...o.info }, minimizeTries: 30 });
      const f = r.findings.find((x) => x.finding.rule?.id === 'cri.exec-sync.exit-code');
      assert.ok(f, show(r.findings).join(' | '));
      assert.ok(f!.steps.length < 8, `minimized (${f!.steps.length} steps)`);
      file = f!.file!;
    } finally {
      await o.close();
    }
    assert.ok((await replay(file)).reproduced, 'the replay shows it again');
  } finally {
    await broken.close();
  }
  const healthy = await serveBrokenCri(undefined, { endpoint: join(dir, 'h.sock'), dir: join(dir, 'h') });
  try {
    const o = await openTarget({ kind: 'cri', endpoint: healthy.endpoint, callTimeoutMs: 15_000 });
    try {
      const r = await fuzz(o.target, { seed: 3, runs: 40 });
      assert.equal(show(r.findings), []);
      assert.ok(r.calls > 40 * 8, `calls made (${r.calls})`);
    } finally {
      await o.close();
    }
  } finally {
    await healthy.close();
  }
});

t.run();
