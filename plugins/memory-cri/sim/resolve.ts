// Finding what to run for argv[0], the way execve + $PATH search would: an executable of the
// image (a file whose content names a simulated program), or a script whose #! line names a
// shell. The messages are runc's, so a missing binary reads like it does on a real node.
import { posix } from 'node:path';
import type { ContainerFs } from './fs.js';
import { DEFAULT_PATH, programs } from './types.js';

export type Resolved = { ok: true; program: string; path: string; /** prepend these args (script interpreter) */ prefix: string[] };
export type Unresolved = { ok: false; kind: 'not-found' | 'no-such-file' | 'permission' | 'format'; message: string };

const SHELLS = new Set(['sh', 'ash', 'bash', 'dash']);

export function resolveProgram(name: string, fs: ContainerFs, env: Map<string, string>, cwd = '/'): Resolved | Unresolved {
  if (!name) return { ok: false, kind: 'not-found', message: 'exec: "": executable file not found in $PATH' };
  if (name.includes('/')) {
    const full = posix.resolve(cwd, name);
    const r = atPath(full, fs);
    if (r) return r;
    return { ok: false, kind: 'no-such-file', message: `exec: "${name}": stat ${full}: no such file or directory` };
  }
  for (const dir of (env.get('PATH') ?? DEFAULT_PATH).split(':')) {
    if (!dir) continue;
    const r = atPath(posix.join(posix.resolve(cwd, dir), name), fs);
    if (r && (r.ok || r.kind !== 'no-such-file')) return r;
  }
  return { ok: false, kind: 'not-found', message: `exec: "${name}": executable file not found in $PATH` };
}

function atPath(path: string, fs: ContainerFs): Resolved | Unresolved | undefined {
  const st = fs.stat(path);
  if (!st) return undefined;
  if (st.type === 'dir') return { ok: false, kind: 'permission', message: `exec: "${path}": is a directory` };
  const w = fs.locate(path);
  // a device (/dev/null, or a file masked with it) cannot be executed
  if (w.where === 'null' || (w.where === 'host' && w.mount.noexec)) return { ok: false, kind: 'permission', message: `exec: "${path}": permission denied` };
  if (st.exe && programs.has(st.exe.applet)) return { ok: true, program: st.exe.applet, path, prefix: [] };
  let head = '';
  try {
    head = fs.readFile(path).subarray(0, 256).toString();
  } catch {
    /* unreadable */
  }
  const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(head);
  if (m) {
    const interp = posix.basename(m[1]) === 'env' && m[2] ? m[2] : posix.basename(m[1]);
    if (SHELLS.has(interp)) return { ok: true, program: 'sh', path, prefix: [path] };
    return { ok: false, kind: 'not-found', message: `exec: "${path}": interpreter ${m[1]} is not simulated` };
  }
  return { ok: false, kind: 'format', message: `exec: "${path}": exec format error` };
}
