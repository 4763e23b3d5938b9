// `triad new`: what a new project holds (the example's sources renamed after NAME, imports only
// through the package, the placeholders filled), and that bad input is a clear error that writes
// nothing. The projects themselves are installed and tested in pack.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderProject, scaffold, ScaffoldError } from '../../harness/scaffold.js';
import { triadVersion } from '../../interfaces/util/root.js';

const test = suite('triad new');
const root = fileURLToPath(new URL('../..', import.meta.url));

function tmp(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'triad-new-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test("each kind: package.json on triad, tsconfig, src/ from the example, a node:test test, README; no path into triad's tree", () => {
  const expect: Record<string, string[]> = {
    cri: ['src/main.ts', 'src/process.ts', 'src/runtime.ts', 'pod.yaml', 'triad.yaml'],
    csi: ['src/driver.ts', 'src/main.ts', 'pod.yaml', 'triad.yaml'],
    cni: ['src/install.ts', 'src/main.ts', 'src/plugin.ts', 'example.conflist', 'invalid-config.json', 'triad.yaml'],
  };
  for (const [kind, files] of Object.entries(expect)) {
    const p = renderProject({ kind, name: `my-${kind}` });
    for (const f of ['package.json', 'tsconfig.json', '.gitignore', 'README.md', 'test/plugin.test.ts', ...files]) assert.ok(p.has(f), `${kind}: ${f}`);
    assert.not.ok(p.has('template.json'));
    const pkg = JSON.parse(p.get('package.json')!);
    assert.is(pkg.name, `my-${kind}`);
    assert.is(pkg.dependencies.triad, `^${triadVersion()}`, 'the running version by default');
    assert.match(pkg.scripts.test, /node --import tsx --test/);
    for (const [f, text] of p) {
      assert.not.match(text, /\{\{\w+\}\}/, `${kind}/${f}: a placeholder left`);
      assert.not.match(text, /examples\/plugins|\.\.\/\.\.\/\.\.\/|interfaces\//, `${kind}/${f}: a path into triad's checkout`);
    }
    const sources = [...p]
      .filter(([f]) => f.endsWith('.ts'))
      .map(([, t]) => t)
      .join('\n');
    const imports = [...sources.matchAll(/from '([^']+)'/g)].map((m) => m[1]).filter((s) => !s.startsWith('.') && !s.startsWith('node:'));
    assert.ok(imports.length > 0);
    assert.ok(
      imports.every((s) => /^triad(\/|$)/.test(s)),
      `${kind}: imports only the package: ${imports.join(', ')}`,
    );
  }
});

test('the plugin is renamed after NAME', () => {
  const cni = renderProject({ kind: 'cni', name: 'acme-net' });
  assert.match(cni.get('src/plugin.ts')!, /STATIC_CNI_TYPE = 'acme-net'/);
  assert.is(JSON.parse(cni.get('example.conflist')!).plugins[0].type, 'acme-net');
  const csi = renderProject({ kind: 'csi', name: 'acme-disk' });
  assert.match(csi.get('src/driver.ts')!, /DEFAULT_NAME = 'acme-disk\.csi\.example\.com'/);
  assert.match(csi.get('pod.yaml')!, /driver: acme-disk\.csi\.example\.com/);
  assert.match(csi.get('triad.yaml')!, /npx tsx src\/main\.ts --socket \/tmp\/acme-disk\.sock/);
  const cri = renderProject({ kind: 'cri', name: 'acme-rt', triadSpec: 'file:../triad-0.1.0.tgz' });
  assert.match(cri.get('src/runtime.ts')!, /RUNTIME_NAME = 'acme-rt'/);
  assert.is(JSON.parse(cri.get('package.json')!).dependencies.triad, 'file:../triad-0.1.0.tgz');
});

test('bad kind or name, an existing non-empty folder or a file: a clear error, nothing written', () => {
  const t = tmp();
  try {
    assert.throws(
      () => scaffold({ kind: 'xyz', name: 'ok-name', dir: join(t.dir, 'a') }),
      (e: Error) => e instanceof ScaffoldError && /unknown plugin kind "xyz": use one of cri, csi, cni/.test(e.message),
    );
    for (const bad of ['My-Plugin', '1abc', 'a', 'ends-', 'has space', 'dots.not.allowed', 'triad']) {
      assert.throws(
        () => scaffold({ kind: 'csi', name: bad, dir: join(t.dir, 'b') }),
        (e: Error) => e instanceof ScaffoldError && e.message.includes(bad),
        bad,
      );
    }
    assert.equal(readdirSync(t.dir), [], 'nothing created');
    const existing = join(t.dir, 'existing');
    mkdirSync(existing);
    writeFileSync(join(existing, 'package.json'), 'mine');
    assert.throws(() => scaffold({ kind: 'csi', name: 'my-csi', dir: existing }), /already exists and is not empty: nothing written/);
    assert.is(readFileSync(join(existing, 'package.json'), 'utf8'), 'mine', 'not overwritten');
    assert.equal(readdirSync(existing), ['package.json']);
    writeFileSync(join(t.dir, 'file'), 'x');
    assert.throws(() => scaffold({ kind: 'csi', name: 'my-csi', dir: join(t.dir, 'file') }), /exists and is not a directory/);
    assert.throws(() => scaffold({ kind: 'csi', name: 'my-csi', dir: join(t.dir, 'no', 'such', 'parent') }), /parent directory .* does not exist/);
    // An empty directory is fine (a fresh `git init` without commits is not, as it has .git).
    mkdirSync(join(t.dir, 'empty'));
    const s = scaffold({ kind: 'cni', name: 'my-cni', dir: join(t.dir, 'empty') });
    assert.ok(s.files.includes('src/plugin.ts'));
    assert.ok(existsSync(join(t.dir, 'empty', '.gitignore')));
  } finally {
    t.cleanup();
  }
});

test('the CLI: `triad new csi NAME --dir D` prints the two commands; errors exit 1 with the message', async () => {
  const t = tmp();
  try {
    // Run from the folder the project goes in, as a user would.
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const cli = ['--import', tsx, join(root, 'cli', 'main.ts'), 'new'];
    const r = await execa(process.execPath, [...cli, 'csi', 'my-driver', '--dir', join(t.dir, 'my-driver')], { cwd: t.dir, reject: false });
    assert.is(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /cd my-driver\n\s+npm install\n\s+npm test/);
    assert.ok(existsSync(join(t.dir, 'my-driver', 'src', 'driver.ts')));
    const again = await execa(process.execPath, [...cli, 'csi', 'my-driver', '--dir', join(t.dir, 'my-driver')], { cwd: t.dir, reject: false });
    assert.is(again.exitCode, 1);
    assert.match(again.stderr, /^triad: .*already exists and is not empty: nothing written/);
    const bad = await execa(process.execPath, [...cli, 'cri', 'Bad_Name'], { cwd: t.dir, reject: false });
    assert.is(bad.exitCode, 1);
    assert.match(bad.stderr, /NAME "Bad_Name" is not valid/);
    assert.equal(readdirSync(t.dir), ['my-driver']);
  } finally {
    t.cleanup();
  }
});

test.run();
