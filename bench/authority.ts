// npx tsx bench/authority.ts [--calls N] [--rounds R]
//
// What the :authority filter (interfaces/grpc/authority.ts) adds per call: the same grpc-js server
// and handler, once bound to its unix socket by grpc-js (no filter) and once through listenUnix()
// (what serve() does), driven by triad's client on one connection, sequentially (c=1) and with 32
// calls in flight (c=32). Rounds alternate between the two so machine noise hits both alike. Client
// and server share this process, so CPU µs per call (process.cpuUsage) is the steady figure on a
// busy machine; wall time is printed too. Both servers first take --warmup calls: Node checks the
// first 10,000 calls of the deprecated Buffer() constructor (hpack.js' buffers use it) for where
// they come from, which costs tens of µs each and then stops, so a short run would overstate it.
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { RuntimeServiceDefinition } from '../interfaces/gen/cri/api.js';
import { listenUnix } from '../interfaces/grpc/authority.js';
import { Connection } from '../interfaces/grpc/client.js';
import { grpcDefinition } from '../interfaces/grpc/definition.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '4000' },
    rounds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '11000' },
  },
});
const calls = Number(values.calls);
const rounds = Number(values.rounds);
const dir = mkdtempSync(join(tmpdir(), 'bench-authority-'));

function newServer(): grpc.Server {
  const s = new grpc.Server();
  s.addService(grpcDefinition(RuntimeServiceDefinition), {
    version: (call: grpc.ServerUnaryCall<{ version: string }, unknown>, cb: grpc.sendUnaryData<unknown>) =>
      cb(null, { version: call.request.version, runtimeName: 'bench', runtimeVersion: '1', runtimeApiVersion: 'v1' }),
  } as grpc.UntypedServiceImplementation);
  return s;
}

async function start(kind: 'grpc-js bind' | 'filtered'): Promise<{ socket: string; stop(): void }> {
  const socket = join(dir, `${kind === 'filtered' ? 'f' : 'p'}.sock`);
  const s = newServer();
  if (kind === 'filtered') {
    const l = await listenUnix(s, socket);
    return {
      socket,
      stop: () => {
        l.close();
        s.forceShutdown();
        l.destroyAll();
      },
    };
  }
  await new Promise<void>((res, rej) => s.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? rej(e) : res())));
  return { socket, stop: () => s.forceShutdown() };
}

/** Wall and CPU µs per call over `n` calls with `concurrency` in flight on one connection. */
async function measure(socket: string, concurrency: number, n = calls): Promise<{ wall: number; cpu: number }> {
  const conn = new Connection(`unix://${socket}`);
  const rt = conn.service(RuntimeServiceDefinition);
  await conn.waitForReady();
  for (let i = 0; i < 200; i++) await rt.version({ version: 'warm' });
  let next = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) await rt.version({ version: 'v1' });
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  const wall = ((performance.now() - t0) * 1000) / n;
  conn.close();
  return { wall, cpu: (cpu.user + cpu.system) / n };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const servers = { plain: await start('grpc-js bind'), filtered: await start('filtered') };
try {
  const warm = {
    filtered: await measure(servers.filtered.socket, 32, Number(values.warmup)),
    plain: await measure(servers.plain.socket, 32, Number(values.warmup)),
  };
  console.log(
    `warm-up (${values.warmup} calls each, c=32): grpc-js bind ${warm.plain.cpu.toFixed(1)} µs CPU/call, filtered ${warm.filtered.cpu.toFixed(1)} µs CPU/call`,
  );
  for (const c of [1, 32]) {
    const res = { plain: [] as { wall: number; cpu: number }[], filtered: [] as { wall: number; cpu: number }[] };
    for (let r = 0; r < rounds; r++) {
      for (const k of (r % 2 ? ['filtered', 'plain'] : ['plain', 'filtered']) as ('plain' | 'filtered')[]) res[k].push(await measure(servers[k].socket, c));
    }
    for (const m of ['cpu', 'wall'] as const) {
      const p = median(res.plain.map((x) => x[m])),
        f = median(res.filtered.map((x) => x[m]));
      console.log(
        `c=${c} ${m.padEnd(4)} (${calls} calls x ${rounds} rounds, median): grpc-js bind ${p.toFixed(1)} µs/call, filtered ${f.toFixed(1)} µs/call, ` +
          `added ${(f - p).toFixed(1)} µs (${(((f - p) / p) * 100).toFixed(1)}%)`,
      );
    }
  }
} finally {
  servers.plain.stop();
  servers.filtered.stop();
  rmSync(dir, { recursive: true, force: true });
}
