// The interposer in front of a node's gRPC plugins, from triad.yaml's `faults:` (real plugins)
// and `record:` (any): one proxy socket per upstream endpoint, under the node's socket dir; for
// CNI the shim folder in front of the plugin folders (or around the memory network's in-process plugin).
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { confFiles, loadConfFile } from '../interfaces/cni/index.js';
import { parseEndpoint } from '../interfaces/endpoint.js';
import { addShimRules, conflistTypes, installCniShim, shimCalls } from '../interfaces/interposer/cni-shim.js';
import type { InterposerRule } from '../interfaces/interposer/rules.js';
import type { TranscriptEntry } from '../interfaces/interposer/transcript.js';
import { startProxy, type RunningProxy } from '../interfaces/interposer/proxy.js';
import { isPrivateContainerd, type Interpose, type TriadConfig } from './config/config.js';

/**
 * Start a proxy in front of `upstream` named `name` (a file-name-safe label); returns the endpoint
 * clients should use instead, and registers its close.
 */
export async function interposeGrpc(
  name: string,
  upstream: string,
  how: Interpose,
  sockDir: string,
  closers: Array<() => Promise<unknown>>,
): Promise<RunningProxy> {
  parseEndpoint(upstream); // a bad endpoint is reported as such, not as a proxy failure
  const p = await startProxy({
    listen: join(sockDir, `interpose-${name.replace(/[^A-Za-z0-9._-]/g, '_')}.sock`),
    upstream,
    rules: how.rules,
    record: how.record,
  });
  closers.push(() => p.close());
  return p;
}

/** The CNI interposer of a node: rules can be added while it runs; its calls are in a transcript. */
export interface CniInterposer {
  /** The shim folder (settings, counts, and the transcript when triad.yaml names none). */
  dir: string;
  /** Add rules after the current ones; returns their removal. */
  addRules(rules: InterposerRule[]): Promise<() => Promise<void>>;
  /** Every CNI call recorded so far (of this node, and of earlier users of a triad.yaml `record:` file). */
  calls(): TranscriptEntry[];
}

/**
 * The CNI shim in front of a network triad runs — network.type cni under the memory runtime or a
 * private containerd (a folder of shims put first in binDirs, so whoever runs the network runs
 * the shims, and they the real plugins), or the memory network (its in-process plugin wrapped,
 * see node.ts) — when triad.yaml's `network.faults`/`record` ask for it, or, with `always`, with
 * no rules (transparent) so a test can add some while the node runs. A network run elsewhere (a
 * containerd behind an endpoint runs CNI from its own configuration) gets no interposer: refused
 * when triad.yaml asks for one, left without one with `always`. Returns the config to start the
 * node with.
 */
export function interposeCni(cfg: TriadConfig, closers: Array<() => Promise<unknown>>, always = false): { cfg: TriadConfig; cni?: CniInterposer } {
  const net = cfg.network;
  if (!net.interpose && !always) return { cfg };
  const triadRunsCni = net.type === 'cni' && (cfg.runtime.type === 'memory' || isPrivateContainerd(cfg.runtime));
  const memoryNetwork = net.type === 'memory' && cfg.runtime.type === 'memory';
  if (!triadRunsCni && !memoryNetwork) {
    if (!net.interpose || net.type !== 'cni') return { cfg };
    throw new Error(
      `${cfg.source}: network.faults / network.record: the runtime at ${cfg.runtime.endpoint} runs CNI from its own configuration, out of triad's reach; use the memory runtime or a private containerd (runtime.type containerd without endpoint)`,
    );
  }
  const shimDir = join(cfg.kubelet.stateDir, 'cni-shim');
  const record = net.interpose?.record ?? join(shimDir, 'calls.jsonl');
  const cni: CniInterposer = { dir: shimDir, addRules: (rules) => addShimRules(shimDir, rules), calls: () => shimCalls(shimDir) };
  if (net.type === 'memory') {
    // the memory network runs in the runtime's process: node.ts wraps its plugin with this folder
    installCniShim(shimDir, [], { realDirs: [], rules: net.interpose?.rules ?? [], record });
    closers.push(async () => rmSync(shimDir, { recursive: true, force: true }));
    return { cfg, cni };
  }
  let src = net.config!;
  if (existsSync(src) && statSync(src).isDirectory()) {
    const files = confFiles(src);
    if (!files.length) throw new Error(`${cfg.source}: network.config: no .conf, .conflist or .json file in ${src}`);
    src = files[0];
  }
  let types: string[];
  try {
    types = conflistTypes(loadConfFile(src));
  } catch (err) {
    throw new Error(`${cfg.source}: network.config: ${(err as Error).message}`);
  }
  try {
    installCniShim(shimDir, types, { realDirs: net.binDirs, rules: net.interpose?.rules ?? [], record });
  } catch (err) {
    throw new Error(`${cfg.source}: network: cannot put the CNI shim in front: ${(err as Error).message}`);
  }
  closers.push(async () => rmSync(shimDir, { recursive: true, force: true }));
  return { cfg: { ...cfg, network: { ...net, binDirs: [shimDir, ...net.binDirs] } }, cni };
}
