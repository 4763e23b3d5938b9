// The CNI shim in front of a real plugin (Debian's `static` IPAM plugin, which needs no root):
// exec'd through CNI_PATH like any plugin, it passes calls through, applies the rules per verb —
// counting nth/times across its processes — and appends each call to the transcript.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CniError } from '../../interfaces/cni/errors.js';
import { execPlugin } from '../../interfaces/cni/exec.js';
import { conflistTypes, installCniShim, parseInterposerRules, readTranscript } from '../../interfaces/interposer/index.js';
import { tmp } from '../conformance/helpers.js';

const test = suite('interposer: CNI shim');
const REAL = ['/usr/lib/cni', '/opt/cni/bin'].filter((d) => existsSync(join(d, 'static')));
const config = { cniVersion: '1.0.0', name: 'n', type: 'static', ipam: { type: 'static', addresses: [{ address: '10.10.0.7/24' }] } };

test('conflistTypes: every plugin type and IPAM type of a list', () => {
  assert.equal(conflistTypes({ plugins: [{ type: 'bridge', ipam: { type: 'host-local' } }, { type: 'portmap' }] }), ['bridge', 'host-local', 'portmap']);
});

test(`pass-through, fail on the 2nd ADD only, a crash for one pod\'s DEL, transcript${REAL.length ? '' : ' — SKIPPED: no `static` CNI plugin installed'}`, async () => {
  if (!REAL.length) {
    if (process.env.CI === 'true') throw new Error(`required in CI: ${'no `static` CNI plugin installed'}`);
    return;
  }
  const t = tmp('triad-shim-');
  const shim = join(t.dir, 'shim');
  const record = join(t.dir, 'cni.jsonl');
  installCniShim(shim, ['static'], {
    realDirs: REAL,
    record,
    rules: parseInterposerRules([
      { rpc: 'ADD', nth: 2, times: 1, fail: { code: 11, message: 'injected: try again later' } },
      { rpc: 'DEL', target: 'web', drop: true },
    ]),
  });
  const call = (verb: 'ADD' | 'DEL', pod: string) =>
    execPlugin(
      {
        verb,
        pluginType: 'static',
        config,
        containerID: `c-${pod}`,
        ifName: 'eth0',
        netns: '/var/run/netns/x',
        args: [
          ['IgnoreUnknown', '1'],
          ['K8S_POD_NAME', pod],
        ],
        path: [shim, ...REAL],
      },
      { timeoutMs: 30_000 },
    );
  const ip = (o: Awaited<ReturnType<typeof call>>) => (o.json as { ips: Array<{ address: string }> }).ips[0].address;
  try {
    assert.is(ip(await call('ADD', 'web')), '10.10.0.7/24');
    const err = await call('ADD', 'web').catch((e: unknown) => e);
    assert.instance(err, CniError);
    assert.is((err as CniError).code, 11);
    assert.match((err as CniError).message, /injected: try again later/);
    assert.is(ip(await call('ADD', 'web')), '10.10.0.7/24', 'only the 2nd ADD failed (counted across processes)');
    const crashed = await call('DEL', 'web').catch((e: unknown) => e);
    assert.instance(crashed, CniError, 'drop: the plugin exits 1 with no output');
    await call('DEL', 'db');
    const lines = readTranscript(record);
    assert.equal(
      lines.map((l) => `${l.method} ${l.status.name}`),
      ['static/ADD OK', 'static/ADD CNI_ERROR', 'static/ADD OK', 'static/DEL CRASHED', 'static/DEL OK'],
    );
    assert.is((lines[0].request as { args: Record<string, string> }).args.K8S_POD_NAME, 'web');
    assert.is((lines[0].response as { ips: Array<{ address: string }> }).ips[0].address, '10.10.0.7/24');
    assert.is(lines[1].fault, 'fail 11');
  } finally {
    t.cleanup();
  }
});

test(`corrupt and remove change the result the runtime gets${REAL.length ? '' : ' — SKIPPED: no `static` CNI plugin installed'}`, async () => {
  if (!REAL.length) {
    if (process.env.CI === 'true') throw new Error(`required in CI: ${'no `static` CNI plugin installed'}`);
    return;
  }
  const t = tmp('triad-shim-');
  const shim = join(t.dir, 'shim');
  installCniShim(shim, ['static'], {
    realDirs: REAL,
    rules: parseInterposerRules([{ rpc: 'static/ADD', match: { 'args.K8S_POD_NAME': 'web' }, corrupt: { 'ips.0.address': '10.99.0.1/24' }, remove: ['dns'] }]),
  });
  try {
    const add = (pod: string) =>
      execPlugin(
        {
          verb: 'ADD',
          pluginType: 'static',
          config: { ...config, dns: { nameservers: ['10.0.0.10'] } },
          containerID: `c-${pod}`,
          ifName: 'eth0',
          netns: '/x',
          args: [
            ['IgnoreUnknown', '1'],
            ['K8S_POD_NAME', pod],
          ],
          path: [shim],
        },
        { timeoutMs: 30_000 },
      );
    const web = (await add('web')).json as { ips: Array<{ address: string }>; dns?: unknown };
    assert.is(web.ips[0].address, '10.99.0.1/24');
    assert.is(web.dns, undefined);
    const db = (await add('db')).json as { ips: Array<{ address: string }>; dns?: unknown };
    assert.is(db.ips[0].address, '10.10.0.7/24', 'another pod is untouched');
    assert.ok(db.dns);
  } finally {
    t.cleanup();
  }
});

test('installing refuses a plugin that is not there, and the shim folder as a real one', () => {
  const t = tmp('triad-shim-');
  try {
    assert.throws(() => installCniShim(join(t.dir, 's'), ['no-such-plugin'], { realDirs: [t.dir], rules: [] }), /no executable "no-such-plugin"/);
    assert.throws(() => installCniShim(t.dir, ['x'], { realDirs: [t.dir], rules: [] }), /also one of the real plugin folders/);
  } finally {
    t.cleanup();
  }
});

test.run();
