// Where a volume is in use — controller-published to nodes, staged and published on this node —
// and the spec's rules over it that every driver applies the same way: a repeated call with the
// same arguments answers as the first did, a different one is ALREADY_EXISTS, and a call out of
// order (publish before stage, controller-unpublish while the node still uses it) is
// FAILED_PRECONDITION.
import { alreadyExists, failedPrecondition, resourceExhausted } from '../../grpc/errors.js';
import { Mode, MULTI_TARGET_MODES } from './capability.js';

/** ControllerPublishVolume of a volume to one node. */
export interface PublicationRec {
  nodeId: string;
  readonly: boolean;
  /** The access mode it was published with. */
  mode: number;
  /** capabilityKey() of the volume_capability. */
  capabilityKey: string;
  publishContext: Record<string, string>;
}

/** NodeStageVolume on this node (a driver adds how it staged). */
export interface StagingUse {
  path: string;
  capabilityKey: string;
}

/** NodePublishVolume at one target path on this node (a driver adds how it published). */
export interface TargetUse {
  path: string;
  readonly: boolean;
  capabilityKey: string;
  stagingPath: string;
}

/** What a volume record carries for these rules. */
export interface VolumeUse {
  id: string;
  publications: Map<string, PublicationRec>;
  staging?: StagingUse;
  targets: Map<string, TargetUse>;
}

/** A volume known to be staged. */
export type Staged<V extends VolumeUse> = V & { staging: NonNullable<V['staging']> };

/**
 * ControllerPublishVolume for a node the volume is already published to: the first answer's
 * publish_context when capability and readonly match, ALREADY_EXISTS when not; undefined when
 * the volume is not published to that node yet.
 */
export function repeatedPublication(v: VolumeUse, nodeId: string, capabilityKey: string, readonly: boolean): Record<string, string> | undefined {
  const mine = v.publications.get(nodeId);
  if (!mine) return undefined;
  if (mine.capabilityKey === capabilityKey && mine.readonly === readonly) return mine.publishContext;
  throw alreadyExists(`volume ${v.id} is already published to node ${nodeId} with a different volume_capability or readonly flag`);
}

/** RESOURCE_EXHAUSTED when `nodeId` already has `max` volumes published (0: no limit). */
export function checkVolumesPerNode(volumes: Iterable<VolumeUse>, nodeId: string, max: number): void {
  if (max <= 0) return;
  let n = 0;
  for (const v of volumes) if (v.publications.has(nodeId)) n++;
  if (n >= max) throw resourceExhausted(`node ${nodeId} already has ${n} volumes published, its max_volumes_per_node`);
}

/**
 * ControllerUnpublishVolume from the nodes `from` while this node (`nodeId`) still has the volume
 * staged or published: FAILED_PRECONDITION, the node side must be undone first.
 */
export function checkNodeReleased(v: VolumeUse, nodeId: string, from: string[]): void {
  if (!from.includes(nodeId) || !v.publications.has(nodeId) || (!v.staging && !v.targets.size)) return;
  const where = v.targets.size ? `published at ${[...v.targets.keys()].join(', ')}` : `staged at ${v.staging!.path}`;
  throw failedPrecondition(
    `volume ${v.id} is still ${where} on node ${nodeId}: NodeUnpublishVolume and NodeUnstageVolume must succeed before ControllerUnpublishVolume`,
  );
}

/** FAILED_PRECONDITION unless the volume is controller-published to `nodeId` (`rpc` is the call that needs it). */
export function checkControllerPublished(v: VolumeUse, nodeId: string, rpc: string): void {
  if (!v.publications.has(nodeId)) {
    throw failedPrecondition(`volume ${v.id} is not controller-published to node ${nodeId}: ControllerPublishVolume must succeed before ${rpc}`);
  }
}

/**
 * NodeStageVolume for a volume already staged: true when at `path` with the same capability (the
 * repeat is OK), FAILED_PRECONDITION at another path (one staging path per node), ALREADY_EXISTS
 * with another capability; false when the volume is not staged.
 */
export function repeatedStaging<V extends VolumeUse>(v: V, path: string, capabilityKey: string): v is Staged<V> {
  if (!v.staging) return false;
  if (v.staging.path !== path) throw failedPrecondition(`volume ${v.id} is already staged at ${v.staging.path}; a volume has one staging_target_path per node`);
  if (v.staging.capabilityKey !== capabilityKey) throw alreadyExists(`volume ${v.id} is already staged at ${path} with a different volume_capability`);
  return true;
}

/** NodeUnstageVolume while the volume is still published on the node: FAILED_PRECONDITION. */
export function checkTargetsGone(v: VolumeUse): void {
  if (v.targets.size) {
    throw failedPrecondition(
      `volume ${v.id} is still published at ${[...v.targets.keys()].join(', ')}: every NodeUnpublishVolume must succeed before NodeUnstageVolume`,
    );
  }
}

/** NodePublishVolume needs the volume staged at `stagingPath`: FAILED_PRECONDITION otherwise. */
export function checkStagedAt<V extends VolumeUse>(v: V, stagingPath: string): asserts v is Staged<V> {
  if (v.staging?.path !== stagingPath) {
    throw failedPrecondition(
      `volume ${v.id} is not staged at ${stagingPath}${v.staging ? ` (it is staged at ${v.staging.path})` : ''}: NodeStageVolume must succeed first`,
    );
  }
}

/**
 * NodePublishVolume at a target the volume is already published at: the record when capability,
 * readonly and staging path match (the repeat is OK), ALREADY_EXISTS when not; undefined for a
 * new target.
 */
export function repeatedTarget<T extends TargetUse>(
  v: { id: string; targets: Map<string, T> },
  target: string,
  capabilityKey: string,
  readonly: boolean,
  stagingPath: string | undefined,
): T | undefined {
  const existing = v.targets.get(target);
  if (!existing) return undefined;
  if (existing.capabilityKey === capabilityKey && existing.readonly === readonly && existing.stagingPath === stagingPath) return existing;
  throw alreadyExists(`volume ${v.id} is already published at ${target} with a different volume_capability, readonly flag or staging_target_path`);
}

/**
 * A new target for `v`: FAILED_PRECONDITION when another volume is published there, when the
 * volume's other targets have another capability, or when its access mode allows one target.
 */
export function checkNewTarget(volumes: Iterable<VolumeUse>, v: VolumeUse, target: string, capabilityKey: string, mode: number): void {
  for (const o of volumes) if (o !== v && o.targets.has(target)) throw failedPrecondition(`target_path ${target} is already in use by volume ${o.id}`);
  const others = [...v.targets.values()];
  if (!others.length) return;
  if (others.some((t) => t.capabilityKey !== capabilityKey))
    throw failedPrecondition(`volume ${v.id} is already published at ${others[0].path} with a different volume_capability`);
  if (!MULTI_TARGET_MODES.has(mode))
    throw failedPrecondition(`volume ${v.id} is already published at ${others[0].path}; access mode ${Mode[mode]} allows one target path per node`);
}
