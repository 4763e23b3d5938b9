// Headless Chromium (Debian's `chromium`) for checking HTML reports as a browser renders them:
// the DOM after load, console messages and failed loads (Chromium's own log on stderr), and a
// screenshot. Flags that work on this closed network: no sandbox (root), no GPU, no background
// networking, no component updates, a fresh profile per call (removed afterwards).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

export interface PageCheck {
  dom: string;
  /** Console messages and resource load failures Chromium logged. */
  problems: string[];
  stderr: string;
}

function chromium(args: string[]): Promise<{ stdout: string; stderr: string }> {
  if (!CHROMIUM) throw new Error('chromium is not installed (apt-get install -y --no-install-recommends chromium; .ci/setup-host does)');
  const profile = mkdtempSync(join(tmpdir(), 'triad-chromium-'));
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-extensions',
    '--disable-default-apps',
    '--no-default-browser-check',
    `--user-data-dir=${profile}`,
    '--enable-logging=stderr',
    '--v=0',
  ];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, [...flags, ...args], { timeout: 90_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if (err) reject(new Error(`chromium ${args.join(' ')} failed: ${err.message}\n${stderr.slice(-3000)}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** Load a file, return the DOM Chromium built and every console message / failed load it logged. */
export async function loadPage(file: string): Promise<PageCheck> {
  const { stdout, stderr } = await chromium(['--dump-dom', pathToFileURL(file).href]);
  const problems = stderr.split('\n').filter((l) => /:CONSOLE[:(]|Failed to load resource|net::ERR_|Uncaught /.test(l));
  return { dom: stdout, problems, stderr };
}

/** A PNG screenshot of the page. */
export async function screenshot(file: string, png: string, size = '1400,900'): Promise<void> {
  await chromium([`--screenshot=${png}`, `--window-size=${size}`, '--hide-scrollbars', pathToFileURL(file).href]);
  if (!existsSync(png)) throw new Error(`chromium wrote no screenshot ${png}`);
}
