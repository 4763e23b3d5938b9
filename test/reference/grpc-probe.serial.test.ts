// gRPC probes on the reference stack (containerd + runc + the bridge CNI): the harness kubelet
// dials grpc.health.v1 Check at the real pod IP. The busybox image has no gRPC server, so a real
// one (grpc-js, test/reference/grpc-health-server.ts) runs inside the pod's network namespace:
// before it listens the probe fails to connect, once it answers SERVING the pod is Ready, when
// it answers NOT_SERVING the pod is not Ready again.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '../../harness/api/types.js';
import { POD_UID } from '../../harness/kubelet/labels.js';
import { parseManifests } from '../../harness/manifest/index.js';
import { triadRoot } from '../../interfaces/util/root.js';
import { stackNode, testOrSkip, useStack, type StackNode } from './stack.js';

const t = suite('reference stack: gRPC probes against the pod IP');
const h = await useStack();
const it = testOrSkip(t, h);
t.after(async () => {
  await h.release();
});

const W = 60_000;
const PORT = 50051;
const ready = (p: Pod) => p.status?.conditions.find((c) => c.type === 'Ready')?.status === 'True';

it('a gRPC readiness probe reaches a health server on the pod IP: connect failure, SERVING, NOT_SERVING', async () => {
  const s = h.stack!;
  const dir = mkdtempSync(join(tmpdir(), 'triad-ref-grpc-'));
  let node: StackNode | undefined;
  let server: ChildProcess | undefined;
  try {
    node = await stackNode(s);
    const k = node.kubelet;
    const events = (re: RegExp) => k.events('default', 'grpc-ref').some((e) => re.test(e.message));
    await k.apply(
      parseManifests(
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'grpc-ref' },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'app',
                image: s.images!.busybox,
                command: ['sleep', '3600'],
                readinessProbe: { grpc: { port: PORT }, periodSeconds: 5, timeoutSeconds: 1 },
              },
            ],
          },
        }),
        '(test)',
      ),
    );
    const running = await k.waitFor('default', 'grpc-ref', (p) => p.status?.phase === 'Running' && !!p.status.podIP, W);
    const ip = running.status!.podIP!;
    // nothing listens yet: the probe cannot connect
    await k.waitFor(
      'default',
      'grpc-ref',
      () => events(new RegExp(`Readiness probe failed: timeout: failed to connect service "${ip.replace(/\./g, '\\.')}:${PORT}" within 1s`)),
      W,
    );
    assert.is(ready(k.get('default', 'grpc-ref')), false);

    // a real gRPC health server in the pod's network namespace
    const sb = (await h.client!.runtime.listPodSandbox({ filter: { labelSelector: { [POD_UID]: running.metadata.uid! } } })).items.find((x) => x.state === 0)!;
    const info = JSON.parse((await h.client!.runtime.podSandboxStatus({ podSandboxId: sb.id, verbose: true })).info.info ?? '{}');
    const netns = info.runtimeSpec?.linux?.namespaces?.find((n: { type: string }) => n.type === 'network')?.path as string;
    assert.ok(netns, 'the sandbox has a network namespace path');
    const flag = join(dir, 'not-serving');
    server = spawn(
      'nsenter',
      [`--net=${netns}`, process.execPath, '--import', 'tsx', join(triadRoot(), 'test/reference/grpc-health-server.ts'), String(PORT), flag],
      { cwd: triadRoot(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    server.stdout!.on('data', (d) => {
      out += d;
    });
    server.stderr!.on('data', (d) => {
      out += d;
    });
    const withServer = (e: unknown) => {
      throw new Error(`${(e as Error).message}; server: ${out}`);
    };
    const p = await k.waitFor('default', 'grpc-ref', (x) => ready(x), W).catch(withServer);
    assert.is(p.status!.containerStatuses[0].ready, true);
    writeFileSync(flag, '');
    await k.waitFor('default', 'grpc-ref', (x) => !ready(x), W).catch(withServer);
    assert.ok(events(/Readiness probe failed: service unhealthy \(responded with "NOT_SERVING"\)/), "kubelet's event for NOT_SERVING");
    assert.is(k.get('default', 'grpc-ref').status!.containerStatuses[0].ready, false);
    await k.delete('default', 'grpc-ref', 0);
  } finally {
    if (server?.pid && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      const t = setTimeout(() => server!.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    await node?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
