// A streaming session on this process's terminal, as kubectl exec/attach run one: stdin (with -i)
// goes to the session, its stdout/stderr to ours; with -t the local terminal is raw (the remote
// side echoes and edits lines) and every window change is sent as a resize. Returns the exit code
// triad should end with: the command's, or 1 when the session failed.
import type { StdioSession } from '../interfaces/cri/streaming/index.js';

export async function runOnTerminal(s: StdioSession, o: { stdin: boolean; tty: boolean; what: string }): Promise<number> {
  const stdin = process.stdin;
  const raw = o.tty && stdin.isTTY;
  const sendSize = () => {
    if (process.stdout.isTTY) s.resize({ width: process.stdout.columns, height: process.stdout.rows });
  };
  if (raw) stdin.setRawMode(true);
  if (o.tty) {
    sendSize();
    process.stdout.on('resize', sendSize);
  }
  s.stdout?.on('data', (d: Buffer) => process.stdout.write(d));
  s.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
  if (o.stdin && s.stdin) {
    stdin.on('data', (d: Buffer) => s.stdin!.write(d));
    stdin.once('end', () => s.stdin!.end());
    stdin.resume();
  }
  try {
    const outcome = await s.done;
    if ('exitCode' in outcome) {
      if (outcome.exitCode !== 0 && !o.tty) process.stderr.write(`command terminated with exit code ${outcome.exitCode}\n`);
      return outcome.exitCode;
    }
    process.stderr.write(`${raw ? '\r\n' : ''}triad: ${o.what}: ${outcome.error}\n`);
    return 1;
  } finally {
    process.stdout.off('resize', sendSize);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
    stdin.removeAllListeners('data');
    s.close();
  }
}

/** Flush our output, then end the process with code (stdin may still hold the loop open). */
export function exitWith(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
