// CRI exec and streaming: ExecSync (stdout, stderr, exit code as a result not an error, the
// container's environment, timeout → DEADLINE_EXCEEDED, not running, unknown ids), and Exec,
// Attach and PortForward, which answer a streaming-server URL (or UNIMPLEMENTED: not applicable).
import { expectCode, expectEqual, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { EXIT, POD, RULES, RUN, expectNotFound, expectRefused, rpcCap, type CriEnv, CriKit } from './kit.js';

const c = defineCases(CriKit, 'cri.Exec');

const URL_RULE = (rpc: 'Exec' | 'Attach' | 'PortForward') => ({ Exec: 'cri.exec.url', Attach: 'cri.attach.url', PortForward: 'cri.port-forward.url' })[rpc];
/** A running sleeper to exec in. */
const SLEEPER = [...POD, ...RUN];

function expectUrl(url: string, rpc: 'Exec' | 'Attach' | 'PortForward', call: unknown): void {
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    /* below */
  }
  if (!u || !/^(https?|wss?):$/.test(u.protocol) || !u.host)
    fail(`${rpc} answered url ${JSON.stringify(url)}, not an http(s) URL with a host`, { rule: URL_RULE(rpc), call, actual: url });
}

export const execCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.exec-sync.stdout',
    rpc: 'ExecSync',
    name: "ExecSync answers the command's stdout and exit code 0",
    rules: [...SLEEPER, RULES.execOk, 'cri.exec-sync.stdout', 'cri.exec-sync.exit-code'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const r = await k.exec(id, ['echo', 'hello', 'triad']);
      expectEqual(r.stdout, 'hello triad\n', { rule: 'cri.exec-sync.stdout', what: 'stdout', call: k.ctx.lastCall });
      expectEqual(r.exitCode, 0, { rule: 'cri.exec-sync.exit-code', what: 'exit_code', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.exec-sync.stderr',
    rpc: 'ExecSync',
    name: 'ExecSync keeps stderr apart from stdout',
    rules: [...SLEEPER, RULES.execOk, 'cri.exec-sync.stdout', 'cri.exec-sync.stderr'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const r = await k.sh(id, 'echo to-out; echo to-err >&2');
      expectEqual(r.stdout, 'to-out\n', { rule: 'cri.exec-sync.stdout', what: 'stdout', call: k.ctx.lastCall });
      expectEqual(r.stderr, 'to-err\n', { rule: 'cri.exec-sync.stderr', what: 'stderr', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.exec-sync.exit-code',
    rpc: 'ExecSync',
    name: 'ExecSync of a command that exits 7 answers OK with exit_code 7',
    rules: [...SLEEPER, RULES.execOk, 'cri.exec-sync.stdout', 'cri.exec-sync.exit-code'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const r = await k.sh(id, 'echo partial-output; exit 7');
      expectEqual(r.exitCode, 7, { rule: 'cri.exec-sync.exit-code', what: 'exit_code', call: k.ctx.lastCall });
      expectEqual(r.stdout, 'partial-output\n', { rule: 'cri.exec-sync.stdout', what: 'stdout', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.exec-sync.env',
    rpc: 'ExecSync',
    name: "ExecSync runs with the container's environment",
    rules: [...SLEEPER, RULES.execOk, 'cri.container-config.envs'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod, 'sleeper', { envs: [{ key: 'TRIAD_EXEC_ENV', value: Buffer.from('inherited') }] });
      const r = await k.sh(id, 'echo "$TRIAD_EXEC_ENV"');
      expectEqual(r.stdout, 'inherited\n', { rule: 'cri.container-config.envs', what: 'stdout', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.exec-sync.timeout',
    rpc: 'ExecSync',
    name: 'ExecSync of a command that outlives its timeout fails with DEADLINE_EXCEEDED in time',
    rules: [...SLEEPER, RULES.execOk, 'cri.exec-sync.timeout', 'cri.exec-sync.timeout-deadline-exceeded'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const t0 = Date.now();
      await expectCode(k.runtime.execSync({ containerId: id, cmd: ['sleep', '30'], timeout: 1n }), 'DEADLINE_EXCEEDED', {
        rule: 'cri.exec-sync.timeout-deadline-exceeded',
      });
      const ms = Date.now() - t0;
      expectTrue(ms < 10_000, `ExecSync with timeout 1 s answered after ${ms} ms`, { rule: 'cri.exec-sync.timeout' });
      const r = await k.exec(id, ['true']);
      expectEqual(r.exitCode, 0, { rule: 'cri.exec-sync.timeout', what: 'exit_code of the next ExecSync', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.exec-sync.not-running',
    rpc: 'ExecSync',
    name: 'ExecSync in a container that is not running fails',
    rules: [...POD, ...RUN, ...EXIT, 'cri.exec-sync.not-running'],
    async run(k) {
      const pod = await k.sandbox();
      const created = await k.create(pod, 'created', ['sleep', '3600']);
      const exited = await k.run(pod, 'exited', ['true']);
      await k.waitExited(exited);
      const rule = 'cri.exec-sync.not-running';
      await expectRefused(k.runtime.execSync({ containerId: created, cmd: ['true'], timeout: 5n }), {
        rule,
        what: 'ExecSync in a CONTAINER_CREATED container',
      });
      await expectRefused(k.runtime.execSync({ containerId: exited, cmd: ['true'], timeout: 5n }), { rule, what: 'ExecSync in a CONTAINER_EXITED container' });
    },
  }),
  c({
    id: 'cri.exec-sync.unknown-id',
    rpc: 'ExecSync',
    name: 'ExecSync in an unknown container id fails with NOT_FOUND',
    rules: [RULES.notFound],
    async run(k) {
      await expectNotFound(k.runtime.execSync({ containerId: k.env.unknownId, cmd: ['true'], timeout: 5n }));
    },
  }),
  c({
    id: 'cri.exec-sync.missing-command',
    rpc: 'ExecSync',
    name: 'ExecSync of a program that does not exist fails or answers a non-zero exit code',
    rules: [...SLEEPER, 'cri.exec-sync.missing-program'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const p = k.runtime.execSync({ containerId: id, cmd: [`/triad-no-such-program-${k.env.runId}`], timeout: 5n });
      let res;
      try {
        res = await p;
      } catch {
        return;
      }
      expectTrue(res.exitCode !== 0, 'ExecSync of a missing program answered exit code 0', { rule: 'cri.exec-sync.missing-program', call: p });
    },
  }),
  c({
    id: 'cri.exec.url',
    rpc: 'Exec',
    name: 'Exec answers a streaming-server URL',
    needs: [rpcCap('Exec')],
    rules: [...SLEEPER, 'cri.exec.url'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const p = k.runtime.exec({ containerId: id, cmd: ['sh'], stdin: true, stdout: true, stderr: true, tty: false });
      const res = await k.optional(expectOk(p, { rule: 'cri.exec.url' }), 'Exec');
      expectUrl(res.url, 'Exec', p);
    },
  }),
  c({
    id: 'cri.exec.unknown-id',
    rpc: 'Exec',
    name: 'Exec in an unknown container id fails with NOT_FOUND',
    needs: [rpcCap('Exec')],
    rules: [RULES.notFound],
    async run(k) {
      await expectNotFound(k.runtime.exec({ containerId: k.env.unknownId, cmd: ['true'], stdout: true }));
    },
  }),
  c({
    id: 'cri.attach.url',
    rpc: 'Attach',
    name: 'Attach answers a streaming-server URL',
    needs: [rpcCap('Attach')],
    rules: [...SLEEPER, 'cri.attach.url'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const p = k.runtime.attach({ containerId: id, stdout: true, stderr: true });
      const res = await k.optional(expectOk(p, { rule: 'cri.attach.url' }), 'Attach');
      expectUrl(res.url, 'Attach', p);
    },
  }),
  c({
    id: 'cri.attach.unknown-id',
    rpc: 'Attach',
    name: 'Attach to an unknown container id fails with NOT_FOUND',
    needs: [rpcCap('Attach')],
    rules: [RULES.notFound],
    async run(k) {
      await expectNotFound(k.runtime.attach({ containerId: k.env.unknownId, stdout: true }));
    },
  }),
  c({
    id: 'cri.port-forward.url',
    rpc: 'PortForward',
    name: 'PortForward answers a streaming-server URL',
    needs: [rpcCap('PortForward')],
    rules: [...POD, 'cri.port-forward.url'],
    async run(k) {
      const pod = await k.sandbox();
      const p = k.runtime.portForward({ podSandboxId: pod.id, port: [8080] });
      const res = await k.optional(expectOk(p, { rule: 'cri.port-forward.url' }), 'PortForward');
      expectUrl(res.url, 'PortForward', p);
    },
  }),
  c({
    id: 'cri.port-forward.unknown-id',
    rpc: 'PortForward',
    name: 'PortForward to an unknown sandbox id fails with NOT_FOUND',
    needs: [rpcCap('PortForward')],
    rules: [RULES.notFound],
    async run(k) {
      await expectNotFound(k.runtime.portForward({ podSandboxId: k.env.unknownId, port: [8080] }));
    },
  }),
  c({
    id: 'cri.exec-sync.no-timeout',
    rpc: 'ExecSync',
    name: 'ExecSync with timeout 0 lets the command run to its end',
    rules: [...SLEEPER, 'cri.exec-sync.timeout-zero'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const rule = 'cri.exec-sync.timeout-zero';
      const p = k.runtime.execSync({ containerId: id, cmd: ['sh', '-c', 'sleep 2; echo done'], timeout: 0n });
      const r = await expectOk(p, { rule });
      expectEqual(Buffer.from(r.stdout).toString(), 'done\n', { rule, what: 'stdout of `sleep 2; echo done`', call: p });
    },
  }),
];
