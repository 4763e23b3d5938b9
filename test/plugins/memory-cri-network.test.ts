// memory-cri pod networking: a PodNetwork stub sees add at RunPodSandbox and del at
// StopPodSandbox (once), with the pod's identity, netns and host port mappings; IPs are reported
// (primary + additional) until the sandbox stops; a failing add leaves no sandbox; a failing del
// is retried; NetworkReady follows status(); cniNetwork drives a CNI config list through
// interfaces/cni (K8S_POD_* CNI_ARGS, portMappings capability); real netns when root.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { NamespaceMode, PodSandboxState, Protocol } from '../../interfaces/gen/cri/api.js';
import { parseCniArgs, type InProcessPlugin } from '../../interfaces/cni/index.js';
import type { NetworkRequest, PodNetwork } from '../../plugins/memory-cri/network.js';
import { ctrConfig, podConfig, startTestRuntime, waitFor, type TestRuntime } from '../../plugins/memory-cri/testing.js';
import { fails } from '../helpers/rpc.js';

const t = suite('memory-cri: network');

class StubNetwork implements PodNetwork {
  adds: NetworkRequest[] = [];
  dels: NetworkRequest[] = [];
  failAdd?: string;
  failDel?: string;
  failStatus?: string;
  private n = 0;
  async add(req: NetworkRequest) {
    this.adds.push(req);
    if (this.failAdd) throw new Error(this.failAdd);
    this.n++;
    return { ips: [`10.88.0.${this.n}`, `fd00::${this.n}`] };
  }
  async del(req: NetworkRequest) {
    this.dels.push(req);
    if (this.failDel) throw new Error(this.failDel);
  }
  async status() {
    if (this.failStatus) throw new Error(this.failStatus);
  }
}

let h: TestRuntime;
const net = new StubNetwork();

t.before(async () => {
  h = await startTestRuntime({ network: net });
  await h.client.image.pullImage({ image: { image: 'busybox' } });
});
t.after(async () => {
  await h?.close();
});

t('RunPodSandbox calls add with the pod identity, netns, host-port mappings, DNS and annotations; IPs are reported', async () => {
  const cfg = podConfig({
    dnsConfig: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
    portMappings: [
      { protocol: Protocol.TCP, containerPort: 80, hostPort: 8080, hostIp: '' },
      { protocol: Protocol.UDP, containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1' },
      { protocol: Protocol.TCP, containerPort: 9090, hostPort: 0 },
    ],
  });
  const { podSandboxId: id } = await h.client.runtime.runPodSandbox({ config: cfg });
  const req = net.adds[net.adds.length - 1];
  assert.equal(
    { ...req, netns: undefined },
    {
      sandboxId: id,
      podName: cfg.metadata!.name,
      podNamespace: 'default',
      podUid: cfg.metadata!.uid,
      netns: undefined,
      portMappings: [
        { protocol: 'tcp', containerPort: 80, hostPort: 8080, hostIP: '' },
        { protocol: 'udp', containerPort: 53, hostPort: 5353, hostIP: '127.0.0.1' },
      ],
      dns: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
      annotations: { note: 'kept as is' },
    },
  );
  assert.match(req.netns, new RegExp(`^/var/run/netns/triad-memory-${id.slice(0, 12)}$`));
  const st = (await h.client.runtime.podSandboxStatus({ podSandboxId: id })).status!;
  assert.is(st.network!.ip, `10.88.0.${net.adds.length}`);
  assert.equal(
    st.network!.additionalIps.map((x) => x.ip),
    [`fd00::${net.adds.length}`],
  );
  // Inside the pod: hostname -i and /etc/hosts know the IP.
  const { containerId } = await h.client.runtime.createContainer({ podSandboxId: id, config: ctrConfig('c', ['sleep', 'infinity']), sandboxConfig: cfg });
  await h.client.runtime.startContainer({ containerId });
  const r = await h.client.runtime.execSync({ containerId, cmd: ['sh', '-c', 'hostname -i; grep 10.88 /etc/hosts; cat /etc/resolv.conf'], timeout: 5n });
  assert.is(
    r.stdout.toString(),
    `${st.network!.ip} fd00::${net.adds.length}\n${st.network!.ip}\t${cfg.hostname}\nsearch default.svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n`,
  );
});

t('StopPodSandbox calls del once (idempotent stop), then no IP is reported; Remove does not call del again', async () => {
  const { podSandboxId: id } = await h.client.runtime.runPodSandbox({ config: podConfig() });
  const dels = net.dels.length;
  await h.client.runtime.stopPodSandbox({ podSandboxId: id });
  assert.is(net.dels.length, dels + 1);
  assert.is(net.dels[net.dels.length - 1].sandboxId, id);
  await h.client.runtime.stopPodSandbox({ podSandboxId: id });
  await h.client.runtime.removePodSandbox({ podSandboxId: id });
  assert.is(net.dels.length, dels + 1);
});

t('a stopped sandbox reports no IP', async () => {
  const { podSandboxId: id } = await h.client.runtime.runPodSandbox({ config: podConfig() });
  assert.ok((await h.client.runtime.podSandboxStatus({ podSandboxId: id })).status!.network!.ip);
  await h.client.runtime.stopPodSandbox({ podSandboxId: id });
  const st = (await h.client.runtime.podSandboxStatus({ podSandboxId: id })).status!;
  assert.is(st.state, PodSandboxState.SANDBOX_NOTREADY);
  assert.is(st.network!.ip, '');
  assert.equal(st.network!.additionalIps, []);
});

t("a failing add: RunPodSandbox fails with the network's text, cleans up with del, keeps no sandbox", async () => {
  const cfg = podConfig();
  net.failAdd = 'plugin type="bridge" failed (add): failed to allocate for range 0: no IP addresses available in range set';
  const before = (await h.client.runtime.listPodSandbox({})).items.length;
  const dels = net.dels.length;
  await fails(
    h.client.runtime.runPodSandbox({ config: cfg }),
    'UNKNOWN',
    /failed to setup network for sandbox "[a-f0-9]{64}": plugin type="bridge" failed \(add\): .*no IP addresses available/,
  );
  net.failAdd = undefined;
  assert.is((await h.client.runtime.listPodSandbox({})).items.length, before);
  assert.is(net.dels.length, dels + 1, 'the half-set-up attachment was deleted');
  await h.client.runtime.runPodSandbox({ config: cfg });
});

t('a failing del: StopPodSandbox fails, the sandbox is NOTREADY, and the next stop retries del', async () => {
  const { podSandboxId: id } = await h.client.runtime.runPodSandbox({ config: podConfig() });
  net.failDel = 'plugin type="bridge" failed (delete): device busy';
  await fails(h.client.runtime.stopPodSandbox({ podSandboxId: id }), 'UNKNOWN', /failed to destroy network for sandbox .*device busy/);
  assert.is((await h.client.runtime.podSandboxStatus({ podSandboxId: id })).status!.state, PodSandboxState.SANDBOX_NOTREADY);
  await fails(h.client.runtime.removePodSandbox({ podSandboxId: id }), 'UNKNOWN', /device busy/);
  net.failDel = undefined;
  const dels = net.dels.length;
  await h.client.runtime.removePodSandbox({ podSandboxId: id });
  assert.is(net.dels.length, dels + 1);
  await fails(h.client.runtime.podSandboxStatus({ podSandboxId: id }), 'NOT_FOUND');
});

t('host-network pods never touch the network', async () => {
  const adds = net.adds.length;
  const dels = net.dels.length;
  const { podSandboxId: id } = await h.client.runtime.runPodSandbox({
    config: podConfig({ linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } } }),
  });
  await h.client.runtime.removePodSandbox({ podSandboxId: id });
  assert.equal([net.adds.length, net.dels.length], [adds, dels]);
});

