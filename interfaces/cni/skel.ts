// The plugin side of CNI (what pkg/skel is in Go): turn env + stdin into a verb call, check what
// the spec requires for that verb, and answer with a result or the spec's error object. The core
// is `dispatch`, a pure function of (env, stdin), so a plugin can be tested or served in-process.
import { fstatSync, readSync, writeSync } from 'node:fs';
import { delimiter } from 'node:path';
import { CniError } from './errors.js';
import { CniErrorCode, VALID_ATTACHMENTS_KEY, type CniVerb, type GcAttachment, type PluginConf, type Result } from './types.js';
import { validateContainerID, validateInterfaceName, validateNetworkName } from './validate.js';
import { compareVersions, convertResult, CURRENT_VERSION, parseVersion, resultProblems, versionAtLeast } from './version.js';

export interface CmdArgs {
  command: CniVerb;
  containerID: string;
  netns: string;
  ifName: string;
  /** CNI_ARGS as given (K=V;K=V); parseCniArgs splits it. */
  args: string;
  path: string[];
  stdinData: string;
  /** The parsed stdin config. */
  config: PluginConf;
  /** The config's cniVersion (checked against the plugin's supported versions). */
  cniVersion: string;
  /** config.prevResult, converted to cniVersion when possible. */
  prevResult?: Result;
  /** GC only: cni.dev/valid-attachments. */
  validAttachments?: GcAttachment[];
}

type MaybePromise<T> = T | Promise<T>;

export interface PluginFuncs {
  add(args: CmdArgs): MaybePromise<Result>;
  check(args: CmdArgs): MaybePromise<void>;
  del(args: CmdArgs): MaybePromise<void>;
  /** Absent: STATUS succeeds (the plugin is always ready). */
  status?(args: CmdArgs): MaybePromise<void>;
  /** Absent: GC succeeds doing nothing. */
  gc?(args: CmdArgs): MaybePromise<void>;
  /** Spec versions this plugin accepts in configs. */
  versions: readonly string[];
  /** Printed on stderr when run by hand without CNI_COMMAND. */
  about?: string;
}

export interface DispatchOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const VERBS: readonly CniVerb[] = ['ADD', 'DEL', 'CHECK', 'STATUS', 'GC', 'VERSION'];
const REQUIRED: Record<string, CniVerb[]> = {
  CNI_CONTAINERID: ['ADD', 'CHECK', 'DEL'],
  CNI_NETNS: ['ADD', 'CHECK'],
  CNI_IFNAME: ['ADD', 'CHECK', 'DEL'],
  CNI_PATH: ['ADD', 'CHECK', 'DEL', 'STATUS', 'GC'],
};
/** The first spec version that has each verb. */
const SINCE: Partial<Record<CniVerb, string>> = { CHECK: '0.4.0', STATUS: '1.1.0', GC: '1.1.0' };

const err = (code: number, msg: string, details?: string) => new CniError({ code, msg, details });

export async function dispatch(plugin: PluginFuncs, env: Record<string, string | undefined>, stdin: string): Promise<DispatchOutput> {
  let cniVersion: string | undefined;
  try {
    const cmd = env.CNI_COMMAND ?? '';
    if (!cmd && plugin.about) {
      return { stdout: '', stderr: `${plugin.about}\nCNI protocol versions supported: ${plugin.versions.join(', ')}\n`, exitCode: 0 };
    }
    if (!cmd) throw err(CniErrorCode.InvalidEnvironmentVariables, 'required env variables [CNI_COMMAND] missing');
    if (!VERBS.includes(cmd as CniVerb)) throw err(CniErrorCode.InvalidEnvironmentVariables, `unknown CNI_COMMAND: ${cmd}`);
    const verb = cmd as CniVerb;
    if (verb === 'VERSION') {
      // The spec: VERSION's cniVersion is the one given on stdin (the current one when none is).
      let asked: unknown;
      try {
        asked = (JSON.parse(stdin) as { cniVersion?: unknown })?.cniVersion;
      } catch {
        /* no config: answer the current version */
      }
      return ok(JSON.stringify({ cniVersion: typeof asked === 'string' && asked ? asked : CURRENT_VERSION, supportedVersions: [...plugin.versions] }));
    }
    const missing = Object.keys(REQUIRED).filter((k) => REQUIRED[k].includes(verb) && !env[k]);
    if (missing.length) throw err(CniErrorCode.InvalidEnvironmentVariables, `required env variables [${missing.join(',')}] missing`);

    let config: PluginConf;
    try {
      config = JSON.parse(stdin);
    } catch (e) {
      throw err(CniErrorCode.DecodingFailure, 'error parsing network config from stdin', (e as Error).message);
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config))
      throw err(CniErrorCode.DecodingFailure, 'network config on stdin is not a JSON object');
    // As libcni's decoder: a config without cniVersion is 0.1.0.
    const v = config.cniVersion ?? '0.1.0';
    try {
      parseVersion(v);
    } catch (e) {
      throw err(CniErrorCode.DecodingFailure, (e as Error).message);
    }
    if (!plugin.versions.includes(v)) {
      throw err(
        CniErrorCode.IncompatibleVersion,
        'incompatible CNI versions',
        `config is ${JSON.stringify(v)}, plugin supports [${plugin.versions.join(', ')}]`,
      );
    }
    cniVersion = v;
    const since = SINCE[verb];
    if (since && !versionAtLeast(v, since)) throw err(CniErrorCode.IncompatibleVersion, `config version ${v} does not allow ${verb} (needs ${since} or later)`);
    try {
      validateNetworkName(config.name ?? '');
      if (verb === 'ADD' || verb === 'CHECK' || verb === 'DEL') {
        validateContainerID(env.CNI_CONTAINERID!);
        validateInterfaceName(env.CNI_IFNAME!);
      }
    } catch (e) {
      const c = e as CniError;
      throw err(c.code, c.msg, c.details);
    }

    const args: CmdArgs = {
      command: verb,
      containerID: env.CNI_CONTAINERID ?? '',
      netns: env.CNI_NETNS ?? '',
      ifName: env.CNI_IFNAME ?? '',
      args: env.CNI_ARGS ?? '',
      path: (env.CNI_PATH ?? '').split(delimiter).filter(Boolean),
      stdinData: stdin,
      config,
      cniVersion: v,
    };
    if (config.prevResult) {
      try {
        args.prevResult = convertResult(config.prevResult, v);
      } catch {
        args.prevResult = config.prevResult;
      }
    }
    switch (verb) {
      case 'ADD': {
        const r = await plugin.add(args);
        return ok(JSON.stringify(printable(r, v)));
      }
      case 'CHECK':
        await plugin.check(args);
        break;
      case 'DEL':
        await plugin.del(args);
        break;
      case 'STATUS':
        await plugin.status?.(args);
        break;
      case 'GC': {
        const raw = (config as Record<string, unknown>)[VALID_ATTACHMENTS_KEY] ?? (config as Record<string, unknown>)['cni.dev/attachments'] ?? [];
        if (!Array.isArray(raw)) throw err(CniErrorCode.InvalidNetworkConfig, `${VALID_ATTACHMENTS_KEY} must be an array`);
        args.validAttachments = raw as GcAttachment[];
        await plugin.gc?.(args);
        break;
      }
    }
    return ok('');
  } catch (e) {
    const c = e instanceof CniError ? e : err(CniErrorCode.Internal, (e as Error)?.message ?? String(e));
    const obj = new CniError({ code: c.code, msg: c.msg, details: c.details, cniVersion: cniVersion ?? highest(plugin.versions) }).toJSON();
    return { stdout: `${JSON.stringify(obj)}\n`, stderr: '', exitCode: 1 };
  }
}

