// What CSI cases share: the suite's options, the env discovered at setup (capabilities, node id),
// and a per-case kit — recording clients for the five services (every call lands in failure
// reports) and helpers that create volumes, snapshots, publications and staging/target paths
// with their undo steps registered, so nothing outlives the case.
import { mkdirSync, readdirSync, rmdirSync, lstatSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  ControllerDefinition,
  GroupControllerDefinition,
  IdentityDefinition,
  NodeDefinition,
  ControllerServiceCapability_RPC_Type as CtrlCap,
  GroupControllerServiceCapability_RPC_Type as GroupCap,
  NodeServiceCapability_RPC_Type as NodeCap,
  PluginCapability_Service_Type as ServiceCap,
  PluginCapability_VolumeExpansion_Type as ExpansionCap,
  VolumeCapability_AccessMode_Mode as Mode,
  type CreateVolumeRequest,
  type Snapshot,
  type Volume,
  type VolumeCapability,
} from '../../interfaces/gen/csi/csi.js';
import { CsiClient } from '../../interfaces/csi/client.js';
import type { PromiseClient } from '../../interfaces/grpc/client.js';
import { RpcError } from '../../interfaces/grpc/errors.js';
import type { DeepPartial, ServiceDef } from '../../interfaces/grpc/types.js';
import { expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseContext } from '../runner/context.js';
import { isGrpcCallOf, methodNames, recordedNames } from '../define.js';

export { Mode };
const GiB = 1024n ** 3n;

export interface CsiSuiteOptions {
  /** Node (and identity) endpoint: unix:///path, a socket path, or host:port. */
  endpoint: string;
  /** Controller endpoint when it is another one. */
  controllerEndpoint?: string;
  /** CO-created parent of staging paths; the suite makes one subdirectory per case there. */
  stagingDir: string;
  /** CO-created parent of target paths; one subdirectory per case. */
  targetDir: string;
  /** CreateVolume parameters (--test-volume-parameters). */
  parameters?: Record<string, string>;
  /**
   * Mutable parameters the driver supports (--test-volume-mutable-parameters): the ControllerModifyVolume
   * cases that need a valid modification use them, and are not applicable without them.
   */
  mutableParameters?: Record<string, string>;
  /** Size asked for by CreateVolume (default 1 GiB). */
  volumeSize?: bigint;
  /** Access type of test volumes (default mount). */
  accessType?: 'mount' | 'block';
  /** A node id the controller does not know, for NOT_FOUND checks (default: a made-up one). */
  unknownNodeId?: string;
  /** Per-call deadline when no case deadline applies, ms. */
  timeoutMs?: number;
}

export interface CsiEnv {
  opts: CsiSuiteOptions;
  /** Not recording: setup and leak checks. */
  client: CsiClient;
  pluginName: string;
  nodeId: string;
  size: bigint;
  /** Everything the run created, by id, so the leak check can look for it afterwards. */
  created: { volumes: Set<string>; snapshots: Set<string>; groups: Set<string> };
  capabilities: Set<string>;
  has(cap: string): boolean;
}

export const cap = {
  controller: (t: CtrlCap) => `controller:${CtrlCap[t]}`,
  node: (t: NodeCap) => `node:${NodeCap[t]}`,
  plugin: (t: ServiceCap) => `plugin:${ServiceCap[t]}`,
  group: (t: GroupCap) => `group:${GroupCap[t]}`,
  expansion: (t: ExpansionCap) => `expansion:${ExpansionCap[t]}`,
};
export const CONTROLLER = cap.plugin(ServiceCap.CONTROLLER_SERVICE);
export const CREATE_DELETE = cap.controller(CtrlCap.CREATE_DELETE_VOLUME);
export const PUBLISH_UNPUBLISH = cap.controller(CtrlCap.PUBLISH_UNPUBLISH_VOLUME);
export const LIST_VOLUMES = cap.controller(CtrlCap.LIST_VOLUMES);
export const SNAPSHOTS = cap.controller(CtrlCap.CREATE_DELETE_SNAPSHOT);
export const LIST_SNAPSHOTS = cap.controller(CtrlCap.LIST_SNAPSHOTS);
export const STAGE_UNSTAGE = cap.node(NodeCap.STAGE_UNSTAGE_VOLUME);
export { CtrlCap, NodeCap, ServiceCap, GroupCap, ExpansionCap, GiB };

/** "controller:LIST_VOLUMES" → why a case needing it does not apply. */
export function explainCapability(c: string): string {
  const [kind, name] = c.split(':');
  const where: Record<string, string> = {
    plugin: 'plugin capability (GetPluginCapabilities)',
    expansion: 'volume expansion capability (GetPluginCapabilities)',
    controller: 'controller capability (ControllerGetCapabilities)',
    node: 'node capability (NodeGetCapabilities)',
    group: 'group controller capability (GroupControllerGetCapabilities)',
  };
  return `the plugin does not advertise ${where[kind] ?? kind} ${name}`;
}

