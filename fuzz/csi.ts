// CSI: what each RPC owes (from the spec, by rule id), the lifecycle sequences the generator
// builds (CreateVolume → publish/stage/use → unpublish/unstage → snapshot → DeleteVolume, with
// mutations, repeats, reordering, concurrency and foreign ids), and cleanup.
import { mkdirSync, readdirSync, rmdirSync, lstatSync } from 'node:fs';
import { dirname, resolve, relative, isAbsolute } from 'node:path';
import {
  ControllerDefinition,
  ControllerServiceCapability_RPC_Type as CRpc,
  IdentityDefinition,
  NodeDefinition,
  NodeServiceCapability_RPC_Type as NRpc,
} from '../interfaces/gen/csi/csi.js';
import { Connection } from '../interfaces/grpc/client.js';
import { GrpcTarget, type WatchOptions } from './grpc-target.js';
import { Session, stableJson, type RpcSpec } from './grpc.js';
import { mutate, STRANGE_KEY, withoutPath } from './mutators.js';
import type { Rng } from './rng.js';
import type { Json, Step } from './types.js';

const need = (prefix: string, ...fields: [string, string][]) => fields.map(([field, what]) => ({ field, rule: `csi.${prefix}.${what}-required` }));
const onVolume = (field: string, rule: string, ok = [5]) => ({ field, kind: 'volume', unknown: { ok, rule } });

/** Is the volume still known to the plugin (ListVolumes, else ControllerGetVolume)? */
async function volumeStillThere(s: Session, id: string): Promise<string | undefined> {
  let token = '';
  for (let page = 0; page < 50; page++) {
    const o = await s.call('Controller/ListVolumes', { startingToken: token, maxEntries: 100 });
    if (o.err) break;
    if (o.res.entries.some((e: any) => e.volume?.volumeId === id)) return `ListVolumes still lists volume ${id} after DeleteVolume answered OK`;
    token = o.res.nextToken;
    if (!token) return undefined;
  }
  const g = await s.call('Controller/ControllerGetVolume', { volumeId: id });
  return g.err ? undefined : `ControllerGetVolume still answers volume ${id} after DeleteVolume answered OK`;
}

