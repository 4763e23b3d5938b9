// The reference stack through CRI: triad's CriClient against the private containerd, pulling
// from the local registry, pods on the real bridge network, logs, exec, and clean teardown.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerState, type PodSandboxConfig } from '../../interfaces/gen/cri/api.js';
import { contains, parseCidr, parseIp } from '../../interfaces/cni/index.js';
import { bridgePorts, hostLocalAllocations, netnsAddrs } from '../../plugins/bridge/index.js';
import { connectContainerd, mountsUnder } from '../../plugins/containerd/index.js';
import { run, tryRun, waitFor } from '../../plugins/reference/proc.js';
import { testOrSkip, useStack } from './stack.js';

const t = suite('reference stack: CRI against a private containerd');
const h = await useStack();
const it = testOrSkip(t, h);
const client = h.client!;
const s = h.stack!;

interface Pod {
  id: string;
  config: PodSandboxConfig;
  logDir: string;
  ip?: string;
  netns?: string;
}
const pods: Pod[] = [];
const hostPort = 18000 + Math.floor(Math.random() * 1000);

async function runPod(name: string, extra: Partial<PodSandboxConfig> = {}): Promise<Pod> {
  const uid = randomUUID();
  const logDir = join(s.stateDir, 'pods', `${name}-${uid}`);
  mkdirSync(logDir, { recursive: true });
  const config = {
    metadata: { name, uid, namespace: 'triad-test', attempt: 0 },
    hostname: name,
    logDirectory: logDir,
    linux: {},
    ...extra,
  } as PodSandboxConfig;
  const { podSandboxId } = await client.runtime.runPodSandbox({ config });
  const pod: Pod = { id: podSandboxId, config, logDir };
  pods.push(pod);
  const st = await client.runtime.podSandboxStatus({ podSandboxId, verbose: true });
  pod.ip = st.status?.network?.ip;
  const info = JSON.parse(st.info.info ?? '{}') as { runtimeSpec?: { linux?: { namespaces?: { type: string; path?: string }[] } } };
  pod.netns = info.runtimeSpec?.linux?.namespaces?.find((n) => n.type === 'network')?.path;
  return pod;
}

async function startContainer(pod: Pod, name: string, command: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const { containerId } = await client.runtime.createContainer({
    podSandboxId: pod.id,
    config: { metadata: { name, attempt: 0 }, image: { image: s.images!.busybox }, command, logPath: `${name}/0.log`, linux: {}, ...extra },
    sandboxConfig: pod.config,
  });
  await client.runtime.startContainer({ containerId });
  return containerId;
}

async function waitExited(containerId: string): Promise<number> {
  return waitFor(
    `container ${containerId} exits`,
    async () => {
      const st = await client.runtime.containerStatus({ containerId });
      return st.status?.state === ContainerState.CONTAINER_EXITED ? st.status.exitCode : undefined;
    },
    { timeoutMs: 15_000 },
  );
}

async function removePod(pod: Pod): Promise<void> {
  await client.runtime.stopPodSandbox({ podSandboxId: pod.id });
  await client.runtime.removePodSandbox({ podSandboxId: pod.id });
  pods.splice(pods.indexOf(pod), 1);
}

t.after(async () => {
  for (const p of [...pods]) await removePod(p).catch(() => undefined);
  await h.release();
});

it('Version and Status: containerd serves CRI v1 with RuntimeReady and NetworkReady', async () => {
  const v = await client.runtime.version({ version: 'v1' });
  assert.is(v.runtimeName, 'containerd');
  assert.is(v.runtimeApiVersion, 'v1');
  const st = await client.runtime.status({ verbose: false });
  const cond = Object.fromEntries((st.status?.conditions ?? []).map((c) => [c.type, c.status]));
  assert.equal(cond, { RuntimeReady: true, NetworkReady: true });
});

it('connectContainerd: an existing socket via CONTAINER_RUNTIME_ENDPOINT; a missing one fails fast', async () => {
  const prev = process.env.CONTAINER_RUNTIME_ENDPOINT;
  process.env.CONTAINER_RUNTIME_ENDPOINT = s.containerd!.endpoint;
  try {
    const c = await connectContainerd();
    assert.is(c.endpoint, s.containerd!.endpoint);
    assert.is((await c.runtime.version({})).runtimeName, 'containerd');
    c.close();
  } finally {
    if (prev === undefined) delete process.env.CONTAINER_RUNTIME_ENDPOINT;
    else process.env.CONTAINER_RUNTIME_ENDPOINT = prev;
  }
  const started = Date.now();
  await connectContainerd(join(s.stateDir, 'no-such.sock'), { timeoutMs: 1000 }).then(
    () => assert.unreachable('connected to nothing'),
    (err: Error) => assert.match(err.message, /no socket at|not ready|not within/),
  );
  assert.ok(Date.now() - started < 5000);
});

