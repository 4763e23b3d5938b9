// The shared pod (a PVC, two init containers, a web server and its client), run through the
// harness kubelet on real plugins, and the checks that its deletion leaves nothing. Used by
// harness-pod (containerd + bridge + hostPath) and harness-combos (every mixed runtime /
// network / CSI combination), so every combination runs the SAME pod and the SAME checks; only
// what the network can honestly promise differs (PodNet).
//
// The pod: a PVC of the given storage class; two init containers that write /data/order in turn
// (the second fails unless the first ran and finished); two app containers sharing the volume:
// `web` serves /data/www with busybox httpd on 8080, `client` fetches from it over 127.0.0.1 and
// writes /data/www/client.txt, which the host then fetches through web on the pod IP.
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../../harness/api/types.js';
import { podCgroups } from '../../harness/kubelet/cgroups.js';
import { parseCriLog } from '../../harness/kubelet/logs.js';
import { parseManifests } from '../../harness/manifest/index.js';
import { contains, parseCidr, parseIp } from '../../interfaces/cni/index.js';
import { bridgePorts, links } from '../../plugins/bridge/index.js';
import { mountsUnder } from '../../plugins/containerd/index.js';
import { waitFor } from '../../plugins/reference/proc.js';
import { hostVeth, httpGet, pathLeft, runtimeLeftovers, sandboxNetInfo, type StackNode } from './stack.js';

export const NS = 'default';

/** What the pod's network is, and what it can promise. */
export interface PodNet {
  /** e.g. "bridge (CNI)" — for messages. */
  what: string;
  /** The pod IP must be inside this subnet. */
  subnet: string;
  /** Addresses the network's IPAM holds now (host-local and memory-cni keep one file per IP). */
  allocations(): string[];
  /** The bridge whose ports are the pods' host-side veths; none for a network without interfaces. */
  bridge?: string;
  /** The pod IP is configured on a real interface: the host reaches it. */
  reachable: boolean;
}

export interface SharedPodOptions {
  name: string;
  image: string;
  storageClass: string;
  net: PodNet;
  /** The root of the hostPath driver's volumes, when the class is on it. */
  hostpathRoot?: string;
  timeoutMs?: number;
}

/** What a run saw, so that the deletion checks know exactly what to look for. */
export interface SharedPodRun {
  opts: SharedPodOptions;
  pod: Pod;
  uid: string;
  sandboxId: string;
  podIP: string;
  netns?: string;
  netnsReal: boolean;
  /** The host end of the pod's veth (bridge networks). */
  veth?: string;
  claim: string;
  driver: string;
  volumeId: string;
  targetPath: string;
  stagingPath?: string;
  logDir: string;
  startMs: number;
}

export function sharedPodYaml(o: { name: string; image: string; storageClass: string }): string {
  const mount = '[{ name: data, mountPath: /data }]';
  return `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: ${o.name}-data }
spec: { storageClassName: ${o.storageClass}, accessModes: [ReadWriteOnce], resources: { requests: { storage: 64Mi } } }
---
apiVersion: v1
kind: Pod
metadata: { name: ${o.name}, labels: { app: ${o.name} } }
spec:
  terminationGracePeriodSeconds: 5
  volumes: [{ name: data, persistentVolumeClaim: { claimName: ${o.name}-data } }]
  initContainers:
  - name: init-first
    image: ${o.image}
    command: [sh, -c, 'test ! -e /data/order && echo init-first >> /data/order && mkdir -p /data/www && echo "hello from ${o.name}" > /data/www/index.html && echo init-first done']
    volumeMounts: ${mount}
  - name: init-second
    image: ${o.image}
    command: [sh, -c, 'test "$(cat /data/order)" = init-first && echo init-second >> /data/order && echo init-second done']
    volumeMounts: ${mount}
  containers:
  - name: web
    image: ${o.image}
    command: [httpd, -f, -p, '8080', -h, /data/www]
    ports: [{ containerPort: 8080 }]
    volumeMounts: ${mount}
  - name: client
    image: ${o.image}
    command: [sh, -c, 'cat /data/order; echo app-started >> /data/order; until wget -q -O /data/fetched http://127.0.0.1:8080/index.html; do sleep 0.2; done; echo "fetched over localhost: $(cat /data/fetched)"; echo "client was here" > /data/www/client.txt; exec sleep 3600']
    volumeMounts: ${mount}
`;
}

const CRI_LOG_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([FP]) (.*)$/;

const status = (p: Pod, c: string) => [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].find((s) => s.name === c);

