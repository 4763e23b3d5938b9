// `triad report merge RESULTS… --html FILE [--junit FILE]`: many runs' JSON results (one per node
// or per plugin version; files, directories, or the tarball `sonobuoy retrieve` gives) as one
// node × case report.
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fleetJunit, loadRuns } from '../../conformance/runner/fleet.js';
import { fleetHtml, fleetMatrix } from '../../conformance/runner/reporters/html.js';

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

export function register(program: Command): void {
  const report = program.command('report').description('reports over many conformance runs');
  report
    .command('merge')
    .description('merge JSON results (files, directories, sonobuoy retrieve tarballs) into one node × case report')
    .argument('<results...>')
    .option('--html <file>', 'write the node × case matrix as HTML')
    .option('--junit <file>', 'write one JUnit document, a <testsuite> per node and suite')
    .option('--title <text>', 'page title', 'triad conformance: fleet')
    .action((paths: string[], o: { html?: string; junit?: string; title: string }) => {
      if (!o.html && !o.junit) throw new Error('nothing to write: give --html FILE and/or --junit FILE');
      const runs = loadRuns(paths);
      const fleet = fleetMatrix(runs);
      if (o.html) write(o.html, fleetHtml(fleet, o.title));
      if (o.junit) write(o.junit, fleetJunit(fleet.runs));
      const failing = fleet.rows.filter((r) => r.failedOn.length);
      process.stdout.write(
        `${runs.length} run${runs.length === 1 ? '' : 's'} (${fleet.nodes.join(', ')}), ${fleet.rows.length} cases, ${failing.length} failing somewhere\n`,
      );
      for (const r of failing.slice(0, 20))
        process.stdout.write(`  ${r.suite}: ${r.id}: failed on ${r.failedOn.join(', ')}${r.rules.length ? ` (${r.rules.join(', ')})` : ''}\n`);
      process.exitCode = failing.length ? 1 : 0;
    });
}
