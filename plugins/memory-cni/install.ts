// Puts an executable named like the plugin type into a CNI bin dir, so containerd or CniConfig
// find it by `type`: a #!/bin/sh wrapper that execs this node (absolute path: runtimes run
// plugins with a minimal environment) on the compiled main.js when there is one, else on the
// TypeScript source through tsx. exec keeps the plugin's pid the wrapper's, so kills land.
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MEMORY_CNI_TYPE } from './plugin.js';

export interface InstallOptions {
  /** 'dist': compiled JS (must exist); 'source': .ts via tsx; 'auto' (default): dist if built. */
  mode?: 'auto' | 'dist' | 'source';
  /** Node binary; default the one running now. */
  node?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
// Running from dist/plugins/memory-cni, main.js is next to us; from source, it is under dist/.
const isCompiled = existsSync(join(here, 'main.js')) && !existsSync(join(here, 'main.ts'));
const root = resolve(here, isCompiled ? '../../..' : '../..');
const distMain = isCompiled ? join(here, 'main.js') : join(root, 'dist', 'plugins', 'memory-cni', 'main.js');
const srcMain = join(root, 'plugins', 'memory-cni', 'main.ts');

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The wrapper's command line: [node, ...args, script]. */
export function pluginCommand(opts: InstallOptions = {}): string[] {
  const node = opts.node ?? process.execPath;
  const mode = opts.mode ?? 'auto';
  if (mode === 'dist' || (mode === 'auto' && existsSync(distMain))) {
    if (!existsSync(distMain)) throw new Error(`compiled plugin ${distMain} not found (run npm run build)`);
    return [node, distMain];
  }
  if (!existsSync(srcMain)) throw new Error(`plugin source ${srcMain} not found`);
  const tsx = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;
  return [node, '--import', tsx, srcMain];
}

/** Writes <binDir>/<name> and returns its path. */
export function installCniBinary(binDir: string, name = MEMORY_CNI_TYPE, opts: InstallOptions = {}): string {
  if (!name || /[/\\]/.test(name)) throw new Error(`invalid plugin name ${JSON.stringify(name)}`);
  mkdirSync(binDir, { recursive: true });
  const target = join(binDir, name);
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, `#!/bin/sh\nexec ${pluginCommand(opts).map(q).join(' ')} "$@"\n`, { mode: 0o755 });
  chmodSync(tmp, 0o755);
  renameSync(tmp, target); // atomic: a runtime never execs a half-written wrapper
  return target;
}
