// triad delete pod NAME | -f FILE
import type { Command } from 'commander';
import { loadManifests } from '../../harness/manifest/index.js';
import { addCommon, kubeletClient, podName, type CommonOptions } from '../context.js';

export function register(program: Command): void {
  addCommon(
    program
      .command('delete')
      .description('delete pods (full teardown: preStop, stop, sandbox, volumes) or claims')
      .argument('[resource]', 'pod | pvc')
      .argument('[names...]')
      .option('-f, --filename <file...>', 'delete what these manifests define')
      .option('--grace-period <seconds>', 'override terminationGracePeriodSeconds', (v) => Number(v)),
  ).action(async (resource: string | undefined, names: string[], opts: CommonOptions & { filename?: string[]; gracePeriod?: number }) => {
    const c = await kubeletClient(opts);
    const targets: { kind: 'Pod' | 'PersistentVolumeClaim'; ns: string; name: string }[] = [];
    if (opts.filename) {
      for (const m of loadManifests(opts.filename)) targets.push({ kind: m.kind, ns: m.metadata.namespace ?? opts.namespace!, name: m.metadata.name });
    } else {
      if (!resource) throw new Error('usage: triad delete pod NAME... | triad delete -f FILE');
      const kind = ['pod', 'pods', 'po'].includes(resource)
        ? 'Pod'
        : ['pvc', 'persistentvolumeclaim', 'persistentvolumeclaims'].includes(resource)
          ? 'PersistentVolumeClaim'
          : undefined;
      if (!kind && resource.includes('/')) names = [resource, ...names];
      for (const n of names) targets.push({ kind: kind ?? 'Pod', ns: opts.namespace!, name: podName(n) });
      if (targets.length === 0) throw new Error('no names given');
    }
    // pods first: a claim cannot go while a pod uses it
    for (const t of targets.filter((x) => x.kind === 'Pod')) {
      await c.delete(t.ns, t.name, opts.gracePeriod);
      console.log(`pod "${t.name}" deleted`);
    }
    for (const t of targets.filter((x) => x.kind !== 'Pod')) {
      await c.deleteClaim(t.ns, t.name);
      console.log(`persistentvolumeclaim "${t.name}" deleted`);
    }
  });
}
