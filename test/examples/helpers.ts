// Shared by the example tests: run a suite quietly and check the verdict every example must get —
// nothing failed, and every case that did not pass says why.
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunReport } from '../../conformance/runner/index.js';
import { cases, describeFailures } from '../conformance/helpers.js';

export { byId, cases, describeFailures, runQuiet, tmp } from '../conformance/helpers.js';

/** A file of examples/plugins/ (the real one the docs point at). */
export const examplePath = (rel: string) => fileURLToPath(new URL(`../../examples/plugins/${rel}`, import.meta.url));
export const exampleText = (rel: string) => readFileSync(examplePath(rel), 'utf8');

/** 0 failed, at least `minPassed` passed, and every skipped or not-applicable case has a reason. */
export function assertConformant(rep: RunReport, minPassed: number): void {
  assert.is(rep.totals.failed, 0, describeFailures(rep));
  assert.ok(rep.totals.passed >= minPassed, `only ${rep.totals.passed} cases passed (expected ≥ ${minPassed})`);
  for (const c of cases(rep).filter((x) => x.status !== 'passed')) {
    assert.ok(c.reason && c.reason.length > 10, `${c.id} is ${c.status} without a reason`);
  }
}
