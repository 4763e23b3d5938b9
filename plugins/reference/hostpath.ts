// The reference stack's storage: the hostPath CSI driver (plugins/hostpath) as a daemon of its
// own — a detached child process running `triad serve hostpath-csi`, PID in stack.json — so it
// outlives the `triad reference up` that started it, like containerd and the registry.
//
// Which code the daemon runs: the SAME code as the caller. When this module runs compiled (from
// dist/, i.e. the `triad` CLI), the daemon is `node <repo>/dist/cli/main.js serve …`;
// when it runs from source through tsx (tests, `node --import tsx`), the daemon is
// `node --import <tsx> <repo>/cli/main.ts serve …`. So a stale dist/ never serves a
// stack started from source, and the CLI never needs tsx at run time.
//
// Stopping (reference down): SIGTERM by PID (the daemon closes its socket; volumes stay), SIGKILL
// after a grace period, then `destroy` semantics from this process: a HostpathDriver on the same
// root unmounts every target and staging path recorded in its state.json, anything still
// mounted under the root, and empties the root.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CsiClient } from '../../interfaces/csi/client.js';
import { DEFAULT_DRIVER_NAME, HostpathDriver } from '../hostpath/index.js';
import { logTail, pidAlive, startDaemon, stopPid, waitFor, type StopOutcome } from './proc.js';

export const HOSTPATH_NODE_ID = 'triad-node';

export interface HostpathDaemon {
  pid: number;
  /** unix:///…/csi.sock */
  endpoint: string;
  socket: string;
  root: string;
  nodeId: string;
  name: string;
  log: string;
  /** argv the daemon was started with (for `status` and debugging). */
  command: string[];
}

const here = dirname(fileURLToPath(import.meta.url));
/** Compiled: dist/plugins/reference/hostpath.js with no .ts beside it. */
const compiled = existsSync(join(here, 'hostpath.js')) && !existsSync(join(here, 'hostpath.ts'));
const repoRoot = resolve(here, compiled ? '../../..' : '../..');

/** [node, ...args] that runs the triad CLI the way this process runs its code (see the header). */
export function triadCliCommand(): string[] {
  if (compiled) {
    const main = join(repoRoot, 'dist', 'cli', 'main.js');
    if (!existsSync(main)) throw new Error(`${main} not found (run npm run build)`);
    return [process.execPath, main];
  }
  const main = join(repoRoot, 'cli', 'main.ts');
  const tsx = pathToFileURL(createRequire(join(repoRoot, 'package.json')).resolve('tsx')).href;
  return [process.execPath, '--import', tsx, main];
}

export function hostpathPaths(dir: string): { dir: string; socket: string; root: string; log: string } {
  return { dir, socket: join(dir, 'csi.sock'), root: join(dir, 'root'), log: join(dir, 'hostpath.log') };
}

async function probe(endpoint: string, name: string, timeoutMs = 3000): Promise<string> {
  const c = new CsiClient(endpoint, { timeoutMs });
  try {
    await c.waitForReady(timeoutMs);
    const info = await c.identity.getPluginInfo({});
    if (info.name !== name) throw new Error(`driver at ${endpoint} calls itself ${info.name}, expected ${name}`);
    const p = await c.identity.probe({});
    if (p.ready === false) throw new Error('Probe: not ready');
    return `${info.name} ${info.vendorVersion}`;
  } finally {
    c.close();
  }
}

/** Start the daemon under `dir` and wait until Probe answers ready. */
export async function startHostpathDaemon(dir: string, opts: { nodeId?: string; name?: string; timeoutMs?: number } = {}): Promise<HostpathDaemon> {
  const p = hostpathPaths(dir);
  const nodeId = opts.nodeId ?? HOSTPATH_NODE_ID;
  const name = opts.name ?? DEFAULT_DRIVER_NAME;
  mkdirSync(p.root, { recursive: true });
  rmSync(p.socket, { force: true });
  const [node, ...args] = triadCliCommand();
  const argv = [...args, 'serve', 'hostpath-csi', '--socket', p.socket, '--root', p.root, '--node-id', nodeId, '--name', name];
  const d = startDaemon(node, argv, { log: p.log, cwd: p.dir });
  const daemon: HostpathDaemon = {
    pid: d.pid,
    endpoint: `unix://${p.socket}`,
    socket: p.socket,
    root: p.root,
    nodeId,
    name,
    log: p.log,
    command: [node, ...argv],
  };
  try {
    await waitFor(
      `hostpath CSI driver at ${daemon.endpoint}`,
      async () => {
        await probe(daemon.endpoint, name, 1000);
        return true;
      },
      {
        timeoutMs: opts.timeoutMs ?? 30_000,
        intervalMs: 100,
        abort: () => (d.exited() ? `exited (${JSON.stringify(d.exited())}):\n${logTail(p.log)}` : undefined),
      },
    );
  } catch (err) {
    await stopPid(d.pid, { match: p.socket, timeoutMs: 3000 }).catch(() => undefined);
    throw new Error(`${(err as Error).message}\n--- ${p.log} ---\n${logTail(p.log)}`);
  }
  return daemon;
}

export function hostpathAlive(h: Pick<HostpathDaemon, 'pid' | 'socket'>): boolean {
  return pidAlive(h.pid, h.socket);
}

/** Health for `reference status`: the PID is the daemon, and Identity answers with Probe ready. */
export async function hostpathStatus(h: HostpathDaemon): Promise<{ ok: boolean; detail: string }> {
  if (!hostpathAlive(h)) return { ok: false, detail: `pid ${h.pid} not running` };
  try {
    const what = await probe(h.endpoint, h.name);
    return { ok: true, detail: `pid ${h.pid}, ${what} at ${h.endpoint}, Probe ready, root ${h.root}` };
  } catch (err) {
    return { ok: false, detail: `pid ${h.pid} running but CSI fails: ${(err as Error).message}` };
  }
}

export interface HostpathStopReport {
  daemon: StopOutcome;
  destroyed: boolean;
  error?: string;
}

/**
 * Stop the daemon of `dir` by PID (the recorded one, and the one its root's driver.pid names if
 * that process serves this root), then destroy: unmount everything it mounted, empty the root.
 * Safe when nothing runs or nothing exists.
 */
export async function stopHostpathDaemon(dir: string, pid?: number): Promise<HostpathStopReport> {
  const p = hostpathPaths(dir);
  const report: HostpathStopReport = { daemon: 'not-running', destroyed: false };
  report.daemon = await stopPid(pid, { match: p.socket, timeoutMs: 10_000 });
  // a daemon whose PID did not make it into stack.json (a crash during up): its root names it
  let owner = NaN;
  try {
    owner = Number(readFileSync(join(p.root, 'driver.pid'), 'utf8').trim());
  } catch {
    /* none */
  }
  if (Number.isInteger(owner) && owner > 0 && owner !== pid && owner !== process.pid) {
    const r = await stopPid(owner, { match: p.root, timeoutMs: 10_000 });
    if (r !== 'not-running') report.daemon = r;
  }
  if (existsSync(p.root)) {
    try {
      const driver = new HostpathDriver({ root: p.root, nodeId: HOSTPATH_NODE_ID });
      await driver.destroy();
      report.destroyed = true;
    } catch (err) {
      report.error = (err as Error).message;
    }
  }
  rmSync(p.socket, { force: true });
  return report;
}
