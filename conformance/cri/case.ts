// criCase(): a case whose run() gets a CriKit (recording clients + helpers) instead of ctx/env.
import type { CaseDef } from '../runner/types.js';
import { CriKit, type CriEnv } from './kit.js';

export type CriCaseDef = Omit<CaseDef<CriEnv>, 'run'> & { run(k: CriKit): Promise<void> };

export function criCase(c: CriCaseDef): CaseDef<CriEnv> {
  const { run, ...rest } = c;
  return { ...rest, run: (ctx, env) => run(new CriKit(ctx, env)) };
}

/** A case maker with the group filled in. */
export const caseIn = (group: string) => (d: Omit<CriCaseDef, 'group'>): CaseDef<CriEnv> => criCase({ group, ...d });
