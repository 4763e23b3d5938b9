// interfaces/csi/sdk, the pure parts: field validation, volume capabilities, capability lists,
// capacity ranges, topology, pagination tokens, operation locks, timestamps, path-safe ids and
// containment, atomic state files, named records and the state file, the publication rules, and
// du/statfs statistics. Errors are checked by gRPC code and by the field their message names.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ControllerServiceCapability_RPC_Type as Ctrl,
  NodeServiceCapability_RPC_Type as NodeCap,
  PluginCapability_Service_Type as Service,
  PluginCapability_VolumeExpansion_Type as Expansion,
  VolumeCapability,
  VolumeUsage_Unit as Unit,
} from '../../interfaces/gen/csi/csi.js';
import { Status } from '../../interfaces/grpc/errors.js';
import * as sdk from '../../interfaces/csi/sdk/index.js';
import { Mode } from '../../interfaces/csi/sdk/index.js';

const t = suite('csi sdk');
let dir: string;
t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'csi-sdk-test-'));
});
t.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** fn throws a StatusError with this code whose message matches re. */
function throwsCode(fn: () => unknown, code: number, re: RegExp): void {
  let err: { code?: number; message?: string } | undefined;
  try {
    fn();
  } catch (e) {
    err = e as typeof err;
  }
  assert.ok(err, `expected ${Status[code]}, nothing was thrown`);
  assert.is(err!.code, code, `${err!.message}`);
  assert.match(err!.message!, re);
}
const cap = (c: ReturnType<typeof sdk.mountCapability>) => VolumeCapability.fromPartial(c);

t('required / validName / absolutePath name the field; sameMap compares maps', () => {
  throwsCode(() => sdk.required('', 'volume_id'), Status.INVALID_ARGUMENT, /^volume_id is required/);
  assert.is(sdk.required('x', 'f'), 'x');
  throwsCode(() => sdk.validName('a'.repeat(129), 'name'), Status.INVALID_ARGUMENT, /name is longer than 128 bytes/);
  throwsCode(() => sdk.validName('a\u0001b', 'name'), Status.INVALID_ARGUMENT, /name contains a control character/);
  assert.is(sdk.validName('é'.repeat(64), 'name'), 'é'.repeat(64), '128 bytes exactly is fine');
  throwsCode(() => sdk.absolutePath('rel/path', 'target_path'), Status.INVALID_ARGUMENT, /target_path must be an absolute path/);
  assert.ok(sdk.sameMap({ a: '1', b: '2' }, { b: '2', a: '1' }));
  assert.not.ok(sdk.sameMap({ a: '1' }, { a: '1', b: '2' }));
  assert.not.ok(sdk.sameMap({ a: '1' }, { b: '1' }));
  assert.throws(() => sdk.validPluginName('bad_name', 'x-driver'), /x-driver: .*naming rules/);
  assert.is(sdk.validPluginName('a.b-c'), 'a.b-c');
});