/** Apply the pod, wait until both app containers run and the client has fetched over localhost, and check what a running pod must show (init order, shared volume, pod IP, served file). */
export async function runSharedPod(node: StackNode, o: SharedPodOptions): Promise<SharedPodRun> {
  const k = node.kubelet;
  const timeoutMs = o.timeoutMs ?? 60_000;
  const startMs = Date.now();
  await k.apply(parseManifests(sharedPodYaml(o), `(${o.name})`));
  let pod: Pod;
  try {
    pod = await k.waitFor(NS, o.name, (p) => p.status?.phase === 'Running' && ['web', 'client'].every((c) => status(p, c)?.state.running), timeoutMs);
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\nevents:\n${k
        .events(NS, o.name)
        .map((e) => `  ${e.type} ${e.reason}: ${e.message}`)
        .join('\n')}`,
    );
  }
  const clientLog = await waitFor(
    `${o.name}: the client fetched from web over localhost`,
    async () => {
      const l = await k.logs(NS, o.name, { container: 'client' });
      return l.includes('fetched over localhost') ? l : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200 },
  );
  pod = k.get(NS, o.name);
  const uid = pod.metadata.uid!;
  const w = k.worker(NS, o.name);
  const sandboxId = w.sandboxId!;
  // what the runtime holds for the pod (so the "nothing left" check below can fail)
  const held = await runtimeLeftovers(node, uid);
  assert.equal(held.sandboxes, [sandboxId], 'the runtime lists the pod sandbox by its uid label');
  assert.is(held.containers.length, 4, 'two init + two app containers in the runtime');

  // init containers: both Completed, in order, before any app container started
  for (const c of ['init-first', 'init-second']) {
    const st = status(pod, c)!;
    assert.is(st.state.terminated?.exitCode, 0, `${c} exit code`);
    assert.is(st.state.terminated?.reason, 'Completed');
    assert.is(st.restartCount, 0, `${c} ran once`);
  }
  assert.match(await k.logs(NS, o.name, { container: 'init-first' }), /init-first done/);
  assert.match(await k.logs(NS, o.name, { container: 'init-second' }), /init-second done/);
  const steps = k.timeline(NS, o.name).steps;
  const start = (n: string) => steps.find((s) => s.name === `StartContainer ${n}`)!.start;
  const ranEnd = (n: string) => {
    const s = steps.find((x) => x.name.startsWith(`${n} ran (exit 0`))!;
    return s.start + (s.durationMs ?? 0);
  };
  assert.ok(ranEnd('init-first') <= start('init-second'), 'init-second started after init-first exited');
  assert.ok(ranEnd('init-second') <= Math.min(start('web'), start('client')), 'app containers started after init-second exited');
  // …and the app saw their work on the volume, in that order (stdout only: stderr is another
  // pipe, so its lines — wget's "connection refused" before web listens — interleave freely)
  const clientOut = parseCriLog(readFileSync(await k.logPath(NS, o.name, { container: 'client' }), 'utf8'))
    .filter((r) => r.stream === 'stdout')
    .map((r) => r.text);
  assert.equal(clientOut.slice(0, 2), ['init-first', 'init-second'], `the client read the init containers' order file first: ${JSON.stringify(clientLog)}`);
  assert.ok(clientOut.includes(`fetched over localhost: hello from ${o.name}`), JSON.stringify(clientOut));

  // the volume: a bound claim on the class's driver, provisioned, published with a real mount
  const claim = k.claims().find((c) => c.metadata.name === `${o.name}-data`)!;
  assert.is(claim.status?.phase, 'Bound');
  const rec = w.volumes.find((v) => v.name === 'data')!;
  assert.ok(rec && rec.kind === 'pvc' && rec.published, JSON.stringify(rec));
  const claimRec = k.volumes.claims.get(`${NS}/${o.name}-data`)!;
  const driver = k.volumes.driver(claimRec.driver);
  const listed = (await driver.client.controller.listVolumes({})).entries.map((e) => e.volume?.volumeId);
  assert.ok(listed.includes(rec.volumeId), `${driver.name} ListVolumes has ${rec.volumeId}`);
  assert.ok(mountsUnder(node.dir).includes(rec.hostPath), `the publish target ${rec.hostPath} is a mount`);
  if (o.hostpathRoot) {
    assert.ok(existsSync(join(o.hostpathRoot, 'volumes', rec.volumeId!)), 'the volume is a directory under the hostPath root');
    assert.is(
      readFileSync(join(o.hostpathRoot, 'volumes', rec.volumeId!, 'order'), 'utf8'),
      'init-first\ninit-second\napp-started\n',
      'the data is in the hostPath volume',
    );
  }

  // the network: an IP of the subnet that the IPAM holds, a netns, a veth on the bridge
  const podIP = pod.status!.podIP!;
  assert.ok(podIP && contains(parseCidr(o.net.subnet)!, parseIp(podIP)!), `pod IP ${podIP} is in ${o.net.what} subnet ${o.net.subnet}`);
  assert.ok(o.net.allocations().includes(podIP), `${o.net.what} IPAM holds ${podIP}`);
  const net = await sandboxNetInfo(node, sandboxId);
  const netnsReal = !!net.netns && pathLeft(net.netns);
  let veth: string | undefined;
  if (o.net.bridge) {
    assert.ok(netnsReal, `the sandbox has a real network namespace (${net.netns})`);
    veth = await hostVeth(net.netns!);
    assert.ok(veth, `eth0 in ${net.netns} is a veth with a host end`);
    assert.ok((await bridgePorts(o.net.bridge)).includes(veth!), `its host end ${veth} is a port of ${o.net.bridge}`);
  }
  if (o.net.reachable) {
    const index = await waitFor(`GET http://${podIP}:8080/index.html`, async () => httpGet(podIP, 8080, '/index.html', 2000).catch(() => undefined), {
      timeoutMs: 10_000,
      intervalMs: 200,
    });
    assert.is(index.status, 200);
    assert.is(index.body.trim(), `hello from ${o.name}`);
    const fromClient = await httpGet(podIP, 8080, '/client.txt');
    assert.is(fromClient.body.trim(), 'client was here', 'web serves what client wrote on the shared volume');
  }

  // logs: files on disk in the CRI format, under the pod's log directory
  const logPath = await k.logPath(NS, o.name, { container: 'client' });
  assert.ok(logPath.startsWith(w.logDirectory + '/'), `${logPath} under ${w.logDirectory}`);
  const lines = readFileSync(logPath, 'utf8').split('\n').filter(Boolean);
  assert.ok(lines.length >= 3, lines.join('\n'));
  for (const l of lines) {
    const m = CRI_LOG_LINE.exec(l);
    assert.ok(m, `CRI log line: ${JSON.stringify(l)}`);
    assert.ok(!Number.isNaN(Date.parse(m![1])), `timestamp ${m![1]}`);
  }
  assert.ok(
    lines.some((l) => / stdout F init-first$/.test(l)),
    `"<time> stdout F init-first" in ${logPath}`,
  );

  return {
    opts: o,
    pod,
    uid,
    sandboxId,
    podIP,
    netns: net.netns,
    netnsReal,
    veth,
    claim: `${o.name}-data`,
    driver: driver.name,
    volumeId: rec.volumeId!,
    targetPath: rec.hostPath,
    stagingPath: claimRec.stagingPath,
    logDir: w.logDirectory,
    startMs,
  };
}

/** Delete the pod and its claim, then check one by one that nothing of them is left. */
export async function deleteSharedPod(node: StackNode, r: SharedPodRun): Promise<void> {
  const k = node.kubelet;
  const o = r.opts;
  await k.delete(NS, o.name, 2);
  await k.deleteClaim(NS, r.claim);
  assert.throws(() => k.get(NS, o.name), /not found/);
  // the runtime: no sandbox, no container of the pod
  assert.equal(await runtimeLeftovers(node, r.uid), { sandboxes: [], containers: [] }, 'runtime lists nothing of the pod');
  // the network namespace
  if (r.netnsReal) assert.not.ok(pathLeft(r.netns!), `netns ${r.netns} removed`);
  // the veth
  if (r.veth) {
    assert.not.ok((await bridgePorts(o.net.bridge!)).includes(r.veth), `${r.veth} is no port of ${o.net.bridge} any more`);
    assert.not.ok(
      (await links()).some((l) => l.ifname === r.veth),
      `veth ${r.veth} deleted`,
    );
  }
  // the IP allocation
  assert.not.ok(o.net.allocations().includes(r.podIP), `${o.net.what} IPAM released ${r.podIP}`);
  // mounts: none under the kubelet dir, none under the hostPath root
  assert.equal(mountsUnder(node.dir), [], `no mount under the kubelet dir ${node.dir}`);
  assert.not.ok(existsSync(r.targetPath), 'publish target removed');
  if (r.stagingPath) assert.not.ok(existsSync(r.stagingPath), 'staging path removed');
  assert.not.ok(existsSync(join(node.dir, 'pods', r.uid)), 'pod dir removed');
  assert.not.ok(existsSync(r.logDir), 'pod log dir removed');
  // the pod cgroup (runc removed the containers' cgroups; the kubelet removes their parent)
  assert.equal(
    podCgroups(node.config.kubelet.cgroupRoot).filter((d) => d.endsWith(`/pod${r.uid}`)),
    [],
    'pod cgroup removed',
  );
  // the volume: deleted by the driver
  const d = k.volumes.driver(r.driver);
  const listed = (await d.client.controller.listVolumes({})).entries.map((e) => e.volume?.volumeId);
  assert.not.ok(listed.includes(r.volumeId), `${r.driver} ListVolumes no longer has ${r.volumeId}`);
  if (o.hostpathRoot) {
    assert.equal(mountsUnder(o.hostpathRoot), [], `no mount under the hostPath root ${o.hostpathRoot}`);
    assert.not.ok(existsSync(join(o.hostpathRoot, 'volumes', r.volumeId)), 'the hostPath volume directory is gone');
  }
  assert.equal(k.claims(), [], 'no claim left');
}
