// HTML reports a person reads: one run (summary, per-service groups, failure detail, RPC
// coverage) and a fleet (many runs, one per node or plugin version, as a node × case matrix).
// Plain static HTML with inline CSS: no scripts, no fetches, so it opens from a file, from a CI
// artifact or from a Sonobuoy tarball, and reads the same with JavaScript off. Failure detail uses
// <details>, which browsers open and close without JavaScript.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CaseResult, Reporter, RunReport, Status, SuiteReport, Totals } from '../types.js';
import { failureLines } from './format.js';

/** Escape text and attribute values. */
export function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
const e = (v: unknown) => htmlEscape(String(v ?? ''));

const ms = (n: number) =>
  n < 1000 ? `${Math.round(n)} ms` : n < 60_000 ? `${(n / 1000).toFixed(2)} s` : `${Math.floor(n / 60_000)} m ${Math.round((n % 60_000) / 1000)} s`;

/** Short cell text per status (the colour carries it too, the text keeps it readable without colour). */
const MARK: Record<Status, string> = { passed: 'pass', failed: 'FAIL', warned: 'warn', skipped: 'skip', 'not-applicable': 'n/a' };

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#111;background:#fff}
h1{font-size:1.5em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ccc}h3{font-size:1.05em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.n{text-align:right}
.passed{background:#dff3df}.failed{background:#f9d0d0;font-weight:bold}.warned{background:#fcefc7}.skipped{background:#eee;color:#555}.not-applicable{background:#f6f6f6;color:#777}.none{color:#999}
pre{background:#f7f7f7;border:1px solid #ddd;padding:6px;white-space:pre-wrap;word-break:break-word;margin:.3em 0}
details{margin:.4em 0}summary{cursor:pointer}
.matrix td,.matrix th{text-align:center;white-space:nowrap}.matrix th:first-child{text-align:left}.matrix td.id{text-align:left;white-space:normal}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:0 1em}dl.facts dt{font-weight:bold}dl.facts dd{margin:0}
`;

function page(title: string, body: string[]): string {
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>${e(title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n${body.join('\n')}\n</body>\n</html>\n`;
}

function totalsRow(t: Totals): string {
  return `<td class="n">${t.total}</td><td class="n passed">${t.passed}</td><td class="n ${t.failed ? 'failed' : ''}">${t.failed}</td><td class="n ${t.warned ? 'warned' : ''}">${t.warned}</td><td class="n">${t.skipped}</td><td class="n">${t.notApplicable}</td>`;
}
const TOTALS_HEAD = '<th>cases</th><th>passed</th><th>failed</th><th>warned</th><th>skipped</th><th>not applicable</th>';

const anchor = (c: Pick<CaseResult, 'suite' | 'id'>) => `case-${c.suite}-${c.id}`.replace(/[^A-Za-z0-9_.-]/g, '_');

function failureBlock(c: CaseResult): string {
  const f = c.failure;
  const out: string[] = [];
  if (f) {
    out.push(`<p>${e(f.message)}</p>`);
    const lines = failureLines(f);
    if (lines.length) {
      out.push('<table>');
      for (const [k, v] of lines) out.push(`<tr><th>${e(k)}</th><td><pre>${e(v)}</pre></td></tr>`);
      out.push('</table>');
    }
  }
  for (const x of c.cleanupErrors ?? []) out.push(`<p>cleanup failed: ${e(x)}</p>`);
  for (const n of c.notes ?? []) out.push(`<p>note: ${e(n)}</p>`);
  return out.join('\n');
}

function suiteSection(s: SuiteReport): string[] {
  const out: string[] = [`<h2 id="suite-${e(s.name)}">${e(s.title)} (${e(s.name)})</h2>`];
  out.push(`<table><tr>${TOTALS_HEAD}<th>duration</th></tr><tr>${totalsRow(s.totals)}<td class="n">${ms(s.durationMs)}</td></tr></table>`);
  const facts = Object.entries(s.facts);
  if (facts.length) out.push(`<dl class="facts">${facts.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl>`);
  if (s.setupError) out.push(`<p class="failed">setup failed: ${e(s.setupError)}</p>`);
  if (s.capabilities.length)
    out.push(`<details><summary>capabilities (${s.capabilities.length})</summary><p>${s.capabilities.map(e).join(', ')}</p></details>`);

  // Per-service groups, in the order their first case ran.
  const groups = new Map<string, CaseResult[]>();
  for (const c of s.cases) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  for (const [group, cases] of groups) {
    const bad = cases.filter((c) => c.status === 'failed').length;
    out.push(`<h3>${e(group)}: ${cases.length} case${cases.length === 1 ? '' : 's'}${bad ? `, <span class="failed">${bad} failed</span>` : ''}</h3>`);
    out.push('<table><tr><th>status</th><th>case</th><th>rules</th><th>duration</th><th>detail</th></tr>');
    for (const c of cases) {
      const detail =
        c.status === 'failed' || c.status === 'warned'
          ? `<a href="#${anchor(c)}">${e(c.failure?.ruleId ?? c.failure?.message ?? 'failure')}</a>`
          : e(c.reason ?? '');
      out.push(
        `<tr><td class="${c.status}">${MARK[c.status]}</td><td>${e(c.id)}<br>${e(c.name)}</td><td>${(c.rules ?? []).map(e).join('<br>')}</td><td class="n">${ms(c.durationMs)}</td><td>${detail}</td></tr>`,
      );
    }
    out.push('</table>');
  }

  const failures = s.cases.filter((c) => c.status === 'failed' || c.status === 'warned');
  if (failures.length) {
    out.push(`<h3>Failures and warnings (${failures.length})</h3>`);
    for (const c of failures) {
      out.push(`<details open id="${anchor(c)}"><summary><span class="${c.status}">${MARK[c.status]}</span> ${e(c.id)}: ${e(c.name)}</summary>`);
      out.push(failureBlock(c));
      out.push('</details>');
    }
  }

  if (s.rpcCoverage?.length) {
    const called = s.rpcCoverage.filter((r) => r.calls > 0).length;
    out.push(`<h3>RPC coverage: ${called} of ${s.rpcCoverage.length} RPCs called by cases</h3>`);
    out.push('<table><tr><th>RPC</th><th>calls</th><th>answers</th><th>cases</th><th>cases about it</th></tr>');
    for (const r of s.rpcCoverage) {
      const answers = Object.entries(r.answers)
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${e(k)} ${n}`)
        .join(', ');
      const by: Record<string, number> = {};
      for (const c of r.cases) by[c.status] = (by[c.status] ?? 0) + 1;
      const cases = r.calls
        ? Object.entries(by)
            .map(([k, n]) => `<span class="${e(k)}">${n} ${e(k)}</span>`)
            .join(', ')
        : `<span class="none">not called${r.note ? `: ${e(r.note)}` : ''}</span>`;
      const aboutBy: Record<string, number> = {};
      for (const c of r.about ?? []) aboutBy[c.status] = (aboutBy[c.status] ?? 0) + 1;
      const about = Object.entries(aboutBy)
        .map(([k, n]) => `<span class="${e(k)}">${n} ${e(k)}</span>`)
        .join(', ');
      out.push(`<tr><td>${e(r.rpc)}</td><td class="n">${r.calls}</td><td>${answers}</td><td>${cases}</td><td>${about}</td></tr>`);
    }
    out.push('</table>');
  }
  return out;
}

/** One run as a page. */
export function runHtml(rep: RunReport, title = 'triad conformance'): string {
  const t = rep.totals;
  const verdict = t.failed ? `${t.failed} failed` : rep.interrupted ? 'interrupted' : 'passed';
  const body: string[] = [`<h1>${e(title)}: ${e(verdict)}</h1>`];
  const meta: Array<[string, string]> = [
    ['run', rep.runId],
    ['started', rep.startedAt],
    ['duration', ms(rep.durationMs)],
  ];
  if (rep.node) meta.push(['node', rep.node]);
  if (rep.interrupted) meta.push(['interrupted', 'yes: cases after the interrupt are skipped']);
  meta.push(['strict', rep.options.strict ? 'yes' : 'no ([Optional] failures are warnings)']);
  if (rep.options.focus) meta.push(['focus', rep.options.focus]);
  if (rep.options.skip) meta.push(['skip', rep.options.skip]);
  body.push(`<dl class="facts">${meta.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl>`);
  body.push(`<table><tr><th>suite</th>${TOTALS_HEAD}<th>duration</th></tr>`);
  for (const s of rep.suites)
    body.push(`<tr><td><a href="#suite-${e(s.name)}">${e(s.name)}</a></td>${totalsRow(s.totals)}<td class="n">${ms(s.durationMs)}</td></tr>`);
  body.push(`<tr><th>all</th>${totalsRow(t)}<td class="n">${ms(rep.durationMs)}</td></tr></table>`);
  for (const s of rep.suites) body.push(...suiteSection(s));
  return page(`${title}: ${verdict}`, body);
}

export function htmlReporter(file: string): Reporter {
  return {
    end(rep) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, runHtml(rep));
    },
  };
}

// ---- fleet ----

/** One run in a fleet: the node (or plugin version) it ran on, and where it was read from. */
export interface FleetRun {
  node: string;
  source: string;
  report: RunReport;
}

export interface FleetCell {
  status: Status;
  durationMs: number;
  ruleId?: string;
  message?: string;
}

export interface FleetRow {
  suite: string;
  id: string;
  name: string;
  /** Per node (absent: the case did not run there). */
  cells: Map<string, FleetCell>;
  /** Nodes where it failed, in run start order. */
  failedOn: string[];
  /** The node whose run started first among those where it failed. */
  firstFailing?: string;
  /** Rule ids broken, over all nodes. */
  rules: string[];
  /** Slowest and fastest duration over the nodes where it ran. */
  minMs: number;
  maxMs: number;
}

export interface Fleet {
  nodes: string[];
  runs: FleetRun[];
  rows: FleetRow[];
}

/** Build the node × case matrix. Node names must be unique (runs are told apart by them). */
export function fleetMatrix(runs: FleetRun[]): Fleet {
  const seen = new Set<string>();
  for (const r of runs) {
    if (seen.has(r.node))
      throw new Error(
        `two results for node ${JSON.stringify(r.node)} (${runs
          .filter((x) => x.node === r.node)
          .map((x) => x.source)
          .join(', ')})`,
      );
    seen.add(r.node);
  }
  const ordered = [...runs].sort((a, b) => a.report.startedAt.localeCompare(b.report.startedAt) || a.node.localeCompare(b.node));
  const nodes = [...seen].sort();
  const rows = new Map<string, FleetRow>();
  for (const run of ordered) {
    for (const s of run.report.suites) {
      for (const c of s.cases) {
        const key = `${c.suite}\u0000${c.id}`;
        let row = rows.get(key);
        if (!row) rows.set(key, (row = { suite: c.suite, id: c.id, name: c.name, cells: new Map(), failedOn: [], rules: [], minMs: Infinity, maxMs: 0 }));
        row.cells.set(run.node, { status: c.status, durationMs: c.durationMs, ruleId: c.failure?.ruleId, message: c.failure?.message });
        if (c.status === 'failed') {
          row.failedOn.push(run.node);
          row.firstFailing ??= run.node;
        }
        if ((c.status === 'failed' || c.status === 'warned') && c.failure?.ruleId && !row.rules.includes(c.failure.ruleId)) row.rules.push(c.failure.ruleId);
        if (c.status !== 'skipped' && c.status !== 'not-applicable') {
          row.minMs = Math.min(row.minMs, c.durationMs);
          row.maxMs = Math.max(row.maxMs, c.durationMs);
        }
      }
    }
  }
  const list = [...rows.values()];
  for (const r of list) if (r.minMs === Infinity) r.minMs = 0;
  // Failing cases first (most nodes first), then the rest in suite/id order.
  list.sort((a, b) => b.failedOn.length - a.failedOn.length || a.suite.localeCompare(b.suite) || a.id.localeCompare(b.id));
  return { nodes, runs: ordered, rows: list };
}

/** The fleet as a page: per-node summary, the rules that fail where, and the matrix. */
export function fleetHtml(fleet: Fleet, title = 'triad conformance: fleet'): string {
  const { nodes, runs, rows } = fleet;
  const byNode = new Map(runs.map((r) => [r.node, r]));
  const failing = rows.filter((r) => r.failedOn.length);
  const body: string[] = [
    `<h1>${e(title)}: ${runs.length} run${runs.length === 1 ? '' : 's'}, ${failing.length} case${failing.length === 1 ? '' : 's'} failing somewhere</h1>`,
  ];

  body.push('<h2 id="nodes">Nodes</h2>');
  body.push(`<table><tr><th>node</th><th>suites</th>${TOTALS_HEAD}<th>duration</th><th>started</th><th>plugin</th><th>source</th></tr>`);
  for (const n of nodes) {
    const r = byNode.get(n)!;
    const facts = r.report.suites.flatMap((s) =>
      Object.entries(s.facts)
        .filter(([k]) => /name|version|plugin|runtime/i.test(k) && !/endpoint/i.test(k))
        .map(([k, v]) => `${k}: ${v}`),
    );
    body.push(
      `<tr><td>${e(n)}${r.report.interrupted ? ' <span class="failed">(interrupted)</span>' : ''}</td><td>${e(r.report.suites.map((s) => s.name).join(', '))}</td>${totalsRow(r.report.totals)}<td class="n">${ms(r.report.durationMs)}</td><td>${e(r.report.startedAt)}</td><td>${facts.map(e).join('<br>')}</td><td>${e(r.source)}</td></tr>`,
    );
  }
  body.push('</table>');

  // Which rules fail where.
  const ruleNodes = new Map<string, Set<string>>();
  for (const row of rows) {
    for (const [node, cell] of row.cells) {
      if ((cell.status === 'failed' || cell.status === 'warned') && cell.ruleId) {
        const set = ruleNodes.get(cell.ruleId) ?? new Set<string>();
        set.add(node);
        ruleNodes.set(cell.ruleId, set);
      }
    }
  }
  body.push('<h2 id="rules">Rules broken</h2>');
  if (!ruleNodes.size) body.push('<p>No failure or warning names a rule.</p>');
  else {
    body.push(`<table><tr><th>rule</th>${nodes.map((n) => `<th>${e(n)}</th>`).join('')}</tr>`);
    for (const [rule, set] of [...ruleNodes].sort((a, b) => b[1].size - a[1].size || a[0].localeCompare(b[0]))) {
      body.push(`<tr><td>${e(rule)}</td>${nodes.map((n) => (set.has(n) ? '<td class="failed">broken</td>' : '<td class="none">-</td>')).join('')}</tr>`);
    }
    body.push('</table>');
  }

  body.push('<h2 id="matrix">Cases × nodes</h2>');
  body.push('<p>Each cell: the case\'s status on that node and its duration; "-": the case did not run there. Failing cases come first.</p>');
  body.push(
    `<table class="matrix"><tr><th>case</th>${nodes.map((n) => `<th scope="col">${e(n)}</th>`).join('')}<th>failed on</th><th>first failing node</th><th>rules</th><th>duration min / max</th></tr>`,
  );
  for (const row of rows) {
    const cells = nodes
      .map((n) => {
        const c = row.cells.get(n);
        if (!c) return '<td class="none">-</td>';
        const tip = c.message ? ` title="${e(`${c.ruleId ? `${c.ruleId}: ` : ''}${c.message}`)}"` : '';
        return `<td class="${c.status}"${tip}>${MARK[c.status]}<br><small>${ms(c.durationMs)}</small></td>`;
      })
      .join('');
    body.push(
      `<tr><td class="id">${e(row.suite)}: ${e(row.id)}<br><small>${e(row.name)}</small></td>${cells}<td class="n">${row.failedOn.length}</td><td>${e(row.firstFailing ?? '')}</td><td>${row.rules.map(e).join('<br>')}</td><td class="n">${ms(row.minMs)} / ${ms(row.maxMs)}</td></tr>`,
    );
  }
  body.push('</table>');

  if (failing.length) {
    body.push('<h2 id="failures">Failure detail</h2>');
    for (const row of failing) {
      body.push(`<details><summary>${e(row.suite)}: ${e(row.id)}: failed on ${row.failedOn.map(e).join(', ')}</summary>`);
      for (const n of row.failedOn) {
        const c = byNode
          .get(n)!
          .report.suites.flatMap((s) => s.cases)
          .find((x) => x.suite === row.suite && x.id === row.id)!;
        body.push(`<h3>${e(n)}</h3>`, failureBlock(c));
      }
      body.push('</details>');
    }
  }
  return page(title, body);
}
