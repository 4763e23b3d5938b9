// memory-csi Identity service and the driver's lifecycle, over a real unix socket: plugin info
// and naming rules, capabilities of every service, Probe, UNIMPLEMENTED for what is not offered,
// and close() leaving nothing behind.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ControllerServiceCapability_RPC_Type as Ctrl,
  GroupControllerServiceCapability_RPC_Type as Group,
  NodeServiceCapability_RPC_Type as Node,
  PluginCapability_Service_Type as Service,
  PluginCapability_VolumeExpansion_Type as Expansion,
} from '../../interfaces/gen/csi/csi.js';
import { CsiClient } from '../../interfaces/csi/client.js';
import { RpcError } from '../../interfaces/grpc/errors.js';
import { MemoryCsiDriver, serveMemoryCsi } from '../../plugins/memory-csi/index.js';
import { startTestDriver, type TestDriver } from '../../plugins/memory-csi/testing.js';
import { fails } from '../helpers/rpc.js';
import { userTempDir } from '../../interfaces/util/tmp.js';

const t = suite('memory-csi: identity');
let h: TestDriver;

t.before(async () => {
  h = await startTestDriver({ vendorVersion: '9.9.9' });
});
t.after(async () => {
  await h?.close();
});

t('GetPluginInfo names the driver and its version', async () => {
  const info = await h.client.identity.getPluginInfo({});
  assert.is(info.name, 'memory.csi.triad.dev');
  assert.is(info.vendorVersion, '9.9.9');
  assert.ok(['bind', 'symlink'].includes(info.manifest['publish-mechanism']));
});

t('driver names must follow the CSI naming rules', () => {
  for (const bad of ['-memory.csi', 'memory_csi', 'a'.repeat(64), 'trailing.', '']) {
    assert.throws(() => new MemoryCsiDriver({ name: bad, dataDir: join(h.dir, 'never') }), /naming rules/, bad);
  }
  const ok = new MemoryCsiDriver({ name: 'x.y-z9', dataDir: join(h.dir, 'ok') });
  assert.is(ok.name, 'x.y-z9');
  return ok.close();
});

t('GetPluginCapabilities: controller, topology, group controller, online expansion', async () => {
  const caps = (await h.client.identity.getPluginCapabilities({})).capabilities;
  const services = caps
    .filter((c) => c.service)
    .map((c) => c.service!.type)
    .sort();
  assert.equal(services, [Service.CONTROLLER_SERVICE, Service.VOLUME_ACCESSIBILITY_CONSTRAINTS, Service.GROUP_CONTROLLER_SERVICE]);
  assert.equal(
    caps.filter((c) => c.volumeExpansion).map((c) => c.volumeExpansion!.type),
    [Expansion.ONLINE],
  );
});

t('Probe answers ready, and not ready when told', async () => {
  assert.is((await h.client.identity.probe({})).ready, true);
  h.driver.setReady(false);
  assert.is((await h.client.identity.probe({})).ready, false);
  h.driver.setReady(true);
});

t('controller, node and group controller capabilities', async () => {
  const ctrl = (await h.client.controller.controllerGetCapabilities({})).capabilities.map((c) => c.rpc!.type);
  for (const c of [
    Ctrl.CREATE_DELETE_VOLUME,
    Ctrl.PUBLISH_UNPUBLISH_VOLUME,
    Ctrl.LIST_VOLUMES,
    Ctrl.LIST_VOLUMES_PUBLISHED_NODES,
    Ctrl.GET_CAPACITY,
    Ctrl.CREATE_DELETE_SNAPSHOT,
    Ctrl.LIST_SNAPSHOTS,
    Ctrl.CLONE_VOLUME,
    Ctrl.EXPAND_VOLUME,
    Ctrl.GET_VOLUME,
    Ctrl.VOLUME_CONDITION,
    Ctrl.SINGLE_NODE_MULTI_WRITER,
    Ctrl.PUBLISH_READONLY,
    Ctrl.MODIFY_VOLUME,
  ]) {
    assert.ok(ctrl.includes(c), `missing ${Ctrl[c]}`);
  }
  assert.not.ok(ctrl.includes(Ctrl.GET_SNAPSHOT), 'GET_SNAPSHOT is opt-in');
  const node = (await h.client.node.nodeGetCapabilities({})).capabilities.map((c) => c.rpc!.type).sort();
  assert.equal(node, [Node.STAGE_UNSTAGE_VOLUME, Node.GET_VOLUME_STATS, Node.EXPAND_VOLUME, Node.VOLUME_CONDITION, Node.SINGLE_NODE_MULTI_WRITER]);
  const group = (await h.client.groupController.groupControllerGetCapabilities({})).capabilities.map((c) => c.rpc!.type);
  assert.equal(group, [Group.CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT]);
});

