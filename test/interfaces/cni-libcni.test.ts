import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CniConfig, CniError, cacheFile, parseConfList, type NetworkConfigList, type RuntimeConf } from '../../interfaces/cni/index.js';
import { fixtureBinDir, readLog, tmpDir, type TmpDir } from '../fixtures/cni/helpers.js';

const test = suite('cni-libcni');
let bin: TmpDir;
let work: TmpDir;
let n = 0;

test.before(() => {
  bin = fixtureBinDir(['fx-a', 'fx-b', 'fx-c']);
  work = tmpDir();
});
test.after(() => {
  bin.cleanup();
  work.cleanup();
});

/** A fresh CniConfig, cache dir and log, and a three-plugin list that logs to it. */
function setup(version = '1.1.0', per: Record<string, object> = {}, top: object = {}) {
  const id = ++n;
  const log = join(work.dir, `log-${id}.jsonl`);
  const cacheDir = join(work.dir, `cache-${id}`);
  const cni = new CniConfig({ path: [bin.dir], cacheDir });
  const list: NetworkConfigList = parseConfList(
    JSON.stringify({
      cniVersion: version,
      name: `net${id}`,
      ...top,
      plugins: ['a', 'b', 'c'].map((p, i) => ({ type: `fx-${p}`, log, ...(i === 0 ? { ip: '10.1.0.2/24', gateway: '10.1.0.1' } : {}), ...per[p] })),
    }),
  );
  return { cni, list, log, cacheDir, calls: () => readLog(log) };
}
const rt: RuntimeConf = { containerID: 'ctr-1', netns: '/run/netns/ctr-1', ifName: 'eth0' };

async function rejects(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}

test('ADD chains prevResult through the list and caches the final result', async () => {
  const s = setup();
  const r = await s.cni.addNetworkList(s.list, rt);
  const calls = s.calls();
  assert.equal(
    calls.map((c) => `${c.verb} ${c.type}`),
    ['ADD fx-a', 'ADD fx-b', 'ADD fx-c'],
  );
  assert.is(calls[0].stdin.prevResult, undefined);
  assert.equal(calls[1].stdin.prevResult.ips, [{ address: '10.1.0.2/24', gateway: '10.1.0.1', interface: 0 }]);
  assert.equal(
    calls[2].stdin.prevResult.interfaces.map((i: any) => i.name),
    ['eth0-fx-a', 'eth0-fx-b'],
  );
  assert.ok(calls.every((c) => c.stdin.name === s.list.name && c.stdin.cniVersion === '1.1.0'));
  assert.equal(
    r.interfaces!.map((i) => i.name),
    ['eth0-fx-a', 'eth0-fx-b', 'eth0-fx-c'],
  );
  assert.is(r.cniVersion, '1.1.0');
  assert.ok(existsSync(cacheFile(s.cacheDir, { network: s.list.name, containerID: 'ctr-1', ifName: 'eth0' })));
  assert.equal(s.cni.getCachedResult(s.list, rt), r);
  assert.equal(
    s.cni.getCachedAttachments('ctr-1').map((a) => a.networkName),
    [s.list.name],
  );
});

test('DEL runs in reverse with the cached result as prevResult, then drops the cache', async () => {
  const s = setup();
  const r = await s.cni.addNetworkList(s.list, rt);
  await s.cni.delNetworkList(s.list, rt);
  const dels = s.calls().filter((c) => c.verb === 'DEL');
  assert.equal(
    dels.map((c) => c.type),
    ['fx-c', 'fx-b', 'fx-a'],
  );
  for (const d of dels) assert.equal(d.stdin.prevResult, r);
  assert.is(s.cni.getCachedResult(s.list, rt), undefined);
  await s.cni.delNetworkList(s.list, rt); // a second DEL is fine, without prevResult
  const again = s
    .calls()
    .filter((c) => c.verb === 'DEL')
    .slice(3);
  assert.is(again.length, 3);
  assert.ok(again.every((c) => c.stdin.prevResult === undefined));
});

