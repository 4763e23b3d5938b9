// Running ONE plugin the way the spec says: found by `type` in the CNI_PATH dirs, parameters in
// CNI_* env vars, config on stdin, answer (result or error object) on stdout. No shell is
// involved, and a plugin that does not answer in time is killed and reported as hung.
import { constants, accessSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { CniError, NO_PLUGIN_CODE } from './errors.js';
import { CniErrorCode, isCniErrorObject, type CniVerb } from './types.js';

export const DEFAULT_TIMEOUT_MS = 30_000;

/** A plugin run in this process instead of exec'd (same protocol: env + stdin in, stdout out). */
export type InProcessPlugin = (env: Record<string, string>, stdin: string) => Promise<{ stdout: string; stderr?: string; exitCode: number }>;

export interface ExecRequest {
  verb: CniVerb;
  /** The plugin's `type`: the executable's name. */
  pluginType: string;
  /** stdin: an object (serialized here) or ready JSON text. */
  config: unknown;
  containerID?: string;
  netns?: string;
  ifName?: string;
  /** CNI_ARGS as pairs (joined K=V;K=V) or preformatted. */
  args?: [string, string][] | string;
  /** CNI_PATH directories; the binary is searched for in them. */
  path: string[];
}

export interface ExecOptions {
  timeoutMs?: number;
  /** Extra environment (the parent's environment, PATH included, is always kept). */
  env?: Record<string, string>;
  signal?: AbortSignal;
  inProcess?: Record<string, InProcessPlugin>;
}

export interface ExecOutput {
  /** Parsed stdout; undefined when the plugin printed nothing. */
  json: unknown;
  stdout: string;
  stderr: string;
  exitCode: number;
  pid?: number;
  /** Absolute path of the binary, or 'in-process'. */
  binary: string;
}

/** "K=V;K=V" after checking that no key or value would break the format. */
export function formatCniArgs(args: [string, string][] | string | undefined): string {
  if (args === undefined) return '';
  if (typeof args === 'string') return args;
  return args
    .map(([k, v]) => {
      if (!k || /[=;]/.test(k))
        throw new CniError({ code: CniErrorCode.InvalidEnvironmentVariables, kind: 'invalid', msg: `invalid CNI_ARGS key ${JSON.stringify(k)}` });
      if (/;/.test(String(v)))
        throw new CniError({ code: CniErrorCode.InvalidEnvironmentVariables, kind: 'invalid', msg: `CNI_ARGS value for ${k} contains ';'` });
      return `${k}=${v}`;
    })
    .join(';');
}

/** "K=V;K=V" into pairs (the inverse of formatCniArgs). */
export function parseCniArgs(s: string | undefined): [string, string][] {
  if (!s) return [];
  return s
    .split(';')
    .filter(Boolean)
    .map((kv) => {
      const i = kv.indexOf('=');
      if (i <= 0) throw new CniError({ code: CniErrorCode.InvalidEnvironmentVariables, kind: 'invalid', msg: `invalid CNI_ARGS pair ${JSON.stringify(kv)}` });
      return [kv.slice(0, i), kv.slice(i + 1)];
    });
}

/** Absolute path of the plugin binary, or a not-found CniError listing every dir searched. */
export function findPlugin(pluginType: string, dirs: string[]): string {
  if (!pluginType || /[/\\]/.test(pluginType) || pluginType === '.' || pluginType === '..') {
    throw new CniError({
      code: NO_PLUGIN_CODE,
      kind: 'invalid',
      plugin: pluginType,
      msg: `invalid plugin type ${JSON.stringify(pluginType)}: must be a plain executable name`,
    });
  }
  const notExec: string[] = [];
  for (const dir of dirs) {
    const p = join(dir, pluginType);
    try {
      if (!statSync(p).isFile()) continue;
    } catch {
      continue;
    }
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      notExec.push(p);
    }
  }
  const extra = notExec.length ? `; found but not executable: ${notExec.join(', ')}` : '';
  throw new CniError({
    code: NO_PLUGIN_CODE,
    kind: 'not-found',
    plugin: pluginType,
    msg: `no executable ${JSON.stringify(pluginType)} in CNI path [${dirs.join(', ')}]${extra}`,
  });
}

