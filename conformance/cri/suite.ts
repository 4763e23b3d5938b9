// The CRI conformance suite: connects to a runtime's RuntimeService and ImageService, learns its
// version, makes sure the test images are there, and probes the optional RPCs (an UNIMPLEMENTED
// answer makes the cases that need that RPC not applicable, with the runtime's own words). After
// the cases it lists sandboxes and containers carrying this run's label: any left is a leak.
// Shares the runtime with whoever else uses it: it only ever touches what carries its label.
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriClient } from '../../interfaces/cri/client.js';
import type { ServerStream } from '../../interfaces/grpc/client.js';
import { RpcError } from '../../interfaces/grpc/errors.js';
import type { Suite, SuiteSession } from '../runner/types.js';
import { checkpointCases } from './checkpoint.js';
import { containerCases } from './container.js';
import { eventCases } from './events.js';
import { execCases } from './exec.js';
import { imageCases } from './images.js';
import { CRI_RPCS, DEFAULT_TEST_IMAGES, RUN_LABEL, gone, isUnimplemented, rpcCap, short, type CriEnv, type CriSuiteOptions, type ScratchImage } from './kit.js';
import { logCases } from './logs.js';
import { mountOptionCases } from './mount-options.js';
import { mountCases } from './mounts.js';
import { networkCases } from './network.js';
import { podCheckpointCases } from './pod-checkpoint.js';
import { resourceCases } from './resources.js';
import { runtimeCases } from './runtime.js';
import { sandboxCases } from './sandbox.js';
import { securityCases } from './security.js';
import { statsCases } from './stats.js';
import { streamingCases } from './streaming.js';

export { type CriEnv, type CriSuiteOptions } from './kit.js';

export const criCases = [
  ...runtimeCases,
  ...sandboxCases,
  ...containerCases,
  ...execCases,
  ...logCases,
  ...imageCases,
  ...networkCases,
  ...mountCases,
  ...securityCases,
  ...resourceCases,
  ...statsCases,
  ...eventCases,
  ...checkpointCases,
  ...mountOptionCases,
  ...podCheckpointCases,
  ...streamingCases,
];

const describe = (e: unknown) => (e instanceof RpcError ? `${e.codeName}: ${e.details}` : (e as Error).message);

/**
 * Open a server stream and wait for its first message, its end or its error. A runtime without
 * the RPC answers UNIMPLEMENTED at once, but "at once" can be seconds on a loaded machine, so
 * silence alone proves nothing: after `ms` of it, `barrier` makes a unary call on the same
 * connection, and only a stream still silent after that call came back counts as implemented
 * (GetContainerEvents stays silent until an event happens).
 */
async function probeStream(open: () => ServerStream<unknown>, barrier: () => Promise<unknown>, ms = 500): Promise<void> {
  const s = open();
  let settled = false;
  const first = (async () => {
    try {
      for await (const _ of s) break;
    } finally {
      settled = true;
    }
  })();
  first.catch(() => undefined);
  const quiet = async () => {
    await new Promise((r) => setTimeout(r, ms));
    if (settled) return;
    await barrier().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
  };
  try {
    await Promise.race([first, quiet()]);
    if (settled) await first; // an error (UNIMPLEMENTED, …) is the probe's answer
  } finally {
    s.cancel();
  }
}

