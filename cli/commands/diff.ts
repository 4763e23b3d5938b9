// triad diff --a A.yaml --b B.yaml POD.yaml… — run the same pods on two node configurations with
// every plugin call recorded through the interposer, and print where the two diverge (harness/diff.ts).
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../harness/config/config.js';
import { diffRuns, diffText, recordRun } from '../../harness/diff.js';
import { loadManifests } from '../../harness/manifest/index.js';
import { readTranscript } from '../../interfaces/interposer/transcript.js';
import { settled } from '../../harness/kubelet/status.js';
import { parseDuration } from './run.js';

export function register(program: Command): void {
  program
    .command('diff')
    .description(
      'run the same pods on two configurations (triad.yaml A and B) through the interposer and show where their calls, answers and final pod status diverge',
    )
    .argument('[files...]', 'Pod / PersistentVolumeClaim manifests')
    .option('--a <file>', 'triad.yaml of side A')
    .option('--b <file>', 'triad.yaml of side B')
    .option(
      '--transcripts <files...>',
      'compare two transcripts recorded earlier (triad proxy --record, e.g. around a conformance run) instead of running pods',
    )
    .option('--timeout <duration>', 'how long to wait for the pods to settle on each side', '2m')
    .option('--json [file]', 'print (or write to file) the result as JSON instead of text')
    .action(async (files: string[], o: { a?: string; b?: string; transcripts?: string[]; timeout: string; json?: string | boolean }) => {
      let r;
      if (o.transcripts) {
        if (o.transcripts.length !== 2) throw new Error('--transcripts takes two files (A and B)');
        if (files.length || o.a || o.b) throw new Error('--transcripts compares two recorded transcripts: give no manifests, --a or --b');
        const [a, b] = o.transcripts.map((f) => ({ config: f, calls: readTranscript(f), pods: [], errors: [] }));
        r = diffRuns(a, b);
      } else {
        if (!o.a || !o.b) throw new Error('give --a and --b (two triad.yaml files), or --transcripts A.jsonl B.jsonl');
        if (!files.length) throw new Error('give the manifests to run on both sides');
        const manifests = loadManifests(files);
        const [ca, cb] = [loadConfig(o.a), loadConfig(o.b)];
        const timeoutMs = parseDuration(o.timeout, '--timeout');
        // one side after the other: the two nodes never compete for the machine (or for containerd)
        const a = await recordRun(ca, manifests, { timeoutMs, settled });
        const b = await recordRun(cb, manifests, { timeoutMs, settled });
        r = diffRuns(a, b);
      }
      if (o.json === true) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      else if (typeof o.json === 'string') {
        writeFileSync(o.json, JSON.stringify(r, null, 2) + '\n');
        process.stdout.write(diffText(r));
      } else process.stdout.write(diffText(r));
      if (r.divergences.length) process.exitCode = 1;
    });
}
