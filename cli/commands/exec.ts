// triad exec POD [-c C] [-i] [-t] -- CMD…   and   triad attach POD [-c C] [-i] [-t]
// As kubectl: the running `triad kubelet` asks the runtime for a streaming URL (CRI Exec/Attach),
// and this process talks to the runtime's streaming server (SPDY by default, --transport
// websocket for v5.channel.k8s.io). exec ends with the command's exit code.
import type { Command } from 'commander';
import { openStdio, type Transport } from '../../interfaces/cri/streaming/index.js';
import { addCommon, kubeletClient, podName, type CommonOptions } from '../context.js';
import { exitWith, runOnTerminal } from '../terminal.js';

interface StdioOpts extends CommonOptions {
  container?: string;
  stdin?: boolean;
  tty?: boolean;
  transport: string;
}

export function transportOf(v: string): Transport {
  if (v !== 'spdy' && v !== 'websocket') throw new Error(`--transport must be spdy or websocket, not ${JSON.stringify(v)}`);
  return v;
}

function stdioCommand(program: Command, name: string, description: string): Command {
  return addCommon(
    program
      .command(name)
      .description(description)
      .argument('<pod>', 'pod name (or pod/NAME)')
      .option('-c, --container <name>', 'container (default: the first)')
      .option('-i, --stdin', 'pass stdin to the container')
      .option('-t, --tty', 'stdin is a TTY (raw local terminal, window size sent)')
      .option('--transport <t>', 'streaming transport: spdy or websocket', 'spdy'),
  );
}

async function session(kind: 'exec' | 'attach', pod: string, opts: StdioOpts, cmd?: string[]): Promise<void> {
  const transport = transportOf(opts.transport);
  const tty = !!opts.tty;
  const stdin = !!opts.stdin;
  if (tty && !stdin) process.stderr.write('note: -t without -i: the terminal gets no input\n');
  const c = await kubeletClient(opts);
  const { url } = await c.streamUrl(opts.namespace!, podName(pod), kind, { container: opts.container, cmd, stdin, tty });
  const s = await openStdio(url, { transport, stdin, stdout: true, stderr: !tty, tty });
  exitWith(await runOnTerminal(s, { stdin, tty, what: `${kind} in ${podName(pod)}` }));
}

/** `triad exec`. */
export function register(program: Command): void {
  stdioCommand(program, 'exec', "run a command in a container of a pod (the exit code is the command's)")
    .argument('<cmd...>', 'the command and its arguments (after --)')
    .action(async (pod: string, cmd: string[], opts: StdioOpts) => session('exec', pod, opts, cmd));
}

/** `triad attach` (same module: it shares exec's session code). */
export function registerAttach(program: Command): void {
  stdioCommand(program, 'attach', 'attach to the running main process of a container').action(async (pod: string, opts: StdioOpts) =>
    session('attach', pod, opts),
  );
}
