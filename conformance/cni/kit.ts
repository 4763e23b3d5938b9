// What CNI cases share. The suite talks to plugins exactly as the spec says a runtime does —
// CNI_* environment, config on stdin, answer on stdout, exit code — but raw, so every byte a
// plugin prints can be judged (the library would convert or reject some of it first). A case's
// network is the configured one under a per-case name, so cases never share attachments or
// address pools, and GC in one case cannot touch another's.
import { execa } from 'execa';
import { setMaxListeners } from 'node:events';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildPluginConfig,
  cniCodeName,
  convertResult,
  findPlugin,
  isCniErrorObject,
  resultProblems,
  SUPPORTED_VERSIONS,
  versionAtLeast,
  type CniVerb,
  type InProcessPlugin,
  type NetworkConfigList,
  type PluginConf,
  type Result,
} from '../../interfaces/cni/index.js';
import { fail, show, type Expect } from '../runner/assert.js';
import { callOf, type CaseContext } from '../runner/context.js';
import { PASSTHROUGH_TYPE } from './passthrough.js';

export interface CniSuiteOptions {
  /** Directories holding plugin executables (CNI_PATH). */
  path: string[];
  /** The network: a loaded .conflist (or .conf upgraded to a list). */
  list: NetworkConfigList;
  /** Index in list.plugins of the plugin under test (default 0). */
  pluginIndex?: number;
  /** Treat the plugin under test as a chained plugin (it must pass prevResult on). Default: pluginIndex > 0. */
  chained?: boolean;
  /** Create a network namespace per case and check interfaces in it (root only). */
  netns?: boolean;
  /** ADDs run at once by the concurrency case (default 50). */
  parallelAdds?: number;
  /** A config the plugin must reject (code 6 or 7), instead of the suite's mutation. */
  invalidConfig?: PluginConf;
  /** Plugins served in-process by type (tests: no exec per call). */
  inProcess?: Record<string, InProcessPlugin>;
  /** Where allocations are kept, host-local style (<dir>/<network>/<ip>); default: from the config. */
  ipamStateDir?: string;
}

export interface RawOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout parsed, when it is JSON. */
  json?: unknown;
}

export interface Attachment {
  network: string;
  containerID: string;
  ifName: string;
  netns: string;
  result?: Result;
}

export interface CniEnv {
  opts: CniSuiteOptions;
  /** Bin dirs: the configured ones plus the suite's own (passthrough). */
  path: string[];
  plugin: PluginConf;
  pluginType: string;
  index: number;
  chained: boolean;
  /** Negotiated cniVersion of the configured network. */
  version: string;
  supportedVersions: string[];
  /** host-local style state dir root, when the suite can see allocations. */
  stateDir?: string;
  /** Networks the run used (state dirs to check and clear). */
  networks: Set<string>;
  /** Attachments added and not yet deleted. */
  attachments: Map<string, Attachment>;
  /** A temp dir for recorder files. */
  scratch: string;
  timeoutMs: number;
  capabilities: Set<string>;
}

/**
 * Rule ids (conformance/rules/cni.yaml) the kit's own assertions name unless a case passes
 * another: a case using k.add declares addResult, k.del delOk, k.check checkOk.
 */
export const RULES = {
  /** ADD succeeds and prints a result. */
  addResult: 'cni.add.prints-result',
  /** DEL of what the case made succeeds (the runner's practice rule). */
  delOk: 'runner.cleanup.deletes-succeed',
  /** CHECK of an attachment as ADD left it succeeds. */
  checkOk: 'cni.check.right-after-add',
  /** Exit 0 on success, non-zero on failure. */
  exitCode: 'cni.errors.exit-code',
} as const;

export const VERSIONS_WITH_CHECK = '0.4.0';
export const VERSION_WITH_STATUS_GC = '1.1.0';