t('Status: RuntimeReady; NetworkReady follows status() (NetworkPluginNotReady when it fails)', async () => {
  let conds = (await h.client.runtime.status({})).status!.conditions;
  assert.equal(
    conds.map((c) => [c.type, c.status]),
    [
      ['RuntimeReady', true],
      ['NetworkReady', true],
    ],
  );
  net.failStatus = 'cni config uninitialized';
  conds = (await h.client.runtime.status({ verbose: true })).status!.conditions;
  const nr = conds.find((c) => c.type === 'NetworkReady')!;
  assert.equal([nr.status, nr.reason], [false, 'NetworkPluginNotReady']);
  assert.match(nr.message, /cni config uninitialized/);
  net.failStatus = undefined;
});

t('cniNetwork: a CNI config list through interfaces/cni, as containerd calls it', async () => {
  const calls: Array<{ env: Record<string, string>; conf: Record<string, unknown> }> = [];
  let statusFails = false;
  const plugin: InProcessPlugin = async (env, stdin) => {
    const conf = JSON.parse(stdin) as Record<string, unknown>;
    calls.push({ env, conf });
    if (env.CNI_COMMAND === 'ADD') {
      return {
        exitCode: 0,
        stdout: JSON.stringify({
          cniVersion: '1.1.0',
          interfaces: [{ name: env.CNI_IFNAME, sandbox: env.CNI_NETNS }],
          ips: [
            { address: 'fd00:1::7/64', interface: 0 },
            { address: '10.22.0.7/16', gateway: '10.22.0.1', interface: 0 },
          ],
        }),
      };
    }
    if (env.CNI_COMMAND === 'STATUS' && statusFails) return { exitCode: 1, stdout: JSON.stringify({ code: 50, msg: 'plugin not available' }) };
    return { exitCode: 0, stdout: '' };
  };
  const dir = join(h.dir, 'cni');
  mkdirSync(join(dir, 'net.d'), { recursive: true });
  writeFileSync(
    join(dir, 'net.d', '10-test.conflist'),
    JSON.stringify({ cniVersion: '1.1.0', name: 'testnet', plugins: [{ type: 'fakenet', capabilities: { portMappings: true } }] }),
  );
  const c = await startTestRuntime({
    network: { type: 'cni', config: join(dir, 'net.d'), binDirs: [], cacheDir: join(dir, 'cache'), inProcess: { fakenet: plugin } },
  });
  try {
    await c.client.image.pullImage({ image: { image: 'busybox' } });
    const cfg = podConfig({ portMappings: [{ protocol: Protocol.TCP, containerPort: 80, hostPort: 30080 }] });
    const { podSandboxId: id } = await c.client.runtime.runPodSandbox({ config: cfg });
    const add = calls.find((x) => x.env.CNI_COMMAND === 'ADD')!;
    assert.is(add.env.CNI_CONTAINERID, id);
    assert.is(add.env.CNI_IFNAME, 'eth0');
    const args = Object.fromEntries(parseCniArgs(add.env.CNI_ARGS));
    assert.equal(args, {
      IgnoreUnknown: '1',
      K8S_POD_NAMESPACE: 'default',
      K8S_POD_NAME: cfg.metadata!.name,
      K8S_POD_INFRA_CONTAINER_ID: id,
      K8S_POD_UID: cfg.metadata!.uid,
    });
    assert.equal(add.conf.runtimeConfig, { portMappings: [{ protocol: 'tcp', containerPort: 80, hostPort: 30080, hostIP: '' }] });
    const st = (await c.client.runtime.podSandboxStatus({ podSandboxId: id })).status!;
    assert.is(st.network!.ip, '10.22.0.7', 'IPv4 is the primary IP');
    assert.equal(
      st.network!.additionalIps.map((x) => x.ip),
      ['fd00:1::7'],
    );
    assert.is((await c.client.runtime.status({})).status!.conditions[1].status, true);
    statusFails = true;
    const nr = (await c.client.runtime.status({})).status!.conditions[1];
    assert.equal([nr.status, nr.reason], [false, 'NetworkPluginNotReady']);
    assert.match(nr.message, /plugin not available/);
    statusFails = false;
    await c.client.runtime.stopPodSandbox({ podSandboxId: id });
    const del = calls.find((x) => x.env.CNI_COMMAND === 'DEL')!;
    assert.ok(del, 'DEL was called');
    assert.is(del.env.CNI_CONTAINERID, id);
    assert.is((del.conf.prevResult as { ips: unknown[] }).ips.length, 2, 'DEL gets the cached ADD result');
  } finally {
    await c.close();
  }
});

