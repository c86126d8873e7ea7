/**
 * relayq's command line. Only commander and the command list load up front: the requested
 * command's module (and with it config, Redis, BullMQ or the simulator) is imported when that
 * command runs, so `relayq --help` and `relayq --version` stay fast.
 */
import { Command, CommanderError, Help } from 'commander';
import { commandGroups, groupOf } from './command-list.ts';
import { exitCodes } from './exit-codes.ts';
import { packageVersion } from './version.ts';

// A reader that goes away (`relayq results ... | head`) is not an error: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(exitCodes.ok);
    throw error;
  });
}

const program = new Command('relayq')
  .description('Batch processor for LLM prompts: prompt files through your own provider accounts, as fast as their rate limits allow.')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError()
  .exitOverride()
  .addHelpText('after', '\nExit statuses: 0 done; 1 unexpected failure; 2 bad command line or config; 3 input lines rejected;\n4 prompts errored; 5 no such batch or file; 6 batch cancelled; 7 batch expired. Colour only on a terminal (NO_COLOR turns it off).');

const group = groupOf(requestedCommand(process.argv.slice(2)));
if (group) {
  (await group.load())(program);
} else {
  // Help, --version or a mistake: the one-line summaries are all that is needed.
  const terms = new Map<string, string>();
  for (const { commands } of commandGroups) {
    for (const { name, term, description } of commands) {
      program.command(name).description(description);
      terms.set(name, term);
    }
  }
  program.configureHelp({ subcommandTerm: (command) => terms.get(command.name()) ?? new Help().subcommandTerm(command) });
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = await reportError(error);
}

/** The command the arguments name: the first that is not an option (`help X` names X). */
function requestedCommand(args: string[]): string | undefined {
  const words = args.filter((arg) => !arg.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

async function reportError(error: unknown): Promise<number> {
  if (error instanceof CommanderError) return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
  // A command threw, so its modules are loaded already: these imports cost nothing more.
  const [{ ConfigError }, { RedisUnavailableError }, { UsageError }] = await Promise.all([
    import('../config/load.ts'),
    import('../redis/embedded.ts'),
    import('./context.ts'),
  ]);
  if (error instanceof ConfigError || error instanceof UsageError) {
    process.stderr.write(`relayq: ${error.message}\n`);
    return exitCodes.usage;
  }
  if (error instanceof RedisUnavailableError) {
    process.stderr.write(`relayq: ${error.message}\n`);
    return exitCodes.failure;
  }
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'EISDIR') {
    process.stderr.write(`relayq: ${(error as Error).message}\n`);
    return exitCodes.notFound;
  }
  process.stderr.write(`relayq: ${(error as Error)?.stack ?? String(error)}\n`);
  return exitCodes.failure;
}
