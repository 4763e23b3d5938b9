// Loading manifests: YAML and JSON, multi-document files, JSON streams, `kind: List`, directories,
// syntax errors with file and line, kinds and apiVersions, duplicates, and the example pods.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pod } from '../../harness/api/types.js';
import { loadManifests, ManifestError, parseManifests, sourceOf, validateManifest } from '../../harness/manifest/index.js';

const test = suite('manifest load');

const POD = (name: string, image = 'busybox') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
    - name: app
      image: ${image}
`;
const PVC = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`;

function thrown(fn: () => unknown): ManifestError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, ManifestError);
    return e as ManifestError;
  }
  throw new Error('expected a ManifestError');
}

let dir = '';
test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'triad-manifest-'));
});
test.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('multi-document YAML: Pods and a claim, empty documents and comments ignored', () => {
  const text = `---\n# leading comment\n${POD('a')}---\n---\n# only a comment\n---\n${PVC}---\n${POD('b')}\n---\n`;
  const ms = parseManifests(text, 'multi.yaml');
  assert.equal(
    ms.map((m) => `${m.kind}/${m.metadata.name}`),
    ['Pod/a', 'PersistentVolumeClaim/data', 'Pod/b'],
  );
  assert.is(sourceOf(ms[0]), 'multi.yaml');
});

test('an empty file or a comment-only file has no objects', () => {
  assert.equal(parseManifests('', 'e.yaml'), []);
  assert.equal(parseManifests('# nothing\n---\n', 'e.yaml'), []);
});

test('JSON: one object, and a stream of concatenated objects', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'j' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
  const [m] = parseManifests(JSON.stringify(pod, null, 2), 'pod.json') as Pod[];
  assert.is(m.metadata.name, 'j');
  assert.is(m.spec.containers[0].imagePullPolicy, 'Always');
  const two = `${JSON.stringify(pod)}\n${JSON.stringify({ ...pod, metadata: { name: 'k' } })}\n`;
  assert.equal(
    parseManifests(two, 'two.json').map((x) => x.metadata.name),
    ['j', 'k'],
  );
  // a JSON file indented with tabs (not valid YAML indentation) still loads
  assert.is(parseManifests(JSON.stringify(pod, null, '\t'), 'tabs.json').length, 1);
});

test('kind: List with items (YAML and JSON)', () => {
  const list = `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: one}
    spec: {containers: [{name: c, image: busybox}]}
  - apiVersion: v1
    kind: PersistentVolumeClaim
    metadata: {name: claim}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`;
  assert.equal(
    parseManifests(list, 'list.yaml').map((m) => m.metadata.name),
    ['one', 'claim'],
  );
  const json = JSON.stringify({
    apiVersion: 'v1',
    kind: 'PodList',
    items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }],
  });
  assert.equal(
    parseManifests(json, 'list.json').map((m) => m.metadata.name),
    ['x'],
  );
  const bad = thrown(() =>
    parseManifests(`apiVersion: v1\nkind: List\nitems:\n  - apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: d}\n`, 'l.yaml'),
  );
  assert.is(
    bad.message,
    'l.yaml (document 1, items[0]): unsupported kind "Deployment" (apiVersion "apps/v1"): triad runs v1 Pod and PersistentVolumeClaim objects only',
  );
});

test('YAML syntax errors name the file and line', () => {
  const e = thrown(() => parseManifests(`${POD('a')}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n   labels: x\n`, 'bad.yaml'));
  assert.is(e.source, 'bad.yaml');
  assert.ok(e.errors[0].line! >= 13 && e.errors[0].line! <= 14, `line ${e.errors[0].line}`);
  assert.match(e.message, /^bad\.yaml:1[34]:\d+: YAML syntax error: /);
  const flow = thrown(() => parseManifests('apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n', 'flow.yaml'));
  assert.match(flow.message, /^flow\.yaml:\d+:\d+: YAML syntax error: /);
  const tabs = thrown(() => parseManifests('apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n', 'tabs.yaml'));
  assert.is(tabs.errors[0].line, 4);
  const dup = thrown(() => parseManifests('apiVersion: v1\nkind: Pod\nkind: Pod\n', 'dup.yaml'));
  assert.match(dup.message, /^dup\.yaml:3:1: YAML syntax error: Map keys must be unique/);
});

test('JSON syntax errors name the file and line', () => {
  const e = thrown(() => parseManifests('{\n  "apiVersion": "v1",\n  "kind": "Pod",\n}\n', 'bad.json'));
  assert.is(e.errors[0].line, 4);
  assert.match(e.message, /^bad\.json:4:1: JSON syntax error: /);
});

