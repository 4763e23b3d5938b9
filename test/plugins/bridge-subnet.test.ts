// The subnet chooser of the bridge network (plugins/bridge/subnet.ts): a pure function over the
// host's routes and addresses, so busy hosts are described here as lists, no root needed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { contains, parseCidr } from '../../interfaces/cni/index.js';
import { AVOIDED_RANGES, chooseSubnet, parseSubnetRequest, PRIVATE_RANGES, subnetConflicts, type HostNetwork } from '../../plugins/bridge/subnet.js';

const route = (cidr: string, dev = 'eth0'): HostNetwork => ({ cidr, what: `route ${cidr} dev ${dev}` });
const inside = (outer: string, inner: string) => {
  const o = parseCidr(outer)!,
    i = parseCidr(inner)!;
  return i.prefix >= o.prefix && contains(o, i);
};

test('an empty host: the first /24 of the first private range, unless a seed moves the start', () => {
  assert.is(chooseSubnet([]).subnet, '10.0.0.0/24');
  assert.is(chooseSubnet([], { prefix: 28 }).subnet, '10.0.0.0/28');
  const seeded = chooseSubnet([], { seed: '/var/lib/triad-reference' });
  assert.ok(
    PRIVATE_RANGES.some((r) => inside(r, seeded.subnet)),
    seeded.subnet,
  );
  assert.ok(inside(seeded.range, seeded.subnet));
});

test('the same seed always gives the same subnet; different seeds spread out', () => {
  assert.is(chooseSubnet([], { seed: 'a' }).subnet, chooseSubnet([], { seed: 'a' }).subnet);
  const many = new Set(Array.from({ length: 50 }, (_, i) => chooseSubnet([], { seed: `stack-${i}` }).subnet));
  assert.ok(many.size >= 45, `${many.size} distinct of 50`);
});

test("never inside Kubernetes' default service range 10.96.0.0/12, whatever the seed", () => {
  assert.equal(
    AVOIDED_RANGES.map((a) => a.cidr),
    ['10.96.0.0/12'],
  );
  for (let i = 0; i < 300; i++) {
    const s = chooseSubnet([], { seed: `s${i}` }).subnet;
    assert.not.ok(inside('10.96.0.0/12', s), `${s} (seed s${i})`);
  }
  // the walk reaches the avoided range and steps over all of it
  const c = chooseSubnet([route('10.0.0.0/10'), route('10.64.0.0/11')]);
  assert.is(c.subnet, '10.112.0.0/24');
  assert.ok(
    c.passedOver.some((w) => w.includes("10.96.0.0/12 (Kubernetes' default service range)")),
    c.passedOver.join('; '),
  );
});

test('a busy host: 10.99.0.0/16 on another bridge, a pod CIDR, a VPN, a down interface address', () => {
  const taken = [
    route('10.99.0.0/16', 'br-other'),
    route('10.244.0.0/16', 'cni0'),
    route('10.0.0.0/9', 'tun0'),
    { cidr: '10.128.0.0/24', what: 'address 10.128.0.7/24 on eth1' },
  ];
  const c = chooseSubnet(taken);
  assert.is(c.subnet, '10.128.1.0/24', 'past the /9 and the address, the next aligned /24');
  assert.equal(c.passedOver, ['route 10.0.0.0/9 dev tun0', 'address 10.128.0.7/24 on eth1']);
  for (let i = 0; i < 200; i++) {
    const s = chooseSubnet(taken, { seed: `x${i}` }).subnet;
    assert.equal(subnetConflicts(s, taken, AVOIDED_RANGES), [], `${s} overlaps something`);
  }
});

test('unaligned and single-address blockers only cost the blocks they touch', () => {
  assert.is(chooseSubnet([route('10.0.0.128/25')]).subnet, '10.0.1.0/24');
  assert.is(chooseSubnet([{ cidr: '10.0.0.1/32', what: 'route local 10.0.0.1' }]).subnet, '10.0.1.0/24');
  assert.is(chooseSubnet([route('10.0.0.0/23'), route('10.0.2.5/32')]).subnet, '10.0.3.0/24');
});

test('10/8 full: on to 172.16.0.0/12, then 192.168.0.0/16', () => {
  assert.is(chooseSubnet([route('10.0.0.0/8')]).subnet, '172.16.0.0/24');
  const c = chooseSubnet([route('10.0.0.0/8'), route('172.16.0.0/12')]);
  assert.is(c.subnet, '192.168.0.0/24');
  assert.is(c.range, '192.168.0.0/16');
});

