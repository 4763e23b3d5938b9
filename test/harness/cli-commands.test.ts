// The CLI's command index (names, help terms, descriptions kept beside the lazily loaded
// modules) must say what each module registers, or `triad --help` would drift from the commands.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Command, Help } from 'commander';
import { commands, requestedCommand } from '../../cli/commands/index.js';

const t = suite('cli-commands');

t('each index entry matches the command its module registers', async () => {
  const help = new Help();
  for (const c of commands) {
    const program = new Command('triad');
    (await c.load()).register(program);
    assert.equal(
      program.commands.map((x) => x.name()),
      [c.name],
      `${c.name}: the module registers exactly that command`,
    );
    const [cmd] = program.commands;
    assert.is(help.subcommandTerm(cmd), c.term, `${c.name}: help term`);
    assert.is(cmd.description(), c.description, `${c.name}: description`);
  }
  assert.equal(new Set(commands.map((c) => c.name)).size, commands.length, 'names are unique');
});

t('requestedCommand: the first word of argv, or the one after help; nothing for options or unknown words', () => {
  assert.is(requestedCommand(['get', 'pods', '--config', 'x.yaml']), 'get');
  assert.is(requestedCommand(['--help']), undefined);
  assert.is(requestedCommand(['-V']), undefined);
  assert.is(requestedCommand(['help', 'run']), 'run');
  assert.is(requestedCommand(['help']), undefined);
  assert.is(requestedCommand(['bogus', 'run']), undefined);
  assert.is(requestedCommand([]), undefined);
});

t.run();
