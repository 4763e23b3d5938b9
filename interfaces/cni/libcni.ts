// The runtime side of CNI (what libcni is in Go): run a network config list's plugins in order
// for ADD, in reverse for DEL, with prevResult chaining, the result cache, and version gating.
import { CniError, NO_PLUGIN_CODE } from './errors.js';
import { execPlugin, type ExecOptions, type ExecRequest, type InProcessPlugin } from './exec.js';
import { DEFAULT_CACHE_DIR, deleteCache, listCache, readCache, writeCache, type CacheEntry } from './cache.js';
import { buildPluginConfig } from './runtime-config.js';
import {
  CniErrorCode,
  VALID_ATTACHMENTS_KEY,
  type CniVerb,
  type GcAttachment,
  type NetworkConfigList,
  type PluginConf,
  type Result,
  type VersionResult,
} from './types.js';
import { validateContainerID, validateInterfaceName, validateNetworkName } from './validate.js';
import { convertResult, CURRENT_VERSION, resultProblems, versionAtLeast } from './version.js';

export interface RuntimeConf {
  containerID: string;
  netns?: string;
  ifName: string;
  /** CNI_ARGS pairs. */
  args?: [string, string][];
  /** Capability data (portMappings, bandwidth, ...); each plugin sees only what it declares. */
  capabilityArgs?: Record<string, unknown>;
  /** Used when the CniConfig has no cacheDir of its own (as libcni). */
  cacheDir?: string;
}

export interface CniConfigOptions {
  /** Plugin binary dirs; also passed to plugins as CNI_PATH. */
  path: string[];
  /** Where ADD results are cached; default os.tmpdir()/triad-cni-cache-<uid>. */
  cacheDir?: string;
  /** Per plugin call; default 30 s. */
  timeoutMs?: number;
  env?: Record<string, string>;
  /** Plugins served in-process by type name, without exec (e.g. memory-cni's core). */
  inProcess?: Record<string, InProcessPlugin>;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** Whether a gated operation actually ran, and why not when it did not. */
export interface Outcome {
  ran: boolean;
  reason?: string;
}

export class CniConfig {
  readonly path: string[];
  private readonly opts: CniConfigOptions;

  constructor(opts: CniConfigOptions) {
    this.opts = opts;
    this.path = opts.path;
  }

  cacheDirFor(rt?: Pick<RuntimeConf, 'cacheDir'>): string {
    return this.opts.cacheDir ?? rt?.cacheDir ?? DEFAULT_CACHE_DIR;
  }

  /** ADD every plugin in order, each seeing the previous one's result; returns and caches the last. */
  async addNetworkList(list: NetworkConfigList, rt: RuntimeConf, call: CallOptions = {}): Promise<Result> {
    this.validate(list, rt);
    let result: Result | undefined;
    for (const plugin of list.plugins) {
      const conf = buildPluginConfig(list, plugin, { prevResult: result, capabilityArgs: rt.capabilityArgs });
      const out = await this.run('ADD', plugin, conf, rt, call);
      result = this.toResult(out, list, plugin);
    }
    writeCache(this.cacheDirFor(rt), {
      containerId: rt.containerID,
      config: Buffer.from(JSON.stringify(stripNegotiated(list))).toString('base64'),
      ifName: rt.ifName,
      networkName: list.name,
      netns: rt.netns,
      cniArgs: rt.args,
      capabilityArgs: rt.capabilityArgs,
      result,
    });
    return result!;
  }

  /** CHECK every plugin in order with the cached result; an error for configs older than 0.4.0. */
  async checkNetworkList(list: NetworkConfigList, rt: RuntimeConf, call: CallOptions = {}): Promise<Outcome> {
    if (!versionAtLeast(list.cniVersion, '0.4.0')) {
      throw new CniError({
        code: CniErrorCode.IncompatibleVersion,
        kind: 'unsupported',
        verb: 'CHECK',
        msg: `network ${JSON.stringify(list.name)} uses cniVersion ${list.cniVersion}; CHECK needs 0.4.0 or later`,
      });
    }
    if (list.disableCheck) return { ran: false, reason: 'disableCheck is set' };
    this.validate(list, rt);
    const prevResult = this.cachedResult(list, rt);
    if (!prevResult) {
      throw new CniError({
        code: CniErrorCode.UnknownContainer,
        kind: 'invalid',
        verb: 'CHECK',
        msg: `no cached ADD result for ${list.name}/${rt.containerID}/${rt.ifName}: CHECK needs a preceding ADD`,
      });
    }
    for (const plugin of list.plugins) {
      await this.run('CHECK', plugin, buildPluginConfig(list, plugin, { prevResult, capabilityArgs: rt.capabilityArgs }), rt, call);
    }
    return { ran: true };
  }

