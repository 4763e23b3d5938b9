// The CRI suite's entry in the registry (conformance/suites.ts): `triad conformance cri` flags,
// how they become a suite, and the suite against memory-cri (with memory-cni in process as its
// pod network) for `triad conformance all`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEndpoint } from '../../interfaces/endpoint.js';
import { invokeMemoryCni, MEMORY_CNI_TYPE } from '../../plugins/memory-cni/index.js';
import { serveMemoryCri } from '../../plugins/memory-cri/index.js';
import { readStack } from '../../plugins/reference/index.js';
import type { RegisteredSuite } from '../suites.js';
import { DEFAULT_TEST_IMAGES } from './kit.js';
import { criCases, criSuite } from './suite.js';

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : typeof v === 'string' ? [v] : [])
    .flatMap((x) => String(x).split(','))
    .map((x) => x.trim())
    .filter(Boolean);

const sameEndpoint = (a: string, b: string) => {
  try {
    return parseEndpoint(a).display === parseEndpoint(b).display;
  } catch {
    return a === b;
  }
};

/** Test images for the in-memory runtime: busybox to run, pause (not the pinned sandbox image 3.10) to remove and pull again. */
export const MEMORY_TEST_IMAGES = DEFAULT_TEST_IMAGES;

export const criRegistration: RegisteredSuite = {
  name: 'cri',
  description:
    'CRI runtime conformance (RuntimeService + ImageService: sandboxes, containers, exec, logs, images, network, mounts, security, resources, stats, events), critest style',
  flags: [
    {
      flags: '--runtime-endpoint <ep>',
      description: 'CRI RuntimeService endpoint (unix:///path, a socket path, or host:port); also $CONTAINER_RUNTIME_ENDPOINT',
    },
    { flags: '--image-endpoint <ep>', description: 'CRI ImageService endpoint, when it is another one; also $IMAGE_SERVICE_ENDPOINT' },
    {
      flags: '--test-image <refs...>',
      description: `images to use: the first runs containers (busybox-like), the second is removed and pulled again by the image cases (default: the reference stack's images when the endpoint is its containerd, else ${DEFAULT_TEST_IMAGES.join(' ')})`,
    },
    {
      flags: '--hostport-address <addr>',
      description: "where pod host ports answer (default: the reference stack's bridge gateway for its containerd, else 127.0.0.1)",
    },
    {
      flags: '--cgroup-parent <path>',
      description: 'cgroupfs parent for the sandboxes (<path>/<pod>), as kubelet sets one; some runtimes need it for sandbox stats',
    },
    { flags: '--work-dir <dir>', description: 'parent of pod log directories and host-path volumes (default: a temp dir)' },
  ],
  cases: () => criCases,
  async prepare(o) {
    const runtimeEndpoint = str(o.runtimeEndpoint) ?? process.env.CONTAINER_RUNTIME_ENDPOINT;
    if (!runtimeEndpoint) throw new Error('--runtime-endpoint is required (or set CONTAINER_RUNTIME_ENDPOINT)');
    const imageEndpoint = str(o.imageEndpoint) ?? (process.env.IMAGE_SERVICE_ENDPOINT || undefined);
    let testImages = list(o.testImage);
    let hostPortAddress = str(o.hostportAddress);
    const stack = readStack();
    if (stack?.containerd && stack.images && sameEndpoint(stack.containerd.endpoint, runtimeEndpoint)) {
      if (!testImages.length) testImages = [stack.images.busybox, stack.images.pause];
      hostPortAddress ??= stack.network.gateway;
    }
    return {
      suite: criSuite({
        runtimeEndpoint,
        imageEndpoint,
        testImages: testImages.length ? testImages : undefined,
        hostPortAddress,
        cgroupParent: str(o.cgroupParent),
        workDir: str(o.workDir),
      }),
      dispose: async () => undefined,
    };
  },
  async inMemory() {
    const dir = mkdtempSync(join(tmpdir(), 'triad-conformance-cri-'));
    try {
      const netDir = join(dir, 'network');
      mkdirSync(netDir, { recursive: true });
      const conflist = join(netDir, '10-triad-memory.conflist');
      writeFileSync(
        conflist,
        JSON.stringify(
          { cniVersion: '1.1.0', name: 'triad-conformance', plugins: [{ type: MEMORY_CNI_TYPE, subnet: '10.124.0.0/16', dataDir: join(netDir, 'ipam') }] },
          null,
          2,
        ),
      );
      const cri = await serveMemoryCri({
        endpoint: join(dir, 'cri.sock'),
        stateDir: join(dir, 'state'),
        network: { type: 'cni', config: conflist, binDirs: [netDir], cacheDir: join(netDir, 'cache'), inProcess: { [MEMORY_CNI_TYPE]: invokeMemoryCni } },
      });
      return {
        suite: criSuite({ runtimeEndpoint: cri.endpoint, testImages: MEMORY_TEST_IMAGES, workDir: join(dir, 'work') }),
        dispose: async () => {
          try {
            await cri.close();
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      };
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  },
};
