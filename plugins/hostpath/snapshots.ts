// Controller service, snapshot half. A snapshot is a tar.gz archive of the volume directory cut
// when it is created, independent of its source: deleting the volume leaves it restorable.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { ControllerDefinition, Snapshot } from '../../interfaces/gen/csi/csi.js';
import { diskUsage, paginate, resourceExhausted, safeId, safeName, sameMap, timestamp } from '../../interfaces/csi/sdk/index.js';
import { alreadyExists, failedPrecondition } from '../../interfaces/grpc/errors.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import { archive, removeData } from './data.js';
import type { HostpathDriver } from './driver.js';
import type { SnapshotRec } from './state.js';

type SnapshotMethods = Pick<ServiceImpl<typeof ControllerDefinition>, 'createSnapshot' | 'deleteSnapshot' | 'listSnapshots'>;

export function snapshotMessage(s: SnapshotRec): DeepPartial<Snapshot> {
  return { snapshotId: s.id, sourceVolumeId: s.sourceVolumeId, sizeBytes: s.sizeBytes, creationTime: timestamp(new Date(s.createdAt)), readyToUse: true };
}

export function snapshotMethods(d: HostpathDriver): SnapshotMethods {
  const { state, locks } = d;
  return {
    async createSnapshot(req) {
      safeName(req.name, 'name');
      safeId(req.sourceVolumeId, 'source_volume_id');
      return locks.exclusive([`snapshot named ${req.name}`, `volume ${req.sourceVolumeId}`], async () => {
        const s = state.snapshots.named(req.name);
        if (s) {
          if (s.sourceVolumeId !== req.sourceVolumeId) {
            throw alreadyExists(`snapshot ${req.name} already exists as ${s.id} of volume ${s.sourceVolumeId}, not of ${req.sourceVolumeId}`);
          }
          if (!sameMap(s.parameters, req.parameters)) throw alreadyExists(`snapshot ${req.name} already exists as ${s.id} with different parameters`);
          return { snapshot: snapshotMessage(s) };
        }
        const v = d.volumeOrNotFound(req.sourceVolumeId, 'source_volume_id');
        const dir = d.volumeDir(v.id, 'source_volume_id');
        if (!existsSync(dir)) throw failedPrecondition(`volume ${v.id} has lost its directory ${dir}`);
        // The archive is at most about the data's size (gzip rarely grows it): refuse early when that cannot fit.
        const need = diskUsage(dir).bytes;
        const available = d.availableBytes();
        if (need > available) throw resourceExhausted(`not enough space to snapshot volume ${v.id}: ${need} bytes of data, ${available} available`);
        const id = `snap-${randomUUID()}`;
        const file = d.snapshotFile(id, 'snapshot_id');
        const rec: SnapshotRec = {
          seq: state.nextSeq(),
          id,
          name: req.name,
          sourceVolumeId: v.id,
          sizeBytes: v.capacity,
          archiveBytes: 0n,
          parameters: { ...req.parameters },
          createdAt: new Date().toISOString(),
        };
        try {
          rec.archiveBytes = await archive(dir, file);
          state.snapshots.add(rec);
          state.save();
        } catch (err) {
          state.snapshots.remove(rec);
          removeData(file);
          throw err;
        }
        return { snapshot: snapshotMessage(rec) };
      });
    },

    async deleteSnapshot(req) {
      safeId(req.snapshotId, 'snapshot_id');
      return locks.exclusive([`snapshot ${req.snapshotId}`], () => {
        const s = state.snapshots.get(req.snapshotId);
        if (!s) return {};
        removeData(d.snapshotPath(s.id)); // a symlink put in the archive's place is removed, not followed
        state.snapshots.remove(s);
        state.save();
        return {};
      });
    },

    async listSnapshots(req) {
      if (req.snapshotId) safeId(req.snapshotId, 'snapshot_id');
      if (req.sourceVolumeId) safeId(req.sourceVolumeId, 'source_volume_id');
      let all = [...state.snapshots.values()];
      if (req.snapshotId) all = all.filter((s) => s.id === req.snapshotId);
      if (req.sourceVolumeId) all = all.filter((s) => s.sourceVolumeId === req.sourceVolumeId);
      const { page, nextToken } = paginate('snapshots', all, req.maxEntries, req.startingToken);
      return { entries: page.map((s) => ({ snapshot: snapshotMessage(s) })), nextToken };
    },
  };
}
