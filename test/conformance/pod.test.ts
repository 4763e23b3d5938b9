// The pod suite through the harness: the healthy in-memory node passes every case (every skip
// says why), the same stack served on sockets (how the broken variants are built) passes too, and
// each deliberately broken variant — one CRI, CNI or CSI handler wrapped — is caught by the case
// it names.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../harness/config/config.js';
import { brokenPod, serveBrokenPodStack } from '../../conformance/broken/pod.js';
import { podSuite } from '../../conformance/pod/suite.js';
import type { RunOptions, RunReport } from '../../conformance/runner/index.js';
import { byId, cases, describeFailures, failedIds, runQuiet, tmp } from './helpers.js';
import { reportFiles } from '../helpers/reports.js';

const test = suite('conformance: pod');

async function withStack(variant: string | undefined, opts: RunOptions = {}): Promise<RunReport> {
  const t = tmp('triad-cf-pod-');
  const stack = await serveBrokenPodStack(variant, t.dir);
  try {
    return await runQuiet([podSuite({ config: stack.config, ...stack.options })], { timeoutMs: 15_000, ...opts });
  } finally {
    await stack.close();
    t.cleanup();
  }
}

test('the in-memory node (no triad.yaml) passes every case; skips say why', async () => {
  const rep = await runQuiet([podSuite({ config: loadConfig() })], { timeoutMs: 15_000, reporters: reportFiles('pod-memory') });
  assert.is(rep.totals.failed, 0, describeFailures(rep));
  assert.ok(rep.totals.passed >= 20, `only ${rep.totals.passed} passed`);
  for (const c of cases(rep).filter((x) => x.status === 'skipped' || x.status === 'not-applicable'))
    assert.ok(c.reason && c.reason.length > 20, `${c.id} has no reason`);
  // the simulated network is not routed: the only skip, and it says so
  assert.equal(
    cases(rep)
      .filter((x) => x.status !== 'passed')
      .map((x) => x.id),
    ['pod.network.answers-from-node'],
  );
  assert.match(byId(rep, 'pod.network.answers-from-node')!.reason!, /not on a network this node is attached to/);
  assert.is(byId(rep, 'pod.leak-check')?.status, 'passed');
});

test('the in-memory node passes with 4 cases in parallel', async () => {
  const rep = await runQuiet([podSuite({ config: loadConfig() })], { timeoutMs: 20_000, parallel: 4 });
  assert.is(rep.totals.failed, 0, describeFailures(rep));
});

test('the same plugins served on sockets (runtime and driver as endpoints) pass too', async () => {
  const rep = await withStack(undefined);
  assert.is(rep.totals.failed, 0, describeFailures(rep));
  assert.is(byId(rep, 'pod.network.ip.ipam-allocated-to-sandbox')?.status, 'passed', 'the IPAM dir is found from the conflist');
  assert.is(byId(rep, 'pod.network.ip.cni-result-is-sandbox-ip')?.status, 'passed', 'the CNI cache dir comes from the options');
});

for (const [name, v] of Object.entries(brokenPod)) {
  test(`broken pod variant ${name} is caught by ${v.caughtBy}`, async () => {
    const rep = await withStack(name);
    const c = byId(rep, v.caughtBy);
    assert.ok(c, `no case ${v.caughtBy}`);
    assert.is(c!.status, 'failed', `${v.caughtBy} did not fail for "${v.description}"; failures: ${failedIds(rep).join(', ') || 'none'}`);
    assert.ok(c!.failure?.rule, 'the failure names the rule');
    assert.ok(c!.failure!.message.length > 20, 'the failure says what was wrong');
  });
}

test('a failure report names the CRI call and shows both addresses', async () => {
  const rep = await withStack('cri-reports-other-ip', { focus: 'cni-result-is-sandbox-ip' });
  const f = byId(rep, 'pod.network.ip.cni-result-is-sandbox-ip')!.failure!;
  assert.is(f.rpc, 'RuntimeService/PodSandboxStatus');
  assert.match(f.message, /PodSandboxStatus\.network\.ip is 10\.124\.\d+\.\d+, but the CNI ADD result .* gave 10\.124\./);
  assert.match(f.rule!, /CNI ADD result/);
});

test.run();