t('volume capabilities: access type, modes, support limits, keys and compatibility', () => {
  throwsCode(() => sdk.validCapability(undefined, 'volume_capability'), Status.INVALID_ARGUMENT, /^volume_capability is required/);
  throwsCode(() => sdk.validCapability(cap({ accessMode: { mode: Mode.SINGLE_NODE_WRITER } }), 'vc'), Status.INVALID_ARGUMENT, /vc.access_type is required/);
  throwsCode(() => sdk.validCapability(cap({ block: {}, mount: {}, accessMode: { mode: 1 } }), 'vc'), Status.INVALID_ARGUMENT, /not both/);
  throwsCode(() => sdk.validCapability(cap({ mount: {} }), 'vc'), Status.INVALID_ARGUMENT, /vc.access_mode is required/);
  throwsCode(() => sdk.validCapability(cap(sdk.mountCapability(Mode.UNKNOWN)), 'vc'), Status.INVALID_ARGUMENT, /vc.access_mode.mode UNKNOWN/);
  const support = { accessTypes: ['mount'] as const, modes: sdk.SINGLE_NODE_MODES };
  throwsCode(() => sdk.validCapability(cap(sdk.blockCapability()), 'vc', support), Status.INVALID_ARGUMENT, /vc: block access is not supported/);
  throwsCode(
    () => sdk.validCapability(cap(sdk.mountCapability(Mode.MULTI_NODE_MULTI_WRITER)), 'vc', support),
    Status.INVALID_ARGUMENT,
    /MULTI_NODE_MULTI_WRITER is not supported/,
  );
  assert.ok(sdk.validCapability(cap(sdk.mountCapability(Mode.SINGLE_NODE_MULTI_WRITER)), 'vc', support));

  throwsCode(() => sdk.validCapabilities([], 'volume_capabilities'), Status.INVALID_ARGUMENT, /volume_capabilities is required/);
  throwsCode(
    () => sdk.validCapabilities([cap(sdk.mountCapability()), cap({ mount: {} })], 'volume_capabilities'),
    Status.INVALID_ARGUMENT,
    /volume_capabilities\[1\].access_mode/,
  );
  throwsCode(() => sdk.validCapabilities([cap(sdk.mountCapability()), cap(sdk.blockCapability())], 'vcs'), Status.INVALID_ARGUMENT, /mixes block and mount/);
  throwsCode(
    () => sdk.validCapabilities([cap(sdk.mountCapability(1, 'ext4')), cap(sdk.mountCapability(1, 'xfs'))], 'vcs'),
    Status.INVALID_ARGUMENT,
    /several filesystem types/,
  );
  assert.equal(sdk.validCapabilities([cap(sdk.mountCapability(1, 'ext4')), cap(sdk.mountCapability(7))], 'vcs'), { accessType: 'mount', fsType: 'ext4' });

  const a = cap({ mount: { mountFlags: ['ro', 'noatime'] }, accessMode: { mode: 1 } });
  const b = cap({ mount: { mountFlags: ['noatime', 'ro'] }, accessMode: { mode: 1 } });
  assert.is(sdk.capabilityKey(a), sdk.capabilityKey(b), 'flag order does not matter');
  assert.is.not(sdk.capabilityKey(a), sdk.capabilityKey(cap(sdk.mountCapability(7))));
  assert.match(sdk.incompatibility(cap(sdk.blockCapability()), { accessType: 'mount', fsType: '' })!, /mount volume/);
  assert.match(sdk.incompatibility(cap(sdk.mountCapability(1, 'xfs')), { accessType: 'mount', fsType: 'ext4' })!, /filesystem is ext4/);
  assert.is(sdk.incompatibility(cap(sdk.mountCapability(1)), { accessType: 'mount', fsType: 'ext4' }), undefined);
  assert.ok(sdk.MULTI_TARGET_MODES.has(Mode.SINGLE_NODE_MULTI_WRITER) && !sdk.MULTI_TARGET_MODES.has(Mode.SINGLE_NODE_WRITER));
});

t('capability list builders produce the nested wire shapes', () => {
  assert.equal(sdk.pluginCapabilities([Service.CONTROLLER_SERVICE], [Expansion.ONLINE]), [
    { service: { type: Service.CONTROLLER_SERVICE } },
    { volumeExpansion: { type: Expansion.ONLINE } },
  ]);
  assert.equal(sdk.controllerCapabilities([Ctrl.LIST_VOLUMES]), [{ rpc: { type: Ctrl.LIST_VOLUMES } }]);
  assert.equal(sdk.nodeCapabilities([NodeCap.GET_VOLUME_STATS, NodeCap.EXPAND_VOLUME]), [
    { rpc: { type: NodeCap.GET_VOLUME_STATS } },
    { rpc: { type: NodeCap.EXPAND_VOLUME } },
  ]);
});

