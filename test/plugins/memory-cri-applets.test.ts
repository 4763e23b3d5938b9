// memory-cri's userland applets that test tools (critest) use: the process table (ps, top, pgrep,
// pidof, kill by pid), dd (its buffer counts as memory: OOM-killed past the limit), mount,
// ipcs, netstat, brctl and ping (capabilities decide), httpd's access logs; then through the
// runtime: dd OOM-kill (137), ping/brctl following the container's capabilities, top as PID 1.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerState } from '../../interfaces/gen/cri/api.js';
import {
  BufferSink,
  busyboxExecutables,
  ContainerFs,
  inputOf,
  PortTable,
  resolveArgv,
  SimProcess,
  spawn,
  type Host,
} from '../../plugins/memory-cri/sim/index.js';
import { parseSize } from '../../plugins/memory-cri/sim/sysapplets.js';
import { ctrConfig, podConfig, startTestRuntime, waitFor, type TestRuntime } from '../../plugins/memory-cri/testing.js';

const t = suite('memory-cri: applets');
let h: TestRuntime;
const tmp = mkdtempSync(join(tmpdir(), 'memory-cri-applets-'));

function host(over: Partial<Host> = {}): Host {
  return {
    fs: new ContainerFs({
      executables: { ...busyboxExecutables(), '/usr/local/bin/httpd-foreground': 'httpd-foreground', '/bin/setuid-euid': 'setuid-euid' },
      mounts: [{ containerPath: '/data', hostPath: tmp, readonly: false }],
    }),
    hostname: 'sim-pod',
    ips: ['10.9.0.7'],
    ports: new PortTable(),
    user: { uid: 0, gid: 0, groups: [], name: 'root', group: 'root' },
    ...over,
  };
}

/** Run argv in hst; with bg, start it and return the process without waiting. */
function run(argv: string[], hst: Host, o: { parent?: SimProcess; stdin?: string } = {}) {
  const env = new Map([['PATH', '/bin:/usr/local/bin']]);
  const r = resolveArgv(argv, hst, env, '/');
  if (!r.ok) throw new Error(r.message);
  const out = new BufferSink();
  const err = new BufferSink();
  const proc = o.parent ? o.parent.spawnChild() : new SimProcess();
  if (!o.parent) hst.init = proc;
  const done = spawn({ resolved: r, env, cwd: '/', host: hst, io: { stdin: inputOf(o.stdin ?? ''), out, err }, proc }).then((x) => ({
    code: x.exitCode,
    reason: x.reason,
    out: out.toString(),
    err: err.toString(),
  }));
  return { proc, done, out, err };
}
const exec = (argv: string[], hst: Host, parent?: SimProcess) => run(argv, hst, { parent }).done;

t.before(async () => {
  h = await startTestRuntime();
  for (const image of ['busybox', 'nginx']) await h.client.image.pullImage({ image: { image } });
});
t.after(async () => {
  await h?.close();
  rmSync(tmp, { recursive: true, force: true });
});

t('process table: pgrep/pidof find PID 1 and exec sessions, never themselves; ps lists; kill by pid', async () => {
  const hst = host();
  const init = run(['sh', '-c', 'sleep 4321'], hst);
  const side = run(['sleep', '999'], hst, { parent: init.proc });
  await new Promise((r) => setTimeout(r, 20));
  const pg = await exec(['sh', '-c', 'pgrep sleep || true'], hst, init.proc);
  assert.is(pg.out, `1\n${side.proc.pid}\n`);
  assert.is((await exec(['pgrep', '-f', 'sleep 999'], hst, init.proc)).out, `${side.proc.pid}\n`);
  assert.is((await exec(['pgrep', 'nginx'], hst, init.proc)).code, 1);
  assert.is((await exec(['pgrep', 'pgrep'], hst, init.proc)).code, 1, 'pgrep does not list itself');
  assert.is((await exec(['pidof', 'sleep'], hst, init.proc)).out, `${side.proc.pid} 1\n`);
  const ps = await exec(['ps'], hst, init.proc);
  assert.match(ps.out, /^PID\s+USER\s+TIME\s+COMMAND\n\s+1 root\s+0:00 sleep 4321\n/);
  assert.match(ps.out, new RegExp(`${side.proc.pid} root\\s+0:00 sleep 999\\n`));
  assert.is((await exec(['kill', String(side.proc.pid)], hst, init.proc)).code, 0);
  assert.is((await side.done).code, 143);
  assert.is((await exec(['kill', '-0', '424242'], hst, init.proc)).code, 1);
  init.proc.kill('KILL');
  assert.is((await init.done).code, 137);
});

