// `runtime: { type: containerd }` without an endpoint (a private containerd): what the config
// and startNode refuse before anything is started, each error naming its field. No root, no
// containerd needed (the real thing is test/reference/harness-private.serial.test.ts).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, isPrivateContainerd, parseConfig, type TriadConfig } from '../../harness/config/config.js';
import { startNode } from '../../harness/node.js';
import { checkPrivateContainerd, privateContainerdDir } from '../../harness/private-containerd.js';

const t = suite('private containerd: config and start-up checks');

const IMAGES = { sandboxImage: '127.0.0.1:5000/pause:3.9', registry: '127.0.0.1:5000' };

function parseError(raw: unknown): ConfigError {
  try {
    parseConfig(raw, '/etc/triad.yaml');
  } catch (err) {
    assert.instance(err, ConfigError);
    return err as ConfigError;
  }
  throw new Error('parseConfig accepted the config');
}

t('missing sandboxImage: a ConfigError naming runtime.containerd.sandboxImage and how to get one', () => {
  const e = parseError({ runtime: { type: 'containerd' } });
  assert.match(e.message, /^\/etc\/triad\.yaml: runtime\.containerd\.sandboxImage: required for a private containerd/);
  assert.match(e.message, /triad reference up/);
  assert.match(e.message, /stack\.json/);
  assert.match(e.message, /images\.pause/);
});

t('missing registry: names runtime.containerd.registry; a URL is not a host:port', () => {
  assert.match(
    parseError({ runtime: { type: 'containerd', containerd: { sandboxImage: IMAGES.sandboxImage } } }).message,
    /runtime\.containerd\.registry: required for a private containerd.*registry\.host/,
  );
  assert.match(
    parseError({ runtime: { type: 'containerd', containerd: { ...IMAGES, registry: 'http://127.0.0.1:5000' } } }).message,
    /runtime\.containerd\.registry: must be host\[:port\]/,
  );
});

t('network none and imageEndpoint are refused for a private containerd', () => {
  assert.match(
    parseError({ runtime: { type: 'containerd', containerd: IMAGES }, network: { type: 'none' } }).message,
    /network\.type: none does not work with a private containerd.*use network\.type memory/,
  );
  assert.match(parseError({ runtime: { type: 'containerd', imageEndpoint: 'unix:///x.sock', containerd: IMAGES } }).message, /runtime\.imageEndpoint: /);
});

t('with an endpoint: sandboxImage/registry are informational, binary/root refused', () => {
  const cfg = parseConfig({ runtime: { type: 'containerd', endpoint: 'unix:///run/c.sock', containerd: IMAGES } }, '(test)');
  assert.not.ok(isPrivateContainerd(cfg.runtime));
  assert.match(
    parseError({ runtime: { type: 'containerd', endpoint: 'unix:///run/c.sock', containerd: { root: '/x' } } }).message,
    /runtime\.containerd\.root: only for a private containerd/,
  );
});

t('a valid private config: its dir is <stateDir>/containerd, or root relative to the file', () => {
  const cfg = parseConfig(
    { runtime: { type: 'containerd', containerd: IMAGES }, network: { type: 'memory' }, kubelet: { stateDir: '/var/tmp/n1' } },
    '/etc/triad/triad.yaml',
  );
  assert.ok(isPrivateContainerd(cfg.runtime));
  assert.is(privateContainerdDir(cfg), '/var/tmp/n1/containerd');
  const rooted = parseConfig({ runtime: { type: 'containerd', containerd: { ...IMAGES, root: 'cd' } } }, '/etc/triad/triad.yaml');
  assert.is(privateContainerdDir(rooted), '/etc/triad/cd');
});

const valid = (extra: Partial<TriadConfig['runtime']['containerd']> = {}, stateDir = '/var/tmp/n1') =>
  parseConfig({ runtime: { type: 'containerd', containerd: { ...IMAGES, ...extra } }, network: { type: 'memory' }, kubelet: { stateDir } }, '/etc/triad.yaml');
const found = (bin: string) => (bin.includes('/') ? bin : `/usr/bin/${bin}`);

t('not root: a clear error before anything starts', () => {
  assert.throws(() => checkPrivateContainerd(valid(), { uid: 1000, which: found }), /needs root.*uid 1000.*runtime\.endpoint.*runtime\.type memory/);
  assert.equal(checkPrivateContainerd(valid(), { uid: 0, which: found }), { binary: '/usr/bin/containerd', dir: '/var/tmp/n1/containerd' });
});

t('binaries and the socket path are checked up front', () => {
  assert.throws(() => checkPrivateContainerd(valid(), { uid: 0, which: () => undefined }), /containerd not found on PATH.*runtime\.containerd\.binary/);
  assert.throws(
    () => checkPrivateContainerd(valid({ binary: '/opt/none/containerd' }), { uid: 0, which: () => undefined }),
    /runtime\.containerd\.binary: \/opt\/none\/containerd not found/,
  );
  assert.throws(() => checkPrivateContainerd(valid(), { uid: 0, which: (b) => (b === 'runc' ? undefined : found(b)) }), /runc not found/);
  assert.throws(
    () => checkPrivateContainerd(valid({}, `/tmp/${'x'.repeat(90)}`), { uid: 0, which: found }),
    /runtime\.containerd\.root: the socket path .* is too long/,
  );
});

t('startNode with a config built in code (no parseConfig): the same error, and nothing is created', async () => {
  const base = mkdtempSync(join(tmpdir(), 'triad-private-cfg-'));
  try {
    const cfg = parseConfig({ kubelet: { stateDir: join(base, 'state') } }, '(code)');
    cfg.runtime = { ...cfg.runtime, type: 'containerd', containerd: { registry: IMAGES.registry } };
    let err: Error | undefined;
    await startNode(cfg).catch((e: Error) => {
      err = e;
    });
    assert.ok(err, 'startNode refused');
    assert.match(err!.message, /^\(code\): runtime\.containerd\.sandboxImage: required for a private containerd/);
    assert.not.ok(existsSync(join(base, 'state')), 'no state dir created');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

t.run();
