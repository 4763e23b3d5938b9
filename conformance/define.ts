// defineCases(): the one way a suite declares its cases. A case's run() gets the suite's kit
// (recording clients and helpers) instead of ctx/env, and names the RPC(s) it exercises by their
// proto names (`rpc: 'NodePublishVolume'`; CNI: the command, `rpc: 'ADD'`), so listing, --focus and
// casesFor() find cases by RPC. After a case passes, a declared RPC it never called is a suite bug
// (noted on the case, as an undeclared rule is): the declarations stay true as cases change.
import type { CaseContext } from './runner/context.js';
import type { CaseDef } from './runner/types.js';

/** A suite's kit: built per case, and what it may name as an RPC. */
export interface KitClass<E, K, R extends string> {
  new (ctx: CaseContext, env: E): K;
  /** Every RPC name a case may declare (proto method names; CNI commands). */
  readonly rpcNames: readonly R[];
  /** Whether a recorded call (ctx.calls[].rpc, e.g. "Node/NodePublishVolume") is a call of `rpc`. */
  isCallOf(recorded: string, rpc: R): boolean;
}

/** A case as a suite file writes it: group comes from defineCases unless the case sets its own. */
export type KitCaseDef<E, K, R extends string> = Omit<CaseDef<E>, 'run' | 'group' | 'rpc'> & {
  group?: string;
  /** The proto RPC(s) the case is about (not every call it makes on the way). */
  rpc?: R | readonly R[];
  run(k: K): Promise<void>;
};

/** Case fields every case of this maker starts from (e.g. a group-wide `needs`). */
export type CaseDefaults<E> = Partial<Pick<CaseDef<E>, 'needs' | 'tags' | 'rules'>>;

/** A case maker for `group`: `const c = defineCases(CsiKit, 'csi.Node'); c({ id, name, rpc, run(k) {…} })`. */
export function defineCases<E, K, R extends string>(kit: KitClass<E, K, R>, group: string, defaults: CaseDefaults<E> = {}) {
  return (d: KitCaseDef<E, K, R>): CaseDef<E> => {
    const { run, rpc, ...rest } = d;
    const rpcs: R[] = rpc === undefined ? [] : typeof rpc === 'string' ? [rpc as R] : [...(rpc as readonly R[])];
    for (const r of rpcs) {
      if (!kit.rpcNames.includes(r)) throw new Error(`case ${d.id}: rpc ${r} is not an RPC of its suite (known: ${kit.rpcNames.join(', ')})`);
    }
    return {
      group,
      ...defaults,
      ...rest,
      ...(rpcs.length ? { rpc: rpcs } : {}),
      run: async (ctx, env) => {
        await run(new kit(ctx, env));
        const uncalled = rpcs.filter((r) => !ctx.calls.some((x) => kit.isCallOf(x.rpc, r)));
        if (uncalled.length) ctx.log(`suite bug: case ${d.id} declares rpc ${uncalled.join(', ')} but passed without calling it`);
      },
    };
  };
}

/** The cases that declare `rpc` (a proto RPC name, or a CNI command). */
export const casesFor = <E>(cases: readonly CaseDef<E>[], rpc: string): CaseDef<E>[] => cases.filter((c) => c.rpc?.includes(rpc));

type ServiceDefinition = { methods: Record<string, { name: string }> };

/** The proto method names of generated service definitions ("NodePublishVolume"), as a type. */
export type MethodName<D> = D extends ServiceDefinition ? D['methods'][keyof D['methods']]['name'] : never;

/** The proto method names of generated service definitions. */
export const methodNames = <Ds extends readonly ServiceDefinition[]>(...defs: Ds): MethodName<Ds[number]>[] =>
  defs.flatMap((d) => Object.values(d.methods).map((m) => m.name as MethodName<Ds[number]>));

/** Every RPC of generated service definitions as a gRPC kit records it ("Controller/CreateVolume"): the rows of the RPC coverage table. */
export const recordedNames = (...defs: Array<ServiceDefinition & { fullName: string }>): string[] =>
  defs.flatMap((d) => Object.values(d.methods).map((m) => `${d.fullName.split('.').pop()}/${m.name}`));

/** A gRPC kit records calls as "Service/Method": is `recorded` a call of `rpc`? */
export const isGrpcCallOf = (recorded: string, rpc: string): boolean => recorded.slice(recorded.lastIndexOf('/') + 1) === rpc;
