// triad logs NAME [-c C] [--previous] [-f]
import type { Command } from 'commander';
import { addCommon, kubeletClient, podName, type CommonOptions } from '../context.js';

export function register(program: Command): void {
  addCommon(
    program
      .command('logs')
      .description("print a container's logs (decoded from the CRI log format)")
      .argument('<pod>', 'pod name (or pod/NAME)')
      .option('-c, --container <name>', 'container (required when the pod has several)')
      .option('-p, --previous', "the previous attempt's logs")
      .option('-f, --follow', 'keep streaming new lines'),
  ).action(async (pod: string, opts: CommonOptions & { container?: string; previous?: boolean; follow?: boolean }) => {
    const c = await kubeletClient(opts);
    const out = await c.logs(opts.namespace!, podName(pod), opts, opts.follow ? (s) => process.stdout.write(s) : undefined);
    if (!opts.follow) process.stdout.write(out);
  });
}
