// triad as a package, the way a plugin author gets it: pack it, install the tarball into a fresh
// project as an unprivileged user (dependencies from the npm cache, else the registry), import
// every entry point from JavaScript (ESM and require), type-check TypeScript consumers with
// other settings and TypeScript 5, then `triad new` one plugin of each kind and run `npm test` in each (offline:
// everything is in the cache by then). Slow (minutes): it builds, installs and runs three
// projects. Everything lives in one temporary directory, so it runs beside any other test.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execa, type Options } from 'execa';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const test = suite('package: pack, install, import, scaffold');
const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string; devDependencies: Record<string, string> };
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const ENTRY_POINTS = ['triad', 'triad/sdk', 'triad/sdk/cri', 'triad/sdk/csi', 'triad/sdk/cni', 'triad/conformance', 'triad/harness'];

const work = mkdtempSync(join(tmpdir(), 'triad-pack-'));
chmodSync(work, 0o755);
const times: Array<[string, number]> = [];
let tarball = '';

/** As root: `nobody`, so nothing depends on root's powers or files. Otherwise: whoever runs the tests. */
const asUser: { uid?: number; gid?: number } = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
const home = join(work, 'home');

/** Run as the unprivileged user, with a home and an npm cache of its own under `work`. */
function run(cmd: string, args: string[], cwd: string, opts: Options = {}) {
  return execa(cmd, args, {
    cwd,
    ...asUser,
    reject: false,
    all: true,
    timeout: 300_000,
    env: {
      // A temp dir of its own too: another user's leftovers in /tmp (say, root's) are not writable.
      HOME: home,
      TMPDIR: join(home, 'tmp'),
      npm_config_cache: join(home, '.npm'),
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      NO_COLOR: '1',
    },
    extendEnv: false,
    ...opts,
  });
}

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    times.push([what, Date.now() - t0]);
  }
}

function ok(r: { exitCode?: number; all?: unknown; command: string }, what: string): void {
  assert.is(r.exitCode, 0, `${what} failed (${r.command}):\n${String(r.all ?? '').slice(-6000)}`);
}

/** Hand a tree to the unprivileged user. */
function giveAway(path: string): void {
  if (asUser.uid === undefined || asUser.gid === undefined) return;
  chownSync(path, asUser.uid, asUser.gid);
  if (statSync(path).isDirectory()) for (const n of readdirSync(path)) giveAway(join(path, n));
}

test.after(() => rmSync(work, { recursive: true, force: true }));

test("npm pack --dry-run in the checkout lists no tests, benches, examples' build output or source maps", async () => {
  const r = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, reject: false });
  assert.is(r.exitCode, 0, r.stderr);
  const files = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path);
  const bad = files.filter(
    (f) => /^(test|bench)\//.test(f) || /^dist\/(test|bench|examples)\//.test(f) || f.endsWith('.map') || f.startsWith('dist/conformance/broken/'),
  );
  assert.equal(bad, [], 'shipped but not for users');
  for (const f of ['package.json', 'bin/triad.js', 'templates/common/package.json', 'templates/csi/template.json', 'examples/plugins/csi-dir/driver.ts']) {
    assert.ok(files.includes(f), `${f} is in the package`);
  }
});

