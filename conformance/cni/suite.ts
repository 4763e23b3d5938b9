// The CNI conformance suite: asks the plugin under test for its versions (VERSION), derives
// what applies (CHECK from 0.4.0, STATUS/GC from 1.1.0, observable IPAM state, kernel checks,
// chained role), runs every applicable case, then looks for attachments, allocations and
// namespaces of this run that are still there. Without --netns it first tries one ADD with a
// made-up CNI_NETNS: a plugin that needs a real namespace refuses it, and then (as root) the
// run uses real namespaces by itself, or (not root) stops with an error saying what to do,
// instead of a page of failures that are all the plugin's "no such namespace".
import { execa } from 'execa';
import { buildPluginConfig } from '../../interfaces/cni/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispatch, versionAtLeast } from '../../interfaces/cni/index.js';
import { DEFAULT_DATA_DIR } from '../../plugins/memory-cni/config.js';
import { MEMORY_CNI_TYPE } from '../../plugins/memory-cni/plugin.js';
import type { Suite, SuiteSession } from '../runner/types.js';
import { addCases } from './add.js';
import { CNI, explainCniCapability } from './case.js';
import { chainCases } from './chain.js';
import { checkCases } from './check.js';
import { delCases } from './del.js';
import { errorCases } from './errors.js';
import { installScriptPlugin } from './install.js';
import { ipamCases } from './ipam.js';
import { clearStateDir, invokeRaw, readAllocations, stateDirOf, type CniEnv, type CniSuiteOptions } from './kit.js';
import { netnsCases } from './netns.js';
import { PASSTHROUGH_TYPE, passthroughPlugin } from './passthrough.js';
import { statusGcCases } from './status-gc.js';
import { versionCases } from './version.js';

export type { CniEnv, CniSuiteOptions } from './kit.js';

export const cniCases = [...versionCases, ...addCases, ...checkCases, ...delCases, ...errorCases, ...chainCases, ...ipamCases, ...statusGcCases, ...netnsCases];

