// Controller service, snapshot half. A snapshot is a real copy of the volume's data taken when it
// is cut, so it stays usable after its source volume is deleted (snapshots are independent).
import type { ControllerDefinition, Snapshot } from '../../interfaces/gen/csi/csi.js';
import { alreadyExists, invalidArgument, notFound, resourceExhausted } from '../../interfaces/grpc/errors.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import type { MemoryCsiDriver } from './driver.js';
import { copyData, dataBytes } from './host.js';
import type { SnapshotRec, VolumeRec } from './store.js';
import { paginate, required, sameMap, timestamp, validName } from '../../interfaces/csi/sdk/index.js';

type SnapshotMethods = Pick<ServiceImpl<typeof ControllerDefinition>, 'createSnapshot' | 'deleteSnapshot' | 'listSnapshots' | 'getSnapshot'>;

export function snapshotMessage(s: SnapshotRec): DeepPartial<Snapshot> {
  return {
    snapshotId: s.id,
    sourceVolumeId: s.sourceVolumeId,
    sizeBytes: s.sizeBytes,
    creationTime: timestamp(s.createdAt),
    readyToUse: true,
    groupSnapshotId: s.groupId,
  };
}

/** Cut a snapshot of `v` (RESOURCE_EXHAUSTED when its data does not fit). `name` is '' for group members. */
export async function cutSnapshot(
  d: MemoryCsiDriver,
  v: VolumeRec,
  name: string,
  parameters: Record<string, string>,
  groupId = '',
  at = new Date(),
): Promise<SnapshotRec> {
  const block = v.accessType === 'block';
  const size = dataBytes(v.dataPath, block);
  const available = d.store.availableBytes();
  if (size > available) throw resourceExhausted(`not enough space to snapshot volume ${v.id}: ${size} bytes of data, ${available} available`);
  const seq = d.store.nextSeq();
  const id = d.store.newSnapshotId(seq);
  const dataPath = d.dataPathFor('snapshots', id, block);
  await copyData(v.dataPath, dataPath, block);
  const rec: SnapshotRec = {
    seq,
    id,
    name,
    sourceVolumeId: v.id,
    sizeBytes: v.capacity,
    dataBytes: size,
    accessType: v.accessType,
    fsType: v.fsType,
    parameters: { ...parameters },
    groupId,
    dataPath,
    createdAt: at,
  };
  d.store.snapshots.add(rec);
  return rec;
}

export function snapshotMethods(d: MemoryCsiDriver): SnapshotMethods {
  const { store } = d;
  return {
    async createSnapshot(req, ctx) {
      await d.fault('CreateSnapshot', ctx, req.sourceVolumeId, req.name);
      validName(req.name, 'name');
      required(req.sourceVolumeId, 'source_volume_id');
      return store.exclusive([`snapshot named ${req.name}`, `volume ${req.sourceVolumeId}`], async () => {
        const s = store.snapshots.named(req.name);
        if (s) {
          if (s.sourceVolumeId !== req.sourceVolumeId) {
            throw alreadyExists(`snapshot ${req.name} already exists as ${s.id} of volume ${s.sourceVolumeId}, not of ${req.sourceVolumeId}`);
          }
          if (!sameMap(s.parameters, req.parameters)) throw alreadyExists(`snapshot ${req.name} already exists as ${s.id} with different parameters`);
          return { snapshot: snapshotMessage(s) };
        }
        const v = d.volumeOrNotFound(req.sourceVolumeId, 'source_volume_id');
        return { snapshot: snapshotMessage(await cutSnapshot(d, v, req.name, req.parameters)) };
      });
    },

    async deleteSnapshot(req, ctx) {
      await d.fault('DeleteSnapshot', ctx, req.snapshotId);
      required(req.snapshotId, 'snapshot_id');
      return store.exclusive([`snapshot ${req.snapshotId}`], () => {
        const s = store.snapshots.get(req.snapshotId);
        if (!s) return {};
        if (s.groupId) throw invalidArgument(`snapshot ${s.id} is part of group snapshot ${s.groupId}; delete the group with DeleteVolumeGroupSnapshot`);
        d.dropSnapshot(s);
        return {};
      });
    },

    async listSnapshots(req, ctx) {
      await d.fault('ListSnapshots', ctx, req.snapshotId, req.sourceVolumeId);
      let all = [...store.snapshots.values()];
      if (req.snapshotId) all = all.filter((s) => s.id === req.snapshotId);
      if (req.sourceVolumeId) all = all.filter((s) => s.sourceVolumeId === req.sourceVolumeId);
      const { page, nextToken } = paginate('snapshots', all, req.maxEntries, req.startingToken);
      return { entries: page.map((s) => ({ snapshot: snapshotMessage(s) })), nextToken };
    },

    async getSnapshot(req, ctx) {
      await d.fault('GetSnapshot', ctx, req.snapshotId);
      required(req.snapshotId, 'snapshot_id');
      const s = store.snapshots.get(req.snapshotId);
      if (!s) throw notFound(`snapshot ${req.snapshotId} (snapshot_id) does not exist`);
      return { snapshot: snapshotMessage(s) };
    },
  };
}
