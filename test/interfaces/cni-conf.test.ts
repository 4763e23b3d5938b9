import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfError, confFiles, loadConfFile, loadConfListByName, loadFirstConfList, parseConfList } from '../../interfaces/cni/index.js';
import { tmpDir, type TmpDir } from '../fixtures/cni/helpers.js';

const test = suite('cni-conf');
let t: TmpDir;
test.before(() => {
  t = tmpDir();
});
test.after(() => t.cleanup());

const list = {
  cniVersion: '1.0.0',
  name: 'podnet',
  plugins: [
    { type: 'bridge', bridge: 'cni0', ipam: { type: 'host-local', subnet: '10.1.0.0/16' }, custom: { nested: [1, 2] } },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
};

test('parses a list and keeps plugin-specific keys', () => {
  const l = parseConfList(JSON.stringify(list));
  assert.is(l.name, 'podnet');
  assert.is(l.cniVersion, '1.0.0');
  assert.is(l.plugins.length, 2);
  assert.equal(l.plugins[0].custom, { nested: [1, 2] });
  assert.is(l.plugins[0].bridge, 'cni0');
});

test('a single-plugin .conf becomes a list of one', () => {
  const f = join(t.dir, '10-single.conf');
  writeFileSync(f, JSON.stringify({ cniVersion: '0.4.0', name: 'single', type: 'bridge', mtu: 1400 }));
  const l = loadConfFile(f);
  assert.is(l.name, 'single');
  assert.is(l.cniVersion, '0.4.0');
  assert.is(l.plugins.length, 1);
  assert.is(l.plugins[0].type, 'bridge');
  assert.is(l.plugins[0].mtu, 1400);
});

test('missing plugin type names the file and the key', () => {
  const f = join(t.dir, 'bad.conflist');
  writeFileSync(f, JSON.stringify({ ...list, plugins: [list.plugins[0], { capabilities: {} }] }));
  try {
    loadConfFile(f);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ConfError);
    assert.is((e as ConfError).key, 'plugins[1].type');
    assert.ok((e as Error).message.includes(f), (e as Error).message);
    assert.ok((e as Error).message.includes('plugins[1].type is required'));
  }
});

test('bad JSON names the file', () => {
  const f = join(t.dir, 'broken.conflist');
  writeFileSync(f, '{"name": "x", ');
  assert.throws(
    () => loadConfFile(f),
    (e: Error) => e.message.startsWith(`${f}: invalid JSON`),
  );
});

test('other required keys and types', () => {
  const bad = (o: object, re: RegExp) => assert.throws(() => parseConfList(JSON.stringify(o)), re);
  bad({ cniVersion: '1.0.0', plugins: [{ type: 'x' }] }, /<string>: name is required/);
  bad({ cniVersion: '1.0.0', name: 'bad name', plugins: [{ type: 'x' }] }, /name "bad name" must start/);
  bad({ name: 'n', plugins: [{ type: 'x' }] }, /cniVersion is required/);
  bad({ cniVersion: '1.0', name: 'n', plugins: [{ type: 'x' }] }, /cniVersion invalid CNI version/);
  bad({ cniVersion: '0.2.0', name: 'n', plugins: [{ type: 'x' }] }, /cniVersion offers 0.2.0, none supported/);
  bad({ cniVersion: '1.0.0', name: 'n', plugins: [] }, /plugins must not be empty/);
  bad({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: '../evil' }] }, /plugins\[0\].type "..\/evil" must be a plain/);
  bad({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'x', capabilities: { a: 'yes' } }] }, /plugins\[0\].capabilities.a must be a boolean/);
  bad({ cniVersion: '1.0.0', name: 'n', disableCheck: 3, plugins: [{ type: 'x' }] }, /disableCheck must be a boolean/);
});

test('cniVersions negotiation and string booleans', () => {
  const l = parseConfList(
    JSON.stringify({ cniVersion: '0.4.0', cniVersions: ['1.0.0', '1.1.0', '2.0.0'], name: 'n', disableGC: 'true', plugins: [{ type: 'x' }] }),
  );
  assert.is(l.cniVersion, '1.1.0');
  assert.is(l.disableGC, true);
});

test('first config in a dir by name order; lookup by name', () => {
  const d = tmpDir();
  try {
    assert.throws(() => loadFirstConfList(d.dir), /no network config found/);
    writeFileSync(join(d.dir, '20-b.conflist'), JSON.stringify({ ...list, name: 'b' }));
    writeFileSync(join(d.dir, '10-a.conf'), JSON.stringify({ cniVersion: '1.0.0', name: 'a', type: 'bridge' }));
    writeFileSync(join(d.dir, '05-ignored.txt'), 'x');
    assert.equal(
      confFiles(d.dir).map((f) => f.slice(d.dir.length + 1)),
      ['10-a.conf', '20-b.conflist'],
    );
    const first = loadFirstConfList(d.dir);
    assert.is(first.name, 'a');
    assert.is(first.file, join(d.dir, '10-a.conf'));
    assert.is(loadConfListByName(d.dir, 'b').plugins.length, 2);
    assert.throws(() => loadConfListByName(d.dir, 'zzz'), /no network named "zzz"/);
  } finally {
    d.cleanup();
  }
});

test.run();
