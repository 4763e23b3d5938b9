// The harness kubelet's control API: a small JSON-over-HTTP API on a unix socket in the state
// dir, which `triad get/describe/logs/delete/run` use to talk to a running `triad kubelet`.
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createConnection } from 'node:net';
import type { Manifest } from '../api/types.js';
import { followCriLog } from '../kubelet/logs.js';
import { NotFoundError, type Kubelet } from '../kubelet/kubelet.js';
import { validateManifest } from '../manifest/index.js';
import { StreamingRequestError, type StreamRequest } from '../kubelet/streaming.js';

export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, code: number, data: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

export async function serveControl(kubelet: Kubelet, path: string): Promise<ControlServer> {
  if (existsSync(path)) {
    const alive = await new Promise<boolean>((resolve) => {
      const s = createConnection(path);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (alive) throw new Error(`a triad kubelet is already running on ${path}`);
    unlinkSync(path);
  }
  const server: Server = createServer((req, res) => {
    handle(kubelet, req, res).catch((err: Error) => send(res, err instanceof NotFoundError ? 404 : 400, { error: err.message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  chmodSync(path, 0o600);
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          if (existsSync(path)) unlinkSync(path);
          resolve();
        });
      }),
  };
}

async function handle(k: Kubelet, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://triad');
  const parts = url.pathname.split('/').filter(Boolean);
  const m = req.method ?? 'GET';
  // /v1/pods, /v1/claims, /v1/apply
  if (parts[0] !== 'v1') return send(res, 404, { error: `no such path ${url.pathname}` });
  if (m === 'GET' && parts[1] === 'pods' && parts.length === 2) return send(res, 200, k.list(url.searchParams.get('namespace') ?? undefined));
  if (m === 'GET' && parts[1] === 'claims') return send(res, 200, k.claims());
  if (m === 'POST' && parts[1] === 'apply') {
    const manifests = JSON.parse(await body(req)) as Manifest[];
    const warnings = manifests.flatMap((x) => validateManifest(x).warnings);
    const pods = await k.apply(manifests);
    return send(res, 201, { pods: pods.map((p) => ({ namespace: p.metadata.namespace, name: p.metadata.name, uid: p.metadata.uid })), warnings });
  }
  // /v1/namespaces/:ns/pods/:name[/events|/timeline|/log]
  if (parts[1] === 'namespaces' && parts.length >= 5) {
    const [ns, kind, name, sub] = [parts[2], parts[3], parts[4], parts[5]];
    if (kind === 'claims' && m === 'DELETE') {
      await k.deleteClaim(ns, name);
      return send(res, 200, { deleted: name });
    }
    if (kind !== 'pods') return send(res, 404, { error: `unknown resource ${kind}` });
    if (m === 'DELETE' && !sub) {
      const g = url.searchParams.get('grace');
      await k.delete(ns, name, g === null ? undefined : Number(g));
      return send(res, 200, { deleted: name });
    }
    if (m === 'GET' && !sub) return send(res, 200, k.get(ns, name));
    if (m === 'POST' && (sub === 'exec' || sub === 'attach' || sub === 'portforward')) {
      const r = JSON.parse(await body(req)) as Omit<StreamRequest, 'kind'>;
      try {
        return send(res, 200, await k.streamUrl(ns, name, { ...r, kind: sub }));
      } catch (e) {
        if (e instanceof StreamingRequestError) return send(res, e.status, { error: e.message });
        throw e;
      }
    }
    if (m === 'GET' && sub === 'events') return send(res, 200, k.events(ns, name));
    if (m === 'GET' && sub === 'timeline') return send(res, 200, k.timeline(ns, name));
    if (m === 'GET' && sub === 'log') {
      const opts = { container: url.searchParams.get('container') ?? undefined, previous: url.searchParams.get('previous') === 'true' };
      if (url.searchParams.get('follow') !== 'true') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        return void res.end(await k.logs(ns, name, opts));
      }
      const path = await k.logPath(ns, name, opts);
      res.writeHead(200, { 'content-type': 'text/plain' });
      const ac = new AbortController();
      req.on('close', () => ac.abort());
      await followCriLog(path, (t) => res.write(t), ac.signal);
      return void res.end();
    }
  }
  send(res, 404, { error: `no such path ${m} ${url.pathname}` });
}
