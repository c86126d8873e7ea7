import { readFile } from 'node:fs/promises';
import { Command, CommanderError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../config/load.ts';
import { RedisAuthError, RedisUnavailableError } from '../redis/embedded.ts';
import { startSimulator } from '../simulator/server.ts';
import type { SimulatorConfigInput } from '../simulator/config.ts';
import { exitCodes } from './exit-codes.ts';
import { CannotReadError, CannotWriteError, EmptyInputError } from './file-errors.ts';
import { registerBatchCommands } from './commands/register-batch-commands.ts';
import { registerAccountsCommand } from './commands/accounts.ts';
import { workerCommand } from './commands/worker.ts';
import { configHelp, UsageError, withRuntime } from './context.ts';

const program = new Command('relayq')
  .description('Batch processor for LLM prompts: prompt files through your own provider accounts, as fast as their rate limits allow.')
  .showHelpAfterError()
  .exitOverride()
  .addHelpText('after', '\nExit statuses: 0 done; 1 failure (Redis down, an output that cannot be written, a bug); 2 bad command line or config\n(also a Redis refusing the password); 3 input lines rejected, or no prompt in the file; 4 prompts errored;\n5 no such batch, or input file missing or unreadable; 6 batch cancelled; 7 batch expired. Colour only on a terminal (NO_COLOR turns it off).');

registerBatchCommands(program);
registerAccountsCommand(program);

program
  .command('worker')
  .option('-c, --config <file>', configHelp)
  .description('process prompt jobs until stopped (run as many as you like, on as many machines)')
  .action(async (options: { config?: string }) => {
    process.exitCode = await withRuntime({ configPath: options.config, needAccounts: true }, workerCommand);
  });

program
  .command('simulate')
  .description('run the upstream simulator (Anthropic Messages API with rate limits and faults)')
  .addOption(new Option('-p, --port <port>', 'port to listen on').default('8787').argParser((value) => Number(value)))
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('-c, --config <file>', 'simulator config (YAML or JSON; see config/simulator.example.yaml)')
  .action(async (options: { port: number; host: string; config?: string }) => {
    const config = options.config ? ((parseYaml(await readFile(options.config, 'utf8')) ?? {}) as SimulatorConfigInput) : {};
    const simulator = await startSimulator(config, { port: options.port, host: options.host });
    process.stderr.write(`relayq simulator listening on ${simulator.url} (stats: ${simulator.url}/_sim/stats)\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await simulator.close();
  });

// Whatever escapes a command (a stream error nobody listens to, a rejected promise) still ends
// as one line and exit status 1, never as a stack trace.
process.on('uncaughtException', (error) => {
  process.exitCode = reportError(error);
  process.exit();
});
process.on('unhandledRejection', (error) => {
  process.exitCode = reportError(error);
  process.exit();
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportError(error);
}

/** Prints one line for ERROR (the stack too with RELAYQ_DEBUG=1) and returns the exit status it stands for. */
function reportError(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
  const say = (message: string) => process.stderr.write(`relayq: ${message.replace(/\n+$/, '')}\n`);
  if (process.env.RELAYQ_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  if (error instanceof ConfigError || error instanceof UsageError || error instanceof RedisAuthError) {
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
