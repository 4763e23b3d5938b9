// The fuzzing loop: run after run, a sequence from the seed (or a bent corpus entry) goes to the
// target; a finding not seen before is minimized and written as a replay file. Runs are numbered
// and each gets its own generator derived from (seed, run), so a seed replays the same calls
// against the same plugin. A sequence that brings an answer code not seen before for its RPC is
// kept in the corpus (when one is given) as a base for later runs.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { minimize, sameBug } from './minimize.js';
import { mutate } from './mutators.js';
import { writeReplay } from './replay.js';
import { Rng } from './rng.js';
import type { Finding, Step, Target } from './types.js';

export interface FuzzOptions {
  seed: number;
  /** Stop after this many runs (default 100 unless durationMs is given). */
  runs?: number;
  /** Stop after this long, ms. */
  durationMs?: number;
  /** Corpus folder: sequences to start from; new interesting ones are added. */
  corpus?: string;
  /** Where replay files go (none written when absent). */
  out?: string;
  /** How the target was reached, recorded in replay files. */
  targetInfo?: Record<string, unknown>;
  /** Minimization tries per finding (0: no minimization). */
  minimizeTries?: number;
  log?: (line: string) => void;
  /** Stop at the first finding (measuring how long a bug takes to find). */
  stopAtFirst?: boolean;
}

export interface FuzzFinding {
  finding: Finding;
  steps: Step[];
  run: number;
  file?: string;
  minimized: boolean;
}

export interface FuzzReport {
  runs: number;
  calls: number;
  ms: number;
  findings: FuzzFinding[];
  corpusAdded: number;
}

const bugKey = (f: Finding) => `${f.oracle}|${f.rpc}|${f.rule?.id ?? ''}`;

function loadCorpus(dir: string | undefined): Step[][] {
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => {
      const v = JSON.parse(readFileSync(join(dir, n), 'utf8')) as { steps?: Step[] };
      if (!Array.isArray(v.steps)) throw new Error(`corpus ${join(dir, n)}: no steps list`);
      return v.steps;
    });
}

export async function fuzz(target: Target, o: FuzzOptions): Promise<FuzzReport> {
  const log = o.log ?? (() => undefined);
  const started = Date.now();
  const maxRuns = o.runs ?? (o.durationMs ? Number.POSITIVE_INFINITY : 100);
  const corpus = loadCorpus(o.corpus);
  if (o.corpus) mkdirSync(o.corpus, { recursive: true });
  const seen = new Set<string>(); // rpc|code pairs: the feedback signal
  const bugs = new Map<string, FuzzFinding>();
  let calls = 0;
  let corpusAdded = 0;
  let run = 0;
  for (; run < maxRuns && !(o.durationMs && Date.now() - started >= o.durationMs); run++) {
    const rng = Rng.derive(o.seed, run);
    let steps: Step[];
    if (run < corpus.length)
      steps = corpus[run]; // the corpus first, as given
    else if (corpus.length && rng.chance(0.3)) {
      steps = structuredClone(rng.pick(corpus));
      if (steps.length) {
        const i = rng.int(steps.length);
        const m = mutate(steps[i].req, rng);
        steps[i] = { ...steps[i], req: m.req, mutations: [...(steps[i].mutations ?? []), ...m.mutations] };
      }
    } else steps = target.generate(rng, run);
    const ex = await target.execute(steps);
    calls += ex.calls;
    for (const f of ex.findings) {
      const k = bugKey(f);
      if (bugs.has(k)) continue;
      log(`run ${run}: ${f.oracle} at ${f.rpc}${f.rule ? ` (${f.rule.id})` : ''}: ${f.message}`);
      let found: FuzzFinding = { finding: f, steps, run, minimized: false };
      const died = f.oracle === 'plugin-died';
      if (!died && (o.minimizeTries ?? 80) > 0) {
        const m = await minimize(target, steps, f, o.minimizeTries ?? 80);
        calls += 0; // the minimizer's calls are not part of the rate
        found = { finding: m.finding, steps: m.steps, run, minimized: sameBug(m.finding, f) };
        log(`  minimized to ${m.steps.length} step(s) in ${m.tries} tries`);
      }
      if (o.out)
        found.file = writeReplay(o.out, { kind: target.kind, seed: o.seed, run, target: o.targetInfo ?? {}, finding: found.finding, steps: found.steps });
      bugs.set(k, found);
    }
    if (ex.findings.some((f) => f.oracle === 'plugin-died') && !(await target.alive())) {
      log('the plugin is gone: stopping');
      run++;
      break;
    }
    if (o.stopAtFirst && bugs.size) {
      run++;
      break;
    }
    // Corpus feedback: keep a sequence that showed something new.
    const sig = ex.signal ?? [];
    const fresh = sig.filter((x) => !seen.has(x));
    fresh.forEach((x) => seen.add(x));
    if (o.corpus && fresh.length && run >= corpus.length) {
      writeFileSync(join(o.corpus, `seq-${o.seed}-${run}.json`), `${JSON.stringify({ steps }, null, 1)}\n`);
      corpusAdded++;
    }
  }
  return { runs: run, calls, ms: Date.now() - started, findings: [...bugs.values()], corpusAdded };
}
