// The reference stack's pure parts, no root needed: deterministic OCI layouts (checked by GNU tar
// and umoci when present), the bridge conflist, the containerd config.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import tmp from 'tmp';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseConfList } from '../../interfaces/cni/index.js';
import { bridgeConfList, gatewayOf } from '../../plugins/bridge/index.js';
import { containerdConfig, hostsToml } from '../../plugins/containerd/index.js';
import { busyboxSpec, pauseSpec, readLayout, tar, writeImageLayout } from '../../plugins/images/index.js';
import { run, which } from '../../plugins/reference/proc.js';

const t = suite('reference stack: images, conflist, containerd config');
const dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'triad-images-' });
const haveBusybox = existsSync('/bin/busybox');
const it = haveBusybox || process.env.CI === 'true' ? t : (name: string, fn: () => unknown) => t.skip(`${name} [skipped: no /bin/busybox]`, fn as never);

t.after(() => dir.removeCallback());

it('tar: GNU tar reads our ustar (owners, modes, symlinks, mtime 0)', async () => {
  const archive = tar([
    { type: 'dir', path: 'home/triad', uid: 1000, gid: 1000 },
    { type: 'dir', path: 'home' },
    { type: 'file', path: 'etc/motd', data: Buffer.from('hi\n'), mode: 0o600 },
    { type: 'dir', path: 'etc' },
    { type: 'symlink', path: 'bin/sh', target: '/bin/busybox' },
    { type: 'dir', path: 'bin' },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
  ]);
  const f = join(dir.name, 'x.tar');
  writeFileSync(f, archive);
  const listing = await run('tar', ['--numeric-owner', '-tvf', f], { env: { TZ: 'UTC' } });
  const lines = listing.trim().split('\n');
  assert.equal(
    lines.map((l) => l.split(/\s+/).slice(5).join(' ')),
    ['bin/', 'bin/sh -> /bin/busybox', 'etc/', 'etc/motd', 'home/', 'home/triad/', 'tmp/'],
    'parents first, sorted',
  );
  assert.match(listing, /drwxr-xr-x 1000\/1000 +0 1970-01-01 00:00 home\/triad\//);
  assert.match(listing, /drwxrwxrwt 0\/0 .* tmp\//);
  assert.match(listing, /-rw------- 0\/0 +3 1970-01-01 00:00 etc\/motd/);
  assert.throws(
    () =>
      tar([
        { type: 'dir', path: 'a' },
        { type: 'dir', path: 'a/' },
      ]),
    /duplicate/,
  );
});

it('busybox image: every applet linked, passwd/group with triad 1000, CMD sh; deterministic digest', async () => {
  const spec = await busyboxSpec();
  const a = writeImageLayout(join(dir.name, 'a', 'busybox'), spec);
  const b = writeImageLayout(join(dir.name, 'b', 'busybox'), await busyboxSpec());
  assert.is(a.manifestDigest, b.manifestDigest, 'same inputs, same digest');
  assert.not.ok(a.cached);
  const again = writeImageLayout(join(dir.name, 'a', 'busybox'), spec);
  assert.ok(again.cached, 'a complete layout is reused');
  assert.is(again.manifestDigest, a.manifestDigest);
  assert.equal(Object.keys(readLayout(a.dir)!.tags).sort(), ['1.36', 'latest']);

  const blob = (d: string) => readFileSync(join(a.dir, 'blobs', 'sha256', d.slice(7)));
  const config = JSON.parse(blob(a.configDigest).toString());
  assert.equal(config.config.Cmd, ['sh']);
  assert.is(config.rootfs.diff_ids[0], a.diffId);
  const layer = gunzipSync(blob(a.layerDigest));
  const f = join(dir.name, 'layer.tar');
  writeFileSync(f, layer);
  const names = new Set((await run('tar', ['-tf', f], { maxBuffer: 1e8 })).split('\n'));
  const applets = (await run('/bin/busybox', ['--list'])).trim().split('\n');
  const missing = applets.filter((x) => !names.has(`bin/${x}`));
  assert.equal(missing, [], 'every applet in /bin');
  for (const p of ['bin/busybox', 'etc/passwd', 'etc/group', 'tmp/', 'usr/bin/env', 'sbin/ip']) assert.ok(names.has(p), p);
  const passwd = (await run('tar', ['-xOf', f, 'etc/passwd'])).split('\n');
  assert.ok(passwd.includes('triad:x:1000:1000:triad:/home/triad:/bin/sh'));
  assert.ok(passwd[0].startsWith('root:x:0:0:'));
  if (which('umoci')) {
    const stat = JSON.parse(await run('umoci', ['stat', '--json', '--image', `${a.dir}:1.36`]));
    assert.ok(Array.isArray(stat.history), 'umoci reads the layout');
  }
});

it('pause image: only busybox, entrypoint sleeps forever', () => {
  const p = writeImageLayout(join(dir.name, 'pause'), pauseSpec());
  const cfg = JSON.parse(readFileSync(join(p.dir, 'blobs', 'sha256', p.configDigest.slice(7)), 'utf8'));
  assert.equal(cfg.config.Entrypoint, ['/bin/busybox', 'sleep', '2147483647']);
  assert.equal(readLayout(p.dir)!.tags, { '3.9': p.manifestDigest });
});

t('bridge conflist: isGateway, no masquerade, no routes, host-local with a private dataDir, portmap without SNAT', () => {
  const o = bridgeConfList({ name: 'triad-x', bridge: 'triadx', subnet: '10.99.7.0/24', dataDir: '/x/ipam' });
  const list = parseConfList(JSON.stringify(o), { kind: 'list' });
  assert.equal(
    list.plugins.map((p) => p.type),
    ['bridge', 'portmap'],
  );
  const br = list.plugins[0] as Record<string, any>;
  assert.is(br.isGateway, true);
  assert.is(br.ipMasq, false);
  assert.is(br.hairpinMode, true);
  assert.is(br.ipam.type, 'host-local');
  assert.is(br.ipam.dataDir, '/x/ipam');
  assert.is(br.ipam.routes, undefined);
  assert.equal(br.ipam.ranges, [[{ subnet: '10.99.7.0/24', gateway: '10.99.7.1', rangeStart: '10.99.7.2', rangeEnd: '10.99.7.254' }]]);
  assert.equal((list.plugins[1] as Record<string, any>).capabilities, { portMappings: true });
  assert.is((list.plugins[1] as Record<string, any>).snat, false);
  assert.equal(gatewayOf('10.99.7.0/24'), { ip: '10.99.7.1', cidr: '10.99.7.1/24', prefix: 24 });
  assert.throws(() => bridgeConfList({ name: 'n', bridge: 'a-very-long-bridge-name', subnet: '10.0.0.0/24', dataDir: '/d' }), /15/);
});

t('containerd config: private dirs and socket, restrict_oom_score_adj, local pause, overlayfs, private CNI, HTTP registry', () => {
  const toml = containerdConfig({
    dir: '/s/containerd',
    sandboxImage: '127.0.0.1:5000/pause:3.9',
    cniBinDir: '/s/cni/bin',
    cniConfDir: '/s/cni/net.d',
    insecureRegistries: ['127.0.0.1:5000'],
  });
  for (const line of [
    'version = 2',
    'root = "/s/containerd/root"',
    'state = "/s/containerd/state"',
    'address = "/s/containerd/containerd.sock"',
    'restrict_oom_score_adj = true',
    'sandbox_image = "127.0.0.1:5000/pause:3.9"',
    'snapshotter = "overlayfs"',
    'bin_dir = "/s/cni/bin"',
    'conf_dir = "/s/cni/net.d"',
    'config_path = "/s/containerd/certs.d"',
    'path = "/s/containerd/opt"',
    'Root = "/s/containerd/runc"',
    'netns_mounts_under_state_dir = true',
  ])
    assert.ok(toml.includes(line), line);
  assert.match(hostsToml('127.0.0.1:5000'), /server = "http:\/\/127\.0\.0\.1:5000"/);
});

t.run();
