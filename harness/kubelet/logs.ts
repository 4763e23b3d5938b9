// Reading container logs written in the CRI log format: "<RFC3339Nano> <stdout|stderr> <P|F> <text>",
// where P marks a partial line continued by the next record.
import { open, readFile } from 'node:fs/promises';

export interface LogRecord {
  time: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** Decode CRI log text into whole lines (partials joined). Malformed lines are kept verbatim. */
export function parseCriLog(text: string): LogRecord[] {
  const out: LogRecord[] = [];
  let partial: LogRecord | undefined;
  for (const line of text.split('\n')) {
    if (!line) continue;
    const m = line.match(/^(\S+) (stdout|stderr) ([PF])(?: (.*))?$/);
    if (!m) {
      out.push({ time: '', stream: 'stdout', text: line });
      continue;
    }
    const [, time, stream, tag, body = ''] = m;
    if (partial && partial.stream === stream) partial.text += body;
    else partial = { time, stream: stream as LogRecord['stream'], text: body };
    if (tag === 'F') {
      out.push(partial);
      partial = undefined;
    }
  }
  if (partial) out.push(partial);
  return out;
}

export async function readCriLog(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw e;
  });
  return parseCriLog(text)
    .map((r) => r.text + '\n')
    .join('');
}

/** Follow a CRI log file from `offset`, calling onText for decoded lines until signal aborts. */
export async function followCriLog(path: string, onText: (s: string) => void, signal: AbortSignal, pollMs = 200): Promise<void> {
  let offset = 0;
  let carry = '';
  while (!signal.aborted) {
    const fh = await open(path, 'r').catch(() => undefined);
    if (fh) {
      try {
        const { size } = await fh.stat();
        if (size < offset) offset = 0; // rotated or reopened
        if (size > offset) {
          const buf = Buffer.alloc(size - offset);
          await fh.read(buf, 0, buf.length, offset);
          offset = size;
          const text = carry + buf.toString('utf8');
          const cut = text.lastIndexOf('\n') + 1;
          carry = text.slice(cut);
          const lines = parseCriLog(text.slice(0, cut));
          if (lines.length) onText(lines.map((r) => r.text + '\n').join(''));
        }
      } finally {
        await fh.close();
      }
    }
    await new Promise((r) => {
      const t = setTimeout(r, pollMs);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          r(undefined);
        },
        { once: true },
      );
    });
  }
}
