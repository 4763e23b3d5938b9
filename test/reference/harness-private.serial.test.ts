// `runtime: { type: containerd }` WITHOUT an endpoint: startNode starts a private containerd from
// triad.yaml alone (runtime.containerd.sandboxImage/registry from the reference stack's own
// triad.yaml values), its CNI network from the `network` section, and node.close() removes it.
//
//   network cni     its own bridge conflist (plugins/bridge writeBridgeConfList: a bridge name
//                   and subnet of this file, host-local in a dir of this file): the bridge plugin
//                   creates the bridge for the first pod, close() deletes it
//   network memory  the triad-memory plugin exec'd by containerd (IP allocated, no interface)
//   two at once     distinct dirs, sockets, pids; each lists only its own pod; closing one leaves
//                   the other serving; a node asking for a dir in use is refused
//   keepPods        close keeps the instance running; the next node with that dir adopts it, and
//                   the kubelet adopts the pod
//   triad run       Ctrl-C while the pod runs, and while the private containerd starts: nothing left
// After every close: containerd and its shims stopped (by PID), no mount under its dir (rootfs,
// shm, netns), the dir removed, a bridge it created deleted, the pods' cgroups removed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseConfig } from '../../harness/config/config.js';
import { parseManifests } from '../../harness/manifest/index.js';
import { startNode, type Node } from '../../harness/node.js';
import { RECORD_FILE, removePrivateContainerd, type PrivateContainerdInfo } from '../../harness/private-containerd.js';
import { CriClient } from '../../interfaces/cri/client.js';
import { triadRoot } from '../../interfaces/util/root.js';
import { bridgePorts, hostLocalAllocations, linkExists, writeBridgeConfList } from '../../plugins/bridge/index.js';
import { mountsUnder } from '../../plugins/containerd/index.js';
import { findPids, pidAlive, waitFor } from '../../plugins/reference/proc.js';
import { pickExtraSubnet } from '../../plugins/reference/index.js';
import { deleteSharedPod, runSharedPod, type PodNet } from './shared-pod.js';
import { FAST_KUBELET, stackNode, testOrSkip, useStack } from './stack.js';

const t = suite('harness: a private containerd from triad.yaml (runtime.type containerd without endpoint)');
const h = await useStack();
const it = testOrSkip(t, h);
const s = h.stack!;
const timings: string[] = [];
const scratch: string[] = [];

t.after(async () => {
  if (timings.length) console.log(`    (${timings.join('; ')})`);
  await h.release();
  for (const d of scratch) {
    // a private containerd of a failed test still runs there: stop it before deleting anything
    await removePrivateContainerd(join(d, 'state', 'containerd')).catch((e: Error) => console.error(`(cleanup: ${e.message})`));
    if (mountsUnder(d).length) console.error(`(cleanup: mounts left under ${d}: ${mountsUnder(d).join(', ')}; not removing it)`);
    else rmSync(d, { recursive: true, force: true });
  }
});

const privateRuntime = () => ({ type: 'containerd', containerd: { sandboxImage: s.images!.pause, registry: s.registry!.host } });

/** A bridge network of this file: its own conflist, bridge name, subnet and host-local dir. */
async function ownBridge(tag: string): Promise<{ conflist: string; name: string; bridge: string; subnet: string; ipam: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'triad-private-net-'));
  scratch.push(dir);
  const name = `triad-private-${tag}-${process.pid}`;
  const bridge = `triadp${process.pid % 1_000_000}${tag}`;
  // seeded by the bridge name: the file's networks land apart, each on a /24 free right now
  const subnet = await pickExtraSubnet(bridge);
  const ipam = join(dir, 'ipam');
  const { path } = writeBridgeConfList(join(dir, 'net.d'), { name, bridge, subnet, dataDir: ipam });
  return { conflist: path, name, bridge, subnet, ipam };
}

