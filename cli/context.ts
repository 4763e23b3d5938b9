// What every CLI command shares: the config file, the state dir, and the running kubelet.
import type { Command } from 'commander';
import { loadConfig, type TriadConfig } from '../harness/config/config.js';
import { ControlClient } from '../harness/control/client.js';

export interface CommonOptions {
  config?: string;
  namespace?: string;
}

export function addCommon(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'triad.yaml naming the plugins (default: all in-memory)', process.env.TRIAD_CONFIG)
    .option('-n, --namespace <ns>', 'namespace', 'default');
}

export function config(opts: CommonOptions): TriadConfig {
  return loadConfig(opts.config);
}

/** The running `triad kubelet` for this config's state dir, or a clear error. */
export async function kubeletClient(opts: CommonOptions): Promise<ControlClient> {
  const cfg = config(opts);
  const c = await ControlClient.find(cfg.kubelet.stateDir);
  if (!c) {
    throw new Error(
      `no triad kubelet is running for state dir ${cfg.kubelet.stateDir} (start one with \`triad kubelet${opts.config ? ' --config ' + opts.config : ''}\`, or use \`triad run\`)`,
    );
  }
  return c;
}

/** "pod/name", "pods/name" or "name" → name (kubectl accepts all three). */
export function podName(arg: string): string {
  const m = arg.match(/^(?:pods?|po)\/(.+)$/);
  return m ? m[1] : arg;
}
