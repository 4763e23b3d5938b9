// triad run FILE… — apply manifests and watch the pods until Running/Succeeded/Failed.
// With a `triad kubelet` running for the config's state dir, the pods go to it and stay.
// Without one, triad runs an embedded node for the duration: the pods are torn down (and every
// volume, sandbox and IP released) when the command ends — also on Ctrl-C.
import type { Command } from 'commander';
import type { Pod } from '../../harness/api/types.js';
import { ControlClient } from '../../harness/control/client.js';
import { loadManifests, validateManifest } from '../../harness/manifest/index.js';
import { podTable, timelineText } from '../../harness/output/index.js';
import { startNode } from '../../harness/node.js';
import { settled } from '../../harness/kubelet/status.js';
import { addCommon, config, type CommonOptions } from '../context.js';
import { writeTimeline } from './timeline.js';
import { onInterrupt } from '../signals.js';

interface RunOptions extends CommonOptions {
  wait: boolean;
  timeout: string;
  timeline?: string;
  quiet?: boolean;
  hold?: string;
}

/** Done watching: a finished pod, or — for pods meant to keep running (restartPolicy Always) — a ready one. */
export function parseDuration(s: string, what: string): number {
  const m = s.match(/^(\d+(?:\.\d+)?)(ms|s|m|h)?$/);
  if (!m) throw new Error(`${what}: invalid duration ${JSON.stringify(s)} (e.g. 30s, 2m, 500ms)`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000);
}

export function register(program: Command): void {
  addCommon(
    program
      .command('run')
      .description(
        'run pods from manifests through the whole sequence and show their status and timeline; waits until each pod is Ready (restartPolicy Always) or finished (Never/OnFailure)',
      )
      .argument('<files...>', 'Pod / PersistentVolumeClaim manifests (YAML or JSON; files or directories)')
      .option('--no-wait', 'return once applied (needs a running triad kubelet)')
      .option('--timeout <duration>', 'how long to wait for the pods to settle', '2m')
      .option('--hold <duration>', 'embedded mode: keep the pods this long after they settle, before teardown', '0s')
      .option('--timeline <file>', "also write each pod's timeline (.svg, .html, .json or .txt; NAME is replaced by the pod name)")
      .option('-q, --quiet', 'only the final table'),
  ).action(async (files: string[], opts: RunOptions) => {
    const manifests = loadManifests(files);
    for (const m of manifests) for (const w of validateManifest(m).warnings) console.error(`Warning: ${w}`);
    const cfg = config(opts);
    const timeoutMs = parseDuration(opts.timeout, '--timeout');
    const remote = await ControlClient.find(cfg.kubelet.stateDir);
    if (remote) {
      const res = await remote.apply(manifests);
      for (const p of res.pods) console.log(`pod/${p.name} created`);
      if (!opts.wait) return;
      const deadline = Date.now() + timeoutMs;
      let pods: Pod[] = [];
      while (Date.now() < deadline) {
        pods = await Promise.all(res.pods.map((p) => remote.pod(p.namespace, p.name)));
        if (pods.every(settled)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      process.stdout.write(podTable(pods));
      if (opts.timeline) for (const p of res.pods) writeTimeline(await remote.timeline(p.namespace, p.name), opts.timeline.replace('NAME', p.name));
      if (!pods.every(settled)) process.exitCode = 1;
      return;
    }
    if (!opts.wait) throw new Error(`--no-wait needs a running triad kubelet for state dir ${cfg.kubelet.stateDir}`);
    const node = await startNode(cfg, {
      log: (m) => {
        if (!opts.quiet) console.error(m);
      },
    });
    const interrupts = onInterrupt(() => {
      console.error('\ninterrupted: tearing everything down…');
      void node.close().then(() => process.exit(130));
    });
    try {
      const pods = await node.kubelet.apply(manifests);
      if (!opts.quiet) for (const p of pods) console.error(`pod/${p.metadata.name} created`);
      const results = await Promise.all(
        pods.map((p) =>
          node.kubelet.waitFor(p.metadata.namespace!, p.metadata.name, settled, timeoutMs).catch((e: Error & { pod?: Pod }) => {
            process.exitCode = 1;
            console.error(e.message);
            return e.pod;
          }),
        ),
      );
      const hold = parseDuration(opts.hold ?? '0s', '--hold');
      if (hold > 0) await new Promise((r) => setTimeout(r, hold));
      const final = pods.map((p) => node.kubelet.get(p.metadata.namespace!, p.metadata.name));
      process.stdout.write(podTable(final));
      for (const p of final) {
        const t = node.kubelet.timeline(p.metadata.namespace!, p.metadata.name);
        if (!opts.quiet)
          process.stdout.write(`\n${timelineText(t, { width: Math.max(30, (process.stdout.columns ?? 120) - 70), color: !!process.stdout.isTTY })}`);
        if (opts.timeline) writeTimeline(t, opts.timeline.replace('NAME', p.metadata.name));
        if (p.status?.phase === 'Failed') process.exitCode = 1;
      }
      void results;
    } finally {
      if (!interrupts.fired) {
        interrupts.dispose();
        const errors = await node.close();
        if (errors.length) {
          process.exitCode = 1;
          for (const e of errors) console.error(`teardown: ${e.message}`);
        }
      }
    }
  });
}
