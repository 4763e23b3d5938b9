// ContainerConfig as kubelet builds it: with no runAsUser in the pod, the image's user goes to the
// runtime explicitly (uid, or name), so a pod that sets only runAsGroup never sends a group alone
// (which api.proto makes the runtime refuse).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pod } from '../../harness/api/types.js';
import { containerConfig } from '../../harness/kubelet/container-config.js';

const test = suite('kubelet: container config');

const pod = (sc: Record<string, unknown> = {}, psc: Record<string, unknown> = {}): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u1' },
    spec: { securityContext: psc, containers: [{ name: 'c', image: 'busybox', securityContext: sc }] },
  }) as unknown as Pod;
const sec = (p: Pod, imageUser?: { uid?: bigint; username?: string }) =>
  containerConfig(p, p.spec.containers[0], { attempt: 0, kind: 'app', volumePaths: new Map(), imageRef: 'sha256:x', imageUser }).linux!.securityContext!;

test('runAsGroup alone: the image uid is sent as runAsUser', () => {
  const s = sec(pod({ runAsGroup: 3000 }), { uid: 1000n });
  assert.equal(s.runAsUser, { value: 1000n });
  assert.equal(s.runAsGroup, { value: 3000n });
  assert.is(s.runAsUsername, '');
});

test('an image that names its user by name: runAsUsername', () => {
  const s = sec(pod({}, { runAsGroup: 3000 }), { username: 'app' });
  assert.is(s.runAsUser, undefined);
  assert.is(s.runAsUsername, 'app');
});

test("the pod's runAsUser wins over the image user", () => {
  const s = sec(pod({ runAsUser: 7 }), { uid: 1000n, username: 'app' });
  assert.equal(s.runAsUser, { value: 7n });
  assert.is(s.runAsUsername, '');
});

test('no user anywhere: nothing is sent', () => {
  const s = sec(pod(), undefined);
  assert.is(s.runAsUser, undefined);
  assert.is(s.runAsUsername, '');
});

test.run();
