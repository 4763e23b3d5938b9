// gRPC probes (grpc.health.v1 Check) through the harness kubelet on memory-cri, whose
// `grpc-health` program serves the health service on a pod port; its status file sits on a
// hostPath volume so the test flips SERVING / NOT_SERVING from outside. Liveness restarts a
// container after failureThreshold failures, readiness gates Ready both ways, startup holds
// the other probes back until it passes; unknown services, slow answers and closed ports fail
// with kubelet's messages.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { grpcProbe } from '../../harness/kubelet/grpc-probe.js';
import type { Pod } from '../../harness/api/types.js';
import { cstatus, manifests, ready, testNode, type TestNode } from './helpers.js';

const t = suite('kubelet: gRPC probes on the in-memory plugins');
let node: TestNode;

t.before(async () => {
  node = await testNode();
});
t.after(async () => {
  await node.cleanup();
});

const W = 15_000;
const ns = 'default';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A pod with one grpc-health container whose status file is <ctl>/not-serving on the host. */
function grpcPod(name: string, probes: string, args = '', ctl = join(node.dir, name)): { ctl: string; yaml: string } {
  mkdirSync(ctl, { recursive: true });
  return {
    ctl,
    yaml: `
apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  volumes: [{ name: ctl, hostPath: { path: ${ctl} } }]
  containers:
  - name: app
    image: busybox
    command: [grpc-health, -p, '9000', -f, /ctl/not-serving${args ? ', ' + args : ''}]
    volumeMounts: [{ name: ctl, mountPath: /ctl }]
${probes}
`,
  };
}

const events = (name: string, re: RegExp) => node.kubelet.events(ns, name).filter((e) => re.test(`${e.reason}: ${e.message}`));

/** Wait for pred; a timeout shows the container's status and the pod's events. */
async function until(name: string, pred: (p: Pod) => boolean, what: string): Promise<Pod> {
  try {
    return await node.kubelet.waitFor(ns, name, pred, W);
  } catch (e) {
    const p = node.kubelet.get(ns, name);
    throw new Error(
      `${(e as Error).message} (${what}); app: ${JSON.stringify(cstatus(p, 'app'))}; events: ${node.kubelet
        .events(ns, name)
        .map((x) => `${x.reason}: ${x.message}`)
        .join(' | ')}`,
    );
  }
}
const eventOf = (name: string, re: RegExp) => until(name, () => events(name, re).length > 0, `an event ${re}`);

t("readiness: NOT_SERVING keeps Ready False with kubelet's message, SERVING makes it True, and back", async () => {
  const k = node.kubelet;
  const { ctl, yaml } = grpcPod('ready', '    readinessProbe: { grpc: { port: 9000 }, periodSeconds: 5 }');
  writeFileSync(join(ctl, 'not-serving'), '');
  await k.apply(manifests(yaml));
  await k.waitFor(ns, 'ready', (p) => cstatus(p, 'app')?.state.running !== undefined, W);
  await eventOf('ready', /Unhealthy: Readiness probe failed: service unhealthy \(responded with "NOT_SERVING"\)/);
  await sleep(500);
  assert.is(ready(k.get(ns, 'ready')), false, 'not Ready while NOT_SERVING');
  rmSync(join(ctl, 'not-serving'));
  await k.waitFor(ns, 'ready', (p) => ready(p) && cstatus(p, 'app').ready === true, W);
  writeFileSync(join(ctl, 'not-serving'), '');
  await k.waitFor(ns, 'ready', (p) => !ready(p) && cstatus(p, 'app').ready === false, W);
  assert.is(cstatus(k.get(ns, 'ready'), 'app').restartCount, 0, 'readiness never restarts');
  await k.delete(ns, 'ready', 0);
});

t('liveness: failureThreshold NOT_SERVING answers restart the container; SERVING keeps it', async () => {
  const k = node.kubelet;
  const { ctl, yaml } = grpcPod('live', '    livenessProbe: { grpc: { port: 9000, service: my.Svc }, periodSeconds: 5, failureThreshold: 2 }', '-s, my.Svc');
  await k.apply(manifests(yaml));
  await k.waitFor(ns, 'live', (p) => cstatus(p, 'app')?.state.running !== undefined, W);
  await sleep(1000); // ~10 probe periods at the test's time scale, all SERVING
  assert.is(cstatus(k.get(ns, 'live'), 'app').restartCount, 0);
  assert.is(events('live', /Liveness probe failed/).length, 0);
  // the per-service file: only my.Svc goes NOT_SERVING
  writeFileSync(join(ctl, 'not-serving.my.Svc'), '');
  await k.waitFor(ns, 'live', (p) => cstatus(p, 'app')?.restartCount >= 1, W);
  assert.ok(events('live', /Unhealthy: Liveness probe failed: service unhealthy \(responded with "NOT_SERVING"\)/).length >= 1);
  assert.ok(events('live', /Killing: Container app failed liveness probe, will be restarted/).length >= 1);
  rmSync(join(ctl, 'not-serving.my.Svc'));
  await k.delete(ns, 'live', 0);
});

