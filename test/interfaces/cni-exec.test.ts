import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { CniError, execPlugin, findPlugin, formatCniArgs, parseCniArgs } from '../../interfaces/cni/index.js';
import { fixtureBinDir, isAlive, readLog, tmpDir, type TmpDir } from '../fixtures/cni/helpers.js';

const test = suite('cni-exec');
let bin: TmpDir;
let work: TmpDir;
let n = 0;
const logFile = () => join(work.dir, `log-${++n}.jsonl`);

test.before(() => {
  bin = fixtureBinDir(['fx']);
  work = tmpDir();
});
test.after(() => {
  bin.cleanup();
  work.cleanup();
});

const req = (log: string, behavior?: object, extra: object = {}) => ({
  verb: 'ADD' as const,
  pluginType: 'fx',
  path: [work.dir, bin.dir],
  containerID: 'ctr1',
  netns: '/run/netns/ctr1',
  ifName: 'eth0',
  args: [
    ['K8S_POD_NAME', 'p1'],
    ['IgnoreUnknown', 'true'],
  ] as [string, string][],
  config: { cniVersion: '1.1.0', name: 'net', type: 'fx', log, behavior, ...extra },
});

async function rejects(p: Promise<unknown>): Promise<CniError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, CniError, String(e));
    return e as CniError;
  }
  throw new assert.Assertion({ message: 'expected a CniError', generated: false, operator: 'rejects', expects: 'error', actual: 'success' });
}

test('passes CNI_* env and config on stdin, keeps PATH, returns parsed JSON', async () => {
  const log = logFile();
  const out = await execPlugin(req(log, undefined, { ip: '10.9.0.2/24' }), { env: { TRIAD_FIXTURE_MARK: 'm1' } });
  assert.is(out.exitCode, 0);
  assert.equal((out.json as any).ips, [{ address: '10.9.0.2/24', interface: 0 }]);
  const [e] = readLog(log);
  assert.is(e.verb, 'ADD');
  assert.is(e.env.CNI_CONTAINERID, 'ctr1');
  assert.is(e.env.CNI_NETNS, '/run/netns/ctr1');
  assert.is(e.env.CNI_IFNAME, 'eth0');
  assert.is(e.env.CNI_ARGS, 'K8S_POD_NAME=p1;IgnoreUnknown=true');
  assert.is(e.env.CNI_PATH, `${work.dir}:${bin.dir}`);
  assert.is(e.env.TRIAD_FIXTURE_MARK, 'm1');
  assert.is(e.env.PATH, process.env.PATH);
  assert.is(e.stdin.name, 'net');
});

test('spec error object -> CniError with the code, naming plugin and verb', async () => {
  const e = await rejects(execPlugin(req(logFile(), { fail: { code: 11, msg: 'busy', details: 'retry soon' } })));
  assert.is(e.code, 11);
  assert.is(e.kind, 'plugin');
  assert.is(e.msg, 'busy');
  assert.is(e.details, 'retry soon');
  assert.is(e.exitCode, 1);
  assert.match(e.message, /CNI plugin "fx" ADD failed: TRY_AGAIN_LATER \(11\): busy/);
});

test('non-zero exit without JSON shows stderr and exit code', async () => {
  const e = await rejects(execPlugin(req(logFile(), { exitNoJson: { code: 3, stderr: 'panic: no bridge\n' } })));
  assert.is(e.kind, 'exit');
  assert.is(e.exitCode, 3);
  assert.match(e.stderr!, /panic: no bridge/);
  assert.match(e.message, /exited with code 3/);
  assert.match(e.message, /stderr: panic: no bridge/);
});

test('garbage stdout -> clear error naming the plugin', async () => {
  const e = await rejects(execPlugin(req(logFile(), { garbage: true })));
  assert.is(e.kind, 'output');
  assert.match(e.message, /CNI plugin "fx" ADD failed: printed output that is not JSON/);
  assert.match(e.message, /this is not \{ json/);
});

test('a hanging plugin is reported as hung and killed', async () => {
  const log = logFile();
  const started = Date.now();
  const e = await rejects(execPlugin(req(log, { hang: true }), { timeoutMs: 5000 }));
  assert.is(e.kind, 'timeout');
  assert.match(e.message, /hung: no answer within 5000 ms/);
  assert.ok(Date.now() - started < 20000);
  assert.ok(e.pid && e.pid > 0);
  // On a loaded machine the plugin may not have got as far as logging; when it did, the pid is
  // the plugin's own (the wrapper exec()s node).
  const entries = readLog(log);
  if (entries.length) assert.is(entries[0].pid, e.pid);
  assert.not.ok(isAlive(e.pid!), 'process is gone');
});

test('missing binary lists the dirs searched; nothing is run', async () => {
  const e = await rejects(execPlugin({ ...req(logFile()), pluginType: 'nope' }));
  assert.is(e.kind, 'not-found');
  assert.ok(e.message.includes(`[${work.dir}, ${bin.dir}]`), e.message);
  assert.throws(() => findPlugin('../fx', [bin.dir]), /plain executable name/);
  assert.is(findPlugin('fx', [work.dir, bin.dir]), join(bin.dir, 'fx'));
});

test('CNI_ARGS formatting and parsing', () => {
  assert.is(
    formatCniArgs([
      ['A', '1'],
      ['B', 'x=y'],
    ]),
    'A=1;B=x=y',
  );
  assert.equal(parseCniArgs('A=1;B=x=y'), [
    ['A', '1'],
    ['B', 'x=y'],
  ]);
  assert.throws(() => formatCniArgs([['A;B', '1']]), /invalid CNI_ARGS key/);
  assert.throws(() => formatCniArgs([['A', '1;2']]), /contains ';'/);
});

test('in-process plugins use the same protocol and error mapping', async () => {
  const out = await execPlugin(
    { ...req(logFile()), pluginType: 'mem' },
    {
      inProcess: { mem: async (env) => ({ stdout: JSON.stringify({ cniVersion: '1.1.0', interfaces: [{ name: env.CNI_IFNAME }] }), exitCode: 0 }) },
    },
  );
  assert.equal((out.json as any).interfaces, [{ name: 'eth0' }]);
  const e = await rejects(
    execPlugin(
      { ...req(logFile()), pluginType: 'mem' },
      {
        inProcess: { mem: async () => ({ stdout: '{"code":50,"msg":"down"}', exitCode: 1 }) },
      },
    ),
  );
  assert.is(e.code, 50);
});

test.run();
