// TAP version 13: a plan, one line per case, YAML diagnostics under failures, "# SKIP" with the
// reason for skipped cases, "# SKIP not-applicable: …" for cases the plugin's capabilities exclude,
// and "not ok … # TODO optional" for a warned [Optional] case (TAP's "not expected to pass yet").
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Reporter, RunReport } from '../types.js';
import { failureLines } from './format.js';

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').replace(/#/g, '\\#');

/** A YAML scalar that is always safe: a double-quoted JSON string. */
const yamlStr = (s: string) => JSON.stringify(s);

export function tapText(rep: RunReport): string {
  const cases = rep.suites.flatMap((s) => s.cases);
  const out = ['TAP version 13', `1..${cases.length}`];
  cases.forEach((c, i) => {
    const n = i + 1;
    const title = oneLine(`${c.id} ${c.name}`);
    if (c.status === 'passed') out.push(`ok ${n} - ${title}`);
    else if (c.status === 'skipped') out.push(`ok ${n} - ${title} # SKIP ${oneLine(c.reason ?? '')}`);
    else if (c.status === 'not-applicable') out.push(`ok ${n} - ${title} # SKIP not-applicable: ${oneLine(c.reason ?? '')}`);
    else {
      out.push(`not ok ${n} - ${title}${c.status === 'warned' ? ' # TODO optional: a warning unless --strict' : ''}`);
      out.push('  ---');
      out.push(`  message: ${yamlStr(c.failure?.message ?? 'failed')}`);
      out.push(`  group: ${yamlStr(c.group)}`);
      for (const [k, v] of failureLines(c.failure ?? { message: '' })) out.push(`  ${k}: ${yamlStr(v)}`);
      if (c.cleanupErrors?.length) out.push(`  cleanup: ${yamlStr(c.cleanupErrors.join('; '))}`);
      out.push(`  duration_ms: ${c.durationMs}`);
      out.push('  ...');
    }
  });
  const t = rep.totals;
  out.push(
    `# ${t.passed} passed, ${t.failed} failed, ${t.skipped + t.notApplicable} skipped (${t.notApplicable} not applicable)${t.warned ? `, ${t.warned} warned` : ''}`,
  );
  return `${out.join('\n')}\n`;
}

export function tapReporter(file: string): Reporter {
  return {
    end(rep) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, tapText(rep));
    },
  };
}
