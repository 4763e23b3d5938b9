// `describe pod`: kubectl describe's sections, container blocks, probe lines, volumes, QoS and
// the events table with repeated events folded into "(xN over …)".
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pod, PodEvent } from '../../harness/api/types.js';
import { aggregateEvents, computePodQOS, describePod, describeProbe, rfc1123z } from '../../harness/output/index.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function fullPod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: 'u-1',
      labels: { app: 'web', tier: 'frontend' },
      annotations: { 'triad.dev/note': 'hello' },
      creationTimestamp: ago(200_000),
    },
    spec: {
      nodeName: 'triad-node',
      initContainers: [
        { name: 'setup', image: 'busybox:1.36', command: ['sh', '-c', 'echo ready > /data/ok'], volumeMounts: [{ name: 'data', mountPath: '/data' }] },
      ],
      containers: [
        {
          name: 'app',
          image: 'nginx:1.25',
          args: ['--port', '8080'],
          ports: [{ containerPort: 8080, name: 'http' }],
          env: [
            { name: 'MODE', value: 'prod' },
            { name: 'MULTI', value: 'a\nb' },
          ],
          resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi' } },
          livenessProbe: { httpGet: { port: 8080 } },
          readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, initialDelaySeconds: 2, periodSeconds: 5 },
          startupProbe: { tcpSocket: { port: 8080 }, failureThreshold: 30 },
          volumeMounts: [
            { name: 'data', mountPath: '/data', readOnly: true },
            { name: 'cache', mountPath: '/cache', subPath: 'app' },
          ],
        },
      ],
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: 'data-pvc' } },
        { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
        { name: 'logs', hostPath: { path: '/var/log/web', type: 'DirectoryOrCreate' } },
        { name: 'secrets', csi: { driver: 'secrets.csi.example.com', readOnly: true, volumeAttributes: { b: '2', a: '1' } } },
      ],
    },
    status: {
      phase: 'Running',
      hostIP: '10.0.0.1',
      podIP: '10.88.0.5',
      podIPs: [{ ip: '10.88.0.5' }, { ip: 'fd00::5' }],
      startTime: ago(199_000),
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'True' },
        { type: 'ContainersReady', status: 'True' },
        { type: 'PodScheduled', status: 'True' },
      ],
      initContainerStatuses: [
        {
          name: 'setup',
          ready: false,
          restartCount: 0,
          image: 'busybox:1.36',
          imageID: 'sha256:b1',
          containerID: 'containerd://i1',
          state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: ago(190_000), finishedAt: ago(189_000) } },
          lastState: {},
        },
      ],
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          restartCount: 1,
          image: 'nginx:1.25',
          imageID: 'sha256:n1',
          containerID: 'containerd://c1',
          started: true,
          state: { running: { startedAt: ago(60_000) } },
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: ago(180_000), finishedAt: ago(61_000) } },
        },
      ],
    },
  };
}

