// memory-cri pod sandboxes over a real unix socket: the READY → NOTREADY → removed state machine,
// metadata validation, name reservation, status and verbose info, list filters (id prefix,
// state, labels), NOT_FOUND, idempotent stop/remove, runtime handlers and resource updates.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NamespaceMode, PodSandboxState } from '../../interfaces/gen/cri/api.js';
import { ctrConfig, podConfig, startTestRuntime, type TestRuntime } from '../../plugins/memory-cri/testing.js';
import { fails } from '../helpers/rpc.js';

const t = suite('memory-cri: sandboxes');
let h: TestRuntime;

t.before(async () => {
  h = await startTestRuntime();
  await h.client.image.pullImage({ image: { image: 'busybox' } });
});
t.after(async () => {
  await h?.close();
});

t('RunPodSandbox: READY, metadata, labels and annotations echoed, createdAt in ns', async () => {
  const before = BigInt(Date.now()) * 1_000_000n;
  const cfg = podConfig({ labels: { app: 'web', tier: 'x' }, annotations: { 'kubernetes.io/config.seen': 'now' } });
  const { podSandboxId: id } = await h.client.runtime.runPodSandbox({ config: cfg });
  assert.match(id, /^[a-f0-9]{64}$/);
  const st = (await h.client.runtime.podSandboxStatus({ podSandboxId: id })).status!;
  assert.is(st.id, id);
  assert.is(st.state, PodSandboxState.SANDBOX_READY);
  assert.equal(st.metadata, { name: cfg.metadata!.name, namespace: 'default', uid: cfg.metadata!.uid, attempt: 0 });
  assert.equal(st.labels, { app: 'web', tier: 'x' });
  assert.equal(st.annotations, { 'kubernetes.io/config.seen': 'now' });
  assert.ok(st.createdAt >= before && st.createdAt < before + 60_000_000_000n, `createdAt ${st.createdAt} is nanoseconds since the epoch`);
  assert.is(st.network!.ip, '', 'no network configured: no IP');
  assert.is(st.linux!.namespaces!.options!.network, NamespaceMode.POD);
});

t('RunPodSandbox validates metadata, naming the missing field', async () => {
  await fails(h.client.runtime.runPodSandbox({ config: {} }), 'INVALID_ARGUMENT', /config\.metadata is required/);
  for (const f of ['name', 'namespace', 'uid'] as const) {
    const cfg = podConfig();
    (cfg.metadata as Record<string, unknown>)[f] = '';
    await fails(h.client.runtime.runPodSandbox({ config: cfg }), 'INVALID_ARGUMENT', new RegExp(`metadata\\.${f} is required`));
  }
});

t('the same name/namespace/uid/attempt is reserved until removal; a new attempt is fine', async () => {
  const cfg = podConfig();
  const { podSandboxId: a } = await h.client.runtime.runPodSandbox({ config: cfg });
  await fails(h.client.runtime.runPodSandbox({ config: cfg }), 'ALREADY_EXISTS', new RegExp(`reserved for "${a}"`));
  const { podSandboxId: b } = await h.client.runtime.runPodSandbox({ config: { ...cfg, metadata: { ...cfg.metadata, attempt: 1 } } });
  assert.is.not(a, b);
  await h.client.runtime.stopPodSandbox({ podSandboxId: a });
  await fails(h.client.runtime.runPodSandbox({ config: cfg }), 'ALREADY_EXISTS');
  await h.client.runtime.removePodSandbox({ podSandboxId: a });
  await h.client.runtime.runPodSandbox({ config: cfg });
});

