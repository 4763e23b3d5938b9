// The result as one SVG picture: throughput (pods/s) and start latency (p50/p99), triad next to
// the floor, at each concurrency (and on containerd when measured); plus time per pod as the node
// fills up in the scale runs. Plain SVG 1.1, no script, no external fonts.
import { isSkipped, type BenchResults } from './results.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS = { floor: '#5b7083', triad: '#e8772e', floorLight: '#a9b8c6', triadLight: '#f5bf97' };

interface Panel {
  x: number;
  y: number;
  w: number;
  h: number;
}

function text(
  x: number,
  y: number,
  s: string,
  o: { size?: number; anchor?: 'start' | 'middle' | 'end'; weight?: string; fill?: string; rotate?: number } = {},
): string {
  const rot = o.rotate ? ` transform="rotate(${o.rotate} ${x.toFixed(1)} ${y.toFixed(1)})"` : '';
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${o.size ?? 11}" text-anchor="${o.anchor ?? 'start'}"${o.weight ? ` font-weight="${o.weight}"` : ''} fill="${o.fill ?? '#222'}"${rot}>${esc(s)}</text>`;
}
const rect = (x: number, y: number, w: number, h: number, fill: string, title?: string) =>
  `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, w).toFixed(1)}" height="${Math.max(0, h).toFixed(1)}" fill="${fill}">${title ? `<title>${esc(title)}</title>` : ''}</rect>`;
