// defineCases: one way to declare a case. Cases name their RPCs by proto name (CNI: the command),
// an unknown name is refused when the case is defined, --focus and casesFor() find cases by RPC,
// and a passed case that never called an RPC it declares leaves a "suite bug" note.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { casesFor, defineCases, type KitClass } from '../../conformance/define.js';
import { CaseContext } from '../../conformance/runner/context.js';
import { selectCases } from '../../conformance/runner/index.js';
import { suites } from '../../conformance/suites.js';
import { CRI_RPC_NAMES } from '../../conformance/cri/kit.js';
import { CSI_RPC_NAMES } from '../../conformance/csi/kit.js';
import { CNI_RPC_NAMES } from '../../conformance/cni/kit.js';

const test = suite('conformance: defineCases');

const all = (name: string) =>
  suites()
    .find((s) => s.name === name)!
    .cases();

test('every CRI, CSI and CNI case names the RPCs it exercises, by their proto names (CNI: commands)', () => {
  const known: Record<string, readonly string[]> = { cri: CRI_RPC_NAMES, csi: CSI_RPC_NAMES, cni: CNI_RPC_NAMES };
  // Cases that make no call of their own: a made-up command, the VERSION answer setup got.
  const about = new Set(['cni.errors.unknown-command', 'cni.version.supports-config-version']);
  for (const [suiteName, names] of Object.entries(known)) {
    for (const c of all(suiteName)) {
      if (about.has(c.id)) continue;
      assert.ok(c.rpc?.length, `${c.id} declares no rpc`);
      for (const r of c.rpc!) assert.ok(names.includes(r), `${c.id}: ${r} is not an RPC of ${suiteName}`);
    }
  }
  assert.ok(CSI_RPC_NAMES.includes('NodePublishVolume') && CRI_RPC_NAMES.includes('RunPodSandbox') && CRI_RPC_NAMES.includes('PullImage'));
});

test('case ids stay unique across suites', () => {
  const ids = suites().flatMap((s) => s.cases().map((c) => c.id));
  assert.is(new Set(ids).size, ids.length);
});

test('casesFor and --focus find the cases of an RPC', () => {
  const csi = all('csi');
  const publish = casesFor(csi, 'NodePublishVolume').map((c) => c.id);
  assert.ok(publish.includes('csi.node.publish-volume.missing-target-path'), publish.join(', '));
  assert.ok(!publish.includes('csi.controller.create-volume.missing-name'));
  const sel = selectCases(
    {
      name: 'csi',
      title: 'csi',
      cases: csi,
      setup: async () => {
        throw new Error('unused');
      },
    },
    { focus: 'rpc:.*\\bNodeStageVolume\\b' },
  );
  const chosen = sel.filter((s) => !s.skipped).map((s) => s.c.id);
  assert.ok(chosen.length > 0 && chosen.every((id) => casesFor(csi, 'NodeStageVolume').some((c) => c.id === id)), chosen.join(', '));
});

// A kit of two RPCs, to check defineCases on its own.
class ToyKit {
  static readonly rpcNames = ['Ping', 'Pong'] as const;
  static isCallOf = (recorded: string, rpc: string) => recorded === `Toy/${rpc}`;
  constructor(
    readonly ctx: CaseContext,
    readonly env: { n: number },
  ) {}
}

test('an rpc its suite does not have is refused when the case is defined', () => {
  const c = defineCases(ToyKit as KitClass<{ n: number }, ToyKit, string>, 'toy.Group');
  assert.throws(() => c({ id: 'toy.bad', name: 'bad', rpc: 'Pung', run: async () => undefined }), /rpc Pung is not an RPC of its suite/);
});

test('a passed case that never called a declared RPC leaves a suite-bug note; one that did, none', async () => {
  const c = defineCases(ToyKit, 'toy.Group', { needs: ['toy:cap'] });
  const ctx = () => new CaseContext({ runId: 'x', prefix: 'triad-x', timeoutMs: 1000 }, 'toy.case', 1);
  const lazy = c({
    id: 'toy.lazy',
    name: 'lazy',
    rpc: ['Ping', 'Pong'],
    run: async (k) => {
      await k.ctx.track('Toy/Ping', {}, Promise.resolve({}));
    },
  });
  assert.is(lazy.group, 'toy.Group');
  assert.equal(lazy.needs, ['toy:cap']);
  assert.equal(lazy.rpc, ['Ping', 'Pong']);
  const a = ctx();
  await lazy.run(a, { n: 1 });
  assert.equal(a.notes, ['suite bug: case toy.lazy declares rpc Pong but passed without calling it']);
  const b = ctx();
  const busy = c({
    id: 'toy.busy',
    name: 'busy',
    rpc: 'Pong',
    run: async (k) => {
      await k.ctx.track('Toy/Pong', {}, Promise.resolve({}));
    },
  });
  await busy.run(b, { n: 1 });
  assert.equal(b.notes, []);
});

test.run();