t('startup: liveness and readiness wait until the startup probe passes; failing it restarts', async () => {
  const k = node.kubelet;
  const { ctl, yaml } = grpcPod(
    'startup',
    [
      '    startupProbe: { grpc: { port: 9000 }, periodSeconds: 5, failureThreshold: 1000 }',
      '    livenessProbe: { grpc: { port: 9000, service: live }, periodSeconds: 5, failureThreshold: 1 }',
      '    readinessProbe: { grpc: { port: 9000 }, periodSeconds: 5 }',
    ].join('\n'),
    '-s, live',
  );
  writeFileSync(join(ctl, 'not-serving'), ''); // every service NOT_SERVING, the liveness one too
  await k.apply(manifests(yaml));
  await until('startup', (x) => cstatus(x, 'app')?.state.running !== undefined, 'running');
  await sleep(1000); // ~10 probe periods: the startup probe fails every time (below its threshold)
  let p = k.get(ns, 'startup');
  assert.is(cstatus(p, 'app').started, false);
  assert.is(cstatus(p, 'app').ready, false);
  assert.is(cstatus(p, 'app').restartCount, 0, 'no liveness probe (which would fail) before startup passed');
  assert.is(events('startup', /Liveness probe failed/).length, 0);
  rmSync(join(ctl, 'not-serving'));
  p = await until('startup', (x) => cstatus(x, 'app')?.started === true && cstatus(x, 'app').ready === true, 'started and ready');
  assert.is(cstatus(p, 'app').restartCount, 0);
  // now the liveness probe runs
  writeFileSync(join(ctl, 'not-serving.live'), '');
  await until('startup', (x) => cstatus(x, 'app')?.restartCount >= 1, 'a restart');
  assert.ok(events('startup', /Liveness probe failed: service unhealthy/).length >= 1);
  await k.delete(ns, 'startup', 0);
  rmSync(join(ctl, 'not-serving.live'));

  const failing = grpcPod('nostart', '    startupProbe: { grpc: { port: 9000 }, periodSeconds: 5, failureThreshold: 2 }');
  writeFileSync(join(failing.ctl, 'not-serving'), '');
  await k.apply(manifests(failing.yaml));
  await until('nostart', (x) => cstatus(x, 'app')?.restartCount >= 1, 'a restart');
  assert.ok(events('nostart', /Unhealthy: Startup probe failed: service unhealthy \(responded with "NOT_SERVING"\)/).length >= 1);
  assert.ok(events('nostart', /Killing: Container app failed startup probe, will be restarted/).length >= 1);
  await k.delete(ns, 'nostart', 0);
});

t('failures: an unknown service, a slow answer, a port nobody serves, a server without the health service', async () => {
  const k = node.kubelet;
  const unknown = grpcPod('unknown', '    readinessProbe: { grpc: { port: 9000, service: nope }, periodSeconds: 5 }');
  await k.apply(manifests(unknown.yaml));
  await eventOf('unknown', /Readiness probe failed: error: health rpc probe failed: rpc error: code = NotFound desc = unknown service/);
  assert.is(ready(k.get(ns, 'unknown')), false);
  await k.delete(ns, 'unknown', 0);

  const slow = grpcPod('slow', '    readinessProbe: { grpc: { port: 9000 }, periodSeconds: 50, timeoutSeconds: 1 }', "-d, '3'");
  await k.apply(manifests(slow.yaml));
  await eventOf('slow', /Readiness probe failed: timeout: health rpc did not complete within 1s/);
  assert.is(ready(k.get(ns, 'slow')), false);
  await k.delete(ns, 'slow', 0);

  // (directly: a memory pod's IP is not routable, and on a shared machine it may be someone else's)
  const free = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
  const started = Date.now();
  const closed = await grpcProbe('127.0.0.1', free, '', 1);
  assert.is(closed.ok, false);
  assert.match(closed.message, new RegExp(`^timeout: failed to connect service "127\\.0\\.0\\.1:${free}" within 1s`));
  assert.ok(Date.now() - started < 3000, 'gives up at the timeout');

  const http = createHttpServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  try {
    const r = await grpcProbe('127.0.0.1', (http.address() as AddressInfo).port, '', 1);
    assert.is(r.ok, false);
    assert.ok(r.message.length > 0, r.message);
  } finally {
    http.close();
  }
});

t('a probe leaves no connection behind: a server that accepts and never answers sees the socket closed at the timeout', async () => {
  let closedAt = 0;
  const mute = createServer((sock) => {
    sock.resume();
    sock.on('close', () => {
      closedAt = Date.now();
    });
  });
  await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
  try {
    const started = Date.now();
    const r = await grpcProbe('127.0.0.1', (mute.address() as AddressInfo).port, '', 1);
    assert.is(r.ok, false);
    assert.match(r.message, /^timeout: health rpc did not complete within 1s/);
    await sleep(200);
    assert.ok(
      closedAt > 0 && closedAt - started < 2500,
      `the probe's socket was closed right after its timeout (closed ${closedAt ? closedAt - started : 'never'} ms after start)`,
    );
  } finally {
    mute.close();
  }
});

t('the call as a gRPC server sees it: path, content-type, User-Agent kube-probe, a deadline; a trailers-only answer is read', async () => {
  let seen: Record<string, unknown> = {};
  const h2 = createHttp2Server((req, res) => {
    seen = { ...req.headers };
    res.writeHead(200, { 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown%20service' });
    res.end();
  });
  await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
  try {
    const r = await grpcProbe('127.0.0.1', (h2.address() as AddressInfo).port, 'my.Svc', 1);
    assert.equal(r, { ok: false, message: 'this server does not implement the grpc health protocol (grpc.health.v1.Health): unknown service' });
    assert.is(seen[':path'], '/grpc.health.v1.Health/Check');
    assert.is(seen['content-type'], 'application/grpc');
    assert.is(seen['user-agent'], 'kube-probe/1.37');
    assert.match(String(seen['grpc-timeout']), /^\d+m$/);
  } finally {
    h2.close();
  }
});

t.run();
