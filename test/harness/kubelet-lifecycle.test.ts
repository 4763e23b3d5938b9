// The harness kubelet on the in-memory plugins: phases, init containers, restart policies,
// image pull backoff, crash loops, probes, sidecars — each through the real gRPC plugins.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cstatus, manifests, phase, ready, testNode, waiting, type TestNode } from './helpers.js';

const t = suite('kubelet: pod lifecycle on the in-memory plugins');
let node: TestNode;

t.before(async () => {
  node = await testNode();
});
t.after(async () => {
  await node.cleanup();
});

const W = 15_000;
const ns = 'default';

t('init containers wait for their services, then the app runs (the classic myservice/mydb example)', async () => {
  const deps = join(node.dir, 'deps');
  mkdirSync(deps);
  await node.kubelet.apply(
    manifests(`
apiVersion: v1
kind: Pod
metadata: { name: myapp-pod, labels: { app.kubernetes.io/name: MyApp } }
spec:
  volumes: [{ name: deps, hostPath: { path: ${deps} } }]
  initContainers:
  - name: init-myservice
    image: busybox:1.36
    command: ['sh', '-c', 'until test -f /deps/myservice; do echo waiting for myservice; sleep 0.05; done']
    volumeMounts: [{ name: deps, mountPath: /deps }]
  - name: init-mydb
    image: busybox:1.36
    command: ['sh', '-c', 'until test -f /deps/mydb; do echo waiting for mydb; sleep 0.05; done']
    volumeMounts: [{ name: deps, mountPath: /deps }]
  containers:
  - name: myapp-container
    image: busybox:1.36
    command: ['sh', '-c', 'echo The app is running! && sleep 3600']
`),
  );
  const k = node.kubelet;
  await k.waitFor(ns, 'myapp-pod', (p) => cstatus(p, 'init-myservice')?.state.running !== undefined, W);
  let p = k.get(ns, 'myapp-pod');
  assert.is(phase(p), 'Pending');
  assert.is(waiting(p, 'myapp-container'), 'PodInitializing');
  assert.is(p.status!.conditions.find((c) => c.type === 'Initialized')!.status, 'False');
  writeFileSync(join(deps, 'myservice'), '');
  await k.waitFor(ns, 'myapp-pod', (x) => cstatus(x, 'init-mydb')?.state.running !== undefined, W);
  p = k.get(ns, 'myapp-pod');
  assert.is(cstatus(p, 'init-myservice').state.terminated?.reason, 'Completed');
  assert.is(phase(p), 'Pending', 'still initializing while mydb is missing');
  writeFileSync(join(deps, 'mydb'), '');
  p = await k.waitFor(ns, 'myapp-pod', (x) => phase(x) === 'Running' && ready(x), W);
  assert.ok(p.status!.podIP, 'pod has an IP from the memory CNI');
  assert.match(await k.logs(ns, 'myapp-pod'), /The app is running!/);
  assert.match(await k.logs(ns, 'myapp-pod', { container: 'init-myservice' }), /waiting for myservice/);
  // the timeline holds every step in order
  const steps = k.timeline(ns, 'myapp-pod').steps.map((s) => s.name);
  const idx = (n: string) => steps.findIndex((s) => s.startsWith(n));
  assert.ok(idx('RunPodSandbox') >= 0 && idx('RunPodSandbox') < idx('StartContainer init-myservice'));
  assert.ok(idx('StartContainer init-myservice') < idx('StartContainer init-mydb'));
  assert.ok(idx('StartContainer init-mydb') < idx('StartContainer myapp-container'));
  await k.delete(ns, 'myapp-pod', 0);
  assert.throws(() => k.get(ns, 'myapp-pod'), /not found/);
});