// ---- recording clients ----------------------------------------------------------------------

type Clients = {
  identity: PromiseClient<typeof IdentityDefinition>;
  controller: PromiseClient<typeof ControllerDefinition>;
  node: PromiseClient<typeof NodeDefinition>;
  group: PromiseClient<typeof GroupControllerDefinition>;
};

const rpcError = (e: unknown) => (e instanceof RpcError ? { code: e.code, name: e.codeName, message: e.details } : undefined);

function recording<D extends ServiceDef>(ctx: CaseContext, def: D, client: PromiseClient<D>): PromiseClient<D> {
  const service = def.fullName.split('.').pop();
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(def.methods)) {
    const m = def.methods[key];
    const fn = (client as Record<string, (req: unknown, o?: unknown) => unknown>)[key];
    if (m.requestStream || m.responseStream) {
      out[key] = fn;
      continue;
    }
    out[key] = (req: unknown = {}, o?: { timeoutMs?: number }) =>
      ctx.track(`${service}/${m.name}`, req, fn(req, { timeoutMs: ctx.deadlineMs(), ...o }) as Promise<unknown>, rpcError);
  }
  return out as PromiseClient<D>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retry a cleanup call a few times while the plugin answers ABORTED (an operation still pending). */
async function settle<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof RpcError) || e.codeName !== 'ABORTED' || i >= 5) throw e;
      await sleep(50 * (i + 1));
    }
  }
}

/** A cleanup tolerating NOT_FOUND: the thing is gone, which is what cleanup wanted. */
const gone = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof RpcError && e.codeName === 'NOT_FOUND')) throw e;
  }
};

/** Remove what the suite made under a CO directory: files/symlinks/empty dirs, never through a mount. */
function removeCoPath(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (st.isDirectory()) {
    for (const n of readdirSync(path)) removeCoPath(join(path, n));
    rmdirSync(path); // fails (and reports) if something is mounted or left inside
  } else if (st.isSymbolicLink() || st.size === 0) {
    unlinkSync(path);
  } else {
    throw new Error(`${path} holds data (${st.size} bytes); left in place`);
  }
}

/** parent/name, with name padded by '-x' characters so the path has at least `minBytes` bytes. */
function padded(parent: string, name: string, minBytes: number): string {
  const short = Buffer.byteLength(join(parent, name));
  return join(parent, short >= minBytes ? name : `${name}-${'x'.repeat(minBytes - short - 1)}`);
}

/** Every RPC of the four CSI services, by proto name: what a case may declare as its rpc. */
export const CSI_RPC_NAMES = methodNames(IdentityDefinition, ControllerDefinition, NodeDefinition, GroupControllerDefinition);
export type CsiRpc = (typeof CSI_RPC_NAMES)[number];

/** Every RPC of the four services as the coverage table names them ("Node/NodePublishVolume"). */
export const CSI_RPCS = recordedNames(IdentityDefinition, ControllerDefinition, NodeDefinition, GroupControllerDefinition);

export class CsiKit implements Clients {
  static readonly rpcNames = CSI_RPC_NAMES;
  static isCallOf = isGrpcCallOf;

  readonly identity: Clients['identity'];
  readonly controller: Clients['controller'];
  readonly node: Clients['node'];
  readonly group: Clients['group'];

  constructor(
    readonly ctx: CaseContext,
    readonly env: CsiEnv,
  ) {
    const c = env.client;
    this.identity = recording(ctx, IdentityDefinition, c.identity);
    this.controller = recording(ctx, ControllerDefinition, c.controller);
    this.node = recording(ctx, NodeDefinition, c.node);
    this.group = recording(ctx, GroupControllerDefinition, c.groupController);
  }

  has(c: string): boolean {
    return this.env.capabilities.has(c);
  }

  /** A volume capability of the suite's access type. */
  cap(mode: Mode = Mode.SINGLE_NODE_WRITER): DeepPartial<VolumeCapability> {
    return this.env.opts.accessType === 'block' ? { block: {}, accessMode: { mode } } : { mount: { fsType: '', mountFlags: [] }, accessMode: { mode } };
  }

  /** A full CreateVolume request with a fresh name; `over` replaces fields. */
  volumeRequest(over: DeepPartial<CreateVolumeRequest> = {}): DeepPartial<CreateVolumeRequest> {
    return {
      name: this.ctx.unique('vol'),
      volumeCapabilities: [this.cap()],
      capacityRange: { requiredBytes: this.env.size },
      parameters: { ...(this.env.opts.parameters ?? {}) },
      ...over,
    };
  }

