// The gRPC interposer in front of memory-cri / memory-csi: calls pass through unchanged, each
// fault action does what it says (only to the calls its matchers pick), and the transcript has
// one line per call with the request, the answer or status and the duration.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriClient } from '../../interfaces/cri/client.js';
import { CsiClient } from '../../interfaces/csi/client.js';
import { RpcError, Status } from '../../interfaces/grpc/errors.js';
import { parseInterposerRules, readTranscript, startProxy, type InterposerRule, type RunningProxy } from '../../interfaces/interposer/index.js';
import { serveMemoryCri } from '../../plugins/memory-cri/index.js';
import { serveMemoryCsi } from '../../plugins/memory-csi/index.js';
import { RuntimeServiceDefinition } from '../../interfaces/gen/cri/api.js';
import { AUTHORITY_FORMS, RawH2Connection, rawCall } from '../helpers/h2-raw.js';

const test = suite('interposer: gRPC proxy');

const IMAGE = 'registry.k8s.io/pause:3.9';

async function withProxy(rules: InterposerRule[], fn: (cri: CriClient, p: RunningProxy, record: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'triad-proxy-'));
  const up = await serveMemoryCri({ endpoint: join(dir, 'up.sock') });
  const record = join(dir, 'calls.jsonl');
  const p = await startProxy({ listen: join(dir, 'proxy.sock'), upstream: up.endpoint, rules, record });
  const cri = new CriClient(p.endpoint.display, { timeoutMs: 5000 });
  try {
    await fn(cri, p, record);
  } finally {
    cri.close();
    await p.close();
    await up.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const podConfig = (name: string) => ({ metadata: { name, namespace: 'default', uid: `${name}-uid`, attempt: 0 } });
async function pod(cri: CriClient, name: string) {
  await cri.image.pullImage({ image: { image: IMAGE } });
  const config = podConfig(name);
  const { podSandboxId } = await cri.runtime.runPodSandbox({ config });
  return { podSandboxId, config };
}
const container = (podSandboxId: string, config: object, name: string) => ({
  podSandboxId,
  sandboxConfig: config,
  config: { metadata: { name, attempt: 0 }, image: { image: IMAGE }, command: ['sleep', '60'] },
});
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    assert.instance(err, RpcError);
    return (err as RpcError).codeName;
  }
}

test('calls pass through; the transcript has time, method, request, answer, status and duration', async () => {
  await withProxy([], async (cri, p, record) => {
    const v = await cri.runtime.version({ version: 'v1' });
    assert.is(v.runtimeName, 'triad-memory');
    const { podSandboxId } = await pod(cri, 'web');
    assert.is(await codeOf(cri.runtime.podSandboxStatus({ podSandboxId: 'nope' })), 'NOT_FOUND', 'an upstream error keeps its code');
    await p.close();
    const t = readTranscript(record);
    assert.equal(
      t.map((e) => e.method),
      ['RuntimeService/Version', 'ImageService/PullImage', 'RuntimeService/RunPodSandbox', 'RuntimeService/PodSandboxStatus'],
    );
    assert.is((t[2].response as { podSandboxId: string }).podSandboxId, podSandboxId);
    assert.is((t[2].request as { config: { metadata: { name: string } } }).config.metadata.name, 'web');
    assert.equal(t[2].status, { code: 0, name: 'OK' });
    assert.is(t[3].status.name, 'NOT_FOUND');
    assert.ok(t[3].status.message);
    for (const e of t) assert.ok(!Number.isNaN(Date.parse(e.time)) && e.durationMs >= 0 && !e.fault);
  });
});

test('fail once, matched on the container name: only the first CreateContainer of "app" fails', async () => {
  await withProxy(
    parseInterposerRules([
      { rpc: 'CreateContainer', match: { 'config.metadata.name': 'app' }, times: 1, fail: { code: 'RESOURCE_EXHAUSTED', message: 'no room' } },
    ]),
    async (cri, _p, record) => {
      const { podSandboxId, config } = await pod(cri, 'web');
      assert.is(await codeOf(cri.runtime.createContainer(container(podSandboxId, config, 'sidecar'))), 'OK', 'another name passes');
      const err = await cri.runtime.createContainer(container(podSandboxId, config, 'app')).catch((e: RpcError) => e);
      assert.instance(err, RpcError);
      assert.is((err as RpcError).code, Status.RESOURCE_EXHAUSTED);
      assert.match((err as RpcError).details, /no room/);
      assert.is(await codeOf(cri.runtime.createContainer(container(podSandboxId, config, 'app'))), 'OK', 'the retry passes');
      const t = readTranscript(record).filter((e) => e.method === 'RuntimeService/CreateContainer');
      assert.equal(
        t.map((e) => e.status.name),
        ['OK', 'RESOURCE_EXHAUSTED', 'OK'],
      );
      assert.is(t[1].fault, 'fail RESOURCE_EXHAUSTED');
    },
  );
});