test('every document must be v1 Pod or PersistentVolumeClaim: errors name file, document and kind', () => {
  const text = `${POD('a')}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n`;
  const e = thrown(() => parseManifests(text, 'mixed.yaml'));
  assert.equal(
    e.errors.map((x) => x.message),
    [
      'unsupported kind "Deployment" (apiVersion "apps/v1"): triad runs v1 Pod and PersistentVolumeClaim objects only',
      'unsupported kind "Service" (apiVersion "v1"): triad runs v1 Pod and PersistentVolumeClaim objects only',
    ],
  );
  assert.is(
    e.message,
    [
      'mixed.yaml (document 2): unsupported kind "Deployment" (apiVersion "apps/v1"): triad runs v1 Pod and PersistentVolumeClaim objects only',
      'mixed.yaml (document 3): unsupported kind "Service" (apiVersion "v1"): triad runs v1 Pod and PersistentVolumeClaim objects only',
    ].join('\n'),
  );
  const single = thrown(() => parseManifests('apiVersion: batch/v1\nkind: Job\n', 'job.yaml'));
  assert.is(single.message, 'job.yaml (document 1): unsupported kind "Job" (apiVersion "batch/v1"): triad runs v1 Pod and PersistentVolumeClaim objects only');
  const wrongVersion = thrown(() => parseManifests('apiVersion: v2\nkind: Pod\nmetadata: {name: x}\n', 'v.yaml'));
  assert.is(wrongVersion.message, 'v.yaml (document 1): no matches for kind "Pod" in version "v2"');
  const unset = thrown(() => parseManifests('metadata: {name: x}\n', 'u.yaml'));
  assert.is(unset.message, 'u.yaml (document 1): error validating data: [apiVersion not set, kind not set]');
  const scalar = thrown(() => parseManifests('just a string\n', 's.yaml'));
  assert.match(scalar.message, /^s\.yaml \(document 1\): expected an object/);
});

test('validation errors of every object are reported together, each object with its document', () => {
  const text = `${POD('Bad_Name')}---\n${POD('ok')}---\n${POD('x', '""')}`;
  const e = thrown(() => parseManifests(text, 'v.yaml'));
  assert.is(e.errors.length, 2);
  assert.is(e.errors[0].where, 'document 1');
  assert.is(e.errors[1].where, 'document 3');
  assert.ok(
    e.message.startsWith('v.yaml (document 1): The Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'),
    e.message,
  );
  assert.ok(e.message.includes('\nv.yaml (document 3): The Pod "x" is invalid: spec.containers[0].image: Required value'), e.message);
});

test('an object defined twice is an error', () => {
  const e = thrown(() => parseManifests(`${POD('a')}---\n${POD('a')}`, 'd.yaml'));
  assert.is(e.message, 'd.yaml: pods "a" already exists in namespace "default": defined twice (first in d.yaml)');
});

test('defaults are applied to loaded manifests', () => {
  const [p] = parseManifests(POD('a', 'busybox:1.36'), 'a.yaml') as Pod[];
  assert.is(p.metadata.namespace, 'default');
  assert.match(p.metadata.uid!, /^[0-9a-f-]{36}$/);
  assert.match(p.metadata.creationTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.is(p.spec.restartPolicy, 'Always');
  assert.is(p.spec.containers[0].imagePullPolicy, 'IfNotPresent');
});

test('YAML 1.1 as kubectl reads it: timestamps stay strings, yes/no are booleans (and rejected for strings)', () => {
  const [p] = parseManifests(POD('a').replace('  name: a\n', '  name: a\n  creationTimestamp: 2024-05-01T12:00:00Z\n'), 't.yaml') as Pod[];
  assert.is(p.metadata.creationTimestamp, '2024-05-01T12:00:00Z');
  const e = thrown(() => parseManifests(POD('a').replace('image: busybox', 'image: busybox\n      env: [{name: DEBUG, value: yes}]'), 'y.yaml'));
  assert.ok(
    e.message.includes(
      'spec.containers[0].env[0].value: Invalid value: true: must be a string (YAML reads unquoted yes/no/on/off/true/false as booleans: quote it)',
    ),
    e.message,
  );
});

test('loadManifests: files and directories in name order (*.yaml, *.yml, *.json only)', () => {
  const d = join(dir, 'pods');
  mkdirSync(d);
  writeFileSync(join(d, 'b.yaml'), POD('b'));
  writeFileSync(join(d, 'a.yml'), POD('a'));
  writeFileSync(
    join(d, 'c.json'),
    JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'c' }, spec: { containers: [{ name: 'x', image: 'busybox' }] } }),
  );
  writeFileSync(join(d, 'notes.txt'), 'not a manifest');
  writeFileSync(join(d, '.hidden.yaml'), 'garbage: [');
  const single = join(dir, 'single.yaml');
  writeFileSync(single, PVC);
  const ms = loadManifests([d, single]);
  assert.equal(
    ms.map((m) => m.metadata.name),
    ['a', 'b', 'c', 'data'],
  );
  assert.is(sourceOf(ms[1]), join(d, 'b.yaml'));
});

