// The CNI side of the interposer: a shim executable installed under a plugin's type name in a
// folder put first in CNI_PATH, so the runtime (containerd, the harness) runs it unaware. Each
// run reads the shim folder's settings (.triad-shim.json: the real plugins' folders, fault rules,
// transcript file), applies the rules to its verb (rpc `ADD` for any plugin, `bridge/ADD` for one),
// runs the real plugin with the same environment and stdin, and records the call.
//
// Rules: fail answers the CNI error object (fail.code must be the CNI error number) and exits 1;
// delayMs waits first; hang never answers (the runtime's timeout kills the shim, and with it the
// wait); drop exits 1 printing nothing (a crashed plugin); corrupt/remove change the result JSON.
// nth/times count across processes: the counts live in the shim folder, updated under a lock.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findPlugin } from '../cni/exec.js';
import { describeRule, RuleSet, setAt, type InterposerRule } from './rules.js';
import { readTranscript, Transcript, type TranscriptEntry } from './transcript.js';

export const SHIM_SETTINGS = '.triad-shim.json';
const COUNTS = '.triad-shim-counts.json';
const LOCK = '.triad-shim-lock';

export interface ShimSettings {
  /** Where the real plugins are (never the shim folder itself). */
  realDirs: string[];
  rules: InterposerRule[];
  record?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const compiled = existsSync(join(here, 'cni-shim-main.js')) && !existsSync(join(here, 'cni-shim-main.ts'));
const root = resolve(here, compiled ? '../../..' : '../..');
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** node + the shim's entry point: compiled JS when built, else the TypeScript source through tsx. */
function shimCommand(): string[] {
  const dist = compiled ? join(here, 'cni-shim-main.js') : join(root, 'dist', 'interfaces', 'interposer', 'cni-shim-main.js');
  if (existsSync(dist)) return [process.execPath, dist];
  const tsx = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;
  return [process.execPath, '--import', tsx, join(root, 'interfaces', 'interposer', 'cni-shim-main.ts')];
}

/** Replace the settings file at once: a shim starting meanwhile reads the old or the new one, whole. */
function writeSettings(dir: string, settings: ShimSettings): void {
  const tmp = join(dir, `${SHIM_SETTINGS}.tmp-${process.pid}`);
  writeFileSync(tmp, JSON.stringify(settings, null, 2));
  renameSync(tmp, join(dir, SHIM_SETTINGS));
}

/**
 * Install shims for these plugin types into `shimDir` (created), in front of the plugins in
 * `settings.realDirs`. Every type must exist there: a shim for a missing plugin would only hide it.
 */
export function installCniShim(shimDir: string, types: string[], settings: ShimSettings): string[] {
  const dir = resolve(shimDir);
  if (settings.realDirs.some((d) => resolve(d) === dir)) throw new Error(`CNI shim: ${dir} is also one of the real plugin folders`);
  for (const t of types) findPlugin(t, settings.realDirs); // throws naming the type and folders
  mkdirSync(dir, { recursive: true });
  writeSettings(dir, settings);
  writeFileSync(join(dir, COUNTS), '[]');
  const cmd = shimCommand().map(q).join(' ');
  return [...new Set(types)].map((t) => {
    const target = join(dir, t);
    const tmp = `${target}.tmp-${process.pid}`;
    // runtimes run plugins with a small environment: everything the shim needs is in this line
    writeFileSync(tmp, `#!/bin/sh\nTRIAD_SHIM_TYPE=${q(t)} TRIAD_SHIM_DIR=${q(dir)} exec ${cmd} "$@"\n`, { mode: 0o755 });
    chmodSync(tmp, 0o755);
    renameSync(tmp, target);
    return target;
  });
}

/** The plugin types a network config list runs (each plugin's type and its ipam.type). */
export function conflistTypes(conf: { plugins?: Array<Record<string, unknown>>; type?: unknown; ipam?: unknown }): string[] {
  const plugins = conf.plugins ?? [conf];
  const out: string[] = [];
  for (const p of plugins) {
    if (typeof p.type === 'string') out.push(p.type);
    const ipam = p.ipam as { type?: unknown } | undefined;
    if (ipam && typeof ipam.type === 'string') out.push(ipam.type);
  }
  return [...new Set(out)];
}

/** mkdir is atomic: the lock. A holder that died long ago (10 s) is presumed gone. */
async function withLock<T>(dir: string, fn: () => T): Promise<T> {
  const lock = join(dir, LOCK);
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 10_000) rmdirSync(lock);
      } catch {
        /* gone meanwhile */
      }
      await new Promise((r) => setTimeout(r, 5 + (i % 20)));
    }
  }
  try {
    return fn();
  } finally {
    rmdirSync(lock);
  }
}

