// A real terminal for tests: a private tmux server (its own socket) with one session; keys are
// typed with send-keys and the screen read with capture-pane.
import { execFileSync } from 'node:child_process';

export const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
})();

export class Tmux {
  private readonly socket = `triad-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private started = false;

  private run(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Start a session of size cols×rows running a shell command line. */
  start(cmd: string, cols = 100, rows = 30): void {
    this.run('new-session', '-d', '-s', 't', '-x', String(cols), '-y', String(rows), cmd);
    this.started = true;
  }

  keys(...keys: string[]): void {
    this.run('send-keys', '-t', 't', ...keys);
  }
  resize(cols: number, rows: number): void {
    this.run('resize-window', '-t', 't', '-x', String(cols), '-y', String(rows));
  }
  screen(): string {
    return this.run('capture-pane', '-p', '-t', 't');
  }

  /** Wait until the screen matches re (this machine may be slow: a minute by default). */
  async until(re: RegExp, ms = 60_000): Promise<string> {
    let s = '';
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      s = this.screen();
      if (re.test(s)) return s;
    }
    throw new Error(`terminal never showed ${re}; it shows:\n${s}`);
  }

  kill(): void {
    if (this.started) {
      try {
        this.run('kill-server');
      } catch {
        /* already gone */
      }
    }
    this.started = false;
  }
}
