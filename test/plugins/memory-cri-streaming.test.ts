// memory-cri's streaming server, through the URLs Exec/Attach/PortForward answer, with triad's
// client on both transports: exec (stdout/stderr apart, exit code, stdin, tty size and an
// interactive shell with line editing and ^C), a missing command, attach (output, input, the log
// keeps it), port-forward to nginx, and a URL of a removed container.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { ContainerState } from '../../interfaces/gen/cri/api.js';
import { openStdio, PortForwardSession, runStdio, TRANSPORTS, type StdioSession } from '../../interfaces/cri/streaming/index.js';
import { ctrConfig, podConfig, startTestRuntime, waitFor, type TestRuntime } from '../../plugins/memory-cri/testing.js';

const t = suite('memory-cri: streaming server');
let h: TestRuntime;
let sb: string;
const sbCfg = podConfig();
let n = 0;

async function run(command: string[], over: Parameters<typeof ctrConfig>[2] = {}, image = 'busybox'): Promise<string> {
  const { containerId } = await h.client.runtime.createContainer({
    podSandboxId: sb,
    config: { ...ctrConfig(`s${++n}`, command, over), image: { image } },
    sandboxConfig: sbCfg,
  });
  await h.client.runtime.startContainer({ containerId });
  return containerId;
}

const execUrl = async (containerId: string, cmd: string[], o: { stdin?: boolean; tty?: boolean } = {}) =>
  (await h.client.runtime.exec({ containerId, cmd, stdin: !!o.stdin, stdout: true, stderr: !o.tty, tty: !!o.tty })).url;

/** Read a session's stdout until it contains text. */
function until(s: StdioSession, text: string | RegExp, timeoutMs = 5000): Promise<string> {
  let acc = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${text} in ${JSON.stringify(acc)}`)), timeoutMs);
    const on = (d: Buffer) => {
      acc += d;
      if (typeof text === 'string' ? acc.includes(text) : text.test(acc)) {
        clearTimeout(timer);
        s.stdout!.off('data', on);
        resolve(acc);
      }
    };
    s.stdout!.on('data', on);
  });
}

t.before(async () => {
  h = await startTestRuntime({ preloadedImages: ['busybox', 'nginx'] });
  sb = (await h.client.runtime.runPodSandbox({ config: { ...sbCfg, logDirectory: h.dir } })).podSandboxId;
});
t.after(() => h.close());

for (const transport of TRANSPORTS) {
  t(`${transport}: exec keeps stdout and stderr apart and carries the exit code`, async () => {
    const id = await run(['sleep', '3600']);
    const r = await runStdio(await execUrl(id, ['sh', '-c', 'echo out; echo err >&2; exit 7']), { transport, stdout: true, stderr: true });
    assert.equal([r.stdout, r.stderr, r.outcome], ['out\n', 'err\n', { exitCode: 7 }]);
  });

  t(`${transport}: exec echoes stdin back as it arrives`, async () => {
    const id = await run(['sleep', '3600']);
    const s = await openStdio(await execUrl(id, ['cat'], { stdin: true }), { transport, stdin: true, stdout: true, stderr: true });
    s.stdin!.write('first\n');
    await until(s, 'first\n');
    s.stdin!.end('second\n');
    assert.equal(await s.done, { exitCode: 0 });
  });

  t(`${transport}: exec with a tty: size from resize, an interactive shell, ^C, exit code`, async () => {
    const id = await run(['sleep', '3600']);
    const s = await openStdio(await execUrl(id, ['sh'], { stdin: true, tty: true }), { transport, stdin: true, stdout: true, tty: true });
    s.resize({ width: 132, height: 43 });
    await until(s, '/ # ');
    s.stdin!.write('stty size\r');
    assert.match(await until(s, '43 132'), 'stty size\r\n43 132\r\n');
    s.stdin!.write('cd /tmp; X=kept\r');
    await until(s, '/tmp # ');
    s.stdin!.write('echo $X in $(pwd)xx\x7f\x7f\r');
    await until(s, 'kept in /tmp\r\n');
    s.stdin!.write('sleep 100\r');
    await new Promise((r) => setTimeout(r, 100));
    s.stdin!.write('\x03');
    await until(s, '^C');
    s.stdin!.write('echo status $?\r');
    await until(s, 'status 130');
    s.stdin!.write('exit 3\r');
    assert.equal(await s.done, { exitCode: 3 });
  });

  t(`${transport}: exec with a tty: ^C interrupts a program that is not a shell`, async () => {
    const id = await run(['sleep', '3600']);
    const s = await openStdio(await execUrl(id, ['cat'], { stdin: true, tty: true }), { transport, stdin: true, stdout: true, tty: true });
    s.stdin!.write('abc\r');
    await until(s, 'abc\r\nabc\r\n');
    s.stdin!.write('\x03');
    assert.equal(await s.done, { exitCode: 130 });
  });

  t(`${transport}: exec of a command that does not exist fails with runc's message`, async () => {
    const id = await run(['sleep', '3600']);
    const r = await runStdio(await execUrl(id, ['/no/such/program']), { transport, stdout: true, stderr: true });
    assert.ok('error' in r.outcome && /no such file or directory|not found/.test(r.outcome.error), JSON.stringify(r.outcome));
  });

  t(`${transport}: attach sees the container's output and feeds its stdin; the log keeps it`, async () => {
    const id = await run(['sh', '-c', 'while read l; do echo "got $l"; done'], { stdin: true });
    const { url } = await h.client.runtime.attach({ containerId: id, stdin: true, stdout: true, stderr: true });
    const s = await openStdio(url, { transport, stdin: true, stdout: true, stderr: true });
    s.stdin!.write('ping\n');
    await until(s, 'got ping\n');
    s.stdin!.end();
    await s.done;
    const st = await waitFor(async () => {
      const x = (await h.client.runtime.containerStatus({ containerId: id })).status!;
      return x.state === ContainerState.CONTAINER_EXITED ? x : undefined;
    });
    assert.match(readFileSync(st.logPath, 'utf8'), / stdout F got ping\n/);
  });

  t(`${transport}: port-forward reaches nginx in the pod`, async () => {
    const id = await run([], {}, 'nginx');
    await waitFor(async () => JSON.parse((await h.client.runtime.podSandboxStatus({ podSandboxId: sb, verbose: true })).info.info).portForwards?.['80']);
    const pf = await PortForwardSession.open((await h.client.runtime.portForward({ podSandboxId: sb, port: [80] })).url, { transport });
    try {
      const sock = await pf.dial(80);
      const body = await new Promise<string>((resolve) => {
        let acc = '';
        sock.on('data', (d: Buffer) => {
          acc += d;
        });
        sock.on('end', () => resolve(acc));
        sock.write('GET / HTTP/1.0\r\nHost: pod\r\n\r\n');
      });
      assert.match(body, /^HTTP\/1\.[01] 200/);
      assert.match(body, /\r\n\r\nok\n$/);
    } finally {
      pf.close();
      await h.client.runtime.removeContainer({ containerId: id });
    }
  });

  t(`${transport}: the URL of a removed container is unusable`, async () => {
    const id = await run(['sleep', '3600']);
    const url = await execUrl(id, ['true']);
    await h.client.runtime.removeContainer({ containerId: id });
    const r = await runStdio(url, { transport, stdout: true, stderr: true });
    assert.ok('error' in r.outcome && /not found/.test(r.outcome.error), JSON.stringify(r.outcome));
  });
}

t.run();
