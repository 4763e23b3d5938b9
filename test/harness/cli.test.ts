// The triad CLI end to end: `run` in embedded mode (with teardown), and a `triad kubelet` daemon
// driven by run/get/describe/logs/timeline/delete — including SIGINT teardown of the daemon.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import tmp from 'tmp';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { triadRoot } from '../../interfaces/util/root.js';

const t = suite('cli');
const root = triadRoot();
const main = join(root, 'cli/main.ts');
const run = promisify(execFile);
let dir: tmp.DirResult;
let cfg: string;

function triad(args: string[], opts: { allowFail?: boolean } = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  return run(process.execPath, ['--import', 'tsx', main, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 })
    .then((r) => ({ ...r, code: 0 }))
    .catch((e: { stdout: string; stderr: string; code: number }) => {
      if (!opts.allowFail) throw new Error(`triad ${args.join(' ')} failed (${e.code}): ${e.stderr}`);
      return { stdout: e.stdout, stderr: e.stderr, code: e.code };
    });
}

t.before(() => {
  dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'triad-cli-' });
  cfg = join(dir.name, 'triad.yaml');
  writeFileSync(cfg, `kubelet:\n  stateDir: ${join(dir.name, 'state')}\n  plegPeriodMs: 20\n  backoff: { initialMs: 100, maxMs: 1000 }\n`);
});
t.after(() => dir.removeCallback());

t('--help lists the commands', async () => {
  const { stdout } = await triad(['--help']);
  for (const c of ['run', 'kubelet', 'get', 'describe', 'logs', 'delete', 'timeline', 'serve', 'reference']) assert.match(stdout, new RegExp(`\\n  ${c}\\b`));
});

t('run (embedded): prints status and timeline, writes an SVG, tears down', async () => {
  const svg = join(dir.name, 'NAME.svg');
  const { stdout } = await triad(['run', '--config', cfg, join(root, 'examples/pods/init-containers.yaml'), '--timeline', svg]);
  assert.match(stdout, /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP/);
  assert.match(stdout, /myapp-pod\s+1\/1\s+Running\s+0/);
  assert.match(stdout, /RunPodSandbox/);
  assert.match(readFileSync(join(dir.name, 'myapp-pod.svg'), 'utf8'), /<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  const state = join(dir.name, 'state');
  assert.is(existsSync(join(state, 'pods')) ? readdirSync(join(state, 'pods')).length : 0, 0, 'no pod dirs left');
});

t('run (embedded): a failing pod exits non-zero; bad manifests name the field', async () => {
  const bad = join(dir.name, 'bad.yaml');
  writeFileSync(bad, 'apiVersion: v1\nkind: Pod\nmetadata: { name: Bad_Name }\nspec: { containers: [{ name: c, image: busybox }] }\n');
  const r = await triad(['run', '--config', cfg, bad], { allowFail: true });
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /metadata\.name: Invalid value: "Bad_Name"/);
  const fail = join(dir.name, 'fail.yaml');
  writeFileSync(
    fail,
    'apiVersion: v1\nkind: Pod\nmetadata: { name: f }\nspec: { restartPolicy: Never, containers: [{ name: c, image: busybox, command: [sh, -c, "exit 4"] }] }\n',
  );
  const r2 = await triad(['run', '--config', cfg, fail], { allowFail: true });
  assert.is(r2.code, 1);
  assert.match(r2.stdout, /f\s+0\/1\s+Error\s+0/);
});

t('run (embedded): a second Ctrl-C during teardown does not cut it short', async () => {
  const pod = join(dir.name, 'slow-stop.yaml');
  writeFileSync(
    pod,
    'apiVersion: v1\nkind: Pod\nmetadata: { name: slow-stop }\nspec:\n  containers: [{ name: c, image: busybox, command: [sleep, "3600"], lifecycle: { preStop: { sleep: { seconds: 2 } } } }]\n',
  );
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'run', '--config', cfg, pod, '--hold', '60s'], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1' },
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const deadline = Date.now() + 30_000;
    while (!/pod\/slow-stop created/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGINT');
    assert.is(await exited, 130);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  assert.match(err, /interrupted: tearing everything down/);
  assert.match(err, /still tearing down/);
  assert.not.match(err, /teardown abandoned/);
  const state = join(dir.name, 'state');
  assert.is(existsSync(join(state, 'pods')) ? readdirSync(join(state, 'pods')).length : 0, 0, 'no pod dirs left');
});

t('kubelet daemon: run → get/describe/logs/timeline → delete; SIGINT tears down', async () => {
  const d: ChildProcess = spawn(process.execPath, ['--import', 'tsx', main, 'kubelet', '--config', cfg], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  d.stderr!.on('data', (x) => (log += x));
  try {
    for (let i = 0; i < 100 && !/triad kubelet ready/.test(log); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(log, /triad kubelet ready/);
    const r = await triad(
      ['run', '--config', cfg, join(root, 'examples/pods/crashloop.yaml'), join(root, 'examples/pods/init-containers.yaml'), '--timeout', '20s'],
      { allowFail: true },
    );
    assert.match(r.stdout, /pod\/myapp-pod created/);
    const get = await triad(['get', 'pods', '--config', cfg]);
    assert.match(get.stdout, /myapp-pod\s+1\/1\s+Running/);
    const json = JSON.parse((await triad(['get', 'pods', 'myapp-pod', '-o', 'json', '--config', cfg])).stdout);
    assert.is(json.kind, 'Pod');
    assert.is(json.status.phase, 'Running');
    const desc = await triad(['describe', 'pod', 'myapp-pod', '--config', cfg]);
    assert.match(desc.stdout, /Init Containers:/);
    assert.match(desc.stdout, /Events:/);
    const logs = await triad(['logs', 'myapp-pod', '--config', cfg]);
    assert.match(logs.stdout, /The app is running!/);
    const tl = JSON.parse((await triad(['timeline', 'myapp-pod', '-o', 'json', '--config', cfg])).stdout);
    assert.ok(tl.steps.some((s: { name: string }) => s.name === 'RunPodSandbox'));
    const del = await triad(['delete', 'pod', 'myapp-pod', '--config', cfg]);
    assert.match(del.stdout, /pod "myapp-pod" deleted/);
    const none = await triad(['get', 'pods', 'myapp-pod', '--config', cfg], { allowFail: true });
    assert.match(none.stderr, /not found/);
  } finally {
    d.kill('SIGINT');
    await new Promise((r) => d.once('exit', r));
  }
  assert.match(log, /SIGINT: deleting pods and stopping/);
  assert.not.ok(existsSync(join(dir.name, 'state', 'triad.sock')), 'control socket removed');
  const noKubelet = await triad(['get', 'pods', '--config', cfg], { allowFail: true });
  assert.match(noKubelet.stderr, /no triad kubelet is running/);
});

t.run();