test('a seed that starts late wraps around to the free blocks before it', () => {
  // two /24 blocks; whichever the seed starts at, a taken one is passed over for the other
  for (const seed of ['p', 'q', 'r', 's', 't']) {
    const first = chooseSubnet([], { ranges: ['172.30.0.0/23'], seed }).subnet;
    const other = first === '172.30.0.0/24' ? '172.30.1.0/24' : '172.30.0.0/24';
    assert.is(chooseSubnet([route(first)], { ranges: ['172.30.0.0/23'], seed }).subnet, other);
  }
});

test('no free subnet: the error names the ranges, what occupies them and how to choose by hand', () => {
  const taken = [route('10.0.0.0/8'), route('172.16.0.0/12'), route('192.168.0.0/16')];
  try {
    chooseSubnet(taken, { hint: '--subnet <cidr> or TRIAD_REFERENCE_SUBNET' });
    assert.unreachable('should throw');
  } catch (err) {
    const m = (err as Error).message;
    assert.match(m, /no free \/24 subnet in 10\.0\.0\.0\/8, 172\.16\.0\.0\/12, 192\.168\.0\.0\/16/);
    assert.match(m, /route 10\.0\.0\.0\/8 dev eth0/);
    assert.match(m, /route 192\.168\.0\.0\/16 dev eth0/);
    assert.match(m, /--subnet <cidr> or TRIAD_REFERENCE_SUBNET/);
  }
  assert.throws(
    () => chooseSubnet([route('172.30.0.0/24')], { ranges: ['172.30.0.0/24'], seed: 'z' }),
    /no free \/24 subnet in 172\.30\.0\.0\/24: every one overlaps route 172\.30\.0\.0\/24/,
  );
});

test('bad input names the field', () => {
  assert.throws(() => chooseSubnet([{ cidr: 'nonsense', what: 'x' }]), /host network: nonsense is not a CIDR/);
  assert.throws(() => chooseSubnet([], { ranges: ['fd00::/8'] }), /range: fd00::\/8 is not IPv4/);
  assert.throws(() => chooseSubnet([], { ranges: ['172.30.0.0/26'] }), /smaller than a \/24/);
  assert.throws(() => chooseSubnet([], { prefix: 31 }), /\/8 to \/29/);
});

test('subnetConflicts: which host networks overlap a subnet chosen by hand', () => {
  const taken = [route('10.99.0.0/16', 'busy0'), route('192.168.1.0/24')];
  assert.equal(subnetConflicts('10.99.3.0/24', taken), ['route 10.99.0.0/16 dev busy0']);
  assert.equal(subnetConflicts('10.98.0.0/24', taken), []);
  assert.equal(subnetConflicts('10.98.0.0/24', taken, AVOIDED_RANGES), ["10.96.0.0/12 (Kubernetes' default service range)"]);
});

test('parseSubnetRequest: auto, an exact subnet, a block to choose from; bad values named', () => {
  assert.equal(parseSubnetRequest(undefined), { kind: 'auto' });
  assert.equal(parseSubnetRequest(''), { kind: 'auto' });
  assert.equal(parseSubnetRequest('auto'), { kind: 'auto' });
  assert.equal(parseSubnetRequest('172.30.7.0/24'), { kind: 'exact', subnet: '172.30.7.0/24' });
  assert.equal(parseSubnetRequest('172.30.7.8/29'), { kind: 'exact', subnet: '172.30.7.8/29' });
  assert.equal(parseSubnetRequest('172.30.0.0/16'), { kind: 'range', range: '172.30.0.0/16' });
  assert.throws(
    () => parseSubnetRequest('172.30.7.1/24', 'TRIAD_REFERENCE_SUBNET'),
    /TRIAD_REFERENCE_SUBNET: 172\.30\.7\.1\/24 has host bits set \(the network is 172\.30\.7\.0\/24\)/,
  );
  assert.throws(() => parseSubnetRequest('banana'), /--subnet: banana is not an IPv4 CIDR/);
  assert.throws(() => parseSubnetRequest('172.30.7.0/30'), /too small/);
  assert.throws(() => parseSubnetRequest('fd00::/64'), /not an IPv4 CIDR/);
});

test.run();
