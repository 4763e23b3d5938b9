// The CRI suite against memory-cri: the healthy runtime passes every case (each skip says why),
// also with cases in parallel, the RPC coverage table covers every CRI RPC, and each
// deliberately broken variant is caught by the case it names.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { brokenCri, brokenCriDir, serveBrokenCri } from '../../conformance/broken/cri.js';
import { CRI_RPCS, RUN_LABEL } from '../../conformance/cri/kit.js';
import { MEMORY_TEST_IMAGES } from '../../conformance/cri/register.js';
import { criSuite } from '../../conformance/cri/suite.js';
import { consoleReporter, jsonText, type RunReport, type Suite } from '../../conformance/runner/index.js';
import { CriClient } from '../../interfaces/cri/client.js';
import { byId, cases, describeFailures, failedIds, runQuiet } from './helpers.js';
import { reportFiles } from '../helpers/reports.js';

const test = suite('conformance: CRI');

/** The CRI suite against memory-cri (or a broken variant of it) on a temp socket. */
async function withCri<T>(variant: string | undefined, fn: (s: Suite<any>, endpoint: string) => Promise<T>): Promise<T> {
  const t = brokenCriDir();
  const cri = await serveBrokenCri(variant, { endpoint: join(t.dir, 'cri.sock'), dir: t.dir });
  try {
    return await fn(criSuite({ runtimeEndpoint: cri.endpoint, testImages: MEMORY_TEST_IMAGES, workDir: join(t.dir, 'work') }), cri.endpoint);
  } finally {
    await cri.close().catch(() => undefined);
    t.cleanup();
  }
}

/**
 * The one SHOULD memory-cri breaks on purpose: like containerd and CRI-O it creates a missing
 * host path (kubelet and the pod suite rely on it) where api.proto asks for an error. The
 * [Optional] case reports it as a warning; the runs below are lax so that it stays one.
 */
const MEMORY_CRI_WARNINGS = ['cri.mounts.missing-host-path'];

const UNIMPLEMENTED_IN_MEMORY = ['cri.checkpoint.container', 'cri.checkpoint.unknown-id'];

test('the healthy memory-cri passes every case; every skip says why; nothing leaks', async () => {
  let out = '';
  const rep = await withCri(undefined, (s) =>
    runQuiet([s], {
      strict: false,
      timeoutMs: 20_000,
      reporters: [
        consoleReporter({
          write: (x) => {
            out += x;
          },
          color: false,
        }),
        ...reportFiles('cri-memory'),
      ],
    }),
  );
  assert.is(rep.totals.failed, 0, describeFailures(rep));
  assert.equal(
    cases(rep)
      .filter((c) => c.status === 'warned')
      .map((c) => c.id),
    MEMORY_CRI_WARNINGS,
  );
  assert.is(byId(rep, 'cri.mounts.missing-host-path')!.failure!.ruleId, 'cri.mount.host-path-missing');
  // Every case names the rules it checks, and no assertion named a rule its case does not declare.
  for (const c of cases(rep).filter((x) => x.id !== 'cri.leak-check' && (x.status === 'passed' || x.status === 'warned')))
    assert.ok(c.rules?.length, `${c.id} declares no rules`);
  assert.equal(
    cases(rep)
      .filter((c) => c.notes?.some((n) => /suite bug/.test(n)))
      .map((c) => c.id),
    [],
  );
  assert.ok(rep.totals.passed >= 140, `only ${rep.totals.passed} passed`);
  const skipped = cases(rep).filter((x) => x.status === 'not-applicable' || x.status === 'skipped');
  for (const c of skipped) assert.ok(c.reason && c.reason.length > 20, `${c.id} has no reason`);
  assert.equal(skipped.map((c) => c.id).sort(), [...UNIMPLEMENTED_IN_MEMORY].sort(), 'only what memory-cri answers UNIMPLEMENTED is not applicable');
  for (const c of skipped) assert.match(c.reason!, /UNIMPLEMENTED/);
  assert.is(byId(rep, 'cri.leak-check')?.status, 'passed');
  // Kubernetes 1.37: pod checkpoint/restore and mount options run (and pass) on memory-cri.
  for (const id of [
    'cri.pod-checkpoint.round-trip',
    'cri.pod-checkpoint.checkpoint.bad-arguments',
    'cri.pod-checkpoint.checkpoint.unknown-id',
    'cri.pod-checkpoint.restore.unknown-checkpoint',
    'cri.pod-checkpoint.restore.container-set',
    'cri.mounts.mount-options.noexec',
  ]) {
    assert.is(byId(rep, id)?.status, 'passed', id);
  }
  // The RPC coverage table: every CRI RPC has a row; the ones nobody called say why.
  const cov = rep.suites[0].rpcCoverage!;
  assert.equal(
    cov.map((r) => r.rpc),
    CRI_RPCS,
  );
  assert.is(CRI_RPCS.length, 43, '37 RuntimeService + 6 ImageService RPCs');
  for (const r of cov.filter((x) => x.calls === 0)) assert.match(r.note ?? '', /UNIMPLEMENTED at setup/, `${r.rpc} was not called and has no reason`);
  assert.equal(
    cov
      .filter((x) => x.calls === 0)
      .map((r) => r.rpc)
      .sort(),
    ['RuntimeService/CheckpointContainer'],
  );
  const run = cov.find((r) => r.rpc === 'RuntimeService/RunPodSandbox')!;
  assert.ok(run.calls > 50 && run.answers.OK > 50 && run.cases.length > 50, JSON.stringify({ ...run, cases: run.cases.length }));
  assert.match(out, /RPC coverage: 42 of 43 RPCs called by cases/);
  assert.match(out, /RuntimeService\/CheckpointContainer +0 calls +not called: UNIMPLEMENTED at setup/);
  assert.match(out, /\d+ passed, 0 failed, 2 skipped, 1 warned/);
  assert.ok((JSON.parse(jsonText(rep)) as RunReport).suites[0].rpcCoverage!.length === 43, 'the JSON report has the coverage table');
});

