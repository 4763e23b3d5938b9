// Endpoint strings as the ecosystem writes them (crictl, kubelet, csi-sanity):
//   unix:///run/x.sock   unix:/run/x.sock   /run/x.sock   ./x.sock   host:port   dns:///host:port
import { isAbsolute, resolve } from 'node:path';

export type Endpoint =
  { kind: 'unix'; path: string; target: string; display: string } | { kind: 'tcp'; host: string; port: number; target: string; display: string };

export class EndpointError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid endpoint ${JSON.stringify(input)}: ${reason} (expected unix:///path, unix:/path, a socket path, or host:port)`);
    this.name = 'EndpointError';
  }
}

export function parseEndpoint(input: string): Endpoint {
  const raw = (input ?? '').trim();
  if (!raw) throw new EndpointError(input, 'empty');
  if (raw.startsWith('unix:')) {
    // unix:///abs, unix://abs (tolerated), unix:/abs, unix:rel
    let path = raw.slice('unix:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (!path) throw new EndpointError(input, 'no socket path after unix:');
    return unix(resolve(path));
  }
  if (raw.startsWith('dns:')) {
    const rest = raw.replace(/^dns:(\/\/[^/]*\/)?/, '');
    return tcp(input, rest);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    throw new EndpointError(input, `unsupported scheme ${raw.split(':')[0]}`);
  }
  if (isAbsolute(raw) || raw.startsWith('./') || raw.startsWith('../') || raw.endsWith('.sock')) return unix(resolve(raw));
  return tcp(input, raw);
}

function unix(path: string): Endpoint {
  return { kind: 'unix', path, target: `unix:${path}`, display: `unix://${path}` };
}

function tcp(input: string, hostPort: string): Endpoint {
  const m = hostPort.match(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d+)$/);
  if (!m) throw new EndpointError(input, 'not a socket path and not host:port');
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new EndpointError(input, `port ${port} out of range 1-65535`);
  const host = m[1] || 'localhost';
  return { kind: 'tcp', host, port, target: `${host}:${port}`, display: `${host}:${port}` };
}
