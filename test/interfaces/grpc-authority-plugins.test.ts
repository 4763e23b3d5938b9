// Every served plugin answers a client that writes raw HTTP/2 frames with each :authority form real
// clients send on unix sockets (the path as grpc-go 1.51 / crictl 1.26 sends it, %-encoded, localhost,
// empty, none, host): memory-cri, memory-csi, hostpath-csi and the example plugins, with no change
// to any plugin. The answers are decoded and checked, and the sandboxes really exist afterwards.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodSandboxState, RuntimeServiceDefinition } from '../../interfaces/gen/cri/api.js';
import { IdentityDefinition } from '../../interfaces/gen/csi/csi.js';
import { CriClient } from '../../interfaces/cri/client.js';
import { podConfig, startTestRuntime } from '../../plugins/memory-cri/testing.js';
import { startTestDriver } from '../../plugins/memory-csi/testing.js';
import { startTestHostpath } from '../../plugins/hostpath/testing.js';
import { serveCriMinimal, RUNTIME_NAME as CRI_MINIMAL } from '../../examples/plugins/cri-minimal/runtime.js';
import { serveCsiDir, DEFAULT_NAME as CSI_DIR } from '../../examples/plugins/csi-dir/driver.js';
import { AUTHORITY_FORMS, RawH2Connection, rawCall, type RawCallOptions } from '../helpers/h2-raw.js';

const t = suite('grpc: plugins answer every :authority form (raw HTTP/2)');
const socketOf = (endpoint: string) => endpoint.replace(/^unix:\/\//, '');

/** Run `fn` once per form, each on its own connection, as each real client would open one. */
async function eachForm(socket: string, fn: (c: RawH2Connection, o: RawCallOptions, form: string) => Promise<void>): Promise<void> {
  for (const [form, opts] of AUTHORITY_FORMS) {
    const c = await RawH2Connection.open(socket);
    try {
      await fn(c, opts(socket), form);
    } catch (err) {
      throw new Error(`:authority ${form}: ${(err as Error).message}`);
    } finally {
      c.close();
    }
  }
}

/** Version and RunPodSandbox over raw frames; the sandbox is then checked with triad's client. */
async function criCalls(socket: string, client: CriClient, runtimeName: string): Promise<void> {
  await eachForm(socket, async (c, o, form) => {
    const v = await rawCall(c, RuntimeServiceDefinition, 'version', { version: 'v1' }, o);
    assert.is(v.status, 0, v.message);
    assert.is(v.response!.runtimeName, runtimeName);
    assert.is(v.response!.runtimeApiVersion, 'v1');
    const config = podConfig({ labels: { form } });
    const run = await rawCall(c, RuntimeServiceDefinition, 'runPodSandbox', { config }, o);
    assert.is(run.status, 0, run.message);
    const id = run.response!.podSandboxId;
    assert.ok(id, 'a sandbox id');
    const st = await client.runtime.podSandboxStatus({ podSandboxId: id });
    assert.is(st.status!.state, PodSandboxState.SANDBOX_READY);
    assert.is(st.status!.metadata!.name, config.metadata!.name);
    assert.equal(st.status!.labels, { form });
  });
}

async function pluginInfo(socket: string, name: string): Promise<void> {
  await eachForm(socket, async (c, o) => {
    const r = await rawCall(c, IdentityDefinition, 'getPluginInfo', {}, o);
    assert.is(r.status, 0, r.message);
    assert.is(r.response!.name, name);
    assert.ok(r.response!.vendorVersion, 'a vendor version');
  });
}

t('memory-cri: Version and RunPodSandbox', async () => {
  const rt = await startTestRuntime();
  try {
    await criCalls(socketOf(rt.endpoint), rt.client, 'triad-memory');
  } finally {
    await rt.close();
  }
});

t('memory-csi: Identity/GetPluginInfo', async () => {
  const d = await startTestDriver();
  try {
    await pluginInfo(socketOf(d.endpoint), 'memory.csi.triad.dev');
  } finally {
    await d.close();
  }
});

t('hostpath-csi: Identity/GetPluginInfo', async () => {
  const h = await startTestHostpath();
  try {
    await pluginInfo(socketOf(h.endpoint), 'hostpath.csi.triad.dev');
  } finally {
    await h.close();
  }
});

t('examples/plugins/cri-minimal: Version and RunPodSandbox', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cri-minimal-authority-'));
  const socket = join(dir, 'cri.sock');
  const server = await serveCriMinimal(socket);
  const client = new CriClient(server.endpoint.display, { timeoutMs: 5000 });
  try {
    await criCalls(socket, client, CRI_MINIMAL);
  } finally {
    client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

t('examples/plugins/csi-dir: Identity/GetPluginInfo', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'csi-dir-authority-'));
  const socket = join(dir, 'csi.sock');
  const server = await serveCsiDir(socket, { root: join(dir, 'root') });
  try {
    await pluginInfo(socket, CSI_DIR);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
