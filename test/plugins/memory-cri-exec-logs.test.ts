// memory-cri logs, ExecSync and ports over a real unix socket: the CRI log format (F and P
// lines, stdout/stderr, RFC3339Nano timestamps), ReopenContainerLog after rotation, ExecSync
// output/exit/timeout in the container's context, the streaming RPCs' checks (UNIMPLEMENTED without a streaming server),
// and listeners of httpd/nc reachable through the sandbox's portForwards until the container exits.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ContainerState } from '../../interfaces/gen/cri/api.js';
import { parseCriLogLine } from '../../plugins/memory-cri/logs.js';
import { ctrConfig, podConfig, startTestRuntime, waitFor, type TestRuntime } from '../../plugins/memory-cri/testing.js';
import { fails } from '../helpers/rpc.js';

const t = suite('memory-cri: logs, exec and ports');
let h: TestRuntime;
let sb: string;
const sbCfg = podConfig();

let n = 0;
async function run(command: string[], over: Parameters<typeof ctrConfig>[2] = {}, sandbox = sb): Promise<string> {
  const { containerId } = await h.client.runtime.createContainer({ podSandboxId: sandbox, config: ctrConfig(`x${++n}`, command, over), sandboxConfig: sbCfg });
  await h.client.runtime.startContainer({ containerId });
  return containerId;
}
const status = async (id: string) => (await h.client.runtime.containerStatus({ containerId: id })).status!;
const exited = (id: string) =>
  waitFor(
    async () => {
      const s = await status(id);
      return s.state === ContainerState.CONTAINER_EXITED ? s : undefined;
    },
    5000,
    `container ${id} to exit`,
  );
const logLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const p = parseCriLogLine(l);
      assert.ok(p, `not a CRI log line: ${JSON.stringify(l)}`);
      return p!;
    });
const forwards = async (podSandboxId = sb): Promise<Record<string, string>> =>
  JSON.parse((await h.client.runtime.podSandboxStatus({ podSandboxId, verbose: true })).info.info).portForwards;

t.before(async () => {
  h = await startTestRuntime({ maxLogLineBytes: 32 });
  await h.client.image.pullImage({ image: { image: 'busybox' } });
  await h.client.image.pullImage({ image: { image: 'nginx' } });
  sb = (await h.client.runtime.runPodSandbox({ config: { ...sbCfg, logDirectory: join(h.dir, 'pods', 'uid') } })).podSandboxId;
});
t.after(async () => {
  await h?.close();
});

t('logs: CRI format lines, stdout and stderr, increasing RFC3339Nano timestamps; directories created', async () => {
  const id = await run(['sh', '-c', 'echo hello; echo oops >&2; printf "a\\nb\\n"; printf tail']);
  const s = await exited(id);
  assert.is(s.logPath, join(h.dir, 'pods', 'uid', `x${n}`, '0.log'));
  const lines = logLines(s.logPath);
  assert.equal(
    lines.map((l) => [l.stream, l.tag, l.text]),
    [
      ['stdout', 'F', 'hello'],
      ['stderr', 'F', 'oops'],
      ['stdout', 'F', 'a'],
      ['stdout', 'F', 'b'],
      ['stdout', 'P', 'tail'],
    ],
  );
  for (const l of lines) assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
  const times = lines.map((l) => Date.parse(l.time));
  assert.ok(times.every((x, i) => i === 0 || x >= times[i - 1]));
  assert.ok(Math.abs(times[0] - Date.now()) < 60_000);
});

t('logs: a line longer than maxLogLineBytes is split into P chunks ended by F', async () => {
  const long = 'x'.repeat(70);
  const id = await run(['sh', '-c', `echo ${long}; echo short`]);
  const s = await exited(id);
  const lines = logLines(s.logPath);
  assert.equal(
    lines.map((l) => [l.tag, l.text.length]),
    [
      ['P', 32],
      ['P', 32],
      ['F', 6],
      ['F', 5],
    ],
  );
  assert.is(
    lines
      .slice(0, 3)
      .map((l) => l.text)
      .join(''),
    long,
  );
});

