// Deliberately broken CNI plugins: memory-cni's core on the skeleton (dispatch) with ONE thing
// broken. Each names the conformance case that must catch it. Usable in-process (an
// InProcessPlugin for the suite's inProcess option) or installed as an executable
// (installBrokenCni → a wrapper running cni-main.ts <variant>).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cniError,
  CniErrorCode,
  dispatch,
  formatIp,
  type CmdArgs,
  type DispatchOutput,
  type InProcessPlugin,
  type PluginFuncs,
  type Result,
} from '../../interfaces/cni/index.js';
import { parseMemoryConf } from '../../plugins/memory-cni/config.js';
import { createMemoryCni, macForIp } from '../../plugins/memory-cni/plugin.js';
import { UNUSABLE_IFNAME } from '../cni/add.js';
import { findAllocation, listAllocations } from '../../plugins/memory-cni/store.js';
import { installScriptPlugin } from '../cni/install.js';

type Fn = (env: Record<string, string | undefined>, stdin: string) => Promise<DispatchOutput>;

export interface BrokenCniVariant {
  description: string;
  caughtBy: string;
  /** Run the suite with the plugin as a chained one. */
  chained?: boolean;
  fn: Fn;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const core = () => createMemoryCni();
const with_ = (over: Partial<PluginFuncs>): Fn => {
  const p = { ...core(), ...over };
  return (env, stdin) => dispatch(p, env, stdin);
};

/** A chained plugin done right: allocate like memory-cni, append to prevResult. */
export function chainedMemoryCni(dropPrev: boolean): PluginFuncs {
  const base = core();
  return {
    ...base,
    async add(a: CmdArgs): Promise<Result> {
      const own = await base.add(a);
      const prev = a.prevResult;
      if (!prev || dropPrev) return own;
      const offset = prev.interfaces?.length ?? 0;
      return {
        cniVersion: a.cniVersion,
        interfaces: [...(prev.interfaces ?? []), ...(own.interfaces ?? [])],
        ips: [...(prev.ips ?? []), ...(own.ips ?? []).map((ip) => ({ ...ip, interface: ip.interface === undefined ? undefined : ip.interface + offset }))],
        routes: [...(prev.routes ?? []), ...(own.routes ?? [])],
        dns: prev.dns ?? own.dns,
      };
    },
  };
}

/** Rewrite a successful or failed answer's JSON (stdout). */
const mapOut =
  (fn: Fn, map: (o: Record<string, unknown>, env: Record<string, string | undefined>) => Record<string, unknown>): Fn =>
  async (env, stdin) => {
    const out = await fn(env, stdin);
    if (!out.stdout.trim()) return out;
    return { ...out, stdout: `${JSON.stringify(map(JSON.parse(out.stdout) as Record<string, unknown>, env))}\n` };
  };
const plain: Fn = (env, stdin) => dispatch(core(), env, stdin);

/** A healthy chained plugin (the counterpart of drops-prev-result). */
export const referenceChainedCni: Fn = (env, stdin) => dispatch(chainedMemoryCni(false), env, stdin);

export const brokenCni: Record<string, BrokenCniVariant> = {
  'leaks-ip-on-del': {
    description: 'DEL answers success but keeps the address allocated',
    caughtBy: 'cni.ipam.del-frees-address',
    fn: with_({
      async del(a) {
        parseMemoryConf(a.config);
      },
    }),
  },
  'bad-interface-index': {
    description: 'ADD results point ips[].interface past the end of interfaces[]',
    caughtBy: 'cni.add.ip-interface-index-in-range',
    fn: async (env, stdin) => {
      const out = await dispatch(core(), env, stdin);
      if (env.CNI_COMMAND !== 'ADD' || out.exitCode !== 0) return out;
      const r = JSON.parse(out.stdout) as Result;
      for (const ip of r.ips ?? []) ip.interface = (r.interfaces?.length ?? 0) + 2;
      return { ...out, stdout: `${JSON.stringify(r)}\n` };
    },
  },
  'ignores-cni-version': {
    description: 'Accepts any cniVersion (answers as 1.1.0) instead of refusing unsupported ones with code 1',
    caughtBy: 'cni.version.unsupported-version-rejected',
    fn: async (env, stdin) => {
      let conf: Record<string, unknown> | undefined;
      try {
        conf = JSON.parse(stdin);
      } catch {
        /* let dispatch report it */
      }
      if (conf && typeof conf.cniVersion === 'string' && !createMemoryCni().versions.includes(conf.cniVersion))
        stdin = JSON.stringify({ ...conf, cniVersion: '1.1.0' });
      return dispatch(core(), env, stdin);
    },
  },
  'plain-text-errors': {
    description: "Prints errors as plain text on stderr instead of the spec's JSON error object on stdout",
    caughtBy: 'cni.errors.error-output-format',
    fn: async (env, stdin) => {
      const out = await dispatch(core(), env, stdin);
      if (out.exitCode === 0) return out;
      const e = JSON.parse(out.stdout) as { msg: string };
      return { stdout: '', stderr: `error: ${e.msg}\n`, exitCode: 1 };
    },
  },
  'del-not-idempotent': {
    description: 'DEL of an attachment that is already gone fails with code 3',
    caughtBy: 'cni.del.idempotent',
    fn: (() => {
      const base = core();
      return with_({
        async del(a) {
          if (!findAllocation(parseMemoryConf(a.config), a.containerID, a.ifName))
            throw cniError(CniErrorCode.UnknownContainer, `no attachment ${a.containerID}/${a.ifName}`);
          return base.del(a);
        },
      });
    })(),
  },
  'racy-ipam': {
    description: 'ADD picks the first free address, then records it a moment later without a lock: concurrent ADDs collide',
    caughtBy: 'cni.ipam.distinct-addresses-parallel',
    fn: with_({
      async add(a): Promise<Result> {
        const conf = parseMemoryConf(a.config);
        const taken = new Set(listAllocations(conf).map((x) => x.ip.value));
        let v = conf.rangeStart.value;
        while (v === conf.gateway.value || taken.has(v)) v++;
        await sleep(15); // the window another ADD slips through
        const ip = { family: conf.subnet.family, value: v };
        const { mkdirSync } = await import('node:fs');
        mkdirSync(conf.stateDir, { recursive: true });
        writeFileSync(join(conf.stateDir, formatIp(ip)), `${a.containerID}\n${a.ifName}`);
        return {
          cniVersion: '1.1.0',
          interfaces: [{ name: a.ifName, mac: macForIp(v), sandbox: a.netns }],
          ips: [{ address: `${formatIp(ip)}/${conf.subnet.prefix}`, gateway: formatIp(conf.gateway), interface: 0 }],
          routes: conf.routes,
        };
      },
    }),
  },
  'drops-prev-result': {
    description: 'As a chained plugin, answers only its own result and drops the prevResult it was given',
    caughtBy: 'cni.chain.prev-result-preserved',
    chained: true,
    fn: (env, stdin) => dispatch(chainedMemoryCni(true), env, stdin),
  },
  'check-always-passes': {
    description: 'CHECK succeeds without looking, even for a deleted attachment',
    caughtBy: 'cni.check.after-del-fails',
    fn: with_({
      async check() {
        /* nothing checked */
      },
    }),
  },
  'gc-noop': {
    description: 'GC succeeds without removing stale attachments',
    caughtBy: 'cni.gc.removes-stale',
    fn: with_({
      async gc() {
        /* nothing collected */
      },
    }),
  },
  'version-fixed-cni-version': {
    description: 'VERSION answers cniVersion 1.1.0 whatever cniVersion it was asked with',
    caughtBy: 'cni.version.echoes-cni-version',
    fn: mapOut(plain, (o, env) => (env.CNI_COMMAND === 'VERSION' ? { ...o, cniVersion: '1.1.0' } : o)),
  },
  'sandbox-not-cni-netns': {
    description: 'ADD reports the container interface with a sandbox other than the CNI_NETNS it was given',
    caughtBy: 'cni.add.sandbox-is-cni-netns',
    fn: mapOut(plain, (o, env) =>
      env.CNI_COMMAND === 'ADD' && Array.isArray(o.interfaces)
        ? { ...o, interfaces: (o.interfaces as Array<Record<string, unknown>>).map((i) => ({ ...i, sandbox: `/proc/1/task/1/ns/net#${env.CNI_NETNS}` })) }
        : o,
    ),
  },
  'accepts-unusable-ifname': {
    description: 'Cuts an interface name longer than 15 bytes down to 15 instead of failing',
    caughtBy: 'cni.add.unusable-ifname-fails',
    fn: (env, stdin) => dispatch(core(), env.CNI_IFNAME === UNUSABLE_IFNAME ? { ...env, CNI_IFNAME: env.CNI_IFNAME.slice(0, 15) } : env, stdin),
  },
  'ignores-existing-interface': {
    description: 'ADD of an interface name another container already has in the same namespace succeeds',
    caughtBy: 'cni.add.existing-interface-fails',
    fn: (() => {
      const base = core();
      // Without CNI_NETNS the core keeps no per-namespace claim; the sandbox is put back after.
      return with_({
        async add(a) {
          const r = await base.add({ ...a, netns: '' });
          return { ...r, interfaces: (r.interfaces ?? []).map((i) => ({ ...i, sandbox: a.netns })) };
        },
      });
    })(),
  },
  'vague-env-errors': {
    description: 'Error 4 says "invalid environment" without naming the variable',
    caughtBy: 'cni.errors.env-error-names-variable',
    fn: mapOut(plain, (o) =>
      o.code === CniErrorCode.InvalidEnvironmentVariables
        ? { cniVersion: o.cniVersion, code: CniErrorCode.InvalidEnvironmentVariables, msg: 'invalid environment' }
        : o,
    ),
  },
  'check-rejects-later-routes': {
    description: "CHECK fails when prevResult has routes it did not configure (a later plugin's)",
    caughtBy: 'cni.check.allows-later-changes',
    fn: (() => {
      const base = core();
      return with_({
        async check(a) {
          await base.check(a);
          const own = parseMemoryConf(a.config).routes ?? [];
          const extra = (a.prevResult?.routes ?? []).filter((r) => !own.some((o) => o.dst === r.dst));
          if (extra.length) throw cniError(102, `prevResult has routes this plugin did not add: ${extra.map((r) => r.dst).join(', ')}`);
        },
      });
    })(),
  },
  'ignores-missing-ifname': {
    description: 'ADD without CNI_IFNAME quietly uses eth0 instead of failing with code 4',
    caughtBy: 'cni.errors.missing-ifname',
    fn: (env, stdin) => dispatch(core(), env.CNI_COMMAND === 'ADD' && !env.CNI_IFNAME ? { ...env, CNI_IFNAME: 'eth0' } : env, stdin),
  },
};

/** In-process plugin for CniSuiteOptions.inProcess. */
export function brokenCniInProcess(variant: string): InProcessPlugin {
  const fn = variant === 'reference-chained' ? referenceChainedCni : brokenCni[variant]?.fn;
  if (!fn) throw new Error(`unknown broken CNI variant ${variant} (known: ${Object.keys(brokenCni).join(', ')}, reference-chained)`);
  return (env, stdin) => fn(env, stdin);
}

/** Install a variant as an executable plugin named `name` into binDir. */
export function installBrokenCni(binDir: string, name: string, variant: string): string {
  brokenCniInProcess(variant); // validates the name
  return installScriptPlugin(binDir, name, new URL(import.meta.url.endsWith('.js') ? './cni-main.js' : './cni-main.ts', import.meta.url).href, [variant]);
}
