// `triad fuzz csi|cri|cni`: generated call sequences (valid lifecycles, bent) against a plugin,
// judged by the oracles in fuzz/; each new finding is minimized and written as a replay file
// plus a paragraph. `triad fuzz replay FILE` runs one again. Exit 1 when something was found
// (or, for replay, when the finding still shows).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { TargetInfo } from '../../fuzz/targets.js';

/** "30s", "500ms", "10m", "1h", "45" (seconds) → ms. */
function parseDuration(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`${what}: ${JSON.stringify(s)} is not a duration (500ms, 30s, 10m)`);
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!);
}

interface CommonOpts {
  seed?: string;
  runs?: string;
  duration?: string;
  corpus?: string;
  out: string;
  timeout: string;
  minimize: string;
  quiet?: boolean;
}

function addCommon(cmd: Command): Command {
  return cmd
    .option('--seed <n>', 'the seed: the same seed sends the same calls (default: random, printed)')
    .option('--runs <n>', 'stop after this many sequences (default 100 unless --duration)')
    .option('--duration <d>', 'stop after this long (30s, 10m)')
    .option('--corpus <dir>', 'sequences to start from (JSON {steps}); sequences that reach new answer codes are added')
    .option('--out <dir>', 'where findings are written (replay JSON + explanation .md)', 'fuzz-findings')
    .option('--timeout <d>', 'per-call deadline: a call past it is a finding', '5s')
    .option('--minimize <n>', 'minimization tries per finding (0: keep the sequence as found)', '80')
    .option('--quiet', 'print only the summary');
}

