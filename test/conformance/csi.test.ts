// The CSI suite against memory-csi: the healthy driver passes every required case, and each
// deliberately broken variant is caught by the case it names.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { brokenCsi } from '../../conformance/broken/csi.js';
import { CSI_RPCS } from '../../conformance/csi/kit.js';
import { byId, cases, describeFailures, failedIds, runQuiet, suiteBugs, withCsi } from './helpers.js';
import { reportFiles } from '../helpers/reports.js';

const test = suite('conformance: CSI');

test('the healthy memory-csi passes every case; not-applicable ones say why', async () => {
  const rep = await withCsi(undefined, (s) => runQuiet([s], { reporters: reportFiles('csi-memory') }));
  assert.is(rep.totals.failed, 0, describeFailures(rep));
  assert.ok(rep.totals.passed >= 100, `only ${rep.totals.passed} passed`);
  for (const c of cases(rep).filter((x) => x.status === 'not-applicable' || x.status === 'skipped'))
    assert.ok(c.reason && c.reason.length > 10, `${c.id} has no reason`);
  assert.is(byId(rep, 'csi.leak-check')?.status, 'passed');
  // Every passed case called the RPCs it declares.
  assert.equal(suiteBugs(rep), []);
  // The RPC coverage table: a row per CSI RPC; the cases about an RPC are the ones declaring it.
  const cov = rep.suites[0].rpcCoverage!;
  assert.equal(
    cov.map((r) => r.rpc),
    CSI_RPCS,
  );
  const publish = cov.find((r) => r.rpc === 'Node/NodePublishVolume')!;
  assert.ok(
    publish.about!.some((c) => c.id === 'csi.node.publish-volume.idempotent'),
    JSON.stringify(publish.about),
  );
  assert.ok(
    publish.about!.every((c) => c.id.startsWith('csi.node.')),
    'only Node cases declare NodePublishVolume',
  );
  assert.ok(publish.cases.length > publish.about!.length, 'more cases call NodePublishVolume on the way than are about it');
});

test('the healthy memory-csi also passes with 6 cases in parallel', async () => {
  const rep = await withCsi(undefined, (s) => runQuiet([s], { parallel: 6 }));
  assert.is(rep.totals.failed, 0, describeFailures(rep));
});

for (const [name, v] of Object.entries(brokenCsi)) {
  test(`broken CSI variant ${name} is caught by ${v.caughtBy}`, async () => {
    const rep = await withCsi(name, (s) => runQuiet([s]));
    const c = byId(rep, v.caughtBy);
    assert.ok(c, `no case ${v.caughtBy}`);
    assert.is(c!.status, 'failed', `${v.caughtBy} did not fail for "${v.description}"; failures: ${failedIds(rep).join(', ')}`);
    assert.ok(c!.failure?.rule, 'the failure names the rule');
    assert.ok(c!.failure?.rpc || v.caughtBy.endsWith('leak-check'), 'the failure names the RPC');
    // Only the case written for the rule (and the cases the variant names as also affected) catches the break.
    assert.equal([...failedIds(rep)].sort(), [v.caughtBy, ...(v.alsoCaughtBy ?? [])].sort(), `which cases fail for "${v.description}"`);
    // Every failure names a rule id the failing case declares: no 'suite bug' notes.
    for (const f of cases(rep).filter((x) => x.status === 'failed')) {
      assert.ok(f.failure?.ruleId, `${f.id}: the failure carries no ruleId`);
      assert.ok(f.id.endsWith('leak-check') || f.rules?.includes(f.failure!.ruleId!), `${f.id}: rule ${f.failure?.ruleId} is not declared by the case`);
      assert.not.ok(
        f.notes?.some((n) => n.startsWith('suite bug')),
        `${f.id}: ${f.notes?.join('; ')}`,
      );
    }
  });
}

test('a failure report carries the RPC, the request, the status by name, the expectation and the rule', async () => {
  const rep = await withCsi('missing-name-internal', (s) => runQuiet([s], { focus: 'create-volume\\.missing-name' }));
  const f = byId(rep, 'csi.controller.create-volume.missing-name')!.failure!;
  assert.is(f.rpc, 'Controller/CreateVolume');
  assert.is((f.request as { name: string }).name, '');
  assert.is(f.status?.name, 'INTERNAL');
  assert.is(f.expected, 'INVALID_ARGUMENT');
  assert.match(f.rule!, /INVALID_ARGUMENT/);
});

test.run();
