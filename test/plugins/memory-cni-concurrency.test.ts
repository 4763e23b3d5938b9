// 50 ADDs at once, each a separate plugin process, must get 50 distinct addresses.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CniConfig, parseConfList } from '../../interfaces/cni/index.js';
import { installCniBinary, MEMORY_CNI_TYPE } from '../../plugins/memory-cni/index.js';
import { tmpDir, type TmpDir } from '../fixtures/cni/helpers.js';

const test = suite('memory-cni-concurrency');
let t: TmpDir;
test.before(() => {
  t = tmpDir('triad-memcni-conc-');
});
test.after(() => t.cleanup());

test('50 concurrent ADDs in 50 processes yield 50 distinct IPs', async () => {
  const bin = join(t.dir, 'bin');
  installCniBinary(bin, MEMORY_CNI_TYPE);
  const dataDir = join(t.dir, 'data');
  const list = parseConfList(JSON.stringify({ cniVersion: '1.1.0', name: 'conc', plugins: [{ type: MEMORY_CNI_TYPE, subnet: '10.66.0.0/24', dataDir }] }));
  const cni = new CniConfig({ path: [bin], cacheDir: join(t.dir, 'cache'), timeoutMs: 180_000 });
  const ids = Array.from({ length: 50 }, (_, i) => `pod-${i}`);
  const results = await Promise.all(ids.map((id) => cni.addNetworkList(list, { containerID: id, ifName: 'eth0', netns: `/run/netns/${id}` })));
  const addrs = results.map((r) => r.ips![0].address);
  assert.is(new Set(addrs).size, 50, `duplicates in ${addrs.join(' ')}`);
  const files = readdirSync(join(dataDir, 'conc')).filter((f) => /^\d/.test(f));
  assert.is(files.length, 50);
  // Each file names the container whose result carries that address.
  for (const [i, r] of results.entries()) {
    const ip = r.ips![0].address.split('/')[0];
    assert.is(readFileSync(join(dataDir, 'conc', ip), 'utf8'), `${ids[i]}\neth0`);
  }
  assert.not.ok(
    readdirSync(join(dataDir, 'conc')).some((f) => f.startsWith('.tmp-')),
    'no temp files left behind',
  );
});

test.run();