t('StopPodSandbox → NOTREADY (no IP); Stop and Remove are idempotent, also for unknown ids', async () => {
  const { podSandboxId: id } = await h.client.runtime.runPodSandbox({ config: podConfig() });
  await h.client.runtime.stopPodSandbox({ podSandboxId: id });
  let st = (await h.client.runtime.podSandboxStatus({ podSandboxId: id })).status!;
  assert.is(st.state, PodSandboxState.SANDBOX_NOTREADY);
  await h.client.runtime.stopPodSandbox({ podSandboxId: id });
  st = (await h.client.runtime.podSandboxStatus({ podSandboxId: id })).status!;
  assert.is(st.state, PodSandboxState.SANDBOX_NOTREADY);
  await h.client.runtime.removePodSandbox({ podSandboxId: id });
  await fails(h.client.runtime.podSandboxStatus({ podSandboxId: id }), 'NOT_FOUND', /not found/);
  await h.client.runtime.removePodSandbox({ podSandboxId: id });
  await h.client.runtime.stopPodSandbox({ podSandboxId: id });
  await h.client.runtime.stopPodSandbox({ podSandboxId: 'f'.repeat(64) });
  await h.client.runtime.removePodSandbox({ podSandboxId: 'f'.repeat(64) });
});

t('RemovePodSandbox of a READY sandbox stops it first and removes its containers', async () => {
  const cfg = podConfig();
  const { podSandboxId: id } = await h.client.runtime.runPodSandbox({ config: cfg });
  const { containerId } = await h.client.runtime.createContainer({ podSandboxId: id, config: ctrConfig('s', ['sleep', 'infinity']), sandboxConfig: cfg });
  await h.client.runtime.startContainer({ containerId });
  await h.client.runtime.removePodSandbox({ podSandboxId: id });
  await fails(h.client.runtime.containerStatus({ containerId }), 'NOT_FOUND');
  assert.equal((await h.client.runtime.listContainers({ filter: { podSandboxId: id } })).containers, []);
  assert.not.ok(h.runtime.inspect().containers.some((c) => c.id === containerId));
});

t('PodSandboxStatus: NOT_FOUND for unknown ids; unique id prefixes work; ambiguous ones are refused', async () => {
  await fails(h.client.runtime.podSandboxStatus({ podSandboxId: 'nope' }), 'NOT_FOUND', /sandbox "nope": not found/);
  const { podSandboxId: id } = await h.client.runtime.runPodSandbox({ config: podConfig() });
  const st = await h.client.runtime.podSandboxStatus({ podSandboxId: id.slice(0, 12) });
  assert.is(st.status!.id, id);
  await fails(h.client.runtime.podSandboxStatus({ podSandboxId: '' }), 'INVALID_ARGUMENT');
  // Make two ids share a prefix by asking with the empty-ish common prefix of all hex ids: one char.
  const ids = (await h.client.runtime.listPodSandbox({})).items.map((s) => s.id);
  const byFirst = new Map<string, number>();
  for (const i of ids) byFirst.set(i[0], (byFirst.get(i[0]) ?? 0) + 1);
  const shared = [...byFirst].find(([, n]) => n > 1)?.[0];
  if (shared) await fails(h.client.runtime.podSandboxStatus({ podSandboxId: shared }), 'INVALID_ARGUMENT', /ambiguous/);
});

t('verbose status: info JSON with pid, netns and portForwards; containers_statuses and timestamp', async () => {
  const cfg = podConfig();
  const { podSandboxId: id } = await h.client.runtime.runPodSandbox({ config: cfg });
  const { containerId } = await h.client.runtime.createContainer({ podSandboxId: id, config: ctrConfig('c', ['sleep', '60']), sandboxConfig: cfg });
  const plain = await h.client.runtime.podSandboxStatus({ podSandboxId: id });
  assert.equal(plain.info, {});
  const v = await h.client.runtime.podSandboxStatus({ podSandboxId: id, verbose: true });
  const info = JSON.parse(v.info.info);
  assert.ok(info.pid > 0);
  assert.is(info.processStatus, 'running');
  assert.match(info.netns, /triad-memory-/);
  assert.equal(info.portForwards, {});
  assert.equal(
    v.containersStatuses.map((c) => c.id),
    [containerId],
  );
  assert.ok(v.timestamp > v.status!.createdAt);
  await h.client.runtime.stopPodSandbox({ podSandboxId: id });
  const stopped = JSON.parse((await h.client.runtime.podSandboxStatus({ podSandboxId: id, verbose: true })).info.info);
  assert.is(stopped.processStatus, 'stopped');
  assert.is(stopped.pid, 0);
});