/** The CNI_* variables for a request (all six, always: empty means "not given" to plugins). */
export function cniEnv(req: ExecRequest): Record<string, string> {
  return {
    CNI_COMMAND: req.verb,
    CNI_CONTAINERID: req.containerID ?? '',
    CNI_NETNS: req.netns ?? '',
    CNI_IFNAME: req.ifName ?? '',
    CNI_ARGS: formatCniArgs(req.args),
    CNI_PATH: req.path.join(delimiter),
  };
}

export async function execPlugin(req: ExecRequest, opts: ExecOptions = {}): Promise<ExecOutput> {
  const env = cniEnv(req);
  const input = typeof req.config === 'string' ? req.config : JSON.stringify(req.config);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ctx = { plugin: req.pluginType, verb: req.verb };
  const inproc = opts.inProcess?.[req.pluginType];
  if (inproc) return interpret(await runInProcess(inproc, env, input, timeoutMs, ctx), ctx);

  const binary = findPlugin(req.pluginType, req.path);
  const sub = execa(binary, [], {
    input,
    env: { ...opts.env, ...env },
    extendEnv: true,
    shell: false,
    timeout: timeoutMs,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: 1000,
    cancelSignal: opts.signal,
    reject: false,
    stripFinalNewline: false,
  });
  const pid = sub.pid;
  const r = await sub;
  const stdout = String(r.stdout ?? '');
  const stderr = String(r.stderr ?? '');
  if (r.timedOut) {
    throw new CniError({ ...ctx, code: NO_PLUGIN_CODE, kind: 'timeout', pid, stderr, msg: `hung: no answer within ${timeoutMs} ms, killed (pid ${pid})` });
  }
  if (r.isCanceled) throw new CniError({ ...ctx, code: NO_PLUGIN_CODE, kind: 'timeout', pid, stderr, msg: 'canceled by the caller, killed' });
  if (r.signal) throw new CniError({ ...ctx, code: NO_PLUGIN_CODE, kind: 'signal', pid, stderr, msg: `killed by ${r.signal}` });
  if (r.exitCode === undefined) {
    throw new CniError({ ...ctx, code: NO_PLUGIN_CODE, kind: 'exit', stderr, msg: `could not run ${binary}: ${r.originalMessage || r.shortMessage}` });
  }
  return interpret({ stdout, stderr, exitCode: r.exitCode, pid, binary }, ctx);
}

async function runInProcess(fn: InProcessPlugin, env: Record<string, string>, input: string, timeoutMs: number, ctx: { plugin: string; verb: CniVerb }) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CniError({ ...ctx, code: NO_PLUGIN_CODE, kind: 'timeout', msg: `hung: no answer within ${timeoutMs} ms (in-process, abandoned)` })),
      timeoutMs,
    );
  });
  try {
    const r = await Promise.race([fn(env, input), timeout]);
    return { stdout: r.stdout, stderr: r.stderr ?? '', exitCode: r.exitCode, binary: 'in-process' };
  } finally {
    clearTimeout(timer);
  }
}

function interpret(o: Omit<ExecOutput, 'json'>, ctx: { plugin: string; verb: CniVerb }): ExecOutput {
  const text = o.stdout.trim();
  let json: unknown;
  let parseError: string | undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch (e) {
      parseError = (e as Error).message;
    }
  }
  const base = { ...ctx, stderr: o.stderr, exitCode: o.exitCode, pid: o.pid };
  if (isCniErrorObject(json)) {
    const details = typeof json.details === 'string' && json.details ? json.details : undefined;
    throw new CniError({ ...base, code: json.code, msg: json.msg, details, cniVersion: json.cniVersion, kind: 'plugin' });
  }
  if (o.exitCode !== 0) {
    const out = text ? `; stdout: ${snippet(text)}` : '';
    throw new CniError({ ...base, code: NO_PLUGIN_CODE, kind: 'exit', msg: `exited with code ${o.exitCode} without an error object on stdout${out}` });
  }
  if (parseError !== undefined) {
    throw new CniError({ ...base, code: NO_PLUGIN_CODE, kind: 'output', msg: `printed output that is not JSON (${parseError}): ${snippet(text)}` });
  }
  return { ...o, json };
}

const snippet = (s: string) => JSON.stringify(s.length > 300 ? `${s.slice(0, 300)}…` : s);
