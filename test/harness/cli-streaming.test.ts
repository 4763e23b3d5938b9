// triad exec / attach / port-forward against a `triad kubelet` daemon on memory-cri: exit codes,
// stdout/stderr, stdin, clear errors, port-forward to nginx answering an HTTP client, and
// `triad exec -it … sh` typed into a real terminal (tmux: send-keys, capture-pane).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import tmp from 'tmp';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { triadRoot } from '../../interfaces/util/root.js';
import { hasTmux, Tmux } from '../helpers/tmux.js';

const t = suite('cli: exec, attach, port-forward');
const root = triadRoot();
const main = join(root, 'cli/main.ts');
let dir: tmp.DirResult;
let cfg: string;
let daemon: ChildProcess | undefined;
const term = new Tmux();

function triad(args: string[], input?: string): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const p = execFile(
      process.execPath,
      ['--import', 'tsx', main, ...args],
      { cwd: root, env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ stdout, stderr, code: err ? Number((err as { code?: number }).code ?? 1) : 0 }),
    );
    if (input !== undefined) p.stdin!.end(input);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.before(async () => {
  dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'triad-cli-streaming-' });
  cfg = join(dir.name, 'triad.yaml');
  writeFileSync(cfg, `kubelet:\n  stateDir: ${join(dir.name, 'state')}\n  plegPeriodMs: 20\n`);
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
      '  - { name: app, image: busybox, command: [sleep, "3600"] }',
      '  - { name: talker, image: busybox, stdin: true, command: [sh, -c, "while read l; do echo \\"got $l\\"; done"] }',
      '  - { name: web, image: nginx }',
      '',
    ].join('\n'),
  );
  const done = join(dir.name, 'done.yaml');
  writeFileSync(
    done,
    'apiVersion: v1\nkind: Pod\nmetadata: { name: done }\nspec: { restartPolicy: Never, containers: [{ name: c, image: busybox, command: ["true"] }] }\n',
  );
  const r = await triad(['run', '--config', cfg, pod, done, '--timeout', '60s']);
  assert.is(r.code, 0, r.stderr);
});

t.after(async () => {
  term.kill();
  if (daemon && daemon.exitCode === null) {
    daemon.kill('SIGINT');
    await new Promise((r) => daemon!.once('exit', r));
  }
  dir.removeCallback();
});

t("exec: stdout and stderr apart, the command's exit code is triad's", async () => {
  const r = await triad(['exec', 'shell', '-c', 'app', '--config', cfg, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.is(r.stdout, 'out\n');
  assert.match(r.stderr, /^err\n/);
  assert.match(r.stderr, /command terminated with exit code 3/);
  assert.is(r.code, 3);
});

t('exec -i: stdin reaches the command, over both transports', async () => {
  for (const transport of ['spdy', 'websocket']) {
    const r = await triad(['exec', '-i', 'shell', '--transport', transport, '--config', cfg, '--', 'cat'], `hello ${transport}\n`);
    assert.is(r.stdout, `hello ${transport}\n`, r.stderr);
    assert.is(r.code, 0);
  }
});

t('clear errors: no such pod, no such container, container not running, missing command', async () => {
  const exited = await triad(['exec', 'done', '--config', cfg, '--', 'true']);
  assert.is(exited.code, 1);
  assert.match(exited.stderr, /container c in pod done is not running \(exited\)/);
  const noPod = await triad(['exec', 'nope', '--config', cfg, '--', 'true']);
  assert.is(noPod.code, 1);
  assert.match(noPod.stderr, /pods "nope" not found/);
  const noCtr = await triad(['exec', 'shell', '-c', 'nope', '--config', cfg, '--', 'true']);
  assert.match(noCtr.stderr, /container nope is not valid for pod shell \(containers: app, talker, web\)/);
  const missing = await triad(['exec', 'shell', '--config', cfg, '--', '/no/such/program']);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /no such file or directory/);
});

t('attach -i: input reaches the container, its output comes back', async () => {
  const r = await triad(['attach', '-i', 'shell', '-c', 'talker', '--config', cfg], 'ping\n');
  assert.match(r.stdout, /got ping/);
});

t('port-forward: nginx in the pod answers an HTTP client on loopback until Ctrl-C', async () => {
  const p = spawn(process.execPath, ['--import', 'tsx', main, 'port-forward', 'shell', ':80', '--config', cfg], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '',
    err = '';
  p.stdout!.on('data', (d) => (out += d));
  p.stderr!.on('data', (d) => (err += d));
  try {
    for (let i = 0; i < 600 && !/Forwarding from/.test(out); i++) await sleep(100);
    const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 80/.exec(out);
    assert.ok(m, `no forwarding line: ${out} ${err}`);
    const res = await fetch(`http://127.0.0.1:${m![1]}/`);
    assert.is(res.status, 200);
    assert.is(await res.text(), 'ok\n');
    assert.match(out, /Handling connection for/);
  } finally {
    p.kill('SIGINT');
  }
  const code = await new Promise((r) => p.once('exit', r));
  assert.is(code, 0, err);
});

(hasTmux ? t : t.skip)('exec -it: an interactive shell in a real terminal (tmux): size, line editing, ^C, exit code', async () => {
  const cmd = `cd ${root} && ${process.execPath} --import tsx ${main} exec -it shell -c app --config ${cfg} -- sh; echo "EXIT=$?"; sleep 60`;
  term.start(cmd, 100, 30);
  await term.until(/^\/ #\s*$/m);
  term.keys('stty size', 'Enter');
  await term.until(/^30 100$/m);
  term.keys('echo typo', 'BSpace', 'BSpace', 'BSpace', 'BSpace', 'hi-$((1+2))', 'Enter');
  await term.until(/^hi-3$/m);
  term.keys('sleep 100', 'Enter');
  await sleep(1000);
  term.keys('C-c');
  // type the next line only at the new prompt: typed ahead, a terminal echoes it before the
  // prompt and the answer lands on the prompt's line
  await term.until(/^\^C\s*\n\/ #\s*$/m);
  term.keys('echo status $?', 'Enter');
  await term.until(/^status 130$/m);
  term.resize(120, 40);
  await sleep(1000);
  term.keys('stty size', 'Enter');
  await term.until(/^40 120$/m);
  term.keys('exit 5', 'Enter');
  await term.until(/^EXIT=5$/m);
});

t.run();