const line = (x1: number, y1: number, x2: number, y2: number, stroke = '#ccc', width = 1, dash?: string) =>
  `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" stroke="${stroke}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;

/** Round up to 1, 2 or 5 × 10^k. */
function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const e = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * e) return m * e;
  return 10 * e;
}

interface Group {
  label: string;
  floor: number;
  triad: number;
  note?: string;
}

function barPanel(p: Panel, title: string, unit: string, groups: Group[]): string {
  const out: string[] = [text(p.x, p.y - 8, title, { size: 13, weight: 'bold' })];
  if (!groups.length) return out.concat(text(p.x + p.w / 2, p.y + p.h / 2, 'not measured', { anchor: 'middle', fill: '#888' })).join('\n');
  const max = niceMax(Math.max(...groups.flatMap((g) => [g.floor, g.triad])));
  const left = p.x + 44;
  const plotW = p.w - 44;
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = p.y + p.h - (p.h * i) / 4;
    out.push(line(left, y, left + plotW, y, i === 0 ? '#888' : '#e4e4e4'));
    out.push(text(left - 6, y + 4, v >= 100 ? v.toFixed(0) : String(+v.toFixed(2)), { anchor: 'end', size: 10, fill: '#666' }));
  }
  out.push(text(p.x, p.y + p.h / 2, unit, { size: 10, fill: '#666', rotate: -90, anchor: 'middle' }));
  const gw = plotW / groups.length;
  const bw = Math.min(46, gw / 3);
  groups.forEach((g, i) => {
    const cx = left + gw * i + gw / 2;
    for (const [k, v, dx] of [
      ['floor', g.floor, -bw - 2],
      ['triad', g.triad, 2],
    ] as const) {
      const h = (v / max) * p.h;
      out.push(rect(cx + dx, p.y + p.h - h, bw, h, COLORS[k], `${k}: ${v.toFixed(1)} ${unit}`));
      out.push(text(cx + dx + bw / 2, p.y + p.h - h - 4, v >= 100 ? v.toFixed(0) : v.toFixed(1), { anchor: 'middle', size: 10 }));
    }
    out.push(text(cx, p.y + p.h + 15, g.label, { anchor: 'middle', size: 11 }));
    if (g.note) out.push(text(cx, p.y + p.h + 29, g.note, { anchor: 'middle', size: 10, fill: '#555' }));
  });
  return out.join('\n');
}

interface LatGroup {
  label: string;
  floor: [number, number];
  triad: [number, number];
}

/** p50 (solid) and p99 (light) bars on a log scale. */
function latencyPanel(p: Panel, groups: LatGroup[]): string {
  const out: string[] = [text(p.x, p.y - 8, 'Start latency, ms (log): p50 dark, p99 light', { size: 13, weight: 'bold' })];
  if (!groups.length) return out.concat(text(p.x + p.w / 2, p.y + p.h / 2, 'not measured', { anchor: 'middle', fill: '#888' })).join('\n');
  const vals = groups.flatMap((g) => [...g.floor, ...g.triad]).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...vals)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...vals) * 1.01));
  const left = p.x + 44;
  const plotW = p.w - 44;
  const y = (v: number) => p.y + p.h - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * p.h;
  for (let v = lo; v <= hi * 1.001; v *= 10) {
    out.push(line(left, y(v), left + plotW, y(v), v === lo ? '#888' : '#e4e4e4'));
    out.push(text(left - 6, y(v) + 4, v >= 1 ? String(v) : v.toPrecision(1), { anchor: 'end', size: 10, fill: '#666' }));
  }
  out.push(text(p.x, p.y + p.h / 2, 'ms', { size: 10, fill: '#666', rotate: -90, anchor: 'middle' }));
  const gw = plotW / groups.length;
  const bw = Math.min(24, gw / 5.5);
  groups.forEach((g, i) => {
    const cx = left + gw * i + gw / 2;
    const bars: Array<[string, number, string]> = [
      ['floor p50', g.floor[0], COLORS.floor],
      ['floor p99', g.floor[1], COLORS.floorLight],
      ['triad p50', g.triad[0], COLORS.triad],
      ['triad p99', g.triad[1], COLORS.triadLight],
    ];
    bars.forEach(([name, v, color], j) => {
      const x = cx - 2 * bw - 3 + j * (bw + 2) + (j >= 2 ? 2 : 0);
      out.push(rect(x, y(v), bw, p.y + p.h - y(v), color, `${name}: ${v.toFixed(2)} ms`));
      out.push(text(x + bw / 2, y(v) - 3, v >= 10 ? v.toFixed(0) : v.toFixed(1), { anchor: 'middle', size: 9 }));
    });
    out.push(text(cx, p.y + p.h + 15, g.label, { anchor: 'middle', size: 11 }));
  });
  return out.join('\n');
}

interface Series {
  label: string;
  color: string;
  dash?: string;
  points: Array<[number, number]>;
}

function linePanel(p: Panel, series: Series[]): string {
  const out: string[] = [text(p.x, p.y - 8, 'Scale, in-memory: ms per pod as it fills up', { size: 13, weight: 'bold' })];
  const pts = series.flatMap((s) => s.points);
  if (!pts.length) return out.concat(text(p.x + p.w / 2, p.y + p.h / 2, 'not measured', { anchor: 'middle', fill: '#888' })).join('\n');
  const xmax = niceMax(Math.max(...pts.map((q) => q[0])));
  const ymax = niceMax(Math.max(...pts.map((q) => q[1])) * 1.1);
  const left = p.x + 44;
  const plotW = p.w - 54;
  const X = (v: number) => left + (v / xmax) * plotW;
  const Y = (v: number) => p.y + p.h - (v / ymax) * p.h;
  for (let i = 0; i <= 4; i++) {
    const v = (ymax * i) / 4;
    out.push(line(left, Y(v), left + plotW, Y(v), i === 0 ? '#888' : '#e4e4e4'));
    out.push(text(left - 6, Y(v) + 4, String(+v.toFixed(2)), { anchor: 'end', size: 10, fill: '#666' }));
    const xv = (xmax * i) / 4;
    out.push(text(X(xv), p.y + p.h + 15, xv >= 1000 ? `${+(xv / 1000).toFixed(1)}k` : String(xv), { anchor: 'middle', size: 10, fill: '#666' }));
  }
  out.push(text(left + plotW / 2, p.y + p.h + 29, 'pods running', { anchor: 'middle', size: 10, fill: '#666' }));
  out.push(text(p.x, p.y + p.h / 2, 'ms/pod', { size: 10, fill: '#666', rotate: -90, anchor: 'middle' }));
  series.forEach((s, i) => {
    if (!s.points.length) return;
    const d = s.points.map(([x, y], j) => `${j ? 'L' : 'M'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    for (const [x, y] of s.points) out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    const ly = p.y + 12 + i * 14;
    out.push(line(left + plotW - 120, ly - 4, left + plotW - 100, ly - 4, s.color, 2, s.dash));
    out.push(text(left + plotW - 95, ly, s.label, { size: 10 }));
  });
  return out.join('\n');
}

