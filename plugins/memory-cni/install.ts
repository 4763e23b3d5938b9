// Puts an executable named like the plugin type into a CNI bin dir, so containerd or CniConfig
// find it by `type`: a #!/bin/sh wrapper that execs this node (absolute path: runtimes run
// plugins with a minimal environment) on one esbuild bundle of main (the fast path: one module
// load per verb, see interfaces/cni/install.ts), or on the compiled main.js, or on the TypeScript
// source through tsx. exec keeps the plugin's pid the wrapper's, so kills land.
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cniBundlePath, installCniPlugin, loadEsbuild, writeCniWrapper } from '../../interfaces/cni/index.js';
import { MEMORY_CNI_TYPE } from './plugin.js';

export interface InstallOptions {
  /**
   * 'bundle': one esbuild bundle of the sources (or of the compiled JS when installed from dist);
   * 'dist': compiled JS (must exist); 'source': .ts via tsx (slow: tsx compiles on every verb);
   * 'auto' (default): bundle when esbuild is installed, else dist if built, else source.
   */
  mode?: 'auto' | 'bundle' | 'dist' | 'source';
  /** Node binary; default the one running now. */
  node?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
// Running from dist/plugins/memory-cni, main.js is next to us; from source, it is under dist/.
const isCompiled = existsSync(join(here, 'main.js')) && !existsSync(join(here, 'main.ts'));
const root = resolve(here, isCompiled ? '../../..' : '../..');
const distMain = isCompiled ? join(here, 'main.js') : join(root, 'dist', 'plugins', 'memory-cni', 'main.js');
const srcMain = join(root, 'plugins', 'memory-cni', 'main.ts');

/** The unbundled wrapper's command line: [node, ...args, script] ('dist' / 'source'; 'auto' without esbuild). */
export function pluginCommand(opts: InstallOptions = {}): string[] {
  const node = opts.node ?? process.execPath;
  const mode = opts.mode ?? 'auto';
  if (mode === 'bundle') throw new Error('pluginCommand: a bundle is made by installCniBinary');
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
  const mode = opts.mode ?? 'auto';
  if (mode === 'bundle' || (mode === 'auto' && loadEsbuild())) {
    return installCniPlugin(binDir, name, existsSync(srcMain) ? srcMain : distMain, { node: opts.node });
  }
  const target = writeCniWrapper(binDir, name, pluginCommand(opts));
  rmSync(cniBundlePath(resolve(binDir), name), { force: true }); // an earlier bundled install's file
  return target;
}
