// The floor: the pod-start RPC sequence the harness issues, sent directly with the generated gRPC
// clients (CriClient) on one warm connection — RunPodSandbox, PodSandboxStatus, ImageStatus
// (+ PullImage and ImageStatus when absent), CreateContainer, StartContainer — with configs built
// before timing. Nothing a kubelet does besides the calls (and creating the pod's log directory,
// which the runtime expects to exist): this is as fast as any CRI client can be.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriClient } from '../../interfaces/cri/client.js';
import { invokeMemoryCni, MEMORY_CNI_TYPE } from '../../plugins/memory-cni/index.js';
import { serveMemoryCri, type RunningMemoryCri } from '../../plugins/memory-cri/index.js';
import { breakdown, countCalls, pool, total, type Driver } from './driver.js';
import type { PodPlan } from './pods.js';

export interface FloorOptions {
  /** An existing CRI endpoint (containerd); default: serve a memory-cri with the in-memory CNI. */
  endpoint?: string;
  rpcTimeoutMs?: number;
}

export class FloorDriver implements Driver {
  readonly name = 'floor';
  readonly cri: CriClient;
  private readonly counts = new Map<string, number>();
  private readonly ids = new Map<string, { sandbox: string; container?: string }>();

  /** What the runtime reports in RuntimeConfig (kubelet sends cgroup parents to match). */
  cgroupDriver: 'systemd' | 'cgroupfs' = 'cgroupfs';

  private constructor(
    cri: CriClient,
    private readonly dispose: () => Promise<void>,
    readonly dir: string,
  ) {
    this.cri = cri;
    this.rawVersion = cri.runtime.version;
    countCalls(cri.runtime, this.counts);
    countCalls(cri.image, this.counts);
  }

  /** A memory-cri on a unix socket with the same in-memory CNI network startNode sets up; or a given endpoint. */
  static async create(opts: FloorOptions = {}): Promise<FloorDriver> {
    const dir = mkdtempSync(join(tmpdir(), 'triad-bench-floor-'));
    let served: RunningMemoryCri | undefined;
    try {
      let endpoint = opts.endpoint;
      if (!endpoint) {
        const netDir = join(dir, 'network');
        mkdirSync(netDir, { recursive: true });
        const conflist = {
          cniVersion: '1.1.0',
          name: 'triad-memory',
          plugins: [{ type: MEMORY_CNI_TYPE, subnet: '10.89.0.0/16', dataDir: join(netDir, 'ipam') }],
        };
        writeFileSync(join(netDir, '10-triad-memory.conflist'), JSON.stringify(conflist, null, 2));
        served = await serveMemoryCri({
          endpoint: join(dir, 'memory-cri.sock'),
          stateDir: join(dir, 'memory-cri'),
          network: {
            type: 'cni',
            config: join(netDir, '10-triad-memory.conflist'),
            binDirs: [netDir],
            cacheDir: join(netDir, 'cache'),
            inProcess: { [MEMORY_CNI_TYPE]: invokeMemoryCni },
          },
        });
        endpoint = served.endpoint;
      }
      const cri = new CriClient(endpoint, { timeoutMs: opts.rpcTimeoutMs ?? 120_000 });
      await cri.waitForReady(10_000);
      await cri.runtime.version({ version: 'v1' }); // warm the connection
      const rc = await cri.runtime.runtimeConfig({}).catch(() => undefined);
      const s = served;
      const d = new FloorDriver(
        cri,
        async () => {
          cri.close();
          await s?.close();
          rmSync(dir, { recursive: true, force: true });
        },
        dir,
      );
      if (rc?.linux?.cgroupDriver === 0) d.cgroupDriver = 'systemd';
      return d;
    } catch (err) {
      await served?.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get logRoot(): string {
    return join(this.dir, 'logs');
  }

  async start(p: PodPlan): Promise<void> {
    const rt = this.cri.runtime;
    mkdirSync(p.sandboxConfig.logDirectory!, { recursive: true });
    const { podSandboxId } = await rt.runPodSandbox({ config: p.sandboxConfig });
    this.ids.set(p.uid, { sandbox: podSandboxId });
    await rt.podSandboxStatus({ podSandboxId, verbose: true });
    let st = await this.cri.image.imageStatus({ image: { image: p.image } });
    if (!st.image?.id) {
      const res = await this.cri.image.pullImage({ image: { image: p.image }, sandboxConfig: p.sandboxConfig });
      st = await this.cri.image.imageStatus({ image: { image: res.imageRef } });
    }
    const ref = st.image?.id ?? p.image;
    const { containerId } = await rt.createContainer({
      podSandboxId,
      config: { ...p.containerConfig, image: { image: ref, userSpecifiedImage: p.image } },
      sandboxConfig: p.sandboxConfig,
    });
    this.ids.get(p.uid)!.container = containerId;
    await rt.startContainer({ containerId });
  }

  async cleanup(pods: PodPlan[]): Promise<void> {
    const rt = this.cri.runtime;
    await pool(pods, 16, async (p) => {
      const id = this.ids.get(p.uid);
      if (!id) return;
      if (id.container) {
        await rt.stopContainer({ containerId: id.container, timeout: 0n }).catch(() => undefined);
        await rt.removeContainer({ containerId: id.container }).catch(() => undefined);
      }
      await rt.stopPodSandbox({ podSandboxId: id.sandbox }).catch(() => undefined);
      await rt.removePodSandbox({ podSandboxId: id.sandbox }).catch(() => undefined);
      this.ids.delete(p.uid);
    });
  }

  /** One empty RPC (Version), uncounted: the transport's floor under the floor. */
  readonly version = () => this.rawVersion({ version: 'v1' });
  private rawVersion!: (req: { version: string }) => Promise<unknown>;

  rpcs(): number {
    return total(this.counts);
  }
  rpcBreakdown(): Record<string, number> {
    return breakdown(this.counts);
  }
  /** Forget the counts (cleanup calls are not part of a start). */
  resetCounts(): void {
    this.counts.clear();
  }

  close(): Promise<void> {
    return this.dispose();
  }
}
