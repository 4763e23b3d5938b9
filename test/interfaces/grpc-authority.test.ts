// serve() on a unix socket answers whatever :authority a client sends (grpc-go 1.51, grpc-java and
// Python send the socket path): raw HTTP/2 frames in, real gRPC answers out. The control case shows
// the failure it fixes: grpc-js bound to the socket directly resets those streams.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import * as http2 from 'node:http2';
import { connect } from 'node:net';
import { join } from 'node:path';
import tmp from 'tmp';
import { RuntimeServiceDefinition, VersionRequest, VersionResponse } from '../../interfaces/gen/cri/api.js';
import { grpcDefinition } from '../../interfaces/grpc/definition.js';
import { Connection } from '../../interfaces/grpc/client.js';
import { bind, serve, type RunningServer } from '../../interfaces/grpc/server.js';
import { AUTHORITY_FORMS, FRAME, PREFACE, RawH2Connection, RawH2Error, frame, type RawCallOptions } from '../helpers/h2-raw.js';

const t = suite('grpc: any :authority on a unix socket');
const VERSION = '/runtime.v1.RuntimeService/Version';
let dir: tmp.DirResult;
let sock: string;
let server: RunningServer;
const version = (v: string) => VersionRequest.encode({ version: v }).finish();

t.before(async () => {
  dir = tmp.dirSync({ unsafeCleanup: true });
  sock = join(dir.name, 'cri.sock');
  server = await serve(`unix://${sock}`, [
    bind(RuntimeServiceDefinition, {
      version: (req, ctx) => {
        const note = String(ctx.metadata.get('x-note')[0] ?? '');
        return { version: req.version, runtimeName: `echo ${note === 'big' ? 'w'.repeat(300_000) : note}`.trim(), runtimeApiVersion: 'v1' };
      },
    }),
  ]);
});

t.after(async () => {
  await server?.close();
  dir.removeCallback();
});

async function call(o: RawCallOptions, v = 'v1', conn?: RawH2Connection) {
  const c = conn ?? (await RawH2Connection.open(sock));
  try {
    const r = await c.unary(VERSION, version(v), o);
    assert.is(r.status, 0, r.message);
    assert.is(r.messages.length, 1);
    return VersionResponse.decode(r.messages[0]);
  } finally {
    if (!conn) c.close();
  }
}

t('control: grpc-js on the socket itself resets a stream whose :authority is the path', async () => {
  const plain = new grpc.Server();
  plain.addService(grpcDefinition(RuntimeServiceDefinition), {
    version: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { version: 'x' }),
  } as grpc.UntypedServiceImplementation);
  const path = join(dir.name, 'plain.sock');
  await new Promise<void>((res, rej) => plain.bindAsync(`unix:${path}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? rej(e) : res())));
  try {
    for (const authority of [path, '', null]) {
      const c = await RawH2Connection.open(path);
      const err = await c.unary(VERSION, version('v1'), { authority }).then(
        () => undefined,
        (e: unknown) => e,
      );
      c.close();
      assert.instance(err, RawH2Error, `authority ${JSON.stringify(authority)} was answered`);
      assert.is((err as RawH2Error).kind, 'RST_STREAM');
      assert.is((err as RawH2Error).code, 'PROTOCOL_ERROR');
    }
    const c = await RawH2Connection.open(path);
    const ok = await c.unary(VERSION, version('v1'), { authority: 'localhost' });
    c.close();
    assert.is(ok.status, 0, 'localhost works there too: the raw client is sound');
  } finally {
    plain.forceShutdown();
  }
});

for (const [what, opts] of AUTHORITY_FORMS) {
  t(`:authority ${what} gets a real answer`, async () => {
    const res = await call(opts(sock), `v-${what}`);
    assert.is(res.version, `v-${what}`);
    assert.is(res.runtimeApiVersion, 'v1');
  });
}

t('padding, priority and a block split into tiny CONTINUATION frames', async () => {
  assert.is((await call({ authority: sock, pad: 17, priority: true, fragment: 3 })).version, 'v1');
});

t('many calls on one connection: dynamic-table references and table resets stay in step', async () => {
  const c = await RawH2Connection.open(sock);
  try {
    for (let i = 0; i < 20; i++) {
      const res = await call({ authority: sock, resetTable: i % 7 === 6, metadata: [['x-note', `n${i % 3}`]] }, `v${i}`, c);
      assert.is(res.version, `v${i}`);
      assert.is(res.runtimeName, `echo n${i % 3}`);
    }
  } finally {
    c.close();
  }
});

t('a header block over 16384 octets reaches the handler whole', async () => {
  const note = 'n'.repeat(20_000);
  assert.is((await call({ authority: sock, metadata: [['x-note', note]] })).runtimeName, `echo ${note}`);
});

t('large messages pass untouched: a request over four DATA frames, a 300 kB answer under flow control', async () => {
  const mid = 'v'.repeat(60_000);
  assert.is((await call({ authority: sock }, mid)).version, mid);
  const big = 'w'.repeat(300_000);
  assert.is((await call({ authority: sock, metadata: [['x-note', 'big']] }, 'big')).runtimeName.length, 'echo '.length + big.length);
});

async function closedOnGarbage(octets: Buffer): Promise<void> {
  const s = connect(sock);
  const got: Buffer[] = [];
  s.on('data', (d: Buffer) => got.push(d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('connection still open after 3 s'));
    }, 3000);
    s.once('connect', () => s.write(octets));
    s.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    s.on('error', () => {});
  });
}

t('garbage closes only that connection; the server goes on answering', async () => {
  await closedOnGarbage(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
  await closedOnGarbage(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0), frame(FRAME.HEADERS, 0x4, 1, Buffer.from([0xff, 0x10]))]));
  await closedOnGarbage(Buffer.concat([PREFACE, frame(FRAME.CONTINUATION, 0x4, 1, Buffer.from([0x82]))]));
  assert.is((await call({ authority: sock })).version, 'v1');
});

t('a connection that never sends nor reads anything does not hold up close() past its grace', async () => {
  const path = join(dir.name, 'idle.sock');
  const s2 = await serve(`unix://${path}`, [bind(RuntimeServiceDefinition, {})]);
  const idle = connect(path);
  idle.on('error', () => {});
  await new Promise((r) => idle.once('connect', r));
  const started = Date.now();
  try {
    await s2.close(500);
    assert.ok(Date.now() - started < 3000, `close took ${Date.now() - started} ms`);
  } finally {
    idle.destroy();
  }
});

t("triad's own client sends :authority localhost on a unix socket", async () => {
  const path = join(dir.name, 'capture.sock');
  const seen: (string | undefined)[] = [];
  const h2 = http2.createServer();
  h2.on('stream', (stream, headers) => {
    seen.push(headers[':authority'] as string | undefined);
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '12', 'grpc-message': 'captured' }));
    stream.end();
  });
  await new Promise<void>((r) => h2.listen(path, r));
  const conn = new Connection(`unix://${path}`, { timeoutMs: 3000 });
  try {
    await conn
      .service(RuntimeServiceDefinition)
      .version({ version: 'v1' })
      .catch(() => undefined);
    assert.equal(seen, ['localhost']);
  } finally {
    conn.close();
    await new Promise((r) => h2.close(r));
  }
});

t.run();
