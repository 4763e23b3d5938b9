// Shrinks a failing sequence to what still shows the same bug: delta debugging (ddmin) over the
// steps, then over the fields of the failing request, one removal at a time. Every try runs the
// candidate for real, so what is left reproduces by construction. Bounded by a number of tries.
import { fieldPaths, withoutPath } from './mutators.js';
import type { Finding, Step, Target } from './types.js';

/** The same bug: oracle, RPC and rule (a removal that turns it into another rule is another bug). */
export const sameBug = (a: Finding, b: Finding) => a.oracle === b.oracle && a.rpc === b.rpc && a.rule?.id === b.rule?.id;

export interface Minimized {
  steps: Step[];
  finding: Finding;
  tries: number;
}

export async function minimize(target: Target, steps: Step[], bug: Finding, maxTries = 80, budgetMs = 30_000): Promise<Minimized> {
  let tries = 0;
  const until = Date.now() + budgetMs;
  const spent = () => tries >= maxTries || Date.now() > until;
  let finding = bug;
  const shows = async (cand: Step[]): Promise<Finding | undefined> => {
    tries++;
    const f = (await target.execute(cand)).findings.find((x) => sameBug(x, bug));
    if (f) finding = f;
    return f;
  };
  // ddmin over steps: try dropping chunks, finer and finer.
  let cur = steps;
  let n = 2;
  while (cur.length >= 2 && !spent()) {
    const size = Math.ceil(cur.length / n);
    let reduced = false;
    for (let i = 0; i < cur.length && !spent(); i += size) {
      const cand = [...cur.slice(0, i), ...cur.slice(i + size)];
      if (cand.length && (await shows(cand))) {
        cur = cand;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= cur.length) break;
      n = Math.min(cur.length, n * 2);
    }
  }
  // Make sure `finding` belongs to `cur` (the last successful try might have been an earlier one).
  if (!(await shows(cur))) return { steps, finding: bug, tries };
  // Then the fields of the failing request: drop each one that is not needed.
  let progress = true;
  while (progress && !spent()) {
    progress = false;
    const i = finding.step;
    const req = cur[i].req;
    for (const p of fieldPaths(req)) {
      if (spent()) break;
      // A removal bends the request like any mutation (oracles for well-formed calls no longer apply).
      const cand = cur.map((s, j) => (j === i ? { ...s, req: withoutPath(req, p), mutations: [...(s.mutations ?? []), `${p.join('.')} removed`] } : s));
      if (await shows(cand)) {
        cur = cand;
        progress = true;
        break;
      }
    }
  }
  return { steps: cur, finding, tries };
}
