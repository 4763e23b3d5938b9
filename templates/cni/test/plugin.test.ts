// The plugin against triad: the CNI conformance suite (in-process, every verb and error case),
// and pods under triad's harness kubelet whose runtime runs the installed executable for their
// addresses.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runConformance } from 'triad/conformance';
import { startHarness } from 'triad/harness';
import { installStaticCni } from '../src/install.js';
import { invokeStaticCni, STATIC_CNI_TYPE } from '../src/plugin.js';

const projectFile = (name: string) => readFileSync(new URL(`../${name}`, import.meta.url), 'utf8');

/** example.conflist with its allocations under dir. */
function network(dir: string): Record<string, any> {
  const list = JSON.parse(projectFile('example.conflist'));
  list.plugins[0].dataDir = join(dir, 'state');
  return list;
}

test('the CNI conformance suite passes', async () => {
  const dir = mkdtempSync(join(tmpdir(), '{{name}}-'));
  try {
    const result = await runConformance({
      suite: 'cni',
      cniPath: [],
      config: network(dir),
      inProcess: { [STATIC_CNI_TYPE]: invokeStaticCni }, // the exec protocol, without a process per call
      parallelAdds: 4, // the example network has four addresses
      invalidConfig: JSON.parse(projectFile('invalid-config.json')),
    });
    console.log(result.ok ? `cni: ${result.totals.passed} passed, ${result.totals.notApplicable} not applicable` : result.text());
    assert.equal(result.totals.failed, 0, result.failed.map((c) => `${c.id}: ${c.failure?.message}`).join('\n'));
    assert.ok(result.totals.passed > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a pod under the harness kubelet gets its address from the installed plugin, and gives it back', async () => {
  const dir = mkdtempSync(join(tmpdir(), '{{name}}-'));
  try {
    const bin = join(dir, 'bin');
    installStaticCni(bin);
    writeFileSync(join(dir, 'net.conflist'), JSON.stringify(network(dir)));
    // What triad.yaml says, with this test's bin dir and config.
    const harness = await startHarness({
      config: { runtime: { type: 'memory' }, network: { type: 'cni', config: join(dir, 'net.conflist'), binDirs: [bin] }, kubelet: { plegPeriodMs: 50 } },
    });
    try {
      await harness.apply(`
apiVersion: v1
kind: Pod
metadata: { name: net }
spec:
  containers: [{ name: c, image: busybox, command: [sleep, '3600'] }]
`);
      const pod = await harness.waitFor('net', 'Running', { timeoutMs: 30_000 });
      assert.equal(pod.status?.podIP, '10.22.0.10', 'the first address of the list');
      console.log(harness.timelineText('net'));
      await harness.delete('net', { graceSeconds: 0 });
    } finally {
      await harness.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
