// memory-cri's `grpc-health` program: grpc.health.v1.Health on a pod port (reached through the
// sandbox's port forward, as the harness prober does), called with triad's own gRPC client.
// Check follows the status file (global and per service), unknown services are NOT_FOUND,
// Watch streams each change, other methods are UNIMPLEMENTED; bad arguments and a taken port
// end the program with busybox-like errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ContainerState } from '../../interfaces/gen/cri/api.js';
import { HealthCheckResponse_ServingStatus as Serving, HealthDefinition } from '../../interfaces/gen/grpc/health/v1/health.js';
import { connect, type Connection } from '../../interfaces/grpc/client.js';
import { RpcError } from '../../interfaces/grpc/errors.js';
import { ctrConfig, podConfig, startTestRuntime, waitFor, type TestRuntime } from '../../plugins/memory-cri/testing.js';

const t = suite('memory-cri: grpc-health');
let h: TestRuntime;
let sb: string;
let ctr: string;
let conn: Connection;

const exec = async (containerId: string, cmd: string[]) => {
  const r = await h.client.runtime.execSync({ containerId, cmd, timeout: 5n });
  return { code: r.exitCode, out: Buffer.from(r.stdout).toString() + Buffer.from(r.stderr).toString() };
};

async function forward(port: number): Promise<string> {
  return waitFor(
    async () => {
      const st = await h.client.runtime.podSandboxStatus({ podSandboxId: sb, verbose: true });
      return (JSON.parse(st.info.info ?? '{}').portForwards ?? {})[String(port)] as string | undefined;
    },
    5000,
    `a forward for port ${port}`,
  );
}

async function start(name: string, argv: string[]): Promise<string> {
  const id = (await h.client.runtime.createContainer({ podSandboxId: sb, config: ctrConfig(name, argv), sandboxConfig: podConfig() })).containerId;
  await h.client.runtime.startContainer({ containerId: id });
  return id;
}

t.before(async () => {
  h = await startTestRuntime({ preloadedImages: ['busybox'] });
  sb = (await h.client.runtime.runPodSandbox({ config: { ...podConfig(), logDirectory: `${h.dir}/logs` } })).podSandboxId;
  ctr = await start('health', ['grpc-health', '-p', '9000', '-s', 'my.Svc']);
  conn = connect(await forward(9000), { timeoutMs: 5000 });
});
t.after(async () => {
  conn?.close();
  await h?.close();
});

t('Check: SERVING; the status file makes every service NOT_SERVING, FILE.SERVICE only that one', async () => {
  const health = conn.service(HealthDefinition);
  assert.is((await health.check({})).status, Serving.SERVING);
  assert.is((await health.check({ service: 'my.Svc' })).status, Serving.SERVING);
  await exec(ctr, ['touch', '/tmp/health-not-serving.my.Svc']);
  assert.is((await health.check({ service: 'my.Svc' })).status, Serving.NOT_SERVING);
  assert.is((await health.check({})).status, Serving.SERVING);
  await exec(ctr, ['touch', '/tmp/health-not-serving']);
  assert.is((await health.check({})).status, Serving.NOT_SERVING);
  await exec(ctr, ['rm', '/tmp/health-not-serving', '/tmp/health-not-serving.my.Svc']);
  assert.is((await health.check({})).status, Serving.SERVING);
});

t('Check of an unknown service is NOT_FOUND; another method is UNIMPLEMENTED', async () => {
  const err = await conn
    .service(HealthDefinition)
    .check({ service: 'nope' })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.instance(err, RpcError);
  assert.is((err as RpcError).codeName, 'NOT_FOUND');
  assert.is((err as RpcError).details, 'unknown service');
  const other = { ...HealthDefinition, fullName: 'grpc.health.v1.Other' } as unknown as typeof HealthDefinition;
  const e2 = await conn
    .service(other)
    .check({})
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.is((e2 as RpcError).codeName, 'UNIMPLEMENTED');
});

t('Watch: the status now, then each change; SERVICE_UNKNOWN for an unknown service', async () => {
  const health = conn.service(HealthDefinition);
  const stream = health.watch({ service: 'my.Svc' }, { timeoutMs: 10_000 });
  const seen: Serving[] = [];
  const it = stream[Symbol.asyncIterator]();
  seen.push((await it.next()).value.status);
  await exec(ctr, ['touch', '/tmp/health-not-serving']);
  seen.push((await it.next()).value.status);
  await exec(ctr, ['rm', '/tmp/health-not-serving']);
  seen.push((await it.next()).value.status);
  stream.cancel();
  assert.equal(seen, [Serving.SERVING, Serving.NOT_SERVING, Serving.SERVING]);
  const unknown = health.watch({ service: 'nope' }, { timeoutMs: 10_000 });
  const first = await unknown[Symbol.asyncIterator]().next();
  unknown.cancel();
  assert.is(first.value.status, Serving.SERVICE_UNKNOWN);
});

t('bad arguments exit 2 with usage; a taken port exits 1', async () => {
  const bad = await start('bad', ['grpc-health', '-p', '0']);
  const st = await waitFor(async () => {
    const s = (await h.client.runtime.containerStatus({ containerId: bad })).status!;
    return s.state === ContainerState.CONTAINER_EXITED ? s : undefined;
  });
  assert.is(st.exitCode, 2);
  const taken = await exec(ctr, ['grpc-health', '-p', '9000']);
  assert.is(taken.code, 1);
  assert.match(taken.out, /grpc-health: bind: Address in use/);
  const unknownArg = await exec(ctr, ['grpc-health', '--port=1']);
  assert.is(unknownArg.code, 2);
  assert.match(unknownArg.out, /grpc-health: unknown argument '--port=1'\nusage: grpc-health/);
});

t.run();
