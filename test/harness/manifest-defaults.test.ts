// Defaulting as the API server does it on create.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { PersistentVolumeClaim, Pod } from '../../harness/api/types.js';
import { applyDefaults, defaultPullPolicy, parseManifests } from '../../harness/manifest/index.js';

const test = suite('manifest defaults');

const pod = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}): Pod =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...meta }, spec }) as unknown as Pod;

test('metadata: namespace default, a uid, creationTimestamp now (RFC 3339 seconds)', () => {
  const before = Date.now() - 1000;
  const p = applyDefaults(pod({ containers: [{ name: 'a', image: 'busybox' }] }));
  assert.is(p.metadata.namespace, 'default');
  assert.match(p.metadata.uid!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(p.metadata.creationTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(Date.parse(p.metadata.creationTimestamp!) >= before && Date.parse(p.metadata.creationTimestamp!) <= Date.now());
  const q = applyDefaults(pod({ containers: [] }, { namespace: 'team', uid: 'u-1', creationTimestamp: '2024-01-01T00:00:00Z' }));
  assert.equal([q.metadata.namespace, q.metadata.uid, q.metadata.creationTimestamp], ['team', 'u-1', '2024-01-01T00:00:00Z']);
  const r = applyDefaults(pod({ containers: [] }));
  assert.is.not(r.metadata.uid, p.metadata.uid);
});

test('pod spec: restartPolicy Always, dnsPolicy ClusterFirst, terminationGracePeriodSeconds 30; set values kept', () => {
  const p = applyDefaults(pod({ containers: [{ name: 'a', image: 'busybox' }] }));
  assert.is(p.spec.restartPolicy, 'Always');
  assert.is(p.spec.dnsPolicy, 'ClusterFirst');
  assert.is(p.spec.terminationGracePeriodSeconds, 30);
  const q = applyDefaults(pod({ containers: [], restartPolicy: 'Never', dnsPolicy: 'Default', terminationGracePeriodSeconds: 0 }));
  assert.equal([q.spec.restartPolicy, q.spec.dnsPolicy, q.spec.terminationGracePeriodSeconds], ['Never', 'Default', 0]);
});

test('imagePullPolicy: Always for :latest or no tag, IfNotPresent otherwise (digests included)', () => {
  const cases: [string, string][] = [
    ['busybox', 'Always'],
    ['busybox:latest', 'Always'],
    ['docker.io/library/busybox', 'Always'],
    ['localhost:5000/app', 'Always'],
    ['localhost:5000/app:latest', 'Always'],
    ['busybox:1.36', 'IfNotPresent'],
    ['localhost:5000/app:v2', 'IfNotPresent'],
    ['busybox@sha256:' + 'a'.repeat(64), 'IfNotPresent'],
    ['busybox:1.36@sha256:' + 'a'.repeat(64), 'IfNotPresent'],
  ];
  for (const [image, want] of cases) assert.is(defaultPullPolicy(image), want, image);
  const p = applyDefaults(
    pod({
      initContainers: [{ name: 'i', image: 'busybox:1.0' }],
      containers: [
        { name: 'a', image: 'busybox' },
        { name: 'b', image: 'busybox', imagePullPolicy: 'Never' },
      ],
    }),
  );
  assert.equal(
    [p.spec.initContainers![0].imagePullPolicy, p.spec.containers[0].imagePullPolicy, p.spec.containers[1].imagePullPolicy],
    ['IfNotPresent', 'Always', 'Never'],
  );
  assert.is(p.spec.containers[0].terminationMessagePath, '/dev/termination-log');
});

test('container ports: protocol TCP; on the host network the host port is the container port', () => {
  const p = applyDefaults(pod({ containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }] }] }));
  assert.equal(p.spec.containers[0].ports, [
    { containerPort: 80, protocol: 'TCP' },
    { containerPort: 53, protocol: 'UDP' },
  ]);
  const h = applyDefaults(
    pod({ hostNetwork: true, containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 8080 }, { containerPort: 9090, hostPort: 9091 }] }] }),
  );
  assert.equal(
    h.spec.containers[0].ports!.map((x) => x.hostPort),
    [8080, 9091],
  );
});