function parseArgs(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (s ?? '').split(';')) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** A plugin's answer to one call: what it printed and its exit code. */
export interface ShimOutput {
  stdout: string;
  exitCode: number;
}
/** Runs the real plugin with this environment and stdin. */
export type ShimInner = (env: Record<string, string | undefined>, stdin: string) => Promise<ShimOutput>;

const readSettings = (dir: string) => JSON.parse(readFileSync(join(dir, SHIM_SETTINGS), 'utf8')) as ShimSettings;

/**
 * One CNI call of plugin `type` through the shim folder `dir`: its rules applied, `inner` run
 * unless a rule answers instead, the call recorded. A hang rule never resolves.
 */
export async function shimCall(dir: string, type: string, env: Record<string, string | undefined>, stdin: string, inner: ShimInner): Promise<ShimOutput> {
  const settings = readSettings(dir);
  const started = Date.now();
  const verb = env.CNI_COMMAND ?? '';
  const method = `${type}/${verb}`;
  let config: unknown;
  try {
    config = JSON.parse(stdin);
  } catch {
    config = stdin;
  }
  const request = { containerId: env.CNI_CONTAINERID, netns: env.CNI_NETNS, ifName: env.CNI_IFNAME, args: parseArgs(env.CNI_ARGS), config };
  const rule = settings.rules.length
    ? await withLock(dir, () => {
        // the rules again under the lock: addShimRules may have changed them meanwhile
        const now = readSettings(dir);
        const counts = JSON.parse(readFileSync(join(dir, COUNTS), 'utf8')) as number[];
        const set = new RuleSet(now.rules, counts);
        const r = set.pick(method, request);
        writeFileSync(join(dir, COUNTS), JSON.stringify(set.counts()));
        return r;
      })
    : undefined;
  const transcript = settings.record ? new Transcript(settings.record) : undefined;
  const cniVersion = (config as { cniVersion?: string })?.cniVersion ?? '1.0.0';
  const record = (status: TranscriptEntry['status'], response?: unknown) =>
    transcript?.write({
      time: new Date(started).toISOString(),
      method,
      request,
      ...(response !== undefined ? { response } : {}),
      status,
      durationMs: Date.now() - started,
      ...(rule ? { fault: describeRule(rule) } : {}),
    });
  const answer = (stdout: string, exitCode: number, status: TranscriptEntry['status'], response?: unknown): ShimOutput => {
    record(status, response);
    transcript?.close();
    return { stdout, exitCode };
  };

  if (rule?.delayMs) await new Promise((r) => setTimeout(r, rule.delayMs));
  if (rule?.hang) {
    record({ code: -1, name: 'HUNG', message: 'fault injected: the shim never answers; the runtime kills it at its timeout' });
    transcript?.close();
    return new Promise<never>(() => undefined);
  }
  if (rule?.drop) return answer('', 1, { code: -1, name: 'CRASHED', message: 'fault injected: exited 1 with no output' });
  if (rule?.fail) {
    const code = typeof rule.fail.code === 'number' ? rule.fail.code : /^\d+$/.test(rule.fail.code) ? Number(rule.fail.code) : 999;
    const err = { cniVersion, code, msg: rule.fail.message ?? `fault injected: ${method} failed` };
    return answer(JSON.stringify(err), 1, { code, name: 'CNI_ERROR', message: err.msg }, err);
  }

  let { stdout: out, exitCode: exit } = await inner(env, stdin);
  let json: unknown;
  try {
    json = out.trim() ? JSON.parse(out) : undefined;
  } catch {
    json = undefined;
  }
  if (exit === 0 && json && typeof json === 'object' && (rule?.corrupt || rule?.remove)) {
    for (const p of rule.remove ?? []) setAt(json, p, undefined, true);
    for (const [p, v] of Object.entries(rule.corrupt ?? {})) setAt(json, p, v);
    out = JSON.stringify(json);
  }
  const e = json as { code?: number; msg?: string } | undefined;
  const status =
    exit === 0
      ? { code: 0, name: 'OK' }
      : { code: e?.code ?? exit, name: e?.code !== undefined ? 'CNI_ERROR' : `EXIT_${exit}`, ...(e?.msg ? { message: e.msg } : {}) };
  return answer(out, exit, status, json ?? (out || undefined));
}