/** pod<uid> cgroup dirs left anywhere under /sys/fs/cgroup (cgroupfs layout of kubelet.cgroupRoot kubepods). */
function podCgroupsOf(uid: string): string[] {
  const base = '/sys/fs/cgroup';
  const hierarchies = existsSync(join(base, 'cgroup.controllers')) ? [base] : readdirSync(base).map((c) => join(base, c));
  const out: string[] = [];
  for (const hier of hierarchies) {
    for (const parent of ['kubepods', 'kubepods/besteffort', 'kubepods/burstable']) {
      const d = join(hier, parent, `pod${uid}`);
      if (existsSync(d)) out.push(d);
    }
  }
  return out;
}

/** Everything of a closed private containerd is gone. */
async function assertGone(info: PrivateContainerdInfo, what: string, podUids: string[] = []): Promise<void> {
  const sock = info.endpoint.replace(/^unix:\/\//, '');
  assert.not.ok(pidAlive(info.pid), `${what}: containerd pid ${info.pid} stopped`);
  assert.equal(
    findPids((argv) => argv.includes(sock) || argv.some((a) => a.startsWith(info.dir + '/'))),
    [],
    `${what}: no process (daemon or shim) of ${info.dir}`,
  );
  assert.equal(mountsUnder(info.dir), [], `${what}: no mount under ${info.dir}`);
  assert.not.ok(readFileSync('/proc/mounts', 'utf8').includes(info.dir), `${what}: no mount of ${info.dir} anywhere (rootfs, shm, netns)`);
  assert.not.ok(existsSync(info.dir), `${what}: ${info.dir} removed`);
  for (const b of info.network.bridgesCreated) assert.not.ok(await linkExists(b), `${what}: bridge ${b} (created for its pods) deleted`);
  for (const uid of podUids) assert.equal(podCgroupsOf(uid), [], `${what}: cgroups of pod ${uid} removed`);
}

const SLEEPER = (name: string, image: string) => `
apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${image}
    command: [sh, -c, 'trap "exit 0" TERM; echo up; while true; do sleep 0.2; done']
`;

async function runSleeper(node: Node, name: string): Promise<{ uid: string; sandboxId: string }> {
  await node.kubelet.apply(parseManifests(SLEEPER(name, s.images!.busybox), `(${name})`));
  const pod = await node.kubelet.waitFor('default', name, (p) => p.status?.phase === 'Running', 60_000);
  return { uid: pod.metadata.uid!, sandboxId: node.kubelet.worker('default', name).sandboxId! };
}

it('network cni: a pod on a private containerd with its own bridge conflist; close deletes the bridge and everything else', async () => {
  const net = await ownBridge('a');
  assert.not.ok(await linkExists(net.bridge), `${net.bridge} does not exist yet`);
  const started = Date.now();
  const node = await stackNode(s, { runtime: privateRuntime(), network: { type: 'cni', config: net.conflist, binDirs: [s.network.sourceBinDir] } });
  h.defer(() => node.cleanup());
  const info = node.privateContainerd!;
  timings.push(`cni node up ${Date.now() - started} ms`);
  assert.ok(info, 'the node started a private containerd');
  assert.ok(pidAlive(info.pid), `containerd pid ${info.pid} runs`);
  assert.is(info.dir, join(node.dir, 'containerd'), 'under the kubelet state dir');
  assert.is(info.endpoint, `unix://${join(node.dir, 'containerd', 'containerd.sock')}`);
  assert.not.ok(info.adopted);
  assert.equal(info.network, { ...info.network, type: 'cni', name: net.name, bridgesCreated: [net.bridge] });
  assert.equal(readdirSync(info.network.confDir), ['10-' + net.name + '.conflist'], 'exactly the given conflist in its conf dir');
  assert.is((await node.cri.runtime.version({ version: 'v1' })).runtimeName, 'containerd');

  const podNet: PodNet = {
    what: `the private bridge ${net.bridge}`,
    subnet: net.subnet,
    allocations: () => hostLocalAllocations(net.ipam, net.name),
    bridge: net.bridge,
    reachable: true,
  };
  const run = await runSharedPod(node, {
    name: 'priv-bridge',
    image: s.images!.busybox,
    storageClass: 'standard',
    net: podNet,
    hostpathRoot: s.hostpath!.root,
  });
  assert.ok(await linkExists(net.bridge), 'the bridge plugin created the bridge for the pod');
  await deleteSharedPod(node, run);
  await node.cleanup();
  await assertGone(info, 'cni node', [run.uid]);
  assert.equal(hostLocalAllocations(net.ipam, net.name), [], 'no IP left allocated');
  timings.push(`cni node total ${Date.now() - started} ms`);
});

it("network memory: the triad-memory plugin exec'd by the private containerd; close leaves nothing", async () => {
  const started = Date.now();
  const subnet = '10.237.0.0/24';
  const node = await stackNode(s, { runtime: privateRuntime(), network: { type: 'memory', subnet } });
  h.defer(() => node.cleanup());
  const info = node.privateContainerd!;
  assert.is(info.network.type, 'memory');
  assert.equal(info.network.bridgesCreated, []);
  assert.ok(
    existsSync(join(info.network.binDir, 'triad-memory')) && existsSync(join(info.network.binDir, 'loopback')),
    'the triad-memory wrapper and loopback in its bin dir',
  );
  const podNet: PodNet = {
    what: 'the memory CNI (exec by containerd)',
    subnet,
    allocations: () => hostLocalAllocations(info.network.ipamDir!, info.network.name),
    reachable: false,
  };
  const run = await runSharedPod(node, { name: 'priv-memcni', image: s.images!.busybox, storageClass: 'memory', net: podNet });
  await deleteSharedPod(node, run);
  await node.cleanup();
  await assertGone(info, 'memory node', [run.uid]);
  timings.push(`memory node total ${Date.now() - started} ms`);
});

it('two private containerds at once do not collide; a node asking for a dir in use is refused', async () => {
  const net = await ownBridge('b');
  const started = Date.now();
  const [a, b] = await Promise.all([
    stackNode(s, { runtime: privateRuntime(), network: { type: 'memory', subnet: '10.238.0.0/24' } }),
    stackNode(s, { runtime: privateRuntime(), network: { type: 'cni', config: net.conflist, binDirs: [s.network.sourceBinDir] } }),
  ]);
  h.defer(() => a.cleanup());
  h.defer(() => b.cleanup());
  timings.push(`two nodes up at once ${Date.now() - started} ms`);
  const ia = a.privateContainerd!,
    ib = b.privateContainerd!;
  assert.is.not(ia.pid, ib.pid);
  assert.is.not(ia.endpoint, ib.endpoint);
  assert.is.not(ia.dir, ib.dir);
  assert.ok(pidAlive(ia.pid) && pidAlive(ib.pid));

  const [pa, pb] = await Promise.all([runSleeper(a, 'twin-a'), runSleeper(b, 'twin-b')]);
  const ids = async (n: Node) => (await n.cri.runtime.listPodSandbox({})).items.map((x) => x.id);
  assert.equal(await ids(a), [pa.sandboxId], 'A lists only its own sandbox');
  assert.equal(await ids(b), [pb.sandboxId], 'B lists only its own sandbox');
  assert.ok(a.kubelet.get('default', 'twin-a').status?.podIP?.startsWith('10.238.0.'));
  assert.ok((await bridgePorts(net.bridge)).length === 1, `B's pod on B's bridge ${net.bridge}`);

  // the same dir again (runtime.containerd.root = A's): refused, A untouched
  const err = await stackNode(s, {
    runtime: { ...privateRuntime(), containerd: { ...privateRuntime().containerd, root: ia.dir } },
    network: { type: 'memory' },
  }).then(
    (n) => {
      h.defer(() => n.cleanup());
      return undefined;
    },
    (e: Error) => e,
  );
  assert.ok(err, "a second node on A's dir is refused");
  assert.match(err!.message, /runtime\.containerd\.root: .*another node of this process/);
  assert.ok(pidAlive(ia.pid), 'A still runs');
  assert.is(a.kubelet.get('default', 'twin-a').status?.phase, 'Running');

  // closing A leaves B serving
  await a.cleanup();
  await assertGone(ia, 'node A', [pa.uid]);
  assert.ok(pidAlive(ib.pid), 'B still runs after A closed');
  assert.equal(await ids(b), [pb.sandboxId]);
  assert.is(b.kubelet.get('default', 'twin-b').status?.phase, 'Running');
  await b.cleanup();
  await assertGone(ib, 'node B', [pb.uid]);
  timings.push(`two nodes total ${Date.now() - started} ms`);
});

/** The stack's triad.yaml with a private runtime, as a config (and a file, for the CLI). */
function privateConfig(dir: string, network: object): { raw: Record<string, unknown>; file: string } {
  const raw = parseYaml(readFileSync(s.triadYaml, 'utf8')) as Record<string, unknown>;
  raw.runtime = privateRuntime();
  raw.network = network;
  raw.kubelet = { ...FAST_KUBELET, stateDir: join(dir, 'state') };
  const file = join(dir, 'triad.yaml');
  writeFileSync(file, stringifyYaml(raw));
  return { raw, file };
}

it('keepPods: close keeps the private containerd; the next node on the same dir adopts it and the pod', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'triad-private-keep-'));
  scratch.push(dir);
  const { raw } = privateConfig(dir, { type: 'memory', subnet: '10.239.0.0/24' });
  const cfg = parseConfig(raw, s.triadYaml);
  const first = await startNode(cfg, { keepPods: true });
  let second: Node | undefined;
  h.defer(async () => {
    await second?.close();
    await first.close();
  });
  const info = first.privateContainerd!;
  const p = await runSleeper(first, 'kept');
  assert.equal(await first.close(), []);
  assert.ok(pidAlive(info.pid), 'the private containerd keeps running');
  assert.is((JSON.parse(readFileSync(join(info.dir, RECORD_FILE), 'utf8')) as { owner: unknown }).owner, null, 'its record is released');

  second = await startNode(cfg);
  const again = second.privateContainerd!;
  assert.ok(again.adopted, 'adopted');
  assert.is(again.pid, info.pid, 'the same containerd');
  const pod = await second.kubelet.waitFor('default', 'kept', (x) => x.status?.phase === 'Running', 30_000);
  assert.is(pod.metadata.uid, p.uid, 'the kubelet adopted the same pod');
  assert.is(second.kubelet.worker('default', 'kept').sandboxId, p.sandboxId, 'with the same sandbox');
  assert.equal(await second.close(), []);
  await assertGone(info, 'adopted node', [p.uid]);
});

