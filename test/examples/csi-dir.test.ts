// examples/plugins/csi-dir: the CSI suite passes (Identity, Controller create/delete/validate,
// Node publish/unpublish/stats), and the inline ephemeral path the suite does not cover works:
// created by its first NodePublishVolume, gone after its last NodeUnpublishVolume.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { csiSuite } from '../../conformance/csi/suite.js';
import { CsiClient } from '../../interfaces/csi/client.js';
import { blockCapability, mountCapability } from '../../interfaces/csi/sdk/index.js';
import { RpcError } from '../../interfaces/grpc/errors.js';
import { DEFAULT_NAME, EPHEMERAL_KEY, serveCsiDir } from '../../examples/plugins/csi-dir/driver.js';
import { assertConformant, byId, runQuiet, tmp } from './helpers.js';

const test = suite('example: csi-dir');

async function withDriver(fn: (c: CsiClient, dir: string, endpoint: string) => Promise<void>): Promise<void> {
  const t = tmp('triad-ex-csi-');
  const server = await serveCsiDir(join(t.dir, 'csi.sock'), { root: join(t.dir, 'root'), nodeId: 'node-a' });
  const client = new CsiClient(server.endpoint.display);
  try {
    await fn(client, t.dir, server.endpoint.display);
  } finally {
    client.close();
    await server.close();
    t.cleanup();
  }
}

const code = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'OK';
  } catch (e) {
    return e instanceof RpcError ? e.codeName : String(e);
  }
};

test('the CSI suite passes: every case that applies, nothing left behind', async () => {
  await withDriver(async (_c, dir, endpoint) => {
    const rep = await runQuiet([csiSuite({ endpoint, stagingDir: join(dir, 'staging'), targetDir: join(dir, 'target') })]);
    assertConformant(rep, 40);
    for (const id of [
      'csi.controller.create-volume.idempotent',
      'csi.controller.create-volume.different-capacity-already-exists',
      'csi.node.lifecycle',
      'csi.node.publish-volume.readonly',
      'csi.node.get-volume-stats',
      'csi.node.unpublish-volume.unknown-volume',
      'csi.leak-check',
    ]) {
      assert.is(byId(rep, id)?.status, 'passed', id);
    }
    assert.is(byId(rep, 'csi.snapshots.create.basic')?.status ?? 'not-applicable', 'not-applicable', 'no snapshots advertised');
    assert.equal(readdirSync(join(dir, 'root', 'volumes')), [], 'every volume the suite made is deleted');
  });
});

test('an inline ephemeral volume lives from its NodePublishVolume to its NodeUnpublishVolume', async () => {
  await withDriver(async (c, dir) => {
    const parent = join(dir, 'pod', 'volumes');
    mkdirSync(parent, { recursive: true });
    const targetPath = join(parent, 'scratch');
    const publish = (volumeContext: Record<string, string>, volumeId = 'csi-eph-1') =>
      c.node.nodePublishVolume({ volumeId, targetPath, volumeCapability: mountCapability(), readonly: false, volumeContext });
    assert.is(await code(publish({})), 'NOT_FOUND', 'without the ephemeral marker an unknown volume is NOT_FOUND');
    await publish({ [EPHEMERAL_KEY]: 'true' });
    await publish({ [EPHEMERAL_KEY]: 'true' }); // idempotent
    assert.ok(lstatSync(targetPath).isSymbolicLink(), 'published as a symlink at the target');
    writeFileSync(join(targetPath, 'f'), 'data');
    assert.is(readFileSync(join(dir, 'root', 'volumes', 'csi-eph-1', 'data', 'f'), 'utf8'), 'data', 'writes land in the volume');
    const stats = await c.node.nodeGetVolumeStats({ volumeId: 'csi-eph-1', volumePath: targetPath });
    assert.ok(stats.usage[0].used >= 4n, 'stats count the file');
    await c.node.nodeUnpublishVolume({ volumeId: 'csi-eph-1', targetPath });
    assert.not.ok(existsSync(targetPath), 'target removed');
    assert.not.ok(existsSync(join(dir, 'root', 'volumes', 'csi-eph-1')), 'the ephemeral volume is deleted with its last publication');
    assert.is(await code(c.node.nodeUnpublishVolume({ volumeId: 'csi-eph-1', targetPath })), 'OK', 'a repeated NodeUnpublishVolume is still OK');
  });
});

test('a published claim volume cannot be deleted; the plugin names itself and advertises only what it does', async () => {
  await withDriver(async (c, dir) => {
    assert.is((await c.identity.getPluginInfo({})).name, DEFAULT_NAME);
    assert.is((await c.controller.controllerGetCapabilities({})).capabilities.length, 1, 'CREATE_DELETE_VOLUME only');
    const { volume } = await c.controller.createVolume({
      name: 'pvc-1',
      volumeCapabilities: [mountCapability()],
      capacityRange: { requiredBytes: 1024n ** 2n },
    });
    assert.is(volume!.capacityBytes, 1024n ** 2n);
    const targetPath = join(dir, 'target-1');
    await c.node.nodePublishVolume({ volumeId: volume!.volumeId, targetPath, volumeCapability: mountCapability(), readonly: false });
    assert.is(await code(c.controller.deleteVolume({ volumeId: volume!.volumeId })), 'FAILED_PRECONDITION');
    assert.is(
      await code(c.controller.createVolume({ name: 'pvc-2', volumeCapabilities: [blockCapability()] })),
      'INVALID_ARGUMENT',
      'block volumes are refused',
    );
    assert.is(
      await code(c.controller.controllerPublishVolume({ volumeId: volume!.volumeId, nodeId: 'node-a' })),
      'UNIMPLEMENTED',
      'what the driver leaves out is UNIMPLEMENTED',
    );
    await c.node.nodeUnpublishVolume({ volumeId: volume!.volumeId, targetPath });
    await c.controller.deleteVolume({ volumeId: volume!.volumeId });
  });
});

test.run();
