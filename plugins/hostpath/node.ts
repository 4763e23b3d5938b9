// Node service: NodeStageVolume bind-mounts the volume directory on the staging path,
// NodePublishVolume bind-mounts the staging path on the target (read-only when asked), and the
// unpublish/unstage calls unmount and remove those directories again. Real mounts only: without
// root the calls fail with FAILED_PRECONDITION saying so — no symlink stand-ins in this driver.
import { lstatSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { VolumeCapability_AccessMode_Mode as Mode, type NodeDefinition, type VolumeCondition } from '../../interfaces/gen/csi/csi.js';
import {
  bindMount,
  capabilityKey,
  checkControllerPublished,
  checkNewTarget,
  checkStagedAt,
  checkTargetsGone,
  directoryVolumeUsage,
  incompatibility,
  isMountPoint,
  outOfRange,
  outsideRoot,
  repeatedStaging,
  repeatedTarget,
  required,
  safeId,
  unmount,
  validCapability,
  validRange,
} from '../../interfaces/csi/sdk/index.js';
import { failedPrecondition, invalidArgument, notFound } from '../../interfaces/grpc/errors.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import { NODE_CAPABILITIES, SUPPORT } from './capabilities.js';
import type { HostpathDriver } from './driver.js';
import type { VolumeRec } from './state.js';

const READ_ONLY_MODES = new Set<number>([Mode.SINGLE_NODE_READER_ONLY, Mode.MULTI_NODE_READER_ONLY]);

/** Make `path` an empty directory to mount on; refuse anything else that is there (it is not ours to hide). */
function prepareMountDir(path: string, field: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    mkdirSync(path, { recursive: true });
    return;
  }
  if (!st.isDirectory()) throw failedPrecondition(`${field} ${path} exists and is not a directory`);
  if (isMountPoint(path)) throw failedPrecondition(`${field} ${path} is already a mount point of something else`);
  if (readdirSync(path).length) throw failedPrecondition(`${field} ${path} is not empty; refusing to mount over its files`);
}

/** Remove a directory we mounted on, if it is empty; gone already is fine (idempotent). */
function removeMountDir(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    /* absent, or holds something not ours: leave it */
  }
}

