// The package's entry points from code, in the checkout: runConformance (typed results, the
// console report as text, report files, clear errors for bad options), startHarness (a pod from
// YAML text, its status and timeline, teardown of its temporary state dir), and the self-reference
// (`triad/sdk` is the checkout's own sources under tsx, not a second copy).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveBrokenCsi } from '../../conformance/broken/csi.js';
import * as grpcErrors from '../../interfaces/grpc/errors.js';
import { runConformance } from 'triad/conformance';
import { startHarness } from 'triad/harness';
import * as sdk from 'triad/sdk';
import * as top from 'triad';

const test = suite('package API: runConformance, startHarness, entry points');

async function withCsi(variant: string | undefined, fn: (endpoint: string, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'triad-api-'));
  const csi = await serveBrokenCsi(variant, { nodeId: 'node-a', dataDir: join(dir, 'data'), endpoint: join(dir, 'csi.sock') });
  try {
    await fn(csi.endpoint, dir);
  } finally {
    await csi.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test("triad/sdk is the checkout's own modules (tsconfig paths), and triad re-exports every entry point", () => {
  assert.is(sdk.StatusError, grpcErrors.StatusError, "one StatusError class: a plugin's thrown errors keep their code");
  assert.is(top.runConformance, runConformance);
  assert.is(top.startHarness, startHarness);
  assert.is(top.Status.NOT_FOUND, 5, "Status is gRPC's status codes");
  assert.type(sdk.csi.validName, 'function');
  assert.ok(sdk.cri.RuntimeServiceDefinition && sdk.csi.NodeDefinition);
  assert.type(sdk.cni.runPlugin, 'function');
});

test('runConformance: a healthy driver passes; typed cases; the report as text and as files', async () => {
  await withCsi(undefined, async (endpoint, dir) => {
    const junit = join(dir, 'report.xml');
    const r = await runConformance({
      suite: 'csi',
      endpoint,
      stagingDir: join(dir, 'staging'),
      targetDir: join(dir, 'target'),
      focus: 'csi\\.(identity|controller\\.create-volume)\\.',
      junit,
      json: join(dir, 'r.json'),
    });
    assert.ok(r.ok, r.text());
    assert.is(r.suite, 'csi');
    assert.is(r.totals.failed, 0);
    assert.ok(r.totals.passed >= 5, `${r.totals.passed} passed`);
    assert.equal(r.failed, []);
    const c = r.cases.find((x) => x.id === 'csi.identity.get-plugin-info.name')!;
    assert.ok(c, r.cases.map((x) => x.id).join(' '));
    assert.is(c.status, 'passed');
    assert.type(c.durationMs, 'number');
    assert.match(r.text(), /PASS {2}csi\.identity\./);
    assert.match(r.text(), /\d+ passed, 0 failed/);
    assert.match(readFileSync(junit, 'utf8'), /<testsuite/);
    assert.is(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).totals.failed, 0);
  });
});

test('runConformance: a broken driver fails the case that catches it, with the rule and the call', async () => {
  await withCsi('missing-name-internal', async (endpoint, dir) => {
    const r = await runConformance({
      suite: 'csi',
      endpoint,
      stagingDir: join(dir, 'staging'),
      targetDir: join(dir, 'target'),
      focus: 'csi\\.controller\\.create-volume\\.missing-name',
    });
    assert.not.ok(r.ok);
    assert.equal(
      r.failed.map((c) => c.id),
      ['csi.controller.create-volume.missing-name'],
    );
    const f = r.failed[0];
    assert.ok(f.rule && f.rule === f.failure?.rule, 'the rule, lifted from the failure');
    assert.is(f.failure?.status?.name, 'INTERNAL');
    assert.match(r.text(), /FAIL {2}csi\.controller\.create-volume\.missing-name/);
  });
});

test('runConformance: the pod suite on a config object (all in-memory)', async () => {
  const r = await runConformance({ suite: 'pod', config: {}, focus: '^pod\\.lifecycle\\.run-to-completion ', timeoutMs: 30_000 });
  assert.ok(r.ok, r.text());
  assert.equal(
    r.cases
      .filter((c) => c.status === 'passed')
      .map((c) => c.id)
      .sort(),
    ['pod.leak-check', 'pod.lifecycle.run-to-completion'],
  );
});

test('runConformance: bad options are clear errors naming what is wrong', async () => {
  const fails = async (opts: unknown, re: RegExp) => {
    try {
      await runConformance(opts as Parameters<typeof runConformance>[0]);
    } catch (e) {
      assert.match((e as Error).message, re);
      return;
    }
    assert.unreachable(`no error for ${JSON.stringify(opts)}`);
  };
  await fails({ suite: 'nfs' }, /suite must be one of cri, csi, cni, pod \(got "nfs"\)/);
  await fails({ suite: 'csi' }, /csi needs endpoint/);
  await fails({ suite: 'cri' }, /cri needs endpoint/);
  await fails({ suite: 'cni', cniPath: [], config: {} }, /cni needs cniPath .* or inProcess plugins/);
  await fails({ suite: 'cni', cniPath: '/opt/cni/bin', config: '/nonexistent/x.conflist' }, /nonexistent\/x\.conflist: cannot read/);
  await fails(
    { suite: 'cni', cniPath: '/opt/cni/bin', config: { cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'a' }] }, plugin: 'b' },
    /plugin b: the network n has no plugin of that type \(it has a\)/,
  );
  await fails({ suite: 'csi', endpoint: 'unix:///x.sock', focus: '(' }, /focus is not a regular expression/);
  await fails({ suite: 'pod', config: { runtime: { type: 'bogus' } } }, /\(config object\): runtime\.type/);
});

test('startHarness: a pod from YAML text runs, its status, logs and timeline read; close removes the temporary state dir', async () => {
  const h = await startHarness({ config: { kubelet: { plegPeriodMs: 20 } } });
  const stateDir = h.stateDir;
  try {
    assert.ok(existsSync(stateDir));
    assert.match(stateDir, /triad-harness-/);
    await h.apply(`
apiVersion: v1
kind: Pod
metadata: { name: hello }
spec:
  containers: [{ name: app, image: busybox, command: [sh, -c, 'echo hi there && sleep 3600'] }]
`);
    const pod = await h.waitFor('hello', 'Ready', { timeoutMs: 20_000 });
    assert.is(pod.status?.phase, 'Running');
    assert.is(h.pod('hello').metadata.name, 'hello');
    assert.equal(
      h.pods().map((p) => p.metadata.name),
      ['hello'],
    );
    assert.match(h.table(), /hello\s+1\/1\s+Running/);
    assert.ok(h.timeline('hello').steps.some((s) => s.name.startsWith('RunPodSandbox')));
    assert.match(h.timelineText('hello'), /RunPodSandbox/);
    for (let i = 0; i < 50 && !(await h.logs('hello')).includes('hi there'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(await h.logs('hello', { container: 'app' }), /hi there/);
    assert.ok(h.events('hello').some((e) => e.reason === 'Started'));
    await h.delete('hello', { graceSeconds: 0 });
    assert.throws(() => h.pod('hello'), /not found/);
    assert.throws(() => h.waitFor('x', 'Bogus' as 'Ready'), /unknown condition "Bogus"/);
  } finally {
    await h.close();
  }
  assert.not.ok(existsSync(stateDir), 'the temporary state dir is gone');
});

test.run();
