// The interposer in front of a node's gRPC plugins, from triad.yaml's `faults:` (real plugins)
// and `record:` (any): one proxy socket per upstream endpoint, under the node's socket dir; for
// CNI the shim folder in front of the plugin folders.
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { confFiles, loadConfFile } from '../interfaces/cni/index.js';
import { parseEndpoint } from '../interfaces/endpoint.js';
import { conflistTypes, installCniShim } from '../interfaces/interposer/cni-shim.js';
import { startProxy, type RunningProxy } from '../interfaces/interposer/proxy.js';
import { isPrivateContainerd, type Interpose, type TriadConfig } from './config/config.js';

/**
 * Start a proxy in front of `upstream` named `name` (a file-name-safe label); returns the endpoint
 * clients should use instead, and registers its close.
 */
export async function interposeGrpc(name: string, upstream: string, how: Interpose, sockDir: string, closers: Array<() => Promise<unknown>>): Promise<RunningProxy> {
  parseEndpoint(upstream); // a bad endpoint is reported as such, not as a proxy failure
  const p = await startProxy({ listen: join(sockDir, `interpose-${name.replace(/[^A-Za-z0-9._-]/g, '_')}.sock`), upstream, rules: how.rules, record: how.record });
  closers.push(() => p.close());
  return p;
}

/**
 * `network.faults`/`record` with network.type cni: the CNI shim for every plugin type of the
 * network's config list, in a folder put first in binDirs, so whoever runs the network (the
 * memory runtime, a private containerd) runs the shims, and they the real plugins. Returns the
 * config to start the node with.
 */
export function interposeCni(cfg: TriadConfig, closers: Array<() => Promise<unknown>>): TriadConfig {
  const net = cfg.network;
  if (!net.interpose || net.type !== 'cni') return cfg;
  if (cfg.runtime.type !== 'memory' && !isPrivateContainerd(cfg.runtime)) {
    throw new Error(`${cfg.source}: network.faults / network.record: the runtime at ${cfg.runtime.endpoint} runs CNI from its own configuration, out of triad's reach; use the memory runtime or a private containerd (runtime.type containerd without endpoint)`);
  }
  let src = net.config!;
  if (existsSync(src) && statSync(src).isDirectory()) {
    const files = confFiles(src);
    if (!files.length) throw new Error(`${cfg.source}: network.config: no .conf, .conflist or .json file in ${src}`);
    src = files[0];
  }
  let types: string[];
  try { types = conflistTypes(loadConfFile(src)); } catch (err) { throw new Error(`${cfg.source}: network.config: ${(err as Error).message}`); }
  const shimDir = join(cfg.kubelet.stateDir, 'cni-shim');
  try {
    installCniShim(shimDir, types, { realDirs: net.binDirs, rules: net.interpose.rules, record: net.interpose.record });
  } catch (err) {
    throw new Error(`${cfg.source}: network: cannot put the CNI shim in front: ${(err as Error).message}`);
  }
  closers.push(async () => rmSync(shimDir, { recursive: true, force: true }));
  return { ...cfg, network: { ...net, binDirs: [shimDir, ...net.binDirs] } };
}