export function criSuite(opts: CriSuiteOptions): Suite<CriEnv> {
  return {
    name: 'cri',
    title: 'CRI conformance',
    cases: criCases,
    rpcs: CRI_RPCS,
    async setup(run): Promise<SuiteSession<CriEnv>> {
      const madeWorkDir = !opts.workDir;
      const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), 'triad-cri-'));
      const client = new CriClient(opts.runtimeEndpoint, { imageEndpoint: opts.imageEndpoint, timeoutMs: opts.timeoutMs ?? run.timeoutMs });
      const runSel = { [RUN_LABEL]: run.runId };
      const removeLeftovers = async () => {
        // Whatever a broken cleanup left: stop and remove every sandbox and container of this run.
        const [{ containers }, { items }] = await Promise.all([
          client.runtime.listContainers({ filter: { labelSelector: runSel } }),
          client.runtime.listPodSandbox({ filter: { labelSelector: runSel } }),
        ]);
        for (const c of containers) await gone(client.runtime.removeContainer({ containerId: c.id })).catch(() => undefined);
        for (const s of items) {
          await gone(client.runtime.stopPodSandbox({ podSandboxId: s.id })).catch(() => undefined);
          await gone(client.runtime.removePodSandbox({ podSandboxId: s.id })).catch(() => undefined);
        }
      };
      let scratch: ScratchImage | undefined;
      const teardown = async () => {
        try {
          await removeLeftovers();
        } catch {
          /* the runtime may be gone */
        }
        // The scratch image goes back to how it was found: absent if the suite pulled it.
        if (scratch && !scratch.presentBefore) await client.image.removeImage({ image: { image: scratch.ref } }).catch(() => undefined);
        client.close();
        if (madeWorkDir) rmSync(workDir, { recursive: true, force: true });
      };
      try {
        await client.waitForReady(Math.min(run.timeoutMs, 10_000));
        const version = await client.runtime.version({ version: 'v1' });
        const facts: Record<string, string> = {
          endpoint: client.endpoint,
          runtime: `${version.runtimeName} ${version.runtimeVersion}`,
          runtimeApiVersion: version.runtimeApiVersion,
        };
        if (opts.imageEndpoint) facts.imageEndpoint = opts.imageEndpoint;

        // ---- test images ----
        const images = opts.testImages?.length ? opts.testImages : DEFAULT_TEST_IMAGES;
        const ensure = async (ref: string): Promise<{ id: string; presentBefore: boolean }> => {
          const st = await client.image.imageStatus({ image: { image: ref } });
          if (st.image?.id) return { id: st.image.id, presentBefore: true };
          try {
            await client.image.pullImage({ image: { image: ref } }, { timeoutMs: Math.max(run.timeoutMs, 120_000) });
          } catch (e) {
            throw new Error(
              `test image ${ref} is not on the node and cannot be pulled (${describe(e)}); give images the runtime can pull offline with --test-image`,
            );
          }
          const after = await client.image.imageStatus({ image: { image: ref } });
          if (!after.image?.id) throw new Error(`test image ${ref} was pulled but ImageStatus does not find it`);
          return { id: after.image.id, presentBefore: false };
        };
        const main = await ensure(images[0]);
        facts.testImage = `${images[0]} (${short(main.id)})${main.presentBefore ? '' : ', pulled by the suite'}`;
        let scratchProblem: string | undefined;
        if (images[1]) {
          try {
            const s = await ensure(images[1]);
            if (s.id === main.id)
              scratchProblem = `the second --test-image ${images[1]} is the same image as ${images[0]} (${short(s.id)}): removing it would remove the container image`;
            else scratch = { ref: images[1], ...s };
          } catch (e) {
            scratchProblem = (e as Error).message;
          }
        } else {
          scratchProblem = 'no second --test-image: the image removal cases need an image they may remove and pull again';
        }
        facts.scratchImage = scratch ? `${scratch.ref} (${short(scratch.id)})` : `none: ${scratchProblem}`;

        // ---- optional RPCs ----
        const unknownId = `f00d${'0'.repeat(54)}${run.runId}`.slice(0, 64);
        const caps = new Set<string>();
        const unimplemented = new Map<string, string>();
        const r = client.runtime;
        const barrier = () => r.version({ version: 'v1' });
        const imageBarrier = () => client.image.imageFsInfo({});
        const probes: Array<[string, () => Promise<unknown>]> = [
          ['RuntimeConfig', () => r.runtimeConfig({})],
          ['UpdatePodSandboxResources', () => r.updatePodSandboxResources({ podSandboxId: unknownId })],
          ['CheckpointContainer', () => r.checkpointContainer({ containerId: unknownId, location: join(workDir, 'probe-checkpoint.tar') })],
          // Kubernetes 1.37 (pod checkpoint/restore): older runtimes answer UNIMPLEMENTED.
          ['CheckpointPod', () => r.checkpointPod({ podSandboxId: unknownId, outputPath: join(workDir, 'probe-pod-checkpoint'), containerIds: [unknownId] })],
          ['RestorePod', () => r.restorePod({ checkpointPath: join(workDir, 'probe-no-pod-checkpoint') })],
          ['ListMetricDescriptors', () => r.listMetricDescriptors({})],
          ['ListPodSandboxMetrics', () => r.listPodSandboxMetrics({})],
          ['ContainerStats', () => r.containerStats({ containerId: unknownId })],
          ['ListContainerStats', () => r.listContainerStats({ filter: { labelSelector: runSel } })],
          ['PodSandboxStats', () => r.podSandboxStats({ podSandboxId: unknownId })],
          ['ListPodSandboxStats', () => r.listPodSandboxStats({ filter: { labelSelector: runSel } })],
          ['Exec', () => r.exec({ containerId: unknownId, cmd: ['true'], stdout: true })],
          ['Attach', () => r.attach({ containerId: unknownId, stdout: true })],
          ['PortForward', () => r.portForward({ podSandboxId: unknownId, port: [80] })],
          ['GetContainerEvents', () => probeStream(() => r.getContainerEvents({}), barrier)],
          ['StreamPodSandboxes', () => probeStream(() => r.streamPodSandboxes({ filter: { labelSelector: runSel } }), barrier)],
          ['StreamContainers', () => probeStream(() => r.streamContainers({ filter: { labelSelector: runSel } }), barrier)],
          ['StreamContainerStats', () => probeStream(() => r.streamContainerStats({ filter: { labelSelector: runSel } }), barrier)],
          ['StreamPodSandboxStats', () => probeStream(() => r.streamPodSandboxStats({ filter: { labelSelector: runSel } }), barrier)],
          ['StreamPodSandboxMetrics', () => probeStream(() => r.streamPodSandboxMetrics({}), barrier)],
          ['StreamImages', () => probeStream(() => client.image.streamImages({ filter: { image: { image: images[0] } } }), imageBarrier)],
        ];
        await Promise.all(
          probes.map(async ([rpc, call]) => {
            try {
              await call();
              caps.add(rpcCap(rpc));
            } catch (e) {
              if (isUnimplemented(e)) unimplemented.set(rpc, (e as RpcError).details);
              else caps.add(rpcCap(rpc)); // answered (NOT_FOUND for the unknown id, …): implemented
            }
          }),
        );
        if (unimplemented.size) facts.unimplemented = [...unimplemented.keys()].sort().join(', ');
        const service = (rpc: string) => (rpc === 'StreamImages' ? 'ImageService' : 'RuntimeService');
        const rpcNotes = Object.fromEntries(
          [...unimplemented].map(([rpc, msg]) => [`${service(rpc)}/${rpc}`, `UNIMPLEMENTED at setup (${msg}); its cases are not applicable`]),
        );

        const env: CriEnv = {
          opts,
          client,
          runId: run.runId,
          prefix: run.prefix,
          workDir,
          image: images[0],
          imageId: main.id,
          scratch,
          scratchProblem,
          version,
          capabilities: caps,
          unimplemented,
          nodeHostname: hostname(),
          unknownId,
          has: (c) => caps.has(c),
        };
        return {
          env,
          capabilities: caps,
          facts,
          teardown,
          rpcNotes,
          explain: (c) => {
            const rpc = c.replace(/^cri:/, '');
            const msg = unimplemented.get(rpc);
            return msg !== undefined ? `the runtime answers UNIMPLEMENTED for ${rpc} (optional): ${msg}` : `the runtime lacks ${c}`;
          },
          async leakCheck() {
            const [{ items }, { containers }] = await Promise.all([
              client.runtime.listPodSandbox({ filter: { labelSelector: runSel } }),
              client.runtime.listContainers({ filter: { labelSelector: runSel } }),
            ]);
            return [
              ...items.map((s) => `sandbox ${short(s.id)} (${s.metadata?.name}, ${s.labels['triad.dev/conformance-case'] ?? '?'})`),
              ...containers.map((c) => `container ${short(c.id)} (${c.metadata?.name}, ${c.labels['triad.dev/conformance-case'] ?? '?'})`),
            ];
          },
        };
      } catch (e) {
        await teardown();
        throw e;
      }
    },
  };
}
