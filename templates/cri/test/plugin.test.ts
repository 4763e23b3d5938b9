// The runtime against triad: the CRI conformance suite (what critest checks), and a pod under
// triad's harness kubelet with this runtime as its container runtime.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runConformance } from 'triad/conformance';
import { startHarness } from 'triad/harness';
import { serveCriMinimal, UNSUPPORTED_CASES } from '../src/runtime.js';

/** The runtime on a socket in a temporary directory, for the length of fn. */
async function withRuntime(fn: (endpoint: string, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), '{{name}}-'));
  const server = await serveCriMinimal(join(dir, 'cri.sock'));
  try {
    await fn(server.endpoint.display, dir);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the CRI conformance suite passes, but for what the runtime leaves out', async () => {
  await withRuntime(async (endpoint, dir) => {
    const result = await runConformance({ suite: 'cri', endpoint, workDir: join(dir, 'work'), skip: UNSUPPORTED_CASES, parallel: 4, timeoutMs: 20_000 });
    console.log(
      result.ok ? `cri: ${result.totals.passed} passed, ${result.totals.skipped} skipped, ${result.totals.notApplicable} not applicable` : result.text(),
    );
    assert.equal(result.totals.failed, 0, result.failed.map((c) => `${c.id}: ${c.failure?.message}`).join('\n'));
    assert.ok(result.totals.passed > 0);
  });
});

test('a pod runs on the runtime under the harness kubelet: init container done, app running, its log readable', async () => {
  await withRuntime(async (endpoint) => {
    // What triad.yaml says, with this test's socket.
    const harness = await startHarness({ config: { runtime: { type: 'endpoint', endpoint }, network: { type: 'none' }, kubelet: { plegPeriodMs: 50 } } });
    try {
      await harness.applyFiles('pod.yaml');
      const pod = await harness.waitFor('hello-minimal', 'Ready', { timeoutMs: 30_000 });
      assert.equal(pod.status?.initContainerStatuses?.[0].state.terminated?.exitCode, 0);
      assert.match(await harness.logs('hello-minimal', { container: 'app' }), /hello from {{name}}/);
      console.log(harness.timelineText('hello-minimal'));
      await harness.delete('hello-minimal', { graceSeconds: 1 });
    } finally {
      await harness.close();
    }
  });
});