t('capacity: range checks, sizing new volumes (OUT_OF_RANGE), expansion, quantities', () => {
  assert.is(sdk.validRange(undefined, 'capacity_range'), undefined);
  throwsCode(
    () => sdk.validRange({ requiredBytes: -1n, limitBytes: 0n }, 'capacity_range'),
    Status.INVALID_ARGUMENT,
    /capacity_range.required_bytes must not be negative/,
  );
  throwsCode(() => sdk.validRange({ requiredBytes: 0n, limitBytes: -5n }, 'capacity_range'), Status.INVALID_ARGUMENT, /limit_bytes must not be negative/);
  throwsCode(() => sdk.validRange({ requiredBytes: 10n, limitBytes: 5n }, 'capacity_range'), Status.INVALID_ARGUMENT, /larger than limit_bytes/);

  const rules = { natural: 100n, max: 1000n };
  assert.is(sdk.resolveCapacity(undefined, rules), 100n, 'nothing asked: the natural size');
  assert.is(sdk.resolveCapacity({ required: 0n, limit: 50n }, rules), 50n, 'limit below natural');
  assert.is(sdk.resolveCapacity({ required: 300n, limit: 0n }, rules), 300n);
  throwsCode(() => sdk.resolveCapacity({ required: 1001n, limit: 0n }, rules), Status.OUT_OF_RANGE, /largest volume/);
  const source = { bytes: 200n, what: 'snapshot s1' };
  assert.is(sdk.resolveCapacity({ required: 10n, limit: 0n }, { ...rules, source }), 200n, 'never smaller than the source');
  throwsCode(() => sdk.resolveCapacity({ required: 0n, limit: 150n }, { ...rules, source }), Status.OUT_OF_RANGE, /smaller than snapshot s1/);

  throwsCode(() => sdk.validExpansionRange(undefined), Status.INVALID_ARGUMENT, /capacity_range is required/);
  throwsCode(() => sdk.validExpansionRange({ requiredBytes: 0n, limitBytes: 0n }), Status.INVALID_ARGUMENT, /set required_bytes or limit_bytes/);
  assert.is(sdk.expansionTarget({ required: 500n, limit: 0n }, 100n, 1000n, 'volume v'), 500n);
  assert.is(sdk.expansionTarget({ required: 50n, limit: 0n }, 100n, 1000n, 'volume v'), 100n, 'no shrinking, no error');
  throwsCode(() => sdk.expansionTarget({ required: 0n, limit: 50n }, 100n, 1000n, 'volume v'), Status.OUT_OF_RANGE, /volume v .*do not shrink/);
  throwsCode(() => sdk.expansionTarget({ required: 2000n, limit: 0n }, 100n, 1000n, 'volume v'), Status.OUT_OF_RANGE, /largest volume/);

  assert.is(sdk.parseQuantity('1Gi', 'size'), 1024n ** 3n);
  assert.is(sdk.parseQuantity('500M', 'size'), 500_000_000n);
  assert.is(sdk.parseQuantity('4096', 'size'), 4096n);
  throwsCode(() => sdk.parseQuantity('1.5Gi', 'volume_context.size'), Status.INVALID_ARGUMENT, /volume_context.size "1.5Gi" is not a size/);
  throwsCode(() => sdk.parseQuantity('0', 'size'), Status.INVALID_ARGUMENT, /larger than zero/);
});

t('topology: requirement checks and segment matching', () => {
  throwsCode(
    () => sdk.validRequirement({ requisite: [], preferred: [] }, 'accessibility_requirements'),
    Status.INVALID_ARGUMENT,
    /accessibility_requirements: give requisite or preferred/,
  );
  assert.ok(sdk.within({ zone: 'a' }, { zone: 'a', node: 'n1' }));
  assert.not.ok(sdk.within({ zone: 'b' }, { zone: 'a', node: 'n1' }));
  assert.not.ok(sdk.within({}, { zone: 'a' }), 'an empty topology describes nothing');
});

t('pagination: pages in seq order, tokens survive deletions, foreign or garbage tokens are ABORTED', () => {
  const recs = [5, 1, 3, 2, 4].map((seq) => ({ seq }));
  const p1 = sdk.paginate('volumes', recs, 2, '');
  assert.equal(
    p1.page.map((r) => r.seq),
    [1, 2],
  );
  assert.is(p1.nextToken, 'volumes:3');
  const p2 = sdk.paginate(
    'volumes',
    recs.filter((r) => r.seq !== 3),
    2,
    p1.nextToken,
  );
  assert.equal(
    p2.page.map((r) => r.seq),
    [4, 5],
    'entry 3 deleted meanwhile: the token still works',
  );
  assert.is(p2.nextToken, '');
  assert.is(sdk.paginate('volumes', recs, 0, '').page.length, 5, 'max_entries 0 = everything');
  throwsCode(() => sdk.paginate('volumes', recs, 2, 'snapshots:3'), Status.ABORTED, /starting_token "snapshots:3"/);
  throwsCode(() => sdk.paginate('volumes', recs, 2, 'garbage'), Status.ABORTED, /starting_token/);
  throwsCode(() => sdk.paginate('volumes', recs, -1, ''), Status.INVALID_ARGUMENT, /max_entries/);
});