t('ListPodSandbox filters by id (and unique prefix), state and labels (ANDed)', async () => {
  const a = (await h.client.runtime.runPodSandbox({ config: podConfig({ labels: { app: 'list', n: '1' } }) })).podSandboxId;
  const b = (await h.client.runtime.runPodSandbox({ config: podConfig({ labels: { app: 'list', n: '2' } }) })).podSandboxId;
  await h.client.runtime.stopPodSandbox({ podSandboxId: b });
  const ids = async (filter: object) => (await h.client.runtime.listPodSandbox({ filter })).items.map((s) => s.id).sort();
  assert.equal(await ids({ labelSelector: { app: 'list' } }), [a, b].sort());
  assert.equal(await ids({ labelSelector: { app: 'list', n: '2' } }), [b]);
  assert.equal(await ids({ id: a }), [a]);
  assert.equal(await ids({ id: a.slice(0, 10) }), [a]);
  assert.equal(await ids({ id: 'zzz' }), []);
  assert.equal(await ids({ labelSelector: { app: 'list' }, state: { state: PodSandboxState.SANDBOX_READY } }), [a]);
  assert.equal(await ids({ labelSelector: { app: 'list' }, state: { state: PodSandboxState.SANDBOX_NOTREADY } }), [b]);
  const item = (await h.client.runtime.listPodSandbox({ filter: { id: a } })).items[0];
  assert.equal(item.labels, { app: 'list', n: '1' });
  assert.equal(item.annotations, { note: 'kept as is' });
  assert.ok(item.createdAt > 0n);
});

t("host-network pods get no IP and no netns; the hostname is the node's", async () => {
  const cfg = podConfig({ linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } } });
  const { podSandboxId: id } = await h.client.runtime.runPodSandbox({ config: cfg });
  const v = await h.client.runtime.podSandboxStatus({ podSandboxId: id, verbose: true });
  assert.is(v.status!.linux!.namespaces!.options!.network, NamespaceMode.NODE);
  assert.is(v.status!.network!.ip, '');
  assert.is(JSON.parse(v.info.info).netns, '');
  assert.is(JSON.parse(v.info.info).runtimeSpec.hostname, h.runtime.nodeHostname);
});

t('runtime handlers: the default and configured ones are accepted, others fail NOT_FOUND', async () => {
  const { podSandboxId: id } = await h.client.runtime.runPodSandbox({ config: podConfig(), runtimeHandler: 'runc' });
  assert.is((await h.client.runtime.podSandboxStatus({ podSandboxId: id })).status!.runtimeHandler, 'runc');
  await fails(h.client.runtime.runPodSandbox({ config: podConfig(), runtimeHandler: 'kata' }), 'NOT_FOUND', /no runtime for "kata" is configured/);
});

t('UpdatePodSandboxResources: stored (shown in verbose info); NOT_FOUND for unknown ids', async () => {
  const { podSandboxId: id } = await h.client.runtime.runPodSandbox({ config: podConfig() });
  await h.client.runtime.updatePodSandboxResources({ podSandboxId: id, resources: { memoryLimitInBytes: 1n << 28n, cpuShares: 512n } });
  const info = JSON.parse((await h.client.runtime.podSandboxStatus({ podSandboxId: id, verbose: true })).info.info);
  assert.is(info.runtimeSpec.linux.resources.cpuShares, '512');
  await fails(h.client.runtime.updatePodSandboxResources({ podSandboxId: 'nope' }), 'NOT_FOUND');
});

t.run();