test('loadManifests: errors of several files together, each naming its file', () => {
  const d = join(dir, 'broken');
  mkdirSync(d);
  writeFileSync(join(d, '1.yaml'), POD('One'));
  writeFileSync(join(d, '2.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: [\n');
  writeFileSync(join(d, '3.yaml'), POD('one'));
  writeFileSync(join(d, '4.yaml'), POD('one'));
  const e = thrown(() => loadManifests([d]));
  const lines = e.message.split('\n');
  assert.ok(lines[0].startsWith(`${join(d, '1.yaml')}: The Pod "One" is invalid: metadata.name: Invalid value: "One"`), lines[0]);
  assert.ok(
    lines.some((l) => /^.*2\.yaml:\d+:\d+: YAML syntax error: /.test(l)),
    e.message,
  );
  assert.ok(lines.includes(`${join(d, '4.yaml')}: pods "one" already exists in namespace "default": defined twice (first in ${join(d, '3.yaml')})`), e.message);
  const missing = thrown(() => loadManifests([join(dir, 'nope.yaml')]));
  assert.is(missing.message, `the path "${join(dir, 'nope.yaml')}" does not exist`);
});

test('validateManifest on a loaded manifest names its file and returns warnings', () => {
  const [m] = parseManifests(POD('w').replace('spec:\n', 'spec:\n  nodeSelector: {disk: ssd}\n'), 'w.yaml');
  assert.equal(validateManifest(m).warnings, ['spec.nodeSelector: ignored: there is no scheduler: the pod runs on this node']);
  (m as Pod).spec.containers[0].name = 'Bad';
  const e = thrown(() => validateManifest(m));
  assert.is(e.source, 'w.yaml');
  assert.ok(e.message.startsWith('w.yaml: The Pod "w" is invalid: spec.containers[0].name: Invalid value: "Bad"'), e.message);
});

test('the example pods load, pass validation without warnings, and default', () => {
  const root = new URL('../../examples/pods/', import.meta.url).pathname;
  const files = ['init-containers.yaml', 'web.yaml', 'pvc.yaml', 'crashloop.yaml', 'missing-image.yaml', 'grpc.yaml'];
  const ms = loadManifests(files.map((f) => join(root, f)));
  for (const m of ms) assert.equal(validateManifest(m).warnings, [], `${m.kind} ${m.metadata.name}`);
  const byName = new Map(ms.map((m) => [m.metadata.name, m]));
  const init = byName.get('myapp-pod') as Pod;
  assert.equal(
    init.spec.initContainers!.map((c) => c.name),
    ['init-myservice', 'init-mydb'],
  );
  const web = byName.get('web') as Pod;
  assert.is(web.spec.initContainers![0].restartPolicy, 'Always');
  assert.equal(web.spec.containers[0].command, ['httpd', '-f', '-p', '8080', '-h', '/var/www']);
  assert.is(web.spec.containers[0].readinessProbe!.timeoutSeconds, 1);
  assert.ok(web.spec.containers[0].livenessProbe!.httpGet);
  const pvc = byName.get('shared-data')!;
  assert.is(pvc.kind, 'PersistentVolumeClaim');
  assert.is(pvc.kind === 'PersistentVolumeClaim' && pvc.spec.storageClassName, 'standard');
  assert.is((byName.get('pvc-demo') as Pod).spec.containers.length, 2);
  assert.is((byName.get('crashloop') as Pod).spec.restartPolicy, 'Always');
  assert.is((byName.get('missing-image') as Pod).spec.containers[0].image, 'busybox:does-not-exist');
  assert.is((byName.get('missing-image') as Pod).spec.containers[0].imagePullPolicy, 'IfNotPresent');
  const grpc = (byName.get('grpc') as Pod).spec.containers[0];
  assert.equal(grpc.livenessProbe!.grpc, { port: 50051, service: 'demo.Greeter' });
  assert.is(grpc.readinessProbe!.timeoutSeconds, 1);
  assert.equal(grpc.readinessProbe!.grpc, { port: 50051, service: '' }, 'service defaults to ""');
});

test.run();
