// memory-cni's core called in-process (no exec): the way an in-memory runtime uses it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CniConfig, CniError, parseConfList } from '../../interfaces/cni/index.js';
import {
  installCniBinary,
  invokeMemoryCni,
  macForIp,
  MEMORY_CNI_TYPE,
  parseMemoryConf,
  pluginCommand,
  listAllocations,
} from '../../plugins/memory-cni/index.js';
import { tmpDir, type TmpDir } from '../fixtures/cni/helpers.js';

const test = suite('memory-cni-core');
let t: TmpDir;
test.before(() => {
  t = tmpDir('triad-memcni-core-');
});
test.after(() => t.cleanup());

const env = (cmd: string, cid = 'c1', ifname = 'eth0') => ({
  CNI_COMMAND: cmd,
  CNI_CONTAINERID: cid,
  CNI_NETNS: `/ns-${cid}`,
  CNI_IFNAME: ifname,
  CNI_PATH: '/nonexistent',
});
const conf = (o: object = {}) => JSON.stringify({ cniVersion: '1.1.0', name: 'core', type: MEMORY_CNI_TYPE, dataDir: join(t.dir, 'd'), ...o });

test('invokeMemoryCni speaks the exec protocol in-process', async () => {
  const add = await invokeMemoryCni(env('ADD'), conf({ subnet: '10.50.0.0/16' }));
  assert.is(add.exitCode, 0);
  const r = JSON.parse(add.stdout);
  assert.is(r.ips[0].address, '10.50.0.2/16');
  const del = await invokeMemoryCni(env('DEL'), conf({ subnet: '10.50.0.0/16' }));
  assert.equal([del.exitCode, del.stdout], [0, '']);
  const again = await invokeMemoryCni(env('DEL'), conf({ subnet: '10.50.0.0/16' }));
  assert.is(again.exitCode, 0);
});

test('CniConfig with the core registered in-process: full lifecycle without a binary', async () => {
  const cni = new CniConfig({ path: [join(t.dir, 'no-bin')], cacheDir: join(t.dir, 'cache'), inProcess: { [MEMORY_CNI_TYPE]: invokeMemoryCni } });
  const list = parseConfList(conf({ name: 'core-lib', subnet: '10.51.0.0/24', rangeStart: '10.51.0.253' }));
  const rt = { containerID: 'x1', ifName: 'eth0', netns: '/ns-x1' };
  // A namespace per container: eth0 can exist once per namespace.
  const ip = async (containerID: string) => (await cni.addNetworkList(list, { ...rt, containerID, netns: `/ns-${containerID}` })).ips![0].address;
  assert.is(await ip('x1'), '10.51.0.253/24');
  assert.is(await ip('x2'), '10.51.0.254/24');
  assert.equal(await cni.checkNetworkList(list, rt), { ran: true });
  await cni.delNetworkList(list, rt);
  assert.is(await ip('x3'), '10.51.0.253/24', 'after the range end the search wraps to rangeStart');
  try {
    await cni.checkNetworkList(list, rt);
    assert.unreachable('CHECK after DEL has no cached result');
  } catch (e) {
    assert.instance(e, CniError);
    assert.match((e as Error).message, /CHECK needs a preceding ADD/);
  }
});

test('default subnet, gateway, routes; IPv6 works too', () => {
  const c = parseMemoryConf({ type: MEMORY_CNI_TYPE, name: 'n' });
  assert.is(c.subnet.prefix, 16);
  assert.equal(c.routes, [{ dst: '0.0.0.0/0', gw: '10.88.0.1' }]);
  assert.ok(c.stateDir.endsWith(join(`triad-memory-cni-${process.getuid!()}`, 'n')));
  const v6 = parseMemoryConf({ type: MEMORY_CNI_TYPE, name: 'n', ipam: { subnet: 'fd00:1::/120' } });
  assert.equal(v6.routes, [{ dst: '::/0', gw: 'fd00:1::1' }]);
});

test('IPv6 allocation and the MAC', async () => {
  const out = await invokeMemoryCni(env('ADD', 'v6'), conf({ name: 'core6', subnet: 'fd00:1::/120' }));
  const r = JSON.parse(out.stdout);
  assert.is(r.ips[0].address, 'fd00:1::2/120');
  assert.is(r.interfaces[0].mac, '0a:58:00:00:00:02');
  assert.is(macForIp(0x0a580001n), '0a:58:0a:58:00:01');
});

