// The interposer's transcript: one JSON object per line and per call, in the order calls ended.
// Requests and answers are the generated types' JSON form (camelCase fields, 64-bit integers as
// strings, bytes base64), so two transcripts of different plugins compare field by field.
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface TranscriptEntry {
  /** When the call arrived, ISO 8601. */
  time: string;
  /** "RuntimeService/CreateContainer", or for CNI the verb and plugin type: "ADD bridge". */
  method: string;
  request: unknown;
  /** The answer as the client got it (after any corrupt/remove); a stream's answers in order. */
  response?: unknown;
  /** gRPC status (OK included) or, for CNI, the exit outcome. */
  status: { code: number; name: string; message?: string };
  durationMs: number;
  /** The fault rule applied to this call, described. */
  fault?: string;
}

export class Transcript {
  private fd: number | undefined;
  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    // appended line by line (O_APPEND): the proxy and every CNI shim process may share one file
    this.fd = openSync(file, 'a');
  }

  write(e: TranscriptEntry): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, JSON.stringify(e) + '\n');
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Read a transcript file; a bad line is an error naming the file and line. */
export function readTranscript(file: string): TranscriptEntry[] {
  const out: TranscriptEntry[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      try {
        out.push(JSON.parse(line) as TranscriptEntry);
      } catch (err) {
        throw new Error(`${file}:${i + 1}: not a transcript line: ${(err as Error).message}`);
      }
    });
  return out;
}
