// memory-cri with real network namespaces (root only): a simulated listener (httpd, nc -l) also
// answers inside the pod's netns on its port — where a CNI network such as bridge puts the pod
// IP — through a proxy process in that netns; the proxy goes when the listener closes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readlinkSync, statSync } from 'node:fs';
import { execa } from 'execa';
import type { NetworkRequest, PodNetwork } from '../../plugins/memory-cri/network.js';
import { ctrConfig, podConfig, startTestRuntime, waitFor } from '../../plugins/memory-cri/testing.js';
import { findPids } from '../../plugins/reference/proc.js';

const t = suite('memory-cri: listeners in a real network namespace');

const canNetns = process.getuid?.() === 0 && (await execa('ip', ['netns', 'list'], { reject: false })).exitCode === 0;
const netnsTest = canNetns ? t : (name: string, fn: () => Promise<void>) => t.skip(`${name} [skipped: needs root and iproute2]`, fn);

const stub: PodNetwork = { add: async (_r: NetworkRequest) => ({ ips: ['10.250.0.2'] }), del: async () => undefined };

/** GET http://127.0.0.1:PORT/ from inside the netns at `path` (a node process entered with nsenter). */
async function getInside(path: string, port: number): Promise<{ code: number; out: string }> {
  const code = `require('http').get('http://127.0.0.1:${port}/', (r) => { let b = ''; r.on('data', (d) => b += d); r.on('end', () => process.stdout.write(b)); }).on('error', (e) => { process.stderr.write(e.code || e.message); process.exit(3); });`;
  const r = await execa('nsenter', [`--net=${path}`, process.execPath, '-e', code], { reject: false, timeout: 10_000 });
  return { code: r.exitCode ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** Proxy processes (any) that live in the netns at `path`. */
function proxiesIn(path: string): number[] {
  const ns = `net:[${statSync(path).ino}]`;
  return findPids((argv) => argv.some((a) => a.includes('triad-mcri-'))).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/ns/net`) === ns;
    } catch {
      return false;
    }
  });
}

netnsTest('httpd in a pod with a real netns answers on its port inside the netns; stopping it removes the proxy', async () => {
  const c = await startTestRuntime({ network: stub, netns: true });
  try {
    await c.client.image.pullImage({ image: { image: 'busybox' } });
    const cfg = podConfig();
    const { podSandboxId } = await c.client.runtime.runPodSandbox({ config: cfg });
    const path = `/var/run/netns/triad-${podSandboxId.slice(0, 12)}`;
    await execa('ip', ['-n', `triad-${podSandboxId.slice(0, 12)}`, 'link', 'set', 'lo', 'up']); // what CNI's loopback plugin does
    assert.is((await getInside(path, 8080)).code, 3, 'nothing listens before the container starts');
    const { containerId } = await c.client.runtime.createContainer({
      podSandboxId,
      config: ctrConfig('web', ['httpd', '-f', '-p', '8080']),
      sandboxConfig: cfg,
    });
    await c.client.runtime.startContainer({ containerId });
    const got = await waitFor(
      async () => {
        const r = await getInside(path, 8080);
        return r.code === 0 ? r : undefined;
      },
      10_000,
      'httpd to answer inside the netns',
    );
    assert.is(got.out, 'ok', 'the simulated httpd answered (execa drops the final newline)');
    assert.is(proxiesIn(path).length, 1, 'one proxy process in the netns');
    // the runtime-side address (portForwards) still works as before
    const info = JSON.parse((await c.client.runtime.podSandboxStatus({ podSandboxId, verbose: true })).info.info!) as { portForwards: Record<string, string> };
    assert.ok(info.portForwards['8080']?.startsWith('127.0.0.1:'), JSON.stringify(info.portForwards));
    await c.client.runtime.stopContainer({ containerId, timeout: 0n });
    await waitFor(() => proxiesIn(path).length === 0, 5000, 'the proxy to exit');
    assert.is((await getInside(path, 8080)).code, 3, 'the port is closed inside the netns once httpd stopped');
    await c.client.runtime.stopPodSandbox({ podSandboxId });
  } finally {
    await c.close();
  }
});

t.run();
