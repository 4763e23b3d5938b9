// Summarise a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by file, plus
// inclusive time of the functions named with --focus. Usage:
//   tsx bench/profile-summary.ts FILE.cpuprofile [--top 30] [--focus regex] [--callers regex] [--files] [--owners]
// --callers: the time spent inside functions matching regex, charged to the project function that
// called them (who creates all those errors, who writes those files).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Row {
  name: string;
  ms: number;
  pct: number;
}
export interface ProfileSummary {
  totalMs: number;
  byFunction: Row[];
  byFile: Row[];
  byOwner: Row[];
  inclusive: Row[];
  callers: Row[];
}

const short = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/work\/main\//, '')
    .replace(/^.*node_modules\//, 'nm:');

export function summarizeProfile(p: Profile, opts: { top?: number; focus?: RegExp; callers?: RegExp } = {}): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfMs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    selfMs.set(p.samples[i], (selfMs.get(p.samples[i]) ?? 0) + dt);
  }
  const total = [...selfMs.values()].reduce((a, b) => a + b, 0);
  const label = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${f.url ? `${short(f.url)}:${f.lineNumber + 1}` : ''}`.trim();
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  const incl = new Map<string, number>();
  const owner = new Map<string, number>();
  const callers = new Map<string, number>();
  // self time charged to the nearest frame in the project's own code (node internals, natives and
  // node_modules are walked past): who asked for the fs call, the gRPC work, the JSON…
  const own = (f: CallFrame) => f.url.startsWith('file://') && !f.url.includes('/node_modules/');
  for (const [id, ms] of selfMs) {
    let o: number | undefined = id;
    while (o !== undefined && !own(byId.get(o)!.callFrame)) o = parent.get(o);
    const ol = o === undefined ? `(outside project code) ${label(byId.get(id)!.callFrame)}` : label(byId.get(o)!.callFrame);
    owner.set(ol, (owner.get(ol) ?? 0) + ms);
    const n = byId.get(id)!;
    fn.set(label(n.callFrame), (fn.get(label(n.callFrame)) ?? 0) + ms);
    const f = n.callFrame.url ? short(n.callFrame.url) : `(${n.callFrame.functionName || 'native'})`;
    file.set(f, (file.get(f) ?? 0) + ms);
    if (opts.callers) {
      // the outermost matching frame, then the nearest project frame above it
      let hit: number | undefined;
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) if (opts.callers.test(label(byId.get(cur)!.callFrame))) hit = cur;
      if (hit !== undefined) {
        let c = parent.get(hit);
        while (c !== undefined && !own(byId.get(c)!.callFrame)) c = parent.get(c);
        const l = `${c === undefined ? '(no project caller)' : label(byId.get(c)!.callFrame)} → ${label(byId.get(hit)!.callFrame)}`;
        callers.set(l, (callers.get(l) ?? 0) + ms);
      }
    }
    if (opts.focus) {
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const l = label(byId.get(cur)!.callFrame);
        if (opts.focus.test(l) && !seen.has(l)) {
          seen.add(l);
          incl.set(l, (incl.get(l) ?? 0) + ms);
        }
      }
    }
  }
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, opts.top ?? 30)
      .map(([name, ms]) => ({ name, ms: Math.round(ms * 10) / 10, pct: total ? Math.round((ms / total) * 1000) / 10 : 0 }));
  return { totalMs: Math.round(total), byFunction: rows(fn), byFile: rows(file), byOwner: rows(owner), inclusive: rows(incl), callers: rows(callers) };
}

function main(argv: string[]): void {
  const file = argv.find((a, i) => !a.startsWith('--') && !/^\d+$/.test(a) && !['--focus', '--callers', '--top'].includes(argv[i - 1]));
  if (!file) {
    process.stderr.write('usage: tsx bench/profile-summary.ts FILE.cpuprofile [--top N] [--focus REGEX] [--callers REGEX] [--files] [--owners]\n');
    process.exit(2);
  }
  const top = Number(argv[argv.indexOf('--top') + 1]) || 30;
  const fi = argv.indexOf('--focus');
  const focus = fi >= 0 ? new RegExp(argv[fi + 1]) : undefined;
  const ci = argv.indexOf('--callers');
  const callers = ci >= 0 ? new RegExp(argv[ci + 1]) : undefined;
  const s = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as Profile, { top, focus, callers });
  const print = (title: string, rows: Row[]) => {
    process.stdout.write(`\n${title}\n`);
    for (const r of rows) process.stdout.write(`${r.ms.toFixed(1).padStart(9)} ms ${r.pct.toFixed(1).padStart(5)}%  ${r.name}\n`);
  };
  process.stdout.write(`total sampled: ${s.totalMs} ms\n`);
  print('self time by function', s.byFunction);
  if (argv.includes('--files')) print('self time by file', s.byFile);
  if (argv.includes('--owners')) print('self time charged to the nearest project function', s.byOwner);
  if (focus) print(`inclusive time of /${focus.source}/`, s.inclusive);
  if (callers) print(`time inside /${callers.source}/ by calling project function`, s.callers);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