t('restartPolicy Never: exit 0 → Succeeded, exit 3 → Failed with the exit code', async () => {
  const k = node.kubelet;
  await k.apply(
    manifests(`
apiVersion: v1
kind: Pod
metadata: { name: ok-once }
spec: { restartPolicy: Never, containers: [{ name: c, image: busybox, command: [sh, -c, 'echo done'] }] }
---
apiVersion: v1
kind: Pod
metadata: { name: fail-once }
spec: { restartPolicy: Never, containers: [{ name: c, image: busybox, command: [sh, -c, 'exit 3'] }] }
`),
  );
  const ok = await k.waitFor(ns, 'ok-once', (p) => phase(p) === 'Succeeded', W);
  assert.is(cstatus(ok, 'c').state.terminated?.reason, 'Completed');
  assert.is(ok.status!.conditions.find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
  const bad = await k.waitFor(ns, 'fail-once', (p) => phase(p) === 'Failed', W);
  assert.is(cstatus(bad, 'c').state.terminated?.exitCode, 3);
  assert.is(cstatus(bad, 'c').state.terminated?.reason, 'Error');
  assert.is(cstatus(bad, 'c').restartCount, 0);
  await k.delete(ns, 'ok-once', 0);
  await k.delete(ns, 'fail-once', 0);
});

t('restartPolicy OnFailure restarts a failing container; a clean exit then completes the pod', async () => {
  const k = node.kubelet;
  const marker = join(node.dir, 'onfailure-marker');
  await k.apply(
    manifests(`
apiVersion: v1
kind: Pod
metadata: { name: retry }
spec:
  restartPolicy: OnFailure
  volumes: [{ name: m, hostPath: { path: ${node.dir} } }]
  containers: [{ name: c, image: busybox, volumeMounts: [{ name: m, mountPath: /m }], command: [sh, -c, 'if test -f /m/onfailure-marker; then exit 0; fi; touch /m/onfailure-marker; exit 1'] }]
`),
  );
  const p = await k.waitFor(ns, 'retry', (x) => phase(x) === 'Succeeded', W);
  assert.is(cstatus(p, 'c').restartCount, 1);
  assert.is(cstatus(p, 'c').lastState.terminated?.exitCode, 1);
  void marker;
  await k.delete(ns, 'retry', 0);
});

t('CrashLoopBackOff: restarts with growing backoff, lastState keeps the exit', async () => {
  const k = node.kubelet;
  await k.apply(
    manifests(`
apiVersion: v1
kind: Pod
metadata: { name: crasher }
spec: { containers: [{ name: c, image: busybox, command: [sh, -c, 'echo crashing; exit 1'] }] }
`),
  );
  const p = await k.waitFor(ns, 'crasher', (x) => cstatus(x, 'c')?.restartCount >= 2 && waiting(x, 'c') === 'CrashLoopBackOff', W);
  assert.is(phase(p), 'Running', 'restartPolicy Always keeps the phase Running');
  assert.is(cstatus(p, 'c').lastState.terminated?.exitCode, 1);
  assert.match(cstatus(p, 'c').state.waiting!.message!, /back-off .* restarting failed container=c pod=crasher/);
  assert.match(await k.logs(ns, 'crasher', { previous: true }), /crashing/);
  const backoffs = k.events(ns, 'crasher').filter((e) => e.reason === 'BackOff');
  assert.ok(backoffs.length >= 1);
  await k.delete(ns, 'crasher', 0);
});

t('missing image: ErrImagePull then ImagePullBackOff; the pod stays Pending', async () => {
  const k = node.kubelet;
  await k.apply(
    manifests(`
apiVersion: v1
kind: Pod
metadata: { name: noimage }
spec: { containers: [{ name: c, image: busybox:does-not-exist }] }
`),
  );
  await k.waitFor(ns, 'noimage', (x) => waiting(x, 'c') === 'ErrImagePull', W);
  const p = await k.waitFor(ns, 'noimage', (x) => waiting(x, 'c') === 'ImagePullBackOff', W);
  assert.is(phase(p), 'Pending');
  assert.ok(k.events(ns, 'noimage').some((e) => e.reason === 'Failed' && /Failed to pull image "busybox:does-not-exist"/.test(e.message)));
  await k.delete(ns, 'noimage', 0);
});

t('liveness probe failure restarts the container; readiness gates Ready', async () => {
  const k = node.kubelet;
  await k.apply(
    manifests(`
apiVersion: v1
kind: Pod
metadata: { name: probed }
spec:
  containers:
  - name: app
    image: busybox
    command: [sh, -c, 'touch /tmp/healthy; sleep 0.5; rm -f /tmp/healthy; sleep 3600']
    livenessProbe: { exec: { command: [test, -f, /tmp/healthy] }, periodSeconds: 5, failureThreshold: 2 }
  - name: web
    image: busybox
    command: [httpd, -f, -p, '8080']
    ports: [{ containerPort: 8080, name: http }]
    readinessProbe: { httpGet: { path: /, port: http }, periodSeconds: 5 }
`),
  );
  const p = await k.waitFor(ns, 'probed', (x) => cstatus(x, 'app')?.restartCount >= 1, W);
  assert.ok(k.events(ns, 'probed').some((e) => e.reason === 'Unhealthy' && /Liveness probe failed/.test(e.message)));
  assert.ok(k.events(ns, 'probed').some((e) => e.reason === 'Killing' && /failed liveness probe, will be restarted/.test(e.message)));
  const web = await k.waitFor(ns, 'probed', (x) => cstatus(x, 'web')?.ready === true, W);
  assert.is(cstatus(web, 'web').ready, true);
  void p;
  await k.delete(ns, 'probed', 0);
});

t('a hostNetwork pod reports the node address as its pod IP', async () => {
  const k = node.kubelet;
  await k.apply(
    manifests(`
apiVersion: v1
kind: Pod
metadata: { name: hostnet }
spec:
  hostNetwork: true
  containers: [{ name: c, image: busybox, command: [sleep, '3600'] }]
`),
  );
  const p = await k.waitFor(ns, 'hostnet', (x) => phase(x) === 'Running', W);
  assert.is(p.status!.podIP, p.status!.hostIP);
  assert.equal(p.status!.podIPs, [{ ip: p.status!.hostIP }]);
  await k.delete(ns, 'hostnet', 0);
});

t('sidecar init container keeps running alongside the app', async () => {
  const k = node.kubelet;
  await k.apply(
    manifests(`
apiVersion: v1
kind: Pod
metadata: { name: with-sidecar }
spec:
  initContainers: [{ name: log-shipper, image: busybox, restartPolicy: Always, command: [sh, -c, 'sleep 3600'] }]
  containers: [{ name: app, image: busybox, command: [sh, -c, 'sleep 3600'] }]
`),
  );
  const p = await k.waitFor(ns, 'with-sidecar', (x) => phase(x) === 'Running' && ready(x), W);
  assert.ok(cstatus(p, 'log-shipper').state.running, 'sidecar running');
  assert.ok(cstatus(p, 'app').state.running, 'app running');
  await k.delete(ns, 'with-sidecar', 0);
});

t('duplicate pod names are refused', async () => {
  const k = node.kubelet;
  const m = manifests(`
apiVersion: v1
kind: Pod
metadata: { name: dup }
spec: { containers: [{ name: c, image: busybox, command: [sleep, '3600'] }] }
`);
  await k.apply(m);
  await k
    .apply(
      manifests(`
apiVersion: v1
kind: Pod
metadata: { name: dup }
spec: { containers: [{ name: c, image: busybox, command: [sleep, '3600'] }] }
`),
    )
    .then(
      () => assert.unreachable(),
      (e: Error) => assert.match(e.message, /pods "dup" already exists/),
    );
  await k.delete(ns, 'dup', 0);
});

t.run();
