// The interposer in front of a node's gRPC plugins, from triad.yaml's `faults:` (real plugins)
// and `record:` (any): one proxy socket per upstream endpoint, under the node's socket dir.
import { join } from 'node:path';
import { parseEndpoint } from '../interfaces/endpoint.js';
import { startProxy } from '../interfaces/interposer/proxy.js';
import type { Interpose } from './config/config.js';

/**
 * Start a proxy in front of `upstream` named `name` (a file-name-safe label); returns the endpoint
 * clients should use instead, and registers its close.
 */
export async function interposeGrpc(name: string, upstream: string, how: Interpose, sockDir: string, closers: Array<() => Promise<unknown>>): Promise<string> {
  parseEndpoint(upstream); // a bad endpoint is reported as such, not as a proxy failure
  const p = await startProxy({ listen: join(sockDir, `interpose-${name.replace(/[^A-Za-z0-9._-]/g, '_')}.sock`), upstream, rules: how.rules, record: how.record });
  closers.push(() => p.close());
  return p.endpoint.display;
}
