// Client of a running `triad kubelet`'s control API (see ./server.ts).
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Manifest, PersistentVolumeClaim, Pod, PodEvent, PodTimeline } from '../api/types.js';

export const controlSocket = (stateDir: string) => join(stateDir, 'triad.sock');

export class ControlClient {
  constructor(readonly socketPath: string) {}

  /** A client if a kubelet answers on this state dir's socket, else undefined. */
  static async find(stateDir: string): Promise<ControlClient | undefined> {
    const p = controlSocket(stateDir);
    if (!existsSync(p)) return undefined;
    const c = new ControlClient(p);
    try {
      await c.call('GET', '/v1/pods');
      return c;
    } catch {
      return undefined;
    }
  }

  call<T>(method: string, path: string, payload?: unknown, onChunk?: (s: string) => void): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.socketPath, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (onChunk && res.statusCode === 200) onChunk(d);
          else text += d;
        });
        res.on('end', () => {
          if ((res.statusCode ?? 500) >= 300) {
            let msg = text;
            try {
              msg = (JSON.parse(text) as { error: string }).error;
            } catch {
              /* plain text */
            }
            return reject(new Error(msg));
          }
          if (onChunk) return resolve(undefined as T);
          const type = res.headers['content-type'] ?? '';
          resolve((type.includes('json') ? JSON.parse(text) : text) as T);
        });
      });
      req.on('error', reject);
      if (payload !== undefined) req.write(JSON.stringify(payload));
      req.end();
    });
  }

  pods(namespace?: string) {
    return this.call<Pod[]>('GET', `/v1/pods${namespace ? `?namespace=${encodeURIComponent(namespace)}` : ''}`);
  }
  pod(ns: string, name: string) {
    return this.call<Pod>('GET', `/v1/namespaces/${ns}/pods/${name}`);
  }
  events(ns: string, name: string) {
    return this.call<PodEvent[]>('GET', `/v1/namespaces/${ns}/pods/${name}/events`);
  }
  timeline(ns: string, name: string) {
    return this.call<PodTimeline>('GET', `/v1/namespaces/${ns}/pods/${name}/timeline`);
  }
  claims() {
    return this.call<PersistentVolumeClaim[]>('GET', '/v1/claims');
  }
  apply(manifests: Manifest[]) {
    return this.call<{ pods: { namespace: string; name: string }[]; warnings: string[] }>('POST', '/v1/apply', manifests);
  }
  delete(ns: string, name: string, grace?: number) {
    return this.call('DELETE', `/v1/namespaces/${ns}/pods/${name}${grace !== undefined ? `?grace=${grace}` : ''}`);
  }
  deleteClaim(ns: string, name: string) {
    return this.call('DELETE', `/v1/namespaces/${ns}/claims/${name}`);
  }
  /** A streaming session URL (exec, attach, portforward) of the runtime, for this pod. */
  streamUrl(
    ns: string,
    name: string,
    kind: 'exec' | 'attach' | 'portforward',
    o: { container?: string; cmd?: string[]; stdin?: boolean; tty?: boolean; ports?: number[] },
  ) {
    return this.call<{ url: string }>('POST', `/v1/namespaces/${ns}/pods/${name}/${kind}`, o);
  }
  logs(ns: string, name: string, o: { container?: string; previous?: boolean; follow?: boolean }, onChunk?: (s: string) => void) {
    const q = new URLSearchParams();
    if (o.container) q.set('container', o.container);
    if (o.previous) q.set('previous', 'true');
    if (o.follow) q.set('follow', 'true');
    return this.call<string>('GET', `/v1/namespaces/${ns}/pods/${name}/log?${q}`, undefined, onChunk);
  }
}
