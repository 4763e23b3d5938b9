// The CSI fuzzer: it finds a broken variant's bug without being told where, minimizes it and
// writes a replay file that reproduces it (and does not against the healthy driver); a short
// seeded run against memory-csi finds nothing; the CLI does the same end to end.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serveBrokenCsi, type RunningBrokenCsi } from '../../conformance/broken/csi.js';
import { readReplay, replay } from '../../fuzz/replay.js';
import { fuzz, type FuzzReport } from '../../fuzz/runner.js';
import { openTarget } from '../../fuzz/targets.js';
import { triadRoot } from '../../interfaces/util/root.js';

const t = suite('fuzz-csi');
const root = triadRoot();
let dir: string;
t.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'triad-fuzz-csi-test-'));
});
t.after.each(() => rmSync(dir, { recursive: true, force: true }));

async function withDriver<T>(variant: string | undefined, name: string, fn: (d: RunningBrokenCsi) => Promise<T>): Promise<T> {
  const d = await serveBrokenCsi(variant, {
    nodeId: 'node-a',
    dataDir: join(dir, `${name}-data`),
    endpoint: join(dir, `${name}.sock`),
    capacityBytes: 1024n ** 4n,
  });
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

/** The CSI work directories the runs used (each must be gone after its run). */
const workDirs: string[] = [];

async function fuzzCsi(endpoint: string, seed: number, runs: number, out?: string, callTimeoutMs = 5000, stopAtFirst = false): Promise<FuzzReport> {
  const t = await openTarget({ kind: 'csi', endpoint, callTimeoutMs, mutableParameters: { tier: 'gold' } });
  workDirs.push(t.info.workDir!);
  try {
    return await fuzz(t.target, { seed, runs, out, targetInfo: { ...t.info }, stopAtFirst });
  } finally {
    await t.close();
  }
}

t('finds missing-name-internal, minimizes it to the one call, and the replay file reproduces it', async () => {
  const out = join(dir, 'out');
  const file = await withDriver('missing-name-internal', 'broken', async (d) => {
    const r = await fuzzCsi(d.endpoint, 1, 200, out, 5000, true);
    assert.is(r.findings.length, 1, `exactly the one bug: ${r.findings.map((f) => f.finding.message).join(' | ')}`);
    const [f] = r.findings;
    assert.is(f.finding.oracle, 'wrong-code');
    assert.is(f.finding.rpc, 'Controller/CreateVolume');
    assert.is(f.finding.rule?.id, 'csi.create-volume.name-required');
    assert.ok(f.minimized);
    assert.is(f.steps.length, 1, 'one CreateVolume without a name is all it takes');
    assert.ok(f.file && existsSync(f.file) && existsSync(f.file.replace(/\.json$/, '.md')));
    const rf = readReplay(f.file!);
    assert.match(rf.explanation, /INTERNAL/);
    assert.match(rf.explanation, /csi\.create-volume\.name-required/);
    const again = await replay(f.file!);
    assert.ok(again.reproduced, 'the replay shows the bug again');
    return f.file!;
  });
  // The same file against the healthy driver: the bug is not there.
  await withDriver(undefined, 'healthy', async (d) => {
    const r = await replay(file, { endpoint: d.endpoint, tries: 1 });
    assert.not.ok(r.reproduced, 'memory-csi names the missing field with INVALID_ARGUMENT');
  });
  // The CSI work directory of each run was removed.
  assert.ok(workDirs.length > 0);
  assert.equal(
    workDirs.filter((d) => existsSync(d)),
    [],
  );
});

t('finds delete-keeps-volume (a leak after delete) and create-not-idempotent', async () => {
  await withDriver('delete-keeps-volume', 'leak', async (d) => {
    const r = await fuzzCsi(d.endpoint, 2, 100, undefined, 5000, true);
    assert.ok(
      r.findings.some((f) => f.finding.oracle === 'leak-after-delete' && f.finding.rpc === 'Controller/DeleteVolume'),
      r.findings.map((f) => f.finding.message).join(' | '),
    );
  });
  await withDriver('create-not-idempotent', 'idem', async (d) => {
    const r = await fuzzCsi(d.endpoint, 2, 100, undefined, 5000, true);
    assert.ok(
      r.findings.some((f) => f.finding.rule?.id === 'csi.create-volume.idempotent'),
      r.findings.map((f) => f.finding.message).join(' | '),
    );
  });
});

t('memory-csi: a seeded run finds nothing', async () => {
  await withDriver(undefined, 'mem', async (d) => {
    const r = await fuzzCsi(d.endpoint, 7, 80, undefined, 15_000);
    assert.equal(
      r.findings.map((f) => `${f.finding.oracle} at ${f.finding.rpc}: ${f.finding.message}`),
      [],
    );
    assert.ok(r.calls > 80 * 5, `the runs made calls (${r.calls})`);
  });
});

t('the same seed sends the same calls', async () => {
  await withDriver(undefined, 'seed', async (d) => {
    const t = await openTarget({ kind: 'csi', endpoint: d.endpoint });
    try {
      const { Rng } = await import('../../fuzz/rng.js');
      const a = JSON.stringify([0, 1, 2].map((n) => t.target.generate(Rng.derive(5, n), n)));
      const b = JSON.stringify([0, 1, 2].map((n) => t.target.generate(Rng.derive(5, n), n)));
      const c = JSON.stringify([0, 1, 2].map((n) => t.target.generate(Rng.derive(6, n), n)));
      assert.is(a, b);
      assert.is.not(a, c);
    } finally {
      await t.close();
    }
  });
});

const run = promisify(execFile);
function triad(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return run(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), ...args], { cwd: root, timeout: 60_000 })
    .then((r) => ({ ...r, code: 0 }))
    .catch((e: { stdout: string; stderr: string; code: number }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: e.code }));
}

t('CLI: triad fuzz csi writes the finding and exits 1; triad fuzz replay reproduces it', async () => {
  await withDriver('delete-unknown-not-found', 'cli', async (d) => {
    const out = join(dir, 'found');
    const r = await triad(['fuzz', 'csi', '--endpoint', d.endpoint, '--seed', '4', '--runs', '40', '--out', out, '--quiet']);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stdout, /FINDING wrong-code at Controller\/DeleteVolume \(csi\.delete-volume\.idempotent\)/);
    const files = readdirSync(out).filter((n) => n.endsWith('.json'));
    assert.is(files.length, 1, files.join(', '));
    const rep = await triad(['fuzz', 'replay', join(out, files[0])]);
    assert.is(rep.code, 1, rep.stderr);
    assert.match(rep.stdout, /REPRODUCED/);
    assert.match(readFileSync(join(out, files[0].replace(/\.json$/, '.md')), 'utf8'), /DeleteVolume/);
  });
  const bad = await triad(['fuzz', 'csi', '--endpoint', join(dir, 'x.sock'), '--runs', 'many']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /--runs must be a non-negative integer/);
  const notReplay = await triad(['fuzz', 'replay', join(root, 'package.json')]);
  assert.is(notReplay.code, 1);
  assert.match(notReplay.stderr, /package\.json: format is undefined, expected triad-fuzz\/v1/);
});

t.run();
