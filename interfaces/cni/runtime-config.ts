// What one plugin of a list reads on stdin: its own config with the list's name and cniVersion,
// the previous result when chaining, and runtimeConfig holding only the capabilities it declared
// (a plugin must never see runtime data it did not ask for).
import type { NetworkConfigList, PluginConf, Result } from './types.js';

/** runtimeConfig for a plugin: capabilityArgs filtered by the plugin's `capabilities`. */
export function runtimeConfigFor(plugin: PluginConf, capabilityArgs: Record<string, unknown> = {}): Record<string, unknown> {
  const rc: Record<string, unknown> = {};
  for (const [cap, enabled] of Object.entries(plugin.capabilities ?? {})) {
    if (enabled === true && Object.prototype.hasOwnProperty.call(capabilityArgs, cap) && capabilityArgs[cap] !== undefined) {
      rc[cap] = capabilityArgs[cap];
    }
  }
  return rc;
}

/** The plugin config with runtimeConfig injected (as libcni: replaced, and only when non-empty). */
export function injectRuntimeConfig(plugin: PluginConf, capabilityArgs: Record<string, unknown> = {}): PluginConf {
  const rc = runtimeConfigFor(plugin, capabilityArgs);
  return Object.keys(rc).length ? { ...plugin, runtimeConfig: rc } : { ...plugin };
}

export interface BuildOptions {
  prevResult?: Result;
  capabilityArgs?: Record<string, unknown>;
  /** Extra top-level keys (GC's cni.dev/valid-attachments). */
  extra?: Record<string, unknown>;
}

/** The JSON object to write on the plugin's stdin. */
export function buildPluginConfig(list: Pick<NetworkConfigList, 'name' | 'cniVersion'>, plugin: PluginConf, opts: BuildOptions = {}): PluginConf {
  const conf: PluginConf = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  if (opts.prevResult) conf.prevResult = opts.prevResult;
  Object.assign(conf, opts.extra ?? {});
  return opts.capabilityArgs ? injectRuntimeConfig(conf, opts.capabilityArgs) : conf;
}
