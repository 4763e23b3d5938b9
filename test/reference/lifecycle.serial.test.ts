// The reference stack's own lifecycle: idempotent up, status, a triad.yaml the harness loads, the
// CLI, a second private stack beside the first without collisions, and a down that leaves nothing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../harness/config/config.js';
import { register } from '../../cli/commands/reference.js';
import { CriClient } from '../../interfaces/cri/client.js';
import { contains, parseCidr, parseIp } from '../../interfaces/cni/index.js';
import { hostLocalAllocations, linkExists } from '../../plugins/bridge/index.js';
import { mountsUnder } from '../../plugins/containerd/index.js';
import { extraSubnetRequest, referenceDown, referenceStatus, referenceUp, type UpResult } from '../../plugins/reference/index.js';
import { findPids, pidAlive, run } from '../../plugins/reference/proc.js';
import { checkConfig, testOrSkip, useStack } from './stack.js';

const t = suite('reference stack: lifecycle');
const h = await useStack();
const it = testOrSkip(t, h);
const s = h.stack!;
const otherDir = `/var/lib/triad-reference-test-${process.pid}`;
let other: UpResult | undefined;

t.after(async () => {
  if (other) await referenceDown({ stateDir: otherDir }).catch(() => undefined);
  await h.release();
});

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const program = new Command('triad').exitOverride();
  register(program);
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => {
    lines.push(a.join(' '));
  };
  const prev = process.exitCode;
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'triad', ...args]);
    return { code: Number(process.exitCode ?? 0), out: lines.join('\n') };
  } finally {
    console.log = log;
    process.exitCode = prev;
  }
}

it('a second up finds the running stack (same PIDs) instead of starting another', async () => {
  const again = await referenceUp({ checkConfig });
  assert.ok(again.reused);
  assert.is(again.containerd!.pid, s.containerd!.pid);
  assert.is(again.registry!.pid, s.registry!.pid);
  assert.ok(pidAlive(s.containerd!.pid, s.containerd!.config));
});

it('status: every component healthy; triad.yaml loads as a containerd + CNI config', async () => {
  const st = await referenceStatus({ checkConfig });
  assert.ok(st.healthy, st.problems.join('; '));
  const cfg = loadConfig(s.triadYaml);
  assert.is(cfg.runtime.type, 'containerd');
  assert.is(cfg.runtime.endpoint, s.containerd!.endpoint);
  assert.is(cfg.network.type, 'cni');
  assert.is(cfg.network.config, s.network.conflist);
  assert.equal(cfg.network.binDirs, [s.network.binDir]);
  assert.is(cfg.storage.drivers[0].type, 'memory');
  const conf = JSON.parse(readFileSync(s.network.conflist, 'utf8'));
  assert.is(conf.plugins[0].ipMasq, false);
  assert.is(conf.plugins[0].isGateway, true);
  assert.is(conf.plugins[0].ipam.routes, undefined, 'no routes (no default route) for pods');
  const toml = readFileSync(s.containerd!.config, 'utf8');
  assert.match(toml, /restrict_oom_score_adj = true/);
  assert.match(toml, new RegExp(`sandbox_image = "${s.images!.pause}"`));
});

it('CLI: `reference status` exits 0 when healthy and 1 for a missing stack; `up` prints the config path', async () => {
  const ok = await cli('reference', 'status');
  assert.is(ok.code, 0, ok.out);
  assert.match(ok.out, /^healthy/);
  const missing = await cli('reference', 'status', '--state-dir', `/tmp/triad-no-stack-${randomUUID()}`);
  assert.is(missing.code, 1);
  const up = await cli('reference', 'up', '--quiet');
  assert.match(up.out, /already running/);
  assert.ok(up.out.includes(s.triadYaml));
  assert.ok(up.out.includes(s.containerd!.endpoint));
});

it('a second private stack runs beside the first without colliding', async () => {
  // TRIAD_REFERENCE_SUBNET names the first stack's subnet (or a block for both)
  other = await referenceUp({ stateDir: otherDir, subnet: extraSubnetRequest(), checkConfig });
  assert.not.ok(other.reused);
  assert.is.not(other.containerd!.socket, s.containerd!.socket);
  assert.is.not(other.network.bridge, s.network.bridge);
  assert.is.not(other.network.subnet, s.network.subnet);
  assert.is.not(other.registry!.port, s.registry!.port);
  assert.is.not(other.network.name, s.network.name);
  // a pod on the second stack gets an address of ITS subnet
  const c = new CriClient(other.containerd!.endpoint, { timeoutMs: 60_000 });
  try {
    const logDir = join(otherDir, 'pods', 'p');
    mkdirSync(logDir, { recursive: true });
    const { podSandboxId } = await c.runtime.runPodSandbox({
      config: { metadata: { name: 'p', uid: randomUUID(), namespace: 'triad-test' }, logDirectory: logDir, linux: {} },
    });
    const st = await c.runtime.podSandboxStatus({ podSandboxId });
    assert.ok(contains(parseCidr(other.network.subnet)!, parseIp(st.status!.network!.ip)!), st.status!.network!.ip);
    await c.image.pullImage({ image: { image: other.images!.busybox } });
    const { containerId } = await c.runtime.createContainer({
      podSandboxId,
      config: { metadata: { name: 'sleeper' }, image: { image: other.images!.busybox }, command: ['sleep', '3600'], logPath: 'sleeper.log' },
      sandboxConfig: { metadata: { name: 'p', uid: 'x', namespace: 'triad-test' }, logDirectory: logDir },
    });
    await c.runtime.startContainer({ containerId });
    // leave the pod running: down must clean it up
  } finally {
    c.close();
  }
  assert.ok((await referenceStatus({ checkConfig })).healthy, 'the first stack is unaffected');
});

it('referenceDown leaves nothing: no daemons or shims, bridge, mounts, netns, IPs, iptables rules or dirs', async () => {
  assert.ok(other, 'second stack is up');
  const o = other!;
  const socket = o.containerd!.socket;
  const r = await referenceDown({ stateDir: otherDir });
  assert.is(r.containerd?.drained?.pods.length, 1, 'the running pod was stopped and removed through CRI');
  assert.not.ok(pidAlive(o.containerd!.pid), 'containerd stopped');
  assert.not.ok(pidAlive(o.registry!.pid), 'registry stopped');
  assert.equal(
    findPids((a) => a.some((x) => x.includes(socket) || x.includes(otherDir))),
    [],
    'no process refers to the stack',
  );
  assert.not.ok(await linkExists(o.network.bridge), 'bridge deleted');
  assert.equal(mountsUnder(otherDir), [], 'no mounts under the state dir');
  // its containerd keeps sandbox netns under its own state dir (netns_mounts_under_state_dir):
  // the mounts check above covers them; `ip netns` is the host's (other runtimes') business
  assert.not.ok(existsSync(otherDir), 'state dir removed');
  assert.equal(hostLocalAllocations(o.network.ipamDir, o.network.name), []);
  const nat = (await run('iptables', ['-w', '-t', 'nat', '-S'])).split('\n');
  assert.not.ok(
    nat.some((l) => l.includes(o.network.name) || l.includes(o.network.bridge)),
    'no iptables rule of its network',
  );
  const again = await referenceDown({ stateDir: otherDir });
  assert.not.ok(again.found, 'a second down finds nothing');
  other = undefined;
  assert.ok((await referenceStatus({ checkConfig })).healthy, 'the first stack is still healthy');
});

t.run();
