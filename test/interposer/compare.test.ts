// `triad conformance csi --csi.endpoint A --compare B`: the CSI suite on memory-csi (A) and on the
// hostPath driver (B), both through the recording proxy, compared case by case. Each divergence
// it finds is a real difference between the two drivers (docs/interposer.md explains them): the
// GroupController and ControllerModifyVolume only memory-csi offers, each driver's topology key
// and plugin manifest, and the accessType / nodeId memory-csi puts in its contexts. The same
// endpoint on both sides gives no divergence.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compareSides, recordSuite, type CompareResult } from '../../conformance/compare.js';
import { getSuite } from '../../conformance/suites.js';
import { serveHostpathCsi } from '../../plugins/hostpath/index.js';
import { serveMemoryCsi } from '../../plugins/memory-csi/index.js';
import { tmp } from '../conformance/helpers.js';

const test = suite('conformance --compare');
const main = join(fileURLToPath(new URL('../..', import.meta.url)), 'cli/main.ts');
const run = promisify(execFile);

test('memory-csi vs hostpath-csi through the CLI: every divergence is one of the known differences; --json has them per case', async () => {
  const t = tmp('triad-compare-');
  const mem = await serveMemoryCsi({ nodeId: 'node-a', dataDir: join(t.dir, 'mem'), endpoint: join(t.dir, 'mem.sock') });
  const hp = await serveHostpathCsi({ nodeId: 'node-a', root: join(t.dir, 'hp'), endpoint: join(t.dir, 'hp.sock') });
  try {
    const out = await run(
      process.execPath,
      ['--import', 'tsx', main, 'conformance', 'csi', '--csi.endpoint', mem.endpoint, '--compare', hp.endpoint, '--json', join(t.dir, 'cmp.json')],
      { maxBuffer: 1 << 24 },
    ).then(
      () => {
        throw new Error('exit status 0 although the drivers differ');
      },
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    assert.is(out.code, 1, out.stderr);
    assert.match(out.stdout, /divergences? in \d+ cases?:/);
    const r = JSON.parse(readFileSync(join(t.dir, 'cmp.json'), 'utf8')) as CompareResult;
    assert.is(r.suite, 'csi');
    assert.is(r.a.totals.failed, 0);
    assert.is(r.b.totals.failed, 0);
    assert.ok(r.a.calls > 300 && r.b.calls > 300, `calls recorded: ${r.a.calls}, ${r.b.calls}`);
    const outcome = r.cases.filter((c) => c.a !== c.b);
    // outcomes differ only where hostPath lacks a capability memory-csi has
    assert.ok(outcome.length >= 10, `${outcome.length} cases with another outcome`);
    for (const c of outcome) {
      assert.equal([c.a, c.b], ['passed', 'not-applicable'], c.id);
      assert.match(c.bReason!, /GROUP_CONTROLLER_SERVICE|MODIFY_VOLUME/, c.id);
    }
    assert.ok(outcome.some((c) => c.id.startsWith('csi.group-controller.')));
    assert.ok(outcome.some((c) => c.id.startsWith('csi.controller.modify-volume.')));
    // the calls and answers of the cases both ran: the known differences, and nothing else
    const known = [
      /^GroupController\/GroupControllerGetCapabilities: called 1 times on A, 0 on B$/, // setup: hostPath has no GroupController
      /^Identity\/GetPluginInfo#1: fields only on A: manifest\.publish-mechanism; only on B: manifest\.root$/,
      /topology\.triad\.dev\/node.*only on B: .*topology\.hostpath\.csi\/node$/,
      /fields only on A: (.*volumeContext\.accessType|publishContext\.nodeId, publishContext\.accessType)(, .*)?; only on B: (-|.*topology\.hostpath\.csi\/node)$/,
    ];
    const all = r.cases.flatMap((c) => c.divergences.map((d) => ({ id: c.id, ...d })));
    assert.ok(all.length >= 5, `${all.length} call/answer divergences`);
    for (const d of all)
      assert.ok(
        known.some((k) => k.test(d.message)),
        `unexplained divergence in ${d.id}: ${d.message}`,
      );
    assert.ok(all.some((d) => d.kind === 'field' && d.where === 'Node/NodeGetInfo#1'));
    assert.ok(
      all.some((d) => d.kind === 'field' && d.where.startsWith('Controller/ControllerPublishVolume') && (d.alsoIn?.length ?? 0) > 5),
      'a divergence every publishing case shares is listed once, with the cases it is also in',
    );
  } finally {
    await mem.close();
    await hp.destroy();
    t.cleanup();
  }
});

test('the same driver on both sides: no divergence', async () => {
  const t = tmp('triad-compare-same-');
  const mem = await serveMemoryCsi({ nodeId: 'node-a', dataDir: join(t.dir, 'mem'), endpoint: join(t.dir, 'mem.sock') });
  try {
    const reg = getSuite('csi')!;
    const opts = { stagingDir: join(t.dir, 'staging'), targetDir: join(t.dir, 'target') };
    const a = await recordSuite(reg, opts, mem.endpoint, { timeoutMs: 20_000, handleSigint: false });
    const b = await recordSuite(reg, opts, mem.endpoint, { timeoutMs: 20_000, handleSigint: false });
    const r = compareSides('csi', a, b);
    assert.is(a.report.totals.failed, 0);
    assert.ok(a.calls.size > 100, `calls put down to ${a.calls.size} cases`);
    assert.equal(
      r.cases.map((c) => `${c.id}: ${c.divergences.map((d) => d.message).join('; ')}`),
      [],
    );
  } finally {
    await mem.close();
    t.cleanup();
  }
});

test.run();
