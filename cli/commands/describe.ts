// triad describe pod NAME
import type { Command } from 'commander';
import { describePod } from '../../harness/output/index.js';
import { addCommon, kubeletClient, podName, type CommonOptions } from '../context.js';

export function register(program: Command): void {
  addCommon(
    program
      .command('describe')
      .description('show a pod in detail: spec summary, container states, conditions, volumes, events')
      .argument('<resource>', 'pod, or pod/NAME')
      .argument('[name]'),
  ).action(async (resource: string, name: string | undefined, opts: CommonOptions) => {
    const n = name ?? (resource.includes('/') ? podName(resource) : undefined);
    if (!n) throw new Error('usage: triad describe pod NAME');
    const c = await kubeletClient(opts);
    const [pod, events] = await Promise.all([c.pod(opts.namespace!, n), c.events(opts.namespace!, n)]);
    process.stdout.write(describePod(pod, events));
  });
}