it('PullImage from the local registry: busybox:1.36 and pause resolve to the pushed digests', async () => {
  const started = Date.now();
  const r = await client.image.pullImage({ image: { image: s.images!.busybox } });
  assert.ok(r.imageRef.startsWith('sha256:'), r.imageRef);
  const st = await client.image.imageStatus({ image: { image: s.images!.busybox } });
  assert.ok(st.image?.repoTags.includes(s.images!.busybox), JSON.stringify(st.image?.repoTags));
  assert.ok(
    st.image?.repoDigests.some((d) => d.endsWith(`@${s.images!.digests.busybox}`)),
    JSON.stringify(st.image?.repoDigests),
  );
  const latest = await client.image.pullImage({ image: { image: s.images!.busyboxLatest } });
  assert.is(latest.imageRef, r.imageRef, ':latest is the same image');
  console.log(`    (pull ${Date.now() - started} ms)`);
});

it('PullImage of a tag the registry does not have fails for real, saying not found', async () => {
  const ref = `${s.registry!.host}/busybox:no-such-tag-${Date.now()}`;
  let err: Error | undefined;
  try {
    await client.image.pullImage({ image: { image: ref } });
  } catch (e) {
    err = e as Error;
  }
  assert.ok(err, 'pull of a missing tag must fail');
  assert.match(err!.message, /not found/i);
  const st = await client.image.imageStatus({ image: { image: ref } });
  assert.is(st.image, undefined);
});

let web: Pod;
let webCtr: string;

it('RunPodSandbox on the bridge: an IP in the subnet, no default route, reachable from the host', async () => {
  const started = Date.now();
  web = await runPod('web', { portMappings: [{ protocol: 0, containerPort: 8080, hostPort, hostIp: '' }] });
  const ms = Date.now() - started;
  const subnet = parseCidr(s.network.subnet)!;
  assert.ok(web.ip && contains(subnet, parseIp(web.ip)!), `pod IP ${web.ip} in ${s.network.subnet}`);
  assert.ok(web.netns, 'sandbox has a network namespace path');
  // inside the pod: eth0 with that IP, lo up, and only the subnet route
  const inside = await netnsAddrs(web.netns!);
  assert.ok(
    inside.find((i) => i.ifname === 'eth0')?.addr_info?.some((a) => a.local === web.ip),
    JSON.stringify(inside),
  );
  assert.ok(inside.some((i) => i.ifname === 'lo'));
  const routes = JSON.parse(await run('nsenter', [`--net=${web.netns}`, 'ip', '-j', 'route'])) as { dst: string }[];
  assert.not.ok(
    routes.some((r) => r.dst === 'default'),
    `no default route in the pod: ${JSON.stringify(routes)}`,
  );
  // the host end of the veth is on our bridge
  assert.is((await bridgePorts(s.network.bridge)).length, 1);
  assert.ok(hostLocalAllocations(s.network.ipamDir, s.network.name).includes(web.ip!));
  webCtr = await startContainer(web, 'httpd', ['sh', '-c', 'mkdir -p /www && echo hello-from-pod > /www/index.html && exec httpd -f -p 8080 -h /www']);
  const body = await waitFor(
    'httpd answers on the pod IP',
    async () => {
      const res = await fetch(`http://${web.ip}:8080/`, { signal: AbortSignal.timeout(1000) });
      return res.ok ? res.text() : undefined;
    },
    { timeoutMs: 10_000 },
  );
  assert.is(body.trim(), 'hello-from-pod');
  const ping = await tryRun('busybox', ['ping', '-c1', '-W1', web.ip!]);
  assert.is(ping.code, 0, `ping ${web.ip}: ${ping.stdout}${ping.stderr}`);
  console.log(`    (RunPodSandbox ${ms} ms)`);
});

it('hostPort through portmap: the gateway address forwards to the pod (no SNAT rules)', async () => {
  const body = await waitFor(
    'hostPort answers',
    async () => {
      const res = await fetch(`http://${s.network.gateway}:${hostPort}/`, { signal: AbortSignal.timeout(1000) });
      return res.ok ? res.text() : undefined;
    },
    { timeoutMs: 5000 },
  );
  assert.is(body.trim(), 'hello-from-pod');
  // triad's own rules only (a busy host may have other portmap users, CNI-HOSTPORT-MASQ included):
  // the jump carrying our network name and sandbox id, and the per-pod chain it leads to
  const nat = (await run('iptables', ['-w', '-t', 'nat', '-S'])).split('\n');
  const jumps = nat.filter((l) => l.startsWith('-A CNI-HOSTPORT-DNAT ') && l.includes(`name: \\"${s.network.name}\\"`) && l.includes(web.id));
  assert.is(jumps.length, 1, `one DNAT jump for the pod, by network name and sandbox id: ${JSON.stringify(nat)}`);
  const dn = jumps[0].match(/ -j (CNI-DN-[0-9a-f]+)/)?.[1];
  assert.ok(dn, jumps[0]);
  const own = nat.filter((l) => l.startsWith(`-A ${dn} `));
  assert.ok(
    own.some((l) => l.includes(`--dport ${hostPort}`) && l.includes(`--to-destination ${web.ip}:8080`)),
    own.join('\n'),
  );
  assert.not.ok(
    own.some((l) => /CNI-HOSTPORT-SETMARK|MASQUERADE/.test(l)),
    `snat: false: the pod's chain marks nothing for masquerading: ${own.join('\n')}`,
  );
  assert.not.ok(
    nat.some((l) => /^-A CNI-HOSTPORT-(MASQ|SETMARK) /.test(l) && (l.includes(web.ip!) || l.includes(s.network.subnet))),
    'no masquerade rule for the pod or its subnet',
  );
});

