// `get pods` table: STATUS / READY / RESTARTS / AGE computed like kubectl's printPod, and the
// tabwriter alignment kubectl prints with.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Container, ContainerState, ContainerStatus, Pod, PodStatus } from '../../harness/api/types.js';
import { humanDuration, podRow, podStatusReason, podTable, tabwrite, GET_TABWRITER, DESCRIBE_TABWRITER } from '../../harness/output/index.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function cs(name: string, state: ContainerState, extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return { name, state, lastState: {}, ready: false, restartCount: 0, image: `${name}:latest`, imageID: '', ...extra };
}

function mkPod(
  o: {
    init?: Container[];
    containers?: Container[];
    status?: Partial<PodStatus>;
    deletion?: boolean;
    created?: number;
    nodeName?: string;
  } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'p',
      namespace: 'default',
      creationTimestamp: ago(o.created ?? 5000),
      ...(o.deletion ? { deletionTimestamp: ago(1000) } : {}),
    },
    spec: { containers: o.containers ?? [{ name: 'app', image: 'app' }], initContainers: o.init, nodeName: o.nodeName },
    status: { phase: 'Pending', conditions: [], containerStatuses: [], ...o.status },
  };
}

const twoInit: Container[] = [
  { name: 'i1', image: 'i' },
  { name: 'i2', image: 'i' },
];
const running = (name = 'app', ready = true) => cs(name, { running: { startedAt: ago(3000) } }, { ready, started: true });
const waiting = (name: string, reason: string) => cs(name, { waiting: { reason } });
const terminated = (name: string, exitCode: number, reason?: string, signal?: number) =>
  cs(name, { terminated: { exitCode, reason, signal, startedAt: ago(4000), finishedAt: ago(2000) } });

const status = suite('output: STATUS column');

status('Init:0/2 while the first init container runs', () => {
  const p = mkPod({
    init: twoInit,
    status: { initContainerStatuses: [running('i1', false), waiting('i2', 'PodInitializing')], containerStatuses: [waiting('app', 'PodInitializing')] },
  });
  assert.is(podStatusReason(p, NOW), 'Init:0/2');
});

status('Init:0/2 when init waits with PodInitializing or no reason', () => {
  const p = mkPod({ init: twoInit, status: { initContainerStatuses: [waiting('i1', 'PodInitializing'), cs('i2', {})] } });
  assert.is(podStatusReason(p, NOW), 'Init:0/2');
});

status('Init:1/2 after the first completes', () => {
  const p = mkPod({ init: twoInit, status: { initContainerStatuses: [terminated('i1', 0, 'Completed'), running('i2', false)] } });
  assert.is(podStatusReason(p, NOW), 'Init:1/2');
});

status('Init:<waiting reason>', () => {
  for (const r of ['CrashLoopBackOff', 'ErrImagePull', 'ImagePullBackOff']) {
    const p = mkPod({ init: twoInit, status: { initContainerStatuses: [waiting('i1', r), waiting('i2', 'PodInitializing')] } });
    assert.is(podStatusReason(p, NOW), `Init:${r}`);
  }
});

status('Init:Error, Init:ExitCode:N, Init:Signal:N', () => {
  const st = (t: ContainerStatus) => mkPod({ init: twoInit, status: { initContainerStatuses: [t] } });
  assert.is(podStatusReason(st(terminated('i1', 1, 'Error')), NOW), 'Init:Error');
  assert.is(podStatusReason(st(terminated('i1', 3)), NOW), 'Init:ExitCode:3');
  assert.is(podStatusReason(st(terminated('i1', 137, undefined, 9)), NOW), 'Init:Signal:9');
});

status('PodInitializing once init is done', () => {
  const p = mkPod({
    init: twoInit,
    status: {
      initContainerStatuses: [terminated('i1', 0, 'Completed'), terminated('i2', 0, 'Completed')],
      containerStatuses: [waiting('app', 'PodInitializing')],
    },
  });
  assert.is(podStatusReason(p, NOW), 'PodInitializing');
});