t('ReopenContainerLog: after rotation, output goes to a fresh file at the same path', async () => {
  const id = await run(['sh', '-c', 'echo first; while ! test -f /tmp/go; do sleep 0.02; done; echo second; sleep infinity']);
  const path = (await status(id)).logPath;
  await waitFor(() => existsSync(path) && readFileSync(path, 'utf8').includes('first'));
  renameSync(path, `${path}.1`);
  await h.client.runtime.reopenContainerLog({ containerId: id });
  assert.ok(existsSync(path), 'reopened');
  await h.client.runtime.execSync({ containerId: id, cmd: ['touch', '/tmp/go'], timeout: 5n });
  await waitFor(() => readFileSync(path, 'utf8').includes('second'));
  assert.equal(
    logLines(`${path}.1`).map((l) => l.text),
    ['first'],
  );
  assert.equal(
    logLines(path).map((l) => l.text),
    ['second'],
  );
  await h.client.runtime.stopContainer({ containerId: id, timeout: 0n });
  await fails(h.client.runtime.reopenContainerLog({ containerId: id }), 'FAILED_PRECONDITION', /not running/);
  await fails(h.client.runtime.reopenContainerLog({ containerId: 'nope' }), 'NOT_FOUND');
});

t('a container without a log path runs without a log file', async () => {
  const id = await run(['echo', 'nowhere'], { logPath: '' });
  const s = await exited(id);
  assert.is(s.logPath, '');
  assert.is(s.exitCode, 0);
});

t("ExecSync: stdout, stderr and exit code, in the container's files, env and identity", async () => {
  const id = await run(['sh', '-c', 'echo state > /tmp/state; sleep infinity'], {
    envs: [{ key: 'MODE', value: Buffer.from('prod') }],
    linux: { securityContext: { runAsUser: { value: 42n } } },
  });
  await waitFor(async () => (await h.client.runtime.execSync({ containerId: id, cmd: ['test', '-f', '/tmp/state'], timeout: 5n })).exitCode === 0);
  const r = await h.client.runtime.execSync({ containerId: id, cmd: ['sh', '-c', 'cat /tmp/state; echo $MODE; id -u; echo bad >&2; exit 7'], timeout: 5n });
  assert.is(r.stdout.toString(), 'state\nprod\n42\n');
  assert.is(r.stderr.toString(), 'bad\n');
  assert.is(r.exitCode, 7);
  const ok = await h.client.runtime.execSync({ containerId: id, cmd: ['true'] });
  assert.is(ok.exitCode, 0);
  await fails(
    h.client.runtime.execSync({ containerId: id, cmd: ['nope-cmd'], timeout: 5n }),
    'UNKNOWN',
    /exec: "nope-cmd": executable file not found in \$PATH/,
  );
  await fails(h.client.runtime.execSync({ containerId: id, cmd: [] }), 'INVALID_ARGUMENT');
  await h.client.runtime.stopContainer({ containerId: id, timeout: 0n });
  await fails(h.client.runtime.execSync({ containerId: id, cmd: ['true'] }), 'FAILED_PRECONDITION', /CONTAINER_EXITED/);
  await fails(h.client.runtime.execSync({ containerId: 'nope', cmd: ['true'] }), 'NOT_FOUND');
});

t('ExecSync timeout: DEADLINE_EXCEEDED after the timeout; the exec is killed, the container keeps running', async () => {
  const id = await run(['sleep', 'infinity']);
  const t0 = Date.now();
  await fails(h.client.runtime.execSync({ containerId: id, cmd: ['sleep', '30'], timeout: 1n }), 'DEADLINE_EXCEEDED', /timeout 1s exceeded/);
  const took = Date.now() - t0;
  assert.ok(took >= 950 && took < 3000, `answered after the 1 s timeout (${took} ms)`);
  assert.is((await status(id)).state, ContainerState.CONTAINER_RUNNING);
  await h.client.runtime.stopContainer({ containerId: id, timeout: 0n });
});

t('ExecSync with a timeout past what a Node timer holds (int64 max seconds) lets the command finish', async () => {
  // Found by triad fuzz cri: the timeout overflowed setTimeout and fired after 1 ms.
  const id = await run(['sleep', 'infinity']);
  const r = await h.client.runtime.execSync({ containerId: id, cmd: ['sh', '-c', 'sleep 0.2; exit 3'], timeout: 9223372036854775807n });
  assert.is(r.exitCode, 3);
  await h.client.runtime.stopContainer({ containerId: id, timeout: 0n });
});