t('top: prints the process table every -d seconds until signalled; -n ends it', async () => {
  const hst = host();
  const top = run(['sh', '-c', 'top -d 0.05'], hst);
  await waitFor(() => (top.out.toString().match(/PID  PPID USER/g) ?? []).length >= 3, 3000, 'three frames');
  assert.match(top.out.toString(), /\n\s+1\s+0 root\s+R\s+top -d 0.05\n/);
  top.proc.kill('TERM');
  assert.is((await top.done).code, 143);
  const once = await exec(['top', '-b', '-n', '1'], host());
  assert.is(once.code, 0);
  assert.is((once.out.match(/PID  PPID/g) ?? []).length, 1);
  assert.is((await exec(['top', '-x'], host())).code, 1);
});

t('dd: copies blocks with busybox counts; its bs buffer is allocated while it runs', async () => {
  assert.equal([parseSize('20M'), parseSize('1k'), parseSize('2b'), parseSize('7'), parseSize('x')], [20 * 1024 * 1024, 1024, 1024, 7, undefined]);
  const allocs: number[] = [];
  const hst = host({ allocate: (b) => allocs.push(b) });
  const r = await exec(['dd', 'if=/dev/zero', 'of=/data/z', 'bs=1k', 'count=3'], hst);
  assert.is(r.code, 0);
  assert.match(r.err, /^3\+0 records in\n3\+0 records out\n3072 bytes \(3\.0KB\) copied/);
  assert.equal(allocs, [1024, -1024], 'the buffer is held, then freed');
  const copy = await exec(['sh', '-c', 'echo hello-world | dd bs=4 skip=1 status=none'], hst);
  assert.is(copy.out, 'o-world\n');
  assert.is((await exec(['dd', 'if=/nope'], hst)).err, "dd: can't open '/nope': No such file or directory\n");
  assert.is((await exec(['dd', 'bs=lots'], hst)).code, 1);
  // endless input without count: runs until signalled
  const endless = run(['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1M'], host());
  await new Promise((res) => setTimeout(res, 50));
  endless.proc.kill('TERM');
  assert.is((await endless.done).code, 143);
});

t('mount: lists the mounts; --bind needs SYS_ADMIN and works for a source under a volume', async () => {
  writeFileSync(join(tmp, 'shared.txt'), 'from the host\n');
  const plain = host({ caps: new Set(['CHOWN']) });
  const ls = await exec(['mount'], plain);
  assert.match(ls.out, /^overlay on \/ type overlay \(rw,relatime\)\n/);
  assert.match(ls.out, new RegExp(`${tmp} on /data type bind \\(rw\\)`));
  plain.fs.mkdir('/mnt/x', { parents: true });
  const denied = await exec(['mount', '--bind', '/data', '/mnt/x'], plain);
  assert.equal([denied.code, denied.err], [255, 'mount: permission denied (are you root?)\n']);
  const admin = host({ caps: new Set(['SYS_ADMIN']) });
  admin.fs.mkdir('/mnt/x', { parents: true });
  assert.is((await exec(['mount', '--bind', '/data', '/mnt/x'], admin)).code, 0);
  assert.is((await exec(['cat', '/mnt/x/shared.txt'], admin)).out, 'from the host\n');
  admin.fs.mkdir('/data/inner', { parents: true });
  assert.is((await exec(['mount', '--bind', '/bin', '/data/inner'], admin)).code, 0, 'an in-memory path binds inside the container');
  assert.match((await exec(['ls', '/data/inner'], admin)).out, /^sh$/m);
  assert.equal(readdirSync(join(tmp, 'inner')), [], 'the node does not see it');
  assert.match((await exec(['mount', '-t', 'tmpfs', 'tmpfs', '/mnt/x'], admin)).err, /tmpfs file systems are not simulated/);
});

