// The shared pod (shared-pod.ts: a PVC, init containers, a web server and its client) on every
// mixed combination of real and in-memory plugins, each through one line of triad.yaml changed
// from the stack's own file, with the same checks while it runs and the same "nothing left"
// checks after deletion:
//
//   runtime      network                         storage (class)
//   containerd   bridge CNI (containerd's)       memory CSI (memory)          harness-pod does hostPath
//   memory-cri   bridge CNI (real netns)         hostPath CSI (standard)
//   memory-cri   bridge CNI (real netns)         memory CSI (memory)
//   memory-cri   memory CNI (in process)         hostPath CSI (standard)
//   containerd   memory CNI (exec'd by a private containerd from its own conf dir)
//                                                hostPath CSI and memory CSI
//
// containerd takes its CNI network from its own conf_dir, so "containerd + memory CNI" is a
// PRIVATE containerd that the node starts from triad.yaml alone — runtime: { type: containerd,
// containerd: { sandboxImage, registry } } without an endpoint, network: { type: memory } — whose
// conf dir holds a conflist of the triad-memory plugin and whose bin dir holds its wrapper plus
// loopback (harness/private-containerd.ts); node.close() stops and removes it.
// memory-cni configures no interface: the pod IP is allocated and reported but not reachable,
// so that combination checks everything except the host reaching the pod IP.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hostLocalAllocations } from '../../plugins/bridge/index.js';
import { mountsUnder } from '../../plugins/containerd/index.js';
import { pidAlive } from '../../plugins/reference/proc.js';
import { deleteSharedPod, runSharedPod, type PodNet } from './shared-pod.js';
import { stackNode, testOrSkip, useStack, type StackNode } from './stack.js';

const t = suite('harness on the reference stack: the same pod on every mixed runtime / network / CSI combination');
const h = await useStack();
const it = testOrSkip(t, h);
const s = h.stack!;
const timings: string[] = [];

t.after(async () => {
  if (timings.length) console.log(`    (${timings.join('; ')})`);
  await h.release();
});

const MEMORY_IMAGE = 'busybox:1.36'; // memory-cri's own catalogue; containerd pulls from the local registry

const bridge = (): PodNet => ({
  what: 'the bridge CNI (host-local)',
  subnet: s.network.subnet,
  allocations: () => hostLocalAllocations(s.network.ipamDir, s.network.name),
  bridge: s.network.bridge,
  reachable: true,
});

/** Run the pod on a node from the stack's triad.yaml with `replace`d sections, then delete it and check. */
async function combo(
  name: string,
  replace: Parameters<typeof stackNode>[1],
  o: { image: string; storageClass: string; net: (node: StackNode) => PodNet },
): Promise<StackNode> {
  const started = Date.now();
  const node = await stackNode(s, replace);
  h.defer(() => node.cleanup());
  try {
    const run = await runSharedPod(node, {
      name,
      image: o.image,
      storageClass: o.storageClass,
      net: o.net(node),
      hostpathRoot: o.storageClass === 'standard' ? s.hostpath!.root : undefined,
    });
    await deleteSharedPod(node, run);
  } finally {
    await node.cleanup();
  }
  timings.push(`${name} ${Date.now() - started} ms`);
  return node;
}

it('containerd + bridge CNI + memory CSI', async () => {
  await combo('cd-bridge-memcsi', {}, { image: s.images!.busybox, storageClass: 'memory', net: bridge });
});

it('memory runtime + bridge CNI (a real netns per pod; the pod IP answers the host) + hostPath CSI', async () => {
  await combo('mem-bridge-hostpath', { runtime: { type: 'memory' } }, { image: MEMORY_IMAGE, storageClass: 'standard', net: bridge });
});

it('memory runtime + bridge CNI + memory CSI', async () => {
  await combo('mem-bridge-memcsi', { runtime: { type: 'memory' } }, { image: MEMORY_IMAGE, storageClass: 'memory', net: bridge });
});

it('memory runtime + memory CNI + hostPath CSI', async () => {
  const subnet = '10.231.0.0/24';
  await combo(
    'mem-memcni-hostpath',
    { runtime: { type: 'memory' }, network: { type: 'memory', subnet } },
    {
      image: MEMORY_IMAGE,
      storageClass: 'standard',
      net: (node) => ({
        what: 'the memory CNI',
        subnet,
        allocations: () => hostLocalAllocations(join(node.dir, 'network', 'ipam'), 'triad-memory'),
        reachable: false,
      }),
    },
  );
});

// ---- containerd + memory CNI: a private containerd from triad.yaml, exec'ing the triad-memory plugin ----

const memNet = { subnet: '10.232.0.0/24' };
/** runtime.type containerd WITHOUT endpoint: the node starts (and close() removes) its own containerd. */
const privateContainerd = () => ({
  runtime: { type: 'containerd', containerd: { sandboxImage: s.images!.pause, registry: s.registry!.host } },
  network: { type: 'memory', subnet: memNet.subnet },
});
const memCni = (node: StackNode): PodNet => ({
  what: 'the memory CNI (exec by a private containerd)',
  subnet: memNet.subnet,
  reachable: false,
  allocations: () => hostLocalAllocations(node.privateContainerd!.network.ipamDir!, node.privateContainerd!.network.name),
});

/** After node.cleanup(): its private containerd is stopped and its dir (under the node's) gone. */
function assertPrivateGone(node: StackNode): void {
  const p = node.privateContainerd;
  assert.ok(p, 'the node started a private containerd');
  assert.is(p!.network.type, 'memory');
  assert.not.ok(pidAlive(p!.pid), `containerd pid ${p!.pid} stopped`);
  assert.equal(mountsUnder(p!.dir), []);
  assert.not.ok(existsSync(p!.dir), `${p!.dir} removed`);
  assert.not.ok(existsSync(node.dir));
}

it('containerd + memory CNI + hostPath CSI', async () => {
  assertPrivateGone(await combo('cd-memcni-hostpath', privateContainerd(), { image: s.images!.busybox, storageClass: 'standard', net: memCni }));
});

it('containerd + memory CNI + memory CSI', async () => {
  const node = await combo('cd-memcni-memcsi', privateContainerd(), { image: s.images!.busybox, storageClass: 'memory', net: memCni });
  assertPrivateGone(node);
  assert.is(join(node.dir, 'containerd'), node.privateContainerd!.dir, 'under the kubelet state dir');
});

t.run();
