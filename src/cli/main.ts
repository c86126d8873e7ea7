import { readFile } from 'node:fs/promises';
import { Command, CommanderError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { batchIdPattern } from '../batches/batch-store.ts';
import { ConfigError } from '../config/load.ts';
import { RedisUnavailableError } from '../redis/embedded.ts';
import { openRuntime, type Runtime, type RuntimeOptions } from '../runtime.ts';
import { startSimulator } from '../simulator/server.ts';
import type { SimulatorConfigInput } from '../simulator/config.ts';
import { exitCodes } from './exit-codes.ts';
import { writeResults } from './commands/results.ts';
import { runCommand } from './commands/run.ts';
import { statusCommand } from './commands/status.ts';
import { submitWithProgress } from './commands/submit.ts';
import { workerCommand } from './commands/worker.ts';

const program = new Command('relayq')
  .description('Batch processor for LLM prompts: prompt files through your own provider accounts, as fast as their rate limits allow.')
  .showHelpAfterError()
  .exitOverride();

const configHelp = 'config file (default: $RELAYQ_CONFIG, else config/relayq.yaml, else built-in defaults)';

/** Opens config + Redis for a command, runs it, closes everything, and returns its exit status. */
async function withRuntime(options: RuntimeOptions, body: (runtime: Runtime) => Promise<number | void>): Promise<number> {
  const runtime = await openRuntime(options);
  try {
    return (await body(runtime)) ?? exitCodes.ok;
  } finally {
    await runtime.close();
  }
}

function checkBatchId(id: string): string {
  if (!batchIdPattern.test(id)) throw new UsageError(`"${id}" is not a batch id (they look like batch_mh2k1...)`);
  return id;
}

class UsageError extends Error {}

program
  .command('run')
  .option('-c, --config <file>', configHelp)
  .description('submit FILE, process it with an in-process worker, wait, and write the results')
  .argument('<file>', 'prompt file, one JSON request per line')
  .option('-o, --out <file>', 'results file (JSONL); stdout when left out')
  .option('--batch <id>', 'resubmit into this batch instead of a new one')
  .addHelpText('after', '\nExample:\n  relayq run examples/prompts.jsonl -o results.jsonl')
  .action(async (file: string, options: { out?: string; batch?: string; config?: string }) => {
    process.exitCode = await withRuntime({ configPath: options.config, needAccounts: true, logLevel: process.env.LOG_LEVEL ?? 'warn' }, (runtime) =>
      runCommand(runtime, file, { out: options.out, batch: options.batch && checkBatchId(options.batch) }),
    );
  });

program
  .command('submit')
  .option('-c, --config <file>', configHelp)
  .description('stream FILE into a new batch; prints the batch id as the last line of stdout')
  .argument('<file>', 'prompt file, one JSON request per line')
  .option('--batch <id>', 'resubmit into this batch (lines already accepted are not added twice)')
  .addHelpText('after', '\nExample:\n  BATCH=$(relayq submit prompts.jsonl) && relayq status "$BATCH"')
  .action(async (file: string, options: { batch?: string; config?: string }) => {
    process.exitCode = await withRuntime({ configPath: options.config }, async (runtime) => {
      const report = await submitWithProgress(runtime, file, { batch: options.batch && checkBatchId(options.batch) });
      process.stdout.write(`${report.batchId}\n`);
      return report.rejected > 0 ? exitCodes.rejectedLines : exitCodes.ok;
    });
  });

program
  .command('worker')
  .option('-c, --config <file>', configHelp)
  .description('process prompt jobs until stopped (run as many as you like, on as many machines)')
  .action(async (options: { config?: string }) => {
    process.exitCode = await withRuntime({ configPath: options.config, needAccounts: true }, workerCommand);
  });

program
  .command('status')
  .option('-c, --config <file>', configHelp)
  .description("show a batch's status and counts")
  .argument('<batch>', 'batch id')
  .option('--json', 'machine-readable output')
  .action(async (batch: string, options: { json?: boolean; config?: string }) => {
    process.exitCode = await withRuntime({ configPath: options.config }, async (runtime) => {
      const found = await statusCommand(runtime, checkBatchId(batch), options.json === true);
      if (!found) {
        process.stderr.write(`relayq: no batch ${batch}\n`);
        return exitCodes.notFound;
      }
      return exitCodes.ok;
    });
  });

program
  .command('results')
  .option('-c, --config <file>', configHelp)
  .description("stream a batch's results as JSONL, one line per custom_id")
  .argument('<batch>', 'batch id')
  .option('-o, --out <file>', 'write to a file instead of stdout')
  .action(async (batch: string, options: { out?: string; config?: string }) => {
    process.exitCode = await withRuntime({ configPath: options.config }, async (runtime) => {
      const exists = await runtime.redis.exists(runtime.keys.batch(checkBatchId(batch)));
      if (!exists) {
        process.stderr.write(`relayq: no batch ${batch}\n`);
        return exitCodes.notFound;
      }
      const count = await writeResults(runtime, batch, options.out);
      if (options.out) process.stderr.write(`${count} results written to ${options.out}\n`);
      return exitCodes.ok;
    });
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
