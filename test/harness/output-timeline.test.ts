// The creation timeline: terminal waterfall (rows, proportional bars, failures, open steps),
// the JSON document, and SVG/HTML that are well-formed and escaped.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { PodTimeline } from '../../harness/api/types.js';
import { barCells, escapeXml, timelineDocument, timelineHtml, timelineJson, timelineSvg, timelineText } from '../../harness/output/index.js';

const T0 = Date.parse('2024-05-01T12:00:00Z');

/** 4 steps on a 1000 ms axis (a failure and a sub-cell step among them), recorded out of order. */
function known(): PodTimeline {
  return {
    pod: 'web',
    namespace: 'default',
    uid: 'uid-1',
    steps: [
      { phase: 'sandbox', name: 'RunPodSandbox', start: T0 + 100, durationMs: 400, ok: true },
      { phase: 'volumes', name: 'NodePublishVolume data', start: T0, durationMs: 100, ok: true },
      { phase: 'images', name: 'PullImage busybox:latest', start: T0 + 500, durationMs: 500, ok: false, error: 'pull failed: not found' },
      { phase: 'containers', name: 'CreateContainer app', start: T0 + 200, durationMs: 10, ok: true },
    ],
  };
}

/** The bar area of the row naming `name`: what lies between the left border and the right one. */
function barOf(text: string, name: string): { bar: string; right: string; line: string } {
  const line = text.split('\n').find((l) => l.includes(` ${name} `))!;
  assert.ok(line, `row for ${name}`);
  const start = line.indexOf('│');
  const m = /^│(.*?)([│→])/u.exec(line.slice(start))!;
  return { bar: m[1], right: m[2], line };
}

const txt = suite('output: timeline text');

txt('one row per step, in start order, with offsets and durations', () => {
  const out = timelineText(known(), { width: 10 });
  const rows = out.split('\n').filter((l) => /│.*[│→]/u.test(l));
  assert.is(rows.length, 4);
  const order = ['NodePublishVolume data', 'RunPodSandbox', 'CreateContainer app', 'PullImage busybox:latest'];
  order.forEach((n, i) => assert.ok(rows[i].includes(n), `row ${i} is ${n}`));
  assert.match(rows[0], /\s\+0ms\s+100ms\s+│/u);
  assert.match(rows[1], /\s\+100ms\s+400ms\s+│/u);
  assert.match(rows[2], /\s\+200ms\s+10ms\s+│/u);
  assert.match(rows[3], /\s\+500ms\s+500ms\s+│/u);
});

txt('bars are proportional on the shared axis (known layout, width 10)', () => {
  const out = timelineText(known(), { width: 10 });
  assert.is(barOf(out, 'NodePublishVolume data').bar, '█         ');
  assert.is(barOf(out, 'RunPodSandbox').bar, ' ████     ');
  assert.is(barOf(out, 'CreateContainer app').bar, '  ▏       ');
  assert.is(barOf(out, 'PullImage busybox:latest').bar, '     █████');
  // every bar region is exactly `width` columns and the borders line up with the ruler
  const lines = out.split('\n');
  const ruler = lines.find((l) => l.includes('├'))!;
  const col = ruler.indexOf('├');
  assert.is(ruler.slice(col), '├' + ruler.slice(col + 1, col + 11) + '┤');
  for (const n of ['RunPodSandbox', 'CreateContainer app']) assert.is(barOf(out, n).line.indexOf('│'), col);
  // width scales the same layout
  assert.is(barOf(timelineText(known(), { width: 20 }), 'RunPodSandbox').bar, '  ████████          ');
  assert.equal(barCells(250, 750, 1000, 40), { start: 10, end: 30, thin: false });
  assert.equal(barCells(500, 505, 1000, 40), { start: 20, end: 21, thin: true });
});

txt('header axis and total line', () => {
  const out = timelineText(known(), { width: 40 });
  const lines = out.split('\n');
  assert.ok(lines[0].includes('default/web'));
  assert.match(lines[1], /\s0\s.*1000ms$/);
  assert.match(lines[2], /PHASE\s+STEP\s+START\s+DURATION\s+├[─┬]{40}┤$/u);
  assert.match(out, /\ntotal 1000ms over 4 steps \(1 failed\)\n$/);
});

txt('failures are marked ✗ with their error, red only with color', () => {
  const plain = timelineText(known(), { width: 10 });
  const failed = barOf(plain, 'PullImage busybox:latest').line;
  assert.ok(failed.startsWith('✗ images'));
  assert.ok(failed.endsWith('pull failed: not found'));
  assert.not.ok(plain.includes('\x1b['), 'no ANSI without color');
  const colored = timelineText(known(), { width: 10, color: true });
  const redLine = colored.split('\n').find((l) => l.includes('PullImage'))!;
  assert.ok(redLine.includes('\x1b[31m✗\x1b[0m'));
  assert.ok(redLine.includes('\x1b[31m     █████\x1b[0m'));
  assert.not.ok(
    colored
      .split('\n')
      .find((l) => l.includes('RunPodSandbox'))!
      .includes('\x1b[31m'),
  );
});

