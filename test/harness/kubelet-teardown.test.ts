// Deleting a pod when the runtime fails part of the teardown: the kubelet tries again, as kubelet's
// pod worker re-syncs a terminating pod, and a retry that finds a container or sandbox already gone
// (NOT_FOUND) counts it as removed instead of failing the delete for ever.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { manifests, phase, testNode } from './helpers.js';

const t = suite('kubelet: teardown retries');
const W = 15_000;
const POD = (name: string) =>
  manifests(`
apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  containers: [{ name: c, image: busybox:1.36, command: [sh, -c, 'sleep 3600'] }]
`);

t('StopContainer failing once (a shim connection closing mid-kill) does not fail the delete', async () => {
  const node = await testNode({
    runtime: { type: 'memory', faults: [{ rpc: 'StopContainer', fail: { code: 'UNKNOWN', message: 'ttrpc: closed' }, times: 1 }] },
  });
  try {
    await node.kubelet.apply(POD('flaky-stop'));
    await node.kubelet.waitFor('default', 'flaky-stop', (p) => phase(p) === 'Running', W);
    await node.kubelet.delete('default', 'flaky-stop');
    assert.is(node.kubelet.list().length, 0);
    const left = await node.cri.runtime.listPodSandbox({});
    assert.equal(left.items, [], 'the sandbox is gone from the runtime');
  } finally {
    await node.cleanup();
  }
});

t('a retry that finds the container already removed with its sandbox counts it as removed', async () => {
  // First pass: RemoveContainer fails, RemovePodSandbox then removes the container with the sandbox.
  // Second pass: RemoveContainer answers NOT_FOUND for that container, which means done.
  const node = await testNode({ runtime: { type: 'memory', faults: [{ rpc: 'RemoveContainer', fail: { code: 'UNAVAILABLE' }, times: 1 }] } });
  try {
    await node.kubelet.apply(POD('flaky-remove'));
    await node.kubelet.waitFor('default', 'flaky-remove', (p) => phase(p) === 'Running', W);
    await node.kubelet.delete('default', 'flaky-remove');
    assert.is(node.kubelet.list().length, 0);
    assert.equal((await node.cri.runtime.listContainers({})).containers, []);
    assert.equal((await node.cri.runtime.listPodSandbox({})).items, []);
  } finally {
    await node.cleanup();
  }
});

t('a runtime that keeps failing: the delete reports every error after its tries, and the pod stays', async () => {
  const node = await testNode({
    runtime: { type: 'memory', faults: [{ rpc: 'RemovePodSandbox', fail: { code: 'INTERNAL', message: 'disk on fire' }, times: 3 }] },
  });
  try {
    await node.kubelet.apply(POD('stuck'));
    await node.kubelet.waitFor('default', 'stuck', (p) => phase(p) === 'Running', W);
    const err = await node.kubelet.delete('default', 'stuck').then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err && /RemovePodSandbox.*INTERNAL: disk on fire/.test(err.message), String(err));
    assert.is(node.kubelet.list().length, 1, 'the harness keeps the pod it could not delete');
    await node.kubelet.delete('default', 'stuck');
    assert.is(node.kubelet.list().length, 0, 'the next delete finishes it once the runtime recovers');
  } finally {
    await node.cleanup();
  }
});

t.run();
