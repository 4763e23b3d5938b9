// The examples under the harness kubelet, configured the way their triad.yaml files say (with
// temporary sockets and directories): cri-minimal as the runtime, triad-static as the pod network
// (called by the in-memory runtime from a bin dir), csi-dir as the storage driver for a claim and
// an inline ephemeral volume.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../harness/config/config.js';
import { installStaticCni } from '../../examples/plugins/cni-static/install.js';
import { serveCriMinimal } from '../../examples/plugins/cri-minimal/runtime.js';
import { DEFAULT_NAME, serveCsiDir } from '../../examples/plugins/csi-dir/driver.js';
import { manifests, phase, testNode } from '../harness/helpers.js';
import { examplePath, exampleText, tmp } from './helpers.js';

const test = suite('examples under the harness kubelet');
const W = 20_000;

test('the example triad.yaml files are valid configs naming the example plugins', () => {
  const cri = loadConfig(examplePath('cri-minimal/triad.yaml'));
  assert.equal([cri.runtime.type, cri.runtime.endpoint, cri.network.type], ['endpoint', 'unix:///tmp/cri-minimal.sock', 'none']);
  const cni = loadConfig(examplePath('cni-static/triad.yaml'));
  assert.equal([cni.runtime.type, cni.network.type, cni.network.config], ['memory', 'cni', examplePath('cni-static/example.conflist')]);
  const csi = loadConfig(examplePath('csi-dir/triad.yaml'));
  assert.equal(
    csi.storage.drivers.map((d) => [d.name, d.type]),
    [[DEFAULT_NAME, 'endpoint']],
  );
  assert.equal(
    csi.storage.classes.map((c) => [c.name, c.driver, c.default]),
    [['dir', DEFAULT_NAME, true]],
  );
});

test('cri-minimal runs examples/plugins/cri-minimal/pod.yaml: init container done, app running, its log readable', async () => {
  const t = tmp('triad-ex-h-cri-');
  const cri = await serveCriMinimal(join(t.dir, 'cri.sock'));
  const node = await testNode({ runtime: { type: 'endpoint', endpoint: cri.endpoint.display }, network: { type: 'none' } });
  try {
    const k = node.kubelet;
    await k.apply(manifests(exampleText('cri-minimal/pod.yaml')));
    const p = await k.waitFor('default', 'hello-minimal', (x) => phase(x) === 'Running' && !!x.status?.containerStatuses?.[0]?.ready, W);
    assert.is(p.status?.initContainerStatuses?.[0].state.terminated?.exitCode, 0);
    assert.match(await k.logs('default', 'hello-minimal', { container: 'init' }), /preparing[\s\S]*ready/);
    assert.match(await k.logs('default', 'hello-minimal', { container: 'app' }), /hello from cri-minimal/);
    await k.delete('default', 'hello-minimal', 1);
  } finally {
    await node.cleanup();
    await cri.close();
    t.cleanup();
  }
});

test('triad-static gives the pods of the in-memory runtime their addresses, and gets them back', async () => {
  const t = tmp('triad-ex-h-cni-');
  const bin = join(t.dir, 'bin');
  installStaticCni(bin);
  const list = JSON.parse(exampleText('cni-static/example.conflist'));
  list.plugins[0].dataDir = join(t.dir, 'state');
  writeFileSync(join(t.dir, 'net.conflist'), JSON.stringify(list));
  const node = await testNode({ network: { type: 'cni', config: join(t.dir, 'net.conflist'), binDirs: [bin] } });
  try {
    const k = node.kubelet;
    await k.apply(
      manifests(`
apiVersion: v1
kind: Pod
metadata: { name: net }
spec:
  containers: [{ name: c, image: busybox, command: [sleep, '3600'] }]
`),
    );
    const p = await k.waitFor('default', 'net', (x) => phase(x) === 'Running', W);
    assert.is(p.status?.podIP, '10.22.0.10', 'the first address of the list');
    assert.equal(readdirSync(join(t.dir, 'state', list.name)), ['10.22.0.10']);
    await k.delete('default', 'net', 0);
    assert.equal(readdirSync(join(t.dir, 'state', list.name)), [], 'DEL freed the address');
  } finally {
    await node.cleanup();
    t.cleanup();
  }
});

test('csi-dir serves examples/plugins/csi-dir/pod.yaml: a claim and an inline ephemeral volume, both undone', async () => {
  const t = tmp('triad-ex-h-csi-');
  const root = join(t.dir, 'root');
  const csi = await serveCsiDir(join(t.dir, 'csi.sock'), { root });
  const cfg = parseYaml(exampleText('csi-dir/triad.yaml'));
  cfg.storage.drivers[0].endpoint = csi.endpoint.display;
  const node = await testNode({ storage: cfg.storage });
  try {
    const k = node.kubelet;
    await k.apply(manifests(exampleText('csi-dir/pod.yaml')));
    assert.is(k.claims()[0].status?.phase, 'Bound');
    await k.waitFor('default', 'dir-demo', (x) => phase(x) === 'Running', W);
    for (let i = 0; i < 100 && !(await k.logs('default', 'dir-demo')).includes('hello'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(await k.logs('default', 'dir-demo'), /hello/, 'the pod wrote to the ephemeral volume and copied it to the claim');
    const volumes = readdirSync(join(root, 'volumes'));
    assert.is(volumes.length, 2, 'the claim and the ephemeral volume');
    const claimVol = volumes.find((v) => v.startsWith('vol-'))!;
    assert.is(readFileSync(join(root, 'volumes', claimVol, 'data', 'log.txt'), 'utf8'), 'hello\n');
    await k.delete('default', 'dir-demo', 0);
    assert.equal(readdirSync(join(root, 'volumes')), [claimVol], 'the ephemeral volume went with the pod; the claim stays');
    await k.deleteClaim('default', 'notes');
    assert.not.ok(existsSync(join(root, 'volumes', claimVol)), 'DeleteVolume when the claim is deleted');
  } finally {
    await node.cleanup();
    await csi.close();
    t.cleanup();
  }
});

test.run();
