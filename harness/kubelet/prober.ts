// Probes, as kubelet's prober workers: one loop per (container, probe kind) with the probe's
// period, initial delay, timeout and thresholds. exec runs through ExecSync; httpGet, tcpSocket
// and grpc (grpc.health.v1 Check, grpc-probe.ts) connect to the pod. Results go to the pod worker, which restarts or marks ready.
import { connect } from 'node:net';
import type { Container, Probe } from '../api/types.js';
import { grpcProbe, PROBE_USER_AGENT } from './grpc-probe.js';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';
export type ProbeOutcome = { ok: boolean; message: string };

export interface ProbeTarget {
  exec(cmd: string[], timeoutS: number): Promise<{ exitCode: number; output: string }>;
  /** host:port to dial for a container port (the pod IP, or a runtime-advertised forward). */
  address(port: number, host?: string): Promise<{ host: string; port: number }>;
  /** False while there is nothing to probe (container not running, pod stopping): the tick dials nothing. */
  live?(): boolean;
}

export function resolvePort(c: Container, port: number | string): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = c.ports?.find((x) => x.name === port);
  if (!p) throw new Error(`named port ${JSON.stringify(port)} not found on container ${c.name}`);
  return p.containerPort;
}

export async function runProbe(p: Probe, c: Container, target: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutS = p.timeoutSeconds ?? 1;
  try {
    if (p.exec) {
      const r = await target.exec(p.exec.command, timeoutS);
      return {
        ok: r.exitCode === 0,
        message: r.exitCode === 0 ? 'ok' : `command ${JSON.stringify(p.exec.command)} exited with ${r.exitCode}: ${r.output.trim()}`,
      };
    }
    if (p.httpGet) {
      const port = resolvePort(c, p.httpGet.port);
      const a = await target.address(port, p.httpGet.host);
      const scheme = (p.httpGet.scheme ?? 'HTTP').toLowerCase();
      const path = p.httpGet.path ?? '/';
      const url = `${scheme}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}${path.startsWith('/') ? path : '/' + path}`;
      const headers: Record<string, string> = { 'User-Agent': PROBE_USER_AGENT, Accept: '*/*' };
      for (const h of p.httpGet.httpHeaders ?? []) headers[h.name] = h.value;
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutS * 1000), redirect: 'manual' });
      await res.arrayBuffer().catch(() => undefined);
      const ok = res.status >= 200 && res.status < 400;
      return { ok, message: ok ? `HTTP ${res.status}` : `HTTP probe failed with statuscode: ${res.status}` };
    }
    if (p.tcpSocket) {
      const port = resolvePort(c, p.tcpSocket.port);
      const a = await target.address(port, p.tcpSocket.host);
      await new Promise<void>((resolve, reject) => {
        const s = connect({ host: a.host, port: a.port });
        const t = setTimeout(() => {
          s.destroy();
          reject(new Error(`dial tcp ${a.host}:${a.port}: i/o timeout`));
        }, timeoutS * 1000);
        s.once('connect', () => {
          clearTimeout(t);
          s.destroy();
          resolve();
        });
        s.once('error', (e) => {
          clearTimeout(t);
          reject(e);
        });
      });
      return { ok: true, message: 'connected' };
    }
    if (p.grpc) {
      // the pod's own address: a gRPC probe has no host field
      const a = await target.address(p.grpc.port);
      return await grpcProbe(a.host, a.port, p.grpc.service ?? '', timeoutS);
    }
    return { ok: false, message: 'probe has no handler' };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

/** One probe loop. Calls onChange when the thresholded result flips (or on every failure verdict). */
export class ProbeWorker {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  /** The thresholded result: undefined until decided. */
  result?: boolean;

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: Probe,
    private readonly container: Container,
    private readonly target: ProbeTarget,
    private readonly onResult: (kind: ProbeKind, ok: boolean, message: string) => void,
    private readonly periodScale = 1,
  ) {}

  start(): void {
    const delay = (this.probe.initialDelaySeconds ?? 0) * 1000 * this.periodScale;
    this.timer = setTimeout(() => this.tick(), delay);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.target.live && !this.target.live()) {
      this.timer = setTimeout(() => this.tick(), (this.probe.periodSeconds ?? 10) * 1000 * this.periodScale);
      return;
    }
    const out = await runProbe(this.probe, this.container, this.target);
    if (this.stopped) return;
    if (out.ok) {
      this.successes++;
      this.failures = 0;
    } else {
      this.failures++;
      this.successes = 0;
    }
    const successThreshold = this.probe.successThreshold ?? 1;
    const failureThreshold = this.probe.failureThreshold ?? 3;
    if (out.ok && this.successes >= successThreshold && this.result !== true) {
      this.result = true;
      this.onResult(this.kind, true, out.message);
    } else if (!out.ok && this.failures >= failureThreshold && (this.result !== false || this.kind !== 'readiness')) {
      this.result = false;
      this.failures = 0;
      this.onResult(this.kind, false, out.message);
    }
    if (this.kind === 'startup' && this.result === true) return; // startup probes stop once passed
    this.timer = setTimeout(() => this.tick(), (this.probe.periodSeconds ?? 10) * 1000 * this.periodScale);
  }
}