test("the healthy memory-cri also passes with 8 cases in parallel, alongside another user's objects it never touches", async () => {
  await withCri(undefined, async (s, endpoint) => {
    // Someone else's sandbox and container on the same runtime, created before the run.
    const other = new CriClient(endpoint);
    try {
      await other.image.pullImage({ image: { image: MEMORY_TEST_IMAGES[0] } });
      const config = { metadata: { name: 'bystander', namespace: 'default', uid: 'bystander-uid', attempt: 0 }, labels: { app: 'bystander' } };
      const { podSandboxId } = await other.runtime.runPodSandbox({ config });
      const { containerId } = await other.runtime.createContainer({
        podSandboxId,
        config: { metadata: { name: 'c', attempt: 0 }, image: { image: MEMORY_TEST_IMAGES[0] }, command: ['sleep', '3600'] },
        sandboxConfig: config,
      });
      await other.runtime.startContainer({ containerId });
      const rep = await runQuiet([s], { strict: false, parallel: 8, timeoutMs: 20_000 });
      assert.is(rep.totals.failed, 0, describeFailures(rep));
      assert.equal(
        cases(rep)
          .filter((c) => c.status === 'warned')
          .map((c) => c.id),
        MEMORY_CRI_WARNINGS,
      );
      const st = await other.runtime.containerStatus({ containerId });
      assert.is(st.status?.state, 1, 'the bystander container is still running');
      assert.is((await other.runtime.podSandboxStatus({ podSandboxId })).status?.state, 0, 'the bystander sandbox is still ready');
      const mine = await other.runtime.listPodSandbox({ filter: { labelSelector: { [RUN_LABEL]: rep.runId } } });
      assert.is(mine.items.length, 0, 'nothing of the run is left');
    } finally {
      other.close();
    }
  });
});

for (const [name, v] of Object.entries(brokenCri)) {
  test(`broken CRI variant ${name} is caught by ${v.caughtBy}`, async () => {
    const focus = `^${v.caughtBy.replace(/\./g, '\\.')} `;
    const rep = await withCri(name, (s) => runQuiet([s], { focus, timeoutMs: 15_000 }));
    const c = byId(rep, v.caughtBy);
    assert.ok(c, `no case ${v.caughtBy}`);
    assert.is(
      c!.status,
      'failed',
      `${v.caughtBy} did not fail for "${v.description}" (it ${c!.status}${c!.reason ? `: ${c!.reason}` : ''}); failures: ${failedIds(rep).join(', ')}`,
    );
    assert.ok(c!.failure?.rule, 'the failure names the rule');
    assert.ok(c!.failure?.ruleId && c!.rules?.includes(c!.failure.ruleId), `the failure names a rule id its case declares: ${c!.failure?.ruleId}`);
    assert.not.ok(
      c!.notes?.some((n) => /suite bug/.test(n)),
      `suite bug: ${c!.notes?.join('; ')}`,
    );
    assert.ok(c!.failure?.rpc || c!.failure?.actual !== undefined, `the failure names the RPC or what was seen: ${c!.failure?.message}`);
  });
}

test('every broken variant names an existing case, and no two variants break the same case', async () => {
  const ids = new Set(criSuite({ runtimeEndpoint: 'unix:///nowhere' }).cases.map((c) => c.id));
  const seen = new Set<string>();
  for (const [name, v] of Object.entries(brokenCri)) {
    assert.ok(ids.has(v.caughtBy), `${name}: no case ${v.caughtBy}`);
    assert.not.ok(seen.has(v.caughtBy), `${v.caughtBy} named twice`);
    seen.add(v.caughtBy);
  }
  assert.ok(Object.keys(brokenCri).length >= 8);
});

test('a failure report carries the RPC, the request, the status by name, the expectation and the rule', async () => {
  const rep = await withCri('not-found-as-unknown', (s) => runQuiet([s], { focus: 'container\\.status\\.unknown-id' }));
  const f = byId(rep, 'cri.container.status.unknown-id')!.failure!;
  assert.is(f.rpc, 'RuntimeService/ContainerStatus');
  assert.ok((f.request as { containerId: string }).containerId.length === 64);
  assert.is(f.status?.name, 'UNKNOWN');
  assert.is(f.expected, 'NOT_FOUND');
  assert.is(f.ruleId, 'cri.unknown-id.not-found');
  assert.match(f.rule!, /NOT_FOUND/);
});

test('the suite against an endpoint with nothing behind it fails setup with the reason, fast', async () => {
  const t = brokenCriDir();
  try {
    const started = Date.now();
    const rep = await runQuiet([criSuite({ runtimeEndpoint: join(t.dir, 'none.sock'), testImages: MEMORY_TEST_IMAGES })], { timeoutMs: 2000 });
    assert.is(byId(rep, 'cri.setup')?.status, 'failed');
    assert.match(byId(rep, 'cri.setup')!.failure!.message, /no socket at/);
    assert.ok(Date.now() - started < 8000);
  } finally {
    t.cleanup();
  }
});

test.run();
