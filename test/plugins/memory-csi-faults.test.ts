// memory-csi fault injection over a real unix socket: rules from the options and setFaults(),
// failing with a code, matching targets by glob, limited uses, delays, and hangs that last until
// the caller's deadline — and a driver that keeps serving afterwards.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mountCap, startTestDriver, type TestDriver } from '../../plugins/memory-csi/testing.js';
import { fails } from '../helpers/rpc.js';

const t = suite('memory-csi: faults');
let h: TestDriver;
const calls: Array<{ rpc: string; code: number; ms: number }> = [];

t.before(async () => {
  h = await startTestDriver({
    faults: [{ rpc: 'CreateVolume', target: 'doomed-*', fail: { code: 'RESOURCE_EXHAUSTED', message: 'pool is on fire' } }],
    onCall: (rpc, code, ms) => calls.push({ rpc, code, ms }),
  });
});
t.after(async () => {
  await h?.close();
});

t('a rule from the options fails matching calls with its code and message, and only those', async () => {
  await fails(h.client.controller.createVolume({ name: 'doomed-1', volumeCapabilities: [mountCap()] }), 'RESOURCE_EXHAUSTED', /pool is on fire/);
  const ok = (await h.client.controller.createVolume({ name: 'fine', volumeCapabilities: [mountCap()] })).volume!;
  assert.ok(ok.volumeId);
  assert.is((await h.client.controller.listVolumes({})).entries.length, 1, 'the failed call created nothing');
  await h.client.controller.deleteVolume({ volumeId: ok.volumeId });
});

t('faults come before validation, match volume ids and node ids, and can be limited with times', async () => {
  h.driver.setFaults([
    { rpc: 'NodeGetInfo', fail: { code: 'UNAVAILABLE' }, times: 2 },
    { rpc: 'DeleteVolume', target: 'vol-*', fail: { code: 14 } },
    { rpc: 'ControllerPublishVolume', target: 'node-b', fail: { code: 'PERMISSION_DENIED', message: 'no access to node-b' } },
  ]);
  await fails(h.client.node.nodeGetInfo({}), 'UNAVAILABLE', /fault injected: NodeGetInfo failed/);
  await fails(h.client.node.nodeGetInfo({}), 'UNAVAILABLE');
  assert.is((await h.client.node.nodeGetInfo({})).nodeId, 'node-a', 'used up after two');
  await fails(h.client.controller.deleteVolume({ volumeId: 'vol-anything' }), 'UNAVAILABLE');
  await h.client.controller.deleteVolume({ volumeId: 'other' });
  await fails(h.client.controller.controllerPublishVolume({ volumeId: 'x', nodeId: 'node-b' }), 'PERMISSION_DENIED', /no access/);
  await fails(h.client.controller.controllerPublishVolume({ volumeId: 'x', nodeId: 'node-a' }), 'INVALID_ARGUMENT', /volume_capability/);
  h.driver.setFaults([]);
  await h.client.controller.deleteVolume({ volumeId: 'vol-anything' });
});

t('delayMs slows a NodePublishVolume down and it still succeeds', async () => {
  const v = (await h.client.controller.createVolume({ name: 'slow', volumeCapabilities: [mountCap()] })).volume!;
  await h.client.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId: 'node-a', volumeCapability: mountCap() });
  const staging = join(h.dir, 'staging');
  await h.client.node.nodeStageVolume({ volumeId: v.volumeId, stagingTargetPath: staging, volumeCapability: mountCap() });
  // matched by the volume's name although NodePublishVolume only carries its id
  h.driver.setFaults([{ rpc: 'NodePublishVolume', target: 'sl?w', delayMs: 300 }]);
  const target = join(h.dir, 'slow-target');
  const t0 = Date.now();
  await h.client.node.nodePublishVolume({ volumeId: v.volumeId, targetPath: target, stagingTargetPath: staging, volumeCapability: mountCap() });
  const took = Date.now() - t0;
  assert.ok(took >= 290, `took ${took} ms`);
  assert.ok(existsSync(target));
  const t1 = Date.now();
  await h.client.node.nodeUnpublishVolume({ volumeId: v.volumeId, targetPath: target });
  assert.ok(Date.now() - t1 < 290, 'other RPCs are not delayed');
  await h.client.node.nodeUnstageVolume({ volumeId: v.volumeId, stagingTargetPath: staging });
  await h.client.controller.controllerUnpublishVolume({ volumeId: v.volumeId, nodeId: 'node-a' });
  await h.client.controller.deleteVolume({ volumeId: v.volumeId });
  h.driver.setFaults([]);
});

t('hang: the call never answers; the client gets DEADLINE_EXCEEDED and the server lets go', async () => {
  h.driver.setFaults([{ rpc: 'CreateVolume', target: 'stuck', hang: true }]);
  calls.length = 0;
  const t0 = Date.now();
  await fails(h.client.controller.createVolume({ name: 'stuck', volumeCapabilities: [mountCap()] }, { timeoutMs: 250 }), 'DEADLINE_EXCEEDED');
  const took = Date.now() - t0;
  assert.ok(took >= 240 && took < 3000, `gave up after ${took} ms`);
  // the server side of the hung call ends with the deadline instead of lingering
  for (let i = 0; i < 50 && !calls.some((c) => c.rpc === 'Controller/CreateVolume'); i++) await new Promise((r) => setTimeout(r, 20));
  const hung = calls.find((c) => c.rpc === 'Controller/CreateVolume');
  assert.ok(hung, 'the hung call finished on the server');
  assert.is(hung!.code, 4);
  assert.ok(hung!.ms < 3000);
  // nothing was created, other names still work, and the driver answers normally
  const v = (await h.client.controller.createVolume({ name: 'not-stuck', volumeCapabilities: [mountCap()] })).volume!;
  assert.equal(
    (await h.client.controller.listVolumes({})).entries.map((e) => e.volume!.volumeId),
    [v.volumeId],
  );
  assert.is((await h.client.identity.probe({})).ready, true);
  await h.client.controller.deleteVolume({ volumeId: v.volumeId });
  h.driver.setFaults([]);
});

t('a hang on Probe looks like a dead plugin to a CO with a deadline', async () => {
  h.driver.setFaults([{ rpc: 'Probe', hang: true, times: 1 }]);
  await fails(h.client.identity.probe({}, { timeoutMs: 150 }), 'DEADLINE_EXCEEDED');
  assert.is((await h.client.identity.probe({})).ready, true, 'times: 1');
});

t.run();