  /**
   * DEL every plugin in reverse order, each given the cached ADD result (0.4.0+). Stops at the
   * first error, as libcni does, and keeps the cache so a retried DEL still has prevResult.
   */
  async delNetworkList(list: NetworkConfigList, rt: RuntimeConf, call: CallOptions = {}): Promise<void> {
    this.validate(list, rt);
    const dir = this.cacheDirFor(rt);
    const key = { network: list.name, containerID: rt.containerID, ifName: rt.ifName };
    let prevResult: Result | undefined;
    if (versionAtLeast(list.cniVersion, '0.4.0')) {
      try {
        prevResult = this.cachedResult(list, rt);
      } catch {
        deleteCache(dir, key); // a corrupt cache must not block cleanup
      }
    }
    for (const plugin of [...list.plugins].reverse()) {
      await this.run('DEL', plugin, buildPluginConfig(list, plugin, { prevResult, capabilityArgs: rt.capabilityArgs }), rt, call);
    }
    deleteCache(dir, key);
  }

  /** STATUS every plugin in order (1.1.0+; older configs have no STATUS and count as ready). */
  async statusNetworkList(list: NetworkConfigList, call: CallOptions = {}): Promise<Outcome> {
    if (!versionAtLeast(list.cniVersion, '1.1.0')) return { ran: false, reason: `cniVersion ${list.cniVersion} has no STATUS` };
    for (const plugin of list.plugins) {
      await this.run('STATUS', plugin, buildPluginConfig(list, plugin), undefined, call);
    }
    return { ran: true };
  }

