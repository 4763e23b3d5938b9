// `runtime: { type: memory, images: FILE }` in triad.yaml: the path resolves against the
// triad.yaml's folder; a missing or bad images file is a ConfigError naming runtime.images, the
// images file and the entry; a real runtime refuses it; a node built from it runs a pod of a
// custom image (user and supplementary group as the image declares them), and a gRPC server
// image whose pod a gRPC readiness probe finds Ready.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig, parseConfig } from '../../harness/config/config.js';
import { triadRoot } from '../../interfaces/util/root.js';
import { cstatus, manifests, phase, testNode } from './helpers.js';

const t = suite('config: runtime.images');
let dir: string;

t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'triad-config-images-'));
  mkdirSync(join(dir, 'conf'));
  copyFileSync(join(triadRoot(), 'examples/images.yaml'), join(dir, 'conf', 'images.yaml'));
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

function configError(text: string): string {
  const f = join(dir, 'conf', 'triad.yaml');
  writeFileSync(f, text);
  try {
    loadConfig(f);
  } catch (e) {
    assert.instance(e, ConfigError);
    return (e as Error).message;
  }
  throw new Error('loadConfig accepted the config');
}

t('a relative path resolves against the folder of triad.yaml', () => {
  const f = join(dir, 'conf', 'triad.yaml');
  writeFileSync(f, 'runtime: { type: memory, images: images.yaml }\n');
  assert.is(loadConfig(f).runtime.images, join(dir, 'conf', 'images.yaml'));
  assert.is(parseConfig({}, '(defaults)').runtime.images, undefined);
});

t('errors name runtime.images, the images file, the entry and the field', () => {
  const f = join(dir, 'conf', 'triad.yaml');
  const missing = configError('runtime: { type: memory, images: nope.yaml }\n');
  assert.ok(missing.startsWith(`${f}: runtime.images: ${join(dir, 'conf', 'nope.yaml')}: cannot read images file`), missing);
  writeFileSync(join(dir, 'conf', 'bad.yaml'), '- repository: example.com/a\n  tags: [1]\n  comand: [x]\n');
  assert.match(
    configError('runtime: { type: memory, images: bad.yaml }\n'),
    /runtime\.images: .*bad\.yaml: images\[0\] \(example\.com\/a\): comand: unknown field/,
  );
  writeFileSync(join(dir, 'conf', 'broken.yaml'), '- repository: [\n');
  assert.match(configError('runtime: { type: memory, images: broken.yaml }\n'), /runtime\.images: .*broken\.yaml: invalid YAML \(line/);
  assert.match(configError('runtime: { type: memory, images: "" }\n'), /runtime\.images: must be a non-empty string/);
  assert.match(
    configError('runtime: { type: endpoint, endpoint: unix:///x.sock, images: images.yaml }\n'),
    /runtime\.images: an images file is for the memory runtime \(runtime\.type is endpoint/,
  );
});

t('a node with an images file runs a pod of a custom image', async () => {
  const node = await testNode({ runtime: { type: 'memory', images: join(dir, 'conf', 'images.yaml') } });
  try {
    await node.kubelet.apply(
      manifests(`
apiVersion: v1
kind: Pod
metadata: { name: custom }
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: registry.example.com/team/app:v1.2.0
    args: ['id; cat /srv/app/config.yaml']
`),
    );
    const p = await node.kubelet.waitFor('default', 'custom', (x) => phase(x) === 'Succeeded' || phase(x) === 'Failed', 15_000);
    assert.is(phase(p), 'Succeeded', JSON.stringify(p.status));
    assert.match(cstatus(p, 'app').imageID, /sha256:[a-f0-9]{64}/);
    const logs = await node.kubelet.logs('default', 'custom', { container: 'app' });
    assert.match(logs, /uid=1000\(app\) gid=1000\(app\) groups=1000\(app\),50000\(shared\)/);
    assert.match(logs, /mode: production/);
    // a server image whose binary is the grpc-health program answers gRPC probes
    await node.kubelet.apply(
      manifests(`
apiVersion: v1
kind: Pod
metadata: { name: greeter }
spec:
  containers:
  - name: server
    image: registry.example.com/demo/greeter:1.0
    readinessProbe: { grpc: { port: 50051, service: demo.Greeter }, periodSeconds: 5 }
`),
    );
    const g = await node.kubelet.waitFor('default', 'greeter', (x) => cstatus(x, 'server')?.ready === true, 15_000);
    assert.is(phase(g), 'Running');
    await node.kubelet.delete('default', 'greeter', 0);
  } finally {
    await node.cleanup();
  }
});

t.run();
