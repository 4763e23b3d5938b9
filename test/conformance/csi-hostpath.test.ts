// The CSI suite against the real hostPath driver (plugins/hostpath) over its unix socket, with real
// staging and target directories: NodeStage/NodePublish are real bind mounts, snapshots real tar
// archives. Every case that applies passes (one after another and 6 at a time), every other says
// why, the leak check passes, and afterwards no mount, volume, snapshot or directory of the run is
// left. Needs root (bind mounts): skipped elsewhere with the reason in the test's name, except under
// CI=true, where not being root is a failure.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { csiSuite } from '../../conformance/csi/suite.js';
import type { RunReport } from '../../conformance/runner/index.js';
import { mountsUnder } from '../../interfaces/csi/sdk/index.js';
import { startTestHostpath, type TestHostpath } from '../../plugins/hostpath/testing.js';
import { byId, cases, describeFailures, runQuiet } from './helpers.js';
import { reportFiles } from '../helpers/reports.js';

const test = suite('conformance: CSI against the hostPath driver');

const why = process.platform !== 'linux' ? 'not Linux' : process.getuid?.() !== 0 ? 'not root: hostPath bind mounts need root' : undefined;

/** Serve a fresh driver, run the whole suite against it, check nothing is left, tear it down. */
async function runAgainstHostpath(opts: { parallel?: number; reporters?: ReturnType<typeof reportFiles> }): Promise<{ rep: RunReport; ms: number }> {
  let h: TestHostpath | undefined;
  try {
    h = await startTestHostpath();
    const staging = h.scratch('staging');
    const target = h.scratch('target');
    const started = Date.now();
    const rep = await runQuiet([csiSuite({ endpoint: h.endpoint, stagingDir: staging, targetDir: target })], { timeoutMs: 30_000, ...opts });
    const ms = Date.now() - started;
    assert.is(rep.totals.failed, 0, describeFailures(rep));
    for (const c of cases(rep).filter((x) => x.status === 'skipped' || x.status === 'not-applicable'))
      assert.ok(c.reason && c.reason.length > 10, `${c.id} is ${c.status} without a reason`);
    assert.is(byId(rep, 'csi.leak-check')?.status, 'passed', byId(rep, 'csi.leak-check')?.failure?.message);
    // What the driver does for real is exercised, not skipped.
    for (const id of [
      'csi.node.lifecycle',
      'csi.node.publish-volume.readonly',
      'csi.node.get-volume-stats',
      'csi.node.publish-volume.without-staging',
      'csi.controller.create-volume.idempotent',
      'csi.controller.list-volumes.max-entries',
      'csi.controller.create-volume.clone',
      'csi.snapshots.create.basic',
      'csi.controller.expand-volume.grows',
    ]) {
      const c = byId(rep, id);
      assert.is(c?.status, 'passed', `${id}: ${c ? c.status : 'no such case'}`);
    }
    // Nothing of the run is left on the node: no mount under the driver's directory, no volume or
    // snapshot in its root, no staging or target path.
    assert.equal(mountsUnder(h.dir), [], 'bind mounts left behind');
    const root = h.driver.root;
    for (const d of ['volumes', 'snapshots']) if (existsSync(join(root, d))) assert.equal(readdirSync(join(root, d)), [], `${d} left in the driver's root`);
    for (const d of [staging, target])
      if (existsSync(d))
        assert.equal(
          readdirSync(d).filter((n) => n.startsWith(rep.prefix)),
          [],
          `paths of the run left in ${d}`,
        );
    return { rep, ms };
  } finally {
    await h?.close();
  }
}

function summary(rep: RunReport, ms: number): string {
  const t = rep.totals;
  const na = cases(rep)
    .filter((c) => c.status === 'not-applicable')
    .map((c) => c.id.replace(/^csi\./, ''));
  return `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped, ${t.notApplicable} not applicable (${na.join(', ')}) in ${ms} ms`;
}

if (why && process.env.CI === 'true') {
  test('the CSI suite against the hostPath driver (CI must run it as root)', () => {
    assert.unreachable(`the hostPath CSI conformance run cannot happen here: ${why}; CI must run the tests as root`);
  });
} else if (why) {
  test.skip(`the CSI suite passes against the hostPath driver [skipped: ${why}]`);
  test.skip(`… also with 6 cases in parallel [skipped: ${why}]`);
} else {
  test('the CSI suite passes against the hostPath driver: 0 failed, every skip says why, nothing left behind', async () => {
    const { rep, ms } = await runAgainstHostpath({ reporters: reportFiles('csi-hostpath') });
    assert.ok(rep.totals.passed >= 100, `only ${rep.totals.passed} passed`);
    console.log(`    (hostPath: ${summary(rep, ms)})`);
  });

  test('the CSI suite also passes against the hostPath driver with 6 cases in parallel', async () => {
    const { rep, ms } = await runAgainstHostpath({ parallel: 6 });
    assert.ok(rep.totals.passed >= 100, `only ${rep.totals.passed} passed`);
    console.log(`    (hostPath, --parallel 6: ${summary(rep, ms)})`);
  });
}

test.run();
