// Another client's pods in the runtime triad uses (containerd's k8s.io namespace, as a kubelet or
// a second triad harness leaves them): the harness kubelet neither lists, adopts, syncs nor
// removes them, and the CRI conformance run's leak check counts only its own. Every check is
// on those pods by id; afterwards they are still running, untouched.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { criSuite } from '../../conformance/cri/suite.js';
import { runSuites } from '../../conformance/runner/index.js';
import { parseManifests } from '../../harness/manifest/index.js';
import { INSTANCE, MANAGED } from '../../harness/kubelet/labels.js';
import { ContainerState, PodSandboxConfig, PodSandboxState } from '../../interfaces/gen/cri/api.js';
import { stackNode, testOrSkip, useStack } from './stack.js';

const t = suite("reference stack: another client's pods in the same runtime are left alone");
const h = await useStack();
const it = testOrSkip(t, h);
const s = h.stack!;
t.after(() => h.release());

interface Foreign {
  what: string;
  uid: string;
  sandbox: string;
  container: string;
}
const foreign: Foreign[] = [];

/** A pod as another client makes it: its own labels, a container sleeping. */
async function foreignPod(what: string, extraLabels: Record<string, string>): Promise<Foreign> {
  const c = h.client!;
  const uid = randomUUID();
  const name = `foreign-${foreign.length}`;
  const labels = { 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': 'kube-system', 'io.kubernetes.pod.uid': uid, ...extraLabels };
  const logDirectory = join(s.stateDir, 'pods', `${name}-${uid}`);
  mkdirSync(logDirectory, { recursive: true });
  const config = PodSandboxConfig.fromPartial({
    metadata: { name, uid, namespace: 'kube-system', attempt: 0 },
    hostname: name,
    logDirectory,
    labels,
    linux: {},
  });
  const { podSandboxId } = await c.runtime.runPodSandbox({ config });
  const f: Foreign = { what, uid, sandbox: podSandboxId, container: '' };
  foreign.push(f);
  h.defer(async () => {
    await c.runtime.stopPodSandbox({ podSandboxId });
    await c.runtime.removePodSandbox({ podSandboxId });
  });
  await c.image.pullImage({ image: { image: s.images!.busybox } });
  const { containerId } = await c.runtime.createContainer({
    podSandboxId,
    config: {
      metadata: { name: 'app', attempt: 0 },
      image: { image: s.images!.busybox },
      command: ['sleep', '3600'],
      logPath: 'app.log',
      labels: { ...labels, 'io.kubernetes.container.name': 'app' },
      linux: {},
    },
    sandboxConfig: config,
  });
  await c.runtime.startContainer({ containerId });
  f.container = containerId;
  return f;
}

async function assertUntouched(when: string): Promise<void> {
  for (const f of foreign) {
    const sb = await h.client!.runtime.podSandboxStatus({ podSandboxId: f.sandbox });
    assert.is(sb.status?.state, PodSandboxState.SANDBOX_READY, `${f.what}: sandbox ${f.sandbox} ${when}`);
    const ct = await h.client!.runtime.containerStatus({ containerId: f.container });
    assert.is(ct.status?.state, ContainerState.CONTAINER_RUNNING, `${f.what}: container ${f.container} ${when}`);
  }
}

it('set up: a kubelet-style pod and a pod of another triad harness (managed, another instance) are running', async () => {
  await foreignPod('a kubelet-style pod (no triad labels)', {});
  await foreignPod('a pod of another triad harness', { [MANAGED]: 'true', [INSTANCE]: 'another-harness' });
  await assertUntouched('after setup');
});

it('the harness kubelet on the same runtime: starts (adopting nothing), runs and deletes its own pod, closes; the foreign pods stay', async () => {
  const node = await stackNode(s);
  h.defer(() => node.cleanup());
  assert.equal(
    node.kubelet.list().map((p) => p.metadata.name),
    [],
    'nothing adopted at start',
  );
  await node.kubelet.apply(
    parseManifests(
      `
apiVersion: v1
kind: Pod
metadata: { name: own }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - { name: app, image: ${s.images!.busybox}, command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 0.2; done'] }
`,
      '(own)',
    ),
  );
  await node.kubelet.waitFor('default', 'own', (p) => p.status?.phase === 'Running', 60_000);
  await new Promise((r) => setTimeout(r, 1000)); // several relists (100 ms PLEG) with the foreign pods present
  assert.equal(
    node.kubelet.list().map((p) => p.metadata.name),
    ['own'],
    'the kubelet lists only its own pod',
  );
  await node.kubelet.delete('default', 'own', 0);
  await node.cleanup();
  await assertUntouched('after the harness node closed');
});

it('the CRI conformance suite on the same runtime: its leak check counts only its run, the foreign pods stay', async () => {
  const rep = await runSuites(
    [criSuite({ runtimeEndpoint: s.containerd!.endpoint, testImages: [s.images!.busybox, s.images!.pause], hostPortAddress: s.network.gateway })],
    { parallel: 4, timeoutMs: 60_000, handleSigint: false, focus: '^cri\\.(sandbox|container)\\.' },
  );
  const cases = rep.suites[0].cases;
  assert.ok(cases.filter((c) => c.status === 'passed').length >= 10, `${cases.length} cases ran`);
  const leak = cases.find((c) => c.id === 'cri.leak-check');
  assert.is(leak?.status, 'passed', leak?.failure?.message);
  await assertUntouched('after the conformance run');
});

t.run();