export function svgReport(r: BenchResults): string {
  const W = 1080;
  const H = 470;
  const parts: string[] = [];
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(
    text(20, 28, `triad bench: harness kubelet vs. the raw CRI floor${r.quick ? ' (quick smoke run: counts too small to mean anything)' : ''}`, {
      size: 16,
      weight: 'bold',
    }),
  );
  parts.push(
    text(
      20,
      46,
      `${r.machine.cpus} CPU, node ${r.machine.node}, load ${r.machine.loadavgStart[0].toFixed(1)} at start; ${r.startedAt.slice(0, 19).replace('T', ' ')} UTC; ${r.command}`,
      { size: 11, fill: '#555' },
    ),
  );
  // legend
  parts.push(rect(W - 220, 16, 12, 12, COLORS.floor), text(W - 203, 26, 'floor (direct CRI calls)', { size: 11 }));
  parts.push(rect(W - 220, 34, 12, 12, COLORS.triad), text(W - 203, 44, 'triad (harness kubelet)', { size: 11 }));

  const ov = r.overhead && !isSkipped(r.overhead) ? r.overhead.memory : [];
  const ref = r.reference && !isSkipped(r.reference) ? r.reference : undefined;
  // containerd's pods/s are ~100× smaller: they get a line of text, not bars on the same axis
  const tput: Group[] = ov.map((p) => ({
    label: `memory, c=${p.concurrency}`,
    floor: p.floor.podsPerSec,
    triad: p.triad.podsPerSec,
    note: `triad/floor ${p.ratio.throughput.toFixed(2)}`,
  }));
  const lat: LatGroup[] = ov.map((p) => ({
    label: `memory, c=${p.concurrency}`,
    floor: [p.floor.latencyMs.p50, p.floor.latencyMs.p99],
    triad: [p.triad.latencyMs.p50, p.triad.latencyMs.p99],
  }));
  if (ref)
    lat.push({
      label: 'containerd, c=1',
      floor: [ref.paired.floor.latencyMs.p50, ref.paired.floor.latencyMs.p99],
      triad: [ref.paired.triad.latencyMs.p50, ref.paired.triad.latencyMs.p99],
    });

  const top = 90;
  const ph = 280;
  parts.push(barPanel({ x: 20, y: top, w: 330, h: ph }, 'Throughput, in-memory (pods/s)', 'pods/s', tput));
  const refLine = ref
    ? `containerd + bridge, one at a time: floor ${ref.paired.floor.podsPerSec.toFixed(2)}, triad ${ref.paired.triad.podsPerSec.toFixed(2)} pods/s (mean start ${ref.paired.ratio.mean.toFixed(3)}× floor)`
    : `containerd + bridge: ${r.reference && isSkipped(r.reference) ? r.reference.skipped : 'not measured'}`;
  parts.push(text(20, top + ph + 46, refLine, { size: 10, fill: '#444' }));
  parts.push(latencyPanel({ x: 380, y: top, w: 330, h: ph }, lat));
  // memory runs only: containerd's ms/pod is two orders of magnitude larger (it is in the JSON and the tables)
  const runs = r.scale?.runs ?? [];
  const palette = [COLORS.triad, '#b04a0f', COLORS.floor, '#2d3e4d', '#6a9f3a', '#7a4fa0'];
  const series: Series[] = runs.map((x, i) => ({
    label: `${x.driver} ${x.backend} ${x.pods >= 1000 ? `${x.pods / 1000}k` : x.pods}`,
    color: palette[i % palette.length],
    dash: x.driver === 'floor' ? '5,3' : undefined,
    points: x.buckets.map((b, j) => [(j + 1) * x.bucketSize, b] as [number, number]),
  }));
  parts.push(linePanel({ x: 740, y: top, w: 320, h: ph }, series));
  const cd = r.scale && Array.isArray(r.scale.reference) ? r.scale.reference : [];
  if (cd.length)
    parts.push(
      text(740, top + ph + 46, `containerd: ${cd.map((x) => `${x.driver} ${x.msPerPod.toFixed(0)} ms/pod over ${x.pods}`).join(', ')}`, {
        size: 10,
        fill: '#444',
      }),
    );

  // targets strip
  let ty = top + ph + 72;
  parts.push(
    text(
      20,
      ty,
      `Goals of the performance work (load average ${r.machine.loadavgStart.map((v) => v.toFixed(1)).join('/')} → ${r.machine.loadavgEnd.map((v) => v.toFixed(1)).join('/')})`,
      { size: 12, weight: 'bold' },
    ),
  );
  for (const t of r.targets) {
    ty += 15;
    const mark = t.met === null ? '–' : t.met ? '✓' : '✗';
    const color = t.met === null ? '#888' : t.met ? '#2a7a2a' : '#b02a2a';
    parts.push(text(20, ty, `${mark} ${t.name ? `${t.name} — ` : ''}${t.what}: ${t.value} (goal ${t.goal})`, { size: 11, fill: color }));
  }
  const height = Math.max(H, ty + 16);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">\n${parts.join('\n').replace(`height="${H}" fill="#fff"`, `height="${height}" fill="#fff"`)}\n</svg>\n`;
}