export const CSI_SPECS: Record<string, RpcSpec> = {
  'Identity/GetPluginInfo': {
    answers: [
      { path: 'name', rule: 'csi.get-plugin-info.name-required' },
      { path: 'vendorVersion', rule: 'csi.get-plugin-info.vendor-version-required' },
    ],
    checks: [
      {
        rule: 'csi.get-plugin-info.name-format',
        fn: (_s, _r, res) => (res.name && !DNS_NAME.test(res.name) ? `the plugin name ${JSON.stringify(res.name)} is not in domain-name notation` : undefined),
      },
    ],
  },
  'Identity/GetPluginCapabilities': {
    checks: [
      {
        rule: 'csi.get-plugin-capabilities.same-across-instances',
        fn(s, _r, res) {
          const now = stableJson(res.capabilities);
          const before = s.vars['plugin-capabilities'];
          if (before === undefined) {
            s.vars['plugin-capabilities'] = now;
            return undefined;
          }
          return before !== now ? `GetPluginCapabilities answered ${before} before and ${now} now` : undefined;
        },
      },
    ],
  },
  'Node/NodeGetInfo': {
    answers: [{ path: 'nodeId', rule: 'csi.node-get-info.node-id' }],
    checks: [
      {
        rule: 'csi.create-volume.topology-key-format',
        fn(_s, _r, res) {
          const bad = Object.keys(res.accessibleTopology?.segments ?? {}).find((k) => !TOPOLOGY_KEY.test(k));
          return bad !== undefined ? `NodeGetInfo reports the topology key ${JSON.stringify(bad)}, not in the key format` : undefined;
        },
      },
    ],
  },
  'Controller/CreateVolume': {
    creates: { kind: 'volume', id: (r) => r.volume?.volumeId },
    required: [
      ...need('create-volume', ['name', 'name'], ['volumeCapabilities', 'capabilities']),
      { field: 'volumeCapabilities.0.accessMode', rule: 'csi.volume-capability.access-mode-required' },
    ],
    answers: [{ path: 'volume.volumeId', rule: 'csi.create-volume.response-volume-required' }],
    idempotent: 'csi.create-volume.idempotent',
    sameAnswer: ['volume.volumeId', 'volume.volumeContext'],
    refuse: {
      rule: 'csi.create-volume.mutable-parameters-validated',
      when: (r) =>
        STRANGE_KEY in (r.mutableParameters ?? {}) ? `mutable_parameters has the key ${JSON.stringify(STRANGE_KEY)}, which no driver supports` : undefined,
    },
    checks: [{ rule: 'csi.field-requirements.map-4-kib', fn: (_s, _r, res) => mapTooBig('volume_context', res.volume?.volumeContext) }],
  },
  'Controller/ControllerModifyVolume': {
    required: [
      { field: 'volumeId', rule: 'csi.controller-modify-volume.volume-id-required' },
      { field: 'mutableParameters', rule: 'csi.controller-modify-volume.parameters-required' },
    ],
    target: onVolume('volumeId', 'csi.controller-modify-volume.not-found'),
    idempotent: 'csi.controller-modify-volume.idempotent',
    // The sequence asks for the values the volume was created with: already there is success.
    undo: 'csi.controller-modify-volume.idempotent',
    refuse: {
      rule: 'csi.controller-modify-volume.unsupported-invalid-argument',
      when: (r) =>
        STRANGE_KEY in (r.mutableParameters ?? {}) ? `mutable_parameters has the key ${JSON.stringify(STRANGE_KEY)}, which no driver supports` : undefined,
    },
  },
  'Controller/DeleteVolume': {
    required: need('delete-volume', ['volumeId', 'volume-id']),
    target: onVolume('volumeId', 'csi.delete-volume.idempotent', [0]),
    deletes: { rule: 'csi.delete-volume.implemented', stillThere: volumeStillThere },
  },
  'Controller/ControllerPublishVolume': {
    required: need('controller-publish-volume', ['volumeId', 'volume-id'], ['nodeId', 'node-id'], ['volumeCapability', 'capability']),
    target: onVolume('volumeId', 'csi.controller-publish-volume.volume-not-found'),
    idempotent: 'csi.controller-publish-volume.idempotent',
  },
  'Controller/ControllerUnpublishVolume': {
    required: need('controller-unpublish-volume', ['volumeId', 'volume-id']),
    target: onVolume('volumeId', 'csi.controller-unpublish-volume.unknown-ok', [0, 5]),
    idempotent: 'csi.controller-unpublish-volume.idempotent',
  },
  'Controller/ValidateVolumeCapabilities': {
    required: need('validate-volume-capabilities', ['volumeId', 'volume-id'], ['volumeCapabilities', 'capabilities']),
    target: onVolume('volumeId', 'csi.validate-volume-capabilities.not-found'),
    idempotent: 'csi.validate-volume-capabilities.idempotent',
    sameAnswer: ['confirmed'],
  },
  'Controller/ControllerGetVolume': {
    required: need('controller-get-volume', ['volumeId', 'volume-id']),
    target: onVolume('volumeId', 'csi.controller-get-volume.not-found'),
  },
  'Controller/ControllerExpandVolume': {
    required: need('controller-expand-volume', ['volumeId', 'volume-id'], ['capacityRange', 'capacity']),
    target: onVolume('volumeId', 'csi.controller-expand-volume.not-found'),
    idempotent: 'csi.controller-expand-volume.idempotent',
  },
  'Controller/CreateSnapshot': {
    creates: { kind: 'snapshot', id: (r) => r.snapshot?.snapshotId },
    required: need('create-snapshot', ['sourceVolumeId', 'source'], ['name', 'name']),
    target: onVolume('sourceVolumeId', 'csi.create-snapshot.source-not-found'),
    idempotent: 'csi.create-snapshot.idempotent',
    sameAnswer: ['snapshot.snapshotId'],
    answers: [
      { path: 'snapshot.snapshotId', rule: 'csi.create-snapshot.snapshot-fields' },
      { path: 'snapshot.sourceVolumeId', rule: 'csi.create-snapshot.snapshot-fields' },
    ],
  },
  'Controller/DeleteSnapshot': {
    required: need('delete-snapshot', ['snapshotId', 'snapshot-id']),
    target: { field: 'snapshotId', kind: 'snapshot', unknown: { ok: [0], rule: 'csi.delete-snapshot.idempotent' } },
    deletes: {
      rule: 'csi.delete-snapshot.implemented',
      stillThere: async (s, id) => {
        const o = await s.call('Controller/ListSnapshots', { snapshotId: id });
        return !o.err && o.res.entries.some((e: any) => e.snapshot?.snapshotId === id)
          ? `ListSnapshots still lists snapshot ${id} after DeleteSnapshot answered OK`
          : undefined;
      },
    },
  },
  'Controller/ListVolumes': {
    // A token the plugin never issued: the spec names ABORTED.
    target: { field: 'startingToken', kind: 'token', unknown: { ok: [10], rule: 'csi.list-volumes.invalid-token-aborted' } },
    checks: [
      {
        rule: 'csi.list-volumes.max-entries',
        fn: (_s, r, res) =>
          r.maxEntries > 0 && res.entries.length > r.maxEntries ? `max_entries ${r.maxEntries}, answered ${res.entries.length} entries` : undefined,
      },
    ],
  },
  'Controller/ListSnapshots': {},
  'Controller/GetCapacity': {},
  'Node/NodeStageVolume': {
    required: need('node-stage-volume', ['volumeId', 'volume-id'], ['stagingTargetPath', 'staging-path'], ['volumeCapability', 'capability']),
    target: onVolume('volumeId', 'csi.node-stage-volume.not-found'),
    idempotent: 'csi.node-stage-volume.idempotent',
  },
  'Node/NodeUnstageVolume': {
    required: need('node-unstage-volume', ['volumeId', 'volume-id'], ['stagingTargetPath', 'staging-path']),
    target: onVolume('volumeId', 'csi.node-unstage-volume.not-found', [0, 5]),
    idempotent: 'csi.node-unstage-volume.idempotent',
  },
  'Node/NodePublishVolume': {
    required: need('node-publish-volume', ['volumeId', 'volume-id'], ['targetPath', 'target-path'], ['volumeCapability', 'capability']),
    target: onVolume('volumeId', 'csi.node-publish-volume.not-found'),
    idempotent: 'csi.node-publish-volume.idempotent',
  },
  'Node/NodeUnpublishVolume': {
    required: need('node-unpublish-volume', ['volumeId', 'volume-id'], ['targetPath', 'target-path']),
    target: onVolume('volumeId', 'csi.node-unpublish-volume.not-found', [0, 5]),
    idempotent: 'csi.node-unpublish-volume.idempotent',
    undo: 'csi.node-unpublish-volume.idempotent',
  },
  'Node/NodeExpandVolume': {
    required: [
      { field: 'volumeId', rule: 'csi.node-expand-volume.volume-id-required' },
      { field: 'volumePath', rule: 'csi.node-expand-volume.volume-path-required' },
    ],
    target: onVolume('volumeId', 'csi.node-expand-volume.not-found'),
    idempotent: 'csi.node-expand-volume.idempotent',
  },
  'Node/NodeGetVolumeStats': {
    required: need('node-get-volume-stats', ['volumeId', 'volume-id'], ['volumePath', 'volume-path']),
    target: onVolume('volumeId', 'csi.node-get-volume-stats.not-found'),
  },
  'Identity/Probe': {},
};

