// The CNI fuzzer: it finds a broken variant's bug without being told where; a seeded run against
// memory-cni finds nothing and leaves no address allocated; `triad fuzz cni` runs an exec'd
// plugin end to end and `triad fuzz replay` reproduces what it wrote.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brokenCniInProcess, installBrokenCni } from '../../conformance/broken/cni.js';
import { fuzz } from '../../fuzz/runner.js';
import { openTarget } from '../../fuzz/targets.js';
import { triadRoot } from '../../interfaces/util/root.js';
import { invokeMemoryCni, MEMORY_CNI_TYPE } from '../../plugins/memory-cni/index.js';

const t = suite('fuzz-cni');
const root = triadRoot();
let dir: string;
t.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'triad-fuzz-test-'));
});
t.after.each(() => rmSync(dir, { recursive: true, force: true }));

const show = (fs: { finding: { oracle: string; rpc: string; message: string } }[]) =>
  fs.map((f) => `${f.finding.oracle} at ${f.finding.rpc}: ${f.finding.message}`);

function memoryNet(name = 'net'): string {
  const file = join(dir, `${name}.conflist`);
  writeFileSync(
    file,
    JSON.stringify({
      cniVersion: '1.1.0',
      name: 'fuzz-net',
      plugins: [{ type: MEMORY_CNI_TYPE, subnet: '10.123.0.0/16', dataDir: join(dir, `${name}-ipam`) }],
    }),
  );
  return file;
}

t('CNI (in process): finds del-not-idempotent; memory-cni gives no finding in 200 runs', async () => {
  const b = await openTarget({ kind: 'cni', cniPath: [dir], config: memoryNet('broken') }, { [MEMORY_CNI_TYPE]: brokenCniInProcess('del-not-idempotent') });
  const r = await fuzz(b.target, { seed: 1, runs: 20 });
  assert.ok(
    r.findings.some((f) => f.finding.rpc === 'DEL' && /^cni\.del\./.test(f.finding.rule?.id ?? '')),
    show(r.findings).join(' | '),
  );
  const h = await openTarget({ kind: 'cni', cniPath: [dir], config: memoryNet('healthy') }, { [MEMORY_CNI_TYPE]: invokeMemoryCni });
  const ok = await fuzz(h.target, { seed: 2, runs: 200 });
  assert.equal(show(ok.findings), []);
  // Every ADD was undone: no address is left allocated in the IPAM store.
  const left = readdirSync(join(dir, 'healthy-ipam'), { recursive: true })
    .map(String)
    .filter((n) => /(^|\/)\d+\.\d+\.\d+\.\d+$/.test(n));
  assert.equal(left, []);
});

const run = promisify(execFile);
const triad = (args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), ...args], { cwd: root, timeout: 60_000 })
    .then((r) => ({ ...r, code: 0 }))
    .catch((e: { stdout: string; stderr: string; code: number }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: e.code }));

t("CLI: triad fuzz cni against an exec'd broken plugin writes a finding that triad fuzz replay reproduces", async () => {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  installBrokenCni(bin, MEMORY_CNI_TYPE, 'bad-interface-index');
  const out = join(dir, 'found');
  const r = await triad([
    'fuzz',
    'cni',
    '--cni-path',
    bin,
    '--config',
    memoryNet('cli'),
    '--seed',
    '1',
    '--runs',
    '1',
    '--minimize',
    '0',
    '--out',
    out,
    '--quiet',
  ]);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stdout, /FINDING wrong-answer at ADD \(cni\.result\.ip-interface-index\)/);
  const [file] = readdirSync(out).filter((n) => n.endsWith('.json'));
  const rep = await triad(['fuzz', 'replay', join(out, file), '--tries', '1']);
  assert.is(rep.code, 1, rep.stderr);
  assert.match(rep.stdout, /REPRODUCED/);
  const bad = await triad(['fuzz', 'cni', '--cni-path', bin, '--config', join(dir, 'nope.conflist'), '--runs', '1']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /nope\.conflist/);
});

t.run();
