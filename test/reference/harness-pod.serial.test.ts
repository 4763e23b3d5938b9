// The harness kubelet on the real reference stack (containerd + runc, the bridge CNI, the
// hostPath CSI driver daemon, images from the local registry): the shared pod (shared-pod.ts) from
// manifest to deletion, and deletion leaving nothing behind, each leftover checked by name.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../harness/config/config.js';
import { hostLocalAllocations } from '../../plugins/bridge/index.js';
import { deleteSharedPod, runSharedPod, type PodNet, type SharedPodRun } from './shared-pod.js';
import { stackNode, testOrSkip, useStack, type StackNode } from './stack.js';

const t = suite('harness on the reference stack: the shared pod with a PVC, init and app containers (containerd + bridge + hostPath)');
const h = await useStack();
const it = testOrSkip(t, h);
const s = h.stack!;
let node: StackNode | undefined;
let run: SharedPodRun | undefined;

t.after(async () => {
  await h.release();
});

const bridge = (): PodNet => ({
  what: 'the bridge CNI (host-local)',
  subnet: s.network.subnet,
  allocations: () => hostLocalAllocations(s.network.ipamDir, s.network.name),
  bridge: s.network.bridge,
  reachable: true,
});

it('triad.yaml of the stack: containerd, the bridge conflist, hostPath as the default class `standard`, memory as `memory`', () => {
  const cfg = loadConfig(s.triadYaml);
  assert.is(cfg.runtime.type, 'containerd');
  assert.is(cfg.network.type, 'cni');
  const hp = cfg.storage.drivers.find((d) => d.type === 'hostpath')!;
  assert.is(hp.endpoint, s.hostpath!.endpoint);
  assert.equal(
    cfg.storage.classes.map((c) => [c.name, c.driver, c.default]),
    [
      ['standard', hp.name, true],
      ['memory', 'memory.csi.triad.dev', false],
    ],
  );
});

it('two init containers, a hostPath PVC, two containers sharing it over localhost; pod IP on the bridge answers the host; CRI logs', async () => {
  // the image is pulled for real by this pod: remove it from containerd first
  await h.client!.image.removeImage({ image: { image: s.images!.busybox } }).catch(() => undefined);
  node = await stackNode(s);
  h.defer(() => node?.cleanup());
  run = await runSharedPod(node, { name: 'ref-pod', image: s.images!.busybox, storageClass: 'standard', net: bridge(), hostpathRoot: s.hostpath!.root });
  const pulled = node.kubelet.timeline('default', 'ref-pod').steps.filter((x) => x.name.startsWith('PullImage'));
  assert.equal(
    pulled.map((x) => [x.name, x.ok]),
    [[`PullImage ${s.images!.busybox}`, true]],
    'pulled once, from the local registry',
  );
  const st = node.kubelet.get('default', 'ref-pod').status!.containerStatuses;
  assert.ok(
    st.every((c) => c.containerID?.startsWith('containerd://') && c.image === s.images!.busybox),
    JSON.stringify(st),
  );
  console.log(`    (pod running and checked in ${Date.now() - run.startMs} ms)`);
});

it('deletion leaves no sandbox, container, netns, veth, IP allocation, mount, or CSI volume', async () => {
  assert.ok(run, 'the pod ran');
  const started = Date.now();
  await deleteSharedPod(node!, run!);
  console.log(`    (deleted and checked in ${Date.now() - started} ms)`);
  await node!.cleanup();
});

t.run();
