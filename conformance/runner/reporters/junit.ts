// JUnit XML as CI systems read it: <testsuites> of <testsuite> (one per conformance suite) of
// <testcase classname="<group>" name="<id>: <name>">, with <failure message type> for failures
// and <skipped message> for skipped and not-applicable cases (the latter prefixed "not-applicable:").
// A warned [Optional] case is not a <failure> (the run did not fail): it carries its failure as
// <system-out> starting "WARNING" and a property optional-failure, so CI dashboards can show it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { CaseResult, Reporter, RunReport, SuiteReport } from '../types.js';
import { failureText } from './format.js';

/** Escape for attribute and text content; drop characters XML 1.0 cannot carry. */
export function xmlEscape(s: string): string {
  return (
    s
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

const secs = (ms: number) => (ms / 1000).toFixed(3);

function testcase(c: CaseResult): string {
  const open = `    <testcase classname="${xmlEscape(c.group)}" name="${xmlEscape(`${c.id}: ${c.name}`)}" time="${secs(c.durationMs)}"`;
  if (c.status === 'passed') return `${open}/>`;
  if (c.status === 'skipped') return `${open}>\n      <skipped message="${xmlEscape(c.reason ?? 'skipped')}"/>\n    </testcase>`;
  if (c.status === 'not-applicable') return `${open}>\n      <skipped message="${xmlEscape(`not-applicable: ${c.reason ?? ''}`)}"/>\n    </testcase>`;
  const f = c.failure;
  if (c.status === 'warned') {
    return `${open}>\n      <properties><property name="optional-failure" value="${xmlEscape(f?.message ?? 'failed')}"/></properties>\n      <system-out>${xmlEscape(`WARNING: optional case failed (--strict makes it a failure)\n${failureText(c, true)}`)}</system-out>\n    </testcase>`;
  }
  const type = f?.status?.name ?? f?.kind ?? 'failure';
  return `${open}>\n      <failure message="${xmlEscape(f?.message ?? 'failed')}" type="${xmlEscape(type)}">${xmlEscape(failureText(c, true))}</failure>\n    </testcase>`;
}

/** One <testsuite> element (lines); `name` overrides the suite's name (the fleet report prefixes the node). */
export function testsuiteXml(rep: RunReport, s: SuiteReport, name = s.name): string[] {
  const out: string[] = [];
  const st = s.totals;
  out.push(
    `  <testsuite name="${xmlEscape(name)}" tests="${st.total}" failures="${st.failed}" errors="0" skipped="${st.skipped + st.notApplicable}" time="${secs(s.durationMs)}" timestamp="${rep.startedAt.replace(/\.\d+Z$/, '')}" hostname="${xmlEscape(rep.node ?? hostname())}">`,
  );
  const props = { 'run.id': rep.runId, ...(rep.node ? { node: rep.node } : {}), title: s.title, ...s.facts, capabilities: s.capabilities.join(' ') };
  out.push('    <properties>');
  for (const [k, v] of Object.entries(props)) out.push(`      <property name="${xmlEscape(k)}" value="${xmlEscape(String(v))}"/>`);
  out.push('    </properties>');
  for (const c of s.cases) out.push(testcase(c));
  out.push('  </testsuite>');
  return out;
}

export function junitXml(rep: RunReport): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const t = rep.totals;
  out.push(
    `<testsuites name="triad conformance" tests="${t.total}" failures="${t.failed}" errors="0" skipped="${t.skipped + t.notApplicable}" time="${secs(rep.durationMs)}">`,
  );
  for (const s of rep.suites) out.push(...testsuiteXml(rep, s));
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

export function junitReporter(file: string): Reporter {
  return {
    end(rep) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, junitXml(rep));
    },
  };
}