t('cniNetwork: a broken or missing config makes NetworkReady false and RunPodSandbox fail cleanly', async () => {
  const c = await startTestRuntime({ network: { type: 'cni', confDir: join(h.dir, 'no-such-net.d'), binDirs: [] } });
  try {
    const nr = (await c.client.runtime.status({})).status!.conditions[1];
    assert.equal([nr.status, nr.reason], [false, 'NetworkPluginNotReady']);
    assert.match(nr.message, /cni config load failed: .*no network config found.*cni plugin not initialized/);
    await fails(c.client.runtime.runPodSandbox({ config: podConfig() }), 'UNKNOWN', /failed to setup network for sandbox .*cni plugin not initialized/);
    assert.equal((await c.client.runtime.listPodSandbox({})).items, []);
  } finally {
    await c.close();
  }
});

t('close() detaches every attached pod from the network', async () => {
  const stub = new StubNetwork();
  const c = await startTestRuntime({ network: stub });
  const { podSandboxId: a } = await c.client.runtime.runPodSandbox({ config: podConfig() });
  const { podSandboxId: b } = await c.client.runtime.runPodSandbox({ config: podConfig() });
  await c.client.runtime.stopPodSandbox({ podSandboxId: b });
  await c.close();
  assert.equal(
    stub.dels.map((d) => d.sandboxId),
    [b, a],
  );
});

// Real network namespaces need root and iproute2; chosen at load time so the skip is visible.
const canNetns = process.getuid?.() === 0 && (await execa('ip', ['netns', 'list'], { reject: false })).exitCode === 0;
const netnsTest = canNetns ? t : t.skip;

netnsTest('netns: true (root only): a real netns per sandbox, removed on stop and by close()', async () => {
  const stub = new StubNetwork();
  const c = await startTestRuntime({ network: stub, netns: true });
  const list = async () => (await execa('ip', ['netns', 'list'])).stdout;
  try {
    const { podSandboxId: a } = await c.client.runtime.runPodSandbox({ config: podConfig() });
    const { podSandboxId: b } = await c.client.runtime.runPodSandbox({ config: podConfig() });
    const name = (id: string) => `triad-${id.slice(0, 12)}`;
    assert.is(stub.adds[0].netns, `/var/run/netns/${name(a)}`);
    assert.match(await list(), new RegExp(name(a)));
    assert.match(await list(), new RegExp(name(b)));
    await c.client.runtime.stopPodSandbox({ podSandboxId: a });
    await waitFor(async () => !(await list()).includes(name(a)), 3000, 'the netns to go');
    assert.equal(c.runtime.inspect().netns, [name(b)]);
    await c.close();
    assert.not.match(await list(), new RegExp(name(b)));
  } finally {
    await c.close();
  }
});

t.run();