txt('an in-progress step runs to the axis end with an open right border', () => {
  const t = known();
  t.steps.push({ phase: 'probes', name: 'readiness app', start: T0 + 600, ok: true });
  const out = timelineText(t, { width: 10, now: T0 + 2000 });
  const open = barOf(out, 'readiness app');
  assert.is(open.right, '→');
  assert.is(open.bar, '   ███████');
  assert.match(open.line, /\+600ms\s+running\s+│/u);
  // the axis now runs to `now`, so finished bars shrink by half
  assert.is(barOf(out, 'PullImage busybox:latest').bar, '  ███     ');
  assert.match(out, /total 2000ms over 5 steps \(1 failed, 1 in progress\)/);
});

txt('no steps', () => {
  const out = timelineText({ pod: 'p', namespace: 'ns', uid: 'u', steps: [] }, { width: 10 });
  assert.match(out, /no steps recorded/);
  assert.match(out, /total 0ms over 0 steps\n$/);
});

txt.run();

const json = suite('output: timeline json');

json('stable document with offsets from the first step', () => {
  const s = timelineJson(known());
  const doc = JSON.parse(s);
  assert.equal(Object.keys(doc), ['pod', 'namespace', 'uid', 'startedAt', 'totalMs', 'steps']);
  assert.is(doc.startedAt, '2024-05-01T12:00:00.000Z');
  assert.is(doc.totalMs, 1000);
  assert.equal(
    doc.steps.map((x: { offsetMs: number }) => x.offsetMs),
    [0, 100, 200, 500],
  );
  assert.equal(doc.steps[0], { phase: 'volumes', name: 'NodePublishVolume data', offsetMs: 0, durationMs: 100, ok: true, error: null });
  assert.equal(doc.steps[3], { phase: 'images', name: 'PullImage busybox:latest', offsetMs: 500, durationMs: 500, ok: false, error: 'pull failed: not found' });
  assert.is(s, timelineJson(known()), 'deterministic');
});

json('in-progress steps have durationMs null; empty timeline', () => {
  const t = known();
  t.steps.push({ phase: 'probes', name: 'readiness', start: T0 + 1200, ok: true });
  const doc = timelineDocument(t);
  assert.is(doc.steps[4].durationMs, null);
  assert.is(doc.totalMs, 1200);
  assert.is(timelineDocument(t, { now: T0 + 3000 }).totalMs, 3000);
  const empty = timelineDocument({ pod: 'p', namespace: 'n', uid: 'u', steps: [] });
  assert.equal(empty, { pod: 'p', namespace: 'n', uid: 'u', startedAt: null, totalMs: 0, steps: [] });
});

json.run();

// A small XML well-formedness check: balanced and properly nested tags, quoted attributes with no
// raw '<', no raw '<' in text, and '&' only as a complete entity reference.
function wellFormed(xml: string): { ok: true } | { ok: false; why: string } {
  let s = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  s = s.replace(/^<!DOCTYPE html>\s*/i, '');
  const entity = /&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#x[0-9a-fA-F]+);/g;
  const badAmp = (t: string) => t.replace(entity, '').includes('&');
  const stack: string[] = [];
  let i = 0;
  let roots = 0;
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const text = lt < 0 ? s.slice(i) : s.slice(i, lt);
    if (badAmp(text)) return { ok: false, why: `bare & in text near ${JSON.stringify(text.slice(0, 40))}` };
    if (text.includes('>')) return { ok: false, why: `bare > in text near ${JSON.stringify(text.slice(0, 40))}` };
    if (stack.length === 0 && text.trim() !== '') return { ok: false, why: 'text outside the root element' };
    if (lt < 0) break;
    const gt = s.indexOf('>', lt);
    if (gt < 0) return { ok: false, why: 'unterminated tag' };
    const tag = s.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) return { ok: false, why: `</${name}> closes <${open}>` };
    } else {
      const m = /^([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*="[^"<]*")*)\s*(\/?)$/.exec(tag);
      if (!m) return { ok: false, why: `malformed tag <${tag.slice(0, 60)}>` };
      if (badAmp(m[2])) return { ok: false, why: `bare & in attributes of <${m[1]}>` };
      const names = [...m[2].matchAll(/([A-Za-z_][\w:.-]*)=/g)].map((x) => x[1]);
      if (new Set(names).size !== names.length) return { ok: false, why: `duplicate attribute in <${m[1]}>` };
      if (stack.length === 0) roots++;
      if (!m[3]) stack.push(m[1]);
    }
    i = gt + 1;
  }
  if (stack.length) return { ok: false, why: `unclosed <${stack.join('><')}>` };
  if (roots !== 1) return { ok: false, why: `${roots} root elements` };
  return { ok: true };
}

