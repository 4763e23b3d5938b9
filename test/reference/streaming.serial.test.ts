// triad's streaming client against containerd 1.6's streaming server (Go's spdystream and
// kubelet's remotecommand/portforward code): exec with stdout/stderr apart and the exit code,
// stdin, tty size, attach, port-forward to busybox httpd in the pod; WebSocket v5 is refused.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PodSandboxConfig } from '../../interfaces/gen/cri/api.js';
import { openStdio, PortForwardSession, runStdio, StreamingError } from '../../interfaces/cri/streaming/index.js';
import { testOrSkip, useStack } from './stack.js';

const t = suite('reference stack: CRI streaming against containerd');
const h = await useStack();
const it = testOrSkip(t, h);
const client = h.client!;
const s = h.stack!;
let podId = '';
let config: PodSandboxConfig;
let sleeper = '';
let talker = '';

it('a pod with a sleeping, a talking and a web container', async () => {
  const uid = randomUUID();
  const logDir = join(s.stateDir, 'pods', `streaming-${uid}`);
  mkdirSync(logDir, { recursive: true });
  config = {
    metadata: { name: 'streaming', uid, namespace: 'triad-test', attempt: 0 },
    hostname: 'streaming',
    logDirectory: logDir,
    linux: {},
  } as PodSandboxConfig;
  await client.image.pullImage({ image: { image: s.images!.busybox } });
  podId = (await client.runtime.runPodSandbox({ config })).podSandboxId;
  const start = async (name: string, command: string[], extra: Record<string, unknown> = {}) => {
    const { containerId } = await client.runtime.createContainer({
      podSandboxId: podId,
      config: { metadata: { name, attempt: 0 }, image: { image: s.images!.busybox }, command, logPath: `${name}.log`, linux: {}, ...extra },
      sandboxConfig: config,
    });
    await client.runtime.startContainer({ containerId });
    return containerId;
  };
  sleeper = await start('sleeper', ['sleep', '3600']);
  talker = await start('talker', ['sh', '-c', 'while read l; do echo "got $l"; done'], { stdin: true });
  await start('web', ['sh', '-c', 'mkdir -p /www && echo hello-from-pod > /www/index.html && httpd -f -p 8080 -h /www']);
});

const exec = async (cmd: string[], o: { stdin?: boolean; tty?: boolean; stderr?: boolean } = {}) =>
  (await client.runtime.exec({ containerId: sleeper, cmd, tty: !!o.tty, stdin: !!o.stdin, stdout: true, stderr: o.stderr ?? !o.tty })).url;

it('SPDY exec: stdout and stderr apart, exit code carried', async () => {
  const r = await runStdio(await exec(['sh', '-c', 'echo out; echo err >&2; exit 7']), { stdout: true, stderr: true });
  assert.is(r.protocol, 'v4.channel.k8s.io');
  assert.is(r.stdout, 'out\n');
  assert.is(r.stderr, 'err\n');
  assert.equal(r.outcome, { exitCode: 7 });
  const ok = await runStdio(await exec(['true']), { stdout: true, stderr: true });
  assert.equal(ok.outcome, { exitCode: 0 });
});

it('SPDY exec: stdin echoed back (64 KiB)', async () => {
  const input = `${'0123456789abcdef'.repeat(4096)}\n`;
  const r = await runStdio(await exec(['cat'], { stdin: true }), { stdout: true, stderr: true, input });
  assert.is(r.stdout, input);
  assert.equal(r.outcome, { exitCode: 0 });
});

it('SPDY exec: a tty reports the size sent on the resize stream', async () => {
  const r = await runStdio(await exec(['sh', '-c', 'sleep 1; stty size'], { tty: true }), { stdout: true, tty: true, size: { width: 123, height: 45 } });
  assert.is(r.stdout.trim(), '45 123');
});

it('SPDY exec: a command that does not exist fails', async () => {
  const r = await runStdio(await exec(['/no/such/cmd']), { stdout: true, stderr: true });
  console.log(`(containerd, missing command: ${JSON.stringify(r.outcome)})`);
  assert.ok(!('exitCode' in r.outcome && r.outcome.exitCode === 0), JSON.stringify(r));
});

it('SPDY attach: input reaches the container, its output comes back', async () => {
  const { url } = await client.runtime.attach({ containerId: talker, stdin: true, tty: false, stdout: true, stderr: true });
  const a = await openStdio(url, { stdin: true, stdout: true, stderr: true });
  const got = new Promise<string>((r) => {
    let acc = '';
    a.stdout!.on('data', (d: Buffer) => {
      acc += d;
      if (acc.includes('got ping')) r(acc);
    });
  });
  a.stdin!.write('ping\n');
  assert.match(await got, 'got ping');
  a.close();
});

it('SPDY port-forward: an HTTP request to httpd in the pod', async () => {
  const { url } = await client.runtime.portForward({ podSandboxId: podId, port: [8080] });
  const pf = await PortForwardSession.open(url);
  try {
    let body = '';
    for (let i = 0; i < 50 && !body.includes('hello-from-pod'); i++) {
      const sock = await pf.dial(8080);
      body = await new Promise<string>((resolve) => {
        let acc = '';
        sock.on('data', (d: Buffer) => {
          acc += d;
        });
        sock.on('error', () => resolve(acc));
        sock.on('end', () => resolve(acc));
        sock.write('GET /index.html HTTP/1.0\r\nHost: pod\r\n\r\n');
      });
      if (!body.includes('hello-from-pod')) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(body, /^HTTP\/1\.[01] 200/);
    assert.match(body, 'hello-from-pod');
  } finally {
    pf.close();
  }
});

it('WebSocket v5 exec: containerd 1.6 does not offer it', async () => {
  try {
    const r = await runStdio(await exec(['true']), { transport: 'websocket', stdout: true, stderr: true, protocols: ['v5.channel.k8s.io'] });
    console.log(`(containerd answered WebSocket v5: ${JSON.stringify(r)})`);
    assert.unreachable('WebSocket v5 accepted');
  } catch (e) {
    assert.instance(e, StreamingError, String(e));
  }
});

t.after(async () => {
  if (podId) {
    await client.runtime.stopPodSandbox({ podSandboxId: podId }).catch(() => undefined);
    await client.runtime.removePodSandbox({ podSandboxId: podId }).catch(() => undefined);
  }
  await h.release();
});

t.run();
