// Test runner: every *.test.ts file runs in its own node process (isolation: a crash or a
// leaked handle in one file cannot take the others down) with a hard timeout, because uvu
// itself has no per-test timeout and a hung plugin must never hang the suite.
// Usage: tsx test/run.ts [--jobs N] [--timeout SECONDS] [--serial-after] [FILTER...]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';

interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  ms: number;
  output: string;
  note?: string;
}

const args = process.argv.slice(2);
let jobs = Math.max(1, Math.min(availableParallelism(), 4));
let timeoutS = Number(process.env.TRIAD_TEST_TIMEOUT ?? 600);
let serialAfter = process.env.TRIAD_TEST_SERIAL_AFTER === '1';
const filters: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--jobs') jobs = Number(args[++i]);
  else if (args[i] === '--timeout') timeoutS = Number(args[++i]);
  else if (args[i] === '--serial-after') serialAfter = true;
  else filters.push(args[i]);
}

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

// Files named *.serial.test.ts share host state (the one reference stack): they run one at a
// time, in a lane of their own beside the pool of the other files (those keep to temp dirs, their
// own netns and seeded free subnets, so they do not meet the stack). --serial-after runs the lane
// only once the pool is done.
const root = new URL('..', import.meta.url).pathname;
const all = findTests(join(root, 'test')).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
const serial = all.filter((f) => f.endsWith('.serial.test.ts'));
const parallel = all.filter((f) => !f.endsWith('.serial.test.ts'));

function runFile(file: string): Promise<FileResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole process group: a test file may have started daemons of its own.
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* gone */
      }
      setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 5000).unref();
    }, timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const num = (label: string) => {
        const m = output.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm'));
        return m ? Number(m[1]) : undefined;
      };
      const total = num('Total');
      const passed = num('Passed') ?? 0;
      const skipped = num('Skipped') ?? 0;
      let failed = total === undefined ? 0 : total - passed;
      let note: string | undefined;
      if (timedOut) {
        failed += 1;
        note = `timed out after ${timeoutS}s`;
      } else if (total === undefined) {
        failed += 1;
        note = `exited ${code ?? signal} without a uvu summary`;
      } else if (code !== 0 && failed === 0) {
        failed += 1;
        note = `exited ${code ?? signal} after its tests`;
      }
      resolve({ file: relative(root, file), passed, failed, skipped, ms: Date.now() - started, output, note });
    });
  });
}

async function pool(files: string[], n: number, results: FileResult[]): Promise<void> {
  const queue = [...files];
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const r = await runFile(f);
      results.push(r);
      const status = r.failed ? 'FAIL' : 'ok  ';
      const extra = r.skipped ? `, ${r.skipped} skipped` : '';
      process.stdout.write(
        `${status} ${r.file} (${r.passed} passed, ${r.failed} failed${extra}; ${(r.ms / 1000).toFixed(1)}s)${r.note ? ' — ' + r.note : ''}\n`,
      );
      if (r.failed || process.env.TRIAD_TEST_VERBOSE) process.stdout.write(r.output.replace(/^/gm, '    | ') + '\n');
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, n) }, worker));
}

const results: FileResult[] = [];
if (serialAfter) {
  await pool(parallel, jobs, results);
  await pool(serial, 1, results);
} else {
  await Promise.all([pool(parallel, jobs, results), pool(serial, 1, results)]);
}
const sum = (k: 'passed' | 'failed' | 'skipped') => results.reduce((a, r) => a + r[k], 0);
const [p, f, s] = [sum('passed'), sum('failed'), sum('skipped')];
if (all.length === 0) console.log('no test files matched');
console.log(`${p} passed, ${f} failed${s ? `, ${s} skipped` : ''}`);
process.exitCode = f > 0 || all.length === 0 ? 1 : 0;