test('the package builds and packs from a clean copy: only what users need', async () => {
  // Built into a staging copy (not the checkout's dist/, which other tests use while this runs).
  const stage = join(work, 'stage');
  const listed = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
  for (const { path } of (JSON.parse(listed.stdout) as Array<{ files: Array<{ path: string }> }>)[0].files) {
    if (path.startsWith('dist/')) continue;
    mkdirSync(dirname(join(stage, path)), { recursive: true });
    cpSync(join(root, path), join(stage, path));
  }
  const build = await timed('build (tsc -p tsconfig.build.json)', () =>
    execa(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(stage, 'dist')], { cwd: root, reject: false, all: true }),
  );
  ok(build, 'tsc build');
  const packed = await execa('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: stage, reject: false });
  assert.is(packed.exitCode, 0, packed.stderr);
  const info = (
    JSON.parse(packed.stdout) as Array<{ filename: string; size: number; unpackedSize: number; entryCount: number; files: Array<{ path: string }> }>
  )[0];
  tarball = join(work, info.filename);
  chmodSync(tarball, 0o644);
  const files = info.files.map((f) => f.path);
  for (const f of [
    'dist/index.js',
    'dist/index.d.ts',
    'dist/interfaces/index.d.ts',
    'dist/conformance/index.js',
    'dist/harness/index.js',
    'dist/cli/main.js',
    'dist/plugins/memory-cni/main.js',
  ]) {
    assert.ok(files.includes(f), `${f} is in the tarball`);
  }
  // examples/plugins/ is shipped on purpose: `triad new` copies a plugin's sources from there.
  assert.equal(
    files.filter((f) => /^(test|bench)\//.test(f) || /^dist\/(test|bench|examples)\//.test(f) || f.endsWith('.map')),
    [],
  );
  console.log(
    `  tarball: ${info.filename}, ${(info.size / 1024).toFixed(0)} kB packed, ${(info.unpackedSize / 1024).toFixed(0)} kB unpacked, ${info.entryCount} files`,
  );
});

test('installed into a fresh project as an unprivileged user: every entry point imports (ESM and require) and type-checks', async () => {
  assert.ok(tarball, 'packed by the test before');
  mkdirSync(join(home, 'tmp'), { recursive: true });
  // The npm cache of whoever runs the tests, when there is one: installs then need no registry
  // for what was installed before (--prefer-offline); anything missing still comes from it.
  const cache = (await execa('npm', ['config', 'get', 'cache'], { reject: false })).stdout.trim();
  if (cache && existsSync(join(cache, '_cacache'))) cpSync(join(cache, '_cacache'), join(home, '.npm', '_cacache'), { recursive: true });
  const app = join(home, 'consumer');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2));
  giveAway(home);
  // The toolchain the scaffolded projects use comes along, so that their installs run offline.
  const dev = ['typescript', '@types/node', 'tsx'].map((d) => `${d}@${pkg.devDependencies[d]}`);
  const install = await timed('npm install (tarball + typescript, @types/node, tsx)', () => run('npm', ['install', '--prefer-offline', tarball, ...dev], app));
  ok(install, 'npm install of the tarball');
  assert.not.ok(existsSync(join(app, 'node_modules', 'triad', 'test')), 'no tests installed');

  writeFileSync(
    join(app, 'esm.mjs'),
    `
const names = ${JSON.stringify(ENTRY_POINTS)};
for (const n of names) {
  const m = await import(n);
  if (Object.keys(m).length === 0) throw new Error(n + ' exports nothing');
}
const { runConformance, startHarness, serve, cri, csi, cni } = await import('triad');
for (const [k, v] of Object.entries({ runConformance, startHarness, serve })) if (typeof v !== 'function') throw new Error('triad.' + k + ' is ' + typeof v);
if (!cri.RuntimeServiceDefinition || !csi.IdentityDefinition || typeof cni.runPlugin !== 'function') throw new Error('namespaces incomplete');
console.log('esm ok');
`,
  );
  ok(await run(process.execPath, ['esm.mjs'], app), 'ESM import of every entry point');
  // Node 20.19+ loads ESM with require() when the graph has no top-level await.
  writeFileSync(
    join(app, 'cjs.cjs'),
    `
for (const n of ${JSON.stringify(ENTRY_POINTS)}) if (Object.keys(require(n)).length === 0) throw new Error(n + ' exports nothing');
if (typeof require('triad/conformance').runConformance !== 'function') throw new Error('runConformance missing');
console.log('require ok');
`,
  );
  const cjs = await run(process.execPath, ['cjs.cjs'], app);
  ok(cjs, 'require() of every entry point');
  assert.match(String(cjs.all), /require ok/);

  // A TypeScript consumer that uses each entry point's types, under three module settings.
  mkdirSync(join(app, 'src'));
  writeFileSync(
    join(app, 'src', 'consumer.ts'),
    `
import { bind, serve, invalidArgument, type RunningServer } from 'triad/sdk';
import { IdentityDefinition } from 'triad/sdk/csi';
import { RuntimeServiceDefinition, type PodSandboxConfig } from 'triad/sdk/cri';
import { parseConfList, type PluginFuncs } from 'triad/sdk/cni';
import { runConformance, type ConformanceResult, type ConformanceCase } from 'triad/conformance';
import { startHarness, type Harness, type Pod } from 'triad/harness';
import * as triad from 'triad';

export async function check(endpoint: string): Promise<number> {
  const server: RunningServer = await serve(endpoint, [bind(IdentityDefinition, { getPluginInfo: () => ({ name: 'x.example.com', vendorVersion: '1' }) })]);
  const r: ConformanceResult = await runConformance({ suite: 'csi', endpoint, focus: /identity/ });
  const failed: ConformanceCase[] = r.failed;
  const h: Harness = await startHarness({ config: { runtime: { type: 'memory' } } });
  const pods: Pod[] = h.pods();
  await h.close();
  await server.close();
  const cfg: PodSandboxConfig | undefined = undefined;
  const plugin: PluginFuncs | undefined = undefined;
  void [cfg, plugin, RuntimeServiceDefinition, parseConfList, invalidArgument, triad.Status.OK];
  return failed.length + pods.length;
}
`,
  );
  writeFileSync(
    join(app, 'src', 'legacy.cts'),
    `
import triad = require('triad/conformance');
export const run: typeof triad.runConformance = triad.runConformance;
`,
  );
  // TypeScript 5 as well (what most projects still use; triad's .d.ts are emitted by TypeScript 7),
  // down to CommonJS with node10 resolution, which ignores exports (typesVersions maps the subpaths).
  const ts5 = join(home, 'ts5');
  mkdirSync(ts5);
  writeFileSync(join(ts5, 'package.json'), JSON.stringify({ name: 'ts5', version: '1.0.0', private: true }));
  giveAway(ts5);
  ok(await timed('npm install typescript@5', () => run('npm', ['install', '--prefer-offline', 'typescript@5'], ts5)), 'npm install typescript@5');
  const tsc7 = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
  const tsc5 = join(ts5, 'node_modules', 'typescript', 'bin', 'tsc');
  const settings: Array<[string, string, Record<string, unknown>, string[]]> = [
    ['TS 7, NodeNext', tsc7, { module: 'NodeNext', moduleResolution: 'NodeNext' }, ['src/consumer.ts', 'src/legacy.cts']],
    ['TS 7, Bundler', tsc7, { module: 'ESNext', moduleResolution: 'Bundler' }, ['src/consumer.ts']],
    ['TS 7, Node16', tsc7, { module: 'Node16', moduleResolution: 'Node16', target: 'ES2020' }, ['src/consumer.ts']],
    ['TS 5, NodeNext', tsc5, { module: 'NodeNext', moduleResolution: 'NodeNext' }, ['src/consumer.ts', 'src/legacy.cts']],
    ['TS 5, CommonJS + node10', tsc5, { module: 'CommonJS', moduleResolution: 'Node10', esModuleInterop: true }, ['src/consumer.ts']],
  ];
  for (const [i, [name, compiler, opts, files]] of settings.entries()) {
    writeFileSync(
      join(app, `tsconfig.${i}.json`),
      JSON.stringify({ compilerOptions: { target: 'ES2022', strict: true, noEmit: true, types: ['node'], ...opts }, files }, null, 2),
    );
    const r = await timed(`tsc consumer (${name})`, () => run(process.execPath, [compiler, '-p', `tsconfig.${i}.json`], app));
    ok(r, `type-check of a consumer with ${name}`);
  }
});

