// GroupController service: volume group snapshots — one snapshot per source volume, all cut in
// one go with the same creation time, created, fetched and deleted as a group.
import type { GroupControllerDefinition, VolumeGroupSnapshot } from '../../interfaces/gen/csi/csi.js';
import { alreadyExists, invalidArgument, notFound, resourceExhausted } from '../../interfaces/grpc/errors.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import { GROUP_CONTROLLER_CAPABILITIES } from './capabilities.js';
import type { MemoryCsiDriver } from './driver.js';
import { dataBytes } from './host.js';
import { cutSnapshot, snapshotMessage } from './snapshots.js';
import type { GroupRec } from './store.js';
import { required, sameMap, timestamp, validName } from '../../interfaces/csi/sdk/index.js';

const sameSet = (a: string[], b: string[]) => a.length === b.length && new Set([...a, ...b]).size === new Set(a).size;

export function groupControllerService(d: MemoryCsiDriver): ServiceImpl<typeof GroupControllerDefinition> {
  const { store } = d;
  const message = (g: GroupRec): DeepPartial<VolumeGroupSnapshot> => ({
    groupSnapshotId: g.id,
    snapshots: g.snapshotIds.map((id) => snapshotMessage(store.snapshots.get(id)!)),
    creationTime: timestamp(g.createdAt),
    readyToUse: true,
  });
  /** snapshot_ids, when the CO sends them, must be exactly the group's members. */
  const checkMembers = (g: GroupRec, ids: string[]) => {
    if (ids.length && !sameSet(ids, g.snapshotIds)) {
      throw invalidArgument(`snapshot_ids ${ids.join(', ')} do not match the members of group snapshot ${g.id}: ${g.snapshotIds.join(', ')}`);
    }
  };

  return {
    async groupControllerGetCapabilities(_req, ctx) {
      await d.fault('GroupControllerGetCapabilities', ctx);
      return { capabilities: GROUP_CONTROLLER_CAPABILITIES };
    },

    async createVolumeGroupSnapshot(req, ctx) {
      await d.fault('CreateVolumeGroupSnapshot', ctx, req.name, ...req.sourceVolumeIds);
      validName(req.name, 'name');
      if (!req.sourceVolumeIds.length) throw invalidArgument('source_volume_ids is required: give at least one volume');
      req.sourceVolumeIds.forEach((id, i) => required(id, `source_volume_ids[${i}]`));
      if (new Set(req.sourceVolumeIds).size !== req.sourceVolumeIds.length) throw invalidArgument('source_volume_ids lists a volume twice');
      return store.exclusive([`group snapshot named ${req.name}`, ...req.sourceVolumeIds.map((id) => `volume ${id}`)], async () => {
        const existing = store.groups.named(req.name);
        if (existing) {
          if (!sameSet(existing.sourceVolumeIds, req.sourceVolumeIds) || !sameMap(existing.parameters, req.parameters)) {
            throw alreadyExists(`group snapshot ${req.name} already exists as ${existing.id} with different source_volume_ids or parameters`);
          }
          return { groupSnapshot: message(existing) };
        }
        const volumes = req.sourceVolumeIds.map((id, i) => d.volumeOrNotFound(id, `source_volume_ids[${i}]`));
        const need = volumes.reduce((n, v) => n + dataBytes(v.dataPath, v.accessType === 'block'), 0n);
        const available = store.availableBytes();
        if (need > available) throw resourceExhausted(`not enough space for the group snapshot: ${need} bytes of data, ${available} available`);
        const id = store.newGroupId();
        const at = new Date();
        const cut: string[] = [];
        try {
          for (const v of volumes) cut.push((await cutSnapshot(d, v, '', req.parameters, id, at)).id);
        } catch (err) {
          for (const sid of cut) d.dropSnapshot(store.snapshots.get(sid)!);
          throw err;
        }
        const g: GroupRec = {
          id,
          name: req.name,
          sourceVolumeIds: [...req.sourceVolumeIds],
          parameters: { ...req.parameters },
          snapshotIds: cut,
          createdAt: at,
        };
        store.groups.add(g);
        return { groupSnapshot: message(g) };
      });
    },

    async deleteVolumeGroupSnapshot(req, ctx) {
      await d.fault('DeleteVolumeGroupSnapshot', ctx, req.groupSnapshotId);
      required(req.groupSnapshotId, 'group_snapshot_id');
      return store.exclusive([`group snapshot ${req.groupSnapshotId}`], () => {
        const g = store.groups.get(req.groupSnapshotId);
        if (!g) return {};
        checkMembers(g, req.snapshotIds);
        for (const sid of g.snapshotIds) {
          const s = store.snapshots.get(sid);
          if (s) d.dropSnapshot(s);
        }
        store.groups.remove(g);
        return {};
      });
    },

    async getVolumeGroupSnapshot(req, ctx) {
      await d.fault('GetVolumeGroupSnapshot', ctx, req.groupSnapshotId);
      required(req.groupSnapshotId, 'group_snapshot_id');
      const g = store.groups.get(req.groupSnapshotId);
      if (!g) throw notFound(`group snapshot ${req.groupSnapshotId} (group_snapshot_id) does not exist`);
      checkMembers(g, req.snapshotIds);
      return { groupSnapshot: message(g) };
    },
  };
}