test('DEL stops at the first error and keeps the cache for a retry', async () => {
  const s = setup('1.1.0', { b: { behavior: { verbs: ['DEL'], fail: { code: 5, msg: 'disk gone' } } } });
  await s.cni.addNetworkList(s.list, rt);
  const e = await rejects(s.cni.delNetworkList(s.list, rt));
  assert.instance(e, CniError);
  assert.is((e as CniError).code, 5);
  assert.is((e as CniError).plugin, 'fx-b');
  assert.equal(
    s
      .calls()
      .filter((c) => c.verb === 'DEL')
      .map((c) => c.type),
    ['fx-c', 'fx-b'],
  );
  assert.ok(s.cni.getCachedResult(s.list, rt));
});

test('a failed ADD stops the chain and caches nothing', async () => {
  const s = setup('1.1.0', { b: { behavior: { verbs: ['ADD'], fail: { code: 11, msg: 'later' } } } });
  const e = await rejects(s.cni.addNetworkList(s.list, rt));
  assert.is((e as CniError).code, 11);
  assert.equal(
    s.calls().map((c) => c.type),
    ['fx-a', 'fx-b'],
  );
  assert.is(s.cni.getCachedResult(s.list, rt), undefined);
});

test('CHECK runs in order with prevResult; disableCheck skips; < 0.4.0 is refused', async () => {
  const s = setup();
  const r = await s.cni.addNetworkList(s.list, rt);
  assert.equal(await s.cni.checkNetworkList(s.list, rt), { ran: true });
  const checks = s.calls().filter((c) => c.verb === 'CHECK');
  assert.equal(
    checks.map((c) => c.type),
    ['fx-a', 'fx-b', 'fx-c'],
  );
  assert.equal(checks[0].stdin.prevResult, r);

  const d = setup('1.0.0', {}, { disableCheck: true });
  const out = await d.cni.checkNetworkList(d.list, rt);
  assert.is(out.ran, false);
  assert.is(d.calls().length, 0);

  const old = setup('0.3.1');
  const e = await rejects(old.cni.checkNetworkList(old.list, rt));
  assert.is((e as CniError).kind, 'unsupported');
  assert.is((e as CniError).code, 1);
});

test('STATUS only for 1.1.0+, errors propagate', async () => {
  const s = setup('1.1.0');
  assert.equal(await s.cni.statusNetworkList(s.list), { ran: true });
  const st = s.calls();
  assert.equal(
    st.map((c) => `${c.verb} ${c.type}`),
    ['STATUS fx-a', 'STATUS fx-b', 'STATUS fx-c'],
  );
  assert.is(st[0].env.CNI_CONTAINERID, '');

  const old = setup('1.0.0');
  assert.is((await old.cni.statusNetworkList(old.list)).ran, false);
  assert.is(old.calls().length, 0);

  const down = setup('1.1.0', { a: { behavior: { fail: { code: 50, msg: 'not ready' } } } });
  const e = await rejects(down.cni.statusNetworkList(down.list));
  assert.is((e as CniError).code, 50);
  assert.is(down.calls().length, 1, 'stops at the first failing plugin');
});

