// CNI: one plugin (the first of the network config's list) run the way a runtime runs it, with
// sequences of verbs on made-up containers: VERSION, ADD, CHECK with the ADD's result, a second
// container asking for the same interface in the same namespace, DEL, DEL again, CHECK after
// DEL. Mutations bend the env (missing or strange CNI_* values), the config on stdin and its
// cniVersion. Oracles: a hang, a crash, output that is not the spec's (no error object on a
// failure, not JSON), a code the spec names not given, an ADD result that contradicts itself or
// the namespace it was given, a DEL that is not repeatable, a CHECK that passes after DEL.
import { CniError, execPlugin, loadConfFile, type CniVerb, type InProcessPlugin, type NetworkConfigList } from '../interfaces/cni/index.js';
import { mutate } from './mutators.js';
import type { Rng } from './rng.js';
import { rule } from './rules.js';
import type { Execution, Finding, Json, Step, Target } from './types.js';

export interface CniFuzzOptions {
  /** CNI_PATH: where the plugin binary is found. */
  cniPath: string[];
  /** A network config (.conf) or list (.conflist): the first plugin is fuzzed with the list's name and cniVersion. */
  config: string;
  callTimeoutMs?: number;
  /** Run plugins in this process by type (tests, memory-cni) instead of exec'ing them. */
  inProcess?: Record<string, InProcessPlugin>;
}

interface Req {
  env: Record<string, string>;
  config: Record<string, Json>;
}
type Outcome = { ok: true; json: any } | { ok: false; err: CniError };

const REQUIRED_ENV: Partial<Record<CniVerb, string[]>> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME'],
};

export class CniTarget implements Target {
  readonly kind = 'cni' as const;
  private readonly list: NetworkConfigList;
  constructor(readonly o: CniFuzzOptions) {
    this.list = loadConfFile(o.config);
    if (!this.list.plugins.length) throw new Error(`${o.config}: no plugins`);
  }

  /** The network config a plugin gets on stdin (list name and version, its own keys). */
  private baseConfig(): Record<string, Json> {
    return { cniVersion: this.list.cniVersion, name: this.list.name, ...(structuredClone(this.list.plugins[0]) as Record<string, Json>) };
  }

  generate(rng: Rng, run: number): Step[] {
    return generateCni(rng, run, this.baseConfig());
  }

  async alive(): Promise<boolean> {
    return true;
  } // a new process per call: nothing to die between calls

  private async call(verb: string, r: Req): Promise<Outcome> {
    const env = r.env ?? {};
    try {
      const out = await execPlugin(
        {
          // The binary is the config's plugin whatever a bent `type` on stdin says (the runtime picked it).
          verb: verb as CniVerb,
          pluginType: this.list.plugins[0].type,
          config: r.config,
          containerID: env.CNI_CONTAINERID,
          netns: env.CNI_NETNS,
          ifName: env.CNI_IFNAME,
          args: env.CNI_ARGS,
          path: this.o.cniPath,
        },
        { timeoutMs: this.o.callTimeoutMs ?? 10_000, inProcess: this.o.inProcess },
      );
      return { ok: true, json: out.json };
    } catch (e) {
      if (e instanceof CniError) return { ok: false, err: e };
      throw e; // the config could not be sent at all (a bad CNI_ARGS pair ...): not the plugin's doing
    }
  }

