import { getBatch, type BatchInfo } from '../../batches/batch-store.ts';
import type { Runtime } from '../../runtime.ts';
import { startWorker } from '../../worker/start-worker.ts';
import { exitCodes } from '../exit-codes.ts';
import { bar, formatNumber, ProgressLine } from '../progress.ts';
import { writeResults } from './results.ts';
import { submitWithProgress } from './submit.ts';

export interface RunCommandOptions {
  out?: string;
  batch?: string;
}

/** submit + an in-process worker + wait + results, in one command. Returns the exit status. */
export async function runCommand(runtime: Runtime, file: string, options: RunCommandOptions): Promise<number> {
  const started = Date.now();
  const worker = await startWorker(runtime.config, runtime.redisUrl, runtime.logger);
  let batch: BatchInfo | null;
  let report;
  try {
    report = await submitWithProgress(runtime, file, { batch: options.batch });
    batch = await waitForBatch(runtime, report.batchId, started);
  } finally {
    await worker.close();
  }
  const count = await writeResults(runtime, report.batchId, options.out);
  const seconds = (Date.now() - started) / 1000;
  const { counts, usage } = batch;
  const stats = runtime.simulator?.stats();
  const lines = [
    `batch      ${batch.id} ${batch.status} in ${seconds.toFixed(1)} s`,
    `prompts    ${formatNumber(counts.total)}: ${formatNumber(counts.succeeded)} succeeded, ${formatNumber(counts.errored)} errored; ${formatNumber(counts.rejected)} input lines rejected`,
    `tokens     ${formatNumber(usage.input_tokens)} in, ${formatNumber(usage.output_tokens)} out (cache: ${formatNumber(usage.cache_read_tokens)} read, ${formatNumber(usage.cache_write_tokens)} written)`,
    `rate       ${(counts.total / seconds).toFixed(1)} prompts/s${stats ? `, ${(stats.requests / seconds).toFixed(1)} upstream requests/s` : ''}`,
    `results    ${formatNumber(count)} lines -> ${options.out ?? 'stdout'}`,
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  if (counts.rejected > 0) return exitCodes.rejectedLines;
  if (counts.errored > 0) return exitCodes.erroredPrompts;
  return exitCodes.ok;
}

async function waitForBatch(runtime: Runtime, batchId: string, started: number): Promise<BatchInfo> {
  const progress = new ProgressLine(5_000);
  for (;;) {
    const batch = await getBatch(runtime.redis, runtime.keys, batchId);
    if (!batch) throw new Error(`batch ${batchId} disappeared from Redis`);
    const { counts } = batch;
    const done = counts.succeeded + counts.errored;
    const seconds = (Date.now() - started) / 1000;
    progress.update(
      `${bar(counts.total === 0 ? 1 : done / counts.total)} ${formatNumber(done)}/${formatNumber(counts.total)} prompts, ${formatNumber(counts.errored)} errored, ${(done / Math.max(seconds, 0.001)).toFixed(1)}/s`,
    );
    if (batch.status !== 'in_progress') {
      progress.done();
      return batch;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
