// `triad serve memory-cri` gives pods IPs from the in-memory CNI plugin by default (as `triad
// run` does); `--network none` serves without a pod network and Status says NetworkReady false
// with containerd's reason and message. The temporary network directory is removed on exit.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriClient } from '../../interfaces/cri/client.js';
import { triadRoot } from '../../interfaces/util/root.js';
import { ctrConfig, podConfig, startTestRuntime, waitFor } from '../../plugins/memory-cri/testing.js';
import { createServer, type AddressInfo } from 'node:net';
import { request } from 'node:http';

const t = suite('triad serve memory-cri --network');
const root = triadRoot();
const main = join(root, 'cli/main.ts');
let dir: string;

t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'triad-serve-net-'));
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

const netDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('triad-serve-memory-cri-'));

async function serving(args: string[], fn: (c: CriClient) => Promise<void>): Promise<void> {
  const sock = join(dir, `cri-${args.join('-').replace(/[^a-z0-9]/gi, '')}.sock`);
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'serve', 'memory-cri', '--socket', sock, ...args], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const client = new CriClient(`unix://${sock}`, { timeoutMs: 10_000 });
  try {
    await waitFor(() => existsSync(sock) || child.exitCode !== null, 30_000, 'the socket');
    assert.ok(existsSync(sock), `serve exited: ${stderr}`);
    await fn(client);
  } finally {
    client.close();
    child.kill('SIGTERM');
    await exited;
  }
}

t('default: pods get IPs from the memory network; NetworkReady true', async () => {
  const before = new Set(netDirs());
  await serving(['--subnet', '10.123.0.0/24'], async (c) => {
    const cond = (await c.runtime.status({})).status!.conditions.find((x) => x.type === 'NetworkReady')!;
    assert.is(cond.status, true);
    const a = (await c.runtime.runPodSandbox({ config: podConfig() })).podSandboxId;
    const b = (await c.runtime.runPodSandbox({ config: podConfig() })).podSandboxId;
    const ipA = (await c.runtime.podSandboxStatus({ podSandboxId: a })).status!.network!.ip;
    const ipB = (await c.runtime.podSandboxStatus({ podSandboxId: b })).status!.network!.ip;
    assert.match(ipA, /^10\.123\.0\.\d+$/);
    assert.match(ipB, /^10\.123\.0\.\d+$/);
    assert.is.not(ipA, ipB);
    assert.ok(
      netDirs().some((n) => !before.has(n)),
      'the network lives in a temporary directory',
    );
  });
  assert.equal(
    netDirs().filter((n) => !before.has(n)),
    [],
    'removed on exit',
  );
});

t('--network none: no pod IP; Status NetworkReady false with a reason', async () => {
  await serving(['--network', 'none'], async (c) => {
    const cond = (await c.runtime.status({})).status!.conditions.find((x) => x.type === 'NetworkReady')!;
    assert.equal([cond.status, cond.reason, cond.message], [false, 'NetworkPluginNotReady', 'Network plugin returns error: cni plugin not initialized']);
    const id = (await c.runtime.runPodSandbox({ config: podConfig() })).podSandboxId;
    assert.is((await c.runtime.podSandboxStatus({ podSandboxId: id })).status!.network?.ip ?? '', '');
  });
});

t('a pod subnet on loopback (127.0.0.0/8): a pod port answers on the pod IP itself', async () => {
  await serving(['--subnet', '127.77.0.0/24'], async (c) => {
    const sandboxConfig = podConfig();
    const { podSandboxId } = await c.runtime.runPodSandbox({ config: sandboxConfig });
    const ip = (await c.runtime.podSandboxStatus({ podSandboxId })).status!.network!.ip;
    assert.match(ip, /^127\.77\.0\.\d+$/);
    await c.image.pullImage({ image: { image: 'busybox' } });
    const { containerId } = await c.runtime.createContainer({ podSandboxId, sandboxConfig, config: ctrConfig('web', ['httpd', '-f', '-p', '8088']) });
    await c.runtime.startContainer({ containerId });
    const body = await waitFor(
      () =>
        new Promise<string | undefined>((resolve) => {
          request({ host: ip, port: 8088, path: '/' }, (res) => {
            let b = '';
            res.on('data', (d) => {
              b += d;
            });
            res.on('end', () => resolve(b));
          })
            .on('error', () => resolve(undefined))
            .end();
        }),
      10_000,
      'the pod IP to answer',
    );
    assert.is(body, 'ok\n');
    await c.runtime.stopContainer({ containerId, timeout: 0n });
    const refused = await new Promise<boolean>((resolve) => {
      request({ host: ip, port: 8088 })
        .on('error', () => resolve(true))
        .on('response', () => resolve(false))
        .end();
    });
    assert.ok(refused, 'gone with the listener');
  });
});

t("a host-network pod's port is the node's: it answers on 127.0.0.1:PORT", async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const rt = await startTestRuntime();
  try {
    await rt.client.image.pullImage({ image: { image: 'busybox' } });
    const sandboxConfig = podConfig({ linux: { securityContext: { namespaceOptions: { network: 2 } } } });
    const { podSandboxId } = await rt.client.runtime.runPodSandbox({ config: sandboxConfig });
    const { containerId } = await rt.client.runtime.createContainer({
      podSandboxId,
      sandboxConfig,
      config: ctrConfig('web', ['httpd', '-f', '-p', String(port)]),
    });
    await rt.client.runtime.startContainer({ containerId });
    const body = await waitFor(
      () =>
        new Promise<string | undefined>((resolve) => {
          request({ host: '127.0.0.1', port, path: '/' }, (res) => {
            let b = '';
            res.on('data', (d) => {
              b += d;
            });
            res.on('end', () => resolve(b));
          })
            .on('error', () => resolve(undefined))
            .end();
        }),
      10_000,
      'the node port to answer',
    );
    assert.is(body, 'ok\n');
  } finally {
    await rt.close();
  }
});

t.run();
