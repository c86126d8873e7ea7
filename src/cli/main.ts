/**
 * relayq's command line. Only commander and the command list load up front: the requested
 * command's module (and with it config, Redis, BullMQ or the simulator) is imported when that
 * command runs, so `relayq --help` and `relayq --version` stay fast. The entry point is cli.ts at
 * the package root.
 */
import { Command, CommanderError, Help } from 'commander';
import { commandGroups, groupOf } from './command-list.ts';
import { exitCodes } from './exit-codes.ts';
import { fsReason } from './file-errors.ts';
import { provideJobTypes } from './job-types.ts';
import { packageVersion } from '../lib/package-version.ts';
import type { JobTypes } from '../worker/job-types.ts';

/**
 * Runs the command line on `argv` (process.argv). `jobs` are the job types the worker commands
 * run (jobs/index.ts, handed over by cli.ts: src/ never imports jobs/).
 */
export async function runCli(argv: string[], jobs: JobTypes): Promise<void> {
  provideJobTypes(jobs);

  // A reader that goes away (`relayq results ... | head`) is not an error: stop quietly. Any other
  // failure to write (`> /dev/full`) ends as one line.
  for (const [name, stream] of [
    ['stdout', process.stdout],
    ['stderr', process.stderr],
  ] as const) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(exitCodes.ok);
      if (name === 'stdout') process.stderr.write(`relayq: cannot write stdout: ${fsReason(error, 'write')}\n`);
      process.exit(exitCodes.failure);
    });
  }

  const program = new Command('relayq')
    .description('Batch processor for LLM prompts: prompt files through your own provider accounts, as fast as their rate limits allow.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError()
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit statuses: 0 done; 1 failure (Redis down, an output that cannot be written, a bug); 2 bad command line or config\n(also a Redis refusing the password); 3 input lines rejected, or no prompt in the file; 4 prompts errored;\n5 no such batch, or input file missing or unreadable; 6 batch cancelled; 7 batch expired. Colour only on a terminal (NO_COLOR turns it off).',
    );

  const group = groupOf(requestedCommand(argv.slice(2)));
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

  // Whatever escapes a command (a stream error nobody listens to, a rejected promise) still ends
  // as one line and exit status 1, never as a stack trace.
  process.on('uncaughtException', (error) => {
    void reportError(error).then((code) => process.exit(code));
  });
  process.on('unhandledRejection', (error) => {
    void reportError(error).then((code) => process.exit(code));
  });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = await reportError(error);
  }
}

/** The command the arguments name: the first that is not an option (`help X` names X). */
function requestedCommand(args: string[]): string | undefined {
  const words = args.filter((arg) => !arg.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/** Prints one line for ERROR (the stack too with RELAYQ_DEBUG=1) and returns the exit status it stands for. */
async function reportError(error: unknown): Promise<number> {
  if (error instanceof CommanderError) return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
  // A command threw, so its modules are loaded already: these imports cost nothing more.
  const [
    { ConfigError },
    { RedisAuthError, RedisUnavailableError },
    { UsageError },
    { CannotReadError, CannotWriteError, EmptyInputError },
    { WebhookAddressError },
    { SecretKeyError },
  ] = await Promise.all([
    import('../config/load.ts'),
    import('../redis/embedded.ts'),
    import('./context.ts'),
    import('./file-errors.ts'),
    import('../webhooks/address-guard.ts'),
    import('../lib/secret-box.ts'),
  ]);
  const say = (message: string) => process.stderr.write(`relayq: ${message.replace(/\n+$/, '')}\n`);
  if (process.env.RELAYQ_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  if (
    error instanceof ConfigError ||
    error instanceof UsageError ||
    error instanceof RedisAuthError ||
    error instanceof WebhookAddressError ||
    error instanceof SecretKeyError
  ) {
    say(error.message);
    return exitCodes.usage;
  }
  if (error instanceof RedisUnavailableError || error instanceof CannotWriteError) {
    say(error.message);
    return exitCodes.failure;
  }
  if (error instanceof EmptyInputError) {
    say(error.message);
    return exitCodes.rejectedLines;
  }
  if (error instanceof CannotReadError) {
    say(error.message);
    return exitCodes.notFound;
  }
  const errno = error as NodeJS.ErrnoException;
  if (typeof errno?.code === 'string' && typeof errno.path === 'string' && /^E[A-Z]+$/.test(errno.code)) {
    // A file named on the command line or in the config (--prices, simulate -c, ...).
    if (errno.syscall === 'write') {
      say(new CannotWriteError(errno.path, errno).message);
      return exitCodes.failure;
    }
    say(new CannotReadError(errno.path, errno).message);
    return exitCodes.notFound;
  }
  const message = error instanceof Error ? error.message : String(error);
  say(`unexpected error: ${message.split('\n')[0]}${process.env.RELAYQ_DEBUG === '1' ? '' : ' (RELAYQ_DEBUG=1 prints the stack trace)'}`);
  return exitCodes.failure;
}