t('what is not offered answers UNIMPLEMENTED', async () => {
  let err: unknown;
  try {
    for await (const _ of h.client.snapshotMetadata.getMetadataAllocated({ snapshotId: 'x' })) {
      /* nothing */
    }
  } catch (e) {
    err = e;
  }
  assert.instance(err, RpcError);
  assert.is((err as RpcError).codeName, 'UNIMPLEMENTED');
});

t('a driver without STAGE_UNSTAGE neither advertises nor implements it', async () => {
  const d = await startTestDriver({ stageUnstage: false });
  try {
    const node = (await d.client.node.nodeGetCapabilities({})).capabilities.map((c) => c.rpc!.type);
    assert.not.ok(node.includes(Node.STAGE_UNSTAGE_VOLUME));
    await fails(d.client.node.nodeStageVolume({ volumeId: 'v', stagingTargetPath: '/x' }), 'UNIMPLEMENTED');
  } finally {
    await d.close();
  }
});

t('GET_SNAPSHOT is advertised on request', async () => {
  const d = await startTestDriver({ advertiseGetSnapshot: true });
  try {
    const ctrl = (await d.client.controller.controllerGetCapabilities({})).capabilities.map((c) => c.rpc!.type);
    assert.ok(ctrl.includes(Ctrl.GET_SNAPSHOT));
  } finally {
    await d.close();
  }
});

t('serveMemoryCsi defaults: socket in a fresh data dir under tmp; close removes it all', async () => {
  const run = await serveMemoryCsi({ nodeId: 'n1' });
  const dataDir = run.driver.dataDir;
  assert.ok(dataDir.startsWith(join(userTempDir('triad-memory-csi'), 'memory.csi.triad.dev')), dataDir);
  assert.is(run.endpoint, `unix://${join(dataDir, 'csi.sock')}`);
  const c = new CsiClient(run.endpoint, { timeoutMs: 5000 });
  try {
    await c.waitForReady(5000);
    assert.is((await c.node.nodeGetInfo({})).nodeId, 'n1');
    await c.controller.createVolume({ name: 'v', volumeCapabilities: [{ mount: {}, accessMode: { mode: 1 } }] });
    assert.is(readdirSync(join(dataDir, 'volumes')).length, 1);
  } finally {
    c.close();
    await run.close();
  }
  assert.not.ok(existsSync(dataDir), 'data dir removed');
});

t('a caller-provided data dir that existed is kept; only what the driver made is removed', async () => {
  const mine = mkdtempSync(join(tmpdir(), 'memory-csi-own-'));
  try {
    const run = await serveMemoryCsi({ nodeId: 'n1', dataDir: mine, endpoint: join(mine, 'csi.sock') });
    const c = new CsiClient(run.endpoint, { timeoutMs: 5000 });
    await c.controller.createVolume({ name: 'v', volumeCapabilities: [{ mount: {}, accessMode: { mode: 1 } }] });
    c.close();
    await run.close();
    assert.ok(existsSync(mine));
    assert.equal(readdirSync(mine), []);
  } finally {
    rmSync(mine, { recursive: true, force: true });
  }
});

t.run();
