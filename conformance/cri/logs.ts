// CRI container logs: the file at log_directory/log_path in the CRI format (RFC3339Nano time,
// stream, F/P tag, content), stdout and stderr kept apart, order, partial lines, long lines that
// reassemble, and ReopenContainerLog (rotation) — running, not running, unknown.
import { existsSync, renameSync } from 'node:fs';
import { expectEqual, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { EXIT, POD, RFC3339_NANO, RULES, RUN, expectNotFound, parseLogLine, type CriEnv, CriKit, type LogLine } from './kit.js';

const c = defineCases(CriKit, 'cri.Logs');

const REOPEN_RULE = 'cri.reopen-container-log.reopens';
/** What logOf asserts. */
const LOG_OF = [...POD, ...RUN, ...EXIT, RULES.logFormat];

/** Run a command to exit and parse its log; every line must be in the CRI format. */
async function logOf(k: CriKit, script: string): Promise<LogLine[]> {
  const pod = await k.sandbox();
  const id = await k.run(pod, 'talker', ['sh', '-c', script]);
  const st = await k.waitExited(id);
  const raw = k.logLines(st.logPath);
  if (!raw.length) fail(`the log file ${st.logPath} is empty or missing after the container wrote to stdout`, { rule: RULES.logFormat });
  return raw.map(
    (l, i) =>
      parseLogLine(l) ??
      fail(`line ${i + 1} of ${st.logPath} is not in the CRI log format: ${JSON.stringify(l.slice(0, 200))}`, {
        rule: RULES.logFormat,
        actual: raw.slice(0, 10),
      }),
  );
}

export const logCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.logs.format',
    rpc: 'CreateContainer',
    name: 'Container output is logged in the CRI format with RFC3339Nano times and the right stream',
    rules: LOG_OF,
    async run(k) {
      const lines = await logOf(k, 'echo out-line; echo err-line >&2');
      for (const l of lines) {
        expectTrue(RFC3339_NANO.test(l.time) && !Number.isNaN(Date.parse(l.time)), `timestamp ${JSON.stringify(l.time)} is not RFC3339Nano`, {
          rule: RULES.logFormat,
          actual: l.raw,
        });
        expectTrue(Math.abs(Date.parse(l.time) - Date.now()) < 300_000, `timestamp ${l.time} is not the time the line was written`, {
          rule: RULES.logFormat,
          actual: l.raw,
        });
      }
      const seen = lines.map((l) => `${l.stream} ${l.tag} ${l.text}`).sort();
      expectEqual(seen, ['stderr F err-line', 'stdout F out-line'], { rule: RULES.logFormat, what: 'log lines (stream tag content)' });
    },
  }),
  c({
    id: 'cri.logs.order',
    rpc: 'CreateContainer',
    name: 'Lines of one stream are logged in order with non-decreasing timestamps',
    rules: LOG_OF,
    async run(k) {
      const lines = (await logOf(k, 'echo one; echo two; echo three; echo four')).filter((l) => l.stream === 'stdout');
      expectEqual(
        lines.map((l) => l.text),
        ['one', 'two', 'three', 'four'],
        { rule: RULES.logFormat, what: 'stdout lines in the log' },
      );
      const times = lines.map((l) => Date.parse(l.time));
      expectTrue(
        times.every((t, i) => i === 0 || t >= times[i - 1]),
        `timestamps go backwards: ${lines.map((l) => l.time).join(', ')}`,
        { rule: RULES.logFormat },
      );
    },
  }),
  c({
    id: 'cri.logs.partial-line',
    rpc: 'CreateContainer',
    name: 'Output that ends without a newline is logged as a partial (P) line',
    rules: [...LOG_OF, 'cri.logs.partial-line'],
    async run(k) {
      const lines = await logOf(k, 'echo full; printf no-newline');
      const last = lines.filter((l) => l.stream === 'stdout').map((l) => `${l.tag} ${l.text}`);
      expectEqual(last, ['F full', 'P no-newline'], { rule: 'cri.logs.partial-line', what: 'stdout records (tag content)' });
    },
  }),
  c({
    id: 'cri.logs.long-line',
    rpc: 'CreateContainer',
    name: 'A 20 000-character line reassembles from its records (P chunks, then F)',
    rules: [...LOG_OF, 'cri.logs.partial-line'],
    async run(k) {
      const lines = (await logOf(k, 'printf "%020000d\\n" 0; echo after')).filter((l) => l.stream === 'stdout');
      const end = lines.findIndex((l) => l.tag === 'F');
      expectTrue(end >= 0, 'no F record ends the long line', { rule: RULES.logFormat });
      expectEqual(
        lines
          .slice(0, end + 1)
          .map((l) => l.text)
          .join(''),
        '0'.repeat(20_000),
        { rule: 'cri.logs.partial-line', what: 'the reassembled long line' },
      );
      expectEqual(
        lines.slice(end + 1).map((l) => `${l.tag} ${l.text}`),
        ['F after'],
        { rule: RULES.logFormat, what: 'records after the long line' },
      );
    },
  }),
  c({
    id: 'cri.logs.reopen',
    rpc: 'ReopenContainerLog',
    name: 'ReopenContainerLog after the log file was renamed away writes new output to a fresh file at log_path',
    tags: ['Slow'],
    rules: [...POD, ...RUN, RULES.statusOk, RULES.logFormat, REOPEN_RULE],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.run(pod, 'ticker', ['sh', '-c', 'echo first; i=0; while true; do sleep 0.2; i=$((i+1)); echo tick-$i; done']);
      const path = (await k.status(id)).logPath;
      await k.waitLog(path, (l) => l?.text === 'first', 10_000, 'the line "first"', RULES.logFormat);
      renameSync(path, `${path}.1`);
      await expectOk(k.runtime.reopenContainerLog({ containerId: id }), { rule: REOPEN_RULE });
      const lines = await k.waitLog(path, (l) => /^tick-\d+$/.test(l?.text ?? ''), 10_000, `a tick line in the reopened ${path}`, REOPEN_RULE);
      expectTrue(!lines.some((l) => parseLogLine(l)?.text === 'first'), 'the reopened log file still has the line written before the rotation', {
        rule: REOPEN_RULE,
        actual: lines.slice(0, 5),
      });
      for (const l of lines) expectTrue(parseLogLine(l), `line ${JSON.stringify(l)} of the reopened file is not in the CRI format`, { rule: RULES.logFormat });
    },
  }),
  c({
    id: 'cri.logs.reopen.not-running',
    rpc: 'ReopenContainerLog',
    name: 'ReopenContainerLog of an exited container either makes a new log file and answers OK, or fails and makes none',
    rules: [...POD, ...RUN, ...EXIT, 'cri.reopen-container-log.not-running', 'cri.reopen-container-log.error-no-new-file'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.run(pod, 'done', ['true']);
      const path = (await k.waitExited(id)).logPath;
      if (existsSync(path)) renameSync(path, `${path}.1`); // as kubelet's rotation does
      const p = k.runtime.reopenContainerLog({ containerId: id });
      const failed = await p.then(
        () => false,
        () => true,
      );
      if (failed)
        expectTrue(!existsSync(path), `ReopenContainerLog failed but created a new log file at ${path}`, {
          rule: 'cri.reopen-container-log.error-no-new-file',
          call: p,
        });
      else
        expectTrue(existsSync(path), `ReopenContainerLog answered OK for an exited container without creating a new log file at ${path}`, {
          rule: 'cri.reopen-container-log.not-running',
          call: p,
        });
    },
  }),
  c({
    id: 'cri.logs.reopen.unknown-id',
    rpc: 'ReopenContainerLog',
    name: 'ReopenContainerLog of an unknown container id fails with NOT_FOUND',
    rules: [RULES.notFound],
    async run(k) {
      await expectNotFound(k.runtime.reopenContainerLog({ containerId: k.env.unknownId }));
    },
  }),
];