  async execute(steps: Step[]): Promise<Execution> {
    const findings: Finding[] = [];
    const signal = new Set<string>();
    const results = new Map<string, Json>(); // bind name → ADD result
    const added = new Map<string, Req>(); // container id → the ADD that succeeded (for cleanup)
    const deleted = new Set<string>();
    const uncertain = new Set<string>(); // a bent DEL succeeded: gone or not, nobody knows
    let calls = 0;
    let prevDel: string | undefined;
    try {
      for (let i = 0; i < steps.length; i++) {
        const step = steps[i];
        const verb = step.rpc;
        const req = resolve(step.req, results) as unknown as Req;
        // A later plugin in a chain may add routes to the result CHECK is given.
        const prev = req.config?.prevResult as { routes?: Json[] } | undefined;
        if ((step as Step & { laterRoute?: boolean }).laterRoute && prev && typeof prev === 'object')
          prev.routes = [...(prev.routes ?? []), { dst: '198.51.100.0/24' }];
        const f = (oracle: Finding['oracle'], id: string | undefined, message: string) =>
          findings.push({ oracle, rpc: verb, step: i, ...(id ? { rule: rule(id) } : {}), message });
        let o: Outcome;
        try {
          o = await this.call(verb, req);
        } catch {
          continue;
        }
        calls++;
        signal.add(`${verb}|${o.ok ? 'ok' : `${o.err.kind}:${o.err.code}`}`);
        const mutated = !!step.mutations?.length;
        const cid = req.env?.CNI_CONTAINERID ?? '';
        if (!o.ok) {
          const e = o.err;
          if (e.kind === 'timeout') {
            f('deadline', undefined, e.msg);
            continue;
          }
          if (e.kind === 'signal') {
            f('plugin-died', undefined, `${e.msg}${e.stderr ? ` (stderr: ${e.stderr.slice(0, 200)})` : ''}`);
            continue;
          }
          if (e.kind === 'exit') {
            f('bad-output', 'cni.errors.error-object', `${verb} failed without the JSON error object on stdout: ${e.msg.slice(0, 200)}`);
            continue;
          }
          if (e.kind === 'output') {
            f('bad-output', 'cni.add.prints-result', e.msg.slice(0, 200));
            continue;
          }
        }
        const code = o.ok ? 0 : o.err.code;
        // A required CNI_* variable missing: the spec names code 4, and the message names the variable.
        const missing = (REQUIRED_ENV[verb as CniVerb] ?? []).filter((k) => !req.env?.[k]);
        if (missing.length) {
          if (code === 0) f('wrong-code', 'cni.add.required-env', `${verb} without ${missing.join(', ')} succeeded`);
          else if (step.mutations?.length === 1 && code === 4 && !o.ok && !missing.some((k) => `${o.err.msg} ${o.err.details ?? ''}`.includes(k))) {
            f(
              'wrong-code',
              'cni.errors.code-4-names-variable',
              `${verb} without ${missing[0]} failed with code 4 but does not name the variable: ${JSON.stringify(o.err.msg)}`,
            );
          } else if (step.mutations?.length === 1 && code !== 4)
            f('wrong-code', 'cni.errors.code-4-invalid-env', `${verb} without ${missing.join(', ')} failed with code ${code} where the spec names 4`);
          continue;
        }
        if (step.expect === 'incompatible' && code !== 1 && !(verb === 'VERSION' && code === 0)) {
          f(
            'wrong-code',
            'cni.errors.code-1-incompatible-version',
            `${verb} with cniVersion ${JSON.stringify(req.config?.cniVersion)} answered ${code === 0 ? 'success' : `code ${code}`} where the spec names 1`,
          );
          continue;
        }
        if (step.expect === 'fail' && code === 0) {
          f('wrong-code', step.expectRule!, step.expectWhy!);
          continue;
        }
        if (step.expect === 'clash' && !mutated) {
          // Only while another container holds that interface name in that namespace.
          const same = JSON.stringify(req.config);
          const holder = [...added.entries()].find(
            ([c, r]) => c !== cid && r.env.CNI_NETNS === req.env.CNI_NETNS && r.env.CNI_IFNAME === req.env.CNI_IFNAME && JSON.stringify(r.config) === same,
          );
          if (holder && code === 0)
            f(
              'wrong-code',
              'cni.add.existing-interface-fails',
              `ADD of ${cid} asking for ${req.env.CNI_IFNAME} in ${req.env.CNI_NETNS}, which ${holder[0]} already has there, succeeded`,
            );
          if (code === 0) added.set(cid, req);
          continue;
        }
        if (mutated || step.expect) {
          if (verb === 'ADD' && o.ok) added.set(cid, req);
          // A bent DEL that succeeded may or may not have removed the attachment: claim neither
          // (the cleanup still DELs it the way it was added).
          if (verb === 'DEL' && o.ok) {
            uncertain.add(cid);
            deleted.delete(cid);
          }
          continue;
        }
        // Well-formed calls from here on.
        if (verb === 'ADD' && o.ok) {
          added.set(cid, req);
          deleted.delete(cid);
          uncertain.delete(cid);
          if (step.bind) results.set(step.bind, o.json as Json);
          const r = o.json as { interfaces?: { name?: string; sandbox?: string }[]; ips?: { interface?: number }[] };
          const n = r.interfaces?.length ?? 0;
          const bad = (r.ips ?? []).find((ip) => ip.interface !== undefined && (ip.interface < 0 || ip.interface >= n));
          if (bad) f('wrong-answer', 'cni.result.ip-interface-index', `ips[].interface ${bad.interface} is past the ${n} interface(s) of the result`);
          const own = (r.interfaces ?? []).find((x) => x.name === req.env.CNI_IFNAME);
          if (own?.sandbox && own.sandbox !== req.env.CNI_NETNS)
            f(
              'wrong-answer',
              'cni.result.sandbox-is-cni-netns',
              `the container interface ${own.name} is reported in sandbox ${own.sandbox}, not CNI_NETNS ${req.env.CNI_NETNS}`,
            );
        }
        if (verb === 'DEL') {
          if (!o.ok)
            f(
              'wrong-code',
              prevDel === cid ? 'cni.del.repeatable' : 'cni.del.completes-despite-missing',
              `DEL${prevDel === cid ? ' again' : ''} of ${cid} failed with code ${code}: ${o.err.msg}`,
            );
          else deleted.add(cid); // still DEL'd at cleanup: the ADD may have been on another (bent) network
        }
        if (verb === 'CHECK' && o.ok && deleted.has(cid))
          f('wrong-code', 'cni.check.created-resource-missing-fails', `CHECK of ${cid} succeeded after its DEL`);
        if (verb === 'CHECK' && !o.ok && added.has(cid) && !uncertain.has(cid) && !deleted.has(cid) && req.config?.prevResult) {
          const later = (step as Step & { laterRoute?: boolean }).laterRoute;
          f(
            'wrong-code',
            later ? 'cni.check.allows-later-changes' : 'cni.check.right-after-add',
            `CHECK of ${cid} right after its ADD${later ? ', with a route a later plugin added in prevResult,' : ''} failed with code ${code}: ${o.err.msg}`,
          );
        }
        if (verb === 'VERSION' && o.ok && req.config?.cniVersion && (o.json as { cniVersion?: string }).cniVersion !== req.config.cniVersion) {
          f(
            'wrong-answer',
            'cni.version.echoes-cni-version',
            `VERSION asked with cniVersion ${req.config.cniVersion} answered cniVersion ${(o.json as { cniVersion?: string }).cniVersion}`,
          );
        }
        prevDel = verb === 'DEL' ? cid : undefined;
      }
      return { findings, calls, signal: [...signal] };
    } finally {
      // Undo every ADD that took effect (not judged).
      for (const r of added.values()) await this.call('DEL', r).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    /* nothing held */
  }
}

/** "$name" strings → the bound ADD result. */
function resolve(v: Json, results: Map<string, Json>): Json {
  if (typeof v === 'string' && v.startsWith('$')) return results.get(v.slice(1)) ?? null;
  if (Array.isArray(v)) return v.map((x) => resolve(x, results));
  // An unbound "$name" member is left out (no prevResult when the ADD did not succeed).
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => !(typeof x === 'string' && x.startsWith('$') && !results.has(x.slice(1))))
        .map(([k, x]) => [k, resolve(x, results)]),
    );
  return v;
}

