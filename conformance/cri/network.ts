// CRI networking as a container sees it: the sandbox IP is reported (and distinct per sandbox),
// containers of one sandbox share the network namespace (one reaches the other on localhost),
// the DNS config reaches /etc/resolv.conf, the hostname is the sandbox's (the node's with host
// networking), and a hostPort mapping forwards to the container port.
import { isIP } from 'node:net';
import { NamespaceMode, PodSandboxState, Protocol } from '../../interfaces/gen/cri/api.js';
import { expectEqual, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { EXIT, POD, RULES, RUN, parseLogLine, sleep, type CriEnv, CriKit, type Pod } from './kit.js';
import { httpGet } from '../runner/http.js';

const c = defineCases(CriKit, 'cri.Network');

const IP_RULE = 'cri.pod-sandbox-status.network-ip';
/** What podIp asserts. */
const POD_IP = [...POD, RULES.sandboxStatusOk, IP_RULE];
/** What output asserts. */
const OUTPUT = [...POD, ...RUN, ...EXIT];
const WEB = 'mkdir -p /www && echo triad-web-ok > /www/index.html && exec httpd -f -p 8080 -h /www';

async function podIp(k: CriKit, pod: Pod): Promise<string> {
  const p = k.runtime.podSandboxStatus({ podSandboxId: pod.id });
  const st = await expectOk(p, { rule: RULES.sandboxStatusOk });
  const ip = st.status?.network?.ip ?? '';
  if (!isIP(ip)) fail(`network.ip of sandbox ${pod.id} is ${JSON.stringify(ip)}, not an IP address`, { rule: IP_RULE, call: p, actual: st.status?.network });
  return ip;
}

/** stdout of a container that runs `script` to completion (it must exit 0: `rule`). */
async function output(k: CriKit, pod: Pod, script: string, rule: string): Promise<string> {
  const id = await k.run(pod, 'probe', ['sh', '-c', script]);
  const st = await k.waitExited(id);
  expectEqual(st.exitCode, 0, { rule, what: `exit code of \`${script}\``, call: k.ctx.lastCall });
  return k
    .logLines(st.logPath)
    .map(parseLogLine)
    .filter((l) => l?.stream === 'stdout')
    .map((l) => l!.text)
    .join('\n');
}

export const networkCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.network.sandbox-ip',
    rpc: 'PodSandboxStatus',
    name: 'A ready sandbox reports its IP address',
    rules: POD_IP,
    async run(k) {
      const pod = await k.sandbox();
      await podIp(k, pod);
    },
  }),
  c({
    id: 'cri.network.distinct-ips',
    rpc: 'PodSandboxStatus',
    name: 'Two sandboxes get different IP addresses',
    rules: [...POD_IP, 'cri.namespace.network-pod'],
    async run(k) {
      const [a, b] = await Promise.all([k.sandbox(), k.sandbox()]);
      const [ipa, ipb] = [await podIp(k, a), await podIp(k, b)];
      expectTrue(ipa !== ipb, `both sandboxes report ${ipa}`, { rule: 'cri.namespace.network-pod' });
    },
  }),
  c({
    id: 'cri.network.localhost-shared',
    rpc: 'RunPodSandbox',
    name: 'Containers of one sandbox share the network namespace: one reaches the other on 127.0.0.1',
    rules: [...POD, ...RUN, RULES.execOk, 'cri.namespace.network-pod'],
    async run(k) {
      const pod = await k.sandbox();
      await k.run(pod, 'web', ['sh', '-c', WEB]);
      const client = await k.sleeper(pod, 'client');
      const r = await k.sh(
        client,
        'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do wget -qO- http://127.0.0.1:8080/ && exit 0; sleep 0.5; done; exit 1',
        20,
      );
      const rule = 'cri.namespace.network-pod';
      expectEqual(r.exitCode, 0, {
        rule,
        what: `exit code of wget http://127.0.0.1:8080/ in the other container (stderr ${JSON.stringify(r.stderr.slice(0, 200))})`,
        call: k.ctx.lastCall,
      });
      expectEqual(r.stdout.trim(), 'triad-web-ok', { rule, what: 'body served by the first container', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.network.dns-config',
    rpc: 'RunPodSandbox',
    name: "The sandbox DNS config (servers, searches, options) is the container's /etc/resolv.conf",
    rules: [...OUTPUT, 'cri.pod-sandbox-config.dns-config'],
    async run(k) {
      const pod = await k.sandbox({
        dnsConfig: { servers: ['10.0.0.10', '10.0.0.11'], searches: ['triad.test', 'svc.triad.test'], options: ['ndots:5', 'timeout:2'] },
      });
      const rule = 'cri.pod-sandbox-config.dns-config';
      const text = await output(k, pod, 'cat /etc/resolv.conf', rule);
      const lines = text.split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
      for (const want of ['nameserver 10.0.0.10', 'nameserver 10.0.0.11', 'search triad.test svc.triad.test', 'options ndots:5 timeout:2']) {
        expectTrue(lines.includes(want), `/etc/resolv.conf has no line "${want}"`, { rule, actual: text });
      }
    },
  }),
  c({
    id: 'cri.network.hostname',
    rpc: 'RunPodSandbox',
    name: "The container's hostname is the sandbox hostname",
    rules: [...OUTPUT, 'cri.pod-sandbox-config.hostname'],
    async run(k) {
      const hostname = `triad-host-${k.env.runId}-${k.ctx.seq}`;
      const pod = await k.sandbox({ hostname });
      const rule = 'cri.pod-sandbox-config.hostname';
      expectEqual((await output(k, pod, 'hostname', rule)).trim(), hostname, { rule, what: 'output of `hostname`' });
    },
  }),
  c({
    id: 'cri.network.host-network',
    rpc: 'RunPodSandbox',
    name: "A sandbox on the host network reports that namespace mode, and its containers have the node's hostname",
    rules: [...OUTPUT, RULES.sandboxStatusOk, 'cri.pod-sandbox-status.namespaces', 'cri.namespace.network-node'],
    async run(k) {
      const pod = await k.sandbox({
        hostname: '',
        linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE, pid: NamespaceMode.POD, ipc: NamespaceMode.POD } } },
      });
      const p = k.runtime.podSandboxStatus({ podSandboxId: pod.id });
      const ns = (await expectOk(p, { rule: RULES.sandboxStatusOk })).status?.linux?.namespaces?.options;
      expectEqual(NamespaceMode[ns?.network ?? -1], 'NODE', {
        rule: 'cri.pod-sandbox-status.namespaces',
        what: 'status.linux.namespaces.options.network',
        call: p,
      });
      const rule = 'cri.namespace.network-node';
      expectEqual((await output(k, pod, 'hostname', rule)).trim(), k.env.nodeHostname, { rule, what: 'output of `hostname`' });
    },
  }),
  c({
    id: 'cri.network.host-port',
    rpc: 'RunPodSandbox',
    name: 'A hostPort mapping forwards the host port to the container port',
    rules: [...POD, ...RUN, 'cri.port-mapping.forwards'],
    async run(k) {
      const hostPort = 40_000 + Math.floor(Math.random() * 10_000);
      const addr = k.env.opts.hostPortAddress ?? '127.0.0.1';
      const pod = await k.sandbox({ portMappings: [{ protocol: Protocol.TCP, containerPort: 8080, hostPort, hostIp: '' }] });
      await k.run(pod, 'web', ['sh', '-c', WEB]);
      const deadline = Date.now() + Math.min(15_000, k.ctx.deadlineMs() - 500);
      let last = '';
      for (;;) {
        try {
          const res = await httpGet(addr, hostPort, '/', 2000);
          if (res.status === 200 && res.body.trim() === 'triad-web-ok') return;
          last = `HTTP ${res.status}: ${JSON.stringify(res.body.slice(0, 100))}`;
        } catch (e) {
          last = (e as Error).message;
        }
        if (Date.now() > deadline) break;
        await sleep(250);
      }
      fail(
        `GET http://${addr}:${hostPort}/ did not reach the container listening on 8080 (last: ${last})${k.env.opts.hostPortAddress ? '' : '; if host ports answer on another address here (e.g. the CNI bridge gateway), give it with --hostport-address'}`,
        { rule: 'cri.port-mapping.forwards' },
      );
    },
  }),
  c({
    id: 'cri.network.host-port-zero',
    rpc: 'RunPodSandbox',
    name: 'A port mapping with host_port 0 is accepted: the sandbox runs without a host port',
    rules: [...POD, RULES.sandboxStatusOk, 'cri.port-mapping.host-port-zero'],
    async run(k) {
      const rule = 'cri.port-mapping.host-port-zero';
      const pod = await k.sandbox({ portMappings: [{ protocol: Protocol.TCP, containerPort: 8080, hostPort: 0, hostIp: '' }] }, rule);
      const p = k.runtime.podSandboxStatus({ podSandboxId: pod.id });
      const st = await expectOk(p, { rule: RULES.sandboxStatusOk });
      expectEqual(PodSandboxState[st.status?.state ?? -1], 'SANDBOX_READY', { rule, what: 'state of the sandbox with a host_port 0 mapping', call: p });
    },
  }),
];