t('operation locks: ABORTED while a key is held, free again afterwards (also after a failure)', async () => {
  const locks = new sdk.OperationLocks();
  let release!: () => void;
  const first = locks.exclusive(
    ['volume v1', 'target /x'],
    () =>
      new Promise<void>((r) => {
        release = r;
      }),
  );
  assert.equal(locks.held().sort(), ['target /x', 'volume v1']);
  await locks
    .exclusive(['target /x'], () => 1)
    .then(
      () => assert.unreachable('should be busy'),
      (e: { code: number; message: string }) => {
        assert.is(e.code, Status.ABORTED);
        assert.match(e.message, /already pending for target \/x/);
      },
    );
  assert.is(await locks.exclusive(['volume v2'], () => 2), 2);
  release();
  await first;
  await locks
    .exclusive(['volume v1'], () => {
      throw new Error('boom');
    })
    .catch(() => undefined);
  assert.equal(locks.held(), [], 'released after success and after a throw');
  assert.is(await locks.exclusive(['volume v1', 'volume v1'], () => 3), 3, 'a key listed twice does not lock itself out');
});

t('timestamp: seconds as bigint, nanos from the milliseconds', () => {
  assert.equal(sdk.timestamp(new Date(1_700_000_000_123)), { seconds: 1_700_000_000n, nanos: 123_000_000 });
});

t('safeId / safeName refuse "..", separators, absolute paths, NUL, over-long and odd characters, naming the field', () => {
  for (const [bad, re] of [
    ['../etc', /volume_id must not contain a path separator|volume_id must not contain ".."/],
    ['..', /volume_id must not contain "\.\."/],
    ['/etc/passwd', /volume_id must not be an absolute path/],
    ['a/b', /volume_id must not contain a path separator/],
    ['a\\b', /volume_id must not contain a path separator/],
    ['a\0b', /volume_id contains a NUL byte/],
    ['x'.repeat(129), /volume_id is longer than 128 bytes/],
    ['.hidden', /volume_id ".hidden" may only hold/],
    ['a b', /may only hold/],
    ['', /volume_id is required/],
  ] as const)
    throwsCode(() => sdk.safeId(bad, 'volume_id'), Status.INVALID_ARGUMENT, re);
  assert.is(sdk.safeId('vol-0123_abc.x', 'volume_id'), 'vol-0123_abc.x');
  throwsCode(() => sdk.safeName('../../x', 'name'), Status.INVALID_ARGUMENT, /^name must not/);
  throwsCode(() => sdk.safeName('a\0', 'name'), Status.INVALID_ARGUMENT, /name contains a NUL byte/);
  throwsCode(() => sdk.safeName('n'.repeat(129), 'name'), Status.INVALID_ARGUMENT, /name is longer than 128 bytes/);
  assert.is(sdk.safeName('pvc-1 with spaces', 'name'), 'pvc-1 with spaces', 'names are free text, just never paths');
});