status('app container waiting reasons', () => {
  for (const r of ['ContainerCreating', 'ErrImagePull', 'ImagePullBackOff', 'CrashLoopBackOff', 'CreateContainerConfigError']) {
    assert.is(podStatusReason(mkPod({ status: { containerStatuses: [waiting('app', r)] } }), NOW), r);
  }
});

status('terminated reasons and exit codes', () => {
  assert.is(podStatusReason(mkPod({ status: { phase: 'Succeeded', containerStatuses: [terminated('app', 0, 'Completed')] } }), NOW), 'Completed');
  assert.is(podStatusReason(mkPod({ status: { phase: 'Failed', containerStatuses: [terminated('app', 1, 'Error')] } }), NOW), 'Error');
  assert.is(podStatusReason(mkPod({ status: { phase: 'Running', containerStatuses: [terminated('app', 137, 'OOMKilled')] } }), NOW), 'OOMKilled');
  assert.is(podStatusReason(mkPod({ status: { phase: 'Failed', containerStatuses: [terminated('app', 2)] } }), NOW), 'ExitCode:2');
  assert.is(podStatusReason(mkPod({ status: { phase: 'Failed', containerStatuses: [terminated('app', 143, undefined, 15)] } }), NOW), 'Signal:15');
});

status('Running, and the first container decides among several', () => {
  assert.is(podStatusReason(mkPod({ status: { phase: 'Running', containerStatuses: [running()] } }), NOW), 'Running');
  const two: Container[] = [
    { name: 'a', image: 'a' },
    { name: 'b', image: 'b' },
  ];
  const p = mkPod({ containers: two, status: { phase: 'Running', containerStatuses: [waiting('a', 'CrashLoopBackOff'), waiting('b', 'ErrImagePull')] } });
  assert.is(podStatusReason(p, NOW), 'CrashLoopBackOff');
});

status('Completed with a container still running: Running or NotReady by the Ready condition', () => {
  const two: Container[] = [
    { name: 'a', image: 'a' },
    { name: 'b', image: 'b' },
  ];
  const statuses = [terminated('a', 0, 'Completed'), running('b')];
  const ready = mkPod({ containers: two, status: { phase: 'Running', containerStatuses: statuses, conditions: [{ type: 'Ready', status: 'True' }] } });
  const notReady = mkPod({ containers: two, status: { phase: 'Running', containerStatuses: statuses, conditions: [{ type: 'Ready', status: 'False' }] } });
  assert.is(podStatusReason(ready, NOW), 'Running');
  assert.is(podStatusReason(notReady, NOW), 'NotReady');
});

status('Terminating with a deletionTimestamp unless the phase is terminal; Unknown on a lost node', () => {
  assert.is(podStatusReason(mkPod({ deletion: true, status: { phase: 'Running', containerStatuses: [running()] } }), NOW), 'Terminating');
  assert.is(
    podStatusReason(mkPod({ deletion: true, status: { phase: 'Succeeded', containerStatuses: [terminated('app', 0, 'Completed')] } }), NOW),
    'Completed',
  );
  assert.is(podStatusReason(mkPod({ deletion: true, status: { phase: 'Running', reason: 'NodeLost' } }), NOW), 'Unknown');
});

status('pod-level reason and scheduling gates', () => {
  assert.is(podStatusReason(mkPod({ status: { phase: 'Failed', reason: 'Evicted' } }), NOW), 'Evicted');
  assert.is(podStatusReason(mkPod({ status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } }), NOW), 'SchedulingGated');
  assert.is(podStatusReason(mkPod({ status: { phase: 'Pending' } }), NOW), 'Pending');
  const noStatus = mkPod();
  delete noStatus.status;
  assert.is(podStatusReason(noStatus, NOW), 'Pending');
});

status.run();

const ready = suite('output: READY and RESTARTS');

const sidecarInit: Container[] = [
  { name: 'setup', image: 's' },
  { name: 'proxy', image: 'p', restartPolicy: 'Always' },
];