export function nodeService(d: HostpathDriver): ServiceImpl<typeof NodeDefinition> {
  const { state, locks } = d;
  /** volume_path of the stats / expand calls: where the volume is staged or published. */
  const isAt = (v: VolumeRec, path: string) => v.targets.has(path) || v.staging?.path === path;
  /**
   * The resolved volume_path where `v` is staged or published, else NOT_FOUND. Checked after the
   * volume lookup: an unknown volume is NOT_FOUND whatever the path looks like, and a relative
   * path names no place the volume was put, which is the error table's NOT_FOUND condition
   * (rule csi.node-get-volume-stats.unknown-volume-not-found).
   */
  const publishedAt = (v: VolumeRec, volumePath: string): string => {
    const path = isAbsolute(volumePath) ? resolve(volumePath) : '';
    if (!path || !isAt(v, path))
      throw notFound(`volume ${v.id} is not published or staged at volume_path ${volumePath}${path ? '' : ' (not an absolute path)'}`);
    return path;
  };
  const nodeCondition = (v: VolumeRec, path: string, used?: bigint): VolumeCondition => {
    const c = d.controllerCondition(v);
    if (c.abnormal) return c;
    const real = v.targets.get(path)?.realPath ?? v.staging?.realPath ?? path;
    if (!isMountPoint(real)) return { abnormal: true, message: `${path} is no longer mounted` };
    if (used !== undefined && used > v.nodeCapacity) return { abnormal: true, message: `${used} bytes used, more than the volume's ${v.nodeCapacity} bytes` };
    return { abnormal: false, message: 'volume is healthy' };
  };

  return {
    async nodeStageVolume(req) {
      safeId(req.volumeId, 'volume_id');
      const real = outsideRoot(req.stagingTargetPath, d.root, 'staging_target_path');
      const path = resolve(req.stagingTargetPath);
      const cap = validCapability(req.volumeCapability, 'volume_capability', SUPPORT);
      return locks.exclusive([`volume ${req.volumeId}`, `path ${path}`], async () => {
        const v = d.volumeOrNotFound(req.volumeId);
        const why = incompatibility(cap, { accessType: 'mount', fsType: v.fsType });
        if (why) throw failedPrecondition(`volume_capability exceeds the volume's capabilities: ${why}`);
        checkControllerPublished(v, d.nodeId, 'NodeStageVolume');
        const key = capabilityKey(cap);
        if (repeatedStaging(v, path, key)) {
          if (!isMountPoint(v.staging.realPath)) {
            // somebody unmounted it meanwhile: put it back
            d.requireRoot('NodeStageVolume');
            await bindMount(d.volumeDir(v.id, 'volume_id'), v.staging.realPath, false);
          }
          return {};
        }
        const dir = d.volumeDir(v.id, 'volume_id');
        try {
          if (!lstatSync(dir).isDirectory()) throw new Error();
        } catch {
          throw failedPrecondition(`volume ${v.id} has lost its directory ${dir}`);
        }
        d.requireRoot('NodeStageVolume');
        prepareMountDir(real, 'staging_target_path');
        try {
          await bindMount(dir, real, false);
          v.staging = { path, realPath: real, capabilityKey: key };
          state.save();
        } catch (err) {
          v.staging = undefined;
          await unmount(real).catch(() => undefined);
          removeMountDir(real);
          throw err;
        }
        return {};
      });
    },

    async nodeUnstageVolume(req) {
      safeId(req.volumeId, 'volume_id');
      outsideRoot(req.stagingTargetPath, d.root, 'staging_target_path');
      const path = resolve(req.stagingTargetPath);
      return locks.exclusive([`volume ${req.volumeId}`, `path ${path}`], async () => {
        const v = d.volumeOrNotFound(req.volumeId);
        const st = v.staging;
        if (!st || st.path !== path) return {};
        checkTargetsGone(v);
        await unmount(st.realPath);
        removeMountDir(st.realPath);
        v.staging = undefined;
        state.save();
        return {};
      });
    },

    async nodePublishVolume(req) {
      safeId(req.volumeId, 'volume_id');
      const real = outsideRoot(req.targetPath, d.root, 'target_path');
      const target = resolve(req.targetPath);
      // Argument errors before state errors (rule csi.error-scheme.argument-before-state): a missing
      // volume_capability is INVALID_ARGUMENT even when staging_target_path is missing too.
      const cap = validCapability(req.volumeCapability, 'volume_capability', SUPPORT);
      // CSI NodePublishVolume errors: "Staging target path not set" is FAILED_PRECONDITION (not
      // INVALID_ARGUMENT): the field is required only because of STAGE_UNSTAGE_VOLUME.
      if (!req.stagingTargetPath)
        throw failedPrecondition(
          'staging_target_path is not set, but this plugin has STAGE_UNSTAGE_VOLUME: NodeStageVolume must succeed first and its path be passed',
        );
      outsideRoot(req.stagingTargetPath, d.root, 'staging_target_path');
      const staging = resolve(req.stagingTargetPath);
      return locks.exclusive([`volume ${req.volumeId}`, `path ${target}`], async () => {
        const v = d.volumeOrNotFound(req.volumeId);
        const why = incompatibility(cap, { accessType: 'mount', fsType: v.fsType });
        if (why) throw failedPrecondition(`volume_capability exceeds the volume's capabilities: ${why}`);
        checkStagedAt(v, staging);
        const key = capabilityKey(cap);
        const mode = cap.accessMode!.mode;
        const ro = req.readonly || READ_ONLY_MODES.has(mode) || v.publications.get(d.nodeId)?.readonly === true;
        const existing = repeatedTarget(v, target, key, req.readonly, staging);
        if (existing) {
          if (!isMountPoint(existing.realPath)) {
            // taken away meanwhile: put it back
            d.requireRoot('NodePublishVolume');
            prepareMountDir(existing.realPath, 'target_path');
            await bindMount(v.staging.realPath, existing.realPath, existing.ro);
          }
          return {};
        }
        checkNewTarget(state.volumes.values(), v, target, key, mode);
        d.requireRoot('NodePublishVolume');
        prepareMountDir(real, 'target_path');
        try {
          await bindMount(v.staging.realPath, real, ro);
          v.targets.set(target, { path: target, realPath: real, readonly: req.readonly, ro, capabilityKey: key, stagingPath: staging });
          state.save();
        } catch (err) {
          v.targets.delete(target);
          await unmount(real).catch(() => undefined);
          removeMountDir(real);
          throw err;
        }
        return {};
      });
    },

    async nodeUnpublishVolume(req) {
      safeId(req.volumeId, 'volume_id');
      outsideRoot(req.targetPath, d.root, 'target_path');
      const target = resolve(req.targetPath);
      return locks.exclusive([`volume ${req.volumeId}`, `path ${target}`], async () => {
        const v = d.volumeOrNotFound(req.volumeId);
        const t = v.targets.get(target);
        if (!t) return {}; // never published there (or already undone): nothing of ours to unmount
        await unmount(t.realPath);
        removeMountDir(t.realPath);
        v.targets.delete(target);
        state.save();
        return {};
      });
    },

    async nodeGetVolumeStats(req) {
      safeId(req.volumeId, 'volume_id');
      required(req.volumePath, 'volume_path');
      const v = d.volumeOrNotFound(req.volumeId);
      const path = publishedAt(v, req.volumePath);
      const dir = d.volumeDir(v.id, 'volume_id');
      const cond = d.controllerCondition(v);
      if (cond.abnormal) return { usage: [], volumeCondition: cond };
      const { usage, usedBytes } = directoryVolumeUsage(dir, v.nodeCapacity);
      return { usage, volumeCondition: nodeCondition(v, path, usedBytes) };
    },

    async nodeExpandVolume(req) {
      safeId(req.volumeId, 'volume_id');
      required(req.volumePath, 'volume_path');
      const range = validRange(req.capacityRange, 'capacity_range');
      const cap = req.volumeCapability ? validCapability(req.volumeCapability, 'volume_capability', SUPPORT) : undefined;
      return locks.exclusive([`volume ${req.volumeId}`], () => {
        const v = d.volumeOrNotFound(req.volumeId);
        publishedAt(v, req.volumePath);
        const why = cap && incompatibility(cap, { accessType: 'mount', fsType: v.fsType });
        if (why) throw invalidArgument(`volume_capability exceeds the volume's capabilities: ${why}`);
        const want = range?.required || (range?.limit && range.limit < v.capacity ? range.limit : v.capacity);
        if (want > v.capacity)
          throw outOfRange(`capacity_range asks for ${want} bytes but volume ${v.id} has ${v.capacity}: ControllerExpandVolume must grow it first`);
        if (want > v.nodeCapacity) {
          v.nodeCapacity = want;
          state.save();
        }
        return { capacityBytes: v.nodeCapacity };
      });
    },

    nodeGetCapabilities: () => ({ capabilities: NODE_CAPABILITIES }),

    nodeGetInfo: () => ({ nodeId: d.nodeId, maxVolumesPerNode: BigInt(d.maxVolumesPerNode), accessibleTopology: { segments: d.topology } }),
  };
}