it('a kept instance whose config changed is cleaned up (its pods too) before a fresh start on the same root', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'triad-private-swap-'));
  scratch.push(dir);
  const root = join(dir, 'cd');
  const cfgFor = (state: string, network: object) => {
    const { raw } = privateConfig(dir, network);
    raw.runtime = { ...privateRuntime(), containerd: { ...privateRuntime().containerd, root } };
    raw.kubelet = { ...(raw.kubelet as object), stateDir: join(dir, state) };
    return parseConfig(raw, s.triadYaml);
  };
  const first = await startNode(cfgFor('s1', { type: 'memory', subnet: '10.239.0.0/24' }), { keepPods: true });
  h.defer(() => first.close());
  const old = first.privateContainerd!;
  assert.is(old.dir, root, 'runtime.containerd.root is its dir');
  const p = await runSleeper(first, 'swapped');
  assert.equal(await first.close(), []);
  assert.ok(pidAlive(old.pid), 'kept running');

  const net = await ownBridge('c');
  const second = await startNode(cfgFor('s2', { type: 'cni', config: net.conflist, binDirs: [s.network.sourceBinDir] }));
  h.defer(() => second.close());
  const now = second.privateContainerd!;
  assert.not.ok(now.adopted, 'not adopted: the network changed');
  assert.is.not(now.pid, old.pid);
  assert.not.ok(pidAlive(old.pid), 'the old containerd is stopped');
  assert.equal(podCgroupsOf(p.uid), [], 'the old pod is gone with it');
  assert.equal((await second.cri.runtime.listPodSandbox({})).items, [], 'the new instance starts empty');
  assert.equal(await second.close(), []);
  await assertGone(now, 'swapped node', [p.uid]);
});