  /** Register the deletion of a volume this case created (or may have created). */
  track(volumeId: string): void {
    this.env.created.volumes.add(volumeId);
    this.ctx.cleanup(() => settle(() => gone(this.env.client.controller.deleteVolume({ volumeId }))), `DeleteVolume ${volumeId}`);
  }

  /** CreateVolume that must succeed; the volume is deleted when the case ends. */
  async createVolume(over: DeepPartial<CreateVolumeRequest> = {}, rule: string = RULES.createOk): Promise<Volume> {
    const req = this.volumeRequest(over);
    const p = this.controller.createVolume(req);
    const res = await expectOk(p, { rule });
    const v = res.volume;
    if (!v?.volumeId) fail('CreateVolume answered without volume.volume_id', { rule: RULES.volumeId, call: p });
    this.track(v.volumeId);
    return v;
  }

  async createSnapshot(sourceVolumeId: string, name = this.ctx.unique('snap'), rule: string = RULES.snapshotOk): Promise<Snapshot> {
    const p = this.controller.createSnapshot({ name, sourceVolumeId, parameters: {} });
    const res = await expectOk(p, { rule });
    const s = res.snapshot;
    if (!s?.snapshotId) fail('CreateSnapshot answered without snapshot.snapshot_id', { rule: RULES.snapshotFields, call: p });
    this.trackSnapshot(s.snapshotId);
    return s;
  }

  trackSnapshot(snapshotId: string): void {
    this.env.created.snapshots.add(snapshotId);
    this.ctx.cleanup(() => settle(() => gone(this.env.client.controller.deleteSnapshot({ snapshotId }))), `DeleteSnapshot ${snapshotId}`);
  }

  /** ControllerPublishVolume to this node when the plugin has PUBLISH_UNPUBLISH_VOLUME; returns publish_context. */
  async controllerPublish(volumeId: string, readonly = false): Promise<Record<string, string>> {
    if (!this.has(PUBLISH_UNPUBLISH)) return {};
    const res = await expectOk(this.controller.controllerPublishVolume({ volumeId, nodeId: this.env.nodeId, volumeCapability: this.cap(), readonly }), {
      rule: RULES.publishOk,
    });
    this.ctx.cleanup(
      () => settle(() => gone(this.env.client.controller.controllerUnpublishVolume({ volumeId, nodeId: this.env.nodeId }))),
      `ControllerUnpublishVolume ${volumeId}`,
    );
    return res.publishContext;
  }

  /**
   * A fresh staging directory (the CO creates it: the spec says so), removed when the case ends;
   * its name is padded so the whole path has at least `minBytes` bytes.
   */
  stagingPath(minBytes = 0): string {
    const dir = padded(this.env.opts.stagingDir, this.ctx.unique('stage'), minBytes);
    mkdirSync(dir, { recursive: true });
    this.ctx.cleanup(() => removeCoPath(dir), `remove staging dir ${dir}`);
    return dir;
  }

  /** A target path whose parent exists (the CO's duty); the plugin creates the target itself. At least `minBytes` long. */
  targetPath(minBytes = 0): string {
    const parent = padded(this.env.opts.targetDir, this.ctx.unique('target'), minBytes - '/mnt'.length);
    mkdirSync(parent, { recursive: true });
    this.ctx.cleanup(() => removeCoPath(parent), `remove target parent ${parent}`);
    return join(parent, 'mnt');
  }

  /** NodeStageVolume (when advertised), with NodeUnstageVolume registered. Returns the staging path or ''. */
  async stage(volumeId: string, publishContext: Record<string, string>, volumeContext: Record<string, string> = {}, minPathBytes = 0): Promise<string> {
    if (!this.has(STAGE_UNSTAGE)) return '';
    const stagingTargetPath = this.stagingPath(minPathBytes);
    await expectOk(this.node.nodeStageVolume({ volumeId, stagingTargetPath, volumeCapability: this.cap(), publishContext, volumeContext }), {
      rule: RULES.stageOk,
    });
    this.ctx.cleanup(() => settle(() => gone(this.env.client.node.nodeUnstageVolume({ volumeId, stagingTargetPath }))), `NodeUnstageVolume ${volumeId}`);
    return stagingTargetPath;
  }

