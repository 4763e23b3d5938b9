// Put a TypeScript plugin of triad into a CNI bin dir as an executable wrapper: compiled .js
// next to this module when running from dist/, else the .ts source through tsx. Extra argv
// (e.g. a broken variant's name) is baked into the wrapper.
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { triadRoot } from '../../interfaces/util/root.js';

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Command line that runs `moduleUrl` (the URL of a .ts/.js main module of triad). */
export function scriptCommand(moduleUrl: string): string[] {
  const file = fileURLToPath(moduleUrl);
  if (file.endsWith('.js')) return [process.execPath, file];
  const js = file.replace(/\.ts$/, '.js');
  if (existsSync(js) && !existsSync(file)) return [process.execPath, js];
  const tsx = pathToFileURL(createRequire(join(triadRoot(), 'package.json')).resolve('tsx')).href;
  return [process.execPath, '--import', tsx, file];
}

/** Write <binDir>/<name> running `moduleUrl` with `args`; returns its path. */
export function installScriptPlugin(binDir: string, name: string, moduleUrl: string, args: string[] = []): string {
  if (!name || /[/\\]/.test(name)) throw new Error(`invalid plugin name ${JSON.stringify(name)}`);
  mkdirSync(binDir, { recursive: true });
  const target = join(binDir, name);
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, `#!/bin/sh\nexec ${[...scriptCommand(moduleUrl), ...args].map(q).join(' ')} "$@"\n`, { mode: 0o755 });
  chmodSync(tmp, 0o755);
  renameSync(tmp, target);
  return target;
}
