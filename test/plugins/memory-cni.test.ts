// memory-cni through the CNI library, exec'ing the real executable from a bin dir.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CniConfig, CniError, parseConfList, writeCache, type NetworkConfigList, type RuntimeConf } from '../../interfaces/cni/index.js';
import { installCniBinary, MEMORY_CNI_TYPE } from '../../plugins/memory-cni/index.js';
import { tmpDir, type TmpDir } from '../fixtures/cni/helpers.js';

const test = suite('memory-cni');
let t: TmpDir;
let bin: string;
let n = 0;

test.before(() => {
  t = tmpDir('triad-memcni-');
  bin = join(t.dir, 'bin');
  installCniBinary(bin, MEMORY_CNI_TYPE);
});
test.after(() => t.cleanup());

function setup(extra: object = {}, version = '1.1.0') {
  const id = ++n;
  const dataDir = join(t.dir, `data-${id}`);
  const list: NetworkConfigList = parseConfList(
    JSON.stringify({
      cniVersion: version,
      name: `mem${id}`,
      plugins: [{ type: MEMORY_CNI_TYPE, subnet: '10.77.0.0/24', dataDir, ...extra }],
    }),
  );
  const cni = new CniConfig({ path: [bin], cacheDir: join(t.dir, `cache-${id}`) });
  const stateDir = join(dataDir, list.name);
  const ips = () =>
    readdirSync(stateDir)
      .filter((f) => /^\d/.test(f))
      .sort();
  return { cni, list, stateDir, ips };
}
const rt = (containerID: string, ifName = 'eth0'): RuntimeConf => ({ containerID, ifName, netns: `/run/netns/${containerID}` });

async function cniReject(p: Promise<unknown>): Promise<CniError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, CniError, String(e));
    return e as CniError;
  }
  assert.unreachable('expected a CniError');
  throw new Error();
}

