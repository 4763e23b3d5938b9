// Installing a TypeScript CNI plugin as an executable a runtime can run by its type name. Every
// verb is its own process, so start time is the plugin's speed: the fast path bundles the entry
// module and everything it imports (triad's SDK included) into one plain ESM file with esbuild,
// so a verb costs one Node start and one module load, no tsx and no module graph walk. The
// bundle is made at install time from the sources (never stale, never committed) and lives in
// the bin dir next to the wrapper, as `.<name>.mjs`, so it goes away with the bin dir.
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function checkName(name: string): void {
  if (!name || /[/\\]/.test(name) || name.startsWith('.')) throw new Error(`invalid plugin name ${JSON.stringify(name)}`);
}

/** esbuild's synchronous API, or undefined when it is not installed (loaded only when bundling). */
export function loadEsbuild(from = import.meta.url): typeof import('esbuild') | undefined {
  try {
    return createRequire(from)('esbuild') as typeof import('esbuild');
  } catch {
    return undefined;
  }
}

export interface BundleOptions {
  /** tsconfig.json whose `paths` resolve imports (default: the nearest one above each source). */
  tsconfig?: string;
}

/** Bundles `entry` (.ts or .js, the module that calls runPlugin) into one ESM file at `outfile`. */
export function bundleCniPlugin(entry: string, outfile: string, opts: BundleOptions = {}): string {
  const esbuild = loadEsbuild();
  if (!esbuild) throw new Error('bundling a CNI plugin needs the esbuild package (npm install esbuild)');
  const tmp = `${outfile}.tmp-${process.pid}`;
  try {
    esbuild.buildSync({
      entryPoints: [resolve(entry)],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // Dependencies written as CommonJS call require(); give the ESM bundle one.
      banner: { js: "import { createRequire as __triadCreateRequire } from 'node:module'; const require = __triadCreateRequire(import.meta.url);" },
      tsconfig: opts.tsconfig,
      logLevel: 'silent',
      legalComments: 'none',
    });
    renameSync(tmp, outfile);
  } catch (err) {
    rmSync(tmp, { force: true });
    const errors = (err as { errors?: { text: string; location?: { file: string; line: number } }[] }).errors;
    const detail = errors?.length
      ? errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ` : '') + e.text).join('; ')
      : (err as Error).message;
    throw new Error(`bundling CNI plugin ${entry}: ${detail}`);
  }
  return outfile;
}

/**
 * Writes <binDir>/<name>: a #!/bin/sh wrapper that execs `command` with the runtime's arguments.
 * Absolute paths throughout: runtimes run plugins with a minimal environment. exec keeps the
 * plugin's pid the wrapper's, so kills land. Atomic: a runtime never runs a half-written file.
 */
export function writeCniWrapper(binDir: string, name: string, command: string[]): string {
  checkName(name);
  mkdirSync(binDir, { recursive: true });
  const target = join(binDir, name);
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, `#!/bin/sh\nexec ${command.map(quote).join(' ')} "$@"\n`, { mode: 0o755 });
  chmodSync(tmp, 0o755);
  renameSync(tmp, target);
  return target;
}

export interface InstallPluginOptions extends BundleOptions {
  /** Node binary the wrapper runs; default the one running now. */
  node?: string;
}

/** Where installCniPlugin puts the bundle for plugin `name` in `binDir`. */
export function cniBundlePath(binDir: string, name: string): string {
  return join(binDir, `.${name}.mjs`);
}

/** Bundles `entry` and installs it as <binDir>/<name> (the fast path); returns the executable's path. */
export function installCniPlugin(binDir: string, name: string, entry: string, opts: InstallPluginOptions = {}): string {
  checkName(name);
  mkdirSync(binDir, { recursive: true });
  const bundle = bundleCniPlugin(entry, cniBundlePath(resolve(binDir), name), opts);
  return writeCniWrapper(binDir, name, [opts.node ?? process.execPath, bundle]);
}
