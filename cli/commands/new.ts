// triad new cri|csi|cni NAME — scaffold a plugin project of its own that depends on triad and
// runs its conformance suite and a pod under the harness in its tests (harness/scaffold.ts).
import type { Command } from 'commander';
import { nextSteps, PLUGIN_KINDS, scaffold } from '../../harness/scaffold.js';

export function register(program: Command): void {
  program
    .command('new')
    .description(
      "create a plugin project (its own repository) from triad's example plugin of that kind: src/, a test that runs the conformance suite and a pod under the harness, a README",
    )
    .argument('<kind>', `the plugin kind: ${PLUGIN_KINDS.join(', ')}`)
    .argument('<name>', "the project's name: npm package name and the plugin's own name (lowercase letters, digits, dashes)")
    .option('--dir <dir>', 'where to create it (default: ./NAME); must not exist or be empty')
    .option('--triad <spec>', 'the triad dependency of package.json: a version range, or file:PATH of a packed triad tarball (default: ^ this version)')
    .action((kind: string, name: string, o: { dir?: string; triad?: string }) => {
      process.stdout.write(nextSteps(scaffold({ kind, name, dir: o.dir, triadSpec: o.triad })));
    });
}