ready('app containers only', () => {
  const two: Container[] = [
    { name: 'a', image: 'a' },
    { name: 'b', image: 'b' },
  ];
  const p = mkPod({ containers: two, status: { phase: 'Running', containerStatuses: [running('a'), running('b', false)] } });
  assert.is(podRow(p, NOW).ready, '1/2');
});

ready('a started, ready sidecar counts in READY like kubectl 1.29+', () => {
  const p = mkPod({
    init: sidecarInit,
    status: {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [terminated('setup', 0, 'Completed'), running('proxy', true)],
      containerStatuses: [running('app', true)],
    },
  });
  const r = podRow(p, NOW);
  assert.is(r.ready, '2/2');
  assert.is(r.status, 'Running');
});

ready('a sidecar not yet started blocks init and counts in the total only', () => {
  const p = mkPod({
    init: sidecarInit,
    status: {
      initContainerStatuses: [terminated('setup', 0, 'Completed'), cs('proxy', { running: {} }, { started: false })],
      containerStatuses: [waiting('app', 'PodInitializing')],
    },
  });
  const r = podRow(p, NOW);
  assert.is(r.ready, '0/2');
  assert.is(r.status, 'Init:1/2');
});

ready('a started sidecar that is not ready', () => {
  const p = mkPod({
    init: sidecarInit,
    status: {
      phase: 'Running',
      initContainerStatuses: [terminated('setup', 0, 'Completed'), running('proxy', false)],
      containerStatuses: [running('app', true)],
    },
  });
  assert.is(podRow(p, NOW).ready, '1/2');
});

ready('RESTARTS: sum with "(Xs ago)" from the latest lastState finish', () => {
  const two: Container[] = [
    { name: 'a', image: 'a' },
    { name: 'b', image: 'b' },
  ];
  const p = mkPod({
    containers: two,
    status: {
      phase: 'Running',
      containerStatuses: [
        running('a', true),
        cs(
          'b',
          { waiting: { reason: 'CrashLoopBackOff' } },
          { restartCount: 3, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(5000) } } },
        ),
      ],
    },
  });
  Object.assign(p.status!.containerStatuses[0], { restartCount: 1, lastState: { terminated: { exitCode: 1, finishedAt: ago(90_000) } } });
  const r = podRow(p, NOW);
  assert.is(r.restarts, '4 (5s ago)');
  assert.is(r.status, 'CrashLoopBackOff');
});

ready('RESTARTS: plain number without restarts or without a finish time', () => {
  assert.is(podRow(mkPod({ status: { phase: 'Running', containerStatuses: [running()] } }), NOW).restarts, '0');
  const p = mkPod({ status: { phase: 'Running', containerStatuses: [cs('app', { running: {} }, { ready: true, restartCount: 2 })] } });
  assert.is(podRow(p, NOW).restarts, '2');
});

ready('RESTARTS: a crash-looping init container counts while initializing; sidecar restarts afterwards', () => {
  const crashing = cs(
    'i1',
    { waiting: { reason: 'CrashLoopBackOff' } },
    { restartCount: 4, lastState: { terminated: { exitCode: 1, finishedAt: ago(30_000) } } },
  );
  const init = mkPod({ init: twoInit, status: { initContainerStatuses: [crashing, waiting('i2', 'PodInitializing')] } });
  const r = podRow(init, NOW);
  assert.is(r.status, 'Init:CrashLoopBackOff');
  assert.is(r.restarts, '4 (30s ago)');

  const after = mkPod({
    init: sidecarInit,
    status: {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [
        cs('setup', { terminated: { exitCode: 0, reason: 'Completed' } }, { restartCount: 7 }),
        cs('proxy', { running: {} }, { started: true, ready: true, restartCount: 2, lastState: { terminated: { exitCode: 1, finishedAt: ago(125_000) } } }),
      ],
      containerStatuses: [running('app', true)],
    },
  });
  // the regular init container's restarts no longer count once the pod is initialized
  assert.is(podRow(after, NOW).restarts, '2 (2m5s ago)');
});

ready.run();

const age = suite('output: AGE (HumanDuration)');