test('nth: only the 2nd matching call is hit; target globs match ids and names', async () => {
  await withProxy(parseInterposerRules([{ rpc: 'RuntimeService/RunPodSandbox', target: 'db-*', nth: 2, times: 1, fail: { code: 14 } }]), async (cri) => {
    await cri.image.pullImage({ image: { image: IMAGE } });
    const codes = [];
    for (const name of ['web-1', 'db-1', 'db-2', 'db-3']) codes.push(await codeOf(cri.runtime.runPodSandbox({ config: podConfig(name) })));
    assert.equal(codes, ['OK', 'OK', 'UNAVAILABLE', 'OK']);
  });
});

test('delay: the answer comes that much later; hang: the caller sees its own deadline', async () => {
  await withProxy(
    parseInterposerRules([
      { rpc: 'Version', delayMs: 300 },
      { rpc: 'ImageFsInfo', hang: true },
    ]),
    async (cri, _p, record) => {
      let t0 = Date.now();
      await cri.runtime.version({});
      assert.ok(Date.now() - t0 >= 290, `answered after ${Date.now() - t0} ms`);
      t0 = Date.now();
      assert.is(await codeOf(cri.image.imageFsInfo({}, { timeoutMs: 400 })), 'DEADLINE_EXCEEDED');
      const ms = Date.now() - t0;
      assert.ok(ms >= 390 && ms < 2500, `hung ${ms} ms`);
      await new Promise((r) => setTimeout(r, 100));
      const hung = readTranscript(record).find((e) => e.method === 'ImageService/ImageFsInfo')!;
      assert.is(hung.fault, 'hang');
    },
  );
});

test('drop: the client sees UNAVAILABLE and reconnects for the next call', async () => {
  await withProxy(parseInterposerRules([{ rpc: 'ListImages', times: 1, drop: true }]), async (cri) => {
    await cri.runtime.version({});
    assert.is(await codeOf(cri.image.listImages({})), 'UNAVAILABLE');
    assert.is(await codeOf(cri.image.listImages({})), 'OK');
  });
});

test('corrupt and remove change only the answer fields they name; the upstream did the work', async () => {
  await withProxy(
    parseInterposerRules([
      { rpc: 'RunPodSandbox', corrupt: { podSandboxId: 'bogus-id' } },
      { rpc: 'PodSandboxStatus', remove: ['status.network', 'status.metadata.name'] },
    ]),
    async (cri) => {
      await cri.image.pullImage({ image: { image: IMAGE } });
      const { podSandboxId } = await cri.runtime.runPodSandbox({ config: podConfig('web') });
      assert.is(podSandboxId, 'bogus-id');
      const real = (await cri.runtime.listPodSandbox({})).items[0].id;
      assert.ok(real && real !== 'bogus-id');
      const st = await cri.runtime.podSandboxStatus({ podSandboxId: real });
      assert.is(st.status?.network, undefined);
      assert.is(st.status?.metadata?.name, '');
      assert.is(st.status?.metadata?.uid, 'web-uid', 'fields not named stay');
    },
  );
});