const events: PodEvent[] = [
  {
    time: NOW - 195_000,
    type: 'Normal',
    reason: 'Pulled',
    message: 'Container image "busybox:1.36" already present on machine',
    object: 'spec.initContainers{setup}',
  },
  { time: NOW - 120_000, type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: not ready', object: 'spec.containers{app}' },
  { time: NOW - 90_000, type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: not ready', object: 'spec.containers{app}' },
  { time: NOW - 10_000, type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: not ready', object: 'spec.containers{app}' },
  { time: NOW - 30_000, type: 'Normal', reason: 'Started', message: '  Started container app  ', object: 'spec.containers{app}' },
];

const d = suite('output: describe pod');

d('top section in kubectl order, aligned in one column', () => {
  const out = describePod(fullPod(), events, { now: NOW, utc: true });
  const lines = out.split('\n');
  const expected = [
    'Name:         web',
    'Namespace:    shop',
    'Node:         triad-node/10.0.0.1',
    'Start Time:   Wed, 01 May 2024 11:56:41 +0000',
    'Labels:       app=web',
    '              tier=frontend',
    'Annotations:  triad.dev/note: hello',
    'Status:       Running',
    'IP:           10.88.0.5',
    'IPs:',
    '  IP:  10.88.0.5',
    '  IP:  fd00::5',
    'Init Containers:',
  ];
  assert.equal(lines.slice(0, expected.length), expected);
});

d('all the sections are there, in order', () => {
  const out = describePod(fullPod(), events, { now: NOW, utc: true });
  const order = [
    'Name:',
    'Namespace:',
    'Node:',
    'Start Time:',
    'Labels:',
    'Annotations:',
    'Status:',
    'IP:',
    'IPs:',
    'Init Containers:',
    'Containers:',
    'Conditions:',
    'Volumes:',
    'QoS Class:',
    'Node-Selectors:',
    'Tolerations:',
    'Events:',
  ];
  let at = -1;
  for (const h of order) {
    const i = out.split('\n').findIndex((l, idx) => idx > at && l.startsWith(h));
    assert.ok(i > at, `${h} after the previous section`);
    at = i;
  }
  assert.not.match(out, /Priority/);
});

d('container blocks: ids, image, ports, command/args, state, last state, ready, restarts, resources', () => {
  const out = describePod(fullPod(), events, { now: NOW, utc: true });
  assert.match(
    out,
    /\n  setup:\n    Container ID:  containerd:\/\/i1\n    Image:         busybox:1\.36\n    Image ID:      sha256:b1\n    Port:          <none>\n    Host Port:     <none>\n    Command:\n      sh\n      -c\n      echo ready > \/data\/ok\n/,
  );
  assert.match(
    out,
    /    State:          Terminated\n      Reason:       Completed\n      Exit Code:    0\n      Started:      Wed, 01 May 2024 11:56:50 \+0000\n      Finished:     Wed, 01 May 2024 11:56:51 \+0000\n/,
  );
  assert.match(out, /    Port:          8080\/TCP \(http\)\n    Host Port:     0\/TCP \(http\)\n    Args:\n      --port\n      8080\n/);
  assert.match(
    out,
    /    State:          Running\n      Started:      Wed, 01 May 2024 11:59:00 \+0000\n    Last State:     Terminated\n      Reason:       OOMKilled\n      Exit Code:    137\n/,
  );
  assert.match(out, /    Ready:          True\n    Restart Count:  1\n    Limits:\n      cpu:     500m\n      memory:  128Mi\n    Requests:\n/);
  assert.match(out, /    Requests:\n      cpu:      250m\n      memory:   64Mi\n    Liveness:/);
});

d('probe lines like kubectl (defaults filled in)', () => {
  const out = describePod(fullPod(), events, { now: NOW, utc: true });
  assert.match(out, /\n    Liveness:   http-get http:\/\/:8080\/ delay=0s timeout=1s period=10s #success=1 #failure=3\n/);
  assert.match(out, /\n    Readiness:  exec \[cat \/tmp\/ready\] delay=2s timeout=1s period=5s #success=1 #failure=3\n/);
  assert.match(out, /\n    Startup:    tcp-socket :8080 delay=0s timeout=1s period=10s #success=1 #failure=30\n/);
  assert.is(
    describeProbe({ httpGet: { host: '10.0.0.9', port: 'http', path: '/healthz', scheme: 'HTTPS' }, timeoutSeconds: 3 }),
    'http-get https://10.0.0.9:http/healthz delay=0s timeout=3s period=10s #success=1 #failure=3',
  );
  assert.is(
    describeProbe({ httpGet: { host: 'fd00::1', port: 80, path: 'x' } }),
    'http-get http://[fd00::1]:80/x delay=0s timeout=1s period=10s #success=1 #failure=3',
  );
  assert.is(
    describeProbe({ grpc: { port: 50051, service: 'demo.Greeter' }, periodSeconds: 5 }),
    'grpc <pod>:50051 demo.Greeter delay=0s timeout=1s period=5s #success=1 #failure=3',
  );
  assert.is(describeProbe({ grpc: { port: 9000 } }), 'grpc <pod>:9000  delay=0s timeout=1s period=10s #success=1 #failure=3');
});

d('environment and mounts (sorted by path, ro/rw, subPath)', () => {
  const out = describePod(fullPod(), events, { now: NOW, utc: true });
  assert.match(
    out,
    /    Environment:\n      MODE:   prod\n      MULTI:  a\n              b\n    Mounts:\n      \/cache from cache \(rw,path="app"\)\n      \/data from data \(ro\)\n/,
  );
  assert.match(out, /    Restart Count:  0\n    Environment:    <none>\n    Mounts:\n      \/data from data \(rw\)\nContainers:\n/);
});

d('conditions table and volumes by type', () => {
  const out = describePod(fullPod(), events, { now: NOW, utc: true });
  assert.match(
    out,
    /Conditions:\n  Type              Status\n  Initialized       True \n  Ready             True \n  ContainersReady   True \n  PodScheduled      True \n/,
  );
  assert.match(
    out,
    /  data:\n    Type:       PersistentVolumeClaim \(a reference to a PersistentVolumeClaim in the same namespace\)\n    ClaimName:  data-pvc\n    ReadOnly:   false\n/,
  );
  assert.match(
    out,
    /  cache:\n    Type:       EmptyDir \(a temporary directory that shares a pod's lifetime\)\n    Medium:     Memory\n    SizeLimit:  64Mi\n/,
  );
  assert.match(
    out,
    /  logs:\n    Type:          HostPath \(bare host directory volume\)\n    Path:          \/var\/log\/web\n    HostPathType:  DirectoryOrCreate\n/,
  );
  assert.match(
    out,
    /  secrets:\n    Type:\s+CSI \(a Container Storage Interface \(CSI\) volume source\)\n    Driver:\s+secrets\.csi\.example\.com\n    FSType:\s*\n    ReadOnly:\s+true\n    VolumeAttributes:\s+a=1\n\s+b=2\n/,
  );
  assert.match(out, /\nQoS Class:\s+Burstable\nNode-Selectors:\s+<none>\nTolerations:\s+<none>\n/);
});

d('events: kubectl table, From triad-kubelet, repeats folded into (xN over …)', () => {
  const out = describePod(fullPod(), events, { now: NOW, utc: true });
  const tail = out.slice(out.indexOf('Events:'));
  assert.is(
    tail,
    'Events:\n' +
      '  Type     Reason     Age               From           Message\n' +
      '  ----     ------     ----              ----           -------\n' +
      '  Normal   Pulled     3m15s             triad-kubelet  Container image "busybox:1.36" already present on machine\n' +
      '  Normal   Started    30s               triad-kubelet  Started container app\n' +
      '  Warning  Unhealthy  10s (x3 over 2m)  triad-kubelet  Readiness probe failed: not ready\n',
  );
  const agg = aggregateEvents(events);
  assert.is(agg.length, 3);
  assert.equal(
    agg.map((e) => e.count),
    [1, 1, 3],
  );
});

d('<none> where kubectl prints it; Terminating status; Node <none>', () => {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'bare', deletionTimestamp: ago(20_000) },
    spec: { containers: [{ name: 'c', image: 'busybox' }], terminationGracePeriodSeconds: 10 },
  };
  const out = describePod(pod, [], { now: NOW, utc: true });
  assert.match(
    out,
    /^Name:\s+bare\nNamespace:\s+default\nNode:\s+<none>\nLabels:\s+<none>\nAnnotations:\s+<none>\nStatus:\s+Terminating \(lasts 20s\)\nTermination Grace Period:\s+10s\nIP:\s*\nIPs:\s+<none>\nContainers:\n  c:\n    Image:\s+busybox\n    Port:\s+<none>\n    Host Port:\s+<none>\n    Environment:\s+<none>\n    Mounts:\s+<none>\nVolumes:\s+<none>\nQoS Class:\s+BestEffort\n/,
  );
  assert.match(out, /\nEvents:\s+<none>\n$/);
  assert.not.match(out, /Init Containers/);
  assert.not.match(out, /Conditions:/);
});

d('QoS class: status wins, else computed from requests and limits', () => {
  const base = fullPod();
  assert.is(computePodQOS(base), 'Burstable');
  const guaranteed = fullPod();
  guaranteed.spec.initContainers = [];
  guaranteed.spec.containers[0].resources = { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m', memory: '1024Mi' } };
  assert.is(computePodQOS(guaranteed), 'Guaranteed');
  const limitsOnly = fullPod();
  limitsOnly.spec.initContainers = [];
  limitsOnly.spec.containers[0].resources = { limits: { cpu: '2', memory: '2Gi' } };
  assert.is(computePodQOS(limitsOnly), 'Guaranteed');
  const none = fullPod();
  none.spec.containers[0].resources = undefined;
  assert.is(computePodQOS(none), 'BestEffort');
  none.status!.qosClass = 'Guaranteed';
  assert.match(describePod(none, [], { now: NOW }), /QoS Class:\s+Guaranteed/);
});

d('RFC1123Z timestamps like Go', () => {
  assert.is(rfc1123z('2024-02-29T07:05:09Z', true), 'Thu, 29 Feb 2024 07:05:09 +0000');
  assert.is(rfc1123z(undefined, true), 'Mon, 01 Jan 0001 00:00:00 +0000');
  assert.match(rfc1123z('2024-02-29T07:05:09Z'), /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} 2024 \d\d:\d\d:\d\d [+-]\d{4}$/);
});

d.run();