/** Run one plugin the raw way. env values that are undefined are left out of the environment. */
export async function invokeRaw(
  env: CniEnv,
  type: string,
  vars: Record<string, string | undefined>,
  stdin: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<RawOutput> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) if (v !== undefined) clean[k] = v;
  const inproc = env.opts.inProcess?.[type];
  let out: { exitCode: number; stdout: string; stderr: string };
  if (inproc) {
    let timer: NodeJS.Timeout | undefined;
    try {
      out = await Promise.race([
        inproc(clean, stdin).then((r) => ({ exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr ?? '' })),
        new Promise<never>((_, rej) => {
          timer = setTimeout(() => rej(new Error(`CNI ${vars.CNI_COMMAND} ${type}: no answer within ${timeoutMs} ms (in-process)`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  } else {
    const binary = findPlugin(type, env.path);
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CNI_')) base[k] = v;
    const r = await execa(binary, [], {
      input: stdin,
      env: { ...base, ...clean },
      extendEnv: false,
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      cancelSignal: signal,
      reject: false,
      stripFinalNewline: false,
    });
    if (r.timedOut) throw new Error(`CNI ${vars.CNI_COMMAND} ${type}: no answer within ${timeoutMs} ms (killed)`);
    if (r.isCanceled) throw new Error(`CNI ${vars.CNI_COMMAND} ${type}: canceled`);
    out = { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  }
  let json: unknown;
  try {
    json = out.stdout.trim() ? JSON.parse(out.stdout) : undefined;
  } catch {
    /* not JSON: judged by the case */
  }
  return { ...out, json };
}

export interface CallOpts {
  containerID?: string;
  ifName?: string;
  netns?: string;
  /** CNI_ARGS */
  args?: string;
  /** Variables to leave out entirely (e.g. ['CNI_IFNAME']). */
  omit?: string[];
  /** Variables to set as given (override). */
  vars?: Record<string, string | undefined>;
}

/** A plugin's error answer, or undefined when it is not a spec error object. */
export function errorObject(o: RawOutput): { code: number; msg: string; details?: string } | undefined {
  return isCniErrorObject(o.json) ? o.json : undefined;
}

/** The CNI commands: what a case may declare as its rpc (CNI has no proto; the command is the call). */
export const CNI_RPC_NAMES: readonly CniVerb[] = ['ADD', 'DEL', 'CHECK', 'STATUS', 'GC', 'VERSION'];

export class CniKit {
  static readonly rpcNames = CNI_RPC_NAMES;
  /** Calls are recorded as "CNI <command> <plugin type>". */
  static isCallOf(recorded: string, rpc: CniVerb): boolean {
    return recorded.startsWith(`CNI ${rpc} `);
  }

  constructor(
    readonly ctx: CaseContext,
    readonly env: CniEnv,
  ) {
    // Every exec'd call listens on the case's signal; the concurrency case has 50+ in flight.
    setMaxListeners(0, ctx.signal);
  }

  has(cap: string): boolean {
    return this.env.capabilities.has(cap);
  }

  /** A per-case copy of the network (fresh name; optionally another cniVersion or plugin list). */
  network(over: { cniVersion?: string; plugins?: PluginConf[] } = {}): NetworkConfigList {
    const name = this.ctx.unique('net');
    this.env.networks.add(name);
    this.ctx.cleanup(() => clearStateDir(this.env, name), `clear IPAM state dir of ${name}`);
    return { ...this.env.opts.list, name, cniVersion: over.cniVersion ?? this.env.version, plugins: over.plugins ?? this.env.opts.list.plugins };
  }

  /** netns path for a new attachment: a real namespace in --netns mode, else a made-up path. */
  async netns(): Promise<string> {
    const name = this.ctx.unique('ns');
    if (!this.env.opts.netns) return `/var/run/netns/${name}`;
    await execa('ip', ['netns', 'add', name]);
    this.ctx.cleanup(
      () =>
        execa('ip', ['netns', 'del', name]).then(
          () => undefined,
          () => undefined,
        ),
      `ip netns del ${name}`,
    );
    return `/var/run/netns/${name}`;
  }

  containerId(label = 'c'): string {
    return this.ctx.unique(label);
  }

  /** One raw call, recorded for failure reports. Rejects only when the plugin hangs or cannot run. */
  call(verb: CniVerb | string, type: string, conf: unknown, o: CallOpts = {}): Promise<RawOutput> {
    const vars: Record<string, string | undefined> = {
      CNI_COMMAND: verb,
      CNI_CONTAINERID: o.containerID,
      CNI_NETNS: o.netns,
      CNI_IFNAME: o.ifName,
      CNI_ARGS: o.args ?? '',
      CNI_PATH: this.env.path.join(':'),
      ...o.vars,
    };
    for (const k of o.omit ?? []) delete vars[k];
    const stdin = typeof conf === 'string' ? conf : JSON.stringify(conf);
    const shownEnv = Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== undefined));
    return this.ctx.track(
      `CNI ${verb} ${type}`,
      { env: shownEnv, stdin: conf },
      invokeRaw(this.env, type, vars, stdin, Math.min(this.env.timeoutMs, this.ctx.deadlineMs()), this.ctx.signal),
    );
  }

  /** The plugin under test's stdin config for a network (no prevResult). */
  pluginConf(net: NetworkConfigList, extra: Record<string, unknown> = {}): PluginConf {
    return { ...buildPluginConfig(net, net.plugins[this.env.index]), ...extra };
  }

  /**
   * ADD an attachment on every plugin of `net` in order, each given the previous result, as a
   * runtime does; every plugin must succeed with a result. DEL (reverse order) is registered.
   * Returns the final result and each plugin's own output.
   */
  async add(
    net: NetworkConfigList,
    o: { containerID?: string; ifName?: string; netns?: string; rule?: string } = {},
  ): Promise<{ result: Result; outputs: Result[]; att: Attachment }> {
    const att: Attachment = {
      network: net.name,
      containerID: o.containerID ?? this.containerId(),
      ifName: o.ifName ?? 'eth0',
      netns: o.netns ?? (await this.netns()),
    };
    const key = attKey(att);
    this.env.attachments.set(key, att);
    this.ctx.cleanup(async () => {
      if (!this.env.attachments.has(key)) return;
      await this.delRaw(net, att, true);
    }, `DEL ${att.containerID}/${att.ifName} on ${net.name}`);
    let prev: Result | undefined;
    const outputs: Result[] = [];
    for (const p of net.plugins) {
      const conf = buildPluginConfig(net, p, prev ? { prevResult: prev } : {});
      const callP = this.call('ADD', p.type, conf, att);
      const out = await callP;
      const r = expectCniSuccess(out, { rule: o.rule ?? RULES.addResult, call: callP }) as Result | undefined;
      if (!r || typeof r !== 'object') fail(`ADD of ${p.type} printed no result`, { rule: RULES.addResult, call: callP });
      outputs.push(r);
      prev = safeConvert(r, net.cniVersion);
    }
    att.result = prev;
    return { result: prev!, outputs, att };
  }

  /** DEL an attachment on every plugin in reverse, each with the final ADD result (0.4.0+). */
  async del(net: NetworkConfigList, att: Attachment, rule: string = RULES.delOk): Promise<void> {
    for (const p of [...net.plugins].reverse()) {
      const conf = buildPluginConfig(net, p, att.result && versionAtLeast(net.cniVersion, '0.4.0') ? { prevResult: att.result } : {});
      const callP = this.call('DEL', p.type, conf, att);
      expectCniSuccess(await callP, { rule, call: callP });
    }
    this.env.attachments.delete(attKey(att));
  }

  /** CHECK an attachment on every plugin in order with prevResult. */
  async check(net: NetworkConfigList, att: Attachment, rule: string = RULES.checkOk): Promise<void> {
    for (const p of net.plugins) {
      const conf = buildPluginConfig(net, p, att.result ? { prevResult: att.result } : {});
      const callP = this.call('CHECK', p.type, conf, att);
      expectCniSuccess(await callP, { rule, call: callP });
    }
  }

  /** CHECK that must fail on some plugin of the list; returns the failing output. */
  async checkFails(net: NetworkConfigList, att: Attachment): Promise<{ out: RawOutput; call: Promise<RawOutput> } | undefined> {
    for (const p of net.plugins) {
      const conf = buildPluginConfig(net, p, att.result ? { prevResult: att.result } : {});
      const call = this.call('CHECK', p.type, conf, att);
      const out = await call;
      if (out.exitCode !== 0 || errorObject(out)) return { out, call };
    }
    return undefined;
  }

  /** DEL used by cleanup: not recorded as an assertion. */
  private async delRaw(net: NetworkConfigList, att: Attachment, throwOnError: boolean): Promise<void> {
    for (const p of [...net.plugins].reverse()) {
      const conf = buildPluginConfig(net, p, att.result && versionAtLeast(net.cniVersion, '0.4.0') ? { prevResult: att.result } : {});
      const out = await invokeRaw(
        this.env,
        p.type,
        {
          CNI_COMMAND: 'DEL',
          CNI_CONTAINERID: att.containerID,
          CNI_NETNS: att.netns,
          CNI_IFNAME: att.ifName,
          CNI_ARGS: '',
          CNI_PATH: this.env.path.join(':'),
        },
        JSON.stringify(conf),
        this.env.timeoutMs,
      );
      if (out.exitCode !== 0 && throwOnError) throw new Error(`DEL of ${p.type} failed: ${out.stdout.trim() || out.stderr.trim() || `exit ${out.exitCode}`}`);
    }
    this.env.attachments.delete(attKey(att));
  }

  /** Allocations in the plugin's host-local style state dir for a network: ip → owner. */
  allocations(network: string): Map<string, { containerID: string; ifName: string }> {
    return readAllocations(this.env, network);
  }
}

export const attKey = (a: Pick<Attachment, 'network' | 'containerID' | 'ifName'>) => `${a.network}/${a.containerID}/${a.ifName}`;

function safeConvert(r: Result, version: string): Result {
  try {
    return convertResult({ ...r, cniVersion: r.cniVersion ?? version }, version);
  } catch {
    return r;
  }
}

/** Exit 0, no error object; returns stdout JSON. Failure shows the spec error (code by name). */
export function expectCniSuccess(out: RawOutput, { rule, call }: Omit<Expect, 'what'>): unknown {
  const e = errorObject(out);
  if (out.exitCode === 0 && !e) return out.json;
  const status = e
    ? { code: e.code, name: cniCodeName(e.code), message: `${e.msg}${e.details ? ` (${e.details})` : ''}` }
    : { code: out.exitCode, name: `exit ${out.exitCode}`, message: (out.stdout.trim() || out.stderr.trim() || 'no output').slice(0, 500) };
  fail(`${callOf(call)?.rpc ?? 'the call'} failed with ${status.name}: ${status.message}; expected success`, {
    rule,
    call,
    status,
    expected: 'exit code 0 and a result',
  });
}

/**
 * The call must fail the spec way: non-zero exit (cni.errors.exit-code) and an error object on
 * stdout ({code: integer, msg: string, details?: string}) whose code is one of `codes` — or, with
 * `pluginSpecific`, any code of 100 and up ("values of 100+ can be freely used for plugin
 * specific errors"). `rule` is named when the call succeeded or printed no error object (there is
 * then no code to judge), `codeRule` (default `rule`) when the code is another one.
 */
export function expectCniError(
  out: RawOutput,
  codes: number[],
  o: Omit<Expect, 'what'> & { pluginSpecific?: boolean; codeRule?: string },
): { code: number; msg: string; details?: string } {
  const { rule, call } = o;
  const want = codes.map((c) => `${c} (${cniCodeName(c)})`).join(' or ') + (o.pluginSpecific ? ' or a plugin-specific code (100+)' : '');
  if (out.exitCode === 0 && !errorObject(out))
    fail(`the call succeeded (exit 0), expected error code ${want}`, { rule, call, expected: `error ${want}`, actual: 'success' });
  const e = errorObject(out);
  if (!e) {
    fail(
      `the plugin exited ${out.exitCode} without a JSON error object on stdout, so it gave no error code (stdout: ${show(out.stdout.trim() || '(empty)')}${out.stderr.trim() ? `, stderr: ${show(out.stderr.trim())}` : ''})`,
      { rule, call, expected: `error object with code ${want}`, actual: out.stdout },
    );
  }
  const status = { code: e.code, name: cniCodeName(e.code), message: `${e.msg}${e.details ? ` (${e.details})` : ''}` };
  if (out.exitCode === 0) fail('the plugin printed an error object but exited 0', { rule: RULES.exitCode, call, status });
  if (!codes.includes(e.code) && !(o.pluginSpecific && e.code >= 100))
    fail(`the plugin answered error code ${e.code} (${cniCodeName(e.code)}), expected ${want}`, {
      rule: o.codeRule ?? rule,
      call,
      status,
      expected: want,
      actual: e.code,
    });
  return e;
}

/** Check a result against the spec for `version`: shape (library validation) and cniVersion. */
export function resultIssues(r: unknown, version: string): string[] {
  const issues = resultProblems(r);
  const v = (r as { cniVersion?: unknown })?.cniVersion;
  if (typeof v === 'string' && v !== version) issues.push(`cniVersion: result is ${v} but the config asked for ${version}`);
  return issues;
}

// ---- host-local style allocation state -----------------------------------------------------

export function readAllocations(env: CniEnv, network: string): Map<string, { containerID: string; ifName: string }> {
  const out = new Map<string, { containerID: string; ifName: string }>();
  if (!env.stateDir) return out;
  const dir = join(env.stateDir, network);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    if (!/^[0-9a-fA-F.:]+$/.test(n) || !/[.:]/.test(n)) continue;
    try {
      const [containerID = '', ifName = ''] = readFileSync(join(dir, n), 'utf8')
        .split(/\r?\n/)
        .map((s) => s.trim());
      out.set(n, { containerID, ifName });
    } catch {
      /* released meanwhile */
    }
  }
  return out;
}

/** Remove a network's state dir once no allocation is left in it (a per-case network). */
export function clearStateDir(env: CniEnv, network: string): void {
  if (!env.stateDir) return;
  if (readAllocations(env, network).size) return; // left for the leak check to report
  rmSync(join(env.stateDir, network), { recursive: true, force: true });
}

/** The state dir root a plugin config implies: dataDir (top level or ipam), or host-local's default. */
export function stateDirOf(p: PluginConf, memoryDefault?: { type: string; dir: string }): string | undefined {
  const ipam = (p.ipam ?? {}) as Record<string, unknown>;
  const d = (p as Record<string, unknown>).dataDir ?? ipam.dataDir;
  if (typeof d === 'string' && d) return d;
  if (ipam.type === 'host-local') return '/var/lib/cni/networks';
  if (memoryDefault && p.type === memoryDefault.type) return memoryDefault.dir;
  return undefined;
}

export { SUPPORTED_VERSIONS, PASSTHROUGH_TYPE };
