// triad timeline NAME [-o text|json|svg|html] [--out FILE]
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import type { PodTimeline } from '../../harness/api/types.js';
import { timelineHtml, timelineJson, timelineSvg, timelineText } from '../../harness/output/index.js';
import { addCommon, kubeletClient, podName, type CommonOptions } from '../context.js';

export function renderTimeline(t: PodTimeline, format: string): string {
  switch (format) {
    case 'text':
      return timelineText(t, { width: Math.max(30, (process.stdout.columns ?? 120) - 70), color: !!process.stdout.isTTY });
    case 'json':
      return timelineJson(t) + '\n';
    case 'svg':
      return timelineSvg(t);
    case 'html':
      return timelineHtml(t);
    default:
      throw new Error(`unknown timeline format ${JSON.stringify(format)} (text, json, svg, html)`);
  }
}

/** Write a timeline to a file, the format taken from its extension. */
export function writeTimeline(t: PodTimeline, file: string): void {
  const ext = file.split('.').pop()!;
  writeFileSync(file, renderTimeline(t, ext === 'htm' ? 'html' : ext === 'txt' ? 'text' : ext));
}

export function register(program: Command): void {
  addCommon(
    program
      .command('timeline')
      .description("a pod's creation waterfall: every step with its start and duration")
      .argument('<pod>')
      .option('-o, --output <format>', 'text | json | svg | html', 'text')
      .option('--out <file>', 'write to a file (format from its extension)'),
  ).action(async (pod: string, opts: CommonOptions & { output: string; out?: string }) => {
    const c = await kubeletClient(opts);
    const t = await c.timeline(opts.namespace!, podName(pod));
    if (opts.out) writeTimeline(t, opts.out);
    else process.stdout.write(renderTimeline(t, opts.output));
  });
}
