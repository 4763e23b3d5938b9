// CRI streaming end to end: the sessions behind the URLs Exec, Attach and PortForward answer, on
// every transport (SPDY/3.1 as kubelet and crictl use it; WebSocket v5.channel.k8s.io (v4 cannot
// signal the end of stdin, so it is not offered here) and the
// SPDY-in-WebSocket port-forward tunnel as kubectl ≥ 1.31 and crictl ≥ 1.30 can). Each case runs
// once per transport; a streaming server that refuses the WebSocket upgrade makes the WebSocket
// cases not applicable with its answer (containerd 1.6 offers SPDY only), while a refused SPDY
// upgrade is a failure: every kubelet uses it.
import type { Duplex } from 'node:stream';
import {
  openStdio,
  PortForwardSession,
  STREAM_V5,
  StreamingError,
  TRANSPORTS,
  type Collected,
  type Outcome,
  type StdioOptions,
  type StdioSession,
  type Transport,
} from '../../interfaces/cri/streaming/index.js';
import { expectEqual, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { CriKit, rpcCap, sleep, type CriEnv, type Pod } from './kit.js';

const c = defineCases(CriKit, 'cri.Streaming');

export const STREAMING_RULES = {
  transport: 'cri.streaming.transport.upgrade',
  stdioApart: 'cri.streaming.exec.stdio-apart',
  exitCode: 'cri.streaming.exec.exit-code',
  stdin: 'cri.streaming.exec.stdin',
  tty: 'cri.streaming.exec.tty',
  resize: 'cri.streaming.exec.resize',
  missing: 'cri.streaming.exec.missing-command',
  attachOut: 'cri.streaming.attach.output',
  attachIn: 'cri.streaming.attach.stdin',
  portForward: 'cri.streaming.port-forward.data',
  concurrent: 'cri.streaming.sessions.concurrent',
  afterRemove: 'cri.streaming.url.after-remove',
} as const;
const R = STREAMING_RULES;

const WS_ABSENT = (e: unknown) => e instanceof StreamingError && e.httpStatus !== undefined && e.httpStatus >= 400 && e.httpStatus < 500;

/** Open a session; a WebSocket upgrade refused with 4xx makes the case not applicable, any other refusal fails. */
async function open(k: CriKit, transport: Transport, url: string, opts: StdioOptions, call: unknown): Promise<StdioSession> {
  try {
    return await openStdio(url, { ...opts, transport, protocols: protocolsFor(transport), timeoutMs: 15_000 });
  } catch (e) {
    if (transport === 'websocket' && WS_ABSENT(e)) k.ctx.notApplicable(`the streaming server does not offer WebSocket ${STREAM_V5}: ${(e as Error).message}`);
    fail(`the ${transport} session at the ${rpcOf(url)} URL could not be opened: ${(e as Error).message}`, {
      rule: R.transport,
      call,
      actual: (e as Error).message,
    });
  }
}

async function openPf(k: CriKit, transport: Transport, url: string, call: unknown): Promise<PortForwardSession> {
  try {
    return await PortForwardSession.open(url, { transport, timeoutMs: 15_000 });
  } catch (e) {
    if (transport === 'websocket' && WS_ABSENT(e))
      k.ctx.notApplicable(`the streaming server does not offer port-forward over WebSocket (SPDY/3.1+portforward.k8s.io): ${(e as Error).message}`);
    fail(`the ${transport} port-forward session could not be opened: ${(e as Error).message}`, { rule: R.transport, call, actual: (e as Error).message });
  }
}

const protocolsFor = (t: Transport) => (t === 'websocket' ? [STREAM_V5] : undefined);

const rpcOf = (url: string) => /\/(exec|attach|portforward)\//.exec(url)?.[1] ?? 'streaming';

/** Run a session to its end within ms: write input (then close stdin), collect output. */
async function collect(s: StdioSession, input: string | undefined, ms: number, what: string, rule: string, call: unknown): Promise<Collected> {
  const out: Buffer[] = [],
    err: Buffer[] = [];
  s.stdout?.on('data', (d: Buffer) => out.push(d));
  s.stderr?.on('data', (d: Buffer) => err.push(d));
  if (s.stdin) s.stdin.end(input ?? '');
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    s.done,
    new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), ms);
    }),
  ]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    s.close();
    fail(`${what}: the session did not end within ${ms} ms (stdout so far ${JSON.stringify(Buffer.concat(out).toString())})`, { rule, call });
  }
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), outcome, protocol: s.protocol };
}