export function cniSuite(opts: CniSuiteOptions): Suite<CniEnv> {
  return {
    name: 'cni',
    title: 'CNI conformance',
    cases: cniCases,
    async setup(run): Promise<SuiteSession<CniEnv>> {
      const index = opts.pluginIndex ?? 0;
      const plugin = opts.list.plugins[index];
      if (!plugin) throw new Error(`the network ${opts.list.name} has no plugin #${index}`);
      const scratch = mkdtempSync(join(tmpdir(), 'triad-cni-conformance-'));
      const bin = join(scratch, 'bin');
      const inProcess = opts.inProcess
        ? { [PASSTHROUGH_TYPE]: (env: Record<string, string>, stdin: string) => dispatch(passthroughPlugin, env, stdin), ...opts.inProcess }
        : undefined;
      if (!inProcess)
        installScriptPlugin(
          bin,
          PASSTHROUGH_TYPE,
          new URL(import.meta.url.endsWith('.js') ? './passthrough-main.js' : './passthrough-main.ts', import.meta.url).href,
        );
      const caps = new Set<string>();
      const env: CniEnv = {
        opts: { ...opts, inProcess },
        path: [...opts.path, bin],
        plugin,
        pluginType: plugin.type,
        index,
        chained: opts.chained ?? index > 0,
        version: opts.list.cniVersion,
        supportedVersions: [],
        stateDir: opts.ipamStateDir ?? stateDirOf(plugin, { type: MEMORY_CNI_TYPE, dir: DEFAULT_DATA_DIR }),
        networks: new Set(),
        attachments: new Map(),
        scratch,
        timeoutMs: run.timeoutMs,
        capabilities: caps,
      };
      const facts: Record<string, string> = { plugin: plugin.type, network: opts.list.name, cniVersion: env.version, path: opts.path.join(':') };
      try {
        const out = await invokeRaw(
          env,
          plugin.type,
          { CNI_COMMAND: 'VERSION', CNI_PATH: env.path.join(':') },
          JSON.stringify({ cniVersion: env.version }),
          run.timeoutMs,
        );
        const v = out.json as { supportedVersions?: unknown };
        if (out.exitCode === 0 && Array.isArray(v?.supportedVersions))
          env.supportedVersions = v.supportedVersions.filter((x): x is string => typeof x === 'string');
        else facts.VERSION = `failed: exit ${out.exitCode}: ${out.stdout.trim().slice(0, 200)}`;
      } catch (e) {
        rmSync(scratch, { recursive: true, force: true });
        throw new Error(`VERSION of ${plugin.type} failed: ${(e as Error).message}`);
      }
      facts.supportedVersions = env.supportedVersions.join(', ');
      for (const v of env.supportedVersions) caps.add(CNI.version(v));
      const atLeast = (v: string, min: string) => {
        try {
          return versionAtLeast(v, min);
        } catch {
          return false;
        }
      };
      if (atLeast(env.version, '0.4.0')) caps.add(CNI.check);
      if (env.supportedVersions.includes('1.1.0')) caps.add(CNI.statusGc);
      if (env.stateDir) {
        caps.add(CNI.ipamState);
        facts.ipamState = env.stateDir;
      }
      const root = process.getuid?.() === 0;
      if (!opts.netns) {
        const refused = await refusesMadeUpNetns(env, run.prefix, run.timeoutMs);
        if (refused && !root) {
          rmSync(scratch, { recursive: true, force: true });
          throw new Error(
            `${plugin.type} needs real network namespaces: an ADD with a made-up CNI_NETNS failed with "${refused}". Run as root and pass --netns (the suite then makes a namespace per attachment).`,
          );
        }
        if (refused) {
          env.opts = { ...env.opts, netns: true };
          facts.netns = `real namespaces, chosen automatically: ${plugin.type} refused a made-up CNI_NETNS ("${refused.slice(0, 160)}")`;
        }
      } else facts.netns = 'real namespaces (--netns)';
      if (env.opts.netns) caps.add(CNI.kernel);
      if (env.chained) caps.add(CNI.chained);

      return {
        env,
        capabilities: caps,
        facts,
        explain: explainCniCapability,
        environment: (c) => ((c.needs ?? []).includes(CNI.kernel) && !root ? 'network namespaces need root (ip netns add)' : undefined),
        async leakCheck() {
          const leaks: string[] = [];
          for (const a of env.attachments.values()) leaks.push(`attachment ${a.containerID}/${a.ifName} on ${a.network} was never deleted`);
          for (const n of env.networks) {
            for (const [ip, o] of readAllocations(env, n))
              if (o.containerID.startsWith(run.prefix)) leaks.push(`address ${ip} still allocated to ${o.containerID}/${o.ifName} (${join(env.stateDir!, n)})`);
          }
          if (env.opts.netns && root) {
            try {
              const r = await execa('ip', ['netns', 'list']);
              for (const line of r.stdout.split('\n')) if (line.startsWith(`${run.prefix}-`)) leaks.push(`network namespace ${line.split(' ')[0]}`);
            } catch {
              /* no ip tool: nothing to report */
            }
          }
          return leaks;
        },
        async teardown() {
          for (const n of env.networks) {
            try {
              clearStateDir(env, n);
            } catch {
              /* best effort */
            }
          }
          rmSync(scratch, { recursive: true, force: true });
        },
      };
    },
  };
}

/**
 * One ADD (and DEL) of the list up to the plugin under test, with a CNI_NETNS that does not exist.
 * A plugin that must enter the namespace fails naming it: returns its message. A plugin that
 * accepts any path (memory-cni) or fails for another reason: undefined (the cases judge it).
 */
async function refusesMadeUpNetns(env: CniEnv, prefix: string, timeoutMs: number): Promise<string | undefined> {
  const netns = `/var/run/netns/${prefix}-probe-absent`;
  const net = { ...env.opts.list, name: `${prefix}-probe` };
  const vars = { CNI_CONTAINERID: `${prefix}-probe`, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_ARGS: '', CNI_PATH: env.path.join(':') };
  env.networks.add(net.name);
  let prev: unknown;
  let message: string | undefined;
  const plugins = net.plugins.slice(0, env.index + 1);
  try {
    for (const p of plugins) {
      const out = await invokeRaw(
        env,
        p.type,
        { ...vars, CNI_COMMAND: 'ADD' },
        JSON.stringify(buildPluginConfig(net, p, prev ? { prevResult: prev as never } : {})),
        timeoutMs,
      );
      const e = out.json as { msg?: unknown; details?: unknown } | undefined;
      if (out.exitCode !== 0) {
        const text = `${typeof e?.msg === 'string' ? e.msg : out.stdout.trim() || out.stderr.trim()}${typeof e?.details === 'string' && e.details ? `: ${e.details}` : ''}`;
        if (text.includes(netns) || /netns|namespace/i.test(text)) message = text.replace(/\s+/g, ' ').trim();
        break;
      }
      prev = out.json;
    }
  } finally {
    for (const p of [...plugins].reverse()) {
      await invokeRaw(env, p.type, { ...vars, CNI_COMMAND: 'DEL' }, JSON.stringify(buildPluginConfig(net, p)), timeoutMs).catch(() => undefined);
    }
  }
  return message;
}
