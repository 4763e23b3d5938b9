// Each CSI service over a real unix socket with triad's client and serve(): a unary call per
// service, the server-streaming SnapshotMetadata RPC, secrets and wrappers on the wire.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import tmp from 'tmp';
import { join } from 'node:path';
import * as csi from '../../interfaces/gen/csi/csi.js';
import { CsiClient } from '../../interfaces/csi/client.js';
import { bind, serve, type RunningServer } from '../../interfaces/grpc/server.js';
import { RpcError, invalidArgument } from '../../interfaces/grpc/errors.js';

const t = suite('grpc: CSI over a unix socket');
let dir: tmp.DirResult;
let node: RunningServer;
let ctrl: RunningServer;
let client: CsiClient;

t.before(async () => {
  dir = tmp.dirSync({ unsafeCleanup: true });
  node = await serve(join(dir.name, 'node.sock'), [
    bind(csi.IdentityDefinition, { getPluginInfo: () => ({ name: 'test.csi.triad.dev', vendorVersion: '1.0.0' }), probe: () => ({ ready: true }) }),
    bind(csi.NodeDefinition, { nodeGetInfo: () => ({ nodeId: 'n1', maxVolumesPerNode: 16n, accessibleTopology: { segments: { zone: 'a' } } }) }),
  ]);
  ctrl = await serve(join(dir.name, 'ctrl.sock'), [
    bind(csi.ControllerDefinition, {
      createVolume: (req) => {
        if (!req.name) throw invalidArgument('name is required');
        if (req.name.length > 1000) throw invalidArgument(`name ${req.name} is too long`);
        return {
          volume: {
            volumeId: `v-${req.name}`,
            capacityBytes: req.capacityRange?.requiredBytes ?? 0n,
            volumeContext: { secretSeen: String(req.secrets.password === 'x') },
          },
        };
      },
    }),
    bind(csi.GroupControllerDefinition, {
      groupControllerGetCapabilities: () => ({
        capabilities: [{ rpc: { type: csi.GroupControllerServiceCapability_RPC_Type.CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT } }],
      }),
    }),
    bind(csi.SnapshotMetadataDefinition, {
      async *getMetadataAllocated(req) {
        for (let i = 0; i < 2; i++)
          yield {
            blockMetadataType: csi.BlockMetadataType.FIXED_LENGTH,
            volumeCapacityBytes: 1n << 30n,
            blockMetadata: [{ byteOffset: BigInt(i) * 4096n + req.startingOffset, sizeBytes: 4096n }],
          };
      },
    }),
  ]);
  client = new CsiClient(join(dir.name, 'node.sock'), { controllerEndpoint: `unix://${join(dir.name, 'ctrl.sock')}`, timeoutMs: 2000 });
  await client.waitForReady(2000);
});

t.after(async () => {
  client.close();
  await Promise.all([node.close(), ctrl.close()]);
  dir.removeCallback();
});

t('identity and node on the node endpoint', async () => {
  assert.is((await client.identity.getPluginInfo({})).name, 'test.csi.triad.dev');
  assert.is((await client.identity.probe({})).ready, true);
  const info = await client.node.nodeGetInfo({});
  assert.is(info.maxVolumesPerNode, 16n);
  assert.equal(info.accessibleTopology?.segments, { zone: 'a' });
});

t('controller on its own endpoint; secrets and int64 capacity on the wire', async () => {
  const r = await client.controller.createVolume({ name: 'pv1', capacityRange: { requiredBytes: 5n << 30n }, secrets: { password: 'x' } });
  assert.is(r.volume!.volumeId, 'v-pv1');
  assert.is(r.volume!.capacityBytes, 5n << 30n);
  assert.is(r.volume!.volumeContext.secretSeen, 'true');
  await client.controller.createVolume({}).then(
    () => assert.unreachable(),
    (e: RpcError) => {
      assert.is(e.codeName, 'INVALID_ARGUMENT');
      assert.match(e.message, /Controller\/CreateVolume on unix:\/\/.*ctrl\.sock: INVALID_ARGUMENT: name is required/);
    },
  );
  const caps = await client.groupController.groupControllerGetCapabilities({});
  assert.is(caps.capabilities[0].rpc!.type, csi.GroupControllerServiceCapability_RPC_Type.CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT);
});

t('unimplemented service methods answer UNIMPLEMENTED on either endpoint', async () => {
  await client.node.nodeStageVolume({ volumeId: 'v' }).then(
    () => assert.unreachable(),
    (e: RpcError) => assert.is(e.codeName, 'UNIMPLEMENTED'),
  );
  await client.controller.listVolumes({}).then(
    () => assert.unreachable(),
    (e: RpcError) => assert.is(e.codeName, 'UNIMPLEMENTED'),
  );
});

t('SnapshotMetadata server stream', async () => {
  const got: bigint[] = [];
  for await (const r of client.snapshotMetadata.getMetadataAllocated({ snapshotId: 's', startingOffset: 100n })) got.push(r.blockMetadata[0].byteOffset);
  assert.equal(got, [100n, 4196n]);
});

t('an error echoing a 128 KiB field still reaches the caller (cut short), not a deadline', async () => {
  const started = Date.now();
  const err = await client.controller.createVolume({ name: '\u00e9'.repeat(128 * 1024) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(err, RpcError);
  assert.is((err as RpcError).codeName, 'INVALID_ARGUMENT');
  assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
  assert.match((err as RpcError).details, /more characters cut\)$/);
});

t.run();