/** The handler's result in the config's version, checked, so a plugin bug is not sent as a result. */
function printable(r: Result, version: string): Result {
  if (typeof r !== 'object' || r === null) throw err(CniErrorCode.Internal, 'plugin ADD returned no result');
  const out = convertResult({ ...r, cniVersion: r.cniVersion ?? version }, version);
  const problems = resultProblems(out);
  if (problems.length) throw err(CniErrorCode.Internal, 'plugin produced an invalid result', problems.join('; '));
  return out;
}

const ok = (stdout: string): DispatchOutput => ({ stdout: stdout ? `${stdout}\n` : '', stderr: '', exitCode: 0 });
const highest = (vs: readonly string[]) => [...vs].sort(compareVersions).at(-1) ?? CURRENT_VERSION;

/**
 * Binds dispatch to this process: env, stdin, stdout/stderr, exit code. Reads and writes the file
 * descriptors directly: each verb is a process of its own, and process.stdin/stdout would first
 * load Node's stream and socket machinery (a sizeable part of a verb's time).
 */
export async function runPlugin(plugin: PluginFuncs, opts: { exit?: boolean } = {}): Promise<number> {
  let stdin = '';
  let out: DispatchOutput;
  try {
    // Run by hand on a terminal (VERSION, about): do not wait for input that will never come.
    if (!stdinIsTerminal()) stdin = await readStdin();
    out = await dispatch(plugin, process.env, stdin);
  } catch (e) {
    out = {
      stdout: `${JSON.stringify({ cniVersion: highest(plugin.versions), code: CniErrorCode.IoFailure, msg: 'error reading stdin', details: (e as Error).message })}\n`,
      stderr: '',
      exitCode: 1,
    };
  }
  if (out.stdout) writeAll(1, out.stdout);
  if (out.stderr) writeAll(2, out.stderr);
  if (opts.exit ?? true) process.exit(out.exitCode);
  process.exitCode = out.exitCode;
  return out.exitCode;
}

const isEagain = (e: unknown) => (e as NodeJS.ErrnoException).code === 'EAGAIN';

/**
 * A terminal is a character device (node:tty's isatty would load node:net). So is /dev/null,
 * which has nothing to read anyway; a closed stdin reads as empty too.
 */
function stdinIsTerminal(): boolean {
  try {
    return fstatSync(0).isCharacterDevice();
  } catch {
    return true;
  }
}

/** All of stdin: blocking reads, then the stream if the runtime handed a non-blocking descriptor. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(65536);
      const n = readSync(0, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
    }
  } catch (e) {
    if (!isEagain(e)) throw e;
    for await (const c of process.stdin) chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Writes all of text to fd 1 or 2 before the process exits (falling back to the stream on EAGAIN). */
function writeAll(fd: 1 | 2, text: string): void {
  let buf = Buffer.from(text, 'utf8');
  try {
    while (buf.length) buf = buf.subarray(writeSync(fd, buf));
  } catch (e) {
    if (!isEagain(e)) throw e;
    (fd === 1 ? process.stdout : process.stderr).write(buf); // pipes are written synchronously on POSIX
  }
}