  /** NodePublishVolume with NodeUnpublishVolume registered. */
  async publish(
    volumeId: string,
    p: { stagingTargetPath: string; publishContext: Record<string, string>; volumeContext?: Record<string, string>; readonly?: boolean; targetPath?: string },
  ): Promise<string> {
    const targetPath = p.targetPath ?? this.targetPath();
    await expectOk(
      this.node.nodePublishVolume({
        volumeId,
        targetPath,
        stagingTargetPath: p.stagingTargetPath,
        volumeCapability: this.cap(),
        publishContext: p.publishContext,
        volumeContext: p.volumeContext ?? {},
        readonly: p.readonly ?? false,
      }),
      { rule: RULES.nodePublishOk },
    );
    this.ctx.cleanup(
      () => settle(() => gone(this.env.client.node.nodeUnpublishVolume({ volumeId, targetPath }))),
      `NodeUnpublishVolume ${volumeId} ${targetPath}`,
    );
    return targetPath;
  }

  /** A volume made ready for NodePublishVolume: created, controller-published, staged. */
  async readyVolume(minPathBytes = 0): Promise<{ volume: Volume; publishContext: Record<string, string>; stagingTargetPath: string }> {
    const volume = await this.createVolume();
    const publishContext = await this.controllerPublish(volume.volumeId);
    const stagingTargetPath = await this.stage(volume.volumeId, publishContext, volume.volumeContext, minPathBytes);
    return { volume, publishContext, stagingTargetPath };
  }

  /** All pages of ListVolumes (fails the case on a loop or error). */
  async listAllVolumes(maxEntries = 0): Promise<string[]> {
    const ids: string[] = [];
    let token = '';
    for (let page = 0; page < 10_000; page++) {
      const res = await expectOk(this.controller.listVolumes({ maxEntries, startingToken: token }), { rule: RULES.listOk });
      for (const e of res.entries) ids.push(e.volume?.volumeId ?? '');
      if (!res.nextToken) return ids;
      if (res.nextToken === token)
        fail(`ListVolumes returned next_token ${JSON.stringify(token)} again: pagination would never end`, { rule: RULES.listPagination });
      token = res.nextToken;
    }
    return fail('ListVolumes pagination did not end after 10000 pages', { rule: RULES.listPagination });
  }
}

/**
 * Rule ids (conformance/rules/csi.yaml) the kit's own assertions name. A case using a kit helper
 * declares the ids of the helpers it uses (VOLUME, SNAPSHOT, LIFECYCLE bundle them).
 */
export const RULES = {
  createOk: 'csi.create-volume.implemented',
  volumeId: 'csi.create-volume.response-volume-required',
  snapshotOk: 'csi.create-snapshot.implemented',
  snapshotFields: 'csi.create-snapshot.snapshot-fields',
  publishOk: 'csi.controller-publish-volume.implemented',
  stageOk: 'csi.node-stage-volume.implemented',
  nodePublishOk: 'csi.node-publish-volume.implemented',
  listOk: 'csi.list-volumes.implemented',
  listPagination: 'csi.list-volumes.pagination',
} as const;

/** What k.createVolume() checks. */
export const VOLUME = [RULES.createOk, RULES.volumeId];
/** What k.createSnapshot() checks (after k.createVolume()). */
export const SNAPSHOT = [...VOLUME, RULES.snapshotOk, RULES.snapshotFields];
/** What k.readyVolume() and k.publish() check: create, controller publish, stage, node publish. */
export const LIFECYCLE = [...VOLUME, RULES.publishOk, RULES.stageOk, RULES.nodePublishOk];
/** What k.listAllVolumes() checks. */
export const LISTING = [RULES.listOk, RULES.listPagination];

/** Bytes of a map<string,string> as the size limit counts them (keys and values). */
export const mapBytes = (m: Record<string, string>) => Object.entries(m).reduce((n, [a, b]) => n + Buffer.byteLength(a) + Buffer.byteLength(b), 0);

/** Topology keys ([prefix/]name) and values: 63 characters at most, alphanumeric at both ends (spec "Topology"). */
export function checkTopology(segments: Record<string, string>, what: string, call?: unknown): void {
  const part = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
  const prefix = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,61}[A-Za-z0-9])?$/;
  const seen = new Set<string>();
  for (const [key, value] of Object.entries(segments)) {
    const [pre, name] = key.includes('/') ? [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)] : [undefined, key];
    expectTrue(
      part.test(name) && (pre === undefined || prefix.test(pre)),
      `${what} key ${JSON.stringify(key)} is not [prefix/]name of at most 63 characters with alphanumeric ends`,
      { rule: 'csi.create-volume.topology-key-format', actual: segments, call },
    );
    expectTrue(part.test(value), `${what} value ${JSON.stringify(value)} of ${key} is not 1 to 63 characters with alphanumeric ends`, {
      rule: 'csi.create-volume.topology-key-format',
      actual: segments,
      call,
    });
    expectTrue(!seen.has(key.toLowerCase()), `${what} has key ${key} twice (keys are case-insensitive)`, {
      rule: 'csi.create-volume.topology-key-format',
      actual: segments,
      call,
    });
    seen.add(key.toLowerCase());
  }
}
