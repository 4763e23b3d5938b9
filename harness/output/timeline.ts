// The pod's creation timeline (where the seconds went between "create" and "Running") in four
// renderings: a terminal waterfall, a stable JSON document, a standalone SVG waterfall and a
// self-contained HTML page that embeds the SVG next to a table of the steps.
import type { PodTimeline, TimelineStep } from '../api/types.js';

export interface TimelineOptions {
  /** "now" in ms since epoch: where in-progress steps end (default: the latest known instant) */
  now?: number;
}

export interface TimelineTextOptions extends TimelineOptions {
  /** columns of the bar area (default 60) */
  width?: number;
  /** ANSI colour: failed steps red */
  color?: boolean;
}

export interface TimelineSvgOptions extends TimelineOptions {
  /** pixel width of the picture (default 960) */
  width?: number;
}

export interface TimelineStepDoc {
  phase: string;
  name: string;
  offsetMs: number;
  /** null while the step is in progress */
  durationMs: number | null;
  ok: boolean;
  error: string | null;
}

export interface TimelineDoc {
  pod: string;
  namespace: string;
  uid: string;
  /** ISO time of the first step's start; null without steps */
  startedAt: string | null;
  totalMs: number;
  steps: TimelineStepDoc[];
}

/** Bar colours per phase (the Tableau 10 palette); failures are always FAILED_COLOR. */
export const PHASE_COLORS: Record<string, string> = {
  volumes: '#4e79a7',
  sandbox: '#f28e2b',
  images: '#76b7b2',
  init: '#59a14f',
  containers: '#edc948',
  probes: '#b07aa1',
  teardown: '#9c755f',
};
export const FAILED_COLOR = '#d62728';
const OTHER_COLOR = '#bab0ac';
export const phaseColor = (phase: string) => PHASE_COLORS[phase] ?? OTHER_COLOR;

interface Laid {
  step: TimelineStep;
  /** ms from the timeline's start */
  offset: number;
  /** ms from the timeline's start to the step's end (the axis end while open) */
  end: number;
  open: boolean;
}

interface Layout {
  t0: number;
  total: number;
  rows: Laid[];
}

/** Steps in start order (ties keep their recorded order) on one time axis. */
function layout(t: PodTimeline, now?: number): Layout {
  const steps = t.steps
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.start - b.s.start || a.i - b.i)
    .map((x) => x.s);
  if (steps.length === 0) return { t0: now ?? 0, total: 0, rows: [] };
  const t0 = steps[0].start;
  let axisEnd = t0;
  let anyOpen = false;
  for (const s of steps) {
    axisEnd = Math.max(axisEnd, s.start + (s.durationMs ?? 0));
    if (s.durationMs === undefined) anyOpen = true;
  }
  if (anyOpen && now !== undefined) axisEnd = Math.max(axisEnd, now);
  const total = axisEnd - t0;
  const rows = steps.map((s) => {
    const open = s.durationMs === undefined;
    const offset = s.start - t0;
    return { step: s, offset, end: open ? total : offset + (s.durationMs as number), open };
  });
  return { t0, total, rows };
}

const ms = (n: number) => `${Math.round(n)}ms`;

/** A step count of 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return Math.max(1, m * p);
  return 10 * p;
}

function ticks(total: number, slots: number): number[] {
  if (total <= 0) return [0];
  const step = niceStep(total / Math.max(1, slots));
  const out: number[] = [];
  for (let v = 0; v <= total + 1e-9; v += step) out.push(v);
  return out;
}

// ---------------------------------------------------------------- JSON

/** The timeline as a plain document with stable keys, steps in start order. */
export function timelineDocument(t: PodTimeline, opts: TimelineOptions = {}): TimelineDoc {
  const l = layout(t, opts.now);
  return {
    pod: t.pod,
    namespace: t.namespace,
    uid: t.uid,
    startedAt: l.rows.length ? new Date(l.t0).toISOString() : null,
    totalMs: l.total,
    steps: l.rows.map((r) => ({
      phase: r.step.phase,
      name: r.step.name,
      offsetMs: r.offset,
      durationMs: r.open ? null : (r.step.durationMs as number),
      ok: r.step.ok,
      error: r.step.error ?? null,
    })),
  };
}

/** `triad timeline -o json` */
export function timelineJson(t: PodTimeline, opts: TimelineOptions = {}): string {
  return JSON.stringify(timelineDocument(t, opts), null, 2) + '\n';
}

// ---------------------------------------------------------------- text

const RED = '\x1b[31m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const MAX_NAME = 48;
const chars = (s: string) => Array.from(s).length;
const padEnd = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - chars(s)));
const padStart = (s: string, n: number) => ' '.repeat(Math.max(0, n - chars(s))) + s;
const truncate = (s: string, n: number) =>
  chars(s) <= n
    ? s
    : Array.from(s)
        .slice(0, n - 1)
        .join('') + '…';
