// podCase(): a case whose run() gets a PodKit (the node, recording CRI client, pod helpers)
// instead of ctx/env.
import type { CaseDef } from '../runner/types.js';
import { PodKit, type PodEnv } from './kit.js';

export type PodCaseDef = Omit<CaseDef<PodEnv>, 'run'> & { run(k: PodKit): Promise<void> };

export function podCase(c: PodCaseDef): CaseDef<PodEnv> {
  const { run, ...rest } = c;
  return { ...rest, run: (ctx, env) => run(new PodKit(ctx, env)) };
}