let sidecar: string;

it('two containers in one sandbox reach each other over localhost (ExecSync)', async () => {
  sidecar = await startContainer(web, 'sidecar', ['sleep', '3600']);
  const r = await client.runtime.execSync({ containerId: sidecar, cmd: ['wget', '-qO-', 'http://127.0.0.1:8080/'], timeout: 10n });
  assert.is(r.exitCode, 0, r.stderr.toString());
  assert.is(r.stdout.toString().trim(), 'hello-from-pod');
});

it('ExecSync: exit code, stdout and stderr; every busybox applet is linked; the triad user exists', async () => {
  const r = await client.runtime.execSync({ containerId: sidecar, cmd: ['sh', '-c', 'id -u; id -un; echo to-stderr >&2; exit 3'], timeout: 10n });
  assert.is(r.exitCode, 3);
  assert.is(r.stdout.toString(), '0\nroot\n');
  assert.is(r.stderr.toString(), 'to-stderr\n');
  const applets = await client.runtime.execSync({
    containerId: sidecar,
    cmd: ['sh', '-c', 'n=0; for a in $(busybox --list); do n=$((n+1)); [ -e /bin/$a ] || echo missing $a; done; echo total $n'],
    timeout: 10n,
  });
  assert.match(applets.stdout.toString(), /^total \d{3}\n$/, applets.stdout.toString());
  const asUser = await startContainer(web, 'as-triad', ['sleep', '3600'], { linux: { securityContext: { runAsUser: { value: 1000n } } } });
  const who = await client.runtime.execSync({ containerId: asUser, cmd: ['sh', '-c', 'id -un; echo $HOME; touch /tmp/x && echo tmp-ok'], timeout: 10n });
  assert.is(who.stdout.toString(), 'triad\n/home/triad\ntmp-ok\n', who.stderr.toString());
});

it('container logs are written in the CRI format (timestamp stream F|P line)', async () => {
  const pod = await runPod('logs');
  const id = await startContainer(pod, 'talker', ['sh', '-c', 'echo out-line; echo err-line >&2; printf partial']);
  assert.is(await waitExited(id), 0);
  const st = await client.runtime.containerStatus({ containerId: id });
  const logPath = st.status!.logPath;
  assert.is(logPath, join(pod.logDir, 'talker/0.log'));
  const lines = readFileSync(logPath, 'utf8').split('\n').filter(Boolean);
  const parsed = lines.map((l) => l.match(/^(\S+) (stdout|stderr) ([FP]) (.*)$/));
  assert.ok(parsed.every(Boolean), lines.join('\n'));
  for (const m of parsed) assert.ok(!Number.isNaN(Date.parse(m![1])), `timestamp ${m![1]}`);
  const entries = parsed.map((m) => `${m![2]} ${m![3]} ${m![4]}`).sort();
  assert.equal(entries, ['stderr F err-line', 'stdout F out-line', 'stdout P partial']);
  await removePod(pod);
});

it('stop + remove leave no netns, veth, IP allocation, runc state or portmap rule behind', async () => {
  const ip = web.ip!;
  const ids = [web.id, webCtr, sidecar];
  await removePod(web);
  const { items } = await client.runtime.listPodSandbox({});
  assert.not.ok(items.some((p) => p.id === ids[0]));
  assert.equal(await bridgePorts(s.network.bridge), [], 'no veth left on the bridge');
  assert.not.ok(hostLocalAllocations(s.network.ipamDir, s.network.name).includes(ip), `host-local released ${ip}`);
  assert.equal(
    mountsUnder(s.containerd!.state).filter((m) => m.includes('netns')),
    [],
    'no netns mount left',
  );
  const netnsDir = join(s.containerd!.state, 'io.containerd.grpc.v1.cri', 'netns');
  assert.equal(existsSync(netnsDir) ? readdirSync(netnsDir) : [], [], 'netns dir empty');
  for (const id of ids) {
    assert.not.ok(existsSync(join(s.containerd!.runcRoot, 'k8s.io', id)), `no private runc state for ${id}`);
    assert.not.ok(existsSync(join('/run/containerd/runc/k8s.io', id)), `no runc state in /run for ${id}`);
  }
  const nat = (await run('iptables', ['-w', '-t', 'nat', '-S'])).split('\n');
  assert.not.ok(
    nat.some((l) => l.includes(`name: \\"${s.network.name}\\"`)),
    'portmap rules of the pod removed',
  );
  assert.not.ok(nat.some((l) => l.includes(`--dports ${hostPort}`)));
});

t.run();
