import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cniError, dispatch, type CmdArgs, type PluginFuncs } from '../../interfaces/cni/index.js';

const test = suite('cni-skel');

const calls: CmdArgs[] = [];
const plugin: PluginFuncs = {
  versions: ['0.3.1', '0.4.0', '1.0.0', '1.1.0'],
  about: 'skel test plugin v1',
  add(a) {
    calls.push(a);
    if ((a.config as any).failWith) throw cniError((a.config as any).failWith, 'asked to fail', 'details here');
    if ((a.config as any).explode) throw new Error('kaboom');
    if ((a.config as any).badResult) return { cniVersion: a.cniVersion, ips: [{ address: 'nonsense' }] };
    return { cniVersion: '1.1.0', interfaces: [{ name: a.ifName, sandbox: a.netns }], ips: [{ address: '10.0.0.5/24', interface: 0 }] };
  },
  check(a) {
    calls.push(a);
  },
  del(a) {
    calls.push(a);
  },
  gc(a) {
    calls.push(a);
  },
};

const env = (cmd: string, extra: Record<string, string> = {}) => ({
  CNI_COMMAND: cmd,
  CNI_CONTAINERID: 'c1',
  CNI_NETNS: '/run/netns/c1',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/opt/cni/bin',
  ...extra,
});
const conf = (o: object = {}) => JSON.stringify({ cniVersion: '1.0.0', name: 'net1', type: 'x', ...o });
const errOf = (out: { stdout: string; exitCode: number }) => {
  assert.is(out.exitCode, 1, `expected failure, got ${out.stdout}`);
  return JSON.parse(out.stdout);
};

test.before.each(() => {
  calls.length = 0;
});

test('ADD prints the result converted to the config version', async () => {
  const out = await dispatch(plugin, env('ADD'), conf({ cniVersion: '0.4.0' }));
  assert.is(out.exitCode, 0);
  const r = JSON.parse(out.stdout);
  assert.is(r.cniVersion, '0.4.0');
  assert.is(r.ips[0].version, '4');
  assert.is(calls[0].containerID, 'c1');
  assert.equal(calls[0].path, ['/opt/cni/bin']);
});

test('VERSION reports supported versions (no env or stdin needed)', async () => {
  const out = await dispatch(plugin, { CNI_COMMAND: 'VERSION' }, '');
  assert.is(out.exitCode, 0);
  assert.equal(JSON.parse(out.stdout), { cniVersion: '1.1.0', supportedVersions: ['0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  // The spec: cniVersion is the one given on stdin.
  assert.is(JSON.parse((await dispatch(plugin, { CNI_COMMAND: 'VERSION' }, '{"cniVersion":"0.4.0"}')).stdout).cniVersion, '0.4.0');
});

test('missing env vars per verb -> code 4 naming them', async () => {
  const e = errOf(await dispatch(plugin, { CNI_COMMAND: 'ADD', CNI_PATH: '/x' }, conf()));
  assert.is(e.code, 4);
  assert.match(e.msg, /CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME/);
  // DEL does not need CNI_NETNS
  const ok = await dispatch(plugin, { CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c', CNI_IFNAME: 'eth0', CNI_PATH: '/x' }, conf());
  assert.is(ok.exitCode, 0);
  assert.is(ok.stdout, '');
  assert.is(errOf(await dispatch(plugin, { CNI_COMMAND: 'GC' }, conf({ cniVersion: '1.1.0' }))).code, 4);
  assert.is(errOf(await dispatch(plugin, env('FROB'), conf())).code, 4);
});

test('no CNI_COMMAND with about: prints about on stderr, exit 0', async () => {
  const out = await dispatch(plugin, {}, '');
  assert.is(out.exitCode, 0);
  assert.match(out.stderr, /skel test plugin v1/);
  assert.is(out.stdout, '');
});

test('bad JSON -> code 6; unsupported version -> code 1', async () => {
  assert.is(errOf(await dispatch(plugin, env('ADD'), '{nope')).code, 6);
  const v = errOf(await dispatch(plugin, env('ADD'), conf({ cniVersion: '0.2.0' })));
  assert.is(v.code, 1);
  assert.match(v.details, /0\.2\.0/);
  assert.is(errOf(await dispatch(plugin, env('ADD'), JSON.stringify({ name: 'n', type: 'x' }))).code, 1, 'no cniVersion means 0.1.0');
  assert.is(calls.length, 0);
});

test('verbs gated by version: CHECK < 0.4.0, STATUS/GC < 1.1.0 -> code 1', async () => {
  assert.is(errOf(await dispatch(plugin, env('CHECK'), conf({ cniVersion: '0.3.1' }))).code, 1);
  assert.is(errOf(await dispatch(plugin, env('STATUS'), conf({ cniVersion: '1.0.0' }))).code, 1);
  assert.is(errOf(await dispatch(plugin, env('GC'), conf({ cniVersion: '1.0.0' }))).code, 1);
  const st = await dispatch(plugin, env('STATUS'), conf({ cniVersion: '1.1.0' }));
  assert.is(st.exitCode, 0, 'no status handler means ready');
  const gc = await dispatch(plugin, env('GC'), conf({ cniVersion: '1.1.0', 'cni.dev/valid-attachments': [{ containerID: 'a', ifname: 'eth0' }] }));
  assert.is(gc.exitCode, 0);
  assert.equal(calls[0].validAttachments, [{ containerID: 'a', ifname: 'eth0' }]);
});

test('invalid container ID / ifname / network name are rejected before the handler', async () => {
  assert.is(errOf(await dispatch(plugin, env('ADD', { CNI_CONTAINERID: '-bad' }), conf())).code, 4);
  assert.is(errOf(await dispatch(plugin, env('ADD', { CNI_IFNAME: 'a/b' }), conf())).code, 4);
  assert.is(errOf(await dispatch(plugin, env('ADD'), conf({ name: '' }))).code, 7);
  assert.is(calls.length, 0);
});

test('handler errors: CniError keeps its code, others become 999', async () => {
  const e = errOf(await dispatch(plugin, env('ADD'), conf({ failWith: 11 })));
  assert.equal(e, { cniVersion: '1.0.0', code: 11, msg: 'asked to fail', details: 'details here' });
  const x = errOf(await dispatch(plugin, env('ADD'), conf({ explode: true })));
  assert.is(x.code, 999);
  assert.match(x.msg, /kaboom/);
  const b = errOf(await dispatch(plugin, env('ADD'), conf({ badResult: true })));
  assert.is(b.code, 999);
  assert.match(b.details, /ips\[0\]\.address/);
});

test('prevResult is handed to the handler in the config version', async () => {
  const prev = { cniVersion: '1.0.0', ips: [{ address: '10.0.0.9/24' }] };
  await dispatch(
    plugin,
    env('CHECK'),
    conf({ cniVersion: '0.4.0', prevResult: { ...prev, cniVersion: '0.4.0', ips: [{ version: '4', address: '10.0.0.9/24' }] } }),
  );
  assert.is(calls[0].prevResult!.ips![0].version, '4');
  await dispatch(plugin, env('DEL'), conf({ prevResult: prev }));
  assert.equal(calls[1].prevResult, prev);
});

test.run();
