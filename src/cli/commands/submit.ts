import { createWriteStream, type WriteStream } from 'node:fs';
import type { BatchDefaults, RejectedLine } from '../../batches/batch-store.ts';
import { submitFile, type SubmitReport } from '../../ingest/submit.ts';
import { escapeForTerminal } from '../../lib/terminal-text.ts';
import type { Runtime } from '../../runtime.ts';
import { formatDuration } from '../durations.ts';
import { CannotWriteError } from '../file-errors.ts';
import { bar, formatNumber, ProgressLine } from '../progress.ts';

export interface SubmitCommandOptions {
  batch?: string;
  defaults?: BatchDefaults;
  metadata?: Record<string, string>;
  windowMs?: number;
  retentionSeconds?: number;
  retryErrored?: boolean;
  /** Write every rejected line here as JSONL ({line, custom_id, error}). */
  errorsOut?: string;
  /** `--webhook` URLs that get the batch's end event. */
  webhooks?: string[];
}

/** Rejected lines printed on stderr; beyond this many, only counted (all of them are in `relayq status --json` and --errors-out). */
const printedRejects = 100;

/**
 * A rejected line as a person reads it, on one line plus one indented line per schema issue
 * (relayq's `\n  - ` breaks); every other control character, a custom_id's `\n` included, is
 * shown escaped.
 */
export function formatReject(reject: RejectedLine): string {
  const id = reject.custom_id ? ` (custom_id "${escapeForTerminal(reject.custom_id)}")` : '';
  const error = reject.error
    .split(/\n(?= {2}- )/)
    .map(escapeForTerminal)
    .join('\n    ');
  return `line ${reject.line}${id}: ${error}\n`;
}

export function printReject(reject: RejectedLine): void {
  process.stderr.write(formatReject(reject));
}

/** Streams FILE into a batch, reporting progress (rate, ETA) and rejected lines on stderr. */
export async function submitWithProgress(runtime: Runtime, file: string, options: SubmitCommandOptions): Promise<SubmitReport> {
  const progress = new ProgressLine(2_000);
  const started = Date.now();
  let rejectedCount = 0;
  let errorsFile: WriteStream | undefined;
  let errorsFileError: unknown;
  if (options.errorsOut) {
    errorsFile = createWriteStream(options.errorsOut);
    errorsFile.on('error', (error) => (errorsFileError ??= error));
  }
  const report = await submitFile(runtime.redis, runtime.queue, runtime.keys, file, {
    batchId: options.batch,
    attempts: runtime.config.worker.attempts,
    routing: runtime.config.routing,
    defaults: options.defaults,
    metadata: options.metadata,
    windowMs: options.windowMs,
    retentionSeconds: options.retentionSeconds,
    retryErrored: options.retryErrored,
    limits: runtime.config.ingest,
    webhooks: options.webhooks,
    webhookPolicy: runtime.config.webhooks,
    onReject: (reject) => {
      rejectedCount += 1;
      errorsFile?.write(`${JSON.stringify(reject)}\n`);
      if (rejectedCount <= printedRejects) {
        progress.clear();
        printReject(reject);
      }
    },
    onProgress: (state) => {
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      const fraction = state.bytesTotal > 0 ? state.bytesRead / state.bytesTotal : 0;
      const eta = fraction > 0 ? ((1 - fraction) * seconds * 1000) / fraction : NaN;
      progress.update(
        `ingest ${bar(fraction)} ${(fraction * 100).toFixed(0)}% ${formatNumber(state.linesRead)} lines, ` +
          `${formatNumber(Math.round(state.linesRead / seconds))} lines/s, ETA ${formatDuration(eta)}; ` +
          `${formatNumber(state.accepted)} accepted, ${formatNumber(state.rejected)} rejected`,
      );
    },
  });
  progress.done();
  if (errorsFile) {
    errorsFile.end();
    if (!errorsFile.closed) await new Promise<void>((resolve) => errorsFile.once('close', () => resolve()));
    if (errorsFileError !== undefined)
      throw new CannotWriteError(
        options.errorsOut as string,
        errorsFileError,
        `; the rejected lines are in relayq status ${report.batchId} --json`,
      );
  }
  if (rejectedCount > printedRejects) {
    process.stderr.write(
      `... ${formatNumber(rejectedCount - printedRejects)} more rejected lines (relayq status ${report.batchId} --json${options.errorsOut ? `, or ${options.errorsOut}` : ', or --errors-out FILE'})\n`,
    );
  }
  const seconds = (Date.now() - started) / 1000;
  const extra = [
    report.alreadyAccepted > 0 ? `${formatNumber(report.alreadyAccepted)} already in the batch` : '',
    report.retried > 0 ? `${formatNumber(report.retried)} errored prompts queued again` : '',
    report.stoppedBy ? `stopped: the batch was ${report.stoppedBy} meanwhile` : '',
  ].filter(Boolean);
  process.stderr.write(
    `batch ${report.batchId}: ${formatNumber(report.accepted)} prompts accepted, ${formatNumber(report.rejected)} lines rejected` +
      `${extra.length > 0 ? `, ${extra.join(', ')}` : ''} (${report.inputFormat ?? 'unknown'} format, ${seconds.toFixed(1)} s)\n`,
  );
  return report;
}
