// The local registry: Debian's docker-registry (distribution 2.8) on 127.0.0.1:PORT with its
// storage under the stack's state dir, started detached with its PID recorded; ready when
// GET /v2/ answers 200.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { logTail, pidAlive, startDaemon, stopPid, waitFor, which, type StopOutcome } from '../reference/proc.js';

export const REGISTRY_BINARY = 'docker-registry';

export interface RegistryOptions {
  /** Directory for config.yml, data/ and registry.log. */
  dir: string;
  port: number;
  binary?: string;
  timeoutMs?: number;
}

export interface RegistryInstance {
  pid: number;
  port: number;
  /** host:port, the image reference prefix. */
  host: string;
  url: string;
  config: string;
  root: string;
  log: string;
}

export function registryConfigYaml(root: string, port: number): string {
  return [
    '# docker-registry config written by triad (plugins/images/registry.ts)',
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(root)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    'health:',
    '  storagedriver:',
    '    enabled: false',
    '',
  ].join('\n');
}

/** True when nothing listens on 127.0.0.1:port. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '127.0.0.1', port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

export async function registryReady(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/v2/`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

export async function startRegistry(opts: RegistryOptions): Promise<RegistryInstance> {
  const bin = opts.binary ?? which(REGISTRY_BINARY);
  if (!bin) throw new Error(`${REGISTRY_BINARY} not found (apt-get install docker-registry)`);
  if (!(await portFree(opts.port))) throw new Error(`127.0.0.1:${opts.port} is already in use: pick another --registry-port`);
  const root = join(opts.dir, 'data');
  const config = join(opts.dir, 'config.yml');
  const log = join(opts.dir, 'registry.log');
  mkdirSync(root, { recursive: true });
  writeFileSync(config, registryConfigYaml(root, opts.port));
  const d = startDaemon(bin, ['serve', config], { log, cwd: opts.dir });
  const inst: RegistryInstance = { pid: d.pid, port: opts.port, host: `127.0.0.1:${opts.port}`, url: `http://127.0.0.1:${opts.port}`, config, root, log };
  try {
    await waitFor(`registry on 127.0.0.1:${opts.port}`, () => registryReady(opts.port), {
      timeoutMs: opts.timeoutMs ?? 15_000,
      abort: () => (d.exited() ? `docker-registry exited (${JSON.stringify(d.exited())}):\n${logTail(log)}` : undefined),
    });
  } catch (err) {
    await stopPid(d.pid, { match: REGISTRY_BINARY });
    throw err;
  }
  return inst;
}

export function registryAlive(pid: number | undefined): boolean {
  return pidAlive(pid, REGISTRY_BINARY);
}

export function stopRegistry(pid: number | undefined): Promise<StopOutcome> {
  return stopPid(pid, { match: REGISTRY_BINARY, timeoutMs: 5000 });
}
