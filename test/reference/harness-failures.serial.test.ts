// The harness kubelet on the real reference stack when containers fail: restart policies
// (Always → CrashLoopBackOff with kubelet's growing backoff, OnFailure, Never), a failing init
// container, and a missing tag in the local registry (ErrImagePull → ImagePullBackOff). Every
// pod's deletion is then checked to leave nothing in containerd, the bridge or host-local.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pod } from '../../harness/api/types.js';
import { parseManifests } from '../../harness/manifest/index.js';
import { bridgePorts, hostLocalAllocations, links } from '../../plugins/bridge/index.js';
import { mountsUnder } from '../../plugins/containerd/index.js';
import { NS } from './shared-pod.js';
import { hostVeth, pathLeft, runtimeLeftovers, sandboxNetInfo, stackNode, testOrSkip, useStack, type StackNode } from './stack.js';

const t = suite('harness on the reference stack: restart policies, CrashLoopBackOff, ImagePullBackOff');
const h = await useStack();
const it = testOrSkip(t, h);
const s = h.stack!;
// kubelet's backoff scaled down: 10 s doubling to 300 s becomes 400 ms doubling to 1.6 s
const BACKOFF = { initialMs: 400, maxMs: 1600 };
const W = 30_000;
let node: StackNode;

t.before(async () => {
  if (!h.available) return;
  node = await stackNode(s, { kubelet: { backoff: BACKOFF } });
  h.defer(() => node.cleanup());
});
t.after(async () => {
  await h.release();
});

const yaml = (text: string) => parseManifests(text.replaceAll('IMAGE', s.images!.busybox), '(test)');
const cs = (p: Pod, c: string) => [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].find((x) => x.name === c)!;
const allocations = () => hostLocalAllocations(s.network.ipamDir, s.network.name);
const dump = (name: string) =>
  node.kubelet
    .events(NS, name)
    .map((e) => `  ${e.type} ${e.reason}: ${e.message}`)
    .join('\n');

