import { Command, Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandGroups } from '../../src/cli/command-list.ts';
import { runCli } from '../helpers/cli.ts';

describe('the command list behind `relayq --help`', () => {
  it('says what each full registration says: the same commands, terms and descriptions', async () => {
    const help = new Help();
    for (const group of commandGroups) {
      const program = new Command('relayq');
      (await group.load())(program);
      const registered = program.commands.map((command) => ({
        name: command.name(),
        term: help.subcommandTerm(command),
        description: command.description(),
      }));
      expect(registered).toEqual(group.commands);
    }
  });

  it('prints the version and every command in the help', async () => {
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const { commands } of commandGroups) for (const { term } of commands) expect(help.stdout).toContain(term);
  });
});
