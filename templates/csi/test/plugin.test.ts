// The driver against triad: the CSI conformance suite (what csi-sanity checks), and a pod under
// triad's harness kubelet with a claim provisioned by the driver and an inline ephemeral volume.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runConformance } from 'triad/conformance';
import { startHarness } from 'triad/harness';
import { DEFAULT_NAME, serveCsiDir } from '../src/driver.js';

/** The driver on a socket in a temporary directory, for the length of fn. */
async function withDriver(fn: (endpoint: string, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), '{{name}}-'));
  const server = await serveCsiDir(join(dir, 'csi.sock'), { root: join(dir, 'root'), nodeId: 'test-node' });
  try {
    await fn(server.endpoint.display, dir);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the CSI conformance suite passes', async () => {
  await withDriver(async (endpoint, dir) => {
    const result = await runConformance({ suite: 'csi', endpoint, stagingDir: join(dir, 'staging'), targetDir: join(dir, 'target') });
    console.log(result.ok ? `csi: ${result.totals.passed} passed, ${result.totals.notApplicable} not applicable` : result.text());
    assert.equal(result.totals.failed, 0, result.failed.map((c) => `${c.id}: ${c.failure?.message}`).join('\n'));
    assert.ok(result.totals.passed > 0);
  });
});

test('a pod with a claim and an inline volume of the driver runs under the harness kubelet', async () => {
  await withDriver(async (endpoint) => {
    // What triad.yaml says, with this test's socket.
    const harness = await startHarness({
      config: {
        runtime: { type: 'memory' },
        storage: {
          drivers: [{ name: DEFAULT_NAME, type: 'endpoint', endpoint }],
          classes: [{ name: 'dir', driver: DEFAULT_NAME, default: true }],
        },
        kubelet: { plegPeriodMs: 50 },
      },
    });
    try {
      await harness.applyFiles('pod.yaml');
      await harness.waitFor('dir-demo', 'Running', { timeoutMs: 30_000 });
      let logs = '';
      for (let i = 0; i < 100 && !logs.includes('hello'); i++) {
        logs = await harness.logs('dir-demo');
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(logs, /hello/, 'the pod wrote to the inline volume and copied it to the claim');
      console.log(harness.timelineText('dir-demo'));
      await harness.delete('dir-demo', { graceSeconds: 0 });
      await harness.deleteClaim('notes');
    } finally {
      await harness.close();
    }
  });
});
