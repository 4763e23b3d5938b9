// triad exec -it and port-forward on the reference stack: a `triad kubelet` daemon on containerd
// 1.6 (its config is the stack's triad.yaml with a private state dir), a busybox pod, a real
// busybox shell typed into tmux, and busybox httpd in the pod answering fetch() on loopback.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import tmp from 'tmp';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { triadRoot } from '../../interfaces/util/root.js';
import { hasTmux, Tmux } from '../helpers/tmux.js';
import { testOrSkip, useStack } from './stack.js';

const t = suite('reference stack: triad exec -it and port-forward on containerd');
const h = await useStack();
const it = testOrSkip(t, h);
const root = triadRoot();
const main = join(root, 'cli/main.ts');
const term = new Tmux();
let dir: tmp.DirResult | undefined;
let cfg = '';
let daemon: ChildProcess | undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function triad(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', main, ...args],
      { cwd: root, env: { ...process.env, NO_COLOR: '1' }, timeout: 180_000 },
      (err, stdout, stderr) => resolve({ stdout, stderr, code: err ? Number((err as { code?: number }).code ?? 1) : 0 }),
    );
  });
}

it('a triad kubelet on containerd runs a busybox pod', async () => {
  const s = h.stack!;
  dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'triad-ref-cli-streaming-' });
  cfg = join(dir.name, 'triad.yaml');
  writeFileSync(cfg, `${readFileSync(s.triadYaml, 'utf8')}\nkubelet:\n  stateDir: ${join(dir.name, 'state')}\n  plegPeriodMs: 100\n`);
  const d = spawn(process.execPath, ['--import', 'tsx', main, 'kubelet', '--config', cfg], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  daemon = d;
  let log = '';
  d.stderr!.on('data', (x) => (log += x));
  for (let i = 0; i < 600 && !/triad kubelet ready/.test(log); i++) await sleep(100);
  assert.match(log, /triad kubelet ready/);
  const pod = join(dir.name, 'shell.yaml');
  writeFileSync(
    pod,
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: { name: shell }',
      'spec:',
      '  containers:',
      `  - { name: app, image: "${s.images!.busybox}", command: [sleep, "3600"] }`,
      `  - { name: web, image: "${s.images!.busybox}", command: [sh, -c, "mkdir -p /www && echo hello-from-containerd > /www/index.html && exec httpd -f -p 8080 -h /www"] }`,
      '',
    ].join('\n'),
  );
  const r = await triad(['run', '--config', cfg, pod, '--timeout', '120s']);
  assert.is(r.code, 0, r.stdout + r.stderr);
});

(hasTmux ? it : t.skip)('triad exec -it: a real busybox shell in a real terminal (tmux)', async () => {
  term.start(`cd ${root} && ${process.execPath} --import tsx ${main} exec -it shell -c app --config ${cfg} -- sh; echo "EXIT=$?"; sleep 60`, 100, 30);
  await term.until(/^\/ #\s*$/m, 120_000);
  term.keys('stty size', 'Enter');
  await term.until(/^30 100\s*$/m);
  term.keys('echo hi-$((1+2)) from $(hostname)', 'Enter');
  await term.until(/^hi-3 from shell\s*$/m);
  term.resize(120, 40);
  await sleep(1000);
  term.keys('stty size', 'Enter');
  await term.until(/^40 120\s*$/m);
  term.keys('exit 5', 'Enter');
  await term.until(/^EXIT=5$/m);
});

it('triad port-forward: busybox httpd in the pod answers fetch() on loopback', async () => {
  const p = spawn(process.execPath, ['--import', 'tsx', main, 'port-forward', 'shell', ':8080', '--config', cfg], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '',
    err = '';
  p.stdout!.on('data', (d) => (out += d));
  p.stderr!.on('data', (d) => (err += d));
  try {
    for (let i = 0; i < 1200 && !/Forwarding from/.test(out); i++) await sleep(100);
    const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(out);
    assert.ok(m, `no forwarding line: ${out} ${err}`);
    let body = '';
    for (let i = 0; i < 50 && !body.includes('hello-from-containerd'); i++) {
      try {
        body = await (await fetch(`http://127.0.0.1:${m![1]}/index.html`)).text();
      } catch {
        await sleep(200);
      }
    }
    assert.match(body, 'hello-from-containerd');
  } finally {
    p.kill('SIGINT');
  }
  assert.is(await new Promise((r) => p.once('exit', r)), 0, err);
});

t.after(async () => {
  term.kill();
  if (daemon && daemon.exitCode === null) {
    daemon.kill('SIGINT');
    await new Promise((r) => daemon!.once('exit', r));
  }
  dir?.removeCallback();
  await h.release();
});

t.run();
