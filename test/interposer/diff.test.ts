// triad diff's engine: the same pods on two in-memory configurations, recorded through the
// interposer. Identical configurations show no divergence (ids, times, addresses and state paths
// are normalized away); a CreateContainer failing once on B shows as a different code, an extra
// call and another order.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { parseConfig } from '../../harness/config/config.js';
import { diffRuns, diffText, recordRun } from '../../harness/diff.js';
import { loadManifests } from '../../harness/manifest/index.js';
import { settled } from '../../harness/kubelet/status.js';

const test = suite('interposer: triad diff');
const root = new URL('../..', import.meta.url).pathname;
const pods = loadManifests([join(root, 'examples/pods/init-containers.yaml')]);
const kubelet = { plegPeriodMs: 100, backoff: { initialMs: 200, maxMs: 1000 } };

test('the same configuration twice: no divergence', async () => {
  const cfg = parseConfig({ kubelet }, 'a.yaml');
  const a = await recordRun(cfg, pods, { timeoutMs: 30_000, settled });
  const b = await recordRun(cfg, pods, { timeoutMs: 30_000, settled });
  assert.ok(a.calls.length > 10, `${a.calls.length} calls recorded`);
  assert.equal(a.errors, []);
  const r = diffRuns(a, b);
  assert.equal(r.divergences, [], diffText(r));
});

test('CreateContainer failing once on B: a different code, one more call, another order; the same final status', async () => {
  const a = await recordRun(parseConfig({ kubelet }, 'a.yaml'), pods, { timeoutMs: 30_000, settled });
  const b = await recordRun(
    parseConfig({ kubelet, runtime: { faults: [{ rpc: 'CreateContainer', times: 1, fail: { code: 'RESOURCE_EXHAUSTED', message: 'injected' } }] } }, 'b.yaml'),
    pods,
    { timeoutMs: 30_000, settled },
  );
  const r = diffRuns(a, b);
  const kinds = r.divergences.map((d) => `${d.kind} ${d.where}`);
  assert.ok(kinds.includes('code RuntimeService/CreateContainer#1'), diffText(r));
  assert.ok(kinds.includes('calls RuntimeService/CreateContainer'), diffText(r));
  assert.ok(
    kinds.some((k) => k.startsWith('order')),
    diffText(r),
  );
  assert.not.ok(
    kinds.some((k) => k.startsWith('pod-status')),
    `the pod ends the same: ${diffText(r)}`,
  );
  assert.match(diffText(r), /RuntimeService\/CreateContainer#1: A answered OK, B RESOURCE_EXHAUSTED \(injected\)/);
});

test.run();
