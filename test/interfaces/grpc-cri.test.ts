// CRI RuntimeService + ImageService over a real unix socket: triad's client against triad's
// serve(), including UNIMPLEMENTED for missing methods, error codes, deadlines and streaming.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import tmp from 'tmp';
import { join } from 'node:path';
import { statSync, writeFileSync, existsSync } from 'node:fs';
import { ImageServiceDefinition, RuntimeServiceDefinition, ContainerState, ContainerEventType } from '../../interfaces/gen/cri/api.js';
import { CriClient } from '../../interfaces/cri/client.js';
import { bind, serve, type RunningServer } from '../../interfaces/grpc/server.js';
import { notFound, RpcError, Status } from '../../interfaces/grpc/errors.js';

const t = suite('grpc: CRI over a unix socket');
let dir: tmp.DirResult;
let server: RunningServer;
let client: CriClient;
let inFlight = 0;

t.before(async () => {
  dir = tmp.dirSync({ unsafeCleanup: true });
  const sock = join(dir.name, 'cri.sock');
  writeFileSync(sock + '.stale', '');
  server = await serve(`unix://${sock}`, [
    bind(RuntimeServiceDefinition, {
      version: (req) => ({ version: req.version, runtimeName: 'test', runtimeVersion: '1', runtimeApiVersion: 'v1' }),
      containerStatus: (req) => {
        if (req.containerId !== 'c1') throw notFound(`container ${req.containerId} not found`);
        return { status: { id: 'c1', state: ContainerState.CONTAINER_EXITED, exitCode: 3, createdAt: 1_700_000_000_123_456_789n, labels: { a: 'b' } } };
      },
      listContainers: async () => {
        inFlight++;
        await new Promise((r) => setTimeout(r, 200));
        inFlight--;
        return { containers: [{ id: 'x' }] };
      },
      async *getContainerEvents() {
        for (let i = 0; i < 3; i++) yield { containerId: `c${i}`, containerEventType: ContainerEventType.CONTAINER_STARTED_EVENT };
      },
      status: () => {
        throw new Error('boom');
      },
    }),
    bind(ImageServiceDefinition, { listImages: () => ({ images: [{ id: 'sha256:1', repoTags: ['busybox:latest'], size: 42n }] }) }),
  ]);
  client = new CriClient(`unix://${sock}`, { timeoutMs: 2000 });
  await client.waitForReady(2000);
});

t.after(async () => {
  client?.close();
  await server?.close();
  dir.removeCallback();
});

t('unary round trip keeps every field, including int64 nanoseconds', async () => {
  const v = await client.runtime.version({ version: 'v1' });
  assert.is(v.runtimeName, 'test');
  assert.is(v.version, 'v1');
  const s = await client.runtime.containerStatus({ containerId: 'c1' });
  assert.is(s.status!.createdAt, 1_700_000_000_123_456_789n);
  assert.is(s.status!.exitCode, 3);
  assert.is(s.status!.state, ContainerState.CONTAINER_EXITED);
  assert.equal(s.status!.labels, { a: 'b' });
  const imgs = await client.image.listImages({});
  assert.equal(imgs.images[0].repoTags, ['busybox:latest']);
  assert.is(imgs.images[0].size, 42n);
});

t('socket is created with mode 0660', () => {
  const st = statSync(server.endpoint.kind === 'unix' ? server.endpoint.path : '');
  assert.is(st.mode & 0o777, 0o660);
});

t('errors keep the code and name RPC and endpoint', async () => {
  try {
    await client.runtime.containerStatus({ containerId: 'nope' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, RpcError);
    const r = e as RpcError;
    assert.is(r.code, Status.NOT_FOUND);
    assert.is(r.codeName, 'NOT_FOUND');
    assert.match(r.message, /RuntimeService\/ContainerStatus on unix:\/\/.*cri\.sock: NOT_FOUND: container nope not found/);
  }
});

t('unimplemented methods answer UNIMPLEMENTED; a throwing handler answers INTERNAL', async () => {
  await client.runtime.runPodSandbox({}).then(
    () => assert.unreachable(),
    (e: RpcError) => {
      assert.is(e.codeName, 'UNIMPLEMENTED');
      assert.match(e.message, /RunPodSandbox is not implemented/);
    },
  );
  await client.image.pullImage({ image: { image: 'x' } }).then(
    () => assert.unreachable(),
    (e: RpcError) => assert.is(e.codeName, 'UNIMPLEMENTED'),
  );
  await client.runtime.status({}).then(
    () => assert.unreachable(),
    (e: RpcError) => {
      assert.is(e.codeName, 'INTERNAL');
      assert.match(e.message, /boom/);
    },
  );
  // the server survived
  assert.is((await client.runtime.version({})).runtimeName, 'test');
});

t('deadline per call', async () => {
  await client.runtime.listContainers({}, { timeoutMs: 50 }).then(
    () => assert.unreachable(),
    (e: RpcError) => assert.is(e.codeName, 'DEADLINE_EXCEEDED'),
  );
});

t('server streaming', async () => {
  const got: string[] = [];
  for await (const ev of client.runtime.getContainerEvents({})) got.push(ev.containerId);
  assert.equal(got, ['c0', 'c1', 'c2']);
});

t('graceful close waits for in-flight calls; a second server refuses a live socket', async () => {
  const sock = server.endpoint.kind === 'unix' ? server.endpoint.path : '';
  await serve(sock, []).then(
    () => assert.unreachable('stole a live socket'),
    (e: Error) => assert.match(e.message, /another server is listening/),
  );
  const p = client.runtime.listContainers({});
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(inFlight >= 1, 'a call is in flight');
  await server.close(5000);
  const res = await p;
  assert.is(res.containers[0].id, 'x');
  assert.not.ok(existsSync(sock));
});

t('stale socket file is replaced; a non-socket is refused', async () => {
  const sock = join(dir.name, 'stale.sock');
  // leave a dead socket behind by closing a server without unlinking: simulate with a listening net server we destroy
  const net = await import('node:net');
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(sock, r));
  // close() unlinks the path on Linux; so create a socket inode that nobody listens on instead:
  srv.close();
  const s2 = net.createServer();
  await new Promise<void>((r) => s2.listen(sock, r));
  (s2 as unknown as { _handle: { close(): void } })._handle.close(); // drops the listener, leaves the inode
  const again = await serve(sock, [bind(RuntimeServiceDefinition, {})]);
  await again.close();
  await serve(join(dir.name, 'cri.sock.stale'), []).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /exists and is not a socket/),
  );
});

t('waitForReady on a missing socket fails clearly and quickly', async () => {
  const c = new CriClient(join(dir.name, 'missing.sock'));
  const t0 = Date.now();
  await c.waitForReady(300).then(
    () => assert.unreachable(),
    (e: RpcError) => {
      assert.is(e.codeName, 'UNAVAILABLE');
      assert.match(e.message, /no socket at .*missing\.sock/);
    },
  );
  assert.ok(Date.now() - t0 < 3000);
  c.close();
});

t.run();
