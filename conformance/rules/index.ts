// The rules files: one entry per normative statement of a spec (conformance/rules/<suite>.yaml),
// with a stable id that cases declare (`rules:` on a case) and assertions name. Coverage is
// computed, never written by hand: a rule is covered when some case declares it, reasoned out when
// its entry says why no case can check it, open otherwise. CI keeps open at 0.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { CaseDef } from '../runner/types.js';

/**
 * How binding the statement is, as the spec words it; `error-code` is a row of an error table,
 * `comment` a behaviour api.proto's comments state, `practice` what every CO relies on although no
 * sentence of the spec states it (the runner's own checks: deadlines, deletes that delete).
 */
export const LEVELS = ['MUST', 'MUST NOT', 'SHALL', 'SHALL NOT', 'REQUIRED', 'SHOULD', 'SHOULD NOT', 'error-code', 'comment', 'practice'] as const;
export type RuleLevel = (typeof LEVELS)[number];

export interface Rule {
  /** Stable id: <suite>.<where>.<what>, lower case, e.g. csi.node-publish-volume.target-path-required. */
  id: string;
  /** Where the spec states it: section, message or RPC. */
  at: string;
  level: RuleLevel;
  /** The statement in triad's own words. */
  says: string;
  /** Why no case checks it (only then). */
  reason?: string;
}

export interface RulesFile {
  suite: string;
  /** The spec text the rules come from: repository, tag or commit, file. */
  source: string;
  rules: Rule[];
  file: string;
}

/** A rule id as assertions pass it (free text with spaces is a legacy rule description). */
export const RULE_ID = /^[a-z]+\.[a-z0-9]+(?:[.-][a-z0-9]+)*$/;
export const isRuleId = (s: string | undefined): s is string => typeof s === 'string' && RULE_ID.test(s);

export class RulesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RulesError';
  }
}

/** The file for a suite: next to this module (sources), or the package's conformance/rules (built dist/). */
export function rulesPath(suite: string): string | undefined {
  const here = new URL(`./${suite}.yaml`, import.meta.url);
  const packaged = new URL(`../../../conformance/rules/${suite}.yaml`, import.meta.url);
  for (const u of [here, packaged]) if (existsSync(u)) return fileURLToPath(u);
  return undefined;
}

const KEYS = new Set(['id', 'at', 'level', 'says', 'reason']);

/** Parse and check a rules file's text; every error names the file and the entry. */
export function parseRules(text: string, file: string, suite: string): RulesFile {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new RulesError(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  const d = doc as { suite?: unknown; source?: unknown; rules?: unknown };
  if (!d || typeof d !== 'object') throw new RulesError(`${file}: expected a map with suite, source and rules`);
  if (d.suite !== suite) throw new RulesError(`${file}: suite is ${JSON.stringify(d.suite)}, expected ${JSON.stringify(suite)}`);
  if (typeof d.source !== 'string' || !d.source.trim()) throw new RulesError(`${file}: source (the spec's repository, tag and file) is required`);
  if (!Array.isArray(d.rules)) throw new RulesError(`${file}: rules must be a list`);
  const seen = new Set<string>();
  const rules = d.rules.map((r: Record<string, unknown>, i: number): Rule => {
    const where = `${file}: rules[${i}]${typeof r?.id === 'string' ? ` (${r.id})` : ''}`;
    if (!r || typeof r !== 'object' || Array.isArray(r)) throw new RulesError(`${where}: expected a map`);
    for (const k of Object.keys(r)) if (!KEYS.has(k)) throw new RulesError(`${where}: unknown key ${k} (known: ${[...KEYS].join(', ')})`);
    if (!isRuleId(r.id as string) || !(r.id as string).startsWith(`${suite}.`))
      throw new RulesError(`${where}: id must look like ${suite}.<where>.<what> (lower case, dots and dashes)`);
    if (seen.has(r.id as string)) throw new RulesError(`${where}: id ${r.id} appears twice`);
    seen.add(r.id as string);
    for (const k of ['at', 'says'] as const)
      if (typeof r[k] !== 'string' || !(r[k] as string).trim()) throw new RulesError(`${where}: ${k} is required (a non-empty string)`);
    if (!LEVELS.includes(r.level as RuleLevel)) throw new RulesError(`${where}: level ${JSON.stringify(r.level)} is not one of ${LEVELS.join(', ')}`);
    if (r.reason !== undefined && (typeof r.reason !== 'string' || !r.reason.trim()))
      throw new RulesError(`${where}: reason, when given, is a non-empty string`);
    return {
      id: r.id as string,
      at: r.at as string,
      level: r.level as RuleLevel,
      says: (r.says as string).trim(),
      ...(r.reason ? { reason: (r.reason as string).trim() } : {}),
    };
  });
  return { suite, source: d.source.trim(), rules, file };
}

const cache = new Map<string, RulesFile | null>();

/** The rules of a suite, or undefined when it has no rules file. Cached; throws on a bad file. */
export function loadRules(suite: string): RulesFile | undefined {
  if (!cache.has(suite)) {
    const file = rulesPath(suite);
    cache.set(suite, file ? parseRules(readFileSync(file, 'utf8'), file, suite) : null);
  }
  return cache.get(suite) ?? undefined;
}

/** A rule by id (its suite is the id's first word), or undefined. */
export function findRule(id: string): Rule | undefined {
  return loadRules(id.slice(0, id.indexOf('.')))?.rules.find((r) => r.id === id);
}

export interface RuleCoverage {
  suite: string;
  source: string;
  total: number;
  /** Rule id → the cases that declare it. */
  covered: Map<string, string[]>;
  reasoned: Rule[];
  open: Rule[];
  /** Case declarations naming a rule the file does not have. */
  unknown: Array<{ caseId: string; ruleId: string }>;
  /** Rules that carry a reason although a case checks them (the reason went stale). */
  stale: Rule[];
}

/** Which rules the cases cover. Rules of the shared `runner` file count as known everywhere. */
export function ruleCoverage(file: RulesFile, cases: Array<Pick<CaseDef<any>, 'id' | 'rules'>>): RuleCoverage {
  const ids = new Set(file.rules.map((r) => r.id));
  const covered = new Map<string, string[]>();
  const unknown: RuleCoverage['unknown'] = [];
  for (const c of cases) {
    for (const r of c.rules ?? []) {
      if (ids.has(r)) covered.set(r, [...(covered.get(r) ?? []), c.id]);
      else if (!findRule(r)) unknown.push({ caseId: c.id, ruleId: r });
    }
  }
  return {
    suite: file.suite,
    source: file.source,
    total: file.rules.length,
    covered,
    reasoned: file.rules.filter((r) => r.reason && !covered.has(r.id)),
    open: file.rules.filter((r) => !r.reason && !covered.has(r.id)),
    stale: file.rules.filter((r) => r.reason && covered.has(r.id)),
    unknown,
  };
}
