// CSI Controller service (volumes): capabilities, CreateVolume (fields, idempotency, capacity
// ranges, content sources), DeleteVolume, ListVolumes (pagination, bad tokens, modification
// between pages), ValidateVolumeCapabilities, ControllerPublish/Unpublish, GetCapacity,
// ControllerGetVolume, ControllerExpandVolume, ControllerModifyVolume.
import { expectCode, expectEqual, expectNonEmpty, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { csiCase, type CsiCaseDef } from './case.js';
import {
  CONTROLLER, CREATE_DELETE, CtrlCap, LIST_VOLUMES, PUBLISH_UNPUBLISH, RULES, SNAPSHOTS, cap, type CsiEnv, type CsiKit,
} from './kit.js';

const G = 'csi.Controller';
const C = (t: CtrlCap) => cap.controller(t);
const base = [CONTROLLER, CREATE_DELETE];
const unknownVolume = (k: CsiKit) => `${k.ctx.unique('missing-volume')}`;
const unknownNode = (k: CsiKit) => k.env.opts.unknownNodeId ?? `${k.ctx.unique('missing-node')}`;

/** A case checking that leaving out a required field answers INVALID_ARGUMENT. */
function missing(id: string, rpc: string, field: string, needs: string[], call: (k: CsiKit) => Promise<{ p: Promise<unknown> }>): CaseDef<CsiEnv> {
  return csiCase({
    id, group: G, needs, name: `${rpc} without ${field} fails with INVALID_ARGUMENT`,
    async run(k) {
      const { p } = await call(k);
      // Should the plugin wrongly create something, it is still cleaned up.
      p.then((r) => {
        const x = r as { volume?: { volumeId?: string }; snapshot?: { snapshotId?: string } };
        if (x?.volume?.volumeId) k.track(x.volume.volumeId);
        if (x?.snapshot?.snapshotId) k.trackSnapshot(x.snapshot.snapshotId);
      }, () => undefined);
      await expectCode(p, 'INVALID_ARGUMENT', RULES.required(rpc, field));
    },
  });
}

const c = (d: Omit<CsiCaseDef, 'group'> & { group?: string }) => csiCase({ group: G, ...d });

export const controllerCases: CaseDef<CsiEnv>[] = [
  c({
    id: 'csi.controller.get-capabilities', group: G, needs: [CONTROLLER],
    name: 'ControllerGetCapabilities answers OK and every capability has a known type',
    async run(k) {
      const p = k.controller.controllerGetCapabilities({});
      const res = await expectOk(p, 'CSI ControllerGetCapabilities MUST answer OK when the plugin has CONTROLLER_SERVICE');
      res.capabilities.forEach((x, i) => expectTrue((x.rpc?.type ?? 0) > 0, `capabilities[${i}].rpc.type is ${x.rpc ? CtrlCap[x.rpc.type] ?? x.rpc.type : 'unset'}`, 'CSI ControllerServiceCapability: rpc.type is set and not UNKNOWN', { call: p }));
    },
  }),

  // ---- CreateVolume ------------------------------------------------------------------------
  c({
    id: 'csi.controller.create-volume.basic', needs: base,
    name: 'CreateVolume with a name, capabilities and a capacity creates a volume of at least that capacity',
    async run(k) {
      const v = await k.createVolume();
      expectTrue(v.capacityBytes === 0n || v.capacityBytes >= k.env.size, `capacity_bytes ${v.capacityBytes} is below required_bytes ${k.env.size}`, 'CSI CreateVolume: the volume MUST be at least required_bytes large (capacity_bytes 0 means unknown)', { actual: v.capacityBytes });
    },
  }),
  missing('csi.controller.create-volume.missing-name', 'CreateVolume', 'name', base, async (k) => ({ p: k.controller.createVolume(k.volumeRequest({ name: '' })) })),
  missing('csi.controller.create-volume.missing-capabilities', 'CreateVolume', 'volume_capabilities', base, async (k) => ({ p: k.controller.createVolume(k.volumeRequest({ volumeCapabilities: [] })) })),
  c({
    id: 'csi.controller.create-volume.no-capacity', needs: base,
    name: 'CreateVolume without capacity_range creates a volume of the plugin\'s default size',
    async run(k) {
      await k.createVolume({ capacityRange: undefined }, 'CSI CreateVolume: capacity_range is OPTIONAL; without it the plugin MAY choose an implementation-defined capacity');
    },
  }),
  c({
    id: 'csi.controller.create-volume.max-length-name', needs: base,
    name: 'CreateVolume accepts a name of 128 bytes',
    async run(k) {
      const name = k.ctx.unique('long').padEnd(128, 'x');
      await k.createVolume({ name }, 'CSI: the plugin MUST support strings of up to 128 bytes in name fields (spec "Size Limits")');
    },
  }),
  c({
    id: 'csi.controller.create-volume.idempotent', needs: base,
    name: 'CreateVolume twice with the same name and arguments returns the same volume',
    async run(k) {
      const req = k.volumeRequest();
      const first = await k.createVolume(req);
      const p = k.controller.createVolume(req);
      const again = await expectOk(p, RULES.idempotent('CreateVolume'));
      if (again.volume?.volumeId && again.volume.volumeId !== first.volumeId) k.track(again.volume.volumeId);
      expectEqual(again.volume?.volumeId, first.volumeId, 'CSI CreateVolume: if a volume with the name already exists and is compatible, the plugin MUST reply OK with the existing volume (the name is the idempotency key)', 'volume_id of the second CreateVolume', p);
      expectEqual(again.volume?.capacityBytes, first.capacityBytes, RULES.idempotent('CreateVolume'), 'capacity_bytes of the second CreateVolume', p);
    },
  }),
  c({
    id: 'csi.controller.create-volume.different-capacity-already-exists', needs: base,
    name: 'CreateVolume with an existing name but an incompatible capacity fails with ALREADY_EXISTS',
    async run(k) {
      const req = k.volumeRequest();
      const v = await k.createVolume(req);
      const bigger = (v.capacityBytes > 0n ? v.capacityBytes : k.env.size) * 2n;
      const p = k.controller.createVolume({ ...req, capacityRange: { requiredBytes: bigger, limitBytes: bigger } });
      const track = p.then((r) => { if (r.volume?.volumeId && r.volume.volumeId !== v.volumeId) k.track(r.volume.volumeId); }, () => undefined);
      await expectCode(p, 'ALREADY_EXISTS', 'CSI CreateVolume: a volume with the name exists but is incompatible with the request (capacity_range) → 6 ALREADY_EXISTS');
      await track;
    },
  }),
  c({
    id: 'csi.controller.create-volume.capacity-within-range', needs: base,
    name: 'CreateVolume honours capacity_range: required_bytes ≤ capacity ≤ limit_bytes',
    async run(k) {
      const limit = k.env.size * 2n;
      const v = await k.createVolume({ capacityRange: { requiredBytes: k.env.size, limitBytes: limit } });
      expectTrue(v.capacityBytes === 0n || (v.capacityBytes >= k.env.size && v.capacityBytes <= limit),
        `capacity_bytes ${v.capacityBytes} is outside [${k.env.size}, ${limit}]`, 'CSI CapacityRange: the volume MUST be at least required_bytes and at most limit_bytes', { actual: v.capacityBytes });
    },
  }),
  c({
    id: 'csi.controller.create-volume.required-above-limit', needs: base,
    name: 'CreateVolume with required_bytes above limit_bytes fails with INVALID_ARGUMENT or OUT_OF_RANGE',
    async run(k) {
      const p = k.controller.createVolume(k.volumeRequest({ capacityRange: { requiredBytes: k.env.size * 2n, limitBytes: k.env.size } }));
      p.then((r) => r.volume?.volumeId && k.track(r.volume.volumeId), () => undefined);
      await expectCode(p, ['INVALID_ARGUMENT', 'OUT_OF_RANGE'], 'CSI CapacityRange: limit_bytes, when set, MUST NOT be below required_bytes; a range the plugin cannot satisfy is 11 OUT_OF_RANGE');
    },
  }),
  c({
    id: 'csi.controller.create-volume.unsupported-capacity', needs: base, tags: ['Optional'],
    name: 'CreateVolume asking for 4 EiB fails with OUT_OF_RANGE (or RESOURCE_EXHAUSTED)',
    async run(k) {
      const huge = 2n ** 62n;
      const p = k.controller.createVolume(k.volumeRequest({ capacityRange: { requiredBytes: huge, limitBytes: huge } }));
      p.then((r) => r.volume?.volumeId && k.track(r.volume.volumeId), () => undefined);
      await expectCode(p, ['OUT_OF_RANGE', 'RESOURCE_EXHAUSTED'], 'CSI CreateVolume: a capacity the plugin does not support is 11 OUT_OF_RANGE; no room for it is 8 RESOURCE_EXHAUSTED');
    },
  }),
  c({
    id: 'csi.controller.create-volume.from-snapshot', needs: [...base, SNAPSHOTS],
    name: 'CreateVolume from a snapshot creates a volume whose content_source names the snapshot',
    async run(k) {
      const src = await k.createVolume();
      const snap = await k.createSnapshot(src.volumeId);
      const v = await k.createVolume({ volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } }, 'CSI CreateVolume: with CREATE_DELETE_SNAPSHOT, a volume MAY be pre-populated from a snapshot given in volume_content_source');
      expectEqual(v.contentSource?.snapshot?.snapshotId, snap.snapshotId, 'CSI Volume.content_source: if the volume was created from a source, this field MUST be set to it', 'volume.content_source.snapshot.snapshot_id');
    },
  }),
  c({
    id: 'csi.controller.create-volume.from-missing-snapshot', needs: [...base, SNAPSHOTS],
    name: 'CreateVolume from a snapshot that does not exist fails with NOT_FOUND',
    async run(k) {
      const p = k.controller.createVolume(k.volumeRequest({ volumeContentSource: { snapshot: { snapshotId: k.ctx.unique('missing-snapshot') } } }));
      p.then((r) => r.volume?.volumeId && k.track(r.volume.volumeId), () => undefined);
      await expectCode(p, 'NOT_FOUND', 'CSI CreateVolume: the volume_content_source does not exist → 5 NOT_FOUND');
    },
  }),
  c({
    id: 'csi.controller.create-volume.clone', needs: [...base, C(CtrlCap.CLONE_VOLUME)],
    name: 'CreateVolume from another volume creates a clone whose content_source names it',
    async run(k) {
      const src = await k.createVolume();
      const v = await k.createVolume({ volumeContentSource: { volume: { volumeId: src.volumeId } } }, 'CSI CreateVolume: with CLONE_VOLUME, a volume MAY be created from another volume given in volume_content_source');
      expectEqual(v.contentSource?.volume?.volumeId, src.volumeId, 'CSI Volume.content_source: if the volume was created from a source, this field MUST be set to it', 'volume.content_source.volume.volume_id');
    },
  }),
  c({
    id: 'csi.controller.create-volume.clone-missing-source', needs: [...base, C(CtrlCap.CLONE_VOLUME)],
    name: 'CreateVolume cloning a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      const p = k.controller.createVolume(k.volumeRequest({ volumeContentSource: { volume: { volumeId: unknownVolume(k) } } }));
      p.then((r) => r.volume?.volumeId && k.track(r.volume.volumeId), () => undefined);
      await expectCode(p, 'NOT_FOUND', 'CSI CreateVolume: the volume_content_source does not exist → 5 NOT_FOUND');
    },
  }),

  // ---- DeleteVolume ------------------------------------------------------------------------
  c({
    id: 'csi.controller.delete-volume.basic', needs: base,
    name: 'DeleteVolume removes the volume: it is no longer listed or found',
    async run(k) {
      const v = await k.createVolume();
      await expectOk(k.controller.deleteVolume({ volumeId: v.volumeId }), 'CSI DeleteVolume MUST delete an existing volume and answer OK');
      const rule = 'CSI DeleteVolume: after an OK answer the volume MUST no longer exist';
      if (k.has(C(CtrlCap.GET_VOLUME))) await expectCode(k.controller.controllerGetVolume({ volumeId: v.volumeId }), 'NOT_FOUND', rule);
      if (k.has(LIST_VOLUMES)) {
        const ids = await k.listAllVolumes();
        expectTrue(!ids.includes(v.volumeId), `ListVolumes still lists deleted volume ${v.volumeId}`, rule, { actual: ids });
      }
    },
  }),
  c({
    id: 'csi.controller.delete-volume.idempotent', needs: base,
    name: 'DeleteVolume twice answers OK both times',
    async run(k) {
      const v = await k.createVolume();
      await expectOk(k.controller.deleteVolume({ volumeId: v.volumeId }), 'CSI DeleteVolume MUST delete an existing volume and answer OK');
      await expectOk(k.controller.deleteVolume({ volumeId: v.volumeId }), 'CSI DeleteVolume: if the volume does not exist (anymore), the plugin MUST reply 0 OK');
    },
  }),
  c({
    id: 'csi.controller.delete-volume.unknown-id', needs: base,
    name: 'DeleteVolume of a volume id that never existed answers OK',
    async run(k) {
      await expectOk(k.controller.deleteVolume({ volumeId: unknownVolume(k) }), 'CSI DeleteVolume: if a volume corresponding to volume_id does not exist, the plugin MUST reply 0 OK');
    },
  }),
  missing('csi.controller.delete-volume.missing-id', 'DeleteVolume', 'volume_id', base, async (k) => ({ p: k.controller.deleteVolume({ volumeId: '' }) })),

  // ---- ListVolumes -------------------------------------------------------------------------
  c({
    id: 'csi.controller.list-volumes.lists-created', needs: [...base, LIST_VOLUMES],
    name: 'ListVolumes lists a new volume, and every entry has a volume_id',
    async run(k) {
      const v = await k.createVolume();
      const p = k.controller.listVolumes({});
      const res = await expectOk(p, RULES.listOk);
      res.entries.forEach((e, i) => expectNonEmpty(e.volume?.volumeId, 'CSI ListVolumes: every entry has a volume with volume_id', `entries[${i}].volume.volume_id`, p));
      const ids = res.nextToken ? await k.listAllVolumes() : res.entries.map((e) => e.volume!.volumeId);
      expectTrue(ids.includes(v.volumeId), `ListVolumes does not list volume ${v.volumeId} created just before`, 'CSI ListVolumes MUST return the volumes the plugin knows', { call: p });
    },
  }),
  c({
    id: 'csi.controller.list-volumes.max-entries', needs: [...base, LIST_VOLUMES], serial: true,
    name: 'ListVolumes with max_entries returns at most that many entries and a next_token that reaches every volume once',
    async run(k) {
      const mine = [];
      for (let i = 0; i < 3; i++) mine.push((await k.createVolume()).volumeId);
      const total = (await k.listAllVolumes()).length;
      const p = k.controller.listVolumes({ maxEntries: 2 });
      const first = await expectOk(p, RULES.listOk);
      const rule = 'CSI ListVolumes: max_entries is the maximum number of entries to return; if more exist, next_token MUST be set to continue';
      expectTrue(first.entries.length <= 2, `max_entries 2 answered ${first.entries.length} entries`, rule, { call: p });
      expectTrue(total <= 2 || first.nextToken !== '', `${total} volumes exist but the first page of 2 has no next_token`, rule, { call: p });
      const seen = await k.listAllVolumes(2);
      const dup = seen.find((id, i) => seen.indexOf(id) !== i);
      expectTrue(dup === undefined, `volume ${dup} listed twice across pages`, RULES.listPagination, { actual: seen });
      for (const id of mine) expectTrue(seen.includes(id), `volume ${id} missing when paging with max_entries 2`, RULES.listPagination, { actual: seen });
    },
  }),
  c({
    id: 'csi.controller.list-volumes.invalid-token', needs: [CONTROLLER, LIST_VOLUMES],
    name: 'ListVolumes with a starting_token the plugin never issued fails with ABORTED',
    async run(k) {
      await expectCode(k.controller.listVolumes({ startingToken: 'triad-invalid-token' }), 'ABORTED', 'CSI ListVolumes: an invalid starting_token → 10 ABORTED');
    },
  }),
  c({
    id: 'csi.controller.list-volumes.concurrent-modification', needs: [...base, LIST_VOLUMES], serial: true, tags: ['Optional'],
    name: 'ListVolumes pagination survives volumes deleted and created between pages, without duplicates',
    async run(k) {
      const mine: string[] = [];
      for (let i = 0; i < 4; i++) mine.push((await k.createVolume()).volumeId);
      const p1 = k.controller.listVolumes({ maxEntries: 2 });
      const page1 = await expectOk(p1, RULES.listOk);
      if (!page1.nextToken) k.ctx.notApplicable('the first page of 2 holds every volume (no next_token): nothing to modify between pages');
      const deleted = page1.entries.map((e) => e.volume!.volumeId).filter((id) => mine.includes(id));
      for (const id of deleted) await expectOk(k.controller.deleteVolume({ volumeId: id }), 'CSI DeleteVolume MUST delete an existing volume and answer OK');
      await k.createVolume();
      const rest: string[] = [];
      let token = page1.nextToken;
      for (let i = 0; token && i < 1000; i++) {
        const p = k.controller.listVolumes({ maxEntries: 2, startingToken: token });
        const page = await expectOk(p, 'CSI ListVolumes: a next_token stays usable while volumes are created and deleted (the plugin may miss or add entries, but MUST NOT fail)');
        rest.push(...page.entries.map((e) => e.volume!.volumeId));
        token = page.nextToken;
      }
      const first = page1.entries.map((e) => e.volume!.volumeId);
      const dup = rest.find((id, i) => rest.indexOf(id) !== i || first.includes(id));
      expectTrue(dup === undefined, `volume ${dup} listed twice across pages`, 'CSI ListVolumes: pages MUST NOT repeat entries', { actual: { first, rest } });
      const back = rest.find((id) => deleted.includes(id));
      expectTrue(back === undefined, `deleted volume ${back} listed after its deletion`, 'CSI ListVolumes: a deleted volume MUST NOT be listed', { actual: rest });
    },
  }),
  c({
    id: 'csi.controller.list-volumes.published-nodes', needs: [...base, LIST_VOLUMES, PUBLISH_UNPUBLISH, C(CtrlCap.LIST_VOLUMES_PUBLISHED_NODES)],
    name: 'ListVolumes reports the node a volume is published to',
    async run(k) {
      const v = await k.createVolume();
      await k.controllerPublish(v.volumeId);
      let token = '';
      for (let i = 0; i < 10_000; i++) {
        const p = k.controller.listVolumes({ startingToken: token });
        const res = await expectOk(p, RULES.listOk);
        const e = res.entries.find((x) => x.volume?.volumeId === v.volumeId);
        if (e) {
          expectTrue(e.status?.publishedNodeIds.includes(k.env.nodeId), `entry of ${v.volumeId} has published_node_ids ${JSON.stringify(e.status?.publishedNodeIds ?? [])}, expected ${k.env.nodeId}`, 'CSI ListVolumes: with LIST_VOLUMES_PUBLISHED_NODES, status.published_node_ids lists every node the volume is published to', { call: p });
          return;
        }
        if (!res.nextToken) break;
        token = res.nextToken;
      }
      fail(`ListVolumes does not list volume ${v.volumeId}`, 'CSI ListVolumes MUST return the volumes the plugin knows');
    },
  }),

  // ---- ValidateVolumeCapabilities ----------------------------------------------------------
  c({
    id: 'csi.controller.validate-volume-capabilities.confirmed', needs: base,
    name: 'ValidateVolumeCapabilities confirms the capabilities a volume was created with',
    async run(k) {
      const v = await k.createVolume();
      const p = k.controller.validateVolumeCapabilities({ volumeId: v.volumeId, volumeCapabilities: [k.cap()], volumeContext: v.volumeContext, parameters: k.env.opts.parameters ?? {} });
      const res = await expectOk(p, 'CSI ValidateVolumeCapabilities MUST answer OK for an existing volume');
      expectTrue(res.confirmed && res.confirmed.volumeCapabilities.length > 0, `confirmed is ${res.confirmed ? 'empty' : 'unset'}${res.message ? ` (message: ${res.message})` : ''}`, 'CSI ValidateVolumeCapabilities: confirmed MUST be set when the capabilities are supported (the volume was created with them)', { call: p });
    },
  }),
  c({
    id: 'csi.controller.validate-volume-capabilities.unknown-volume', needs: [CONTROLLER],
    name: 'ValidateVolumeCapabilities of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.controller.validateVolumeCapabilities({ volumeId: unknownVolume(k), volumeCapabilities: [k.cap()] }), 'NOT_FOUND', 'CSI ValidateVolumeCapabilities: the volume does not exist → 5 NOT_FOUND');
    },
  }),
  missing('csi.controller.validate-volume-capabilities.missing-volume-id', 'ValidateVolumeCapabilities', 'volume_id', [CONTROLLER], async (k) => ({ p: k.controller.validateVolumeCapabilities({ volumeId: '', volumeCapabilities: [k.cap()] }) })),
  missing('csi.controller.validate-volume-capabilities.missing-capabilities', 'ValidateVolumeCapabilities', 'volume_capabilities', base, async (k) => {
    const v = await k.createVolume();
    return { p: k.controller.validateVolumeCapabilities({ volumeId: v.volumeId, volumeCapabilities: [] }) };
  }),

  // ---- ControllerPublishVolume / ControllerUnpublishVolume ---------------------------------
  c({
    id: 'csi.controller.publish.idempotent', needs: [...base, PUBLISH_UNPUBLISH],
    name: 'ControllerPublishVolume twice with the same arguments answers OK with the same publish_context',
    async run(k) {
      const v = await k.createVolume();
      const ctx1 = await k.controllerPublish(v.volumeId);
      const p = k.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId: k.env.nodeId, volumeCapability: k.cap(), readonly: false });
      const again = await expectOk(p, RULES.idempotent('ControllerPublishVolume'));
      expectEqual(again.publishContext, ctx1, 'CSI ControllerPublishVolume: a repeated compatible call MUST answer OK (with the same publish_context)', 'publish_context of the second call', p);
    },
  }),
  missing('csi.controller.publish.missing-volume-id', 'ControllerPublishVolume', 'volume_id', [CONTROLLER, PUBLISH_UNPUBLISH], async (k) => ({ p: k.controller.controllerPublishVolume({ volumeId: '', nodeId: k.env.nodeId, volumeCapability: k.cap() }) })),
  missing('csi.controller.publish.missing-node-id', 'ControllerPublishVolume', 'node_id', [...base, PUBLISH_UNPUBLISH], async (k) => {
    const v = await k.createVolume();
    return { p: k.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId: '', volumeCapability: k.cap() }) };
  }),
  missing('csi.controller.publish.missing-capability', 'ControllerPublishVolume', 'volume_capability', [...base, PUBLISH_UNPUBLISH], async (k) => {
    const v = await k.createVolume();
    return { p: k.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId: k.env.nodeId }) };
  }),
  c({
    id: 'csi.controller.publish.unknown-volume', needs: [CONTROLLER, PUBLISH_UNPUBLISH],
    name: 'ControllerPublishVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.controller.controllerPublishVolume({ volumeId: unknownVolume(k), nodeId: k.env.nodeId, volumeCapability: k.cap() }), 'NOT_FOUND', 'CSI ControllerPublishVolume: volume does not exist → 5 NOT_FOUND');
    },
  }),
  c({
    id: 'csi.controller.publish.unknown-node', needs: [...base, PUBLISH_UNPUBLISH],
    name: 'ControllerPublishVolume to a node that does not exist fails with NOT_FOUND',
    async run(k) {
      const v = await k.createVolume();
      const nodeId = unknownNode(k);
      const p = k.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId, volumeCapability: k.cap() });
      p.then(() => k.ctx.cleanup(() => k.env.client.controller.controllerUnpublishVolume({ volumeId: v.volumeId, nodeId }), `ControllerUnpublishVolume ${v.volumeId} from ${nodeId}`), () => undefined);
      await expectCode(p, 'NOT_FOUND', 'CSI ControllerPublishVolume: node does not exist → 5 NOT_FOUND');
    },
  }),
  c({
    id: 'csi.controller.publish.incompatible-readonly', needs: [...base, PUBLISH_UNPUBLISH, C(CtrlCap.PUBLISH_READONLY)],
    name: 'ControllerPublishVolume again with another readonly flag fails with ALREADY_EXISTS',
    async run(k) {
      const v = await k.createVolume();
      await k.controllerPublish(v.volumeId, false);
      await expectCode(k.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId: k.env.nodeId, volumeCapability: k.cap(), readonly: true }), 'ALREADY_EXISTS',
        'CSI ControllerPublishVolume: the volume is already published to the node with an incompatible volume_capability or readonly flag → 6 ALREADY_EXISTS');
    },
  }),
  c({
    id: 'csi.controller.unpublish.idempotent', needs: [...base, PUBLISH_UNPUBLISH],
    name: 'ControllerUnpublishVolume twice answers OK both times',
    async run(k) {
      const v = await k.createVolume();
      await k.controllerPublish(v.volumeId);
      const req = { volumeId: v.volumeId, nodeId: k.env.nodeId };
      await expectOk(k.controller.controllerUnpublishVolume(req), 'CSI ControllerUnpublishVolume MUST unpublish a published volume and answer OK');
      await expectOk(k.controller.controllerUnpublishVolume(req), 'CSI ControllerUnpublishVolume: if the volume is not published to the node (anymore), the plugin MUST reply 0 OK');
    },
  }),
  missing('csi.controller.unpublish.missing-volume-id', 'ControllerUnpublishVolume', 'volume_id', [CONTROLLER, PUBLISH_UNPUBLISH], async (k) => ({ p: k.controller.controllerUnpublishVolume({ volumeId: '', nodeId: k.env.nodeId }) })),
  c({
    id: 'csi.controller.unpublish.unknown-volume', needs: [CONTROLLER, PUBLISH_UNPUBLISH], tags: ['Optional'],
    name: 'ControllerUnpublishVolume of a volume that does not exist answers OK',
    async run(k) {
      await expectOk(k.controller.controllerUnpublishVolume({ volumeId: unknownVolume(k), nodeId: k.env.nodeId }), 'CSI ControllerUnpublishVolume: if the volume cannot be found and can be regarded as unpublished, the plugin SHOULD return 0 OK');
    },
  }),

  // ---- GetCapacity / ControllerGetVolume ---------------------------------------------------
  c({
    id: 'csi.controller.get-capacity', needs: [CONTROLLER, C(CtrlCap.GET_CAPACITY)],
    name: 'GetCapacity answers OK with and without volume_capabilities',
    async run(k) {
      await expectOk(k.controller.getCapacity({}), 'CSI GetCapacity: all fields are OPTIONAL; the plugin MUST answer OK');
      const p = k.controller.getCapacity({ volumeCapabilities: [k.cap()], parameters: k.env.opts.parameters ?? {} });
      const res = await expectOk(p, 'CSI GetCapacity MUST answer OK for capabilities the plugin supports');
      expectTrue(res.availableCapacity >= 0n, `available_capacity is ${res.availableCapacity}`, 'CSI GetCapacity: available_capacity MUST NOT be negative', { call: p });
    },
  }),
  c({
    id: 'csi.controller.get-volume', needs: [...base, C(CtrlCap.GET_VOLUME)],
    name: 'ControllerGetVolume returns the volume',
    async run(k) {
      const v = await k.createVolume();
      const p = k.controller.controllerGetVolume({ volumeId: v.volumeId });
      const res = await expectOk(p, 'CSI ControllerGetVolume MUST answer OK for an existing volume');
      expectEqual(res.volume?.volumeId, v.volumeId, 'CSI ControllerGetVolume: volume is REQUIRED and is the volume asked for', 'volume.volume_id', p);
      if (k.has(C(CtrlCap.VOLUME_CONDITION))) {
        expectTrue(res.status?.volumeCondition !== undefined, 'status.volume_condition is unset', 'CSI ControllerGetVolume: with VOLUME_CONDITION, status.volume_condition MUST be set', { call: p });
      }
    },
  }),
  c({
    id: 'csi.controller.get-volume.unknown-volume', needs: [CONTROLLER, C(CtrlCap.GET_VOLUME)],
    name: 'ControllerGetVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.controller.controllerGetVolume({ volumeId: unknownVolume(k) }), 'NOT_FOUND', 'CSI ControllerGetVolume: volume does not exist → 5 NOT_FOUND');
    },
  }),
  missing('csi.controller.get-volume.missing-volume-id', 'ControllerGetVolume', 'volume_id', [CONTROLLER, C(CtrlCap.GET_VOLUME)], async (k) => ({ p: k.controller.controllerGetVolume({ volumeId: '' }) })),

  // ---- ControllerExpandVolume --------------------------------------------------------------
  c({
    id: 'csi.controller.expand-volume.grows', needs: [...base, C(CtrlCap.EXPAND_VOLUME)],
    name: 'ControllerExpandVolume grows a volume to at least the required size',
    async run(k) {
      const v = await k.createVolume();
      const want = k.env.size * 2n;
      const p = k.controller.controllerExpandVolume({ volumeId: v.volumeId, capacityRange: { requiredBytes: want }, volumeCapability: k.cap() });
      const res = await expectOk(p, 'CSI ControllerExpandVolume MUST grow an existing volume and answer OK');
      expectTrue(res.capacityBytes >= want, `capacity_bytes ${res.capacityBytes} is below required_bytes ${want}`, 'CSI ControllerExpandVolume: capacity_bytes is the capacity after expansion and MUST be at least required_bytes', { call: p });
    },
  }),
  missing('csi.controller.expand-volume.missing-volume-id', 'ControllerExpandVolume', 'volume_id', [CONTROLLER, C(CtrlCap.EXPAND_VOLUME)], async (k) => ({ p: k.controller.controllerExpandVolume({ volumeId: '', capacityRange: { requiredBytes: k.env.size } }) })),
  missing('csi.controller.expand-volume.missing-capacity', 'ControllerExpandVolume', 'capacity_range', [...base, C(CtrlCap.EXPAND_VOLUME)], async (k) => {
    const v = await k.createVolume();
    return { p: k.controller.controllerExpandVolume({ volumeId: v.volumeId }) };
  }),
  c({
    id: 'csi.controller.expand-volume.unknown-volume', needs: [CONTROLLER, C(CtrlCap.EXPAND_VOLUME)],
    name: 'ControllerExpandVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.controller.controllerExpandVolume({ volumeId: unknownVolume(k), capacityRange: { requiredBytes: k.env.size * 2n } }), 'NOT_FOUND', 'CSI ControllerExpandVolume: volume does not exist → 5 NOT_FOUND');
    },
  }),
  c({
    id: 'csi.controller.expand-volume.unsupported-capacity', needs: [...base, C(CtrlCap.EXPAND_VOLUME)], tags: ['Optional'],
    name: 'ControllerExpandVolume to 4 EiB fails with OUT_OF_RANGE (or RESOURCE_EXHAUSTED)',
    async run(k) {
      const v = await k.createVolume();
      const huge = 2n ** 62n;
      await expectCode(k.controller.controllerExpandVolume({ volumeId: v.volumeId, capacityRange: { requiredBytes: huge, limitBytes: huge } }), ['OUT_OF_RANGE', 'RESOURCE_EXHAUSTED'],
        'CSI ControllerExpandVolume: a capacity the plugin does not support is 11 OUT_OF_RANGE; no room for it is 8 RESOURCE_EXHAUSTED');
    },
  }),

  // ---- ControllerModifyVolume --------------------------------------------------------------
  c({
    id: 'csi.controller.modify-volume.unknown-volume', needs: [CONTROLLER, C(CtrlCap.MODIFY_VOLUME)],
    name: 'ControllerModifyVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.controller.controllerModifyVolume({ volumeId: unknownVolume(k), mutableParameters: {} }), 'NOT_FOUND', 'CSI ControllerModifyVolume: volume does not exist → 5 NOT_FOUND');
    },
  }),
  missing('csi.controller.modify-volume.missing-volume-id', 'ControllerModifyVolume', 'volume_id', [CONTROLLER, C(CtrlCap.MODIFY_VOLUME)], async (k) => ({ p: k.controller.controllerModifyVolume({ volumeId: '', mutableParameters: {} }) })),
];