/** Read a session's stdout until pred holds, or fail after ms. */
function readUntil(s: StdioSession, pred: (acc: string) => boolean, ms: number, what: string, rule: string, call: unknown): Promise<string> {
  let acc = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      s.stdout!.off('data', on);
      try {
        fail(`${what}: not seen within ${ms} ms; stdout was ${JSON.stringify(acc)}`, { rule, call, actual: acc });
      } catch (e) {
        reject(e);
      }
    }, ms);
    const on = (d: Buffer) => {
      acc += d;
      if (pred(acc)) {
        clearTimeout(timer);
        s.stdout!.off('data', on);
        resolve(acc);
      }
    };
    s.stdout!.on('data', on);
  });
}

const exitOf = (o: Outcome) => ('exitCode' in o ? o.exitCode : undefined);

interface ExecOpts {
  stdin?: boolean;
  tty?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

async function execUrl(k: CriKit, containerId: string, cmd: string[], o: ExecOpts = {}): Promise<{ url: string; call: unknown; req: Required<ExecOpts> }> {
  const req = { stdin: !!o.stdin, stdout: o.stdout ?? true, stderr: o.stderr ?? !o.tty, tty: !!o.tty };
  const p = k.runtime.exec({ containerId, cmd, ...req });
  const res = await k.optional(p, 'Exec');
  return { url: res.url, call: p, req };
}

async function execSession(k: CriKit, transport: Transport, containerId: string, cmd: string[], o: ExecOpts = {}) {
  const { url, call, req } = await execUrl(k, containerId, cmd, o);
  return { s: await open(k, transport, url, req, call), call };
}

/** A sleeping container in a new sandbox. */
async function sleeper(k: CriKit): Promise<{ pod: Pod; id: string }> {
  const pod = await k.sandbox();
  return { pod, id: await k.sleeper(pod) };
}

function perTransport(make: (t: Transport) => CaseDef<CriEnv>): CaseDef<CriEnv>[] {
  return TRANSPORTS.map(make);
}

const EXEC = [rpcCap('Exec')];

export const streamingCases: CaseDef<CriEnv>[] = [
  ...perTransport((t) =>
    c({
      id: `cri.streaming.${t}.exec.stdio-apart`,
      name: `Exec over ${t}: stdout and stderr arrive on their own channels`,
      rpc: 'Exec',
      needs: EXEC,
      rules: [R.transport, R.stdioApart],
      async run(k) {
        const { id } = await sleeper(k);
        const { s, call } = await execSession(k, t, id, ['sh', '-c', 'echo to-out; echo to-err >&2']);
        const r = await collect(s, undefined, 15_000, 'exec of echo to stdout and stderr', R.stdioApart, call);
        expectEqual(r.stdout, 'to-out\n', { rule: R.stdioApart, what: 'stdout channel', call });
        expectEqual(r.stderr, 'to-err\n', { rule: R.stdioApart, what: 'stderr channel', call });
      },
    }),
  ),
  ...perTransport((t) =>
    c({
      id: `cri.streaming.${t}.exec.exit-code`,
      name: `Exec over ${t}: the exit code comes back on the error channel`,
      rpc: 'Exec',
      needs: EXEC,
      rules: [R.transport, R.exitCode],
      async run(k) {
        const { id } = await sleeper(k);
        const seven = await execSession(k, t, id, ['sh', '-c', 'echo partial; exit 7']);
        const r7 = await collect(seven.s, undefined, 15_000, 'exec of exit 7', R.exitCode, seven.call);
        expectEqual(exitOf(r7.outcome), 7, { rule: R.exitCode, what: 'exit code of `exit 7` (error channel)', call: seven.call });
        const zero = await execSession(k, t, id, ['true']);
        const r0 = await collect(zero.s, undefined, 15_000, 'exec of true', R.exitCode, zero.call);
        expectEqual(exitOf(r0.outcome), 0, { rule: R.exitCode, what: 'exit code of `true` (error channel)', call: zero.call });
      },
    }),
  ),
  ...perTransport((t) =>
    c({
      id: `cri.streaming.${t}.exec.stdin`,
      name: `Exec over ${t}: stdin reaches the command (cat echoes it back)`,
      rpc: 'Exec',
      needs: EXEC,
      rules: [R.transport, R.stdin],
      async run(k) {
        const { id } = await sleeper(k);
        const { s, call } = await execSession(k, t, id, ['cat'], { stdin: true });
        const input = `triad-stdin-${k.env.runId}\n${'0123456789'.repeat(2000)}\n`;
        const r = await collect(s, input, 15_000, 'exec of cat with stdin', R.stdin, call);
        expectTrue(
          r.stdout === input,
          `cat echoed ${r.stdout.length} of ${input.length} bytes sent on stdin (starts ${JSON.stringify(r.stdout.slice(0, 40))})`,
          { rule: R.stdin, call, expected: `${input.length} bytes`, actual: `${r.stdout.length} bytes` },
        );
        expectEqual(exitOf(r.outcome), 0, { rule: R.stdin, what: 'exit code of cat after stdin closed', call });
      },
    }),
  ),
  ...perTransport((t) =>
    c({
      id: `cri.streaming.${t}.exec.tty`,
      name: `Exec over ${t}: tty on runs the command on a terminal, tty off does not`,
      rpc: 'Exec',
      needs: EXEC,
      rules: [R.transport, R.tty],
      async run(k) {
        const { id } = await sleeper(k);
        const on = await execSession(k, t, id, ['tty'], { tty: true });
        const rOn = await collect(on.s, undefined, 15_000, 'exec of tty with tty', R.tty, on.call);
        expectTrue(/^\/dev\/(pts\/\d+|console|tty\w*)\s*$/.test(rOn.stdout), `with tty, \`tty\` printed ${JSON.stringify(rOn.stdout)}`, {
          rule: R.tty,
          call: on.call,
          expected: '/dev/pts/N',
          actual: rOn.stdout,
        });
        const off = await execSession(k, t, id, ['tty'], { stdin: true });
        const rOff = await collect(off.s, undefined, 15_000, 'exec of tty without tty', R.tty, off.call);
        expectTrue(/not a tty/.test(rOff.stdout), `without tty, \`tty\` printed ${JSON.stringify(rOff.stdout)}`, {
          rule: R.tty,
          call: off.call,
          expected: 'not a tty',
          actual: rOff.stdout,
        });
      },
    }),
  ),
  ...perTransport((t) =>
    c({
      id: `cri.streaming.${t}.exec.resize`,
      name: `Exec over ${t}: the terminal has the size sent on the resize channel`,
      rpc: 'Exec',
      needs: EXEC,
      rules: [R.transport, R.resize],
      async run(k) {
        const { id } = await sleeper(k);
        const { s, call } = await execSession(k, t, id, ['sh', '-c', 'sleep 1; stty size'], { tty: true });
        s.resize({ width: 123, height: 45 });
        const r = await collect(s, undefined, 15_000, 'exec of stty size after a resize', R.resize, call);
        expectEqual(r.stdout.trim(), '45 123', { rule: R.resize, what: 'stty size (rows cols) after resize to 123×45', call });
      },
    }),
  ),
  ...perTransport((t) =>
    c({
      id: `cri.streaming.${t}.exec.missing-command`,
      name: `Exec over ${t}: a command that does not exist does not succeed`,
      rpc: 'Exec',
      needs: EXEC,
      rules: [R.transport, R.missing],
      async run(k) {
        const { id } = await sleeper(k);
        const { s, call } = await execSession(k, t, id, [`/triad-no-such-program-${k.env.runId}`]);
        const r = await collect(s, undefined, 15_000, 'exec of a missing program', R.missing, call);
        expectTrue(exitOf(r.outcome) !== 0, `exec of a missing program ended with ${JSON.stringify(r.outcome)}`, {
          rule: R.missing,
          call,
          expected: 'an error or a non-zero exit code',
          actual: r.outcome,
        });
      },
    }),
  ),
  ...perTransport((t) =>
    c({
      id: `cri.streaming.${t}.attach.output`,
      name: `Attach over ${t}: the session sees what the running container writes`,
      rpc: 'Attach',
      needs: [rpcCap('Attach')],
      rules: [R.transport, R.attachOut],
      async run(k) {
        const pod = await k.sandbox();
        const id = await k.run(pod, 'ticker', ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done']);
        const p = k.runtime.attach({ containerId: id, stdin: false, tty: false, stdout: true, stderr: true });
        const { url } = await k.optional(p, 'Attach');
        const s = await open(k, t, url, { stdout: true, stderr: true }, p);
        try {
          await readUntil(s, (acc) => /tick \d+\n[^]*tick \d+\n/.test(acc), 10_000, 'two "tick N" lines the container prints every 0.2 s', R.attachOut, p);
        } finally {
          s.close();
        }
      },
    }),
  ),
  ...perTransport((t) =>
    c({
      id: `cri.streaming.${t}.attach.stdin`,
      name: `Attach over ${t}: input reaches a container created with stdin, its answer comes back`,
      rpc: 'Attach',
      needs: [rpcCap('Attach')],
      // A container created with stdin is the interactive kind ContainerConfig.stdin describes.
      rules: [R.transport, R.attachIn, 'cri.container-config.interactive'],
      async run(k) {
        const pod = await k.sandbox();
        const id = await k.run(pod, 'reader', ['sh', '-c', 'while read l; do echo "got $l"; done'], { stdin: true });
        const p = k.runtime.attach({ containerId: id, stdin: true, tty: false, stdout: true, stderr: true });
        const { url } = await k.optional(p, 'Attach');
        const s = await open(k, t, url, { stdin: true, stdout: true, stderr: true }, p);
        try {
          const word = `ping-${k.env.runId}`;
          // The container may still be starting its loop: repeat the line until it answers.
          const seen = readUntil(s, (acc) => acc.includes(`got ${word}`), 10_000, `"got ${word}" after writing ${word} to the attached stdin`, R.attachIn, p);
          const timer = setInterval(() => s.stdin!.write(`${word}\n`), 500);
          s.stdin!.write(`${word}\n`);
          try {
            await seen;
          } finally {
            clearInterval(timer);
          }
        } finally {
          s.close();
        }
      },
    }),
  ),
  ...perTransport((t) =>
    c({
      id: `cri.streaming.${t}.port-forward.http`,
      name: `PortForward over ${t}: an HTTP request reaches the web server on the port asked for`,
      rpc: 'PortForward',
      needs: [rpcCap('PortForward')],
      rules: [R.transport, R.portForward],
      async run(k) {
        const pod = await k.sandbox();
        const serve = (port: number, body: string) =>
          k.run(pod, `web-${port}`, [
            'sh',
            '-c',
            `mkdir -p /tmp/www-${port} && echo ${body} > /tmp/www-${port}/index.html && exec httpd -f -p ${port} -h /tmp/www-${port}`,
          ]);
        await serve(8080, 'triad-port-8080');
        await serve(8081, 'triad-port-8081');
        const p = k.runtime.portForward({ podSandboxId: pod.id, port: [8080] });
        const { url } = await k.optional(p, 'PortForward');
        const pf = await openPf(k, t, url, p);
        try {
          let body = '',
            last = '';
          for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
            try {
              body = await httpOver(await pf.dial(8080), '/index.html');
              if (/^HTTP\/1\.[01] 200/.test(body)) break;
            } catch (e) {
              last = (e as Error).message;
            }
            await sleep(200);
          }
          expectTrue(/^HTTP\/1\.[01] 200/.test(body), `GET /index.html through port-forward to 8080 answered ${JSON.stringify(body.slice(0, 200) || last)}`, {
            rule: R.portForward,
            call: p,
            expected: 'HTTP 200',
            actual: body.slice(0, 200) || last,
          });
          expectTrue(
            body.includes('triad-port-8080'),
            `the answer through port 8080 is not the page of the server on 8080: ${JSON.stringify(body.slice(-80))}`,
            { rule: R.portForward, call: p, expected: 'triad-port-8080', actual: body.slice(-80) },
          );
        } finally {
          pf.close();
        }
      },
    }),
  ),
  ...perTransport((t) =>
    c({
      id: `cri.streaming.${t}.sessions.concurrent`,
      name: `Exec over ${t}: two sessions at once each get their own input and output`,
      rpc: 'Exec',
      needs: EXEC,
      rules: [R.transport, R.concurrent],
      async run(k) {
        const { id } = await sleeper(k);
        const a = await execSession(k, t, id, ['cat'], { stdin: true });
        const b = await execSession(k, t, id, ['cat'], { stdin: true });
        const seenA = readUntil(a.s, (x) => x.includes('first-session'), 10_000, 'session A echoing its own input', R.concurrent, a.call);
        const seenB = readUntil(b.s, (x) => x.includes('second-session'), 10_000, 'session B echoing its own input', R.concurrent, b.call);
        a.s.stdin!.write('first-session\n');
        b.s.stdin!.write('second-session\n');
        const [outA, outB] = await Promise.all([seenA, seenB]);
        expectTrue(!outA.includes('second') && !outB.includes('first'), `sessions mixed: A saw ${JSON.stringify(outA)}, B saw ${JSON.stringify(outB)}`, {
          rule: R.concurrent,
          call: a.call,
        });
        const [ra, rb] = await Promise.all([
          collect(a.s, '', 10_000, 'session A after stdin closed', R.concurrent, a.call),
          collect(b.s, '', 10_000, 'session B after stdin closed', R.concurrent, b.call),
        ]);
        expectEqual([exitOf(ra.outcome), exitOf(rb.outcome)], [0, 0], { rule: R.concurrent, what: 'exit codes of both sessions', call: a.call });
      },
    }),
  ),
  ...perTransport((t) =>
    c({
      id: `cri.streaming.${t}.url.after-remove`,
      name: `Exec over ${t}: the URL of a container removed since does not run the command`,
      rpc: 'Exec',
      needs: EXEC,
      rules: [R.transport, R.afterRemove],
      async run(k) {
        const { id } = await sleeper(k);
        const { url, call, req } = await execUrl(k, id, ['echo', `ran-after-remove-${k.env.runId}`]);
        await k.runtime.stopContainer({ containerId: id, timeout: 0n });
        await k.runtime.removeContainer({ containerId: id });
        let s: StdioSession;
        try {
          s = await openStdio(url, { ...req, transport: t, protocols: protocolsFor(t), timeoutMs: 15_000 });
        } catch (e) {
          if (t === 'websocket' && WS_ABSENT(e) && !/no such|not found|expired|used once/i.test((e as Error).message)) {
            // Refused for want of WebSocket rather than for the removed container: decided by the other transport's case.
            k.ctx.notApplicable(`the streaming server refuses WebSocket: ${(e as Error).message}`);
          }
          return; // refused: the URL is unusable, as it should be
        }
        // containerd 1.6 sometimes keeps such a session open without a word (seen in full suite runs):
        // nothing runs, which is what matters; a session that ends must end with an error.
        let out = '';
        s.stdout?.on('data', (d: Buffer) => {
          out += d;
        });
        s.stderr?.resume();
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          s.done,
          new Promise<'open'>((r) => {
            timer = setTimeout(() => r('open'), 15_000);
          }),
        ]);
        clearTimeout(timer);
        s.close();
        expectTrue(!out.includes('ran-after-remove'), `the session of a removed container ran the command: stdout ${JSON.stringify(out)}`, {
          rule: R.afterRemove,
          call,
          expected: 'no output',
          actual: out,
        });
        if (outcome === 'open') {
          k.ctx.log('the session stayed open, silent, for 15 s: nothing ran');
          return;
        }
        expectTrue(exitOf(outcome) !== 0, `the session of a removed container ended with ${JSON.stringify(outcome)}`, {
          rule: R.afterRemove,
          call,
          expected: 'an error',
          actual: outcome,
        });
      },
    }),
  ),
];

/** A one-shot HTTP/1.0 GET over a forwarded connection; resolves with the whole answer. */
function httpOver(sock: Duplex, path: string, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let acc = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no complete answer within ${ms} ms: ${JSON.stringify(acc)}`));
    }, ms);
    sock.on('data', (d: Buffer) => {
      acc += d;
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('end', () => {
      clearTimeout(timer);
      resolve(acc);
    });
    sock.write(`GET ${path} HTTP/1.0\r\nHost: localhost\r\n\r\n`);
  });
}
