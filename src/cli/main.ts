import { readFile } from 'node:fs/promises';
import { Command, CommanderError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../config/load.ts';
import { RedisUnavailableError } from '../redis/embedded.ts';
import { startSimulator } from '../simulator/server.ts';
import type { SimulatorConfigInput } from '../simulator/config.ts';
import { exitCodes } from './exit-codes.ts';
import { registerBatchCommands } from './commands/register-batch-commands.ts';
import { registerAccountsCommand } from './commands/accounts.ts';
import { workerCommand } from './commands/worker.ts';
import { configHelp, UsageError, withRuntime } from './context.ts';

const program = new Command('relayq')
  .description('Batch processor for LLM prompts: prompt files through your own provider accounts, as fast as their rate limits allow.')
  .showHelpAfterError()
  .exitOverride()
  .addHelpText('after', '\nExit statuses: 0 done; 1 unexpected failure; 2 bad command line or config; 3 input lines rejected;\n4 prompts errored; 5 no such batch or file; 6 batch cancelled; 7 batch expired. Colour only on a terminal (NO_COLOR turns it off).');

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

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportError(error);
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
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
