// Pod network across CRI and CNI: the address in the CNI ADD result (libcni's cache) and the
// IPAM allocation are the address PodSandboxStatus reports and the pod's status.podIP; the pod
// answers on it (from inside the pod, and from the node when the address is on a network the node
// is attached to); host-network pods get no CNI call; concurrent pods get distinct addresses.
import type { Pod } from '../../harness/api/types.js';
import { expectEqual, expectNonEmpty, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { CAP, cachedResults, directlyAttached, readAllocations, RULES, stripPrefix, type PodEnv, PodKit } from './kit.js';
import { httpGet } from '../runner/http.js';

const G = 'pod.Network';
const c = defineCases(PodKit, G, { needs: [CAP.network] });

const ready = (p: Pod) => p.status?.conditions.find((x) => x.type === 'Ready')?.status === 'True';

/** A pod serving `token` over HTTP on the suite's port, Ready through an httpGet readiness probe. */
async function webPod(k: PodKit, token: string, withClient: boolean) {
  const port = k.env.port;
  const pod = await k.run({
    label: 'web',
    containers: [
      {
        name: 'server',
        script: `mkdir -p /www && echo ${token} > /www/index.html && exec httpd -f -p ${port} -h /www`,
        extra: {
          ports: [{ containerPort: port }],
          readinessProbe: { httpGet: { path: '/index.html', port }, periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 30 },
        },
      },
      ...(withClient ? [{ name: 'client', script: 'sleep 3600' }] : []),
    ],
  });
  const p = await k.waitFor(
    pod.metadata.name,
    (x) => x.status?.phase === 'Running' && ready(x),
    'Running and Ready (httpGet readiness probe on the server port)',
  );
  const sb = await k.sandbox(pod);
  const ip = sb.status.network?.ip ?? '';
  expectNonEmpty(ip, { rule: RULES.sandboxIp, what: 'PodSandboxStatus.network.ip', call: k.ctx.lastCall });
  return { pod: p, sb, ip, port };
}

const url = (ip: string, port: number) => `http://${ip.includes(':') ? `[${ip}]` : ip}:${port}/index.html`;

export const networkCases: CaseDef<PodEnv>[] = [
  c({
    id: 'pod.network.ip.cni-result-is-sandbox-ip',
    name: "The address in the CNI ADD result is the one PodSandboxStatus reports and the pod's status.podIP",
    async run(k) {
      const pod = await k.run({ label: 'ip', containers: [{ name: 'c', script: 'sleep 3600' }] });
      await k.running(pod.metadata.name);
      const sb = await k.sandbox(pod);
      const ip = sb.status.network?.ip ?? '';
      expectNonEmpty(ip, { rule: RULES.sandboxIp, what: 'PodSandboxStatus.network.ip', call: k.ctx.lastCall });
      const additional = (sb.status.network?.additionalIps ?? []).map((x) => x.ip);
      const net = k.env.net;
      const entries = cachedResults(net, sb.id);
      if (!entries.length) {
        if (!net.cache)
          return k.skip("the runtime's CNI result cache is unknown (pass --cni-cache-dir, libcni's cache dir): the ADD result cannot be observed");
        if (!net.cache.certain)
          return k.skip(`no libcni cache entry for sandbox ${sb.id} under ${net.cache.dir}/results (the runtime may cache elsewhere: pass --cni-cache-dir)`);
        fail(`no CNI ADD result is cached for sandbox ${sb.id} under ${net.cache.dir}/results${net.name ? ` (network ${net.name})` : ''}`, {
          rule: RULES.cniCache,
        });
      }
      const resultIps = entries.flatMap((e) => (e.result?.ips ?? []).map((x) => stripPrefix(x.address)));
      k.ctx.log(`CNI result ${resultIps.join(', ')}; PodSandboxStatus ${[ip, ...additional].join(', ')}`);
      expectTrue(
        resultIps.includes(ip),
        `PodSandboxStatus.network.ip is ${ip}, but the CNI ADD result for sandbox ${sb.id} gave ${resultIps.join(', ') || 'no address'}`,
        { rule: RULES.sandboxIp, expected: resultIps, actual: ip, call: k.ctx.calls.find((x) => x.rpc === 'RuntimeService/PodSandboxStatus') },
      );
      for (const a of additional)
        expectTrue(resultIps.includes(a), `PodSandboxStatus.network.additional_ips has ${a}, which the CNI ADD result does not`, {
          rule: RULES.sandboxIp,
          expected: resultIps,
          actual: a,
        });
      const p = k.get(pod.metadata.name);
      expectEqual(p.status?.podIP, ip, { rule: RULES.podIp, what: 'status.podIP' });
      expectEqual(
        (p.status?.podIPs ?? []).map((x) => x.ip),
        [ip, ...additional],
        { rule: RULES.podIp, what: 'status.podIPs' },
      );
    },
  }),
  c({
    id: 'pod.network.ip.ipam-allocated-to-sandbox',
    name: "The network's IPAM holds the pod's address for the pod's sandbox (host-local style allocation)",
    async run(k) {
      const dir = k.env.net.ipamDir;
      if (!dir) return k.skip("the pod network's allocations are not observable (no host-local style dataDir in the network config: pass --ipam-dir)");
      const pod = await k.run({ label: 'ipam', containers: [{ name: 'c', script: 'sleep 3600' }] });
      await k.running(pod.metadata.name);
      const sb = await k.sandbox(pod);
      const ip = sb.status.network?.ip ?? '';
      expectNonEmpty(ip, { rule: RULES.sandboxIp, what: 'PodSandboxStatus.network.ip', call: k.ctx.lastCall });
      const all = readAllocations(dir);
      if (!all.length) return k.skip(`no allocation files under ${dir}: this network's IPAM keeps its state elsewhere (pass --ipam-dir)`);
      const mine = all.filter((a) => a.containerID === sb.id);
      expectTrue(mine.length > 0, `no allocation in ${dir} belongs to sandbox ${sb.id} (the pod got ${ip})`, {
        rule: RULES.ipam,
        actual: all.filter((a) => a.ip === ip),
      });
      expectTrue(
        mine.some((a) => a.ip === ip),
        `the IPAM allocated ${mine.map((a) => a.ip).join(', ')} to sandbox ${sb.id}, but the runtime reports ${ip}`,
        { rule: RULES.ipam, expected: ip, actual: mine },
      );
      const holder = all.find((a) => a.ip === ip);
      expectEqual(holder?.containerID, sb.id, { rule: RULES.ipam, what: `the container id holding ${ip}` });
    },
  }),
  c({
    id: 'pod.network.answers-on-pod-ip',
    name: "The pod answers on its IP: another container of the pod fetches the server's page at status.podIP",
    async run(k) {
      const token = k.token();
      const { pod, sb, ip, port } = await webPod(k, token, true);
      expectEqual(pod.status?.podIP, ip, { rule: RULES.podIp, what: 'status.podIP' });
      const client = await k.containerStatus(pod, 'client');
      // no -T: Debian's busybox-static 1.35 wget segfaults with it; ExecSync's timeout bounds the call
      const r = await k.exec(client.id, ['wget', '-q', '-O', '-', url(ip, port)], 8);
      k.ctx.log(`wget ${url(ip, port)} in container client of sandbox ${sb.id}: exit ${r.exitCode}`);
      expectTrue(
        r.exitCode === 0 && r.stdout.includes(token),
        `wget ${url(ip, port)} from the pod's client container ${r.exitCode === 0 ? `answered ${JSON.stringify(r.stdout.slice(0, 200))}` : `failed (exit ${r.exitCode}): ${r.stderr.trim()}`}; expected the page holding ${token}`,
        { rule: RULES.answers, call: k.ctx.lastCall, expected: token, actual: { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr } },
      );
    },
  }),
  c({
    id: 'pod.network.answers-from-node',
    name: "The pod answers on its IP from the node (an HTTP GET to status.podIP, as kubelet's probes dial it)",
    async run(k) {
      const token = k.token();
      const { ip, port, sb } = await webPod(k, token, false);
      const route = directlyAttached(ip);
      if (!route) {
        const fwd = Object.values(sb.info).some((v) => v.includes('"portForwards"'));
        return k.skip(
          `pod IP ${ip} is not on a network this node is attached to (no direct route in /proc/net/route: a simulated or routed network); the suite sends no traffic off the node${fwd ? '. The runtime offers port forwards on the node instead (verbose PodSandboxStatus portForwards), which is not the pod IP' : ''}`,
        );
      }
      k.ctx.log(`${ip} is on ${route.net} via ${route.dev}`);
      let last: unknown;
      const until = Date.now() + 5000;
      for (;;) {
        try {
          const res = await httpGet(ip, port, '/index.html', 2000);
          expectTrue(
            res.status === 200 && res.body.includes(token),
            `GET ${url(ip, port)} answered ${res.status} ${JSON.stringify(res.body.slice(0, 200))}, expected 200 with ${token}`,
            { rule: RULES.answersHost, actual: res },
          );
          return;
        } catch (e) {
          last = e;
          if ((e as Error).name === 'ConformanceFailure' || Date.now() > until) break;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      if ((last as Error).name === 'ConformanceFailure') throw last;
      fail(`GET ${url(ip, port)} from the node failed: ${(last as Error).message}`, { rule: RULES.answersHost, actual: (last as Error).message });
    },
  }),
  c({
    id: 'pod.network.host-network.no-cni',
    name: 'A hostNetwork pod gets no CNI attachment: no ADD result cached and no address allocated for its sandbox',
    async run(k) {
      const net = k.env.net;
      if (!net.cache && !net.ipamDir) return k.skip('neither the CNI result cache nor the IPAM state is observable (pass --cni-cache-dir or --ipam-dir)');
      const pod = await k.run({ label: 'hostnet', hostNetwork: true, containers: [{ name: 'c', script: 'sleep 3600' }] });
      await k.running(pod.metadata.name);
      const sb = await k.sandbox(pod);
      const cached = cachedResults(net, sb.id);
      expectTrue(
        cached.length === 0,
        `libcni cached an ADD result for host-network sandbox ${sb.id}: ${cached.map((e) => (e.result?.ips ?? []).map((x) => x.address).join(',')).join('; ')}`,
        { rule: RULES.hostNetwork, actual: cached.map((e) => e.result) },
      );
      const held = readAllocations(net.ipamDir).filter((a) => a.containerID === sb.id);
      expectTrue(held.length === 0, `the IPAM allocated ${held.map((a) => a.ip).join(', ')} to host-network sandbox ${sb.id}`, {
        rule: RULES.hostNetwork,
        actual: held,
      });
      k.ctx.log(
        `host-network sandbox ${sb.id}: PodSandboxStatus.network.ip ${JSON.stringify(sb.status.network?.ip ?? '')}, status.podIP ${JSON.stringify(k.get(pod.metadata.name).status?.podIP ?? null)}`,
      );
    },
  }),
  c({
    id: 'pod.network.concurrent-pods-distinct-ips',
    name: 'Three pods started together get three distinct addresses',
    async run(k) {
      const pods = await Promise.all([1, 2, 3].map(() => k.run({ label: 'multi', containers: [{ name: 'c', script: 'sleep 3600' }] })));
      await Promise.all(pods.map((p) => k.running(p.metadata.name)));
      const ips: string[] = [];
      for (const p of pods) {
        const sb = await k.sandbox(p);
        const ip = sb.status.network?.ip ?? '';
        expectNonEmpty(ip, { rule: RULES.sandboxIp, what: `PodSandboxStatus.network.ip of ${p.metadata.name}`, call: k.ctx.lastCall });
        ips.push(ip);
      }
      expectEqual(new Set(ips).size, ips.length, { rule: RULES.distinct, what: `distinct addresses among ${ips.join(', ')}` });
    },
  }),
];
