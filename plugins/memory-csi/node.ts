// Node service: stage, publish (real target paths on this host), unpublish, unstage, stats,
// expansion, inline ephemeral volumes, node info.
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  VolumeUsage_Unit as Unit,
  type NodeDefinition,
  type NodePublishVolumeRequest,
  type VolumeCapability,
  type VolumeCondition,
} from '../../interfaces/gen/csi/csi.js';
import { failedPrecondition, invalidArgument, notFound, outOfRange, resourceExhausted } from '../../interfaces/grpc/errors.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import { nodeCapabilities } from './capabilities.js';
import type { MemoryCsiDriver } from './driver.js';
import { bindMount, isMountPoint, mkParents, pathState, placeTarget, pruneOwnDirs, removeTarget, unmount, usage } from './host.js';
import type { VolumeRec } from './store.js';
import {
  absolutePath,
  capabilityKey,
  checkControllerPublished,
  checkNewTarget,
  checkStagedAt,
  checkTargetsGone,
  incompatibility,
  parseQuantity,
  repeatedStaging,
  repeatedTarget,
  required,
  validCapability,
  validRange,
} from '../../interfaces/csi/sdk/index.js';

/** volume_context key with which Kubernetes marks an inline ephemeral volume. */
export const EPHEMERAL_KEY = 'csi.storage.k8s.io/ephemeral';
/** Bytes per inode reported in stats (ext4's default ratio). */
const BYTES_PER_INODE = 16384n;

function createEphemeral(d: MemoryCsiDriver, req: NodePublishVolumeRequest, cap: VolumeCapability): VolumeRec {
  if (cap.block) throw invalidArgument('volume_capability: inline ephemeral volumes must use mount access');
  const size = req.volumeContext.size ? parseQuantity(req.volumeContext.size, 'volume_context.size') : d.defaultVolumeBytes;
  if (size > d.maxVolumeBytes) throw outOfRange(`volume_context.size ${size} is more than the largest volume this driver makes (${d.maxVolumeBytes} bytes)`);
  const available = d.store.availableBytes();
  if (size > available) throw resourceExhausted(`not enough capacity for inline volume ${req.volumeId} of ${size} bytes: ${available} available`);
  const seq = d.store.nextSeq();
  // The id comes from the CO and may hold any characters: the data directory gets a name of our own.
  const dataPath = d.dataPathFor('volumes', `ephemeral-${seq}`, false);
  d.newData(dataPath, false, size);
  const v: VolumeRec = {
    seq,
    id: req.volumeId,
    name: req.volumeId,
    capacity: size,
    nodeCapacity: size,
    accessType: 'mount',
    fsType: cap.mount?.fsType ?? '',
    parameters: {},
    createMutable: {},
    mutable: {},
    context: {},
    topology: [d.topology],
    ephemeral: true,
    dataPath,
    createdAt: new Date(),
    publications: new Map(),
    targets: new Map(),
  };
  d.store.volumes.add(v, ''); // an inline volume has no CreateVolume name: its id must not answer one
  d.store.goneEphemeral.delete(v.id);
  return v;
}

/** Condition as this node sees the volume at `path`. */
function nodeCondition(v: VolumeRec, path: string, used: bigint | undefined): VolumeCondition {
  if (v.condition) return v.condition;
  if (pathState(v.dataPath) === 'none') return { abnormal: true, message: `volume data is missing at ${v.dataPath}` };
  const how = v.targets.get(path)?.how ?? (v.staging?.path === path ? v.staging.how : undefined);
  if (pathState(path) === 'none') return { abnormal: true, message: `${path} no longer exists` };
  if (how === 'bind' && !isMountPoint(path)) return { abnormal: true, message: `${path} is no longer mounted` };
  if (used !== undefined && used > v.nodeCapacity) return { abnormal: true, message: `${used} bytes used, more than the volume's ${v.nodeCapacity} bytes` };
  return { abnormal: false, message: 'volume is healthy' };
}

