// The interposer is transparent: the CRI and CSI suites give the same result for every case through
// `triad proxy` (started as the CLI starts it) as straight against memory-cri, memory-csi and the
// hostPath driver, and the CNI suite the same through the CNI shim's rule and transcript code as
// straight against memory-cni.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MEMORY_TEST_IMAGES } from '../../conformance/cri/register.js';
import { criSuite } from '../../conformance/cri/suite.js';
import { csiSuite } from '../../conformance/csi/suite.js';
import type { RunReport } from '../../conformance/runner/index.js';
import { cniSuite } from '../../conformance/cni/suite.js';
import { installCniShim, readTranscript, shimInProcess } from '../../interfaces/interposer/index.js';
import { invokeMemoryCni, MEMORY_CNI_TYPE } from '../../plugins/memory-cni/index.js';
import { serveMemoryCri } from '../../plugins/memory-cri/index.js';
import { serveHostpathCsi } from '../../plugins/hostpath/index.js';
import { serveMemoryCsi } from '../../plugins/memory-csi/index.js';
import { cases, memoryNet, runQuiet, tmp } from '../conformance/helpers.js';

const test = suite('interposer: transparency');
const main = join(fileURLToPath(new URL('../..', import.meta.url)), 'cli/main.ts');

/** `triad proxy` as a child process; resolves once its socket exists. */
async function cliProxy(listen: string, upstream: string, record: string): Promise<{ stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', main, 'proxy', '--listen', listen, '--upstream', upstream, '--record', record], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; !existsSync(listen); i++) {
    if (i > 300 || child.exitCode !== null) {
      child.kill();
      throw new Error(`triad proxy did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      assert.not.ok(existsSync(listen), 'the proxy removed its socket');
    },
  };
}

const outcome = (r: RunReport) => Object.fromEntries(cases(r).map((c) => [c.id, c.status]));

test('the CRI suite on memory-cri: same outcome for every case through the proxy', async () => {
  const t = tmp('triad-transp-cri-');
  try {
    const direct = await serveMemoryCri({ endpoint: join(t.dir, 'a.sock') });
    const a = await runQuiet([criSuite({ runtimeEndpoint: direct.endpoint, testImages: MEMORY_TEST_IMAGES, workDir: join(t.dir, 'wa') })], {
      timeoutMs: 20_000,
    });
    await direct.close();
    const up = await serveMemoryCri({ endpoint: join(t.dir, 'b.sock') });
    const p = await cliProxy(join(t.dir, 'p.sock'), up.endpoint, join(t.dir, 'cri.jsonl'));
    const b = await runQuiet([criSuite({ runtimeEndpoint: `unix://${join(t.dir, 'p.sock')}`, testImages: MEMORY_TEST_IMAGES, workDir: join(t.dir, 'wb') })], {
      timeoutMs: 20_000,
    });
    await p.stop();
    await up.close();
    assert.ok(a.totals.passed >= 140, `direct: only ${a.totals.passed} passed`);
    assert.equal(outcome(b), outcome(a));
    assert.equal(b.totals, a.totals);
    const calls = readTranscript(join(t.dir, 'cri.jsonl'));
    assert.ok(calls.length > 1000, `only ${calls.length} calls recorded`);
    assert.ok(
      calls.some((c) => c.method === 'RuntimeService/GetContainerEvents'),
      'the event stream went through the proxy',
    );
  } finally {
    t.cleanup();
  }
});

const csiDrivers = {
  'memory-csi': (dir: string, endpoint: string) =>
    serveMemoryCsi({ nodeId: 'node-a', dataDir: dir, endpoint }).then((d) => ({ endpoint: d.endpoint, stop: () => d.close() })),
  'hostpath-csi': (dir: string, endpoint: string) =>
    serveHostpathCsi({ nodeId: 'node-a', root: dir, endpoint }).then((d) => ({ endpoint: d.endpoint, stop: () => d.destroy() })),
};

for (const [name, serve] of Object.entries(csiDrivers)) {
  test(`the CSI suite on ${name}: same outcome for every case through the proxy`, async () => {
    const t = tmp('triad-transp-csi-');
    try {
      const suiteOn = (endpoint: string, w: string) => csiSuite({ endpoint, stagingDir: join(t.dir, w, 'staging'), targetDir: join(t.dir, w, 'target') });
      const direct = await serve(join(t.dir, 'da'), join(t.dir, 'a.sock'));
      const a = await runQuiet([suiteOn(direct.endpoint, 'wa')]);
      await direct.stop();
      const up = await serve(join(t.dir, 'db'), join(t.dir, 'b.sock'));
      const p = await cliProxy(join(t.dir, 'p.sock'), up.endpoint, join(t.dir, 'csi.jsonl'));
      const b = await runQuiet([suiteOn(`unix://${join(t.dir, 'p.sock')}`, 'wb')]);
      await p.stop();
      await up.stop();
      assert.ok(a.totals.passed >= 100, `direct: only ${a.totals.passed} passed`);
      assert.equal(outcome(b), outcome(a));
      assert.equal(b.totals, a.totals);
      assert.ok(readTranscript(join(t.dir, 'csi.jsonl')).some((c) => c.method === 'Node/NodePublishVolume'));
    } finally {
      t.cleanup();
    }
  });
}

test('the CNI suite on memory-cni: same outcome for every case through the shim', async () => {
  const t = tmp('triad-transp-cni-');
  try {
    const a = await runQuiet([cniSuite({ path: [], list: memoryNet(join(t.dir, 'a')), inProcess: { [MEMORY_CNI_TYPE]: invokeMemoryCni } })]);
    const shim = join(t.dir, 'shim');
    installCniShim(shim, [], { realDirs: [], rules: [], record: join(t.dir, 'cni.jsonl') });
    const b = await runQuiet([
      cniSuite({ path: [], list: memoryNet(join(t.dir, 'b')), inProcess: { [MEMORY_CNI_TYPE]: shimInProcess(shim, MEMORY_CNI_TYPE, invokeMemoryCni) } }),
    ]);
    assert.ok(a.totals.passed >= 36, `direct: only ${a.totals.passed} passed`);
    assert.equal(outcome(b), outcome(a));
    assert.equal(b.totals, a.totals);
    const calls = readTranscript(join(t.dir, 'cni.jsonl'));
    for (const verb of ['ADD', 'CHECK', 'DEL', 'VERSION'])
      assert.ok(
        calls.some((c) => c.method === `${MEMORY_CNI_TYPE}/${verb}`),
        `${verb} went through the shim`,
      );
  } finally {
    t.cleanup();
  }
});

test.run();
