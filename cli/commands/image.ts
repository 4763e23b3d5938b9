// `triad image build [--out DIR] [--push REGISTRY/NAME:TAG]`: triad itself as an OCI image, built
// offline (harness/fleet/image.ts), pushed with skopeo as the reference stack pushes its images.
import type { Command } from 'commander';
import { triadRoot } from '../../interfaces/util/root.js';
import { pushImage } from '../../plugins/images/index.js';
import { buildTriadImage, parseImageRef } from '../../harness/fleet/image.js';

export function register(program: Command): void {
  const image = program.command('image').description('triad itself as a container image (for Sonobuoy plugins)');
  image
    .command('build')
    .description('build an OCI image layout of triad (node + its libraries, the package, production dependencies; reproducible), optionally push it')
    .option('--out <dir>', 'where the layout goes (<dir>/<name>)', 'triad-image')
    .option('--push <ref>', "push to REGISTRY/NAME:TAG with skopeo (plain HTTP, e.g. the reference stack's 127.0.0.1:5000/triad:0.1.0)")
    .option('--tag <tag>', "image tag (default: --push's tag, else the package version)")
    .action(async (o: { out: string; push?: string; tag?: string }) => {
      const ref = o.push ? parseImageRef(o.push) : undefined;
      const t0 = Date.now();
      const built = buildTriadImage(o.out, { root: triadRoot(), name: ref?.name, tag: o.tag ?? ref?.tag });
      process.stdout.write(
        `${built.dir}: ${built.name}:${built.tags.join(',')} ${built.manifestDigest}${built.cached ? ' (unchanged)' : ''} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
      );
      if (ref) {
        const { refs, pushed } = await pushImage(built, ref.registry);
        process.stdout.write(`${refs.join(', ')}: ${pushed.length ? 'pushed' : 'already served'} (${built.manifestDigest})\n`);
      }
    });
}
