// The rules files and what the runner does with them: every suite's rules are covered by a case
// or reasoned out (open = 0), cases name only rules that exist, a failing assertion carries its
// rule id and text, and [Optional] failures are warnings unless --strict — the same in the exit
// code, the console, JUnit, TAP and JSON.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { rulesCoverage } from '../../cli/commands/conformance.js';
import { loadRules, parseRules, RulesError } from '../../conformance/rules/index.js';
import { consoleReporter, expectEqual, jsonText, junitXml, tapText, type CaseDef, type Suite } from '../../conformance/runner/index.js';
import { suites } from '../../conformance/suites.js';
import { byId, runQuiet } from './helpers.js';

const test = suite('conformance: rules');

test('the CRI, CSI and CNI rules files exist; every suite with one: open = 0, no unknown rule ids, no stale reasons', () => {
  for (const s of ['cri', 'csi', 'cni']) assert.ok(loadRules(s), `conformance/rules/${s}.yaml`);
  const cov = rulesCoverage();
  for (const c of cov) {
    assert.is(c.open.map((r) => r.id).join(', '), '', `${c.suite}: rules with neither a case nor a reason`);
    assert.is(c.unknown.map((u) => `${u.caseId} → ${u.ruleId}`).join(', '), '', `${c.suite}: cases naming rules that do not exist`);
    assert.is(c.stale.map((r) => r.id).join(', '), '', `${c.suite}: reasons on rules that cases check`);
    assert.ok(c.covered.size > 0, `${c.suite}: no rule is covered`);
  }
  // Rule ids a case declares must also exist when its suite has no file of its own yet.
  for (const s of suites()) {
    if (loadRules(s.name)) continue;
    for (const c of s.cases())
      for (const r of c.rules ?? [])
        assert.ok(
          loadRules(r.split('.')[0])?.rules.some((x) => x.id === r),
          `${c.id} names unknown rule ${r}`,
        );
  }
});

test("the runner's own rules load", () => {
  const f = loadRules('runner');
  assert.ok(f, 'conformance/rules/runner.yaml');
  assert.equal(
    f!.rules.map((r) => r.id),
    ['runner.call.answers-within-deadline', 'runner.cleanup.deletes-succeed', 'runner.leak-check.nothing-left'],
  );
});

test('a bad rules file gets an error naming the file and the entry', () => {
  const bad = (yaml: string, re: RegExp) => {
    try {
      parseRules(yaml, 'x.yaml', 'csi');
    } catch (e) {
      assert.instance(e, RulesError);
      assert.match((e as Error).message, re);
      assert.match((e as Error).message, /^x\.yaml: /);
      return;
    }
    assert.unreachable(`accepted: ${yaml}`);
  };
  const ok = 'id: csi.a.b\n    at: NodePublishVolume\n    level: MUST\n    says: something';
  bad('suite: cni\nsource: s\nrules: []', /suite is "cni", expected "csi"/);
  bad('suite: csi\nrules: []', /source .* is required/);
  bad('suite: csi\nsource: s\nrules:\n  - id: Csi.A\n    at: x\n    level: MUST\n    says: y', /rules\[0\] \(Csi\.A\): id must look like/);
  bad('suite: csi\nsource: s\nrules:\n  - id: cni.a.b\n    at: x\n    level: MUST\n    says: y', /id must look like csi\./);
  bad(`suite: csi\nsource: s\nrules:\n  - ${ok}\n  - ${ok}`, /rules\[1\] \(csi\.a\.b\): id csi\.a\.b appears twice/);
  bad(`suite: csi\nsource: s\nrules:\n  - ${ok}\n    extra: 1`, /unknown key extra/);
  bad('suite: csi\nsource: s\nrules:\n  - id: csi.a.b\n    at: x\n    level: MAY\n    says: y', /level "MAY" is not one of/);
  bad('suite: csi\nsource: s\nrules:\n  - id: csi.a.b\n    at: x\n    level: MUST', /says is required/);
  bad('suite: csi\nsource: s\nrules: [', /not valid YAML/);
  assert.is(parseRules(`suite: csi\nsource: s\nrules:\n  - ${ok}`, 'x.yaml', 'csi').rules[0].says, 'something');
});

