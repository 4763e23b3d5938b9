// The CRI streaming SDK: triad's client against triad's StreamingServer over both transports,
// with a toy runtime (exec: `cat` echoes stdin, `fail N` exits N, `size` prints the tty size,
// `nope` cannot run; port-forward to a local TCP echo server). Also the SPDY dictionary and the
// server's refusals (unknown token, used token, no common protocol).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type AddressInfo, type Server, connect } from 'node:net';
import { adler32 } from './helpers/adler32.js';
import { SPDY3_DICTIONARY } from '../../interfaces/cri/streaming/dictionary.js';
import {
  openStdio,
  PortForwardSession,
  runStdio,
  StreamingError,
  StreamingServer,
  TRANSPORTS,
  type StreamIo,
  type TermSize,
} from '../../interfaces/cri/streaming/index.js';
import type { ExecRequest } from '../../interfaces/gen/cri/api.js';

const t = suite('CRI streaming SDK');
let server: StreamingServer;
let echo: Server;
let echoPort = 0;
const attached: StreamIo[] = [];

const execReq = (cmd: string[], o: Partial<ExecRequest> = {}): ExecRequest => ({
  containerId: 'c1',
  cmd,
  tty: false,
  stdin: false,
  stdout: true,
  stderr: true,
  ...o,
});

t.before(async () => {
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as AddressInfo).port;
  server = await StreamingServer.start({
    runtime: {
      async exec(req, io) {
        const [cmd, arg] = req.cmd;
        if (cmd === 'nope') throw new Error('exec: "nope": executable file not found in $PATH');
        if (cmd === 'cat') {
          for await (const d of io.stdin!) io.stdout!.write(d as Buffer);
          return 0;
        }
        if (cmd === 'size') {
          const size = await new Promise<TermSize>((r) => io.onResize(r));
          io.stdout!.write(`${size.height} ${size.width}\n`);
          return 0;
        }
        io.stdout?.write('out\n');
        io.stderr?.write('err\n');
        return Number(arg ?? 0);
      },
      async attach(_req, io) {
        attached.push(io);
        io.stdout!.write('attached\n');
        await new Promise((r) => io.signal.addEventListener('abort', r));
      },
      async portForward(_pod, port) {
        if (port !== echoPort) throw new Error(`dial tcp 127.0.0.1:${port}: connect: connection refused`);
        const s = connect(port, '127.0.0.1');
        await new Promise((r, j) => {
          s.once('connect', r);
          s.once('error', j);
        });
        return s;
      },
    },
  });
});

t.after(async () => {
  await server.close();
  echo.close();
});

t('the SPDY/3 dictionary is the one zlib streams name', () => {
  assert.is(SPDY3_DICTIONARY.length, 1423);
  assert.is(adler32(SPDY3_DICTIONARY), 0xe3c6a7c2);
});

