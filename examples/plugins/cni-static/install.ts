// Puts an executable named after the plugin type (triad-static) into a CNI bin dir, where a
// runtime (containerd, triad's CniConfig) finds it by the config's "type". The SDK's
// installCniPlugin bundles main.ts and all it imports into one JavaScript file with esbuild and
// writes a #!/bin/sh wrapper that execs node on it: each verb is its own process, and this way it
// costs one Node start and one module load (no tsx, no module graph). Re-run it after editing
// the plugin: the bundle is made from the sources at install time.
//
//   npx tsx examples/plugins/cni-static/install.ts /opt/cni/bin      (as a command)
//   installStaticCni('/opt/cni/bin')                                  (from code)
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCniPlugin } from 'triad/sdk/cni';
import { STATIC_CNI_TYPE } from './plugin.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Writes <binDir>/<name> and its bundle; returns the executable's path. */
export function installStaticCni(binDir: string, name = STATIC_CNI_TYPE): string {
  // main.ts from the sources; main.js when this runs compiled (from dist/).
  const entry = existsSync(join(here, 'main.ts')) ? join(here, 'main.ts') : join(here, 'main.js');
  return installCniPlugin(binDir, name, entry);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: tsx examples/plugins/cni-static/install.ts BIN_DIR\n');
    process.exit(2);
  }
  process.stdout.write(`${installStaticCni(resolve(dir))}\n`);
}
