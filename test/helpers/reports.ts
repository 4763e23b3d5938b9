// Conformance reports as files: when TRIAD_REPORTS_DIR is set (.ci/run sets it), the tests that
// run a whole suite against a healthy plugin also write its JUnit XML and JSON report there, so a
// CI run keeps them as files next to its log.
import { join } from 'node:path';
import { jsonReporter, junitReporter, type Reporter } from '../../conformance/runner/index.js';

export function reportFiles(name: string): Reporter[] {
  const dir = process.env.TRIAD_REPORTS_DIR;
  if (!dir) return [];
  return [junitReporter(join(dir, `conformance-${name}.xml`)), jsonReporter(join(dir, `conformance-${name}.json`))];
}