test('GC sends valid attachments (1.1.0+) and DELs stale cached attachments', async () => {
  const s = setup('1.1.0');
  const keep: RuntimeConf = { ...rt, containerID: 'keep' };
  const stale: RuntimeConf = { ...rt, containerID: 'stale' };
  await s.cni.addNetworkList(s.list, keep);
  await s.cni.addNetworkList(s.list, stale);
  const before = s.calls().length;
  assert.equal(await s.cni.gcNetworkList(s.list, [{ containerID: 'keep', ifname: 'eth0' }]), { ran: true });
  const calls = s.calls().slice(before);
  const dels = calls.filter((c) => c.verb === 'DEL');
  assert.equal(
    dels.map((c) => `${c.type} ${c.env.CNI_CONTAINERID}`),
    ['fx-c stale', 'fx-b stale', 'fx-a stale'],
  );
  const gcs = calls.filter((c) => c.verb === 'GC');
  assert.equal(
    gcs.map((c) => c.type),
    ['fx-a', 'fx-b', 'fx-c'],
  );
  assert.equal(gcs[0].stdin['cni.dev/valid-attachments'], [{ containerID: 'keep', ifname: 'eth0' }]);
  assert.equal(
    s.cni.getCachedAttachments().map((a) => a.containerId),
    ['keep'],
  );

  const old = setup('1.0.0');
  assert.is((await old.cni.gcNetworkList(old.list, [])).ran, false);
  assert.is(old.calls().length, 0);
  const off = setup('1.1.0', {}, { disableGC: true });
  assert.is((await off.cni.gcNetworkList(off.list, [])).ran, false);
  assert.is(off.calls().length, 0);
});

test('runtimeConfig carries only declared capabilities; plugin keys survive', async () => {
  const s = setup('1.1.0', {
    a: { capabilities: { portMappings: true }, custom: { x: [1, { y: 'z' }] } },
    b: { capabilities: { bandwidth: true, portMappings: false } },
  });
  const portMappings = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }];
  const bandwidth = { ingressRate: 1000 };
  await s.cni.addNetworkList(s.list, { ...rt, capabilityArgs: { portMappings, bandwidth, ips: ['10.0.0.1'] } });
  const [a, b, c] = s.calls();
  assert.equal(a.stdin.runtimeConfig, { portMappings });
  assert.equal(a.stdin.custom, { x: [1, { y: 'z' }] });
  assert.equal(a.stdin.capabilities, { portMappings: true });
  assert.equal(b.stdin.runtimeConfig, { bandwidth });
  assert.is(c.stdin.runtimeConfig, undefined);
});

test('bad container ID or ifname is rejected before any plugin runs', async () => {
  const s = setup();
  for (const bad of [
    { containerID: '' },
    { containerID: '_x' },
    { containerID: 'a b' },
    { ifName: '' },
    { ifName: 'a'.repeat(16) },
    { ifName: '..' },
    { ifName: 'e:0' },
    { ifName: 'e/0' },
    { ifName: 'e 0' },
  ]) {
    const e = await rejects(s.cni.addNetworkList(s.list, { ...rt, ...bad }));
    assert.instance(e, CniError);
    assert.is((e as CniError).kind, 'invalid', JSON.stringify(bad));
    assert.match(e.message, /container ID|interface name/);
  }
  assert.is(s.calls().length, 0);
});

test('0.4.0 lists: results carry ips[].version; cache converts to the reading version', async () => {
  const s = setup('0.4.0');
  const r = await s.cni.addNetworkList(s.list, rt);
  assert.equal(r.ips, [{ version: '4', address: '10.1.0.2/24', gateway: '10.1.0.1', interface: 0 }]);
  assert.is(s.calls()[1].stdin.prevResult.ips[0].version, '4');
  const as100 = s.cni.getCachedResult({ ...s.list, cniVersion: '1.0.0' }, rt)!;
  assert.is(as100.cniVersion, '1.0.0');
  assert.equal(as100.ips, [{ address: '10.1.0.2/24', gateway: '10.1.0.1', interface: 0 }]);
});

test('VERSION and validateNetworkList', async () => {
  const s = setup('1.1.0', { b: { capabilities: { portMappings: true } } });
  const v = await s.cni.getVersionInfo('fx-a');
  assert.is(v.cniVersion, '1.1.0');
  assert.ok(v.supportedVersions.includes('0.4.0'));
  assert.equal(await s.cni.validateNetworkList(s.list), ['portMappings']);
  const e = await rejects(s.cni.getVersionInfo('missing-plugin'));
  assert.is((e as CniError).kind, 'not-found');
  assert.ok(e.message.includes(bin.dir));
});

test.run();