test('VERSION reports the supported versions', async () => {
  const { cni } = setup();
  const v = await cni.getVersionInfo(MEMORY_CNI_TYPE);
  assert.equal(v.supportedVersions, ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
});

test('ADD returns a 1.1.0 result with a deterministic MAC; ADD again returns the same IP', async () => {
  const s = setup({ dns: { nameservers: ['10.77.0.10'] } });
  const r = await s.cni.addNetworkList(s.list, rt('c1'));
  assert.is(r.cniVersion, '1.1.0');
  assert.equal(r.interfaces, [{ name: 'eth0', mac: '0a:58:0a:4d:00:02', sandbox: '/run/netns/c1' }]);
  assert.equal(r.ips, [{ address: '10.77.0.2/24', gateway: '10.77.0.1', interface: 0 }]);
  assert.equal(r.routes, [{ dst: '0.0.0.0/0', gw: '10.77.0.1' }]);
  assert.equal(r.dns, { nameservers: ['10.77.0.10'] });
  const again = await s.cni.addNetworkList(s.list, rt('c1'));
  assert.equal(again.ips, r.ips);
  const other = await s.cni.addNetworkList(s.list, rt('c1', 'net1'));
  assert.is(other.ips![0].address, '10.77.0.3/24', 'another ifname is another attachment');
  assert.equal(s.ips(), ['10.77.0.2', '10.77.0.3']);
});

test('CHECK passes for a live attachment, fails with 3 once it is gone and 100 on mismatch', async () => {
  const s = setup();
  await s.cni.addNetworkList(s.list, rt('c1'));
  assert.equal(await s.cni.checkNetworkList(s.list, rt('c1')), { ran: true });
  // The allocation vanishes behind the runtime's back (the cache still has the result).
  for (const f of s.ips()) writeFileSync(join(s.stateDir, f), 'someone-else\neth0');
  const gone = await cniReject(s.cni.checkNetworkList(s.list, rt('c1')));
  assert.is(gone.code, 3);
  // Now an allocation exists but under another address than the cached result.
  await s.cni.delNetworkList(s.list, rt('c1'));
  await s.cni.addNetworkList(s.list, rt('c1'));
  const cached = s.cni.getCachedResult(s.list, rt('c1'))!;
  const cacheDir = s.cni.cacheDirFor();
  writeCache(cacheDir, {
    containerId: 'c1',
    ifName: 'eth0',
    networkName: s.list.name,
    config: '',
    result: { ...cached, ips: [{ address: '10.77.0.200/24', interface: 0 }] },
  });
  const mismatch = await cniReject(s.cni.checkNetworkList(s.list, rt('c1')));
  assert.is(mismatch.code, 100);
});

test('DEL frees the IP for reuse; DEL twice is fine', async () => {
  const s = setup({ rangeStart: '10.77.0.50', rangeEnd: '10.77.0.51' });
  const a = await s.cni.addNetworkList(s.list, rt('a'));
  const b = await s.cni.addNetworkList(s.list, rt('b'));
  assert.equal([a.ips![0].address, b.ips![0].address], ['10.77.0.50/24', '10.77.0.51/24']);
  await s.cni.delNetworkList(s.list, rt('a'));
  await s.cni.delNetworkList(s.list, rt('a'));
  assert.equal(s.ips(), ['10.77.0.51']);
  const c = await s.cni.addNetworkList(s.list, rt('c'));
  assert.is(c.ips![0].address, '10.77.0.50/24', 'the freed address is handed out again');
});

test('range exhaustion is TRY_AGAIN_LATER (11)', async () => {
  const s = setup({ rangeStart: '10.77.0.9', rangeEnd: '10.77.0.10' });
  await s.cni.addNetworkList(s.list, rt('a'));
  await s.cni.addNetworkList(s.list, rt('b'));
  const e = await cniReject(s.cni.addNetworkList(s.list, rt('c')));
  assert.is(e.code, 11);
  assert.match(e.message, /no free address in 10\.77\.0\.9-10\.77\.0\.10/);
});

test('GC frees only attachments that are not valid', async () => {
  const s = setup();
  for (const c of ['keep1', 'drop1', 'keep2', 'drop2']) await s.cni.addNetworkList(s.list, rt(c));
  assert.is(s.ips().length, 4);
  // Forget the libcni cache so only the plugin's own GC can free them.
  rmSync(join(s.cni.cacheDirFor(), 'results'), { recursive: true });
  assert.equal(
    await s.cni.gcNetworkList(s.list, [
      { containerID: 'keep1', ifname: 'eth0' },
      { containerID: 'keep2', ifname: 'eth0' },
    ]),
    { ran: true },
  );
  assert.equal(s.ips(), ['10.77.0.2', '10.77.0.4']);
});

test('STATUS: ready, or PLUGIN_NOT_AVAILABLE (50) when the state dir cannot be written', async () => {
  const s = setup();
  assert.equal(await s.cni.statusNetworkList(s.list), { ran: true });
  const blocker = join(t.dir, 'not-a-dir');
  writeFileSync(blocker, '');
  const bad = setup({ dataDir: join(blocker, 'sub') });
  const e = await cniReject(bad.cni.statusNetworkList(bad.list));
  assert.is(e.code, 50);
  assert.is(e.plugin, MEMORY_CNI_TYPE);
});

test('a fault rule makes ADD fail with the given code, only for matching containers', async () => {
  const s = setup({ faults: [{ verb: 'ADD', container: 'bad-.*', fail: { code: 11, msg: 'injected' } }] });
  const e = await cniReject(s.cni.addNetworkList(s.list, rt('bad-1')));
  assert.is(e.code, 11);
  assert.is(e.msg, 'injected');
  const ok = await s.cni.addNetworkList(s.list, rt('good-1'));
  assert.is(ok.ips!.length, 1);
  assert.equal(s.ips(), ['10.77.0.2'], 'the failed ADD allocated nothing');
});

test('a slow ADD (delayMs) is slow; a hanging one times out', async () => {
  const s = setup({ faults: [{ verb: 'ADD', delayMs: 1500 }] });
  const t0 = Date.now();
  await s.cni.addNetworkList(s.list, rt('slow'));
  assert.ok(Date.now() - t0 >= 1500);
  const h = setup({ faults: [{ verb: 'ADD', hang: true }] });
  const hung = new CniConfig({ path: [bin], cacheDir: join(t.dir, 'cache-hang'), timeoutMs: 3000 });
  const e = await cniReject(hung.addNetworkList(h.list, rt('h')));
  assert.is(e.kind, 'timeout');
});

test('0.4.0 configs get a 0.4.0 result', async () => {
  const s = setup({}, '0.4.0');
  const r = await s.cni.addNetworkList(s.list, rt('old'));
  assert.is(r.cniVersion, '0.4.0');
  assert.is(r.ips![0].version, '4');
  assert.not.ok('mtu' in r.interfaces![0]);
});

test.run();