const flat = (s: string) => s.replace(/[\r\n\t]+/g, ' ');

/**
 * The cells [start, end) a step covers on a `width`-cell axis for `total` ms, and whether it is
 * shorter than one cell (drawn as a single `▏` at its start).
 */
export function barCells(offset: number, end: number, total: number, width: number): { start: number; end: number; thin: boolean } {
  if (total <= 0) return { start: 0, end: 1, thin: true };
  const a = (offset * width) / total;
  const b = (end * width) / total;
  const start = Math.min(width - 1, Math.max(0, Math.floor(a)));
  if (b - a < 1) return { start, end: start + 1, thin: true };
  return { start, end: Math.max(start + 1, Math.min(width, Math.round(b))), thin: false };
}

/**
 * A terminal waterfall: an axis header, one row per step (mark, phase, name, `+offset`,
 * duration, and a bar between `│` borders placed on the shared axis) and a total line. Failed
 * steps are marked `✗` (red with `color`), in-progress steps run to the axis end and leave the
 * right border open (`→`).
 */
export function timelineText(t: PodTimeline, opts: TimelineTextOptions = {}): string {
  const W = Math.max(10, Math.floor(opts.width ?? 60));
  const color = opts.color ?? false;
  const l = layout(t, opts.now);
  const total = l.total;
  const names = l.rows.map((r) => truncate(flat(r.step.name), MAX_NAME));
  const phases = l.rows.map((r) => flat(r.step.phase));
  const offs = l.rows.map((r) => `+${ms(r.offset)}`);
  const durs = l.rows.map((r) => (r.open ? 'running' : ms(r.step.durationMs as number)));
  const pw = Math.max(5, ...phases.map(chars));
  const nw = Math.max(4, ...names.map(chars));
  const ow = Math.max(5, ...offs.map(chars));
  const dw = Math.max(8, ...durs.map(chars));
  const prefix = (mark: string, phase: string, name: string, off: string, dur: string) =>
    `${mark} ${padEnd(phase, pw)}  ${padEnd(name, nw)}  ${padStart(off, ow)}  ${padStart(dur, dw)}  `;
  const P = chars(prefix(' ', '', '', '', ''));
  const paint = (s: string, code: string) => (color ? code + s + RESET : s);

  const out: string[] = [];
  out.push(`Pod ${t.namespace}/${t.pod} (uid ${t.uid}) creation timeline`);

  // axis labels: 0 at the left border, the total at the right border, nice ticks between
  const labels: string[] = Array.from({ length: P + W + 2 }, () => ' ');
  const ruler: string[] = Array.from({ length: W }, () => '─');
  const place = (col: number, text: string, occupied: [number, number][]) => {
    const s = col,
      e = col + text.length;
    if (occupied.some(([a, b]) => s < b + 1 && e + 1 > a)) return false;
    while (labels.length < e) labels.push(' ');
    for (let i = 0; i < text.length; i++) labels[s + i] = text[i];
    occupied.push([s, e]);
    return true;
  };
  const occupied: [number, number][] = [];
  const endLabel = ms(total);
  if (total > 0) place(Math.max(P, P + W + 2 - endLabel.length), endLabel, occupied);
  place(P, '0', occupied);
  for (const v of ticks(total, Math.max(1, Math.floor(W / 12)))) {
    if (v <= 0 || v >= total) continue;
    const cell = Math.round((v * W) / total);
    if (cell <= 0 || cell >= W) continue;
    ruler[cell] = '┬';
    place(P + 1 + cell, ms(v), occupied);
  }
  out.push(labels.join('').replace(/\s+$/, ''));
  out.push(prefix(' ', 'PHASE', 'STEP', 'START', 'DURATION') + paint('├' + ruler.join('') + '┤', DIM));

  l.rows.forEach((r, i) => {
    const failed = !r.step.ok;
    const cells: string[] = Array.from({ length: W }, () => ' ');
    const c = r.open ? { start: barCells(r.offset, r.offset, total, W).start, end: W, thin: false } : barCells(r.offset, r.end, total, W);
    for (let k = c.start; k < c.end; k++) cells[k] = c.thin ? '▏' : '█';
    let bar = cells.join('');
    if (failed) bar = paint(bar, RED);
    const right = r.open ? '→' : '│';
    let line = prefix(failed ? '✗' : ' ', phases[i], names[i], offs[i], durs[i]);
    if (failed) line = paint('✗', RED) + line.slice(1);
    line += '│' + bar + right;
    if (failed && r.step.error) line += '  ' + paint(flat(r.step.error), RED);
    out.push(line.replace(/\s+$/, ''));
  });
  if (l.rows.length === 0) out.push('  (no steps recorded)');

  const failedN = l.rows.filter((r) => !r.step.ok).length;
  const openN = l.rows.filter((r) => r.open).length;
  const extra = [failedN ? `${failedN} failed` : '', openN ? `${openN} in progress` : ''].filter(Boolean);
  out.push(`total ${ms(total)} over ${l.rows.length} step${l.rows.length === 1 ? '' : 's'}${extra.length ? ` (${extra.join(', ')})` : ''}`);
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- SVG / HTML

/** Escape text for XML content and attribute values, dropping characters XML 1.0 forbids. */
export function escapeXml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const num = (n: number) => String(Math.round(n * 100) / 100);

function svgBody(t: PodTimeline, opts: TimelineSvgOptions): string {
  const width = Math.max(480, Math.floor(opts.width ?? 960));
  const l = layout(t, opts.now);
  const total = l.total;
  const labelW = Math.min(340, Math.round(width * 0.36));
  const x0 = labelW + 10;
  const x1 = width - 80;
  const scale = (v: number) => x0 + (total > 0 ? (v / total) * (x1 - x0) : 0);
  const rowH = 22;
  const barH = 14;
  const top = 58;
  const legendY = top + l.rows.length * rowH + 24;
  const phasesUsed = [...new Set(l.rows.map((r) => r.step.phase))];
  const height = legendY + (phasesUsed.length ? 24 : 4);
  const e = escapeXml;
  const o: string[] = [];
  const failedN = l.rows.filter((r) => !r.step.ok).length;

  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" font-size="12">`,
  );
  o.push(`<title>${e(`Pod ${t.namespace}/${t.pod} creation timeline`)}</title>`);
  o.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  o.push(`<text x="10" y="20" font-size="14" font-weight="bold" fill="#222222">${e(`${t.namespace}/${t.pod}`)}</text>`);
  o.push(
    `<text x="10" y="36" fill="#666666">${e(`uid ${t.uid} · ${l.rows.length} steps · total ${ms(total)}${failedN ? ` · ${failedN} failed` : ''}`)}</text>`,
  );

  // zebra stripes under everything else
  o.push('<g class="stripes" fill="#f6f6f6">');
  l.rows.forEach((_, i) => {
    if (i % 2 === 1) o.push(`<rect x="0" y="${top + i * rowH - 3}" width="${width}" height="${rowH}"/>`);
  });
  o.push('</g>');
  // axis: ticks with ms labels and light grid lines through the rows
  o.push('<g class="axis" stroke="#cccccc">');
  const axisY = top - 6;
  o.push(`<line x1="${num(x0)}" y1="${axisY}" x2="${num(x1)}" y2="${axisY}" stroke="#888888"/>`);
  const slots = Math.max(2, Math.floor((x1 - x0) / 90));
  const tickVals = ticks(total, slots);
  if (total > 0 && tickVals[tickVals.length - 1] < total) tickVals.push(total);
  for (const v of tickVals) {
    const x = num(scale(v));
    o.push(`<line x1="${x}" y1="${axisY - 4}" x2="${x}" y2="${legendY - 14}"${v === 0 ? '' : ' stroke-dasharray="2,3"'}/>`);
  }
  o.push('</g>');
  o.push('<g class="ticks" fill="#555555" font-size="10">');
  // a label per tick where it fits; the last (the total) always shows, displacing its neighbour
  const placed: { x: number; left: number; right: number; label: string }[] = [];
  tickVals.forEach((v, i) => {
    const x = scale(v);
    const label = ms(v);
    const w = label.length * 6.2;
    const box = { x, left: x - w / 2, right: x + w / 2, label };
    const prev = placed[placed.length - 1];
    if (prev && box.left < prev.right + 6) {
      if (i !== tickVals.length - 1) return;
      if (placed.length > 1) placed.pop();
    }
    placed.push(box);
  });
  for (const p of placed) o.push(`<text x="${num(p.x)}" y="${axisY - 8}" text-anchor="middle">${e(p.label)}</text>`);
  o.push('</g>');

  l.rows.forEach((r, i) => {
    const y = top + i * rowH;
    const failed = !r.step.ok;
    const fill = failed ? FAILED_COLOR : phaseColor(r.step.phase);
    const bx = scale(r.offset);
    const bw = Math.max(1, scale(r.end) - bx);
    const dur = r.open ? 'running' : ms(r.step.durationMs as number);
    const tip =
      `${r.step.phase}: ${r.step.name}\nstart +${ms(r.offset)}, ${r.open ? 'in progress' : `took ${dur}`}` +
      (failed ? `\nfailed${r.step.error ? `: ${r.step.error}` : ''}` : '');
    o.push(`<g class="step${failed ? ' failed' : ''}${r.open ? ' open' : ''}">`);
    o.push(`<text x="10" y="${y + 11}" fill="#888888">${e(r.step.phase)}</text>`);
    const nameX = 10 + Math.min(100, Math.round(labelW * 0.3));
    const maxChars = Math.max(8, Math.floor((x0 - nameX - 6) / 7.2));
    const shown =
      chars(r.step.name) > maxChars
        ? Array.from(r.step.name)
            .slice(0, maxChars - 1)
            .join('') + '…'
        : r.step.name;
    o.push(`<text x="${nameX}" y="${y + 11}" fill="${failed ? FAILED_COLOR : '#222222'}">${e((failed ? '✗ ' : '') + flat(shown))}</text>`);
    const extra = r.open ? ' fill-opacity="0.55" stroke-dasharray="4,2"' : '';
    o.push(
      `<rect x="${num(bx)}" y="${y}" width="${num(bw)}" height="${barH}" rx="2" fill="${fill}" stroke="${failed ? '#8b0000' : fill}"${extra}>` +
        `<title>${e(tip)}</title></rect>`,
    );
    const tx = bx + bw + 4;
    const anchorEnd = tx + dur.length * 7 > width - 4;
    o.push(
      `<text x="${num(anchorEnd ? width - 4 : tx)}" y="${y + 11}" fill="${failed ? FAILED_COLOR : '#444444'}"${anchorEnd ? ' text-anchor="end"' : ''}>${e(dur)}</text>`,
    );
    o.push('</g>');
  });

  if (phasesUsed.length) {
    o.push('<g class="legend">');
    let lx = 10;
    for (const p of phasesUsed) {
      o.push(`<rect x="${lx}" y="${legendY - 9}" width="10" height="10" rx="2" fill="${phaseColor(p)}"/>`);
      o.push(`<text x="${lx + 14}" y="${legendY}" fill="#444444">${e(p)}</text>`);
      lx += 14 + chars(p) * 7.2 + 16;
    }
    if (failedN) {
      o.push(`<rect x="${num(lx)}" y="${legendY - 9}" width="10" height="10" rx="2" fill="${FAILED_COLOR}"/>`);
      o.push(`<text x="${num(lx + 14)}" y="${legendY}" fill="#444444">failed</text>`);
    }
    o.push('</g>');
  }
  o.push('</svg>');
  return o.join('\n');
}