test('probes: periodSeconds 10, timeoutSeconds 1, successThreshold 1, failureThreshold 3, initialDelaySeconds 0; httpGet path / scheme HTTP', () => {
  const p = applyDefaults(
    pod({
      containers: [
        {
          name: 'a',
          image: 'x',
          livenessProbe: { httpGet: { port: 8080 } },
          readinessProbe: { exec: { command: ['true'] }, periodSeconds: 3, failureThreshold: 0 },
          startupProbe: { tcpSocket: { port: 80 }, initialDelaySeconds: 5 },
          lifecycle: { preStop: { httpGet: { port: 80, path: '/quit' } } },
        },
      ],
    }),
  );
  const c = p.spec.containers[0];
  assert.equal(c.livenessProbe, {
    httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
    initialDelaySeconds: 0,
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
  // zero means unset for the int32 timings, as in SetDefaults_Probe
  assert.equal(c.readinessProbe, {
    exec: { command: ['true'] },
    initialDelaySeconds: 0,
    timeoutSeconds: 1,
    periodSeconds: 3,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.is(c.startupProbe!.initialDelaySeconds, 5);
  assert.equal(c.lifecycle!.preStop!.httpGet, { port: 80, path: '/quit', scheme: 'HTTP' });
});

test('resources: requests default to limits; quantities stored in canonical form', () => {
  const p = applyDefaults(
    pod({
      containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: 0.5, memory: '1024Mi' }, requests: { memory: '512Mi' } } }],
    }),
  );
  assert.equal(p.spec.containers[0].resources, { limits: { cpu: '500m', memory: '1Gi' }, requests: { memory: '512Mi', cpu: '500m' } });
  // an unparseable quantity is left for validation to report
  const q = applyDefaults(pod({ containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: 'lots' } } }] }));
  assert.equal(q.spec.containers[0].resources!.limits, { cpu: 'lots' });
});

test('volumes: no source means emptyDir; hostPath type ""', () => {
  const p = applyDefaults(
    pod({ containers: [], volumes: [{ name: 'scratch' }, { name: 'h', hostPath: { path: '/tmp' } }, { name: 'e', emptyDir: { sizeLimit: '1024Mi' } }] }),
  );
  assert.equal(p.spec.volumes, [
    { name: 'scratch', emptyDir: {} },
    { name: 'h', hostPath: { path: '/tmp', type: '' } },
    { name: 'e', emptyDir: { sizeLimit: '1Gi' } },
  ]);
});

test('PVC: volumeMode Filesystem, namespace, uid; storage canonical', () => {
  const c = applyDefaults({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'c' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1024Mi' } } },
  } as PersistentVolumeClaim);
  assert.is(c.spec.volumeMode, 'Filesystem');
  assert.is(c.metadata.namespace, 'default');
  assert.ok(c.metadata.uid);
  assert.is(c.spec.resources!.requests!.storage, '1Gi');
  const b = applyDefaults({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { volumeMode: 'Block' } } as PersistentVolumeClaim);
  assert.is(b.spec.volumeMode, 'Block');
});

test('idempotent, and never adds a field the validator would warn about', () => {
  const [p] = parseManifests(
    'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: busybox, livenessProbe: {httpGet: {port: 80}}}]}\n',
    'p.yaml',
  );
  const once = JSON.stringify(p);
  applyDefaults(p);
  assert.is(JSON.stringify(p), once);
});

test('robust to mistyped input (validation reports it)', () => {
  const weird = { apiVersion: 'v1', kind: 'Pod', metadata: 'nope', spec: { containers: 'nope', volumes: [null, 3] } } as unknown as Pod;
  applyDefaults(weird);
  assert.is((weird as unknown as { spec: { containers: string } }).spec.containers, 'nope');
});

test.run();
