// Every CLI command module, in the order `triad --help` lists them.
import type { Command } from 'commander';

export type Register = (program: Command) => void;

export const commands: Register[] = [];