t("ipcs: a pod IPC namespace has no segments; host IPC lists the node's", async () => {
  const r = await exec(['ipcs', '-m'], host());
  assert.is(r.out, '\n------ Shared Memory Segments --------\nkey        shmid      owner      perms      bytes      nattch     status      \n\n');
  const all = await exec(['ipcs'], host());
  assert.match(all.out, /Semaphore Arrays[\s\S]*Message Queues/);
  const node = await exec(['ipcs', '-m'], host({ hostIpc: true }));
  let rows: string[] = [];
  try {
    rows = (await import('node:fs')).readFileSync('/proc/sysvipc/shm', 'utf8').trim().split('\n').slice(1);
  } catch {
    /* no sysvipc */
  }
  for (const row of rows)
    assert.ok(node.out.includes(` ${row.trim().split(/\s+/)[1]} `) || node.out.includes(`${row.trim().split(/\s+/)[1]}  `), 'each node segment id is listed');
  assert.is(node.out.split('\n').length, r.out.split('\n').length + rows.length);
});

t("netstat -ln: the pod's listening ports", async () => {
  const hst = host();
  const srv = run(['httpd', '-f', '-p', '8089'], hst);
  await waitFor(() => hst.ports.forwards()['8089'], 3000, 'httpd to listen');
  const r = await exec(['netstat', '-ln'], hst, srv.proc);
  assert.match(
    r.out,
    /^Active Internet connections \(only servers\)\nProto Recv-Q Send-Q Local Address\s+Foreign Address\s+State\s*\ntcp\s+0\s+0 0\.0\.0\.0:8089\s+0\.0\.0\.0:\*\s+LISTEN/,
  );
  assert.not.match((await exec(['netstat', '-n'], hst, srv.proc)).out, /8089/, 'without -l or -a no servers are listed');
  srv.proc.kill('KILL');
  await srv.done;
});

t("netstat in a host-network pod lists the node's listening sockets", async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  try {
    const node = await exec(['netstat', '-ln'], host({ hostNetwork: true }));
    assert.match(node.out, new RegExp(`tcp\\s+0\\s+0 127\\.0\\.0\\.1:${port}\\s+0\\.0\\.0\\.0:\\*\\s+LISTEN`));
    assert.not.match((await exec(['netstat', '-ln'], host())).out, new RegExp(`:${port}\\b`), 'a pod network namespace does not see it');
  } finally {
    srv.close();
  }
});

t('brctl: addbr/delbr need NET_ADMIN; show lists bridges', async () => {
  const plain = host({ caps: new Set(['NET_RAW']) });
  assert.is((await exec(['brctl', 'addbr', 'foobar'], plain)).code, 1);
  assert.is((await exec(['brctl', 'addbr', 'foobar'], plain)).err, 'brctl: bridge foobar: Operation not permitted\n');
  const admin = host({ caps: new Set(['NET_ADMIN']) });
  assert.is((await exec(['brctl', 'addbr', 'foobar'], admin)).code, 0);
  assert.is((await exec(['brctl', 'addbr', 'foobar'], admin)).err, 'brctl: bridge foobar: File exists\n');
  assert.match((await exec(['brctl', 'show'], admin)).out, /\nfoobar\t/);
  assert.is((await exec(['brctl', 'delbr', 'foobar'], admin)).code, 0);
  assert.is((await exec(['brctl', 'delbr', 'foobar'], admin)).code, 1);
});

