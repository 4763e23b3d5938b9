// A terminal's line discipline for sessions with tty (what the kernel's pty does between
// `kubectl exec -t` and the shell): the client's terminal is raw, so typed bytes are echoed
// here, collected into lines (backspace and ^U edit, Enter sends), ^C interrupts the foreground
// command, ^D on an empty line is end of input; output newlines become CR LF.
import type { LiveInput, Tty } from './sim/index.js';

const CTRL_C = 0x03,
  CTRL_D = 0x04,
  BS = 0x08,
  DEL = 0x7f,
  CTRL_U = 0x15,
  CR = 0x0d,
  LF = 0x0a;

export class LineDiscipline {
  private line: number[] = [];

  constructor(
    private readonly input: LiveInput,
    private readonly echo: (b: Buffer) => void,
    private readonly tty: Tty,
    private readonly interruptIdle?: () => void,
  ) {}

  /** Bytes typed on the client's terminal. */
  feed(b: Buffer): void {
    for (const ch of b) {
      if (ch === CTRL_C) {
        this.line = [];
        this.echo(Buffer.from('^C\r\n'));
        if (this.tty.foreground && !this.tty.foreground.done) this.tty.foreground.kill('INT');
        else if (this.tty.interactive || !this.interruptIdle) this.input.push('\n');
        else this.interruptIdle();
      } else if (ch === CTRL_D) {
        if (!this.line.length) this.input.end();
        else {
          this.input.push(Buffer.from(this.line));
          this.line = [];
        }
      } else if (ch === DEL || ch === BS) {
        if (this.line.length) {
          // Drop a whole UTF-8 character (its continuation bytes first).
          while (this.line.length && (this.line[this.line.length - 1] & 0xc0) === 0x80) this.line.pop();
          this.line.pop();
          this.echo(Buffer.from('\b \b'));
        }
      } else if (ch === CTRL_U) {
        this.echo(Buffer.from('\b \b'.repeat(this.line.length)));
        this.line = [];
      } else if (ch === CR || ch === LF) {
        this.echo(Buffer.from('\r\n'));
        this.input.push(Buffer.from([...this.line, LF]));
        this.line = [];
      } else {
        this.line.push(ch);
        this.echo(Buffer.from([ch]));
      }
    }
  }
}

/** Output through a terminal: LF → CR LF (onlcr). */
export function onlcr(b: Buffer | string): Buffer {
  const s = Buffer.from(b);
  if (!s.includes(LF)) return s;
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === LF && (i === 0 || s[i - 1] !== CR)) out.push(CR);
    out.push(s[i]);
  }
  return Buffer.from(out);
}