/** Two cases: a required one and an [Optional] one, both failing on a runner rule id. */
function sample(): Suite<null> {
  const c = (x: Omit<CaseDef<null>, 'group'>): CaseDef<null> => ({ group: 'sample.G', ...x });
  return {
    name: 'sample',
    title: 'Sample',
    cases: [
      c({
        id: 'sample.required',
        name: 'required',
        rules: ['runner.cleanup.deletes-succeed'],
        async run() {
          expectEqual(1 as number, 2, { rule: 'runner.cleanup.deletes-succeed', what: 'n' });
        },
      }),
      c({
        id: 'sample.optional',
        name: 'optional',
        tags: ['Optional'],
        rules: ['runner.cleanup.deletes-succeed'],
        async run() {
          expectEqual(1 as number, 2, { rule: 'runner.cleanup.deletes-succeed', what: 'n' });
        },
      }),
      c({
        id: 'sample.undeclared',
        name: 'names a rule it does not declare',
        rules: [],
        async run() {
          expectEqual(1 as number, 2, { rule: 'runner.leak-check.nothing-left', what: 'n' });
        },
      }),
      c({
        id: 'sample.unknown',
        name: 'names a rule nobody wrote',
        async run() {
          expectEqual(1 as number, 2, { rule: 'sample.no-such-rule', what: 'n' });
        },
      }),
    ],
    async setup() {
      return { env: null, capabilities: new Set<string>() };
    },
  };
}

test('a failure carries its rule id and the rule text; reporters show both', async () => {
  const rep = await runQuiet([sample()]);
  const f = byId(rep, 'sample.required')!.failure!;
  assert.is(f.ruleId, 'runner.cleanup.deletes-succeed');
  assert.match(f.rule!, /Deleting what a case created succeeds/);
  assert.match(byId(rep, 'sample.unknown')!.failure!.rule!, /no rule sample\.no-such-rule in conformance\/rules/);
  assert.match(junitXml(rep), /rule: runner\.cleanup\.deletes-succeed: Deleting/);
  assert.match(tapText(rep), /rule: "runner\.cleanup\.deletes-succeed: Deleting/);
  assert.match(jsonText(rep), /"ruleId": "runner\.cleanup\.deletes-succeed"/);
  assert.equal(byId(rep, 'sample.required')!.rules, ['runner.cleanup.deletes-succeed']);
});

test('an assertion naming a rule its case does not declare is reported as a suite bug', async () => {
  const rep = await runQuiet([sample()]);
  assert.ok(byId(rep, 'sample.undeclared')!.notes?.some((n) => /suite bug: .*runner\.leak-check\.nothing-left.*does not declare/.test(n)));
  assert.is(byId(rep, 'sample.required')!.notes, undefined);
});

test('[Optional] failures: warnings by default, failures with strict — totals, console, JUnit, TAP agree', async () => {
  const lax = await runQuiet([sample()], { strict: false });
  assert.is(byId(lax, 'sample.optional')!.status, 'warned');
  assert.is(byId(lax, 'sample.required')!.status, 'failed');
  assert.is(lax.totals.warned, 1);
  assert.is(lax.totals.failed, 3);
  const xml = junitXml(lax);
  assert.match(xml, /failures="3"/);
  assert.match(xml, /name="sample\.optional: optional"[^>]*>\s*<properties><property name="optional-failure"/);
  assert.match(xml, /<system-out>WARNING: optional case failed/);
  assert.match(tapText(lax), /not ok 2 - sample\.optional optional # TODO optional/);
  let out = '';
  const con = consoleReporter({
    write: (s) => {
      out += s;
    },
    color: false,
  });
  for (const c of lax.suites[0].cases) con.caseEnd!(c);
  await con.end!(lax);
  assert.match(out, /WARN {2}sample\.optional/);
  assert.match(out, /3 passed|0 passed, 3 failed, 0 skipped, 1 warned/);
  assert.match(out, /Warnings \(optional cases that failed; --strict makes them failures\):\n {2}sample\.optional: .*\[runner\.cleanup\.deletes-succeed\]/);

  const strict = await runQuiet([sample()], { strict: true });
  assert.is(byId(strict, 'sample.optional')!.status, 'failed');
  assert.is(strict.totals.warned, 0);
  assert.is(strict.totals.failed, 4);
  assert.is(strict.options.strict, true);
});

test.run();
