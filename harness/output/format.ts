// Shared formatting primitives that reproduce what kubectl's Go libraries print: the
// apimachinery HumanDuration ("5s", "3m2s", "4h", "3d"), Go's text/tabwriter column alignment
// (kubectl get and kubectl describe both print through it) and time.RFC1123Z timestamps.

/**
 * A duration as apimachinery's duration.HumanDuration prints it: exact seconds under 2 minutes,
 * then minutes(+seconds) under 10m, minutes under 3h, hours(+minutes) under 8h, hours under 2d,
 * days(+hours) under 8d, days under 2y, years(+days) under 8y, then years. More than a second in
 * the future is `<invalid>`; up to a second in the future is clock skew and prints `0s`.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** Parse an RFC 3339 timestamp (or epoch ms); undefined when absent or unparseable. */
export function toMillis(t: string | number | undefined): number | undefined {
  if (t === undefined || t === '') return undefined;
  const ms = typeof t === 'number' ? t : Date.parse(t);
  return Number.isFinite(ms) ? ms : undefined;
}

/** kubectl's translateTimestampSince: `<unknown>` for a missing time, else HumanDuration(now - t). */
export function since(t: string | number | undefined, now: number): string {
  const ms = toMillis(t);
  return ms === undefined ? '<unknown>' : humanDuration(now - ms);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * Go's time.RFC1123Z layout, "Mon, 02 Jan 2006 15:04:05 -0700", in local time (as kubectl prints
 * it) or in UTC. A missing time prints Go's zero time, as kubectl does for an unset field.
 */
export function rfc1123z(t: string | number | undefined, utc = false): string {
  const ms = toMillis(t);
  if (ms === undefined) return 'Mon, 01 Jan 0001 00:00:00 +0000';
  const d = new Date(ms);
  const off = utc ? 0 : -d.getTimezoneOffset();
  const get = utc
    ? {
        day: d.getUTCDay(),
        date: d.getUTCDate(),
        month: d.getUTCMonth(),
        year: d.getUTCFullYear(),
        h: d.getUTCHours(),
        m: d.getUTCMinutes(),
        s: d.getUTCSeconds(),
      }
    : { day: d.getDay(), date: d.getDate(), month: d.getMonth(), year: d.getFullYear(), h: d.getHours(), m: d.getMinutes(), s: d.getSeconds() };
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  return (
    `${DAYS[get.day]}, ${pad2(get.date)} ${MONTHS[get.month]} ${String(get.year).padStart(4, '0')} ` +
    `${pad2(get.h)}:${pad2(get.m)}:${pad2(get.s)} ${sign}${pad2(Math.trunc(abs / 60))}${pad2(abs % 60)}`
  );
}

export interface TabwriterOptions {
  /** minimal cell width including padding */
  minwidth: number;
  /** padding added to the widest cell of a column */
  padding: number;
}

/** kubectl get: printers.GetNewTabWriter (minwidth 6, padding 3, pad char ' '). */
export const GET_TABWRITER: TabwriterOptions = { minwidth: 6, padding: 3 };
/** kubectl describe: tabbedString (minwidth 0, padding 2, pad char ' '). */
export const DESCRIBE_TABWRITER: TabwriterOptions = { minwidth: 0, padding: 2 };

const runeWidth = (s: string) => Array.from(s).length;

/**
 * Align tab-separated text the way Go's text/tabwriter does with a space pad char and no flags.
 * A cell is text terminated by a tab; the text after a line's last tab is not a cell and is never
 * padded. A column block is a run of consecutive lines that all have a cell in that column, and
 * each block is as wide as its widest cell plus padding (at least minwidth), so a line without
 * that many cells ends the block and the next block is aligned on its own.
 */
export function tabwrite(text: string, opts: TabwriterOptions): string {
  const endsWithNewline = text.endsWith('\n');
  const raw = (endsWithNewline ? text.slice(0, -1) : text).split('\n');
  const lines = raw.map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (line0: number, line1: number) => {
    for (let i = line0; i < line1; i++) {
      let s = '';
      lines[i].forEach((cell, j) => {
        s += cell;
        if (j < widths.length) s += ' '.repeat(Math.max(0, widths[j] - runeWidth(cell)));
      });
      out.push(s);
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= lines[cur].length - 1) continue;
      writeLines(line0, cur);
      line0 = cur;
      let width = opts.minwidth;
      for (; cur < line1; cur++) {
        const line = lines[cur];
        if (column >= line.length - 1) break;
        width = Math.max(width, runeWidth(line[column]) + opts.padding);
      }
      widths.push(width);
      format(line0, cur);
      widths.pop();
      line0 = cur;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('\n') + (endsWithNewline ? '\n' : '');
}