t('resolveInside: stays in the root, refuses symlinks anywhere on the way (even dangling ones)', () => {
  const root = join(dir, 'root');
  const outside = join(dir, 'outside');
  mkdirSync(join(root, 'volumes', 'ok'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  symlinkSync(outside, join(root, 'volumes', 'escape'));
  symlinkSync(join(root, 'volumes', 'ok'), join(root, 'volumes', 'sideways'));
  symlinkSync(join(dir, 'nowhere'), join(root, 'volumes', 'dangling'));
  assert.is(sdk.resolveInside(root, ['volumes', 'ok'], 'volume_id'), join(root, 'volumes', 'ok'));
  assert.is(sdk.resolveInside(root, ['volumes', 'new'], 'volume_id'), join(root, 'volumes', 'new'), 'a path that does not exist yet');
  throwsCode(
    () => sdk.resolveInside(root, ['volumes', 'escape'], 'volume_id'),
    Status.INVALID_ARGUMENT,
    /volume_id: .* resolves to .*outside.* through a symlink|volume_id: .*through a symlink/,
  );
  throwsCode(() => sdk.resolveInside(root, ['volumes', 'sideways'], 'volume_id'), Status.INVALID_ARGUMENT, /volume_id: .*through a symlink/);
  throwsCode(() => sdk.resolveInside(root, ['volumes', 'dangling'], 'volume_id'), Status.INVALID_ARGUMENT, /volume_id: .*nowhere through a symlink/);
  throwsCode(() => sdk.resolveInside(root, ['..', 'outside'], 'volume_id'), Status.INVALID_ARGUMENT, /volume_id would leave the driver root/);
});

t('outsideRoot: target paths must be absolute, outside the root and not above it — also through symlinks', () => {
  const root = join(dir, 'r2', 'root');
  mkdirSync(root, { recursive: true });
  mkdirSync(join(dir, 'r2', 'mnt'), { recursive: true });
  symlinkSync(root, join(dir, 'r2', 'mnt', 'into-root'));
  throwsCode(() => sdk.outsideRoot('relative/t', root, 'target_path'), Status.INVALID_ARGUMENT, /target_path must be an absolute path/);
  throwsCode(() => sdk.outsideRoot('', root, 'target_path'), Status.INVALID_ARGUMENT, /target_path is required/);
  throwsCode(() => sdk.outsideRoot('/x\0y', root, 'target_path'), Status.INVALID_ARGUMENT, /target_path contains a NUL byte/);
  throwsCode(
    () => sdk.outsideRoot(join(root, 'volumes', 'v'), root, 'staging_target_path'),
    Status.INVALID_ARGUMENT,
    /staging_target_path .* is inside the driver root/,
  );
  throwsCode(() => sdk.outsideRoot(root, root, 'target_path'), Status.INVALID_ARGUMENT, /inside the driver root/);
  throwsCode(() => sdk.outsideRoot(`${join(dir, 'r2', 'mnt')}/../root/x`, root, 'target_path'), Status.INVALID_ARGUMENT, /inside the driver root/);
  throwsCode(() => sdk.outsideRoot(join(dir, 'r2', 'mnt', 'into-root', 'sub'), root, 'target_path'), Status.INVALID_ARGUMENT, /inside the driver root/);
  throwsCode(() => sdk.outsideRoot(join(dir, 'r2'), root, 'target_path'), Status.INVALID_ARGUMENT, /contains the driver root/);
  throwsCode(() => sdk.outsideRoot('/', root, 'target_path'), Status.INVALID_ARGUMENT, /contains the driver root/);
  assert.is(sdk.outsideRoot(join(dir, 'r2', 'mnt', 'new', 't'), root, 'target_path'), join(dir, 'r2', 'mnt', 'new', 't'));
  assert.is(sdk.outsideRoot(join(dir, 'r2', 'rootless'), root, 'target_path'), join(dir, 'r2', 'rootless'), 'a sibling sharing the prefix is outside');
});

t('writeFileAtomic replaces the whole file and leaves no temporary files', () => {
  const f = join(dir, 'state.json');
  sdk.writeFileAtomic(f, '{"a":1}');
  sdk.writeFileAtomic(f, '{"b":2}');
  assert.is(readFileSync(f, 'utf8'), '{"b":2}');
  assert.equal(
    readdirSync(dir).filter((n) => n.includes('state.json')),
    ['state.json'],
  );
  assert.throws(() => sdk.writeFileAtomic(join(dir, 'no-such-dir', 'x.json'), '{}'));
});

t('stats: du counts file bytes and inodes without following symlinks; statfs and directory volume usage agree', () => {
  const v = join(dir, 'vol');
  mkdirSync(join(v, 'sub'), { recursive: true });
  writeFileSync(join(v, 'a'), 'x'.repeat(1000));
  writeFileSync(join(v, 'sub', 'b'), 'y'.repeat(24));
  symlinkSync('/usr', join(v, 'link'));
  assert.equal(sdk.diskUsage(v), { bytes: 1024n, inodes: 5n });
  assert.equal(sdk.diskUsage(join(dir, 'absent')), { bytes: 0n, inodes: 0n });
  const fs = sdk.filesystemStats(v);
  assert.ok(fs.totalBytes > 0n && fs.availableBytes <= fs.totalBytes && fs.freeInodes <= fs.totalInodes);
  const { usage, usedBytes } = sdk.directoryVolumeUsage(v, 4096n);
  assert.is(usedBytes, 1024n);
  const bytes = usage.find((u) => u.unit === Unit.BYTES)!;
  assert.equal([bytes.total, bytes.used, bytes.available], [4096n, 1024n, 3072n]);
  const inodes = usage.find((u) => u.unit === Unit.INODES)!;
  assert.is(inodes.used, 5n);
  assert.is(inodes.total, inodes.used! + inodes.available!);
  const over = sdk.directoryVolumeUsage(v, 100n).usage.find((u) => u.unit === Unit.BYTES)!;
  assert.is(over.available, 0n, 'over capacity: nothing available, never negative');
});

t("commandFailed keeps the tool's stderr as the INTERNAL message", () => {
  const e = sdk.commandFailed('mounting x', { stderr: 'mount: permission denied\n', message: 'Command failed' });
  assert.is(e.code, Status.INTERNAL);
  assert.is(e.message, 'mounting x: mount: permission denied');
});

t('records: by id and by name; a name is freed only while it points at the record; unnamed records are not found by name', () => {
  const r = new sdk.NamedRecords<{ id: string; name: string }>();
  const a = { id: 'a', name: 'pvc-1' };
  r.add(a);
  r.add({ id: 'inline', name: 'inline' }, ''); // no Create* name
  r.add({ id: 'member', name: '' });
  assert.is(r.size, 3);
  assert.is(r.named('pvc-1'), a);
  assert.is(r.named('inline'), undefined);
  assert.is(r.named(''), undefined);
  const b = { id: 'b', name: 'pvc-1' }; // the name taken over by a newer record
  r.add(b);
  r.remove(a);
  assert.is(r.named('pvc-1'), b, 'removing the older record leaves the newer one its name');
  assert.ok(!r.has('a'));
  assert.equal([...r.values()].map((x) => x.id).sort(), ['b', 'inline', 'member']);
  r.clear();
  assert.is(r.size, 0);
  assert.is(r.named('pvc-1'), undefined);
});

t('state file: absent reads as none, written atomically and read back; unreadable or another version refuses to start', () => {
  const f = join(dir, 'driver-state.json');
  assert.is(sdk.readStateFile(f, 1, 'drv'), undefined);
  sdk.writeStateFile(f, { version: 1 as const, seq: 7 });
  assert.equal(sdk.readStateFile<{ version: 1; seq: number }>(f, 1, 'drv'), { version: 1, seq: 7 });
  assert.equal(
    readdirSync(dir).filter((n) => n.includes('driver-state.json')),
    ['driver-state.json'],
    'no temp file left',
  );
  sdk.writeStateFile(f, { version: 2 });
  assert.throws(() => sdk.readStateFile(f, 1, 'drv'), /drv: .*driver-state\.json has state version 2, this driver reads version 1/);
  writeFileSync(f, '{"version": 1, ');
  assert.throws(() => sdk.readStateFile(f, 1, 'drv'), /drv: cannot read .*driver-state\.json: .*refusing to start with an empty state/);
  rmSync(f);
});

t('publications: a repeated publish answers as the first, a different one is ALREADY_EXISTS; per-node limit; unpublish waits for the node', () => {
  const pub = { nodeId: 'n1', readonly: false, mode: Mode.SINGLE_NODE_WRITER, capabilityKey: 'k', publishContext: { x: '1' } };
  const v: sdk.VolumeUse = { id: 'v1', publications: new Map([['n1', pub]]), targets: new Map() };
  assert.equal(sdk.repeatedPublication(v, 'n1', 'k', false), { x: '1' });
  assert.is(sdk.repeatedPublication(v, 'n2', 'k', false), undefined);
  throwsCode(() => sdk.repeatedPublication(v, 'n1', 'k', true), Status.ALREADY_EXISTS, /v1 is already published to node n1/);
  throwsCode(() => sdk.checkVolumesPerNode([v], 'n1', 1), Status.RESOURCE_EXHAUSTED, /node n1 already has 1 volumes published/);
  sdk.checkVolumesPerNode([v], 'n1', 0); // 0: no limit
  sdk.checkVolumesPerNode([v], 'n2', 1);
  sdk.checkNodeReleased(v, 'n1', ['n1']); // nothing staged or published on the node
  v.staging = { path: '/stage', capabilityKey: 'k' };
  throwsCode(() => sdk.checkNodeReleased(v, 'n1', ['n1']), Status.FAILED_PRECONDITION, /still staged at \/stage on node n1/);
  sdk.checkNodeReleased(v, 'n1', ['n2']); // another node: not this node's business
  sdk.checkControllerPublished(v, 'n1', 'NodeStageVolume');
  throwsCode(() => sdk.checkControllerPublished(v, 'n2', 'NodeStageVolume'), Status.FAILED_PRECONDITION, /must succeed before NodeStageVolume/);
});

t('publications: staging and targets — repeats are OK, conflicts name the path, one target per single-target mode', () => {
  const v: sdk.VolumeUse = { id: 'v1', publications: new Map(), targets: new Map() };
  assert.is(sdk.repeatedStaging(v, '/stage', 'k'), false);
  throwsCode(() => sdk.checkStagedAt(v, '/stage'), Status.FAILED_PRECONDITION, /v1 is not staged at \/stage: NodeStageVolume must succeed first/);
  v.staging = { path: '/stage', capabilityKey: 'k' };
  assert.is(sdk.repeatedStaging(v, '/stage', 'k'), true);
  throwsCode(() => sdk.repeatedStaging(v, '/other', 'k'), Status.FAILED_PRECONDITION, /already staged at \/stage; a volume has one staging_target_path/);
  throwsCode(() => sdk.repeatedStaging(v, '/stage', 'other'), Status.ALREADY_EXISTS, /different volume_capability/);
  sdk.checkStagedAt(v, '/stage');
  sdk.checkTargetsGone(v);
  const t1 = { path: '/t1', readonly: false, capabilityKey: 'k', stagingPath: '/stage' };
  v.targets.set('/t1', t1);
  throwsCode(() => sdk.checkTargetsGone(v), Status.FAILED_PRECONDITION, /still published at \/t1: every NodeUnpublishVolume/);
  assert.is(sdk.repeatedTarget(v, '/t1', 'k', false, '/stage'), t1);
  assert.is(sdk.repeatedTarget(v, '/t2', 'k', false, '/stage'), undefined);
  throwsCode(() => sdk.repeatedTarget(v, '/t1', 'k', true, '/stage'), Status.ALREADY_EXISTS, /already published at \/t1 with a different/);
  sdk.checkNewTarget([v], v, '/t2', 'k', Mode.SINGLE_NODE_MULTI_WRITER);
  throwsCode(
    () => sdk.checkNewTarget([v], v, '/t2', 'k', Mode.SINGLE_NODE_SINGLE_WRITER),
    Status.FAILED_PRECONDITION,
    /access mode SINGLE_NODE_SINGLE_WRITER allows one target path/,
  );
  throwsCode(
    () => sdk.checkNewTarget([v], v, '/t2', 'other', Mode.SINGLE_NODE_MULTI_WRITER),
    Status.FAILED_PRECONDITION,
    /at \/t1 with a different volume_capability/,
  );
  const w: sdk.VolumeUse = { id: 'v2', publications: new Map(), targets: new Map() };
  throwsCode(
    () => sdk.checkNewTarget([v, w], w, '/t1', 'k', Mode.SINGLE_NODE_WRITER),
    Status.FAILED_PRECONDITION,
    /target_path \/t1 is already in use by volume v1/,
  );
});

t.run();
