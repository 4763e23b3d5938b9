// The triad image's content (no root, no registry): node and every library ldd names, the
// package as npm packs it plus the compiled dist/, production dependencies only, and the same
// entries and config twice (the full build-twice-same-digest check, with gzip and the layout,
// runs in test/reference/fleet-sonobuoy.serial.test.ts, which also runs the image).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { triadRoot } from '../../interfaces/util/root.js';
import { inputsKey } from '../../plugins/images/oci.js';
import { APP_DIR, NODE_IN_IMAGE, parseImageRef, triadImageSpec } from '../../harness/fleet/image.js';

const t = suite('triad image');
const root = triadRoot();

t('node with its libraries, the package, production dependencies only; the same twice', () => {
  const a = triadImageSpec({ root, tag: 'test' });
  const paths = new Map(a.entries.map((e) => [e.path, e]));
  const node = paths.get(NODE_IN_IMAGE.slice(1));
  assert.ok(node && node.type === 'file' && node.mode === 0o755, 'node is executable in the image');
  // Every library the loader will look for, at the path ldd found it (through symlinks such as /lib -> usr/lib).
  const ldd = execFileSync('ldd', [realpathSync(process.execPath)], { encoding: 'utf8' });
  for (const m of ldd.matchAll(/(?:=>\s+|^\s*)(\/\S+)\s+\(/gm)) {
    let p = m[1].slice(1);
    // follow the image's own symlinks as the loader would
    for (let i = 0; i < 10; i++) {
      const parts = p.split('/');
      let hop = false;
      for (let j = 1; j <= parts.length; j++) {
        const e = paths.get(parts.slice(0, j).join('/'));
        if (e?.type === 'symlink') {
          const base = parts.slice(0, j - 1).join('/');
          const target = e.target.startsWith('/') ? e.target.slice(1) : [base, e.target].filter(Boolean).join('/');
          p = [target, ...parts.slice(j)].join('/').replace(/[^/]+\/\.\.\//g, '');
          hop = true;
          break;
        }
      }
      if (!hop) break;
    }
    assert.is(paths.get(p)?.type, 'file', `${m[1]} (as ${p}) is in the image`);
  }
  for (const f of [
    'bin/triad.js',
    'package.json',
    'dist/cli/main.js',
    'dist/conformance/index.js',
    'conformance/rules/runner.yaml',
    'node_modules/@grpc/grpc-js/package.json',
    'node_modules/commander/package.json',
    'node_modules/yaml/package.json',
  ]) {
    assert.is(paths.get(`${APP_DIR.slice(1)}/${f}`)?.type, 'file', `${f} is shipped`);
  }
  const shipped = [...paths.keys()];
  for (const bad of [
    '/node_modules/typescript/',
    '/node_modules/tsx/',
    '/node_modules/uvu/',
    `${APP_DIR.slice(1)}/test/`,
    '/dist/test/',
    '/dist/conformance/broken/',
  ]) {
    assert.not.ok(
      shipped.some((p) => p.includes(bad)),
      `nothing of ${bad} in the image`,
    );
  }
  assert.not.ok(
    shipped.some((p) => p.startsWith(`${APP_DIR.slice(1)}/dist/`) && p.endsWith('.map')),
    'no source maps of ours (the sources are not shipped)',
  );
  assert.equal(a.config.Entrypoint, [NODE_IN_IMAGE, `${APP_DIR}/bin/triad.js`]);
  const b = triadImageSpec({ root, tag: 'test' });
  assert.is(inputsKey(b), inputsKey(a), 'the same entries, modes, bytes and config when built again');
});

t('--push REGISTRY/NAME:TAG is parsed, bad ones refused', () => {
  assert.equal(parseImageRef('127.0.0.1:5000/triad:0.1.0'), { registry: '127.0.0.1:5000', name: 'triad', tag: '0.1.0' });
  assert.equal(parseImageRef('registry.example.com/team/triad'), { registry: 'registry.example.com', name: 'team/triad', tag: 'latest' });
  assert.throws(() => parseImageRef('triad:0.1.0'), /expected REGISTRY\/NAME:TAG/);
  assert.throws(() => parseImageRef('127.0.0.1:5000/Triad:1'), /"Triad" is not a repository name/);
});

t.run();
