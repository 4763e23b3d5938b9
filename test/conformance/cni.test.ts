// The CNI suite against memory-cni: the healthy plugin passes every required case (in-process,
// and exec'd as a real binary), a correct chained plugin passes the chaining case, and each
// deliberately broken variant is caught by the case it names.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { installCniBinary, invokeMemoryCni, MEMORY_CNI_TYPE } from '../../plugins/memory-cni/index.js';
import { brokenCni, brokenCniInProcess, installBrokenCni } from '../../conformance/broken/cni.js';
import { cniSuite } from '../../conformance/cni/suite.js';
import { byId, cases, describeFailures, failedIds, memoryNet, runQuiet, suiteBugs, tmp } from './helpers.js';
import { reportFiles } from '../helpers/reports.js';

const test = suite('conformance: CNI');

test('the healthy memory-cni (in-process) passes every case; not-applicable ones say why', async () => {
  const t = tmp('triad-cf-cni-');
  try {
    const rep = await runQuiet([cniSuite({ path: [], list: memoryNet(t.dir), inProcess: { [MEMORY_CNI_TYPE]: invokeMemoryCni } })], {
      reporters: reportFiles('cni-memory'),
    });
    assert.is(rep.totals.failed, 0, describeFailures(rep));
    assert.ok(rep.totals.passed >= 36, `only ${rep.totals.passed} passed`);
    for (const id of [
      'cni.add.existing-interface-fails',
      'cni.add.unusable-ifname-fails',
      'cni.add.sandbox-is-cni-netns',
      'cni.version.echoes-cni-version',
      'cni.errors.env-error-names-variable',
      'cni.check.allows-later-changes',
    ]) {
      assert.is(byId(rep, id)?.status, 'passed', id);
    }
    for (const c of cases(rep).filter((x) => x.status !== 'passed')) assert.ok(c.reason && c.reason.length > 10, `${c.id} has no reason`);
    assert.is(byId(rep, 'cni.ipam.distinct-addresses-parallel')?.status, 'passed');
    assert.is(byId(rep, 'cni.chain.prev-result-preserved')?.status, 'not-applicable');
    assert.is(byId(rep, 'cni.leak-check')?.status, 'passed');
    // Every passed case called the commands it declares.
    assert.equal(suiteBugs(rep), []);
  } finally {
    t.cleanup();
  }
});

test("the healthy memory-cni exec'd from a bin dir passes (a 0.4.0 network, fewer parallel ADDs)", async () => {
  const t = tmp('triad-cf-cni-');
  try {
    const bin = join(t.dir, 'bin');
    installCniBinary(bin, MEMORY_CNI_TYPE);
    const rep = await runQuiet(
      [cniSuite({ path: [bin], list: memoryNet(t.dir, MEMORY_CNI_TYPE, '0.4.0'), parallelAdds: 4 })],
      // Each exec'd call starts node with tsx: on a loaded machine a cleanup DEL through two plugins takes longer than the default 15 s.
      { parallel: 2, timeoutMs: 60_000, cleanupTimeoutMs: 60_000, skip: 'every-supported-version|gc\\.|status\\.' },
    );
    assert.is(rep.totals.failed, 0, describeFailures(rep));
    assert.is(byId(rep, 'cni.chain.result-reaches-next-plugin')?.status, 'passed', "the exec'd passthrough plugin recorded prevResult");
    assert.is(byId(rep, 'cni.check.after-add')?.status, 'passed');
  } finally {
    t.cleanup();
  }
});

test('a chained plugin that carries prevResult on passes cni.chain.prev-result-preserved', async () => {
  const t = tmp('triad-cf-cni-');
  try {
    const rep = await runQuiet(
      [cniSuite({ path: [], list: memoryNet(t.dir, 'chained'), chained: true, inProcess: { chained: brokenCniInProcess('reference-chained') } })],
      { focus: '^cni\\.chain\\.' },
    );
    assert.is(byId(rep, 'cni.chain.prev-result-preserved')?.status, 'passed', describeFailures(rep));
    assert.is(rep.totals.failed, 0, describeFailures(rep));
  } finally {
    t.cleanup();
  }
});

for (const [name, v] of Object.entries(brokenCni)) {
  test(`broken CNI variant ${name} is caught by ${v.caughtBy}`, async () => {
    const t = tmp('triad-cf-cni-');
    try {
      const rep = await runQuiet([cniSuite({ path: [], list: memoryNet(t.dir, name), chained: v.chained, inProcess: { [name]: brokenCniInProcess(name) } })]);
      const c = byId(rep, v.caughtBy);
      assert.ok(c, `no case ${v.caughtBy}`);
      assert.is(c!.status, 'failed', `${v.caughtBy} did not fail for "${v.description}"; failures: ${failedIds(rep).join(', ')}`);
      assert.ok(c!.failure?.rule, 'the failure names the rule');
      // Every failure the variant causes names a rule id of the rules file, and none is a suite bug.
      for (const f of cases(rep).filter((x) => x.status === 'failed')) {
        assert.ok(f.failure?.ruleId, `${f.id}: the failure has no ruleId (rule: ${f.failure?.rule})`);
        // The runner's own rules (deadline, cleanup, leak check) apply to every case undeclared.
        if (!f.failure!.ruleId!.startsWith('runner.'))
          assert.ok(f.rules?.includes(f.failure!.ruleId!), `${f.id}: fails on ${f.failure?.ruleId}, which it does not declare`);
        assert.not.ok(
          f.notes?.some((n) => /suite bug/.test(n)),
          `${f.id}: ${f.notes?.join('; ')}`,
        );
      }
    } finally {
      t.cleanup();
    }
  });
}

test("an exec'd broken variant is caught the same way (plain-text errors)", async () => {
  const t = tmp('triad-cf-cni-');
  try {
    const bin = join(t.dir, 'bin');
    installBrokenCni(bin, 'plain-errors', 'plain-text-errors');
    const rep = await runQuiet([cniSuite({ path: [bin], list: memoryNet(t.dir, 'plain-errors') })], {
      focus: 'cni\\.errors\\.(error-output-format|invalid-json)',
      timeoutMs: 30_000,
    });
    const c = byId(rep, 'cni.errors.error-output-format')!;
    assert.is(c.status, 'failed', describeFailures(rep));
    assert.match(c.failure!.message, /not a JSON error object/);
    assert.is(byId(rep, 'cni.errors.invalid-json')!.status, 'failed');
  } finally {
    t.cleanup();
  }
});

test.run();
