// `triad` command line. Each command lives in its own module under ./commands and registers
// itself on the program; this file only assembles them and turns errors into exit codes.
import { Command, CommanderError } from 'commander';
import { triadVersion } from '../../interfaces/util/root.js';
import { commands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('triad')
    .description('Test and drive the Kubernetes node plugin interfaces: CRI (runtime), CNI (network), CSI (storage)')
    .version(triadVersion())
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

export async function main(argv = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    console.error(`triad: ${(err as Error).message}`);
    if (process.env.TRIAD_DEBUG) console.error((err as Error).stack);
    return 1;
  }
}

process.exitCode = await main();