test('bad config is INVALID_NETWORK_CONFIG (7) naming the key', async () => {
  const bad = async (o: object, re: RegExp) => {
    const out = await invokeMemoryCni(env('ADD'), conf(o));
    assert.is(out.exitCode, 1);
    const e = JSON.parse(out.stdout);
    assert.is(e.code, 7, out.stdout);
    assert.match(e.msg, re);
  };
  await bad({ subnet: '10.0.0.0' }, /subnet "10.0.0.0" is not a CIDR/);
  await bad({ subnet: '10.0.0.0/24', rangeStart: '10.0.1.5' }, /rangeStart 10.0.1.5 is outside subnet/);
  await bad({ subnet: '10.0.0.0/24', rangeStart: '10.0.0.9', rangeEnd: '10.0.0.5' }, /is after rangeEnd/);
  await bad({ routes: [{ dst: 'x' }] }, /routes\[0\].dst/);
  await bad({ faults: [{ fail: { code: 1, msg: 'x' } }] }, /faults\[0\].verb is required/);
});

test('faults in-process: fail matches by regex; hang is abandoned by the timeout', async () => {
  const f = await invokeMemoryCni(
    env('DEL', 'victim-7'),
    conf({ name: 'core-f', faults: [{ verb: 'del', container: 'victim-\\d+', fail: { code: 5, msg: 'boom' } }] }),
  );
  assert.equal(JSON.parse(f.stdout), { cniVersion: '1.1.0', code: 5, msg: 'boom' });
  const ok = await invokeMemoryCni(
    env('DEL', 'victim-x'),
    conf({ name: 'core-f', faults: [{ verb: 'DEL', container: 'victim-\\d+', fail: { code: 5, msg: 'boom' } }] }),
  );
  assert.is(ok.exitCode, 0);
  const cni = new CniConfig({
    path: [join(t.dir, 'no-bin')],
    cacheDir: join(t.dir, 'cache-h'),
    timeoutMs: 300,
    inProcess: { [MEMORY_CNI_TYPE]: invokeMemoryCni },
  });
  const list = parseConfList(conf({ name: 'core-hang', faults: [{ verb: 'ADD', hang: true }] }));
  try {
    await cni.addNetworkList(list, { containerID: 'h', ifName: 'eth0', netns: '/ns-h' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, CniError);
    assert.is((e as CniError).kind, 'timeout', (e as Error).message);
  }
  assert.equal(listAllocations(parseMemoryConf(list.plugins[0] as any)), []);
});

test('installCniBinary writes an executable wrapper for the source (or dist) entry', () => {
  const p = installCniBinary(join(t.dir, 'bin'), 'my-mem', { mode: 'source' });
  assert.ok(statSync(p).mode & 0o111);
  const text = readFileSync(p, 'utf8');
  assert.ok(text.startsWith('#!/bin/sh\nexec '));
  assert.ok(text.includes(`'${process.execPath}'`));
  assert.match(text, /tsx\/dist\/loader\.mjs' '.*plugins\/memory-cni\/main\.ts' "\$@"/);
  assert.equal(pluginCommand({ mode: 'source', node: '/x/node' }).slice(0, 2), ['/x/node', '--import']);
  assert.throws(() => installCniBinary(join(t.dir, 'bin'), '../evil'), /invalid plugin name/);
});

test('installCniBinary bundles the plugin into one file by default (no tsx at run time)', () => {
  const p = installCniBinary(join(t.dir, 'bin'), 'my-mem-bundled');
  const text = readFileSync(p, 'utf8');
  const bundle = join(t.dir, 'bin', '.my-mem-bundled.mjs');
  assert.equal(text, `#!/bin/sh\nexec '${process.execPath}' '${bundle}' "$@"\n`);
  const js = readFileSync(bundle, 'utf8');
  assert.not.match(js, /from ['"]\.\.?\//); // no relative imports left: one module load per verb
  assert.not.match(js, /tsx/);
  // Back to an unbundled install: the bundle goes.
  installCniBinary(join(t.dir, 'bin'), 'my-mem-bundled', { mode: 'source' });
  assert.not.ok(existsSync(bundle));
});

test.run();