for (const transport of TRANSPORTS) {
  t(`${transport}: stdout and stderr apart, exit code carried`, async () => {
    const r = await runStdio(server.getExec(execReq(['fail', '3'])).url, { transport, stdout: true, stderr: true });
    assert.is(r.stdout, 'out\n');
    assert.is(r.stderr, 'err\n');
    assert.equal(r.outcome, { exitCode: 3 });
    const ok = await runStdio(server.getExec(execReq(['fail', '0'])).url, { transport, stdout: true, stderr: true });
    assert.equal(ok.outcome, { exitCode: 0 });
  });

  t(`${transport}: stdin echoed back, also large`, async () => {
    const big = 'x'.repeat(300_000) + '\n';
    const r = await runStdio(server.getExec(execReq(['cat'], { stdin: true, stderr: false })).url, { transport, stdout: true, input: big });
    assert.is(r.stdout.length, big.length);
    assert.equal(r.outcome, { exitCode: 0 });
  });

  t(`${transport}: tty size from resize`, async () => {
    const r = await runStdio(server.getExec(execReq(['size'], { tty: true, stderr: false })).url, {
      transport,
      stdout: true,
      tty: true,
      size: { width: 100, height: 40 },
    });
    assert.is(r.stdout, '40 100\n');
  });

  t(`${transport}: a command that cannot run fails with the runtime's message`, async () => {
    const r = await runStdio(server.getExec(execReq(['nope'])).url, { transport, stdout: true, stderr: true });
    assert.ok('error' in r.outcome && r.outcome.error.includes('executable file not found'), JSON.stringify(r.outcome));
  });

  t(`${transport}: a URL is used once`, async () => {
    const { url } = server.getExec(execReq(['fail', '0']));
    await runStdio(url, { transport, stdout: true, stderr: true });
    try {
      await runStdio(url, { transport, stdout: true, stderr: true });
      assert.unreachable('second use accepted');
    } catch (e) {
      assert.instance(e, StreamingError);
      assert.is((e as StreamingError).httpStatus, 404);
    }
  });

  t(`${transport}: attach until the client leaves`, async () => {
    const s = await openStdio(server.getAttach({ containerId: 'c1', stdin: false, tty: false, stdout: true, stderr: true }).url, {
      transport,
      stdout: true,
      stderr: true,
    });
    const first = await new Promise<string>((r) => s.stdout!.once('data', (d: Buffer) => r(d.toString())));
    assert.is(first, 'attached\n');
    const io = attached.at(-1)!;
    s.close();
    await new Promise((r) => (io.signal.aborted ? r(undefined) : io.signal.addEventListener('abort', r)));
  });

  t(`${transport}: port-forward, two connections at once, and a refused port`, async () => {
    const pf = await PortForwardSession.open(server.getPortForward({ podSandboxId: 'p1', port: [echoPort] }).url, { transport });
    try {
      const [a, b] = await Promise.all([pf.dial(echoPort), pf.dial(echoPort)]);
      const roundTrip = (s: typeof a, text: string) =>
        new Promise<string>((r) => {
          s.once('data', (d: Buffer) => r(d.toString()));
          s.write(text);
        });
      assert.equal(await Promise.all([roundTrip(a, 'one'), roundTrip(b, 'two')]), ['one', 'two']);
      a.end();
      b.end();
      const refused = await pf.dial(1);
      const err = await new Promise<Error>((r) => {
        refused.on('error', r);
        refused.resume();
      });
      assert.match(err.message, /connection refused/);
      // And through a local listener, as kubectl port-forward does.
      const local = await pf.listen(0, echoPort);
      const c = connect((local.address() as AddressInfo).port, '127.0.0.1');
      const got = await new Promise<string>((r) => {
        c.once('data', (d: Buffer) => r(d.toString()));
        c.write('via listener');
      });
      assert.is(got, 'via listener');
      c.destroy();
      local.close();
    } finally {
      pf.close();
    }
  });
}

t('older SPDY versions: v3 (resize, plain-text error channel) and v2 (no resize stream)', async () => {
  for (const v of ['v3.channel.k8s.io', 'v2.channel.k8s.io']) {
    const r = await runStdio(server.getExec(execReq(['fail', '3'])).url, { protocols: [v], stdout: true, stderr: true });
    assert.is(r.protocol, v);
    assert.equal([r.stdout, r.stderr], ['out\n', 'err\n']);
    assert.ok('error' in r.outcome && /exit code 3/.test(r.outcome.error), JSON.stringify(r.outcome));
    const ok = await runStdio(server.getExec(execReq(['fail', '0'])).url, { protocols: [v], stdout: true, stderr: true });
    assert.equal(ok.outcome, { exitCode: 0 });
  }
  const sized = await runStdio(server.getExec(execReq(['size'], { tty: true, stderr: false })).url, {
    protocols: ['v3.channel.k8s.io'],
    stdout: true,
    tty: true,
    size: { width: 90, height: 20 },
  });
  assert.is(sized.stdout, '20 90\n');
});

t('WebSocket v4: channels and exit code as v5 (only the stdin close signal is missing)', async () => {
  const r = await runStdio(server.getExec(execReq(['fail', '4'])).url, {
    transport: 'websocket',
    protocols: ['v4.channel.k8s.io'],
    stdout: true,
    stderr: true,
  });
  assert.equal([r.protocol, r.stdout, r.stderr, r.outcome], ['v4.channel.k8s.io', 'out\n', 'err\n', { exitCode: 4 }]);
});

t('no common protocol: SPDY 403, WebSocket 400', async () => {
  for (const [transport, code] of [
    ['spdy', 403],
    ['websocket', 400],
  ] as const) {
    try {
      await openStdio(server.getExec(execReq(['x'])).url, { transport, protocols: ['v9.channel.k8s.io'], stdout: true });
      assert.unreachable('accepted');
    } catch (e) {
      assert.is((e as StreamingError).httpStatus, code, String(e));
    }
  }
});

t('a server offering only SPDY refuses WebSocket', async () => {
  const spdyOnly = await StreamingServer.start({
    transports: ['spdy'],
    runtime: {
      exec: async () => 0,
      attach: async () => undefined,
      portForward: async () => {
        throw new Error('x');
      },
    },
  });
  try {
    await openStdio(spdyOnly.getExec(execReq(['x'])).url, { transport: 'websocket', stdout: true });
    assert.unreachable('accepted');
  } catch (e) {
    assert.is((e as StreamingError).httpStatus, 400);
  } finally {
    await spdyOnly.close();
  }
});

t.run();
