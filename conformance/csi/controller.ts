// CSI Controller service (volumes): capabilities, CreateVolume (fields, idempotency, capacity
// ranges, content sources), DeleteVolume, ListVolumes (pagination, bad tokens, modification
// between pages), ValidateVolumeCapabilities, ControllerPublish/Unpublish, GetCapacity,
// ControllerGetVolume, ControllerExpandVolume, ControllerModifyVolume.
import { RpcError } from '../../interfaces/grpc/errors.js';
import { expectCode, expectEqual, expectNonEmpty, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { missing } from './case.js';
import {
  CONTROLLER,
  CREATE_DELETE,
  CtrlCap,
  ExpansionCap,
  checkTopology,
  mapBytes,
  LIFECYCLE,
  LISTING,
  LIST_VOLUMES,
  PUBLISH_UNPUBLISH,
  RULES,
  SNAPSHOT,
  SNAPSHOTS,
  ServiceCap,
  VOLUME,
  cap,
  type CsiEnv,
  CsiKit,
} from './kit.js';

const G = 'csi.Controller';
const C = (t: CtrlCap) => cap.controller(t);
const base = [CONTROLLER, CREATE_DELETE];
const unknownVolume = (k: CsiKit) => `${k.ctx.unique('missing-volume')}`;
const unknownNode = (k: CsiKit) => k.env.opts.unknownNodeId ?? `${k.ctx.unique('missing-node')}`;
/** A mutable parameter key no driver supports. */
const unknownKey = (k: CsiKit) => `triad.invalid/${k.ctx.unique('unknown-mutable')}`;
/** The driver's supported mutable parameters (--test-volume-mutable-parameters), or not applicable. */
function supportedMutable(k: CsiKit): Record<string, string> {
  const m = k.env.opts.mutableParameters;
  if (!m || !Object.keys(m).length)
    return k.ctx.notApplicable('needs --test-volume-mutable-parameters: a modification the driver supports (only it knows its mutable parameters)');
  return m;
}

const c = defineCases(CsiKit, G);

export const controllerCases: CaseDef<CsiEnv>[] = [
  c({
    id: 'csi.controller.get-capabilities',
    rpc: 'ControllerGetCapabilities',
    rules: ['csi.controller-get-capabilities.implemented'],
    group: G,
    needs: [CONTROLLER],
    name: 'ControllerGetCapabilities answers OK and every capability has a known type',
    async run(k) {
      const p = k.controller.controllerGetCapabilities({});
      const res = await expectOk(p, { rule: 'csi.controller-get-capabilities.implemented' });
      res.capabilities.forEach((x, i) =>
        expectTrue((x.rpc?.type ?? 0) > 0, `capabilities[${i}].rpc.type is ${x.rpc ? (CtrlCap[x.rpc.type] ?? x.rpc.type) : 'unset'}`, {
          rule: 'csi.controller-get-capabilities.implemented',
          call: p,
        }),
      );
    },
  }),

  // ---- CreateVolume ------------------------------------------------------------------------
  c({
    id: 'csi.controller.create-volume.basic',
    rpc: 'CreateVolume',
    needs: base,
    rules: [
      ...VOLUME,
      'csi.create-volume.capacity-range-honoured',
      'csi.volume.capacity-non-negative',
      'csi.field-requirements.map-4-kib',
      'csi.volume.topology-needs-capability',
      'csi.create-volume.topology-key-format',
      'csi.controller-get-capabilities.single-node-writer-accepted',
    ],
    name: 'CreateVolume with a name, capabilities and a capacity creates a volume of at least that capacity; its context and topology are well-formed',
    async run(k) {
      // The kit asks for SINGLE_NODE_WRITER, which plugins with the newer single-node modes still accept.
      const v = await k.createVolume();
      const call = k.ctx.lastCall; // the CreateVolume, for the failure report
      expectTrue(v.capacityBytes >= 0n, `capacity_bytes is ${v.capacityBytes}`, { rule: 'csi.volume.capacity-non-negative', actual: v.capacityBytes, call });
      expectTrue(v.capacityBytes === 0n || v.capacityBytes >= k.env.size, `capacity_bytes ${v.capacityBytes} is below required_bytes ${k.env.size}`, {
        rule: 'csi.create-volume.capacity-range-honoured',
        actual: v.capacityBytes,
        call,
      });
      const size = mapBytes(v.volumeContext);
      expectTrue(size <= 4096, `volume_context holds ${size} bytes`, { rule: 'csi.field-requirements.map-4-kib', actual: v.volumeContext, call });
      if (v.accessibleTopology.length) {
        expectTrue(
          k.has(cap.plugin(ServiceCap.VOLUME_ACCESSIBILITY_CONSTRAINTS)),
          'the volume reports accessible_topology but the plugin does not advertise VOLUME_ACCESSIBILITY_CONSTRAINTS',
          { rule: 'csi.volume.topology-needs-capability', actual: v.accessibleTopology, call },
        );
        for (const t of v.accessibleTopology) checkTopology(t.segments, 'volume.accessible_topology', call);
      }
    },
  }),
  missing(G, 'csi.controller.create-volume.missing-name', 'CreateVolume', 'name', 'csi.create-volume.name-required', base, async (k) => ({
    p: k.controller.createVolume(k.volumeRequest({ name: '' })),
  })),
  missing(
    G,
    'csi.controller.create-volume.missing-capabilities',
    'CreateVolume',
    'volume_capabilities',
    'csi.create-volume.capabilities-required',
    base,
    async (k) => ({ p: k.controller.createVolume(k.volumeRequest({ volumeCapabilities: [] })) }),
    ['csi.field-requirements.required-list-non-empty'],
  ),
  c({
    id: 'csi.controller.create-volume.no-capacity',
    rpc: 'CreateVolume',
    rules: [...VOLUME],
    needs: base,
    name: "CreateVolume without capacity_range creates a volume of the plugin's default size",
    async run(k) {
      await k.createVolume({ capacityRange: undefined }, 'csi.create-volume.implemented');
    },
  }),
  c({
    id: 'csi.controller.create-volume.max-length-name',
    rpc: 'CreateVolume',
    rules: [...VOLUME, 'csi.field-requirements.string-128-bytes'],
    needs: base,
    name: 'CreateVolume accepts a name of 128 bytes',
    async run(k) {
      const name = k.ctx.unique('long').padEnd(128, 'x');
      await k.createVolume({ name }, 'csi.field-requirements.string-128-bytes');
    },
  }),
  c({
    id: 'csi.controller.create-volume.unknown-mutable-parameter',
    rpc: 'CreateVolume',
    rules: ['csi.create-volume.mutable-parameters-validated', 'csi.error-scheme.invalid-field-invalid-argument'],
    needs: [...base, C(CtrlCap.MODIFY_VOLUME)],
    name: 'CreateVolume with a mutable_parameters key the driver does not know fails with INVALID_ARGUMENT',
    async run(k) {
      // The plugin validates mutable_parameters (spec: it is responsible for parsing and validating them); ignoring one is not allowed.
      const p = k.controller.createVolume(k.volumeRequest({ mutableParameters: { [unknownKey(k)]: 'x' } }));
      p.then(
        (r) => r.volume?.volumeId && k.track(r.volume.volumeId),
        () => undefined,
      );
      await expectCode(p, 'INVALID_ARGUMENT', { rule: 'csi.create-volume.mutable-parameters-validated' });
    },
  }),
  c({
    id: 'csi.controller.create-volume.unique-ids',
    rpc: 'CreateVolume',
    rules: [...VOLUME, 'csi.volume.id-unique'],
    needs: base,
    name: 'Two volumes created under two names have two different volume_ids',
    async run(k) {
      const a = await k.createVolume();
      const b = await k.createVolume();
      expectTrue(a.volumeId !== b.volumeId, `both volumes got volume_id ${a.volumeId}`, { rule: 'csi.volume.id-unique', actual: [a, b] });
    },
  }),
  c({
    id: 'csi.controller.create-volume.concurrent-same-name',
    rpc: 'CreateVolume',
    rules: [...VOLUME, 'csi.concurrency.graceful', 'csi.create-volume.name-idempotency-key'],
    needs: base,
    tags: ['Optional'],
    name: 'Five CreateVolume calls with one name at once yield one volume (each answers OK with it, or ABORTED)',
    async run(k) {
      const req = k.volumeRequest();
      const calls = Array.from({ length: 5 }, () => k.controller.createVolume(req));
      const got = await Promise.allSettled(calls);
      const ids = new Set<string>();
      got.forEach((r) => {
        if (r.status === 'fulfilled' && r.value.volume?.volumeId) {
          ids.add(r.value.volume.volumeId);
          k.track(r.value.volume.volumeId);
        }
      });
      got.forEach((r, i) => {
        if (r.status === 'rejected') {
          const e = r.reason as RpcError;
          expectTrue(e instanceof RpcError && e.codeName === 'ABORTED', `call ${i + 1} failed with ${e instanceof RpcError ? e.codeName : String(e)}`, {
            rule: 'csi.concurrency.graceful',
            call: calls[i],
          });
        }
      });
      expectTrue(ids.size <= 1, `one name gave ${ids.size} volumes: ${[...ids].join(', ')}`, {
        rule: 'csi.create-volume.name-idempotency-key',
        actual: [...ids],
        call: calls[calls.length - 1],
      });
      // Whoever lost the race gets the volume on a retry.
      const p = k.controller.createVolume(req);
      const after = await expectOk(p, { rule: 'csi.create-volume.name-idempotency-key' });
      if (after.volume?.volumeId) k.track(after.volume.volumeId);
      expectTrue(!ids.size || ids.has(after.volume?.volumeId ?? ''), `a later CreateVolume answered volume ${after.volume?.volumeId}, not ${[...ids][0]}`, {
        rule: 'csi.create-volume.name-idempotency-key',
        call: p,
      });
    },
  }),
  missing(
    G,
    'csi.controller.create-volume.capability-without-access-mode',
    'CreateVolume',
    'volume_capabilities[0].access_mode',
    'csi.volume-capability.access-mode-required',
    base,
    async (k) => {
      const { accessMode: _, ...noMode } = k.cap();
      return { p: k.controller.createVolume(k.volumeRequest({ volumeCapabilities: [noMode] })) };
    },
  ),
  c({
    id: 'csi.controller.create-volume.idempotent',
    rpc: 'CreateVolume',
    rules: [...VOLUME, 'csi.create-volume.idempotent', 'csi.timeouts.retry-continues', 'csi.volume.context-stable'],
    needs: base,
    name: 'CreateVolume twice with the same name and arguments returns the same volume',
    async run(k) {
      const req = k.volumeRequest();
      const first = await k.createVolume(req);
      const p = k.controller.createVolume(req);
      const again = await expectOk(p, { rule: 'csi.create-volume.idempotent' });
      if (again.volume?.volumeId && again.volume.volumeId !== first.volumeId) k.track(again.volume.volumeId);
      expectEqual(again.volume?.volumeId, first.volumeId, { rule: 'csi.create-volume.idempotent', what: 'volume_id of the second CreateVolume', call: p });
      expectEqual(again.volume?.capacityBytes, first.capacityBytes, {
        rule: 'csi.create-volume.idempotent',
        what: 'capacity_bytes of the second CreateVolume',
        call: p,
      });
      expectEqual(again.volume?.volumeContext, first.volumeContext, {
        rule: 'csi.volume.context-stable',
        what: 'volume_context of the second CreateVolume',
        call: p,
      });
    },
  }),
  c({
    id: 'csi.controller.create-volume.different-capacity-already-exists',
    rpc: 'CreateVolume',
    rules: [...VOLUME, 'csi.create-volume.incompatible-already-exists'],
    needs: base,
    name: 'CreateVolume with an existing name but an incompatible capacity fails with ALREADY_EXISTS',
    async run(k) {
      const req = k.volumeRequest();
      const v = await k.createVolume(req);
      const bigger = (v.capacityBytes > 0n ? v.capacityBytes : k.env.size) * 2n;
      const p = k.controller.createVolume({ ...req, capacityRange: { requiredBytes: bigger, limitBytes: bigger } });
      const track = p.then(
        (r) => {
          if (r.volume?.volumeId && r.volume.volumeId !== v.volumeId) k.track(r.volume.volumeId);
        },
        () => undefined,
      );
      await expectCode(p, 'ALREADY_EXISTS', { rule: 'csi.create-volume.incompatible-already-exists' });
      await track;
    },
  }),
  c({
    id: 'csi.controller.create-volume.capacity-within-range',
    rpc: 'CreateVolume',
    rules: [...VOLUME, 'csi.create-volume.capacity-range-honoured'],
    needs: base,
    name: 'CreateVolume honours capacity_range: required_bytes ≤ capacity ≤ limit_bytes',
    async run(k) {
      const limit = k.env.size * 2n;
      const v = await k.createVolume({ capacityRange: { requiredBytes: k.env.size, limitBytes: limit } });
      expectTrue(
        v.capacityBytes === 0n || (v.capacityBytes >= k.env.size && v.capacityBytes <= limit),
        `capacity_bytes ${v.capacityBytes} is outside [${k.env.size}, ${limit}]`,
        { rule: 'csi.create-volume.capacity-range-honoured', actual: v.capacityBytes },
      );
    },
  }),
  c({
    id: 'csi.controller.create-volume.required-above-limit',
    rpc: 'CreateVolume',
    rules: ['csi.capacity-range.bounds'],
    needs: base,
    name: 'CreateVolume with required_bytes above limit_bytes fails with INVALID_ARGUMENT or OUT_OF_RANGE',
    async run(k) {
      const p = k.controller.createVolume(k.volumeRequest({ capacityRange: { requiredBytes: k.env.size * 2n, limitBytes: k.env.size } }));
      p.then(
        (r) => r.volume?.volumeId && k.track(r.volume.volumeId),
        () => undefined,
      );
      await expectCode(p, ['INVALID_ARGUMENT', 'OUT_OF_RANGE'], { rule: 'csi.capacity-range.bounds' });
    },
  }),
  c({
    id: 'csi.controller.create-volume.unsupported-capacity',
    rpc: 'CreateVolume',
    rules: ['csi.create-volume.unsupported-capacity-out-of-range'],
    needs: base,
    tags: ['Optional'],
    name: 'CreateVolume asking for 4 EiB fails with OUT_OF_RANGE (or RESOURCE_EXHAUSTED)',
    async run(k) {
      const huge = 2n ** 62n;
      const p = k.controller.createVolume(k.volumeRequest({ capacityRange: { requiredBytes: huge, limitBytes: huge } }));
      p.then(
        (r) => r.volume?.volumeId && k.track(r.volume.volumeId),
        () => undefined,
      );
      await expectCode(p, ['OUT_OF_RANGE', 'RESOURCE_EXHAUSTED'], { rule: 'csi.create-volume.unsupported-capacity-out-of-range' });
    },
  }),
  c({
    id: 'csi.controller.create-volume.from-snapshot',
    rpc: 'CreateVolume',
    needs: [...base, SNAPSHOTS],
    rules: [
      ...SNAPSHOT,
      'csi.create-volume.from-snapshot',
      'csi.controller-get-capabilities.snapshot-restore',
      'csi.volume.content-source-reported',
      'csi.create-snapshot.restore-size',
      'csi.create-snapshot.blocks-until-cut',
    ],
    name: 'CreateVolume from a snapshot creates a volume whose content_source names the snapshot, at least as big as the snapshot',
    async run(k) {
      const src = await k.createVolume();
      const snap = await k.createSnapshot(src.volumeId);
      if (!snap.readyToUse)
        k.ctx.notApplicable('the snapshot is not ready_to_use yet (post-processing); csi.snapshots.create.ready-to-use checks that it gets there');
      // CreateSnapshot returned only after the cut, so the snapshot is usable right away.
      const v = await k.createVolume({ volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } }, 'csi.create-volume.from-snapshot');
      expectEqual(v.contentSource?.snapshot?.snapshotId, snap.snapshotId, {
        rule: 'csi.volume.content-source-reported',
        what: 'volume.content_source.snapshot.snapshot_id',
      });
      expectTrue(v.capacityBytes === 0n || v.capacityBytes >= snap.sizeBytes, `the volume has ${v.capacityBytes} bytes, the snapshot ${snap.sizeBytes}`, {
        rule: 'csi.create-snapshot.restore-size',
        actual: { volume: v, snapshot: snap },
      });
    },
  }),
  c({
    id: 'csi.controller.create-volume.larger-than-snapshot',
    rpc: 'CreateVolume',
    rules: [...SNAPSHOT, 'csi.create-volume.larger-than-source'],
    needs: [...base, SNAPSHOTS],
    name: 'CreateVolume from a snapshot asking twice its size answers a volume of that size, or OUT_OF_RANGE',
    async run(k) {
      const src = await k.createVolume();
      const snap = await k.createSnapshot(src.volumeId);
      const want = (src.capacityBytes > 0n ? src.capacityBytes : k.env.size) * 2n;
      const p = k.controller.createVolume(
        k.volumeRequest({ capacityRange: { requiredBytes: want }, volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } }),
      );
      let v;
      try {
        v = (await p).volume;
      } catch (e) {
        if (e instanceof RpcError && e.codeName === 'OUT_OF_RANGE') return;
        await expectOk(p, { rule: 'csi.create-volume.larger-than-source' });
      }
      if (v?.volumeId) k.track(v.volumeId);
      expectTrue(v !== undefined && (v.capacityBytes === 0n || v.capacityBytes >= want), `the volume has ${v?.capacityBytes} bytes, ${want} were asked for`, {
        rule: 'csi.create-volume.larger-than-source',
        call: p,
      });
    },
  }),
  c({
    id: 'csi.controller.create-volume.from-missing-snapshot',
    rpc: 'CreateVolume',
    rules: ['csi.create-volume.source-not-found'],
    needs: [...base, SNAPSHOTS],
    name: 'CreateVolume from a snapshot that does not exist fails with NOT_FOUND',
    async run(k) {
      const p = k.controller.createVolume(k.volumeRequest({ volumeContentSource: { snapshot: { snapshotId: k.ctx.unique('missing-snapshot') } } }));
      p.then(
        (r) => r.volume?.volumeId && k.track(r.volume.volumeId),
        () => undefined,
      );
      await expectCode(p, 'NOT_FOUND', { rule: 'csi.create-volume.source-not-found' });
    },
  }),
  c({
    id: 'csi.controller.create-volume.clone',
    rpc: 'CreateVolume',
    rules: [...VOLUME, 'csi.create-volume.clone', 'csi.volume.content-source-reported'],
    needs: [...base, C(CtrlCap.CLONE_VOLUME)],
    name: 'CreateVolume from another volume creates a clone whose content_source names it',
    async run(k) {
      const src = await k.createVolume();
      const v = await k.createVolume({ volumeContentSource: { volume: { volumeId: src.volumeId } } }, 'csi.create-volume.clone');
      expectEqual(v.contentSource?.volume?.volumeId, src.volumeId, {
        rule: 'csi.volume.content-source-reported',
        what: 'volume.content_source.volume.volume_id',
      });
    },
  }),
  c({
    id: 'csi.controller.create-volume.clone-missing-source',
    rpc: 'CreateVolume',
    rules: ['csi.create-volume.source-not-found'],
    needs: [...base, C(CtrlCap.CLONE_VOLUME)],
    name: 'CreateVolume cloning a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      const p = k.controller.createVolume(k.volumeRequest({ volumeContentSource: { volume: { volumeId: unknownVolume(k) } } }));
      p.then(
        (r) => r.volume?.volumeId && k.track(r.volume.volumeId),
        () => undefined,
      );
      await expectCode(p, 'NOT_FOUND', { rule: 'csi.create-volume.source-not-found' });
    },
  }),

  // ---- DeleteVolume ------------------------------------------------------------------------
  c({
    id: 'csi.controller.delete-volume.basic',
    rpc: 'DeleteVolume',
    rules: [...VOLUME, ...LISTING, 'csi.delete-volume.implemented'],
    needs: base,
    name: 'DeleteVolume removes the volume: it is no longer listed or found',
    async run(k) {
      const v = await k.createVolume();
      await expectOk(k.controller.deleteVolume({ volumeId: v.volumeId }), { rule: 'csi.delete-volume.implemented' });
      const rule = 'csi.delete-volume.implemented';
      if (k.has(C(CtrlCap.GET_VOLUME))) await expectCode(k.controller.controllerGetVolume({ volumeId: v.volumeId }), 'NOT_FOUND', { rule });
      if (k.has(LIST_VOLUMES)) {
        const ids = await k.listAllVolumes();
        expectTrue(!ids.includes(v.volumeId), `ListVolumes still lists deleted volume ${v.volumeId}`, { rule, actual: ids });
      }
    },
  }),
  c({
    id: 'csi.controller.delete-volume.idempotent',
    rpc: 'DeleteVolume',
    rules: [...VOLUME, 'csi.delete-volume.implemented', 'csi.delete-volume.idempotent'],
    needs: base,
    name: 'DeleteVolume twice answers OK both times',
    async run(k) {
      const v = await k.createVolume();
      await expectOk(k.controller.deleteVolume({ volumeId: v.volumeId }), { rule: 'csi.delete-volume.implemented' });
      await expectOk(k.controller.deleteVolume({ volumeId: v.volumeId }), { rule: 'csi.delete-volume.idempotent' });
    },
  }),
  c({
    id: 'csi.controller.delete-volume.unknown-id',
    rpc: 'DeleteVolume',
    rules: ['csi.delete-volume.idempotent'],
    needs: base,
    name: 'DeleteVolume of a volume id that never existed answers OK',
    async run(k) {
      await expectOk(k.controller.deleteVolume({ volumeId: unknownVolume(k) }), { rule: 'csi.delete-volume.idempotent' });
    },
  }),
  c({
    id: 'csi.controller.delete-volume.keeps-snapshots',
    rpc: 'DeleteVolume',
    rules: [...SNAPSHOT, 'csi.delete-volume.implemented', 'csi.delete-volume.snapshots-independent'],
    needs: [...base, SNAPSHOTS],
    tags: ['Optional'],
    name: 'DeleteVolume of a volume with a snapshot deletes it, and the snapshot still restores',
    async run(k) {
      const v = await k.createVolume();
      const snap = await k.createSnapshot(v.volumeId);
      await expectOk(k.controller.deleteVolume({ volumeId: v.volumeId }), { rule: 'csi.delete-volume.snapshots-independent' });
      const p = k.controller.createVolume(k.volumeRequest({ volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } }));
      p.then(
        (r) => r.volume?.volumeId && k.track(r.volume.volumeId),
        () => undefined,
      );
      await expectOk(p, { rule: 'csi.delete-volume.snapshots-independent' });
    },
  }),
  missing(G, 'csi.controller.delete-volume.missing-id', 'DeleteVolume', 'volume_id', 'csi.delete-volume.volume-id-required', base, async (k) => ({
    p: k.controller.deleteVolume({ volumeId: '' }),
  })),

  // ---- ListVolumes -------------------------------------------------------------------------
  c({
    id: 'csi.controller.list-volumes.lists-created',
    rpc: 'ListVolumes',
    rules: [...VOLUME, ...LISTING, 'csi.list-volumes.volume-condition'],
    needs: [...base, LIST_VOLUMES],
    name: 'ListVolumes lists a new volume, and every entry has a volume_id',
    async run(k) {
      const v = await k.createVolume();
      const p = k.controller.listVolumes({});
      const res = await expectOk(p, { rule: RULES.listOk });
      res.entries.forEach((e, i) =>
        expectNonEmpty(e.volume?.volumeId, { rule: 'csi.list-volumes.implemented', what: `entries[${i}].volume.volume_id`, call: p }),
      );
      if (k.has(C(CtrlCap.VOLUME_CONDITION)))
        res.entries.forEach((e, i) =>
          expectTrue(e.status?.volumeCondition !== undefined, `entries[${i}].status.volume_condition is unset`, {
            rule: 'csi.list-volumes.volume-condition',
            call: p,
          }),
        );
      const ids = res.nextToken ? await k.listAllVolumes() : res.entries.map((e) => e.volume!.volumeId);
      expectTrue(ids.includes(v.volumeId), `ListVolumes does not list volume ${v.volumeId} created just before`, {
        rule: 'csi.list-volumes.implemented',
        call: p,
      });
    },
  }),
  c({
    id: 'csi.controller.list-volumes.max-entries',
    rpc: 'ListVolumes',
    rules: [...VOLUME, ...LISTING, 'csi.list-volumes.max-entries'],
    needs: [...base, LIST_VOLUMES],
    serial: true,
    name: 'ListVolumes with max_entries returns at most that many entries and a next_token that reaches every volume once',
    async run(k) {
      const mine = [];
      for (let i = 0; i < 3; i++) mine.push((await k.createVolume()).volumeId);
      const total = (await k.listAllVolumes()).length;
      const p = k.controller.listVolumes({ maxEntries: 2 });
      const first = await expectOk(p, { rule: RULES.listOk });
      const rule = 'csi.list-volumes.max-entries';
      expectTrue(first.entries.length <= 2, `max_entries 2 answered ${first.entries.length} entries`, { rule, call: p });
      expectTrue(total <= 2 || first.nextToken !== '', `${total} volumes exist but the first page of 2 has no next_token`, { rule, call: p });
      const seen = await k.listAllVolumes(2);
      const dup = seen.find((id, i) => seen.indexOf(id) !== i);
      expectTrue(dup === undefined, `volume ${dup} listed twice across pages`, { rule: RULES.listPagination, actual: seen });
      for (const id of mine) expectTrue(seen.includes(id), `volume ${id} missing when paging with max_entries 2`, { rule: RULES.listPagination, actual: seen });
    },
  }),
  c({
    id: 'csi.controller.list-volumes.invalid-token',
    rpc: 'ListVolumes',
    rules: ['csi.list-volumes.invalid-token-aborted'],
    needs: [CONTROLLER, LIST_VOLUMES],
    name: 'ListVolumes with a starting_token the plugin never issued fails with ABORTED',
    async run(k) {
      await expectCode(k.controller.listVolumes({ startingToken: 'triad-invalid-token' }), 'ABORTED', { rule: 'csi.list-volumes.invalid-token-aborted' });
    },
  }),
  c({
    id: 'csi.controller.list-volumes.concurrent-modification',
    rpc: 'ListVolumes',
    rules: [...VOLUME, RULES.listOk, 'csi.delete-volume.implemented', 'csi.list-volumes.no-consistent-view'],
    needs: [...base, LIST_VOLUMES],
    serial: true,
    tags: ['Optional'],
    name: 'ListVolumes pagination survives volumes deleted and created between pages, without duplicates',
    async run(k) {
      const mine: string[] = [];
      for (let i = 0; i < 4; i++) mine.push((await k.createVolume()).volumeId);
      const p1 = k.controller.listVolumes({ maxEntries: 2 });
      const page1 = await expectOk(p1, { rule: RULES.listOk });
      if (!page1.nextToken) k.ctx.notApplicable('the first page of 2 holds every volume (no next_token): nothing to modify between pages');
      const deleted = page1.entries.map((e) => e.volume!.volumeId).filter((id) => mine.includes(id));
      for (const id of deleted) await expectOk(k.controller.deleteVolume({ volumeId: id }), { rule: 'csi.delete-volume.implemented' });
      await k.createVolume();
      const rest: string[] = [];
      let token = page1.nextToken;
      for (let i = 0; token && i < 1000; i++) {
        const p = k.controller.listVolumes({ maxEntries: 2, startingToken: token });
        const page = await expectOk(p, { rule: 'csi.list-volumes.no-consistent-view' });
        rest.push(...page.entries.map((e) => e.volume!.volumeId));
        token = page.nextToken;
      }
      const first = page1.entries.map((e) => e.volume!.volumeId);
      const dup = rest.find((id, i) => rest.indexOf(id) !== i || first.includes(id));
      expectTrue(dup === undefined, `volume ${dup} listed twice across pages`, { rule: 'csi.list-volumes.no-consistent-view', actual: { first, rest } });
      const back = rest.find((id) => deleted.includes(id));
      expectTrue(back === undefined, `deleted volume ${back} listed after its deletion`, { rule: 'csi.list-volumes.no-consistent-view', actual: rest });
    },
  }),
  c({
    id: 'csi.controller.list-volumes.published-nodes',
    rpc: 'ListVolumes',
    rules: [...VOLUME, RULES.listOk, RULES.publishOk, 'csi.list-volumes.published-nodes'],
    needs: [...base, LIST_VOLUMES, PUBLISH_UNPUBLISH, C(CtrlCap.LIST_VOLUMES_PUBLISHED_NODES)],
    name: 'ListVolumes reports the node a volume is published to',
    async run(k) {
      const v = await k.createVolume();
      await k.controllerPublish(v.volumeId);
      let token = '';
      for (let i = 0; i < 10_000; i++) {
        const p = k.controller.listVolumes({ startingToken: token });
        const res = await expectOk(p, { rule: RULES.listOk });
        const e = res.entries.find((x) => x.volume?.volumeId === v.volumeId);
        if (e) {
          expectTrue(
            e.status?.publishedNodeIds.includes(k.env.nodeId),
            `entry of ${v.volumeId} has published_node_ids ${JSON.stringify(e.status?.publishedNodeIds ?? [])}, expected ${k.env.nodeId}`,
            { rule: 'csi.list-volumes.published-nodes', call: p },
          );
          return;
        }
        if (!res.nextToken) break;
        token = res.nextToken;
      }
      fail(`ListVolumes does not list volume ${v.volumeId}`, { rule: 'csi.list-volumes.implemented' });
    },
  }),

  // ---- ValidateVolumeCapabilities ----------------------------------------------------------
  c({
    id: 'csi.controller.validate-volume-capabilities.confirmed',
    rpc: 'ValidateVolumeCapabilities',
    rules: [
      ...VOLUME,
      'csi.validate-volume-capabilities.implemented',
      'csi.validate-volume-capabilities.confirmed-only-if-supported',
      'csi.create-volume.capabilities-all-supported',
      'csi.validate-volume-capabilities.idempotent',
    ],
    needs: base,
    name: 'ValidateVolumeCapabilities confirms the capabilities a volume was created with',
    async run(k) {
      const v = await k.createVolume();
      const p = k.controller.validateVolumeCapabilities({
        volumeId: v.volumeId,
        volumeCapabilities: [k.cap()],
        volumeContext: v.volumeContext,
        parameters: k.env.opts.parameters ?? {},
      });
      const res = await expectOk(p, { rule: 'csi.validate-volume-capabilities.implemented' });
      expectTrue(
        res.confirmed && res.confirmed.volumeCapabilities.length > 0,
        `confirmed is ${res.confirmed ? 'empty' : 'unset'}${res.message ? ` (message: ${res.message})` : ''}`,
        { rule: 'csi.validate-volume-capabilities.confirmed-only-if-supported', call: p },
      );
      const p2 = k.controller.validateVolumeCapabilities({
        volumeId: v.volumeId,
        volumeCapabilities: [k.cap()],
        volumeContext: v.volumeContext,
        parameters: k.env.opts.parameters ?? {},
      });
      const again = await expectOk(p2, { rule: 'csi.validate-volume-capabilities.idempotent' });
      expectEqual(again.confirmed, res.confirmed, {
        rule: 'csi.validate-volume-capabilities.idempotent',
        what: 'confirmed of a second ValidateVolumeCapabilities',
        call: p2,
      });
    },
  }),
  c({
    id: 'csi.controller.validate-volume-capabilities.unknown-volume',
    rpc: 'ValidateVolumeCapabilities',
    rules: ['csi.validate-volume-capabilities.not-found', 'csi.error-scheme.table-codes'],
    needs: [CONTROLLER],
    name: 'ValidateVolumeCapabilities of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.controller.validateVolumeCapabilities({ volumeId: unknownVolume(k), volumeCapabilities: [k.cap()] }), 'NOT_FOUND', {
        rule: 'csi.validate-volume-capabilities.not-found',
      });
    },
  }),
  missing(
    G,
    'csi.controller.validate-volume-capabilities.missing-volume-id',
    'ValidateVolumeCapabilities',
    'volume_id',
    'csi.validate-volume-capabilities.volume-id-required',
    [CONTROLLER],
    async (k) => ({ p: k.controller.validateVolumeCapabilities({ volumeId: '', volumeCapabilities: [k.cap()] }) }),
  ),
  missing(
    G,
    'csi.controller.validate-volume-capabilities.missing-capabilities',
    'ValidateVolumeCapabilities',
    'volume_capabilities',
    'csi.validate-volume-capabilities.capabilities-required',
    base,
    async (k) => {
      const v = await k.createVolume();
      return { p: k.controller.validateVolumeCapabilities({ volumeId: v.volumeId, volumeCapabilities: [] }) };
    },
  ),

  // ---- ControllerPublishVolume / ControllerUnpublishVolume ---------------------------------
  c({
    id: 'csi.controller.publish-volume.idempotent',
    rpc: 'ControllerPublishVolume',
    rules: [...VOLUME, RULES.publishOk, 'csi.controller-publish-volume.idempotent', 'csi.controller-publish-volume.publish-context-stable'],
    needs: [...base, PUBLISH_UNPUBLISH],
    name: 'ControllerPublishVolume twice with the same arguments answers OK with the same publish_context',
    async run(k) {
      const v = await k.createVolume();
      const ctx1 = await k.controllerPublish(v.volumeId);
      const p = k.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId: k.env.nodeId, volumeCapability: k.cap(), readonly: false });
      const again = await expectOk(p, { rule: 'csi.controller-publish-volume.idempotent' });
      expectEqual(again.publishContext, ctx1, {
        rule: 'csi.controller-publish-volume.publish-context-stable',
        what: 'publish_context of the second call',
        call: p,
      });
    },
  }),
  missing(
    G,
    'csi.controller.publish-volume.missing-volume-id',
    'ControllerPublishVolume',
    'volume_id',
    'csi.controller-publish-volume.volume-id-required',
    [CONTROLLER, PUBLISH_UNPUBLISH],
    async (k) => ({ p: k.controller.controllerPublishVolume({ volumeId: '', nodeId: k.env.nodeId, volumeCapability: k.cap() }) }),
  ),
  missing(
    G,
    'csi.controller.publish-volume.missing-node-id',
    'ControllerPublishVolume',
    'node_id',
    'csi.controller-publish-volume.node-id-required',
    [...base, PUBLISH_UNPUBLISH],
    async (k) => {
      const v = await k.createVolume();
      return { p: k.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId: '', volumeCapability: k.cap() }) };
    },
  ),
  missing(
    G,
    'csi.controller.publish-volume.missing-capability',
    'ControllerPublishVolume',
    'volume_capability',
    'csi.controller-publish-volume.capability-required',
    [...base, PUBLISH_UNPUBLISH],
    async (k) => {
      const v = await k.createVolume();
      return { p: k.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId: k.env.nodeId }) };
    },
  ),
  c({
    id: 'csi.controller.publish-volume.unknown-volume',
    rpc: 'ControllerPublishVolume',
    rules: ['csi.controller-publish-volume.volume-not-found', 'csi.error-scheme.table-codes'],
    needs: [CONTROLLER, PUBLISH_UNPUBLISH],
    name: 'ControllerPublishVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.controller.controllerPublishVolume({ volumeId: unknownVolume(k), nodeId: k.env.nodeId, volumeCapability: k.cap() }), 'NOT_FOUND', {
        rule: 'csi.controller-publish-volume.volume-not-found',
      });
    },
  }),
  c({
    id: 'csi.controller.publish-volume.unknown-node',
    rpc: 'ControllerPublishVolume',
    rules: [...VOLUME, 'csi.controller-publish-volume.node-not-found'],
    needs: [...base, PUBLISH_UNPUBLISH],
    name: 'ControllerPublishVolume to a node that does not exist fails with NOT_FOUND',
    async run(k) {
      const v = await k.createVolume();
      const nodeId = unknownNode(k);
      const p = k.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId, volumeCapability: k.cap() });
      p.then(
        () =>
          k.ctx.cleanup(
            () => k.env.client.controller.controllerUnpublishVolume({ volumeId: v.volumeId, nodeId }),
            `ControllerUnpublishVolume ${v.volumeId} from ${nodeId}`,
          ),
        () => undefined,
      );
      await expectCode(p, 'NOT_FOUND', { rule: 'csi.controller-publish-volume.node-not-found' });
    },
  }),
  c({
    id: 'csi.controller.publish-volume.incompatible-readonly',
    rpc: 'ControllerPublishVolume',
    rules: [...VOLUME, RULES.publishOk, 'csi.controller-publish-volume.incompatible-already-exists'],
    needs: [...base, PUBLISH_UNPUBLISH, C(CtrlCap.PUBLISH_READONLY)],
    name: 'ControllerPublishVolume again with another readonly flag fails with ALREADY_EXISTS',
    async run(k) {
      const v = await k.createVolume();
      await k.controllerPublish(v.volumeId, false);
      await expectCode(
        k.controller.controllerPublishVolume({ volumeId: v.volumeId, nodeId: k.env.nodeId, volumeCapability: k.cap(), readonly: true }),
        'ALREADY_EXISTS',
        { rule: 'csi.controller-publish-volume.incompatible-already-exists' },
      );
    },
  }),
  c({
    id: 'csi.controller.unpublish-volume.idempotent',
    rpc: 'ControllerUnpublishVolume',
    rules: [...VOLUME, RULES.publishOk, 'csi.controller-unpublish-volume.implemented', 'csi.controller-unpublish-volume.idempotent'],
    needs: [...base, PUBLISH_UNPUBLISH],
    name: 'ControllerUnpublishVolume twice answers OK both times',
    async run(k) {
      const v = await k.createVolume();
      await k.controllerPublish(v.volumeId);
      const req = { volumeId: v.volumeId, nodeId: k.env.nodeId };
      await expectOk(k.controller.controllerUnpublishVolume(req), { rule: 'csi.controller-unpublish-volume.implemented' });
      await expectOk(k.controller.controllerUnpublishVolume(req), { rule: 'csi.controller-unpublish-volume.idempotent' });
    },
  }),
  c({
    id: 'csi.controller.unpublish-volume.all-nodes',
    rpc: 'ControllerUnpublishVolume',
    rules: [...VOLUME, RULES.publishOk, 'csi.controller-unpublish-volume.all-nodes'],
    needs: [...base, PUBLISH_UNPUBLISH],
    name: 'ControllerUnpublishVolume without node_id unpublishes the volume from every node',
    async run(k) {
      const v = await k.createVolume();
      await k.controllerPublish(v.volumeId);
      await expectOk(k.controller.controllerUnpublishVolume({ volumeId: v.volumeId, nodeId: '' }), { rule: 'csi.controller-unpublish-volume.all-nodes' });
      // Where the plugin reports publications, the node is gone from them.
      if (k.has(C(CtrlCap.GET_VOLUME)) && k.has(C(CtrlCap.LIST_VOLUMES_PUBLISHED_NODES))) {
        const p = k.controller.controllerGetVolume({ volumeId: v.volumeId });
        const res = await expectOk(p, { rule: 'csi.controller-unpublish-volume.all-nodes' });
        expectTrue(!res.status?.publishedNodeIds.includes(k.env.nodeId), `volume ${v.volumeId} is still published to ${k.env.nodeId}`, {
          rule: 'csi.controller-unpublish-volume.all-nodes',
          call: p,
        });
      } else k.ctx.log('the plugin reports no publications (GET_VOLUME with LIST_VOLUMES_PUBLISHED_NODES): only the OK answer is checked');
    },
  }),
  missing(
    G,
    'csi.controller.unpublish-volume.missing-volume-id',
    'ControllerUnpublishVolume',
    'volume_id',
    'csi.controller-unpublish-volume.volume-id-required',
    [CONTROLLER, PUBLISH_UNPUBLISH],
    async (k) => ({ p: k.controller.controllerUnpublishVolume({ volumeId: '', nodeId: k.env.nodeId }) }),
  ),
  c({
    id: 'csi.controller.unpublish-volume.unknown-volume',
    rpc: 'ControllerUnpublishVolume',
    rules: ['csi.controller-unpublish-volume.unknown-ok'],
    needs: [CONTROLLER, PUBLISH_UNPUBLISH],
    tags: ['Optional'],
    name: 'ControllerUnpublishVolume of a volume that does not exist answers OK',
    async run(k) {
      await expectOk(k.controller.controllerUnpublishVolume({ volumeId: unknownVolume(k), nodeId: k.env.nodeId }), {
        rule: 'csi.controller-unpublish-volume.unknown-ok',
      });
    },
  }),

  // ---- GetCapacity / ControllerGetVolume ---------------------------------------------------
  c({
    id: 'csi.controller.get-capacity',
    rpc: 'GetCapacity',
    rules: ['csi.get-capacity.implemented', 'csi.get-capacity.non-negative'],
    needs: [CONTROLLER, C(CtrlCap.GET_CAPACITY)],
    name: 'GetCapacity answers OK with and without volume_capabilities',
    async run(k) {
      await expectOk(k.controller.getCapacity({}), { rule: 'csi.get-capacity.implemented' });
      const p = k.controller.getCapacity({ volumeCapabilities: [k.cap()], parameters: k.env.opts.parameters ?? {} });
      const res = await expectOk(p, { rule: 'csi.get-capacity.implemented' });
      expectTrue(res.availableCapacity >= 0n, `available_capacity is ${res.availableCapacity}`, { rule: 'csi.get-capacity.non-negative', call: p });
    },
  }),
  c({
    id: 'csi.controller.get-volume',
    rpc: 'ControllerGetVolume',
    needs: [...base, C(CtrlCap.GET_VOLUME)],
    rules: [
      ...VOLUME,
      RULES.publishOk,
      'csi.controller-get-volume.implemented',
      'csi.controller-get-volume.volume-condition',
      'csi.controller-get-volume.published-nodes',
    ],
    name: 'ControllerGetVolume returns the volume (with the node it is published to)',
    async run(k) {
      const v = await k.createVolume();
      await k.controllerPublish(v.volumeId);
      const p = k.controller.controllerGetVolume({ volumeId: v.volumeId });
      const res = await expectOk(p, { rule: 'csi.controller-get-volume.implemented' });
      expectEqual(res.volume?.volumeId, v.volumeId, { rule: 'csi.controller-get-volume.implemented', what: 'volume.volume_id', call: p });
      if (k.has(C(CtrlCap.VOLUME_CONDITION))) {
        expectTrue(res.status?.volumeCondition !== undefined, 'status.volume_condition is unset', {
          rule: 'csi.controller-get-volume.volume-condition',
          call: p,
        });
      }
      if (k.has(PUBLISH_UNPUBLISH) && k.has(C(CtrlCap.LIST_VOLUMES_PUBLISHED_NODES))) {
        expectTrue(
          res.status?.publishedNodeIds.includes(k.env.nodeId),
          `status.published_node_ids is ${JSON.stringify(res.status?.publishedNodeIds ?? [])}, expected ${k.env.nodeId}`,
          { rule: 'csi.controller-get-volume.published-nodes', call: p },
        );
      }
    },
  }),
  c({
    id: 'csi.controller.get-volume.unknown-volume',
    rpc: 'ControllerGetVolume',
    rules: ['csi.controller-get-volume.not-found'],
    needs: [CONTROLLER, C(CtrlCap.GET_VOLUME)],
    name: 'ControllerGetVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.controller.controllerGetVolume({ volumeId: unknownVolume(k) }), 'NOT_FOUND', { rule: 'csi.controller-get-volume.not-found' });
    },
  }),
  missing(
    G,
    'csi.controller.get-volume.missing-volume-id',
    'ControllerGetVolume',
    'volume_id',
    'csi.controller-get-volume.volume-id-required',
    [CONTROLLER, C(CtrlCap.GET_VOLUME)],
    async (k) => ({ p: k.controller.controllerGetVolume({ volumeId: '' }) }),
  ),

  // ---- ControllerExpandVolume --------------------------------------------------------------
  c({
    id: 'csi.controller.expand-volume.grows',
    rpc: 'ControllerExpandVolume',
    rules: [
      ...VOLUME,
      'csi.controller-expand-volume.implemented',
      'csi.controller-expand-volume.capacity-bytes',
      'csi.get-plugin-capabilities.offline-expansion',
    ],
    needs: [...base, C(CtrlCap.EXPAND_VOLUME)],
    name: 'ControllerExpandVolume grows a volume (published nowhere) to at least the required size',
    async run(k) {
      const v = await k.createVolume();
      const want = k.env.size * 2n;
      const p = k.controller.controllerExpandVolume({ volumeId: v.volumeId, capacityRange: { requiredBytes: want }, volumeCapability: k.cap() });
      const res = await expectOk(p, { rule: 'csi.controller-expand-volume.implemented' });
      expectTrue(res.capacityBytes >= want, `capacity_bytes ${res.capacityBytes} is below required_bytes ${want}`, {
        rule: 'csi.controller-expand-volume.capacity-bytes',
        call: p,
      });
    },
  }),
  c({
    id: 'csi.controller.expand-volume.idempotent',
    rpc: 'ControllerExpandVolume',
    rules: [...VOLUME, 'csi.controller-expand-volume.idempotent'],
    needs: [...base, C(CtrlCap.EXPAND_VOLUME)],
    name: 'ControllerExpandVolume twice to the same size answers OK both times with the same capacity',
    async run(k) {
      const v = await k.createVolume();
      const req = { volumeId: v.volumeId, capacityRange: { requiredBytes: k.env.size * 2n }, volumeCapability: k.cap() };
      const first = await expectOk(k.controller.controllerExpandVolume(req), { rule: 'csi.controller-expand-volume.idempotent' });
      const p = k.controller.controllerExpandVolume(req);
      const again = await expectOk(p, { rule: 'csi.controller-expand-volume.idempotent' });
      expectEqual(again.capacityBytes, first.capacityBytes, {
        rule: 'csi.controller-expand-volume.idempotent',
        what: 'capacity_bytes of the second call',
        call: p,
      });
    },
  }),
  c({
    id: 'csi.controller.expand-volume.already-large',
    rpc: 'ControllerExpandVolume',
    rules: [...VOLUME, 'csi.controller-expand-volume.already-large-ok'],
    needs: [...base, C(CtrlCap.EXPAND_VOLUME)],
    tags: ['Optional'],
    name: 'ControllerExpandVolume to less than the volume already has answers OK',
    async run(k) {
      const v = await k.createVolume();
      await expectOk(k.controller.controllerExpandVolume({ volumeId: v.volumeId, capacityRange: { requiredBytes: 1n }, volumeCapability: k.cap() }), {
        rule: 'csi.controller-expand-volume.already-large-ok',
      });
    },
  }),
  c({
    id: 'csi.controller.expand-volume.offline-published',
    rpc: 'ControllerExpandVolume',
    needs: [...base, C(CtrlCap.EXPAND_VOLUME), cap.expansion(ExpansionCap.OFFLINE)],
    rules: [...LIFECYCLE, 'csi.get-plugin-capabilities.offline-not-while-published', 'csi.controller-expand-volume.in-use-failed-precondition'],
    name: 'ControllerExpandVolume of a published volume on a plugin with only OFFLINE expansion fails with FAILED_PRECONDITION',
    async run(k) {
      if (k.has(cap.expansion(ExpansionCap.ONLINE))) k.ctx.notApplicable('the plugin also advertises ONLINE expansion: published volumes may grow');
      const r = await k.readyVolume();
      await k.publish(r.volume.volumeId, { stagingTargetPath: r.stagingTargetPath, publishContext: r.publishContext, volumeContext: r.volume.volumeContext });
      await expectCode(
        k.controller.controllerExpandVolume({ volumeId: r.volume.volumeId, capacityRange: { requiredBytes: k.env.size * 2n }, volumeCapability: k.cap() }),
        'FAILED_PRECONDITION',
        { rule: 'csi.controller-expand-volume.in-use-failed-precondition' },
      );
    },
  }),
  missing(
    G,
    'csi.controller.expand-volume.missing-volume-id',
    'ControllerExpandVolume',
    'volume_id',
    'csi.controller-expand-volume.volume-id-required',
    [CONTROLLER, C(CtrlCap.EXPAND_VOLUME)],
    async (k) => ({ p: k.controller.controllerExpandVolume({ volumeId: '', capacityRange: { requiredBytes: k.env.size } }) }),
  ),
  missing(
    G,
    'csi.controller.expand-volume.missing-capacity',
    'ControllerExpandVolume',
    'capacity_range',
    'csi.controller-expand-volume.capacity-required',
    [...base, C(CtrlCap.EXPAND_VOLUME)],
    async (k) => {
      const v = await k.createVolume();
      return { p: k.controller.controllerExpandVolume({ volumeId: v.volumeId }) };
    },
  ),
  c({
    id: 'csi.controller.expand-volume.unknown-volume',
    rpc: 'ControllerExpandVolume',
    rules: ['csi.controller-expand-volume.not-found'],
    needs: [CONTROLLER, C(CtrlCap.EXPAND_VOLUME)],
    name: 'ControllerExpandVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.controller.controllerExpandVolume({ volumeId: unknownVolume(k), capacityRange: { requiredBytes: k.env.size * 2n } }), 'NOT_FOUND', {
        rule: 'csi.controller-expand-volume.not-found',
      });
    },
  }),
  c({
    id: 'csi.controller.expand-volume.unsupported-capacity',
    rpc: 'ControllerExpandVolume',
    rules: [...VOLUME, 'csi.controller-expand-volume.unsupported-capacity-out-of-range'],
    needs: [...base, C(CtrlCap.EXPAND_VOLUME)],
    tags: ['Optional'],
    name: 'ControllerExpandVolume to 4 EiB fails with OUT_OF_RANGE (or RESOURCE_EXHAUSTED)',
    async run(k) {
      const v = await k.createVolume();
      const huge = 2n ** 62n;
      await expectCode(
        k.controller.controllerExpandVolume({ volumeId: v.volumeId, capacityRange: { requiredBytes: huge, limitBytes: huge } }),
        ['OUT_OF_RANGE', 'RESOURCE_EXHAUSTED'],
        { rule: 'csi.controller-expand-volume.unsupported-capacity-out-of-range' },
      );
    },
  }),

  // ---- ControllerModifyVolume --------------------------------------------------------------
  // Only the driver knows which mutable parameters it supports: the cases that need a valid
  // modification use --test-volume-mutable-parameters; the unknown-key cases use a key no driver has.
  c({
    id: 'csi.controller.modify-volume.applies',
    rpc: 'ControllerModifyVolume',
    rules: [...VOLUME, 'csi.controller-modify-volume.implemented', 'csi.controller-modify-volume.idempotent'],
    needs: [...base, C(CtrlCap.MODIFY_VOLUME)],
    name: 'ControllerModifyVolume with supported mutable parameters answers OK, and again OK when repeated',
    async run(k) {
      const mutableParameters = supportedMutable(k);
      const v = await k.createVolume();
      await expectOk(k.controller.controllerModifyVolume({ volumeId: v.volumeId, mutableParameters }), { rule: 'csi.controller-modify-volume.implemented' });
      await expectOk(k.controller.controllerModifyVolume({ volumeId: v.volumeId, mutableParameters }), { rule: 'csi.controller-modify-volume.idempotent' });
    },
  }),
  c({
    id: 'csi.controller.modify-volume.unknown-parameter',
    rpc: 'ControllerModifyVolume',
    rules: [...VOLUME, 'csi.controller-modify-volume.unsupported-invalid-argument', 'csi.error-scheme.invalid-field-invalid-argument'],
    needs: [...base, C(CtrlCap.MODIFY_VOLUME)],
    name: 'ControllerModifyVolume with a mutable parameter key the driver does not know fails with INVALID_ARGUMENT',
    async run(k) {
      const v = await k.createVolume();
      await expectCode(k.controller.controllerModifyVolume({ volumeId: v.volumeId, mutableParameters: { [unknownKey(k)]: 'x' } }), 'INVALID_ARGUMENT', {
        rule: 'csi.controller-modify-volume.unsupported-invalid-argument',
      });
    },
  }),
  missing(
    G,
    'csi.controller.modify-volume.missing-parameters',
    'ControllerModifyVolume',
    'mutable_parameters',
    'csi.controller-modify-volume.parameters-required',
    [...base, C(CtrlCap.MODIFY_VOLUME)],
    async (k) => {
      const v = await k.createVolume();
      return { p: k.controller.controllerModifyVolume({ volumeId: v.volumeId, mutableParameters: {} }) };
    },
    ['csi.field-requirements.required-list-non-empty'],
  ),
  c({
    id: 'csi.controller.modify-volume.unknown-volume',
    rpc: 'ControllerModifyVolume',
    rules: ['csi.controller-modify-volume.not-found'],
    needs: [CONTROLLER, C(CtrlCap.MODIFY_VOLUME)],
    name: 'ControllerModifyVolume of a volume that does not exist fails with NOT_FOUND',
    async run(k) {
      // Valid parameters, so that only the volume is wrong (an empty map is itself INVALID_ARGUMENT).
      await expectCode(k.controller.controllerModifyVolume({ volumeId: unknownVolume(k), mutableParameters: supportedMutable(k) }), 'NOT_FOUND', {
        rule: 'csi.controller-modify-volume.not-found',
      });
    },
  }),
  missing(
    G,
    'csi.controller.modify-volume.missing-volume-id',
    'ControllerModifyVolume',
    'volume_id',
    'csi.controller-modify-volume.volume-id-required',
    [CONTROLLER, C(CtrlCap.MODIFY_VOLUME)],
    async (k) => ({ p: k.controller.controllerModifyVolume({ volumeId: '', mutableParameters: { [unknownKey(k)]: 'x' } }) }),
  ),
];