const nasty = (): PodTimeline => {
  const t = known();
  t.pod = 'web<1>&"q"';
  t.steps[0].name = 'PullImage <evil>&"quoted" \'x\'';
  t.steps[2].error = 'failed: <b>&amp;</b>';
  return t;
};

const svg = suite('output: timeline svg/html');

svg('the checker itself rejects broken XML', () => {
  assert.ok(wellFormed('<a><b x="1"/>t &amp; u</a>').ok);
  assert.not.ok(wellFormed('<a><b></a></b>').ok);
  assert.not.ok(wellFormed('<a>x & y</a>').ok);
  assert.not.ok(wellFormed('<a x="<">y</a>').ok);
  assert.not.ok(wellFormed('<a>1 < 2</a>').ok);
  assert.not.ok(wellFormed('<a></a><b></b>').ok);
});

svg('SVG is well-formed XML and escapes names, errors and pod names', () => {
  const out = timelineSvg(nasty());
  const r = wellFormed(out);
  assert.ok(r.ok, r.ok ? '' : r.why);
  assert.ok(out.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(out.includes('PullImage &lt;evil&gt;&amp;&quot;quoted&quot; &#39;x&#39;'));
  assert.ok(out.includes('failed: &lt;b&gt;&amp;amp;&lt;/b&gt;'));
  assert.not.ok(out.includes('<evil>'));
  assert.is(escapeXml('a\u0001b\u0000c'), 'abc', 'characters XML cannot hold are dropped');
});

svg('one bar with a <title> tooltip per step; phase colours; failures red', () => {
  const out = timelineSvg(known(), { width: 800 });
  const bars = [...out.matchAll(/<rect [^>]*><title>([^<]*)<\/title><\/rect>/g)];
  assert.is(bars.length, 4);
  assert.ok(bars[0][1].startsWith('volumes: NodePublishVolume data'));
  assert.ok(bars[0][0].includes('fill="#4e79a7"'));
  const failed = bars.find((b) => b[1].includes('PullImage'))!;
  assert.ok(failed[0].includes('fill="#d62728"'));
  assert.ok(failed[1].includes('failed: pull failed: not found'));
  assert.match(out, /width="800"/);
  // bars are proportional: x and width scale with offset and duration
  const geo = bars.map((b) => ({ x: Number(/ x="([\d.]+)"/.exec(b[0])![1]), w: Number(/ width="([\d.]+)"/.exec(b[0])![1]) }));
  const unit = geo[0].w / 100; // px per ms, from the 100 ms step
  assert.ok(Math.abs(geo[1].x - geo[0].x - 100 * unit) < 0.05);
  assert.ok(Math.abs(geo[1].w - 400 * unit) < 0.05);
  assert.ok(Math.abs(geo[3].x - geo[0].x - 500 * unit) < 0.05);
});

svg('axis has ticks with ms labels', () => {
  const out = timelineSvg(known());
  const axis = out.slice(out.indexOf('<g class="ticks"'), out.indexOf('</g>', out.indexOf('<g class="ticks"')));
  const labels = [...axis.matchAll(/>(\d+)ms</g)].map((m) => Number(m[1]));
  assert.ok(labels.length >= 3, `labels ${labels}`);
  assert.is(labels[0], 0);
  assert.is(labels[labels.length - 1], 1000);
  assert.equal(
    labels,
    [...labels].sort((a, b) => a - b),
  );
  assert.ok((out.match(/<line /g) ?? []).length >= labels.length + 1);
});

svg('HTML page is self-contained, embeds the SVG and tabulates the steps', () => {
  const out = timelineHtml(nasty());
  assert.ok(out.startsWith('<!DOCTYPE html>\n<html lang="en">'));
  const r = wellFormed(out.replace('<meta charset="utf-8">', '<meta charset="utf-8"/>').replace(/<meta name="viewport"[^>]*>/, ''));
  assert.ok(r.ok, r.ok ? '' : r.why);
  assert.ok(out.includes('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.not.ok(out.includes('<?xml'), 'no XML declaration inside HTML');
  assert.is((out.match(/<tr class="/g) ?? []).length, 4);
  assert.not.match(out, /<script|<link|<img|@import|url\(/i);
  assert.is(out.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '').match(/https?:\/\//g), null, 'no external references');
  assert.ok(out.includes('&lt;evil&gt;'));
  assert.ok(out.includes('<title>Pod default/web&lt;1&gt;&amp;&quot;q&quot; creation timeline</title>'));
});

svg.run();
