// Puts an executable named after the plugin type (triad-static) into a CNI bin dir, where a
// runtime (containerd, triad's CniConfig) finds it by the config's "type". It is a #!/bin/sh
// wrapper that execs node on main.ts through tsx, or on the compiled main.js when `npm run build`
// made one. The node path is absolute: runtimes run plugins with a minimal environment.
//
//   npx tsx examples/plugins/cni-static/install.ts /opt/cni/bin      (as a command)
//   installStaticCni('/opt/cni/bin')                                  (from code)
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { STATIC_CNI_TYPE } from './plugin.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The nearest tsconfig.json above this file: the project's, whatever directory a runtime starts the plugin in. */
function projectTsconfig(): string | undefined {
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'tsconfig.json'))) return join(dir, 'tsconfig.json');
    if (dirname(dir) === dir) return undefined;
  }
}

/** The wrapper's command: [node, ...args, script]. */
export function pluginCommand(): string[] {
  const js = join(here, 'main.js');
  if (existsSync(js)) return [process.execPath, js]; // running from dist/
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  // tsx looks for tsconfig.json in the working directory; name the project's (its paths map
  // triad/sdk to the sources in triad's own checkout).
  const tsconfig = projectTsconfig();
  return [...(tsconfig ? ['/usr/bin/env', `TSX_TSCONFIG_PATH=${tsconfig}`] : []), process.execPath, '--import', tsx, join(here, 'main.ts')];
}

/** Writes <binDir>/<name> (atomically: a runtime never runs a half-written file); returns its path. */
export function installStaticCni(binDir: string, name = STATIC_CNI_TYPE): string {
  mkdirSync(binDir, { recursive: true });
  const target = join(binDir, name);
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, `#!/bin/sh\nexec ${pluginCommand().map(quote).join(' ')} "$@"\n`);
  chmodSync(tmp, 0o755);
  renameSync(tmp, target);
  return target;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: tsx examples/plugins/cni-static/install.ts BIN_DIR\n');
    process.exit(2);
  }
  process.stdout.write(`${installStaticCni(resolve(dir))}\n`);
}
