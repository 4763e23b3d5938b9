// The replay file: one finding, the minimized sequence that shows it, the options the target was
// built with, and a paragraph saying what happened. `triad fuzz replay FILE` runs it again.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sameBug } from './minimize.js';
import { openTarget, type TargetInfo } from './targets.js';
import type { Finding, Step } from './types.js';

export const REPLAY_FORMAT = 'triad-fuzz/v1';

export interface ReplayFile {
  format: typeof REPLAY_FORMAT;
  kind: 'cri' | 'csi' | 'cni';
  seed: number;
  run: number;
  /** How the target was reached (endpoint, dirs, CNI config ...), as given to the CLI. */
  target: Record<string, unknown>;
  finding: Finding;
  steps: Step[];
  explanation: string;
}

const slug = (s: string) =>
  s
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();

/** One paragraph: what was called, what came back, which rule that breaks, how to replay. */
export function explain(r: Omit<ReplayFile, 'explanation' | 'format'>, file: string): string {
  const f = r.finding;
  const last = r.steps[f.step];
  const how = last?.mutations?.length ? `a request bent so: ${last.mutations.join('; ')}` : 'a well-formed request';
  const before = r.steps
    .slice(0, f.step)
    .map((s) => s.rpc.split('/').pop())
    .join(', ');
  return (
    `Seed ${r.seed}, run ${r.run}, minimized to ${r.steps.length} call${r.steps.length === 1 ? '' : 's'}: ` +
    `${before ? `after ${before}, ` : ''}${f.rpc} with ${how} ${last?.concurrent ? `(sent ${last.concurrent} times at once) ` : ''}` +
    `tripped the ${f.oracle} oracle: ${f.message}. ` +
    (f.rule ? `The spec (${f.rule.id}) says: ${f.rule.says} ` : 'No spec rule covers this directly; no plugin should do it. ') +
    `Replay with \`triad fuzz replay ${file}\`.`
  );
}

/** Write FILE.json and FILE.md (the paragraph); returns the JSON path. */
export function writeReplay(dir: string, r: Omit<ReplayFile, 'explanation' | 'format'>): string {
  mkdirSync(dir, { recursive: true });
  const base = join(
    dir,
    `${r.kind}-${slug(r.finding.oracle)}-${slug(r.finding.rpc)}${r.finding.rule ? `-${slug(r.finding.rule.id.split('.').slice(1).join('.'))}` : ''}`,
  );
  const file = `${base}.json`;
  const explanation = explain(r, file);
  writeFileSync(file, `${JSON.stringify({ format: REPLAY_FORMAT, ...r, explanation }, null, 2)}\n`);
  writeFileSync(`${base}.md`, `# ${r.finding.oracle}: ${r.finding.rpc}\n\n${explanation}\n`);
  return file;
}

export function readReplay(file: string): ReplayFile {
  let r: ReplayFile;
  try {
    r = JSON.parse(readFileSync(file, 'utf8')) as ReplayFile;
  } catch (e) {
    throw new Error(`${file}: not a replay file: ${(e as Error).message}`);
  }
  if (!r || typeof r !== 'object') throw new Error(`${file}: not a replay file: not a JSON object`);
  if (r.format !== REPLAY_FORMAT) throw new Error(`${file}: format is ${JSON.stringify(r.format)}, expected ${REPLAY_FORMAT}`);
  if (!['cri', 'csi', 'cni'].includes(r.kind)) throw new Error(`${file}: kind must be cri, csi or cni`);
  if (!Array.isArray(r.steps) || !r.steps.every((s) => typeof s?.rpc === 'string')) throw new Error(`${file}: steps must be a list of {rpc, req}`);
  if (!r.target || typeof r.target !== 'object' || Array.isArray(r.target)) throw new Error(`${file}: target must be a mapping (endpoint, ...)`);
  if (!r.finding?.oracle || !r.finding.rpc) throw new Error(`${file}: finding needs oracle and rpc`);
  return r;
}

export interface ReplayResult {
  file: ReplayFile;
  reproduced?: Finding;
  findings: Finding[];
  tries: number;
}

/**
 * Run a replay file's steps again against the target it records (`endpoint` overrides where the
 * plugin is now). A race may need more than one go: up to `tries` runs, stopping at the first
 * that shows the same bug (oracle, RPC, rule).
 */
export async function replay(path: string, o: { endpoint?: string; tries?: number } = {}): Promise<ReplayResult> {
  const file = readReplay(path);
  const info = { ...(file.target as Partial<TargetInfo>), kind: file.kind, ...(o.endpoint ? { endpoint: o.endpoint } : {}) } as TargetInfo;
  const t = await openTarget(info);
  const findings: Finding[] = [];
  let tries = 0;
  try {
    for (; tries < Math.max(1, o.tries ?? 3);) {
      tries++;
      const ex = await t.target.execute(file.steps);
      findings.push(...ex.findings);
      const same = ex.findings.find((f) => sameBug(f, file.finding));
      if (same) return { file, reproduced: same, findings, tries };
    }
    return { file, findings, tries };
  } finally {
    await t.close();
  }
}