t("Exec, Attach, PortForward check their request as kubelet's streaming library does; CheckpointContainer answers UNIMPLEMENTED", async () => {
  const id = await run(['sleep', '3600']);
  await fails(h.client.runtime.exec({ containerId: 'x', cmd: ['sh'], stdout: true }), 'NOT_FOUND', /x/);
  await fails(h.client.runtime.exec({ containerId: id, cmd: ['sh'] }), 'INVALID_ARGUMENT', /one of stdin, stdout, or stderr/);
  await fails(h.client.runtime.exec({ containerId: id, cmd: ['sh'], tty: true, stdout: true, stderr: true }), 'INVALID_ARGUMENT', /tty and stderr/);
  await fails(h.client.runtime.exec({ containerId: id, cmd: [], stdout: true }), 'INVALID_ARGUMENT', /cmd/);
  await fails(h.client.runtime.attach({ containerId: 'x', stdout: true }), 'NOT_FOUND', /x/);
  await fails(h.client.runtime.portForward({ podSandboxId: 'nope', port: [80] }), 'NOT_FOUND', /nope/);
  assert.match((await h.client.runtime.exec({ containerId: id, cmd: ['sh'], stdout: true })).url, /^http:\/\/127\.0\.0\.1:\d+\/exec\//);
  assert.match((await h.client.runtime.portForward({ podSandboxId: sb, port: [80] })).url, /^http:\/\/127\.0\.0\.1:\d+\/portforward\//);
  await h.client.runtime.stopContainer({ containerId: id, timeout: 0n });
  await fails(h.client.runtime.exec({ containerId: id, cmd: ['sh'], stdout: true }), 'FAILED_PRECONDITION', /EXITED/);
  await fails(h.client.runtime.checkpointContainer({ containerId: 'x', location: '/tmp/c.tar' }), 'UNIMPLEMENTED', /checkpoint/);
});

t('without a streaming server (streaming: false) Exec, Attach, PortForward answer UNIMPLEMENTED with a reason', async () => {
  const bare = await startTestRuntime({ streaming: false });
  try {
    await fails(bare.client.runtime.exec({ containerId: 'x', cmd: ['sh'], stdout: true }), 'UNIMPLEMENTED', /streaming server.*ExecSync/);
    await fails(bare.client.runtime.attach({ containerId: 'x', stdout: true }), 'UNIMPLEMENTED', /streaming server/);
    await fails(bare.client.runtime.portForward({ podSandboxId: 'x', port: [80] }), 'UNIMPLEMENTED', /portForwards/);
  } finally {
    await bare.close();
  }
});

t('httpd -p PORT really listens: portForwards maps the port, HTTP 200 "ok\\n"; closed when the container exits', async () => {
  const id = await run(['httpd', '-f', '-p', '8080']);
  const fwd = await waitFor(async () => (await forwards())['8080']);
  assert.match(fwd, /^127\.0\.0\.1:\d+$/);
  const res = await fetch(`http://${fwd}/healthz`);
  assert.is(res.status, 200);
  assert.is(await res.text(), 'ok\n');
  const info = JSON.parse((await h.client.runtime.containerStatus({ containerId: id, verbose: true })).info.info);
  assert.is(info.portForwards['8080'], fwd);
  // Another container of the same pod cannot take the port (one network namespace).
  const clash = await run(['httpd', '-f', '-p', '8080']);
  const cs = await exited(clash);
  assert.is(cs.exitCode, 1);
  assert.match(readFileSync(cs.logPath, 'utf8'), /bind: Address in use/);
  await h.client.runtime.stopContainer({ containerId: id, timeout: 5n });
  assert.is((await status(id)).exitCode, 143);
  assert.equal(await forwards(), {});
  await fetch(`http://${fwd}/`).then(
    () => assert.unreachable('still listening'),
    () => undefined,
  );
});

t('nc -l -p PORT accepts TCP and prints what it receives; nginx listens on 80', async () => {
  const id = await run(['nc', '-l', '-p', '9000']);
  const fwd = await waitFor(async () => (await forwards())['9000']);
  const [host, port] = [fwd.split(':')[0], Number(fwd.split(':')[1])];
  await new Promise<void>((resolve, reject) => {
    const s = connect(port, host, () => s.end('ping\n'));
    s.on('error', reject);
    s.on('close', () => resolve());
  });
  const path = (await status(id)).logPath;
  await waitFor(() => existsSync(path) && readFileSync(path, 'utf8').includes('stdout F ping'));
  const web = await run([], { image: { image: 'nginx' } });
  const f80 = await waitFor(async () => (await forwards())['80']);
  assert.is((await fetch(`http://${f80}/`)).status, 200);
  const probe = await h.client.runtime.execSync({ containerId: web, cmd: ['wget', '-qO-', 'http://localhost:80/'], timeout: 5n });
  assert.equal([probe.exitCode, probe.stdout.toString()], [0, 'ok\n']);
  await h.client.runtime.stopContainer({ containerId: web, timeout: 5n });
  assert.is((await status(web)).exitCode, 0, 'nginx shuts down cleanly on its STOPSIGNAL (QUIT)');
  await h.client.runtime.stopContainer({ containerId: id, timeout: 0n });
});

t.run();
