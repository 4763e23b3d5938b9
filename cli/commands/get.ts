// triad get pods [NAME] [-o wide|json|yaml]
import type { Command } from 'commander';
import { podsJson, podsYaml, podTable } from '../../harness/output/index.js';
import { addCommon, kubeletClient, type CommonOptions } from '../context.js';

export function register(program: Command): void {
  addCommon(
    program
      .command('get')
      .description('list pods as `kubectl get pods` does (NAME READY STATUS RESTARTS AGE IP)')
      .argument('<resource>', 'pods (po, pod)')
      .argument('[name]', 'one pod')
      .option('-o, --output <format>', 'wide | json | yaml')
      .option('-A, --all-namespaces', 'every namespace'),
  ).action(async (resource: string, name: string | undefined, opts: CommonOptions & { output?: string; allNamespaces?: boolean }) => {
    if (!['pods', 'pod', 'po'].includes(resource)) throw new Error(`unknown resource type ${JSON.stringify(resource)} (supported: pods)`);
    const c = await kubeletClient(opts);
    const pods = name ? [await c.pod(opts.namespace!, name)] : await c.pods(opts.allNamespaces ? undefined : opts.namespace);
    const o = opts.output;
    if (o === 'json') process.stdout.write(podsJson(pods, { list: !name }) + '\n');
    else if (o === 'yaml') process.stdout.write(podsYaml(pods, { list: !name }));
    else if (o === undefined || o === 'wide') {
      if (pods.length === 0) console.error(`No resources found in ${opts.allNamespaces ? 'any' : opts.namespace} namespace.`);
      else process.stdout.write(podTable(pods, { wide: o === 'wide' }));
    } else throw new Error(`unknown output format ${JSON.stringify(o)} (wide, json, yaml)`);
  });
}
