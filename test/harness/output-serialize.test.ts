// `get pods -o json|yaml`: the Pod itself for one pod, a v1 List otherwise, sorted keys, the
// v1 PodStatus shape.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse as parseYaml } from 'yaml';
import type { Pod } from '../../harness/api/types.js';
import { podStatusV1, podsJson, podsYaml } from '../../harness/output/index.js';

function pod(name: string): Pod {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    spec: { restartPolicy: 'Always', containers: [{ name: 'app', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
    metadata: {
      uid: `uid-${name}`,
      namespace: 'default',
      name,
      labels: { z: '1', a: 'true' },
      creationTimestamp: '2024-05-01T12:00:00Z',
      annotations: undefined,
    },
    status: {
      qosClass: 'BestEffort',
      phase: 'Running',
      podIP: '10.88.0.5',
      podIPs: [{ ip: '10.88.0.5' }],
      conditions: [{ type: 'Ready', status: 'True' }],
      initContainerStatuses: [],
      containerStatuses: [
        {
          name: 'app',
          state: { running: { startedAt: '2024-05-01T12:00:01Z' } },
          lastState: {},
          ready: true,
          restartCount: 0,
          image: 'nginx:1.25',
          imageID: '',
        },
      ],
    },
  };
}

function keysSortedDeep(v: unknown, path = '$'): void {
  if (Array.isArray(v)) return v.forEach((x, i) => keysSortedDeep(x, `${path}[${i}]`));
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    assert.equal(keys, [...keys].sort(), `keys of ${path} sorted`);
    for (const k of keys) keysSortedDeep((v as Record<string, unknown>)[k], `${path}.${k}`);
  }
}

const s = suite('output: -o json / -o yaml');

s('one pod prints the Pod object (kubectl get pod X -o json)', () => {
  const out = podsJson([pod('web')]);
  const doc = JSON.parse(out);
  assert.is(doc.kind, 'Pod');
  assert.is(doc.apiVersion, 'v1');
  assert.is(doc.metadata.name, 'web');
  assert.ok(out.endsWith('}\n'));
  assert.ok(out.startsWith('{\n    "apiVersion": "v1",\n    "kind": "Pod",\n    "metadata": {\n'), '4-space indent, sorted keys');
});

s('many pods (or list: true) print a v1 List with empty resourceVersion', () => {
  const doc = JSON.parse(podsJson([pod('a'), pod('b')]));
  assert.equal(Object.keys(doc), ['apiVersion', 'items', 'kind', 'metadata']);
  assert.is(doc.kind, 'List');
  assert.equal(doc.metadata, { resourceVersion: '' });
  assert.equal(
    doc.items.map((p: Pod) => p.metadata.name),
    ['a', 'b'],
  );
  assert.is(JSON.parse(podsJson([pod('a')], { list: true })).kind, 'List');
  assert.equal(JSON.parse(podsJson([])).items, []);
});

s('stable order: every object has its keys sorted, undefined dropped', () => {
  const doc = JSON.parse(podsJson([pod('a'), pod('b')]));
  keysSortedDeep(doc);
  assert.not.ok('annotations' in doc.items[0].metadata);
  assert.is(podsJson([pod('a')]), podsJson([pod('a')]));
});

s('status in the v1 PodStatus shape', () => {
  const p = pod('a');
  const st = JSON.parse(podsJson([p])).status;
  assert.is(st.phase, 'Running');
  assert.is(st.qosClass, 'BestEffort');
  assert.not.ok('initContainerStatuses' in st, 'empty lists omitted like the API omits them');
  assert.equal(st.containerStatuses[0].lastState, {}, 'lastState present even when empty');
  assert.equal(Object.keys(st.containerStatuses[0]), ['image', 'imageID', 'lastState', 'name', 'ready', 'restartCount', 'state']);
  const bare = pod('b');
  delete bare.status;
  const v1 = podStatusV1(bare);
  assert.equal(v1, { phase: 'Pending', qosClass: 'BestEffort' });
});

s('yaml: same document, kubectl list style, strings that look like other types quoted', () => {
  const pods = [pod('a'), pod('b')];
  const y = podsYaml(pods);
  assert.equal(parseYaml(y), JSON.parse(podsJson(pods)));
  assert.ok(y.startsWith('apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n'), y.slice(0, 80));
  assert.match(y, /\n    containers:\n    - image: nginx:1\.25\n/);
  assert.match(y, /creationTimestamp: "2024-05-01T12:00:00Z"/);
  assert.match(y, /a: "true"/);
  assert.match(y, /resourceVersion: ""/);
  const one = podsYaml([pod('a')]);
  assert.ok(one.startsWith('apiVersion: v1\nkind: Pod\nmetadata:\n'));
});

s.run();