// ---- triad run + Ctrl-C ----------------------------------------------------------------------

function triadRun(args: string[]): {
  child: ReturnType<typeof spawn>;
  out: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
} {
  const root = triadRoot();
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), 'run', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  h.defer(async () => {
    // a failed test: let it tear down (SIGINT), then make sure
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exit;
    clearTimeout(timer);
  });
  return { child, out: () => out, exit };
}

it('triad run: Ctrl-C while the pod runs tears down the pod and the private containerd', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'triad-private-run-'));
  scratch.push(dir);
  const { file } = privateConfig(dir, { type: 'memory', subnet: '10.240.0.0/24' });
  const pod = join(dir, 'pod.yaml');
  writeFileSync(pod, SLEEPER('ctrl-c', s.images!.busybox));
  const started = Date.now();
  const r = triadRun(['--config', file, pod, '--hold', '120s', '--timeout', '60s']);
  const m = await waitFor('the private containerd ready', () => r.out().match(/private containerd pid (\d+) ready .* at (unix:\/\/\S+)/) ?? undefined, {
    timeoutMs: 60_000,
    intervalMs: 100,
  });
  const cdDir = join(dir, 'state', 'containerd');
  const info = { pid: Number(m[1]), endpoint: m[2], dir: cdDir, network: { bridgesCreated: [] as string[] } } as unknown as PrivateContainerdInfo;
  assert.ok(pidAlive(info.pid));
  // the pod's app container runs (the pod table itself comes after --hold)
  const cri = new CriClient(info.endpoint, { timeoutMs: 5000 });
  try {
    await waitFor(
      'the pod running',
      async () => (await cri.runtime.listContainers({ filter: { state: { state: 1 } } })).containers.some((c) => c.metadata?.name === 'app'),
      { timeoutMs: 90_000, intervalMs: 200 },
    );
  } finally {
    cri.close();
  }
  r.child.kill('SIGINT');
  const ex = await r.exit;
  assert.equal(ex, { code: 130, signal: null }, r.out());
  assert.match(r.out(), /interrupted: tearing everything down/);
  await assertGone(info, 'triad run after Ctrl-C');
  timings.push(`triad run + Ctrl-C ${Date.now() - started} ms`);
});

