// The kernel cases (real network namespaces): a veth plugin passes them, each broken kernel
// variant (conformance/broken/cni-kernel.ts) is caught by the case it names, and a plugin that
// refuses a made-up CNI_NETNS makes the suite use real namespaces by itself (root), saying so in
// the facts, or, not root, stops at setup with one clear error. Needs root and `ip netns` (run under flock /tmp/triad-reference.lock); elsewhere the
// test says so and checks the kernel cases are skipped.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { cniSuite } from '../../conformance/cni/suite.js';
import { brokenKernelCni, vethInProcess } from '../../conformance/broken/cni-kernel.js';
import { invokeMemoryCni, MEMORY_CNI_TYPE } from '../../plugins/memory-cni/index.js';
import { byId, cases, describeFailures, memoryNet, runQuiet, tmp } from './helpers.js';

const test = suite('conformance: CNI netns');

const KERNEL = ['cni.netns.result-matches-netns', 'cni.netns.netns-matches-result', 'cni.netns.interface-removed', 'cni.netns.del-after-netns-gone'];

async function canNetns(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await execa('ip', ['netns', 'add', 'triad-cf-probe']);
    await execa('ip', ['netns', 'del', 'triad-cf-probe']);
    return true;
  } catch {
    return false;
  }
}

test('a kernel plugin passes the netns cases; each broken kernel variant is caught by the case it names', async () => {
  const t = tmp('triad-cf-netns-');
  try {
    const ok = await canNetns();
    const healthy = await runQuiet([cniSuite({ path: [], list: memoryNet(t.dir, 'veth'), netns: true, inProcess: { veth: vethInProcess() } })], {
      focus: '^cni\\.(netns|add|del|check)\\.',
    });
    if (!ok) {
      console.log('  (no root or no ip netns here: checking that the netns cases are skipped instead)');
      assert.is(byId(healthy, 'cni.netns.result-matches-netns')!.status, 'skipped');
      return;
    }
    assert.is(healthy.totals.failed, 0, describeFailures(healthy));
    for (const id of [...KERNEL, 'cni.add.existing-interface-fails', 'cni.check.allows-later-changes']) assert.is(byId(healthy, id)!.status, 'passed', id);
    assert.is(byId(healthy, 'cni.leak-check')!.status, 'passed', describeFailures(healthy));
    for (const [name, v] of Object.entries(brokenKernelCni)) {
      const broken = await runQuiet([cniSuite({ path: [], list: memoryNet(t.dir, 'veth'), netns: true, inProcess: { veth: vethInProcess(name) } })], {
        focus: '^cni\\.netns\\.',
      });
      const c = byId(broken, v.caughtBy)!;
      assert.is(c.status, 'failed', `${name} ("${v.description}") is not caught by ${v.caughtBy}: ${describeFailures(broken)}`);
      assert.equal(
        cases(broken)
          .filter((x) => x.status === 'failed')
          .map((x) => x.id),
        [v.caughtBy],
        `${name}: only ${v.caughtBy} catches it`,
      );
      for (const f of cases(broken).filter((x) => x.status === 'failed')) {
        assert.ok(f.failure?.ruleId, `${f.id}: the failure names a rule id`);
        assert.not.ok(
          f.notes?.some((n) => /suite bug/.test(n)),
          `${f.id}: ${f.notes?.join('; ')}`,
        );
      }
    }
  } finally {
    t.cleanup();
  }
});

test('without --netns, a plugin that refuses a made-up CNI_NETNS gets real namespaces (root), and the facts say so', async () => {
  if (!(await canNetns())) {
    console.log('  (no root or no ip netns here: not run)');
    return;
  }
  const t = tmp('triad-cf-netns-');
  try {
    const rep = await runQuiet([cniSuite({ path: [], list: memoryNet(t.dir, 'veth'), inProcess: { veth: vethInProcess() } })], {
      focus: '^cni\\.(netns|del|errors)\\.',
    });
    assert.is(rep.totals.failed, 0, describeFailures(rep));
    assert.match(rep.suites[0].facts?.netns ?? '', /chosen automatically: veth refused a made-up CNI_NETNS/);
    for (const id of KERNEL) assert.is(byId(rep, id)!.status, 'passed', id);
    assert.is(byId(rep, 'cni.leak-check')!.status, 'passed', describeFailures(rep));
    // memory-cni accepts any path: no namespaces, no kernel cases.
    const mem = await runQuiet([cniSuite({ path: [], list: memoryNet(t.dir), inProcess: { [MEMORY_CNI_TYPE]: invokeMemoryCni } })], {
      focus: '^cni\\.(netns|del)\\.',
    });
    assert.is(mem.totals.failed, 0, describeFailures(mem));
    assert.is(mem.suites[0].facts?.netns, undefined);
    assert.is(byId(mem, 'cni.netns.result-matches-netns')!.status, 'not-applicable');
  } finally {
    t.cleanup();
  }
});

test('not root: a plugin that refuses a made-up CNI_NETNS stops the run at setup with one clear error', async () => {
  if (process.getuid?.() !== 0) {
    console.log('  (not root: cannot drop to an unprivileged user here; not run)');
    return;
  }
  // The same suite as an unprivileged user (setpriv), where real namespaces are out of reach.
  const fixture = fileURLToPath(new URL('./fixtures/cni-nonroot.ts', import.meta.url));
  const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, '--import', 'tsx', fixture], {
    reject: false,
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    timeout: 120_000,
  });
  const out = JSON.parse(String(r.stdout).trim().split('\n').pop() || '{}') as { uid?: number; setup?: string; message?: string; failed?: number };
  assert.is(out.uid, 65534, `${r.stdout}\n${r.stderr}`);
  assert.is(out.setup, 'failed');
  assert.match(out.message ?? '', /veth needs real network namespaces: an ADD with a made-up CNI_NETNS failed with "[^\n]*". Run as root and pass --netns/);
  assert.is(out.failed, 1, 'only the setup fails: no page of per-case failures');
});

test.run();