t("ping: NET_RAW needed; the pod's own addresses answer, others are lost; -c counts", async () => {
  const denied = await exec(['ping', '127.0.0.1'], host({ caps: new Set() }));
  assert.equal([denied.code, denied.out, denied.err], [1, 'PING 127.0.0.1 (127.0.0.1): 56 data bytes\n', 'ping: permission denied (are you root?)\n']);
  const ok = await exec(['ping', '-c', '2', '-i', '0.01', 'localhost'], host({ caps: new Set(['NET_RAW']) }));
  assert.is(ok.code, 0);
  assert.match(ok.out, /64 bytes from 127\.0\.0\.1: seq=0 ttl=64 time=\d+\.\d{3} ms\n64 bytes from 127\.0\.0\.1: seq=1/);
  assert.match(ok.out, /2 packets transmitted, 2 packets received, 0% packet loss/);
  const lost = await exec(['ping', '-c', '1', '10.200.0.1'], host());
  assert.equal([lost.code, /1 packets transmitted, 0 packets received, 100% packet loss/.test(lost.out)], [1, true]);
  assert.is((await exec(['ping', 'no.such.host'], host())).err, "ping: bad address 'no.such.host'\n");
  const forever = run(['ping', '-i', '0.01', 'sim-pod'], host());
  await waitFor(() => /seq=2/.test(forever.out.toString()), 3000, 'three replies');
  forever.proc.kill('INT');
  assert.is((await forever.done).code, 130);
});

async function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/index.html' }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

