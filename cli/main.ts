// `triad` command line. Each command lives in its own module under ./commands and registers
// itself on the program; this file only assembles them and turns errors into exit codes. Only the
// module of the command being run is loaded (the others bring in the kubelet, the plugins and
// the generated gRPC code); the rest appear in --help from the names and descriptions in
// ./commands/index.ts, so `triad --version` and `triad --help` start fast.
import { Command, CommanderError, Help } from 'commander';
import { triadVersion } from '../interfaces/util/root.js';
import { commands, requestedCommand } from './commands/index.js';

/** The program with command `load` registered in full and the others listed by name and description. */
export async function buildProgram(load?: string): Promise<Command> {
  const program = new Command('triad')
    .description('Test and drive the Kubernetes node plugin interfaces: CRI (runtime), CNI (network), CSI (storage)')
    .version(triadVersion())
    .showHelpAfterError()
    .exitOverride();
  const listed = new Map<Command, string>();
  for (const c of commands) {
    if (load === c.name) (await c.load()).register(program);
    else listed.set(program.command(c.name).description(c.description), c.term);
  }
  program.configureHelp({
    subcommandTerm(cmd: Command): string {
      return listed.get(cmd) ?? Help.prototype.subcommandTerm.call(this, cmd);
    },
  });
  return program;
}

export async function main(argv = process.argv): Promise<number> {
  try {
    await (await buildProgram(requestedCommand(argv.slice(2)))).parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    console.error(`triad: ${(err as Error).message}`);
    if (process.env.TRIAD_DEBUG) console.error((err as Error).stack);
    return 1;
  }
}

process.exitCode = await main();
