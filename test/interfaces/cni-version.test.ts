import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  compareVersions,
  convertResult,
  negotiateVersion,
  resultProblems,
  validateResult,
  ResultValidationError,
  parseIp,
  formatIp,
  parseCidr,
  type Result,
} from '../../interfaces/cni/index.js';

const test = suite('cni-version');

test('compareVersions orders numerically, not lexically', () => {
  assert.is(compareVersions('0.10.0', '0.9.0'), 1);
  assert.is(compareVersions('1.0.0', '1.0.0'), 0);
  assert.is(compareVersions('0.4.0', '1.0.0'), -1);
  assert.throws(() => compareVersions('1.0', '1.0.0'), /invalid CNI version/);
});

test('negotiateVersion picks the highest supported of cniVersion + cniVersions', () => {
  assert.is(negotiateVersion({ cniVersion: '0.4.0', cniVersions: ['1.0.0', '1.1.0', '9.0.0'] }), '1.1.0');
  assert.is(negotiateVersion({ cniVersion: '1.0.0' }), '1.0.0');
  assert.is(negotiateVersion({ cniVersions: ['0.2.0', '0.3.1'] }), '0.3.1');
  assert.is(negotiateVersion({ cniVersion: '0.2.0' }), undefined);
  assert.is(negotiateVersion({ cniVersions: ['1.0.0', '1.1.0'] }, ['0.4.0', '1.0.0']), '1.0.0');
});

const v100: Result = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'eth0', mac: '0a:58:0a:00:00:02', sandbox: '/var/run/netns/x' }],
  ips: [
    { address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 0 },
    { address: 'fd00::2/64', interface: 0 },
  ],
  routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1' }],
  dns: { nameservers: ['10.0.0.10'], search: ['svc.local'] },
};

test('1.0.0 -> 0.4.0 adds ips[].version from the address family', () => {
  const r = convertResult(v100, '0.4.0');
  assert.is(r.cniVersion, '0.4.0');
  assert.equal(
    r.ips!.map((i) => i.version),
    ['4', '6'],
  );
  assert.equal(r.ips![0], { version: '4', address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 0 });
  assert.equal(resultProblems(r), []);
});

test('0.4.0 -> 1.0.0 drops ips[].version and round-trips', () => {
  const back = convertResult(convertResult(v100, '0.4.0'), '1.0.0');
  assert.equal(back, v100);
  assert.not.ok('version' in back.ips![0]);
});

test('1.1.0-only fields are dropped when converting down, kept at 1.1.0', () => {
  const r11: Result = {
    cniVersion: '1.1.0',
    interfaces: [{ name: 'eth0', mtu: 1400, socketPath: '/s' }],
    routes: [{ dst: '10.0.0.0/8', mtu: 1300, table: 5 }],
  };
  assert.equal(convertResult(r11, '1.1.0'), r11);
  const r10 = convertResult(r11, '1.0.0');
  assert.equal(r10.interfaces, [{ name: 'eth0' }]);
  assert.equal(r10.routes, [{ dst: '10.0.0.0/8' }]);
});

test('conversion to/from pre-0.3 versions is refused', () => {
  assert.throws(() => convertResult(v100, '0.2.0'), /cannot convert a result to CNI version 0.2.0/);
  assert.throws(() => convertResult({ cniVersion: '0.1.0' }, '1.0.0'), /from CNI version 0.1.0/);
});

test('validateResult names the field path of every problem', () => {
  const bad = {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'eth0', mac: 'zz:zz' }],
    ips: [
      { address: '10.0.0.2', interface: 3 },
      { address: '10.0.0.3/24', gateway: 'nope' },
    ],
    routes: [{ dst: '0.0.0.0', gw: '10.0.0.1' }],
    dns: { nameservers: ['x'] },
  };
  try {
    validateResult(bad);
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, ResultValidationError);
    const p = (e as ResultValidationError).problems;
    assert.ok(
      p.some((x) => x.startsWith('interfaces[0].mac')),
      p.join('\n'),
    );
    assert.ok(p.some((x) => x.startsWith('ips[0].address')));
    assert.ok(p.some((x) => x.startsWith('ips[0].interface') && x.includes('out of range')));
    assert.ok(p.some((x) => x.startsWith('ips[1].gateway')));
    assert.ok(p.some((x) => x.startsWith('routes[0].dst')));
    assert.ok(p.some((x) => x.startsWith('dns.nameservers[0]')));
  }
  assert.equal(resultProblems(v100), []);
});

test('legacy results need ips[].version, and it must match the family', () => {
  assert.ok(resultProblems({ cniVersion: '0.4.0', ips: [{ address: '10.0.0.2/24' }] }).some((p) => p.startsWith('ips[0].version: missing')));
  assert.ok(resultProblems({ cniVersion: '0.3.1', ips: [{ version: '6', address: '10.0.0.2/24' }] }).some((p) => p.includes('"6" for an IPv4')));
});

test('ip helpers round-trip v4 and v6', () => {
  for (const s of ['10.1.2.3', '::1', 'fd00::2', '2001:db8::1:0:0:1', '1:2:3:4:5:6:7:8']) assert.is(formatIp(parseIp(s)!), s);
  assert.is(formatIp(parseIp('::ffff:1.2.3.4')!), '::ffff:102:304');
  assert.is(parseCidr('10.0.0.0/33'), undefined);
  assert.is(parseCidr('fd00::/64')!.prefix, 64);
});

test.run();
