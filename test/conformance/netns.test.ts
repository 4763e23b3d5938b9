// The kernel cases (--netns): a veth plugin passes them in real network namespaces, and a
// variant that leaves the interface behind on DEL is caught by cni.netns.interface-removed.
// Needs root and `ip netns`; elsewhere the test says so and checks the cases are skipped.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { cniSuite } from '../../conformance/cni/suite.js';
import { byId, describeFailures, memoryNet, runQuiet, tmp } from './helpers.js';
import { vethInProcess } from './fixtures/veth-cni.js';

const test = suite('conformance: CNI netns');

async function canNetns(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await execa('ip', ['netns', 'add', 'triad-cf-probe']);
    await execa('ip', ['netns', 'del', 'triad-cf-probe']);
    return true;
  } catch { return false; }
}

test('a kernel plugin passes the netns cases; one that leaves its interface is caught', async () => {
  const t = tmp('triad-cf-netns-');
  try {
    const ok = await canNetns();
    const healthy = await runQuiet([cniSuite({ path: [], list: memoryNet(t.dir, 'veth'), netns: true, inProcess: { veth: vethInProcess() } })], { focus: '^cni\\.(netns|add|del)\\.' });
    if (!ok) {
      console.log('  (no root or no ip netns here: checking that the netns cases are skipped instead)');
      assert.is(byId(healthy, 'cni.netns.interface-created')!.status, 'skipped');
      return;
    }
    assert.is(healthy.totals.failed, 0, describeFailures(healthy));
    for (const id of ['cni.netns.interface-created', 'cni.netns.interface-removed', 'cni.netns.del-after-netns-gone']) assert.is(byId(healthy, id)!.status, 'passed', id);
    assert.is(byId(healthy, 'cni.leak-check')!.status, 'passed', describeFailures(healthy));
    const broken = await runQuiet([cniSuite({ path: [], list: memoryNet(t.dir, 'veth'), netns: true, inProcess: { veth: vethInProcess(true) } })], { focus: '^cni\\.netns\\.' });
    assert.is(byId(broken, 'cni.netns.interface-removed')!.status, 'failed');
    assert.is(byId(broken, 'cni.netns.interface-created')!.status, 'passed');
  } finally { t.cleanup(); }
});

test.run();