/** A standalone SVG waterfall of the timeline. */
export function timelineSvg(t: PodTimeline, opts: TimelineSvgOptions = {}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${svgBody(t, opts)}\n`;
}

/** A self-contained HTML page: the SVG waterfall and a table of the steps. No external assets. */
export function timelineHtml(t: PodTimeline, opts: TimelineSvgOptions = {}): string {
  const e = escapeXml;
  const doc = timelineDocument(t, opts);
  const title = `Pod ${t.namespace}/${t.pod} creation timeline`;
  const rows = doc.steps.map((s, i) => {
    const result = s.ok ? (s.durationMs === null ? 'in progress' : 'ok') : `✗ failed${s.error ? `: ${s.error}` : ''}`;
    return (
      `<tr class="${s.ok ? 'ok' : 'failed'}"><td class="num">${i + 1}</td>` +
      `<td><span class="swatch" style="background:${s.ok ? phaseColor(s.phase) : FAILED_COLOR}"></span>${e(s.phase)}</td>` +
      `<td>${e(s.name)}</td><td class="num">+${s.offsetMs}ms</td>` +
      `<td class="num">${s.durationMs === null ? 'running' : `${s.durationMs}ms`}</td><td>${e(result)}</td></tr>`
    );
  });
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(title)}</title>`,
    '<style>',
    'body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222}',
    'h1{font-size:20px;margin:0 0 4px}',
    'p.meta{color:#666;margin:0 0 16px}',
    'figure{margin:0 0 20px;overflow-x:auto}',
    'table{border-collapse:collapse;font-size:13px}',
    'th,td{padding:4px 10px;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top}',
    'th{background:#f3f3f3}',
    'td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}',
    'tr.failed td{color:#d62728}',
    '.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}',
    '</style>',
    '</head>',
    '<body>',
    `<h1>${e(title)}</h1>`,
    `<p class="meta">uid ${e(t.uid)} · started ${e(doc.startedAt ?? 'never')} · total ${doc.totalMs}ms · ${doc.steps.length} steps</p>`,
    `<figure>${svgBody(t, opts)}</figure>`,
    '<table>',
    '<thead><tr><th>#</th><th>Phase</th><th>Step</th><th>Start</th><th>Duration</th><th>Result</th></tr></thead>',
    '<tbody>',
    ...rows,
    '</tbody>',
    '</table>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