age('duration formatting table', () => {
  const s = 1000,
    m = 60 * s,
    h = 60 * m,
    d = 24 * h,
    y = 365 * d;
  const cases: [number, string][] = [
    [-5 * s, '<invalid>'],
    [-1500, '0s'],
    [0, '0s'],
    [999, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [3 * m + 2 * s, '3m2s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [3 * h + 30 * m, '3h30m'],
    [7 * h + 59 * m, '7h59m'],
    [8 * h + 30 * m, '8h'],
    [47 * h, '47h'],
    [2 * d, '2d'],
    [3 * d + 5 * h, '3d5h'],
    [7 * d + 23 * h, '7d23h'],
    [8 * d + 5 * h, '8d'],
    [729 * d, '729d'],
    [2 * y, '2y'],
    [2 * y + 10 * d, '2y10d'],
    [7 * y + 364 * d, '7y364d'],
    [8 * y + 100 * d, '8y'],
    [12 * y, '12y'],
  ];
  for (const [ms, want] of cases) assert.is(humanDuration(ms), want, `${ms}ms`);
});

age('AGE column uses creationTimestamp; <unknown> without one', () => {
  assert.is(podRow(mkPod({ created: 182_000 }), NOW).age, '3m2s');
  const p = mkPod();
  delete p.metadata.creationTimestamp;
  assert.is(podRow(p, NOW).age, '<unknown>');
});

age.run();

const table = suite('output: get pods table');

table('columns aligned like kubectl (3 spaces, left-aligned, last column unpadded)', () => {
  const p = mkPod({ status: { phase: 'Running', podIP: '10.88.0.5', podIPs: [{ ip: '10.88.0.5' }], containerStatuses: [running()] } });
  p.metadata.name = 'web';
  assert.is(podTable([p], { now: NOW }), 'NAME   READY   STATUS    RESTARTS   AGE   IP\n' + 'web    1/1     Running   0          5s    10.88.0.5\n');
});

table('wide adds NODE, NOMINATED NODE, READINESS GATES; <none> fills', () => {
  const a = mkPod({ nodeName: 'triad-node', status: { phase: 'Running', podIPs: [{ ip: '10.88.0.7' }], containerStatuses: [running()] } });
  a.metadata.name = 'alpha';
  const b = mkPod({ status: { phase: 'Pending' } });
  b.metadata.name = 'beta-with-long-name';
  const out = podTable([a, b], { now: NOW, wide: true });
  const lines = out.trimEnd().split('\n');
  assert.is(lines.length, 3);
  assert.is(lines[0], 'NAME                  READY   STATUS    RESTARTS   AGE   IP          NODE         NOMINATED NODE   READINESS GATES');
  assert.is(lines[1], 'alpha                 1/1     Running   0          5s    10.88.0.7   triad-node   <none>           <none>');
  assert.is(lines[2], 'beta-with-long-name   0/1     Pending   0          5s    <none>      <none>       <none>           <none>');
});

table('noHeaders; narrow columns still get the minimum width 6', () => {
  const p = mkPod({ status: { phase: 'Running', containerStatuses: [running()] } });
  p.metadata.name = 'a';
  const out = podTable([p], { now: NOW, noHeaders: true });
  assert.is(out, 'a     1/1   Running   0     5s    <none>\n');
});

table('no pods prints nothing', () => {
  assert.is(podTable([], { now: NOW }), '');
});

table('tabwriter: column blocks end at lines with fewer cells', () => {
  const text = 'a\tb\nlonger\tc\nnotab\nx\ty\n';
  assert.is(tabwrite(text, DESCRIBE_TABWRITER), 'a       b\nlonger  c\nnotab\nx  y\n');
  assert.is(tabwrite('k\tv\n', GET_TABWRITER), 'k     v\n');
  // trailing empty cells are padded (kubectl describe prints trailing blanks the same way)
  assert.is(tabwrite('ab:\t\nabcd:\tx\n', DESCRIBE_TABWRITER), 'ab:    \nabcd:  x\n');
});

table.run();