export function nodeService(d: MemoryCsiDriver): ServiceImpl<typeof NodeDefinition> {
  const { store } = d;
  const localVolume = (id: string) => {
    const v = store.volumes.get(id);
    if (!v) throw notFound(`volume ${id} (volume_id) does not exist`);
    return v;
  };
  const isAt = (v: VolumeRec, path: string) => v.targets.has(path) || v.staging?.path === path;

  const service: ServiceImpl<typeof NodeDefinition> = {
    async nodePublishVolume(req, ctx) {
      await d.fault('NodePublishVolume', ctx, req.volumeId, d.nodeId);
      required(req.volumeId, 'volume_id');
      const target = absolutePath(req.targetPath, 'target_path');
      const cap = validCapability(req.volumeCapability, 'volume_capability');
      if (req.stagingTargetPath) absolutePath(req.stagingTargetPath, 'staging_target_path');
      const ephemeral = req.volumeContext[EPHEMERAL_KEY] === 'true';
      return store.exclusive([`volume ${req.volumeId}`, `target ${target}`], async () => {
        let v = store.volumes.get(req.volumeId);
        let created = false;
        if (ephemeral && v && !v.ephemeral) {
          throw invalidArgument(`volume_context marks ${req.volumeId} as an inline ephemeral volume, but it is a provisioned volume`);
        }
        if (ephemeral && !v) {
          v = createEphemeral(d, req, cap);
          created = true;
        }
        if (!v) throw notFound(`volume ${req.volumeId} (volume_id) does not exist`);
        try {
          const why = incompatibility(cap, v);
          if (why) throw failedPrecondition(`volume_capability exceeds the volume's capabilities: ${why}`);
          d.checkContext(v, req.volumeContext);
          const staging = req.stagingTargetPath;
          if (!v.ephemeral && d.stageUnstage) {
            if (!staging)
              throw failedPrecondition(
                'staging_target_path is not set but the plugin has STAGE_UNSTAGE_VOLUME: NodeStageVolume must succeed first and its path be passed',
              );
            checkStagedAt(v, staging);
          } else if (!v.ephemeral && d.strict) {
            checkControllerPublished(v, d.nodeId, 'NodePublishVolume');
          }

          const key = capabilityKey(cap);
          const existing = repeatedTarget(v, target, key, req.readonly, staging);
          if (existing) {
            // Same call again: OK — and if somebody took the target away meanwhile, put it back.
            const there = existing.how === 'bind' ? isMountPoint(target) : pathState(target) === 'symlink';
            if (!there) {
              const src = existing.how === 'bind' && v.staging?.how === 'bind' ? v.staging.path : v.dataPath;
              for (const dir of await placeTarget(existing.how, src, target, v.accessType === 'block', req.readonly)) store.ownDirs.add(dir);
            }
            return {};
          }
          checkNewTarget(store.volumes.values(), v, target, key, cap.accessMode!.mode);

          const how = await d.mechanism();
          const src = how === 'bind' && v.staging?.how === 'bind' ? v.staging.path : v.dataPath;
          for (const dir of await placeTarget(how, src, target, v.accessType === 'block', req.readonly)) store.ownDirs.add(dir);
          v.targets.set(target, { path: target, readonly: req.readonly, capability: cap, capabilityKey: key, stagingPath: staging, how });
          return {};
        } catch (err) {
          if (created) {
            d.dropVolume(v);
          }
          throw err;
        }
      });
    },

    async nodeUnpublishVolume(req, ctx) {
      await d.fault('NodeUnpublishVolume', ctx, req.volumeId, d.nodeId);
      required(req.volumeId, 'volume_id');
      const target = absolutePath(req.targetPath, 'target_path');
      return store.exclusive([`volume ${req.volumeId}`, `target ${target}`], async () => {
        const v = store.volumes.get(req.volumeId);
        if (!v) {
          if (store.goneEphemeral.has(req.volumeId)) return {};
          throw notFound(`volume ${req.volumeId} (volume_id) does not exist`);
        }
        const t = v.targets.get(target);
        if (!t) return {};
        await removeTarget(t.how, target);
        pruneOwnDirs(store.ownDirs, dirname(target));
        v.targets.delete(target);
        if (v.ephemeral && !v.targets.size) {
          d.dropVolume(v);
          store.goneEphemeral.add(v.id);
        }
        return {};
      });
    },

    async nodeGetVolumeStats(req, ctx) {
      await d.fault('NodeGetVolumeStats', ctx, req.volumeId, d.nodeId);
      required(req.volumeId, 'volume_id');
      required(req.volumePath, 'volume_path');
      const v = localVolume(req.volumeId);
      if (!isAt(v, req.volumePath)) throw notFound(`volume ${v.id} is not published or staged at volume_path ${req.volumePath}`);
      const total = v.nodeCapacity;
      if (v.accessType === 'block') {
        return { usage: [{ unit: Unit.BYTES, total }], volumeCondition: nodeCondition(v, req.volumePath, undefined) };
      }
      const u = usage(v.dataPath);
      const inodes = total / BYTES_PER_INODE > u.inodes ? total / BYTES_PER_INODE : u.inodes;
      return {
        usage: [
          { unit: Unit.BYTES, total, used: u.bytes, available: total > u.bytes ? total - u.bytes : 0n },
          { unit: Unit.INODES, total: inodes, used: u.inodes, available: inodes - u.inodes },
        ],
        volumeCondition: nodeCondition(v, req.volumePath, u.bytes),
      };
    },

    async nodeExpandVolume(req, ctx) {
      await d.fault('NodeExpandVolume', ctx, req.volumeId, d.nodeId);
      required(req.volumeId, 'volume_id');
      required(req.volumePath, 'volume_path');
      const range = validRange(req.capacityRange, 'capacity_range');
      const cap = req.volumeCapability ? validCapability(req.volumeCapability, 'volume_capability') : undefined;
      return store.exclusive([`volume ${req.volumeId}`], () => {
        const v = localVolume(req.volumeId);
        if (!isAt(v, req.volumePath)) throw notFound(`volume ${v.id} is not published or staged at volume_path ${req.volumePath}`);
        const why = cap && incompatibility(cap, v);
        if (why) throw invalidArgument(`volume_capability exceeds the volume's capabilities: ${why}`);
        const want = range?.required || (range?.limit && range.limit < v.capacity ? range.limit : v.capacity);
        if (want > v.capacity) {
          throw outOfRange(`capacity_range asks for ${want} bytes but volume ${v.id} has ${v.capacity}: ControllerExpandVolume must grow it first`);
        }
        if (want > v.nodeCapacity) v.nodeCapacity = want;
        return { capacityBytes: v.nodeCapacity };
      });
    },

    async nodeGetCapabilities(_req, ctx) {
      await d.fault('NodeGetCapabilities', ctx, d.nodeId);
      return { capabilities: nodeCapabilities(d.stageUnstage) };
    },

    async nodeGetInfo(_req, ctx) {
      await d.fault('NodeGetInfo', ctx, d.nodeId);
      return { nodeId: d.nodeId, maxVolumesPerNode: BigInt(d.maxVolumesPerNode), accessibleTopology: { segments: d.topology } };
    },
  };
  if (!d.stageUnstage) return service;

  return {
    ...service,
    async nodeStageVolume(req, ctx) {
      await d.fault('NodeStageVolume', ctx, req.volumeId, d.nodeId);
      required(req.volumeId, 'volume_id');
      const path = absolutePath(req.stagingTargetPath, 'staging_target_path');
      const cap = validCapability(req.volumeCapability, 'volume_capability');
      return store.exclusive([`volume ${req.volumeId}`], async () => {
        const v = d.volumeOrNotFound(req.volumeId);
        const why = incompatibility(cap, v);
        if (why) throw failedPrecondition(`volume_capability exceeds the volume's capabilities: ${why}`);
        d.checkContext(v, req.volumeContext);
        if (d.strict) checkControllerPublished(v, d.nodeId, 'NodeStageVolume');
        const key = capabilityKey(cap);
        if (repeatedStaging(v, path, key)) {
          if (v.staging.how === 'bind' && !isMountPoint(path)) await bindMount(v.dataPath, path, false);
          return {};
        }
        // The CO should have created the staging directory; if it did not, the driver makes it and removes it again.
        if (pathState(path) === 'none') {
          for (const dir of mkParents(path)) store.ownDirs.add(dir);
          mkdirSync(path);
          store.ownDirs.add(path);
        } else if (!statSync(path).isDirectory()) {
          throw failedPrecondition(`staging_target_path ${path} is not a directory`);
        }
        const how = v.accessType === 'mount' && (await d.mechanism()) === 'bind' ? 'bind' : 'record';
        try {
          if (how === 'bind') await bindMount(v.dataPath, path, false);
        } catch (err) {
          pruneOwnDirs(store.ownDirs, path);
          throw err;
        }
        v.staging = { path, capabilityKey: key, how };
        return {};
      });
    },

    async nodeUnstageVolume(req, ctx) {
      await d.fault('NodeUnstageVolume', ctx, req.volumeId, d.nodeId);
      required(req.volumeId, 'volume_id');
      const path = absolutePath(req.stagingTargetPath, 'staging_target_path');
      return store.exclusive([`volume ${req.volumeId}`], async () => {
        const v = d.volumeOrNotFound(req.volumeId);
        const st = v.staging;
        if (!st || st.path !== path) return {};
        if (d.strict) checkTargetsGone(v);
        if (st.how === 'bind') await unmount(path);
        pruneOwnDirs(store.ownDirs, path);
        v.staging = undefined;
        return {};
      });
    },
  };
}
