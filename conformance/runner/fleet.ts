// Reading many runs' JSON results for one fleet report: files, directories searched for
// triad-conformance/v1 JSON, and tarballs (what `sonobuoy retrieve` hands back, laid out as
// plugins/<plugin>/results/<node>/…, with the plugin's own result tarball extracted or not).
// Each run is named by the node it carries (RunReport.node, set under --sonobuoy), else by the
// Sonobuoy results path, else by its file name.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import type { RunReport } from './types.js';
import type { FleetRun } from './reporters/html.js';
import { testsuiteXml, xmlEscape } from './reporters/junit.js';

export const RESULT_FORMAT = 'triad-conformance/v1';
const TARBALL = /\.(tar\.gz|tgz|tar)$/;

/** A parsed result file, or undefined when it is JSON of another kind. Throws on damaged triad results. */
export function parseResult(text: string, source: string): RunReport | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not JSON: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || (doc as { format?: unknown }).format !== RESULT_FORMAT) return undefined;
  const r = doc as RunReport;
  if (!Array.isArray(r.suites) || typeof r.startedAt !== 'string' || !r.totals)
    throw new Error(`${source}: ${RESULT_FORMAT} without suites, startedAt or totals`);
  return r;
}

/** The node a Sonobuoy results path names: plugins/<plugin>/results/<node>/… */
export function nodeFromPath(path: string): string | undefined {
  const parts = path.split(sep);
  const i = parts.lastIndexOf('results');
  return i >= 0 && i + 2 < parts.length && parts[i - 2] === 'plugins' ? parts[i + 1] : undefined;
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (name.endsWith('.json') || TARBALL.test(name)) out.push(p);
  }
}

/**
 * Every triad result under the given paths. `label` names runs from tarballs (their extraction
 * directory is temporary). Files that are not triad results are passed over inside directories
 * and tarballs, but a named file that is not one is an error.
 */
export function loadRuns(paths: string[]): FleetRun[] {
  if (!paths.length) throw new Error('no results given');
  const runs: FleetRun[] = [];
  const seen = new Set<string>();
  const temps: string[] = [];
  const take = (file: string, shown: string, named: boolean, rel?: string) => {
    if (TARBALL.test(file)) {
      const dir = mkdtempSync(join(tmpdir(), 'triad-merge-'));
      temps.push(dir);
      try {
        execFileSync('tar', ['-xf', file, '-C', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (e) {
        throw new Error(`${shown}: cannot unpack: ${String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim()}`);
      }
      const inner: string[] = [];
      walk(dir, inner);
      const before = runs.length;
      for (const f of inner) take(f, `${shown}:${relative(dir, f)}`, false, relative(dir, f));
      if (named && runs.length === before) throw new Error(`${shown}: no ${RESULT_FORMAT} results inside`);
      return;
    }
    const report = parseResult(readFileSync(file, 'utf8'), shown);
    if (!report) {
      if (named) throw new Error(`${shown}: not a triad conformance result (format ${RESULT_FORMAT}); write one with --json or --sonobuoy`);
      return;
    }
    const node = report.node ?? nodeFromPath(rel ?? file) ?? basename(file).replace(/\.json$/, '');
    // The same run twice (a results dir holds results.json and the tarball packing it): once.
    const key = `${node}\u0000${report.runId}\u0000${report.startedAt}`;
    if (seen.has(key)) return;
    seen.add(key);
    runs.push({ node, source: shown, report });
  };
  try {
    for (const p of paths) {
      let st;
      try {
        st = statSync(p);
      } catch {
        throw new Error(`${p}: no such file or directory`);
      }
      if (st.isDirectory()) {
        const files: string[] = [];
        walk(p, files);
        const before = runs.length;
        for (const f of files) take(f, f, false, relative(p, f));
        if (runs.length === before) throw new Error(`${p}: no ${RESULT_FORMAT} results in this directory`);
      } else take(p, p, true);
    }
  } finally {
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  }
  return runs;
}

/** One JUnit document for the fleet: one <testsuite> per node and suite, named "<node>/<suite>". */
export function fleetJunit(runs: FleetRun[]): string {
  const all = runs.flatMap((r) => r.report.suites.map((s) => ({ r, s })));
  const sum = (k: 'total' | 'failed' | 'skipped' | 'notApplicable') => all.reduce((n, x) => n + x.s.totals[k], 0);
  const secs = all.reduce((n, x) => n + x.s.durationMs, 0) / 1000;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="${xmlEscape('triad conformance fleet')}" tests="${sum('total')}" failures="${sum('failed')}" errors="0" skipped="${sum('skipped') + sum('notApplicable')}" time="${secs.toFixed(3)}">`,
  );
  for (const { r, s } of all) out.push(...testsuiteXml({ ...r.report, node: r.node }, s, `${r.node}/${s.name}`));
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