it('triad run: Ctrl-C while the private containerd starts leaves nothing either', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'triad-private-run-'));
  scratch.push(dir);
  const { file } = privateConfig(dir, { type: 'memory', subnet: '10.240.0.0/24' });
  const pod = join(dir, 'pod.yaml');
  writeFileSync(pod, SLEEPER('early', s.images!.busybox));
  const cdDir = join(dir, 'state', 'containerd');
  const r = triadRun(['--config', file, pod]);
  // config.toml is written right before containerd is exec'd
  await waitFor('the private containerd starting', () => existsSync(join(cdDir, 'config.toml')), { timeoutMs: 30_000, intervalMs: 10 });
  r.child.kill('SIGINT');
  const ex = await r.exit;
  assert.ok(ex.signal === 'SIGINT' || ex.code === 130 || ex.code === 1, `ended by the interrupt: ${JSON.stringify(ex)}\n${r.out()}`);
  assert.match(r.out(), /SIGINT while the node starts: cleaning up/);
  assert.equal(
    findPids((argv) => argv.some((a) => a.startsWith(cdDir + '/'))),
    [],
    'no containerd (or shim) of its dir',
  );
  assert.equal(mountsUnder(cdDir), []);
  assert.not.ok(existsSync(cdDir), `${cdDir} removed`);
});

t.run();
