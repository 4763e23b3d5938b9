// CRI exec and streaming: ExecSync (stdout, stderr, exit code as a result not an error, the
// container's environment, timeout → DEADLINE_EXCEEDED, not running, unknown ids), and Exec,
// Attach and PortForward, which answer a streaming-server URL (or UNIMPLEMENTED: not applicable).
import { expectCode, expectEqual, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { caseIn } from './case.js';
import { RULES, expectRefused, rpcCap, type CriEnv } from './kit.js';

const c = caseIn('cri.Exec');

const URL_RULE = (rpc: string) => `CRI ${rpc}Response.url: the fully qualified URL of the runtime's streaming server session (kubelet proxies or redirects the client to it)`;

function expectUrl(url: string, rpc: string, call: unknown): void {
  let u: URL | undefined;
  try { u = new URL(url); } catch { /* below */ }
  if (!u || !/^(https?|wss?):$/.test(u.protocol) || !u.host) fail(`${rpc} answered url ${JSON.stringify(url)}, not an http(s) URL with a host`, URL_RULE(rpc), { call, actual: url });
}

export const execCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.exec-sync.stdout', name: 'ExecSync answers the command\'s stdout and exit code 0',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const r = await k.exec(id, ['echo', 'hello', 'triad']);
      expectEqual(r.stdout, 'hello triad\n', RULES.execOk, 'stdout', k.ctx.lastCall);
      expectEqual(r.exitCode, 0, RULES.execOk, 'exit_code', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.exec-sync.stderr', name: 'ExecSync keeps stderr apart from stdout',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const r = await k.sh(id, 'echo to-out; echo to-err >&2');
      expectEqual(r.stdout, 'to-out\n', 'CRI ExecSyncResponse.stdout: the captured command stdout only', 'stdout', k.ctx.lastCall);
      expectEqual(r.stderr, 'to-err\n', 'CRI ExecSyncResponse.stderr: the captured command stderr only', 'stderr', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.exec-sync.exit-code', name: 'ExecSync of a command that exits 7 answers OK with exit_code 7',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const r = await k.sh(id, 'echo partial-output; exit 7');
      expectEqual(r.exitCode, 7, 'CRI ExecSyncResponse.exit_code: the exit code the command finished with; a non-zero exit is a result, not an RPC error (exec probes depend on it)', 'exit_code', k.ctx.lastCall);
      expectEqual(r.stdout, 'partial-output\n', RULES.execOk, 'stdout', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.exec-sync.env', name: 'ExecSync runs with the container\'s environment',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod, 'sleeper', { envs: [{ key: 'TRIAD_EXEC_ENV', value: Buffer.from('inherited') }] });
      const r = await k.sh(id, 'echo "$TRIAD_EXEC_ENV"');
      expectEqual(r.stdout, 'inherited\n', 'CRI ExecSync: the command runs in the container, with the environment of its config', 'stdout', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.exec-sync.timeout', name: 'ExecSync of a command that outlives its timeout fails with DEADLINE_EXCEEDED in time',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const t0 = Date.now();
      await expectCode(k.runtime.execSync({ containerId: id, cmd: ['sleep', '30'], timeout: 1n }), 'DEADLINE_EXCEEDED',
        'CRI ExecSyncRequest.timeout: the command is stopped after timeout seconds and the call fails with DEADLINE_EXCEEDED (kubelet reports an exec probe timeout from that code)');
      const ms = Date.now() - t0;
      expectTrue(ms < 10_000, `ExecSync with timeout 1 s answered after ${ms} ms`, 'CRI ExecSyncRequest.timeout: the runtime gives up on the command after timeout seconds');
      const r = await k.exec(id, ['true']);
      expectEqual(r.exitCode, 0, 'CRI ExecSync: a timed-out exec leaves the container running and usable', 'exit_code of the next ExecSync', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.exec-sync.not-running', name: 'ExecSync in a container that is not running fails',
    async run(k) {
      const pod = await k.sandbox();
      const created = await k.create(pod, 'created', ['sleep', '3600']);
      const exited = await k.run(pod, 'exited', ['true']);
      await k.waitExited(exited);
      const rule = 'CRI ExecSync runs a command in a running container; a container that is not running has no process to join, and the call MUST fail';
      await expectRefused(k.runtime.execSync({ containerId: created, cmd: ['true'], timeout: 5n }), rule, 'ExecSync in a CONTAINER_CREATED container');
      await expectRefused(k.runtime.execSync({ containerId: exited, cmd: ['true'], timeout: 5n }), rule, 'ExecSync in a CONTAINER_EXITED container');
    },
  }),
  c({
    id: 'cri.exec-sync.unknown-id', name: 'ExecSync in an unknown container id fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.runtime.execSync({ containerId: k.env.unknownId, cmd: ['true'], timeout: 5n }), 'NOT_FOUND', RULES.notFound('ExecSync', 'container'));
    },
  }),
  c({
    id: 'cri.exec-sync.missing-command', name: 'ExecSync of a program that does not exist fails or answers a non-zero exit code',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const p = k.runtime.execSync({ containerId: id, cmd: [`/triad-no-such-program-${k.env.runId}`], timeout: 5n });
      let res;
      try { res = await p; } catch { return; }
      expectTrue(res.exitCode !== 0, 'ExecSync of a missing program answered exit code 0',
        'CRI ExecSync: a command that cannot be started did not succeed; the runtime answers an error (runc: "executable file not found") or a non-zero exit code (126/127, as a shell would)', { call: p });
    },
  }),
  c({
    id: 'cri.exec.url', name: 'Exec answers a streaming-server URL', needs: [rpcCap('Exec')],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const p = k.runtime.exec({ containerId: id, cmd: ['sh'], stdin: true, stdout: true, stderr: true, tty: false });
      const res = await k.optional(expectOk(p, 'CRI Exec MUST answer OK for a running container (the session itself is served on the URL)'), 'Exec');
      expectUrl(res.url, 'Exec', p);
    },
  }),
  c({
    id: 'cri.exec.unknown-id', name: 'Exec in an unknown container id fails with NOT_FOUND', needs: [rpcCap('Exec')],
    async run(k) {
      await expectCode(k.runtime.exec({ containerId: k.env.unknownId, cmd: ['true'], stdout: true }), 'NOT_FOUND', RULES.notFound('Exec', 'container'));
    },
  }),
  c({
    id: 'cri.attach.url', name: 'Attach answers a streaming-server URL', needs: [rpcCap('Attach')],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const p = k.runtime.attach({ containerId: id, stdout: true, stderr: true });
      const res = await k.optional(expectOk(p, 'CRI Attach MUST answer OK for a running container'), 'Attach');
      expectUrl(res.url, 'Attach', p);
    },
  }),
  c({
    id: 'cri.attach.unknown-id', name: 'Attach to an unknown container id fails with NOT_FOUND', needs: [rpcCap('Attach')],
    async run(k) {
      await expectCode(k.runtime.attach({ containerId: k.env.unknownId, stdout: true }), 'NOT_FOUND', RULES.notFound('Attach', 'container'));
    },
  }),
  c({
    id: 'cri.port-forward.url', name: 'PortForward answers a streaming-server URL', needs: [rpcCap('PortForward')],
    async run(k) {
      const pod = await k.sandbox();
      const p = k.runtime.portForward({ podSandboxId: pod.id, port: [8080] });
      const res = await k.optional(expectOk(p, 'CRI PortForward MUST answer OK for a ready sandbox'), 'PortForward');
      expectUrl(res.url, 'PortForward', p);
    },
  }),
  c({
    id: 'cri.port-forward.unknown-id', name: 'PortForward to an unknown sandbox id fails with NOT_FOUND', needs: [rpcCap('PortForward')],
    async run(k) {
      await expectCode(k.runtime.portForward({ podSandboxId: k.env.unknownId, port: [8080] }), 'NOT_FOUND', RULES.notFound('PortForward', 'sandbox'));
    },
  }),
];
