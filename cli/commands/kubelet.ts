// triad kubelet — the harness kubelet as a daemon: serves the control API for get/describe/logs/
// delete/run, and (with --manifests) runs the static pods of a directory, following changes.
import type { Command } from 'commander';
import { watch } from 'node:fs';
import { controlSocket } from '../../harness/control/client.js';
import { serveControl } from '../../harness/control/server.js';
import { StaticPods } from '../../harness/kubelet/static-pods.js';
import { startNode } from '../../harness/node.js';
import { addCommon, config, type CommonOptions } from '../context.js';
import { onInterrupt } from '../signals.js';

export function register(program: Command): void {
  addCommon(
    program
      .command('kubelet')
      .description('run the harness kubelet as a daemon (control API on <stateDir>/triad.sock)')
      .option('--manifests <dir>', 'static pod directory to run and watch'),
  ).action(async (opts: CommonOptions & { manifests?: string }) => {
    const cfg = config(opts);
    const node = await startNode(cfg, { log: (m) => console.error(m) });
    const control = await serveControl(node.kubelet, controlSocket(cfg.kubelet.stateDir)).catch(async (e: Error) => {
      await node.close();
      throw e;
    });
    console.error(`triad kubelet ready: runtime ${node.kubelet.runtimeName}, control socket ${control.path}`);
    let statics: StaticPods | undefined;
    let watcher: ReturnType<typeof watch> | undefined;
    if (opts.manifests) {
      statics = new StaticPods(node.kubelet, opts.manifests, (m) => console.error(m));
      await statics.sync();
      watcher = watch(opts.manifests, () => void statics!.sync());
    }
    await new Promise<void>((resolve) => {
      onInterrupt((sig) => {
        console.error(`${sig}: deleting pods and stopping`);
        resolve();
      });
    });
    watcher?.close();
    await control.close();
    const errors = await node.close();
    for (const e of errors) console.error(`teardown: ${e.message}`);
    if (errors.length) process.exitCode = 1;
  });
}
