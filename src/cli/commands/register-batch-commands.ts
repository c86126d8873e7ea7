/**
 * The batch commands: run, submit, batches, status, results, cancel, pause, resume, retry, usage.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { batchForSource, batchStatuses, getBatch, type BatchDefaults } from '../../batches/batch-store.ts';
import type { Runtime } from '../../runtime.ts';
import { exportFormats, exportOrders, type ExportFormat, type ExportOrder } from '../../batches/export/export-results.ts';
import { providerNames } from '../../config/schema.ts';
import { estimateFile } from '../../usage/estimate.ts';
import { loadPrices } from '../../usage/prices.ts';
import { usageGroupings, type UsageGrouping } from '../../usage/report.ts';
import { checkBatchId, configHelp, positiveInt, UsageError, withRuntime } from '../context.ts';
import { parseDuration, parseSince } from '../durations.ts';
import { checkInputFile, checkOutputFile } from '../input-file.ts';
import { exitCodes } from '../exit-codes.ts';
import { batchesCommand } from './batches.ts';
import { providerAvailability } from '../../operations/availability.ts';
import { printEstimate } from './dry-run.ts';
import { lifecycleCommand, retryCommand, type LifecycleAction } from './lifecycle.ts';
import { writeResults } from './results.ts';
import { runCommand } from './run.ts';
import { statusCommand } from './status.ts';
import { submitWithProgress, type SubmitCommandOptions } from './submit.ts';
import { usageCommand } from './usage.ts';

interface SubmitFlags {
  config?: string;
  batch?: string;
  resume?: boolean;
  provider?: string;
  model?: string;
  maxTokens?: number;
  system?: string;
  tag?: string[];
  window?: string;
  retention?: string;
  errorsOut?: string;
  webhook?: string[];
  dryRun?: boolean;
  prices?: string;
  json?: boolean;
}

function addSubmitOptions(command: Command): Command {
  return command
    .option('--batch <id>', 'resubmit into this batch (lines already accepted are not added twice, finished ones are skipped)')
    .option('--resume', 'resubmit into the latest batch made from this same file')
    .addOption(new Option('--provider <name>', 'provider for lines that name none').choices(providerNames))
    .option('--model <model>', 'model for lines that name none (Gemini batch lines always need it)')
    .option('--max-tokens <n>', 'output limit for lines that set none', positiveInt('--max-tokens'))
    .option('--system <text>', 'system prompt for lines that have none')
    .option('--tag <key=value>', 'a tag kept on the batch (repeatable)', (value: string, all: string[] = []) => [...all, value])
    .option('--window <duration>', 'completion window (e.g. 24h): what has not run by then is marked expired')
    .option('--retention <duration>', 'how long results stay in Redis after the batch ends', '7d')
    .option('--errors-out <file>', 'write every rejected line ({line, custom_id, error}) to this JSONL file')
    .option(
      '--webhook <url>',
      'POST the signed batch.completed/failed/cancelled/expired event to this URL when the batch ends (repeatable)',
      (value: string, all: string[] = []) => [...all, value],
    );
}

function tagsOf(tags: string[] | undefined): Record<string, string> | undefined {
  if (!tags || tags.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const tag of tags) {
    const at = tag.indexOf('=');
    if (at <= 0) throw new UsageError(`--tag wants key=value, not "${tag}"`);
    out[tag.slice(0, at)] = tag.slice(at + 1);
  }
  return out;
}

function defaultsOf(flags: SubmitFlags): BatchDefaults | undefined {
  const defaults: BatchDefaults = {};
  if (flags.provider) defaults.provider = flags.provider;
  if (flags.model) defaults.model = flags.model;
  if (flags.maxTokens) defaults.maxTokens = flags.maxTokens;
  if (flags.system) defaults.system = flags.system;
  return Object.keys(defaults).length > 0 ? defaults : undefined;
}

function submitOptionsOf(flags: SubmitFlags): SubmitCommandOptions {
  return {
    batch: flags.batch && checkBatchId(flags.batch),
    defaults: defaultsOf(flags),
    metadata: tagsOf(flags.tag),
    windowMs: flags.window ? parseDuration(flags.window, '--window') : undefined,
    retentionSeconds: flags.retention ? Math.round(parseDuration(flags.retention, '--retention') / 1000) : undefined,
    errorsOut: flags.errorsOut,
    webhooks: flags.webhook,
  };
}

/** A resubmission without defaults on its command line uses those the batch was created with. */
async function withStoredDefaults(runtime: Runtime, options: SubmitCommandOptions): Promise<SubmitCommandOptions> {
  if (!options.batch || options.defaults) return options;
  const batch = await getBatch(runtime.redis, runtime.keys, options.batch);
  return batch && Object.keys(batch.defaults).length > 0 ? { ...options, defaults: batch.defaults } : options;
}