/** One CNI sequence on a made-up container (and a second one sharing its namespace). */
export function generateCni(rng: Rng, run: number, config: Record<string, Json>): Step[] {
  const id = `fuzz-${run}-${rng.int(1e9).toString(36)}`;
  const netns = `/var/run/netns/${id}`;
  const env = (cid: string, ifname = 'eth0') => ({ CNI_CONTAINERID: cid, CNI_NETNS: netns, CNI_IFNAME: ifname });
  const withPrev = { ...config, prevResult: '$r' };
  const lifecycle: Step[] = [
    { rpc: 'VERSION', req: { env: {}, config: { cniVersion: rng.pick(['0.4.0', '1.0.0', String(config.cniVersion ?? '1.0.0')]) } } },
    { rpc: 'ADD', req: { env: env(id), config }, bind: 'r' },
    { rpc: 'CHECK', req: { env: env(id), config: withPrev }, ...(rng.chance(0.5) ? { laterRoute: true } : {}) } as Step,
    { rpc: 'ADD', req: { env: env(`${id}-other`), config }, expect: 'clash' },
    { rpc: 'DEL', req: { env: env(id), config: withPrev } },
    { rpc: 'DEL', req: { env: env(id), config: withPrev } },
    { rpc: 'CHECK', req: { env: env(id), config: withPrev } },
  ];
  const steps: Step[] = [];
  for (const [i, s] of lifecycle.entries()) if (i === 1 || rng.chance(0.8)) steps.push(structuredClone(s));
  const out: Step[] = [];
  for (const s of steps) {
    let step = s;
    const r = rng.next();
    if (r < 0.08 && REQUIRED_ENV[s.rpc as CniVerb]) {
      const k = rng.pick(REQUIRED_ENV[s.rpc as CniVerb]!);
      const req = structuredClone(s.req) as { env: Record<string, Json> };
      delete req.env[k];
      step = { ...s, req: req as unknown as Json, mutations: [`${k} removed`], bind: undefined };
    } else if (r < 0.13) {
      const req = structuredClone(s.req) as { config: Record<string, Json> };
      req.config.cniVersion = rng.pick(['99.0.0', '0.0.1']);
      step = { ...s, req: req as unknown as Json, mutations: [`cniVersion set to ${req.config.cniVersion}`], expect: 'incompatible', bind: undefined };
    } else if (r < 0.18 && s.rpc === 'ADD' && !s.expect) {
      const req = structuredClone(s.req) as { env: Record<string, Json> };
      req.env.CNI_IFNAME = `eth-${randomName(rng, 14)}`;
      step = {
        ...s,
        req: req as unknown as Json,
        mutations: ['CNI_IFNAME set to 18 bytes'],
        expect: 'fail',
        expectRule: 'cni.params.ifname-unusable-fails',
        expectWhy: `ADD with CNI_IFNAME ${req.env.CNI_IFNAME} (over 15 bytes, unusable as a Linux interface name) succeeded`,
        bind: undefined,
      };
    } else if (r < 0.33) {
      const m = mutate(s.req, rng);
      // Host paths in the config (IPAM data dirs ...) are the admin's, not input to fuzz: a bent
      // one would only make the plugin write somewhere else on this host.
      const req = m.req as { config?: Record<string, Json> };
      const src = (s.req as { config: Record<string, Json> }).config;
      const kept = Object.keys(src).filter((k) => typeof src[k] === 'string' && (src[k] as string).startsWith('/'));
      if (req.config && typeof req.config === 'object') for (const k of kept) req.config[k] = src[k];
      const mutations = m.mutations.filter((x) => !kept.some((k) => x.startsWith(`config.${k} `)));
      if (mutations.length) step = { ...s, req: req as Json, mutations, bind: undefined };
    }
    out.push(step);
  }
  return out.map((s) => (s.bind === undefined ? (({ bind: _b, ...rest }) => rest)(s) : s));
}

const randomName = (rng: Rng, n: number) => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz'[rng.int(26)]).join('');

export async function cniTarget(o: CniFuzzOptions): Promise<CniTarget> {
  return new CniTarget(o);
}