async function waitPod(name: string, pred: (p: Pod) => boolean, timeoutMs = W): Promise<Pod> {
  try {
    return await node.kubelet.waitFor(NS, name, pred, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${JSON.stringify(node.kubelet.get(NS, name).status, null, 1)}\nevents:\n${dump(name)}`);
  }
}

/** What the pod holds while it exists, to check after deletion (its first container runs ≥ 1 s, so the sandbox is still up). */
interface Footprint {
  uid: string;
  ip?: string;
  netns?: string;
  veth?: string;
}

async function footprint(name: string): Promise<Footprint> {
  const w = node.kubelet.worker(NS, name);
  const ip = w.podIPs[0];
  const netns = w.sandboxId ? (await sandboxNetInfo(node, w.sandboxId)).netns : undefined;
  assert.ok(netns && pathLeft(netns), `${name}: the sandbox has a netns`);
  const veth = await hostVeth(netns!);
  assert.ok(veth && (await bridgePorts(s.network.bridge)).includes(veth), `${name}: its veth ${veth} is on ${s.network.bridge}`);
  assert.ok(ip && allocations().includes(ip), `${name}: host-local holds ${ip}`);
  assert.equal((await runtimeLeftovers(node, w.uid)).sandboxes, [w.sandboxId], `${name}: containerd lists its sandbox`);
  return { uid: w.uid, ip, netns, veth };
}

async function vethGone(f: Footprint): Promise<boolean> {
  return !(await links()).some((l) => l.ifname === f.veth);
}

/** Delete the pod, then check: nothing in containerd, no netns, no veth, no IP, no mount. */
async function deleteAndCheck(name: string, f: Footprint): Promise<void> {
  await node.kubelet.delete(NS, name, 0);
  assert.equal(await runtimeLeftovers(node, f.uid), { sandboxes: [], containers: [] }, `${name}: runtime lists nothing of the pod`);
  assert.not.ok(pathLeft(f.netns!), `${name}: netns ${f.netns} removed`);
  assert.ok(await vethGone(f), `${name}: veth ${f.veth} deleted`);
  assert.not.ok(allocations().includes(f.ip!), `${name}: host-local released ${f.ip}`);
  assert.equal(mountsUnder(node.dir), [], `${name}: no mount under the kubelet dir`);
}

it('restartPolicy Always + exit 1: restarts, CrashLoopBackOff, waits growing to the cap (0, 400, 800, 1600, 1600 ms)', async () => {
  const k = node.kubelet;
  await k.apply(
    yaml(`
apiVersion: v1
kind: Pod
metadata: { name: crasher }
spec: { containers: [{ name: c, image: IMAGE, command: [sh, -c, 'echo crashing attempt; exit 1'] }] }
`),
  );
  const f = await waitPod('crasher', (p) => !!p.status?.podIP).then(() => footprint('crasher'));
  const p = await waitPod('crasher', (x) => cs(x, 'c')?.restartCount >= 5 && cs(x, 'c').state.waiting?.reason === 'CrashLoopBackOff');
  assert.is(p.status!.phase, 'Running', 'restartPolicy Always keeps the phase Running');
  assert.is(cs(p, 'c').lastState.terminated?.exitCode, 1);
  assert.is(cs(p, 'c').lastState.terminated?.reason, 'Error');
  assert.match(cs(p, 'c').state.waiting!.message!, /^back-off \d+s restarting failed container=c pod=crasher_default\(/);
  assert.ok(k.events(NS, 'crasher').some((e) => e.reason === 'BackOff' && e.message === 'Back-off restarting failed container'));
  assert.match(await k.logs(NS, 'crasher', { previous: true }), /crashing attempt/);
  // the runtime's own start/exit times of each attempt (the timeline marks come from ContainerStatus)
  const runs = k
    .timeline(NS, 'crasher')
    .steps.filter((x) => x.name === 'c ran (exit 1)')
    .sort((a, b) => a.start - b.start);
  assert.ok(runs.length >= 6, `${runs.length} runs`);
  const gaps = runs.slice(1, 6).map((r, i) => r.start - (runs[i].start + runs[i].durationMs!));
  console.log(`    (waits between attempts: ${gaps.join(', ')} ms)`);
  // kubelet restarts after the first crash at once, then waits initial, 2×, 4× … up to max.
  // Each wait is at least its backoff (the harness measures from the runtime's finishedAt) plus
  // the detection and CreateContainer/StartContainer latency (~100-300 ms here).
  const want = [0, 400, 800, 1600, 1600];
  gaps.forEach((g, i) => {
    assert.ok(g >= want[i] - 20, `wait ${i} is ${g} ms, at least the backoff ${want[i]} ms (${gaps.join(', ')})`);
    assert.ok(g < want[i] + 1000, `wait ${i} is ${g} ms, not far above the backoff ${want[i]} ms (${gaps.join(', ')})`);
  });
  assert.ok(gaps[0] < gaps[1] && gaps[1] < gaps[2] && gaps[2] < gaps[3], `the backoff grows: ${gaps.join(', ')}`);
  // containerd keeps the current attempt and one previous one (for logs --previous), no more
  const { containers } = await runtimeLeftovers(node, f.uid);
  assert.ok(containers.length <= 2, `old attempts removed: ${containers.length} left`);
  await deleteAndCheck('crasher', f);
});

it('restartPolicy OnFailure: a failed attempt is restarted, a clean exit completes the pod and releases its IP', async () => {
  const k = node.kubelet;
  await k.apply(
    yaml(`
apiVersion: v1
kind: Pod
metadata: { name: retry }
spec:
  restartPolicy: OnFailure
  volumes: [{ name: scratch, emptyDir: {} }]
  containers:
  - name: c
    image: IMAGE
    volumeMounts: [{ name: scratch, mountPath: /scratch }]
    command: [sh, -c, 'if test -f /scratch/tried; then echo second attempt succeeds; exit 0; fi; touch /scratch/tried; echo first attempt fails; sleep 1; exit 1']
`),
  );
  const f = await waitPod('retry', (p) => !!p.status?.podIP).then(() => footprint('retry'));
  const p = await waitPod('retry', (x) => x.status?.phase === 'Succeeded');
  assert.is(cs(p, 'c').restartCount, 1);
  assert.is(cs(p, 'c').lastState.terminated?.exitCode, 1);
  assert.is(cs(p, 'c').state.terminated?.exitCode, 0);
  assert.is(cs(p, 'c').state.terminated?.reason, 'Completed');
  assert.match(await k.logs(NS, 'retry'), /second attempt succeeds/);
  assert.match(await k.logs(NS, 'retry', { previous: true }), /first attempt fails/);
  // a finished pod's sandbox is stopped: containerd ran CNI DEL, the IP is free again
  assert.not.ok(allocations().includes(f.ip!), `host-local released ${f.ip} when the pod completed`);
  assert.ok(await vethGone(f), `its veth ${f.veth} is gone when the pod completed`);
  await deleteAndCheck('retry', f);
});

it('restartPolicy OnFailure + exit 0 on the first run: Succeeded without a restart', async () => {
  await node.kubelet.apply(
    yaml(`
apiVersion: v1
kind: Pod
metadata: { name: once-ok }
spec: { restartPolicy: OnFailure, containers: [{ name: c, image: IMAGE, command: [sh, -c, 'echo fine; sleep 1'] }] }
`),
  );
  const f = await waitPod('once-ok', (p) => !!p.status?.podIP).then(() => footprint('once-ok'));
  const p = await waitPod('once-ok', (x) => x.status?.phase === 'Succeeded');
  assert.is(cs(p, 'c').restartCount, 0);
  await deleteAndCheck('once-ok', f);
});

it('restartPolicy Never: exit 3 → Failed with exit code 3, never restarted', async () => {
  await node.kubelet.apply(
    yaml(`
apiVersion: v1
kind: Pod
metadata: { name: fail-once }
spec: { restartPolicy: Never, containers: [{ name: c, image: IMAGE, command: [sh, -c, 'echo failing; sleep 1; exit 3'] }] }
`),
  );
  const f = await waitPod('fail-once', (p) => !!p.status?.podIP).then(() => footprint('fail-once'));
  const p = await waitPod('fail-once', (x) => x.status?.phase === 'Failed');
  const st = cs(p, 'c');
  assert.is(st.state.terminated?.exitCode, 3);
  assert.is(st.state.terminated?.reason, 'Error');
  assert.is(st.restartCount, 0);
  await new Promise((r) => setTimeout(r, 3 * BACKOFF.initialMs));
  assert.is(cs(node.kubelet.get(NS, 'fail-once'), 'c').restartCount, 0, 'still not restarted');
  assert.match(await node.kubelet.logs(NS, 'fail-once'), /failing/);
  await deleteAndCheck('fail-once', f);
});

it('restartPolicy Never + a failing init container: the pod fails and no app container is ever created', async () => {
  await node.kubelet.apply(
    yaml(`
apiVersion: v1
kind: Pod
metadata: { name: bad-init }
spec:
  restartPolicy: Never
  initContainers: [{ name: init, image: IMAGE, command: [sh, -c, 'echo init fails; sleep 1; exit 2'] }]
  containers: [{ name: app, image: IMAGE, command: [sh, -c, 'echo app must not run; sleep 3600'] }]
`),
  );
  const f = await waitPod('bad-init', (p) => !!p.status?.podIP).then(() => footprint('bad-init'));
  const p = await waitPod('bad-init', (x) => x.status?.phase === 'Failed');
  assert.is(cs(p, 'init').state.terminated?.exitCode, 2);
  assert.is(cs(p, 'init').restartCount, 0);
  assert.ok(!cs(p, 'app').state.running && !cs(p, 'app').state.terminated, JSON.stringify(cs(p, 'app').state));
  assert.not.ok(
    node.kubelet.timeline(NS, 'bad-init').steps.some((x) => x.name === 'CreateContainer app'),
    'app never created',
  );
  const { containers } = await runtimeLeftovers(node, f.uid);
  assert.is(containers.length, 1, 'only the init container exists in containerd');
  await deleteAndCheck('bad-init', f);
});

it('a tag missing from the local registry: ErrImagePull, then ImagePullBackOff; the pod stays Pending', async () => {
  const image = `${s.registry!.host}/busybox:no-such-tag-${process.pid}`;
  await node.kubelet.apply(
    parseManifests(
      `
apiVersion: v1
kind: Pod
metadata: { name: noimage }
spec: { containers: [{ name: c, image: ${image} }] }
`,
      '(test)',
    ),
  );
  const f = await waitPod('noimage', (p) => !!p.status?.podIP).then(() => footprint('noimage'));
  const first = await waitPod('noimage', (x) => cs(x, 'c')?.state.waiting?.reason === 'ErrImagePull');
  assert.match(cs(first, 'c').state.waiting!.message!, new RegExp(`Failed to pull image "${image.replaceAll('.', '\\.')}": .*not found`));
  const p = await waitPod('noimage', (x) => cs(x, 'c')?.state.waiting?.reason === 'ImagePullBackOff');
  assert.is(p.status!.phase, 'Pending');
  assert.match(cs(p, 'c').state.waiting!.message!, /^Back-off pulling image/);
  // the pulls really went to the registry and were retried after the backoff, each failing
  await waitPod('noimage', () => node.kubelet.timeline(NS, 'noimage').steps.filter((x) => x.name === `PullImage ${image}`).length >= 2);
  const pulls = node.kubelet.timeline(NS, 'noimage').steps.filter((x) => x.name === `PullImage ${image}`);
  assert.ok(
    pulls.every((x) => !x.ok && /not found/i.test(x.error ?? '')),
    JSON.stringify(pulls),
  );
  assert.ok(pulls[1].start - (pulls[0].start + pulls[0].durationMs!) >= BACKOFF.initialMs - 20, 'the retry waited for the backoff');
  assert.ok(node.kubelet.events(NS, 'noimage').some((e) => e.reason === 'BackOff' && e.message === `Back-off pulling image "${image}"`));
  assert.is((await node.cri.image.imageStatus({ image: { image } })).image, undefined, 'containerd has no such image');
  assert.not.ok(
    node.kubelet.timeline(NS, 'noimage').steps.some((x) => x.name.startsWith('CreateContainer')),
    'no container created',
  );
  await deleteAndCheck('noimage', f);
});

t.run();