/** The input must hold a prompt and the outputs must be writable before a batch is made or a worker starts. */
async function checkFiles(input: string, ...outputs: (string | undefined)[]): Promise<void> {
  await checkInputFile(input);
  for (const output of outputs) if (output !== undefined) await checkOutputFile(output);
}

const examples = (lines: string[]) => `\nExamples:\n${lines.map((line) => `  ${line}`).join('\n')}`;

export function registerBatchCommands(program: Command): void {
  addSubmitOptions(
    program
      .command('run')
      .option('-c, --config <file>', configHelp)
      .description('submit FILE, process it with an in-process worker, wait, and write the results')
      .argument('<file>', 'prompt file, one JSON request per line (relayq, OpenAI Batch, Anthropic or Gemini batch format)')
      .option('-o, --out <file>', 'results file (JSONL); stdout when left out')
      .addOption(new Option('--format <format>', 'results format').choices(exportFormats).default('native')),
  )
    .addHelpText(
      'after',
      examples(['relayq run examples/prompts.jsonl -o results.jsonl', 'relayq run openai-batch.jsonl --format openai -o out.jsonl']),
    )
    .action(async (file: string, flags: SubmitFlags & { out?: string; format: ExportFormat }) => {
      await checkFiles(file, flags.errorsOut, flags.out);
      process.exitCode = await withRuntime(
        { configPath: flags.config, needAccounts: true, logLevel: process.env.LOG_LEVEL ?? 'warn' },
        async (runtime) => {
          const options = submitOptionsOf(flags);
          if (flags.resume && !options.batch)
            options.batch = (await batchForSource(runtime.redis, runtime.keys, resolve(file))) ?? undefined;
          return runCommand(runtime, file, { ...(await withStoredDefaults(runtime, options)), out: flags.out, format: flags.format });
        },
      );
    });

  addSubmitOptions(
    program
      .command('submit')
      .option('-c, --config <file>', configHelp)
      .description('stream FILE into a new batch; prints the batch id as the last line of stdout')
      .argument('<file>', 'prompt file, one JSON request per line (relayq, OpenAI Batch, Anthropic or Gemini batch format)'),
  )
    .option(
      '--dry-run',
      'read the file and print prompts, estimated tokens and cost, and the accounts that would serve them; submit nothing',
    )
    .option('--prices <file>', 'price file whose entries win over the price dataset (for --dry-run; also $RELAYQ_PRICES)')
    .option('--json', 'with --dry-run: machine-readable output')
    .addHelpText(
      'after',
      examples([
        'BATCH=$(relayq submit prompts.jsonl) && relayq status "$BATCH" --watch',
        'relayq submit gemini-lines.jsonl --model gemini-2.5-flash --window 24h --tag team=search',
        'relayq submit prompts.jsonl --resume          # after a crash: skips what already finished',
        'relayq submit prompts.jsonl --dry-run         # lines, tokens, cost, accounts; nothing runs',
      ]),
    )
    .action(async (file: string, flags: SubmitFlags) => {
      await checkFiles(file, flags.errorsOut);
      if (flags.dryRun) {
        process.exitCode = await withRuntime({ configPath: flags.config }, async (runtime) => {
          const { config } = runtime;
          const estimate = await estimateFile(file, {
            defaults: defaultsOf(flags),
            routing: config.routing,
            accounts: config.accounts,
            limits: config.ingest,
            prices: await loadPrices(flags.prices),
          });
          printEstimate(estimate, flags.json === true, await providerAvailability(runtime, estimate.groups));
          return estimate.rejected > 0 ? exitCodes.rejectedLines : exitCodes.ok;
        });
        return;
      }
      process.exitCode = await withRuntime({ configPath: flags.config }, async (runtime) => {
        const options = submitOptionsOf(flags);
        if (flags.resume && !options.batch) {
          options.batch = (await batchForSource(runtime.redis, runtime.keys, resolve(file))) ?? undefined;
          if (!options.batch) process.stderr.write(`relayq: no earlier batch from ${file}; starting a new one\n`);
        }
        const report = await submitWithProgress(runtime, file, await withStoredDefaults(runtime, options));
        process.stdout.write(`${report.batchId}\n`);
        return report.rejected > 0 ? exitCodes.rejectedLines : exitCodes.ok;
      });
    });

  program
    .command('batches')
    .option('-c, --config <file>', configHelp)
    .description('list batches, newest first')
    .option('-n, --limit <n>', 'how many', positiveInt('--limit'), 20)
    .addOption(new Option('--status <status>', 'only batches in this status').choices(batchStatuses))
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples(['relayq batches', 'relayq batches --status in_progress --json']))
    .action(async (flags: { config?: string; limit: number; status?: string; json?: boolean }) => {
      process.exitCode = await withRuntime({ configPath: flags.config }, (runtime) =>
        batchesCommand(runtime, { limit: flags.limit, status: flags.status, json: flags.json === true }),
      );
    });

  program
    .command('status')
    .option('-c, --config <file>', configHelp)
    .description("show a batch's status, counts, errors, accounts, tokens and cost")
    .argument('<batch>', 'batch id')
    .option('--json', 'machine-readable output (with --watch: one JSON line per refresh)')
    .option('-w, --watch', 'refresh until the batch ends, then exit with its outcome (0, 3, 4, 6 or 7)')
    .addHelpText('after', examples(['relayq status batch_mh2k1... --watch', 'relayq status batch_mh2k1... --json | jq .counts']))
    .action(async (batch: string, flags: { json?: boolean; watch?: boolean; config?: string }) => {
      process.exitCode = await withRuntime({ configPath: flags.config }, async (runtime) => {
        const code = await statusCommand(runtime, checkBatchId(batch), { json: flags.json === true, watch: flags.watch === true });
        if (code === exitCodes.notFound) process.stderr.write(`relayq: no batch ${batch}\n`);
        return code;
      });
    });

  program
    .command('results')
    .option('-c, --config <file>', configHelp)
    .description("stream a batch's results as JSONL, one line per custom_id")
    .argument('<batch>', 'batch id')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .addOption(
      new Option(
        '--format <format>',
        'native (relayq records), openai (Batch output + error files), anthropic (Message Batches results), gemini (Batch output)',
      )
        .choices(exportFormats)
        .default('native'),
    )
    .option('--errors-out <file>', 'with --format openai: the error file (default: next to --out, X.errors.jsonl)')
    .addOption(new Option('--order <order>', 'any (fastest), input (input line order) or completion').choices(exportOrders).default('any'))
    .option('-f, --follow', 'keep writing results as they land until the batch ends')
    .addHelpText(
      'after',
      examples([
        'relayq results batch_mh2k1... -o results.jsonl',
        'relayq results batch_mh2k1... --format openai -o output.jsonl    # also output.errors.jsonl',
        'relayq results batch_mh2k1... --format anthropic --order input',
        'relayq results batch_mh2k1... --follow -o live.jsonl',
      ]),
    )
    .action(
      async (
        batch: string,
        flags: { out?: string; errorsOut?: string; format: ExportFormat; order: ExportOrder; follow?: boolean; config?: string },
      ) => {
        process.exitCode = await withRuntime({ configPath: flags.config }, async (runtime) => {
          if (!(await runtime.redis.exists(runtime.keys.batch(checkBatchId(batch))))) {
            process.stderr.write(`relayq: no batch ${batch}\n`);
            return exitCodes.notFound;
          }
          const count = await writeResults(runtime, batch, {
            out: flags.out,
            errorsOut: flags.errorsOut,
            format: flags.format,
            order: flags.order,
            follow: flags.follow === true,
          });
          if (flags.out)
            process.stderr.write(
              `${count.output + count.errors} results written to ${flags.out}${count.errors > 0 && flags.format === 'openai' ? ` (${count.errors} in the error file)` : ''}\n`,
            );
          return exitCodes.ok;
        });
      },
    );

  const lifecycle: [LifecycleAction, string, string][] = [
    [
      'cancel',
      'cancel a batch: nothing more is sent; prompts in flight finish and keep their results, the rest get `cancelled` results',
      'relayq cancel batch_mh2k1...',
    ],
    [
      'pause',
      'pause a batch: its waiting prompts leave the queue until `relayq resume`; prompts in flight finish',
      'relayq pause batch_mh2k1... && relayq resume batch_mh2k1...',
    ],
    ['resume', 'resume a paused batch', 'relayq resume batch_mh2k1...'],
  ];
  for (const [action, description, example] of lifecycle) {
    const command = program
      .command(action)
      .option('-c, --config <file>', configHelp)
      .description(description)
      .argument('<batch>', 'batch id')
      .option('--json', 'machine-readable output')
      .addHelpText('after', examples([example]));
    if (action !== 'resume') command.option('--wait <duration>', 'how long to wait for prompts in flight to finish', '2m');
    command.action(async (batch: string, flags: { json?: boolean; wait?: string; config?: string }) => {
      process.exitCode = await withRuntime({ configPath: flags.config }, (runtime) =>
        lifecycleCommand(runtime, action, checkBatchId(batch), {
          json: flags.json === true,
          waitMs: flags.wait ? parseDuration(flags.wait, '--wait') : 0,
        }),
      );
    });
  }

  program
    .command('retry')
    .option('-c, --config <file>', configHelp)
    .description("run a batch's errored prompts again (reads them from the batch's input file)")
    .argument('<batch>', 'batch id')
    .option('--file <file>', 'the input file, when it moved since the submit')
    .addHelpText('after', examples(['relayq retry batch_mh2k1... && relayq status batch_mh2k1... --watch']))
    .action(async (batch: string, flags: { file?: string; config?: string }) => {
      process.exitCode = await withRuntime({ configPath: flags.config }, (runtime) =>
        retryCommand(runtime, checkBatchId(batch), { file: flags.file }),
      );
    });

  program
    .command('usage')
    .option('-c, --config <file>', configHelp)
    .description('tokens and list-price cost, by account, model, batch, day or provider')
    .option('--since <when>', 'a duration back from now (7d) or a date (2025-06-01)', '30d')
    .addOption(new Option('--by <grouping>', 'how to group').choices(usageGroupings).default('model'))
    .option('--prices <file>', 'price file whose entries win over the price dataset (also $RELAYQ_PRICES)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples(['relayq usage --since 7d --by account', 'relayq usage --by day --json']))
    .action(async (flags: { since: string; by: UsageGrouping; prices?: string; json?: boolean; config?: string }) => {
      const since = parseSince(flags.since);
      process.exitCode = await withRuntime({ configPath: flags.config }, async (runtime) => {
        await usageCommand(runtime, { since, by: flags.by, json: flags.json === true, prices: flags.prices });
      });
    });
}
