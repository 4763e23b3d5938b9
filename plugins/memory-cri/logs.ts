// Container logs in the CRI format, as containerd's cio writer produces them:
//   <RFC3339Nano timestamp> <stdout|stderr> <F|P> <text>\n
// A line longer than maxLineBytes is split into P (partial) chunks ended by an F chunk; text
// without a trailing newline is held until the newline comes or the stream closes (then it is
// written as P: a line that never ended is partial, as containerd's cio writer does at EOF).
// ReopenContainerLog closes and reopens the file, so a rotated-away file is replaced by a fresh
// one at the same path.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { nowNs } from './store.js';

export type LogStream = 'stdout' | 'stderr';

/** Go's time.RFC3339Nano in UTC: trailing zeros of the fraction are dropped. */
export function rfc3339Nano(ns: bigint): string {
  const d = new Date(Number(ns / 1_000_000n));
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${d.toISOString().slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}

export interface CriLogLine {
  time: string;
  stream: LogStream;
  tag: 'F' | 'P';
  text: string;
}

/** Parse one line of a CRI log file (for tests and tools). */
export function parseCriLogLine(line: string): CriLogLine | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line);
  return m ? { time: m[1], stream: m[2] as LogStream, tag: m[3] as 'F' | 'P', text: m[4] } : undefined;
}

export class CriLogWriter {
  private fd: number | undefined;
  private readonly pending: Record<LogStream, Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };

  /** Opens (creating directories and the file, appending) at once: failures surface at StartContainer. */
  constructor(
    readonly path: string,
    private readonly maxLineBytes = 16 * 1024,
  ) {
    this.open();
  }

  private open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    this.fd = openSync(this.path, 'a', 0o640);
  }

  write(stream: LogStream, chunk: string | Buffer): void {
    let buf = Buffer.concat([this.pending[stream], Buffer.from(chunk)]);
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10)) {
      this.emit(stream, buf.subarray(0, nl));
      buf = buf.subarray(nl + 1);
    }
    while (buf.length > this.maxLineBytes) {
      this.line(stream, 'P', buf.subarray(0, this.maxLineBytes));
      buf = buf.subarray(this.maxLineBytes);
    }
    this.pending[stream] = Buffer.from(buf);
  }

  /** A complete line: P chunks of maxLineBytes, the rest as F. */
  private emit(stream: LogStream, line: Buffer): void {
    let rest = line;
    while (rest.length > this.maxLineBytes) {
      this.line(stream, 'P', rest.subarray(0, this.maxLineBytes));
      rest = rest.subarray(this.maxLineBytes);
    }
    this.line(stream, 'F', rest);
  }

  private line(stream: LogStream, tag: 'F' | 'P', text: Buffer): void {
    if (this.fd === undefined) return;
    const head = Buffer.from(`${rfc3339Nano(nowNs())} ${stream} ${tag} `);
    try {
      writeSync(this.fd, Buffer.concat([head, text, Buffer.from('\n')]));
    } catch {
      /* a vanished log directory loses the line, as on a real node */
    }
  }

  /** Log rotation: close and reopen the path. */
  reopen(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.open();
  }

  /** Flush held text (a line without its newline: P, as containerd) and close. */
  close(): void {
    for (const s of ['stdout', 'stderr'] as const) {
      if (this.pending[s].length) this.line(s, 'P', this.pending[s]);
      this.pending[s] = Buffer.alloc(0);
    }
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        /* already gone */
      }
    }
    this.fd = undefined;
  }
}