const DNS_NAME = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/;
/** An optional DNS-subdomain prefix and a slash, then a name: 63 characters, alphanumeric ends. */
const TOPOLOGY_KEY = /^(([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Why a map<string,string> answer is past the 4 KiB total, if it is. */
function mapTooBig(field: string, m: Record<string, string> | undefined): string | undefined {
  const n = Object.entries(m ?? {}).reduce((a, [k, v]) => a + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  return n > 4096 ? `${field} totals ${n} bytes, past the 4 KiB limit` : undefined;
}

export interface CsiFuzzOptions {
  endpoint: string;
  /** Where staging paths go (created per run, removed after). */
  stagingDir: string;
  /** Where target paths' parents go. */
  targetDir: string;
  callTimeoutMs?: number;
  /** A modification the driver supports (ControllerModifyVolume, CreateVolume's mutable_parameters); none: {} (refused, as the spec says). */
  mutableParameters?: Record<string, string>;
  /** Watch a directory for writes outside the driver's root (hostPath drivers). */
  watch?: Omit<WatchOptions, 'rule'>;
}

const CAP: Json = { mount: { fsType: '', mountFlags: [] }, accessMode: { mode: 'SINGLE_NODE_WRITER' } };

/** Connect, learn the node id and capabilities, and build the target. */
export async function csiTarget(o: CsiFuzzOptions): Promise<GrpcTarget> {
  const c = new Connection(o.endpoint, { timeoutMs: 10_000 });
  let caps: { controller: Set<number>; node: Set<number>; nodeId: string };
  try {
    await c.waitForReady(10_000);
    const ctl = c.service(ControllerDefinition);
    const node = c.service(NodeDefinition);
    const cc = await ctl.controllerGetCapabilities({}).catch(() => ({ capabilities: [] }));
    const nc = await node.nodeGetCapabilities({}).catch(() => ({ capabilities: [] }));
    const info = await node.nodeGetInfo({});
    caps = {
      controller: new Set(cc.capabilities.map((x) => x.rpc?.type ?? 0)),
      node: new Set(nc.capabilities.map((x) => x.rpc?.type ?? 0)),
      nodeId: info.nodeId,
    };
  } finally {
    c.close();
  }
  mkdirSync(o.stagingDir, { recursive: true });
  mkdirSync(o.targetDir, { recursive: true });
  const inside = (dir: string, p: unknown): p is string =>
    typeof p === 'string' && isAbsolute(p) && !relative(dir, resolve(p)).startsWith('..') && resolve(p) !== resolve(dir);
  const paths = (steps: Step[], key: string) => [
    ...new Set(steps.map((s) => (s.req as Record<string, Json> | null)?.[key]).filter((p): p is string => typeof p === 'string')),
  ];
  return new GrpcTarget({
    kind: 'csi',
    services: [IdentityDefinition, ControllerDefinition, NodeDefinition],
    specs: CSI_SPECS,
    endpoint: o.endpoint,
    callTimeoutMs: o.callTimeoutMs ?? 5000,
    vars: { node: caps.nodeId },
    ping: { rpc: 'Identity/Probe', req: {} },
    watch: o.watch ? { ...o.watch, rule: 'csi.configuration.filesystem' } : undefined,
    generate: (rng, run) => generateCsi(rng, run, caps, o),
    prepare(steps) {
      // The CO's part: the staging directory exists, and the target's parent does.
      for (const p of paths(steps, 'stagingTargetPath')) if (inside(o.stagingDir, p)) mkdirSync(p, { recursive: true });
      for (const p of paths(steps, 'targetPath')) if (inside(o.targetDir, p) && inside(o.targetDir, dirname(p))) mkdirSync(dirname(p), { recursive: true });
    },
    async cleanup(s, steps) {
      // Every volume created, also those whose delete answered OK: a driver that "deleted" a
      // staged volume may still hold its mounts.
      const vols = [...s.created].filter(([, k]) => k === 'volume').map(([id]) => id);
      for (const [id, k] of s.created) if (k === 'snapshot') await s.call('Controller/DeleteSnapshot', { snapshotId: id });
      for (const volumeId of vols) {
        for (const targetPath of paths(steps, 'targetPath')) await s.call('Node/NodeUnpublishVolume', { volumeId, targetPath });
        for (const stagingTargetPath of paths(steps, 'stagingTargetPath')) await s.call('Node/NodeUnstageVolume', { volumeId, stagingTargetPath });
        await s.call('Controller/ControllerUnpublishVolume', { volumeId, nodeId: caps.nodeId });
        await s.call('Controller/DeleteVolume', { volumeId });
      }
      // Remove the directories prepare made, if empty (never recursively: something may be mounted there).
      for (const dir of [o.stagingDir, o.targetDir]) removeEmpty(dir, false);
    },
  });
}

/** Remove empty directories below dir, deepest first; never a non-empty one. */
function removeEmpty(dir: string, self: boolean): void {
  let names: string[];
  try {
    if (!lstatSync(dir).isDirectory()) return;
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) removeEmpty(`${dir}/${n}`, true);
  if (self)
    try {
      rmdirSync(dir);
    } catch {
      /* not empty or a mount point: leave it */
    }
}

/** One CSI sequence: the lifecycle of one volume with some steps left out, bent or repeated. */
export function generateCsi(
  rng: Rng,
  run: number,
  caps: { controller: Set<number>; node: Set<number> },
  o: { stagingDir: string; targetDir: string; mutableParameters?: Record<string, string> },
): Step[] {
  const name = `fuzz-${run}-${rng.int(1e9).toString(36)}`;
  const staging = `${o.stagingDir}/${name}`;
  const target = `${o.targetDir}/${name}/mnt`;
  const stage = caps.node.has(NRpc.STAGE_UNSTAGE_VOLUME);
  const pub = caps.controller.has(CRpc.PUBLISH_UNPUBLISH_VOLUME);
  const snap = caps.controller.has(CRpc.CREATE_DELETE_SNAPSHOT);
  const modify = caps.controller.has(CRpc.MODIFY_VOLUME);
  const mutable = Object.keys(o.mutableParameters ?? {}).length > 0;
  const list = caps.controller.has(CRpc.LIST_VOLUMES) && rng.chance(0.3);
  const lifecycle: (Step | false)[] = [
    {
      rpc: 'Controller/CreateVolume',
      req: {
        name,
        capacityRange: { requiredBytes: '1048576' },
        volumeCapabilities: [CAP],
        parameters: {},
        ...(modify ? { mutableParameters: { ...o.mutableParameters } } : {}),
      },
      bind: 'v',
    },
    list && { rpc: 'Controller/CreateVolume', req: { name: `${name}-w`, capacityRange: { requiredBytes: '1048576' }, volumeCapabilities: [CAP] }, bind: 'w' },
    list && { rpc: 'Controller/ListVolumes', req: { maxEntries: 1 } },
    { rpc: 'Controller/ValidateVolumeCapabilities', req: { volumeId: '$v', volumeCapabilities: [CAP] } },
    caps.controller.has(CRpc.GET_VOLUME) && { rpc: 'Controller/ControllerGetVolume', req: { volumeId: '$v' } },
    pub && { rpc: 'Controller/ControllerPublishVolume', req: { volumeId: '$v', nodeId: '$node', volumeCapability: CAP, readonly: false } },
    stage && { rpc: 'Node/NodeStageVolume', req: { volumeId: '$v', stagingTargetPath: staging, volumeCapability: CAP } },
    {
      rpc: 'Node/NodePublishVolume',
      req: { volumeId: '$v', ...(stage ? { stagingTargetPath: staging } : {}), targetPath: target, volumeCapability: CAP, readonly: false },
    },
    caps.node.has(NRpc.GET_VOLUME_STATS) && { rpc: 'Node/NodeGetVolumeStats', req: { volumeId: '$v', volumePath: target } },
    // The size the volume already has: "already at least as large" answers OK.
    caps.node.has(NRpc.EXPAND_VOLUME) && {
      rpc: 'Node/NodeExpandVolume',
      req: { volumeId: '$v', volumePath: target, capacityRange: { requiredBytes: '1048576' }, volumeCapability: CAP },
    },
    { rpc: 'Node/NodeUnpublishVolume', req: { volumeId: '$v', targetPath: target } },
    stage && { rpc: 'Node/NodeUnstageVolume', req: { volumeId: '$v', stagingTargetPath: staging } },
    pub && { rpc: 'Controller/ControllerUnpublishVolume', req: { volumeId: '$v', nodeId: '$node' } },
    modify && mutable && { rpc: 'Controller/ControllerModifyVolume', req: { volumeId: '$v', mutableParameters: { ...o.mutableParameters } } },
    caps.controller.has(CRpc.EXPAND_VOLUME) && {
      rpc: 'Controller/ControllerExpandVolume',
      req: { volumeId: '$v', capacityRange: { requiredBytes: '2097152' }, volumeCapability: CAP },
    },
    snap && { rpc: 'Controller/CreateSnapshot', req: { sourceVolumeId: '$v', name: `${name}-snap` }, bind: 's' },
    snap && { rpc: 'Controller/DeleteSnapshot', req: { snapshotId: '$s' } },
    { rpc: 'Controller/DeleteVolume', req: { volumeId: '$v' } },
  ];
  const extras: Step[] = [
    { rpc: 'Identity/GetPluginInfo', req: {} },
    { rpc: 'Identity/Probe', req: {} },
    { rpc: 'Node/NodeGetInfo', req: {} },
    { rpc: 'Identity/GetPluginCapabilities', req: {} },
    ...(caps.controller.has(CRpc.LIST_VOLUMES)
      ? [
          { rpc: 'Controller/ListVolumes', req: { maxEntries: 10 } },
          { rpc: 'Controller/ListVolumes', req: { maxEntries: 1, startingToken: '$never' } },
        ]
      : []),
    ...(caps.controller.has(CRpc.GET_CAPACITY) ? [{ rpc: 'Controller/GetCapacity', req: { volumeCapabilities: [CAP] } }] : []),
  ];
  const steps: Step[] = [];
  for (const [i, s] of lifecycle.entries()) if (s && (i === 0 || rng.chance(0.8))) steps.push(structuredClone(s));
  // Now and then a mutable parameter no driver supports, where mutable parameters go.
  for (const s of steps) {
    const r = s.req as Record<string, Json>;
    if (modify && (s.rpc === 'Controller/CreateVolume' || s.rpc === 'Controller/ControllerModifyVolume') && s.bind !== 'w' && rng.chance(0.1)) {
      s.req = { ...r, mutableParameters: { ...((r.mutableParameters as Record<string, Json>) ?? {}), [STRANGE_KEY]: 'x' } };
      s.mutations = ['mutable_parameters gained a key no driver supports'];
    }
  }
  return bend(steps, extras, rng, ['$v', '$s'], (rpc) => (CSI_SPECS[rpc]?.required ?? []).map((r) => r.field));
}

/**
 * Bend a valid sequence: mutate some requests, point some at an id that never existed, repeat a
 * step right after itself, run one concurrently, swap two steps, add unrelated calls, and call
 * something on the object after its delete. Shared by CRI and CSI.
 */
export function bend(steps: Step[], extras: Step[], rng: Rng, refs: string[], required: (rpc: string) => string[] = () => []): Step[] {
  const out: Step[] = [];
  for (const s of steps) {
    let step = s;
    const req = required(step.rpc);
    if (req.length && rng.chance(0.07)) {
      // A required field left out: the spec names the code for exactly this.
      const field = rng.pick(req);
      const path = field.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
      let r: Json;
      try {
        r = withoutPath(step.req, path);
      } catch {
        r = step.req;
      } // the path is not in this request
      step = { ...step, req: r, mutations: [`${field} removed`] };
    } else if (rng.chance(0.15)) {
      const m = mutate(step.req, rng);
      step = { ...step, req: m.req, mutations: m.mutations };
    } else if (rng.chance(0.08)) {
      const text = JSON.stringify(step.req);
      const ref = refs.find((r) => text.includes(`"${r}"`));
      if (ref) step = { ...step, req: JSON.parse(text.split(`"${ref}"`).join('"$never"')) as Json };
    }
    if (rng.chance(0.05)) step = { ...step, concurrent: 3 };
    out.push(step);
    if (!step.mutations && rng.chance(0.12)) out.push({ ...structuredClone(step), bind: undefined });
    if (rng.chance(0.1)) out.push(structuredClone(rng.pick(extras)));
  }
  if (out.length > 2 && rng.chance(0.1)) {
    const i = 1 + rng.int(out.length - 1);
    const j = 1 + rng.int(out.length - 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  // Use something after its delete (the id is gone now).
  if (rng.chance(0.25)) {
    const uses = steps.filter((s) => !s.bind && !/Delete|Remove/.test(s.rpc));
    if (uses.length) out.push({ ...structuredClone(rng.pick(uses)), bind: undefined });
  }
  return out.map((s) => (s.bind === undefined ? (({ bind: _b, ...rest }) => rest)(s) : s));
}
