// triad's side: an in-process node from startNode, as `triad run` builds it (the memory runtime
// and CNI served on their unix sockets, checkpoints off for an embedded node — or the reference
// stack's containerd), and the harness kubelet applying each pod and waiting until it is settled
// (Running and Ready), the condition `triad run` waits for.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseConfig, type TriadConfig } from '../../harness/config/config.js';
import { Connection, type ServerStream } from '../../interfaces/grpc/client.js';
import { startNode, type Node } from '../../harness/node.js';
import { settled } from '../../harness/kubelet/status.js';
import { breakdown, countCalls, pool, total, type Driver } from './driver.js';
import { NAMESPACE, type PodPlan } from './pods.js';

/**
 * When the kubelet last received a runtime event (GetContainerEvents), for quiesce(). The stream is
 * opened inside startNode, so the bench watches it by wrapping every promise client's
 * getContainerEvents (only the harness kubelet subscribes in the bench process).
 */
export const eventClock = { received: 0, lastAt: 0 };
const service = Connection.prototype.service;
Connection.prototype.service = function patched(this: Connection, def) {
  const client = service.call(this, def) as Record<string, unknown>;
  const sub = client.getContainerEvents as ((...a: unknown[]) => ServerStream<unknown>) | undefined;
  if (typeof sub === 'function') {
    client.getContainerEvents = (...a: unknown[]) => {
      const stream = sub(...a);
      return {
        cancel: () => stream.cancel(),
        async *[Symbol.asyncIterator]() {
          for await (const ev of stream) {
            eventClock.received++;
            eventClock.lastAt = performance.now();
            yield ev;
          }
        },
      };
    };
  }
  return client as never;
} as typeof service;

export interface TriadOptions {
  /** triad.yaml content (e.g. the reference stack's runtime/network); default: all in-memory. */
  raw?: Record<string, unknown>;
  /** How long one pod may take to settle. */
  waitMs?: number;
}

export class TriadDriver implements Driver {
  readonly name = 'triad';
  private readonly counts = new Map<string, number>();

  private constructor(
    readonly node: Node,
    private readonly dir: string,
    private readonly waitMs: number,
  ) {
    countCalls(node.cri.runtime, this.counts);
    countCalls(node.cri.image, this.counts);
  }

  /** A node as `triad run` starts it: triad.yaml's settings, kubelet's defaults (1 s PLEG), a private state dir. */
  static async create(opts: TriadOptions = {}): Promise<TriadDriver> {
    const dir = mkdtempSync(join(tmpdir(), 'triad-bench-node-'));
    try {
      const raw = opts.raw ?? {};
      const cfg: TriadConfig = parseConfig(
        {
          ...raw,
          kubelet: { rpcTimeoutMs: 120_000, ...((raw.kubelet as object) ?? {}), stateDir: dir },
        },
        '(bench)',
      );
      const node = await startNode(cfg);
      return new TriadDriver(node, dir, opts.waitMs ?? 120_000);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get stateDir(): string {
    return this.dir;
  }

  async start(p: PodPlan): Promise<void> {
    const k = this.node.kubelet;
    await k.apply([p.pod]);
    await k.waitFor(NAMESPACE, p.name, settled, this.waitMs);
  }

  /**
   * Wait until the kubelet has caught up with the runtime's event stream (no event for quietMs):
   * the events of the pods just started are work too, and a round that ended before they were
   * handled would push that work into the next one. Resolves with how long after the call the
   * last event came (0 when none was pending): the quiet window itself is not counted.
   */
  async quiesce(quietMs = 25, maxMs = 120_000): Promise<number> {
    const t0 = performance.now();
    while (performance.now() - t0 < maxMs) {
      const seen = eventClock.received;
      await new Promise((r) => setTimeout(r, quietMs));
      if (eventClock.received === seen && performance.now() - eventClock.lastAt >= quietMs) break;
    }
    return Math.max(0, eventClock.lastAt - t0);
  }

  async cleanup(pods: PodPlan[]): Promise<void> {
    await pool(pods, 16, (p) =>
      this.node.kubelet.delete(NAMESPACE, p.name, 0).catch((e: Error) => {
        if (!/not found/.test(e.message)) throw e;
      }),
    );
  }

  rpcs(): number {
    return total(this.counts);
  }
  rpcBreakdown(): Record<string, number> {
    return breakdown(this.counts);
  }

  async close(): Promise<void> {
    const errors = await this.node.close();
    rmSync(this.dir, { recursive: true, force: true });
    if (errors.length) throw new Error(`node teardown: ${errors.map((e) => e.message).join('; ')}`);
  }
}