  /**
   * GC (libcni's GCNetworkList): DEL cached attachments of this network that are not valid, then,
   * for 1.1.0+, GC every plugin with cni.dev/valid-attachments. Errors are collected, not fatal.
   */
  async gcNetworkList(list: NetworkConfigList, validAttachments: GcAttachment[], call: CallOptions = {}): Promise<Outcome> {
    if (list.disableGC) return { ran: false, reason: 'disableGC is set' };
    validateNetworkName(list.name);
    const errors: Error[] = [];
    const valid = new Set(validAttachments.map((a) => `${a.containerID}\u0000${a.ifname}`));
    for (const e of listCache(this.cacheDirFor(), undefined)) {
      if (e.networkName !== list.name || valid.has(`${e.containerId}\u0000${e.ifName}`)) continue;
      try {
        await this.delNetworkList(list, rtFromCache(e), call);
      } catch (err) {
        errors.push(new Error(`deleting stale attachment ${e.containerId}/${e.ifName}: ${(err as Error).message}`, { cause: err }));
      }
    }
    const gated = !versionAtLeast(list.cniVersion, '1.1.0');
    if (!gated) {
      const extra = { [VALID_ATTACHMENTS_KEY]: validAttachments.map(({ containerID, ifname }) => ({ containerID, ifname })) };
      for (const plugin of list.plugins) {
        try {
          await this.run('GC', plugin, buildPluginConfig(list, plugin, { extra }), undefined, call);
        } catch (err) {
          errors.push(err as Error);
        }
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `GC of network ${list.name}: ${errors.map((e) => e.message).join('; ')}`);
    return gated ? { ran: false, reason: `cniVersion ${list.cniVersion} has no GC (stale cached attachments were still deleted)` } : { ran: true };
  }

  /** VERSION: which spec versions the plugin supports. */
  async getVersionInfo(pluginType: string, call: CallOptions = {}): Promise<VersionResult> {
    const out = await this.run('VERSION', { type: pluginType }, { cniVersion: CURRENT_VERSION }, undefined, call);
    const v = out as Partial<VersionResult> | undefined;
    if (!v || typeof v.cniVersion !== 'string' || !Array.isArray(v.supportedVersions) || !v.supportedVersions.every((s) => typeof s === 'string')) {
      throw new CniError({
        code: NO_PLUGIN_CODE,
        kind: 'output',
        plugin: pluginType,
        verb: 'VERSION',
        msg: `answered ${JSON.stringify(out)}, not {cniVersion, supportedVersions}`,
      });
    }
    return { cniVersion: v.cniVersion, supportedVersions: v.supportedVersions };
  }

  /** Checks every plugin of the list exists and supports the list's version; returns its capabilities. */
  async validateNetworkList(list: NetworkConfigList): Promise<string[]> {
    const caps = new Set<string>();
    for (const p of list.plugins) {
      const v = await this.getVersionInfo(p.type);
      if (!v.supportedVersions.includes(list.cniVersion)) {
        throw new CniError({
          code: CniErrorCode.IncompatibleVersion,
          kind: 'unsupported',
          plugin: p.type,
          msg: `does not support cniVersion ${list.cniVersion} (supports ${v.supportedVersions.join(', ')})`,
        });
      }
      for (const [c, on] of Object.entries(p.capabilities ?? {})) if (on) caps.add(c);
    }
    return [...caps].sort();
  }

  /** The cached ADD result in the list's version, or undefined. */
  getCachedResult(list: NetworkConfigList, rt: RuntimeConf): Result | undefined {
    return this.cachedResult(list, rt);
  }

  /** Attachments recorded in the cache (network, container, ifname, ...), optionally for one container. */
  getCachedAttachments(containerID?: string): CacheEntry[] {
    return listCache(this.cacheDirFor(), containerID);
  }

  private cachedResult(list: NetworkConfigList, rt: RuntimeConf): Result | undefined {
    const e = readCache(this.cacheDirFor(rt), { network: list.name, containerID: rt.containerID, ifName: rt.ifName });
    return e?.result ? convertResult(e.result, list.cniVersion) : undefined;
  }

  private validate(list: NetworkConfigList, rt: RuntimeConf): void {
    validateNetworkName(list.name);
    validateContainerID(rt.containerID);
    validateInterfaceName(rt.ifName);
  }

  private async run(verb: CniVerb, plugin: PluginConf, config: unknown, rt: RuntimeConf | undefined, call: CallOptions): Promise<unknown> {
    const req: ExecRequest = {
      verb,
      pluginType: plugin.type,
      config,
      path: this.path,
      containerID: rt?.containerID,
      netns: rt?.netns,
      ifName: rt?.ifName,
      args: rt?.args,
    };
    const o: ExecOptions = { timeoutMs: this.opts.timeoutMs, env: this.opts.env, inProcess: this.opts.inProcess, signal: call.signal };
    return (await execPlugin(req, o)).json;
  }

  private toResult(json: unknown, list: NetworkConfigList, plugin: PluginConf): Result {
    const fail = (msg: string) => new CniError({ code: NO_PLUGIN_CODE, kind: 'output', plugin: plugin.type, verb: 'ADD', msg });
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw fail(`returned ${json === undefined ? 'no result' : JSON.stringify(json)} instead of a result object`);
    const raw = { cniVersion: list.cniVersion, ...(json as object) } as Result;
    const problems = resultProblems(raw);
    if (problems.length) throw fail(`returned an invalid result: ${problems.join('; ')}`);
    try {
      return convertResult(raw, list.cniVersion);
    } catch (e) {
      throw fail((e as Error).message);
    }
  }
}

function rtFromCache(e: CacheEntry): RuntimeConf {
  return { containerID: e.containerId, ifName: e.ifName, netns: e.netns, args: e.cniArgs, capabilityArgs: e.capabilityArgs };
}

/** The list as written (drop keys added at load time, like `file`). */
function stripNegotiated(list: NetworkConfigList): object {
  const { file: _file, ...rest } = list as NetworkConfigList & { file?: string };
  return rest;
}