/** One shim run: the shim executable's whole life. Returns the exit code. */
export async function runShim(env = process.env): Promise<number> {
  const type = env.TRIAD_SHIM_TYPE;
  const dir = env.TRIAD_SHIM_DIR;
  if (!type || !dir) {
    process.stderr.write('triad CNI shim: TRIAD_SHIM_TYPE and TRIAD_SHIM_DIR must be set (install it with installCniShim)\n');
    return 1;
  }
  const stdin = await readStdin();
  const spawnReal: ShimInner = async (e, input) => {
    const cniVersion = (() => {
      try {
        return (JSON.parse(input) as { cniVersion?: string }).cniVersion ?? '1.0.0';
      } catch {
        return '1.0.0';
      }
    })();
    let real: string;
    try {
      real = findPlugin(type, readSettings(dir).realDirs);
    } catch (err) {
      return { stdout: JSON.stringify({ cniVersion, code: 999, msg: `triad CNI shim: ${(err as Error).message}` }), exitCode: 1 };
    }
    const child = spawn(real, process.argv.slice(2), { stdio: ['pipe', 'pipe', 'inherit'], env: e });
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => child.kill(sig));
    child.stdin.end(input);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    const exitCode = await new Promise<number>((r) => child.on('close', (code, signal) => r(code ?? (signal ? 128 : 1))));
    return { stdout, exitCode };
  };
  // a hang rule never answers: the timer keeps this process alive until the runtime kills it
  const alive = setInterval(() => undefined, 3600_000);
  try {
    const r = await shimCall(dir, type, env, stdin, spawnReal);
    if (r.stdout) process.stdout.write(r.stdout);
    return r.exitCode;
  } finally {
    clearInterval(alive);
  }
}

/**
 * A plugin the runtime runs in its own process (triad's memory network), behind the shim folder
 * `dir` (installed with installCniShim and no types): the same rules and transcript as exec'd shims.
 */
export function shimInProcess(dir: string, type: string, plugin: ShimInner): (env: Record<string, string>, stdin: string) => Promise<ShimOutput> {
  return (env, stdin) => shimCall(dir, type, env, stdin, plugin);
}

/** Add rules after a shim folder's current ones while runtimes use it; returns their removal. */
export async function addShimRules(dir: string, rules: InterposerRule[]): Promise<() => Promise<void>> {
  const keys = rules.map((r) => JSON.stringify(r));
  await withLock(dir, () => {
    const s = readSettings(dir);
    const counts = JSON.parse(readFileSync(join(dir, COUNTS), 'utf8')) as number[];
    writeFileSync(join(dir, COUNTS), JSON.stringify([...s.rules.map((_r, i) => counts[i] ?? 0), ...rules.map(() => 0)]));
    writeSettings(dir, { ...s, rules: [...s.rules, ...rules] });
  });
  return () =>
    withLock(dir, () => {
      const s = readSettings(dir);
      const counts = JSON.parse(readFileSync(join(dir, COUNTS), 'utf8')) as number[];
      const keep = s.rules.map((_r, i) => i);
      // the last rule equal to each added one (another user's equal rule, added earlier, stays)
      for (const k of keys) {
        for (let j = keep.length - 1; j >= 0; j--)
          if (JSON.stringify(s.rules[keep[j]]) === k) {
            keep.splice(j, 1);
            break;
          }
      }
      writeFileSync(join(dir, COUNTS), JSON.stringify(keep.map((i) => counts[i] ?? 0)));
      writeSettings(dir, { ...s, rules: keep.map((i) => s.rules[i]) });
    });
}

/** The transcript a shim folder records to (empty when it records none or nothing ran yet). */
export function shimCalls(dir: string): TranscriptEntry[] {
  const file = readSettings(dir).record;
  return file && existsSync(file) ? readTranscript(file) : [];
}
