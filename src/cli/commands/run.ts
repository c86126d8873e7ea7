import { getBatch, type BatchInfo } from '../../batches/batch-store.ts';
import type { ExportFormat } from '../../batches/export/export-results.ts';
import { startBatchMaintenance } from '../../batches/lifecycle.ts';
import { isTerminal } from '../../batches/status.ts';
import { readEventLog } from '../../webhooks/delivery-log.ts';
import { listEndpoints } from '../../webhooks/endpoints.ts';
import type { Runtime } from '../../runtime.ts';
import { startWorker } from '../../worker/start-worker.ts';
import { jobTypes } from '../job-types.ts';
import { formatDuration } from '../durations.ts';
import { CannotWriteError } from '../file-errors.ts';
import { bar, formatNumber, ProgressLine } from '../progress.ts';
import { writeResults } from './results.ts';
import { outcomeExitCode } from './status.ts';
import type { SubmitReport } from '../../ingest/submit.ts';
import { submitWithProgress, type SubmitCommandOptions } from './submit.ts';

export interface RunCommandOptions extends SubmitCommandOptions {
  out?: string;
  format?: ExportFormat;
}

/** submit + an in-process worker + wait + results, in one command. Returns the exit status. */
export async function runCommand(runtime: Runtime, file: string, options: RunCommandOptions): Promise<number> {
  const started = Date.now();
  const worker = await startWorker(runtime.config, runtime.redisUrl, runtime.logger, jobTypes());
  const maintenance = startBatchMaintenance({ redis: runtime.redis, keys: runtime.keys, queue: runtime.queue }, { intervalMs: 2_000 });
  let batch: BatchInfo;
  let report: SubmitReport;
  try {
    report = await submitWithProgress(runtime, file, options);
    batch = await waitForBatch(runtime, report.batchId, started);
    await waitForWebhooks(runtime, batch);
  } finally {
    await maintenance.stop();
    await worker.close();
  }
  const count = await writeResults(runtime, report.batchId, { out: options.out, format: options.format }).catch((error: unknown) => {
    if (!(error instanceof CannotWriteError)) throw error;
    throw new CannotWriteError(error.path, error.cause, `; the results are kept: relayq results ${report.batchId} -o FILE`);
  });
  const seconds = (Date.now() - started) / 1000;
  const { counts, usage } = batch;
  const stats = runtime.simulator?.stats();
  const lines = [
    `batch      ${batch.id} ${batch.status} in ${seconds.toFixed(1)} s`,
    `prompts    ${formatNumber(counts.total)}: ${formatNumber(counts.succeeded)} succeeded, ${formatNumber(counts.errored)} errored${counts.cancelled > 0 ? `, ${formatNumber(counts.cancelled)} cancelled` : ''}${counts.expired > 0 ? `, ${formatNumber(counts.expired)} expired` : ''}; ${formatNumber(counts.rejected)} input lines rejected`,
    `tokens     ${formatNumber(usage.input_tokens)} in, ${formatNumber(usage.output_tokens)} out (cache: ${formatNumber(usage.cache_read_tokens)} read, ${formatNumber(usage.cache_write_tokens)} written)`,
    `rate       ${(counts.total / seconds).toFixed(1)} prompts/s${stats ? `, ${(stats.requests / seconds).toFixed(1)} upstream requests/s` : ''}`,
    `results    ${formatNumber(count.output + count.errors)} lines -> ${options.out ?? 'stdout'}`,
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  return outcomeExitCode(batch);
}

/** How long `run` waits for its batch's webhook deliveries before its worker stops. */
const webhookWaitMs = 20_000;

/**
 * The in-process worker sends the batch's end event: `run` waits (a while) for each delivery to
 * succeed or fail for good; one still being retried then is left to `relayq worker`.
 */
async function waitForWebhooks(runtime: Runtime, batch: BatchInfo): Promise<void> {
  const wanted = batch.webhooks.length > 0 || (await listEndpoints(runtime.redis, runtime.keys)).some((e) => e.disabled_at === null);
  if (!wanted) return;
  const deadline = Date.now() + webhookWaitMs;
  for (;;) {
    const eventId = (await getBatch(runtime.redis, runtime.keys, batch.id))?.event_id ?? null;
    const log = eventId === null ? null : await readEventLog(runtime.redis, runtime.keys, eventId);
    const open = log === null ? null : log.deliveries.filter((d) => d.state === 'pending' || d.state === 'retrying');
    if (open !== null && open.length === 0) {
      for (const delivery of log?.deliveries ?? [])
        if (delivery.state !== 'delivered')
          process.stderr.write(`webhook    ${delivery.url} ${delivery.state}: ${delivery.last_error ?? ''}\n`);
      return;
    }
    if (Date.now() > deadline) {
      process.stderr.write(
        `webhook    event ${eventId ?? '(not recorded yet)'} not delivered yet; a running \`relayq worker\` keeps retrying (relayq webhooks deliveries --batch ${batch.id})\n`,
      );
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function waitForBatch(runtime: Runtime, batchId: string, started: number): Promise<BatchInfo> {
  const progress = new ProgressLine(5_000);
  for (;;) {
    const batch = await getBatch(runtime.redis, runtime.keys, batchId);
    if (!batch) throw new Error(`batch ${batchId} disappeared from Redis`);
    const { counts } = batch;
    const done = counts.total - counts.pending;
    const elapsed = Date.now() - started;
    const rate = (done * 1000) / Math.max(elapsed, 1);
    progress.update(
      `${bar(counts.total === 0 ? 1 : done / counts.total)} ${formatNumber(done)}/${formatNumber(counts.total)} prompts, ${formatNumber(counts.errored)} errored, ${rate.toFixed(1)}/s, ETA ${rate > 0 ? formatDuration((counts.pending / rate) * 1000) : '-'}`,
    );
    if (isTerminal(batch.status)) {
      progress.done();
      return batch;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