test('triad new cri|csi|cni: each project installs offline and its npm test passes', async () => {
  assert.ok(tarball, 'packed by the test before');
  const app = join(home, 'consumer');
  const triadBin = join(app, 'node_modules', '.bin', 'triad');
  const kinds = ['cri', 'csi', 'cni'];
  for (const kind of kinds) {
    const r = await run(triadBin, ['new', kind, `my-${kind}`, '--dir', join(home, `my-${kind}`), '--triad', `file:${tarball}`], home);
    ok(r, `triad new ${kind}`);
    assert.match(String(r.all), /npm install\n\s+npm test/);
  }
  // The installs at once (each project has its own node_modules); the tests one after the other:
  // the CRI suite decides at setup which optional streaming RPCs a runtime has by how fast an
  // UNIMPLEMENTED answer comes back, which a machine loaded with three suites at once can delay.
  await Promise.all(
    kinds.map(async (kind) => {
      const install = await timed(`my-${kind}: npm install --offline`, () => run('npm', ['install', '--offline'], join(home, `my-${kind}`)));
      ok(install, `npm install --offline in the ${kind} project`);
    }),
  );
  for (const kind of kinds) {
    const t = await timed(`my-${kind}: npm test`, () => run('npm', ['test'], join(home, `my-${kind}`)));
    ok(t, `npm test in the ${kind} project`);
    assert.match(String(t.all), /# pass 2\n# fail 0/, `${kind}: node:test ran the conformance and the harness tests`);
  }
});

test('timings', () => {
  for (const [what, ms] of times) console.log(`  ${what}: ${(ms / 1000).toFixed(1)} s`);
});

test.run();