function positiveInt(s: string | undefined, what: string): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what} must be a non-negative integer, got ${JSON.stringify(s)}`);
  return n;
}

/** "a=1,b=2" → {a: "1", b: "2"}. */
function parsePairs(s: string, what: string): Record<string, string> {
  return Object.fromEntries(
    s.split(',').map((kv) => {
      const i = kv.indexOf('=');
      if (i <= 0) throw new Error(`${what}: ${JSON.stringify(kv)} is not key=value`);
      return [kv.slice(0, i).trim(), kv.slice(i + 1)];
    }),
  );
}

async function runFuzz(info: TargetInfo, o: CommonOpts): Promise<void> {
  const seed = positiveInt(o.seed, '--seed') ?? Math.floor(Math.random() * 2 ** 31);
  const runs = positiveInt(o.runs, '--runs');
  const durationMs = o.duration ? parseDuration(o.duration, '--duration') : undefined;
  const minimizeTries = positiveInt(o.minimize, '--minimize');
  info.callTimeoutMs = parseDuration(o.timeout, '--timeout');
  const { openTarget } = await import('../../fuzz/targets.js');
  const { fuzz } = await import('../../fuzz/runner.js');
  const t = await openTarget(info);
  let report;
  try {
    process.stderr.write(`fuzz ${info.kind}: seed ${seed}${runs !== undefined ? `, ${runs} runs` : ''}${durationMs ? `, ${o.duration}` : ''}\n`);
    const log = o.quiet ? undefined : (line: string) => process.stderr.write(`${line}\n`);
    report = await fuzz(t.target, { seed, runs, durationMs, corpus: o.corpus, out: resolve(o.out), targetInfo: { ...t.info }, minimizeTries, log });
  } finally {
    await t.close();
  }
  const rate = report.ms ? (report.calls / report.ms) * 1000 : 0;
  process.stdout.write(
    `${report.runs} runs, ${report.calls} calls in ${(report.ms / 1000).toFixed(1)} s (${rate.toFixed(0)} calls/s), seed ${seed}${o.corpus ? `, ${report.corpusAdded} added to the corpus` : ''}\n`,
  );
  for (const f of report.findings) {
    process.stdout.write(
      `FINDING ${f.finding.oracle} at ${f.finding.rpc}${f.finding.rule ? ` (${f.finding.rule.id})` : ''}: ${f.finding.message}\n  ${f.steps.length} step(s)${f.minimized ? ', minimized' : ''}: ${f.file}\n`,
    );
  }
  if (!report.findings.length) process.stdout.write('no findings\n');
  process.exitCode = report.findings.length ? 1 : 0;
}

export function register(program: Command): void {
  const fz = program
    .command('fuzz')
    .description(
      'send generated call sequences (valid lifecycles, mutated) to a plugin and report crashes, hangs, wrong codes and broken answers as minimized replay files',
    );

  addCommon(fz.command('csi').description('fuzz a CSI driver'))
    .requiredOption('--endpoint <ep>', "the driver's socket (path, unix:///path or host:port)")
    .option('--work-dir <dir>', 'where staging and target paths go (default: a temporary directory, removed after)')
    .option('--watch-dir <dir>', 'report any new path below this directory outside --root and the request paths (hostPath drivers)')
    .option('--root <dir>', "with --watch-dir: the driver's own data directory")
    .option('--mutable-parameters <k=v,...>', 'a modification the driver supports (ControllerModifyVolume, CreateVolume mutable_parameters)')
    .action((o: CommonOpts & { endpoint: string; workDir?: string; watchDir?: string; root?: string; mutableParameters?: string }) => {
      if (o.root && !o.watchDir) throw new Error('--root only means something with --watch-dir');
      const mutableParameters = o.mutableParameters ? parsePairs(o.mutableParameters, '--mutable-parameters') : undefined;
      return runFuzz(
        {
          kind: 'csi',
          endpoint: o.endpoint,
          workDir: o.workDir && resolve(o.workDir),
          watchDir: o.watchDir && resolve(o.watchDir),
          root: o.root && resolve(o.root),
          mutableParameters,
        },
        o,
      );
    });

  addCommon(
    fz.command('cri').description('fuzz a CRI runtime (RuntimeService and ImageService on one endpoint; the sequences run docker.io/library/busybox:1.36)'),
  )
    .requiredOption('--endpoint <ep>', "the runtime's socket (path, unix:///path or host:port)")
    .action((o: CommonOpts & { endpoint: string }) => runFuzz({ kind: 'cri', endpoint: o.endpoint }, o));

  addCommon(fz.command('cni').description('fuzz a CNI plugin (the first plugin of the config) with mutated config, env and stdin on made-up containers'))
    .requiredOption('--cni-path <dirs>', 'where the plugin binary is (colon-separated, like CNI_PATH)')
    .requiredOption('--config <file>', 'a network config (.conf) or list (.conflist)')
    .action((o: CommonOpts & { cniPath: string; config: string }) =>
      runFuzz(
        {
          kind: 'cni',
          cniPath: o.cniPath
            .split(':')
            .filter(Boolean)
            .map((d) => resolve(d)),
          config: resolve(o.config),
        },
        o,
      ),
    );

  fz.command('replay')
    .description("run a finding's replay file again; exit 1 if it still shows")
    .argument('<file>', 'a replay file written by triad fuzz')
    .option('--endpoint <ep>', 'where the plugin is now (default: the endpoint in the file)')
    .option('--tries <n>', 'runs before giving up (a race may need more than one)', '3')
    .action(async (file: string, o: { endpoint?: string; tries: string }) => {
      const { replay } = await import('../../fuzz/replay.js');
      const r = await replay(file, { endpoint: o.endpoint, tries: positiveInt(o.tries, '--tries') });
      process.stdout.write(`${r.file.explanation}\n\n`);
      if (r.reproduced) {
        process.stdout.write(`REPRODUCED (try ${r.tries}): ${r.reproduced.oracle} at ${r.reproduced.rpc}: ${r.reproduced.message}\n`);
        process.exitCode = 1;
      } else {
        process.stdout.write(
          `not reproduced in ${r.tries} tries${r.findings.length ? `; other findings: ${r.findings.map((f) => `${f.oracle} at ${f.rpc}`).join(', ')}` : ''}\n`,
        );
        process.exitCode = 0;
      }
    });
}