test('streams: GetContainerEvents passes each event; a client cancel reaches the upstream', async () => {
  await withProxy([], async (cri, p, record) => {
    const events = cri.runtime.getContainerEvents({});
    const got: string[] = [];
    const reading = (async () => {
      for await (const e of events) {
        got.push(e.containerId);
        if (got.length === 1) break;
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await pod(cri, 'web');
    await reading;
    events.cancel();
    assert.is(got.length, 1);
    await new Promise((r) => setTimeout(r, 200));
    await p.close();
    const ev = readTranscript(record).find((e) => e.method === 'RuntimeService/GetContainerEvents')!;
    assert.ok(ev, 'the stream has a transcript line once it ended');
    assert.is(ev.status.name, 'CANCELLED');
    assert.ok(Array.isArray(ev.response) && (ev.response as unknown[]).length >= 1);
  });
});

test('CSI services go through too; the socket is removed on close', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'triad-proxy-'));
  const up = await serveMemoryCsi({ endpoint: join(dir, 'up.sock'), dataDir: join(dir, 'data') });
  const p = await startProxy({
    listen: join(dir, 'proxy.sock'),
    upstream: up.endpoint,
    rules: parseInterposerRules([{ rpc: 'NodePublishVolume', match: { volumeId: 'slow-*' }, fail: { code: 'DEADLINE_EXCEEDED' } }]),
  });
  const csi = new CsiClient(p.endpoint.display);
  try {
    assert.is((await csi.identity.getPluginInfo({})).name, 'memory.csi.triad.dev');
    assert.ok((await csi.node.nodeGetInfo({})).nodeId);
    assert.is(await codeOf(csi.node.nodePublishVolume({ volumeId: 'slow-1', targetPath: join(dir, 't') })), 'DEADLINE_EXCEEDED');
    assert.not.equal(await codeOf(csi.node.nodePublishVolume({ volumeId: 'other', targetPath: join(dir, 't') })), 'DEADLINE_EXCEEDED');
  } finally {
    csi.close();
    await p.close();
    await up.close();
  }
  assert.not.ok(existsSync(join(dir, 'proxy.sock')));
  rmSync(dir, { recursive: true, force: true });
});

test("any :authority through the proxy: raw HTTP/2 calls with the socket path (kubelet < 1.26, crictl 1.26, grpc-java) get memory-cri's answer", async () => {
  await withProxy(parseInterposerRules([{ rpc: 'Status', times: 1, fail: { code: 'UNAVAILABLE', message: 'rule hit' } }]), async (_cri, p, record) => {
    assert.is(p.endpoint.kind, 'unix');
    const sock = (p.endpoint as { path: string }).path;
    for (const [what, opts] of AUTHORITY_FORMS) {
      const c = await RawH2Connection.open(sock);
      try {
        const r = await rawCall(c, RuntimeServiceDefinition, 'version', { version: `v-${what}` }, opts(sock));
        assert.is(r.status, 0, `${what}: ${r.message}`);
        assert.is(r.response!.runtimeName, 'triad-memory', what);
        assert.is(r.response!.version, '0.1.0', `${what}: the upstream's answer`);
      } finally {
        c.close();
      }
    }
    // the rules apply to such a client too: the first Status fails, the second passes
    const c = await RawH2Connection.open(sock);
    try {
      const first = await rawCall(c, RuntimeServiceDefinition, 'status', {}, { authority: sock });
      assert.is(first.status, Status.UNAVAILABLE);
      assert.is(first.message, 'rule hit');
      const second = await rawCall(c, RuntimeServiceDefinition, 'status', {}, { authority: sock });
      assert.is(second.status, 0, second.message);
      assert.ok(second.response!.status!.conditions.length > 0);
    } finally {
      c.close();
    }
    await p.close();
    const t = readTranscript(record);
    assert.is(t.filter((e) => e.method === 'RuntimeService/Version').length, AUTHORITY_FORMS.length);
    assert.equal(
      t.filter((e) => e.method === 'RuntimeService/Status').map((e) => e.status.name),
      ['UNAVAILABLE', 'OK'],
    );
  });
});

test('rule errors name the field', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ rpc: 'X' }, /\[0\]: needs an action/],
    [{ rpc: 'X', fail: { code: 'NOPE' } }, /\[0\]\.fail\.code: unknown gRPC code/],
    [{ rpc: 'X', exitCode: 1 }, /\[0\]\.exitCode: only the in-memory runtime/],
    [{ rpc: 'X', nth: 0, drop: true }, /\[0\]\.nth: must be an integer ≥ 1/],
    [{ rpc: 'X', hang: true, fail: { code: 2 } }, /fail and hang exclude each other/],
    [{ rpc: 'X', drop: true, remove: ['a'] }, /drop ends the call before there is an answer/],
    [{ rpc: 'X', match: 'a', drop: true }, /\[0\]\.match: must be a mapping/],
    [{ rpc: 'X', bogus: 1, drop: true }, /\[0\]\.bogus: unknown field/],
  ];
  for (const [rule, re] of bad) assert.throws(() => parseInterposerRules([rule], 'f.yaml'), re, JSON.stringify(rule));
  assert.throws(() => parseInterposerRules({}, 'f.yaml'), /f\.yaml: must be a list/);
});

test.run();
