// csiCase(): a case whose run() gets a CsiKit (recording clients + helpers) instead of ctx/env.
import type { CaseDef } from '../runner/types.js';
import { CsiKit, type CsiEnv } from './kit.js';

export type CsiCaseDef = Omit<CaseDef<CsiEnv>, 'run'> & { run(k: CsiKit): Promise<void> };

export function csiCase(c: CsiCaseDef): CaseDef<CsiEnv> {
  const { run, ...rest } = c;
  return { ...rest, run: (ctx, env) => run(new CsiKit(ctx, env)) };
}