t('httpd -vv logs url and response to stderr; httpd-foreground logs startup and Common Log Format lines', async () => {
  const hst = host();
  const bb = run(['httpd', '-f', '-vv', '-p', '8090'], hst);
  await waitFor(() => hst.ports.forwards()['8090'], 3000, 'httpd to listen');
  const fwd = Number(hst.ports.forwards()['8090'].split(':')[1]);
  assert.is((await get(fwd)).status, 200);
  assert.match(bb.err.toString(), /^127\.0\.0\.1:\d+: url:\/index\.html\n127\.0\.0\.1:\d+: response:200\n$/);
  bb.proc.kill('KILL');
  await bb.done;
  const ap = run(['httpd-foreground'], hst);
  await waitFor(() => hst.ports.forwards()['80'], 3000, 'apache to listen');
  const res = await get(Number(hst.ports.forwards()['80'].split(':')[1]));
  assert.equal([res.status, res.body], [200, '<html><body><h1>It works!</h1></body></html>\n']);
  assert.match(ap.err.toString(), /^AH00558: httpd: Could not reliably determine/);
  assert.match(ap.out.toString(), /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/index\.html HTTP\/1\.1" 200 45\n$/);
  ap.proc.kill('TERM');
  assert.is((await ap.done).code, 0);
});

// ---- through the runtime ---------------------------------------------------------------------

async function startCtr(name: string, cmd: string[], over: Record<string, unknown> = {}) {
  const sandboxConfig = podConfig();
  const { podSandboxId } = await h.client.runtime.runPodSandbox({ config: sandboxConfig });
  const { containerId } = await h.client.runtime.createContainer({ podSandboxId, config: ctrConfig(name, cmd, over), sandboxConfig });
  await h.client.runtime.startContainer({ containerId });
  return containerId;
}
const status = async (id: string) => (await h.client.runtime.containerStatus({ containerId: id })).status!;

t('runtime: dd with a buffer over the memory limit is OOM-killed (137, OOMKilled)', async () => {
  const id = await startCtr('oom', ['sh', '-c', 'dd if=/dev/zero of=/dev/null bs=20M'], { linux: { resources: { memoryLimitInBytes: 15n * 1024n * 1024n } } });
  const s = await waitFor(
    async () => {
      const x = await status(id);
      return x.state === ContainerState.CONTAINER_EXITED ? x : undefined;
    },
    5000,
    'the OOM kill',
  );
  assert.equal([s.exitCode, s.reason], [137, 'OOMKilled']);
});

t('runtime: `sh -c top` keeps running; pgrep sees it; capabilities decide ping and brctl', async () => {
  const id = await startCtr('caps', ['sh', '-c', 'top'], { linux: { securityContext: { capabilities: { dropCapabilities: ['NET_RAW'] } } } });
  await new Promise((r) => setTimeout(r, 100));
  assert.is((await status(id)).state, ContainerState.CONTAINER_RUNNING);
  const pg = await h.client.runtime.execSync({ containerId: id, cmd: ['pgrep', 'top'], timeout: 5n });
  assert.match(Buffer.from(pg.stdout).toString(), /^\d+\n$/);
  const ping = await h.client.runtime.execSync({ containerId: id, cmd: ['ping', '127.0.0.1'], timeout: 5n });
  assert.is(ping.exitCode, 1);
  assert.match(Buffer.from(ping.stderr).toString(), /permission denied/);
  const br = await h.client.runtime.execSync({ containerId: id, cmd: ['brctl', 'addbr', 'foobar'], timeout: 5n });
  assert.is(br.exitCode, 1, 'no NET_ADMIN by default');
  const priv = await startCtr('priv', ['sleep', '100'], { linux: { securityContext: { privileged: true } } });
  assert.is((await h.client.runtime.execSync({ containerId: priv, cmd: ['brctl', 'addbr', 'foobar'], timeout: 5n })).exitCode, 0);
});

t(
  "runtime: PID namespaces: POD shows the pause as PID 1 and the pod's containers, CONTAINER its own init, NODE every container; nginx names itself and writes its pid",
  async () => {
    const sandboxConfig = podConfig();
    const { podSandboxId } = await h.client.runtime.runPodSandbox({ config: sandboxConfig });
    const mk = async (name: string, cmd: string[], pid: number, image = 'busybox') => {
      const { containerId } = await h.client.runtime.createContainer({
        podSandboxId,
        sandboxConfig,
        config: ctrConfig(name, cmd, { image: { image }, linux: { securityContext: { namespaceOptions: { pid } } } }),
      });
      await h.client.runtime.startContainer({ containerId });
      return containerId;
    };
    const out = async (id: string, cmd: string[]) => Buffer.from((await h.client.runtime.execSync({ containerId: id, cmd, timeout: 5n })).stdout).toString();
    const a = await mk('pod-a', ['sleep', '1001'], 0);
    const b = await mk('pod-b', ['sleep', '1002'], 0);
    const own = await mk('own', ['sleep', '1003'], 1);
    const web = await mk('web', [], 1, 'nginx');
    assert.is(await out(a, ['cat', '/proc/1/cmdline']), '/pause\0');
    assert.match(await out(a, ['pgrep', '-f', 'sleep 100']), /^\d+\n\d+\n$/, 'both pod-namespace containers');
    assert.is(await out(own, ['cat', '/proc/1/cmdline']), 'sleep\x001003\0');
    assert.is(await out(own, ['pgrep', '-f', 'sleep 100']), '1\n');
    await waitFor(async () => /master process/.test(await out(web, ['cat', '/proc/1/cmdline'])), 3000, 'nginx title');
    assert.is(await out(web, ['cat', '/var/run/nginx.pid']), '1\n');
    const nodeSb = podConfig({ linux: { securityContext: { namespaceOptions: { pid: 2 } } } });
    const nodePod = (await h.client.runtime.runPodSandbox({ config: nodeSb })).podSandboxId;
    const { containerId: hostpid } = await h.client.runtime.createContainer({
      podSandboxId: nodePod,
      sandboxConfig: nodeSb,
      config: ctrConfig('hostpid', ['sleep', '1004'], { linux: { securityContext: { namespaceOptions: { pid: 2 } } } }),
    });
    await h.client.runtime.startContainer({ containerId: hostpid });
    const pids = (await out(hostpid, ['pidof', 'nginx'])).trim();
    assert.match(pids, /^\d+$/);
    assert.is.not(pids, '1', 'node pids are not remapped');
    assert.match(await out(hostpid, ['pgrep', '-f', 'sleep 100[1-4]']), /^(\d+\n){4}$/, 'every container on the runtime');
    void b;
  },
);

t('runtime: setuid-euid (the nonewprivs image) prints 0 unless no_new_privs is set', async () => {
  const hst = host({ user: { uid: 1000, gid: 1000, groups: [], name: '1000', group: '1000' } });
  assert.is((await exec(['setuid-euid'], hst)).out, 'Effective uid: 0\n');
  hst.noNewPrivs = true;
  assert.is((await exec(['setuid-euid'], hst)).out, 'Effective uid: 1000\n');
});

t('timeout: a limit past 2^31-1 ms does not fire at once; 0 means no limit; a short one kills with 124', async () => {
  assert.is((await exec(['timeout', '9999999', 'sleep', '0.2'], host())).code, 0);
  assert.is((await exec(['timeout', '0', 'sleep', '0.2'], host())).code, 0);
  assert.is((await exec(['timeout', '0.1', 'sleep', '5'], host())).code, 124);
});

t.run();
