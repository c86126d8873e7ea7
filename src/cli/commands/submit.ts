import type { RejectedLine } from '../../batches/batch-store.ts';
import { submitFile, type SubmitReport } from '../../ingest/submit.ts';
import type { Runtime } from '../../runtime.ts';
import { formatNumber, ProgressLine } from '../progress.ts';

export interface SubmitCommandOptions {
  batch?: string;
}

export function printReject(reject: RejectedLine): void {
  const id = reject.custom_id ? ` (custom_id "${reject.custom_id}")` : '';
  process.stderr.write(`line ${reject.line}${id}: ${reject.error.replace(/\n/g, '\n    ')}\n`);
}

/** Streams FILE into a batch, reporting progress and rejected lines on stderr. */
export async function submitWithProgress(runtime: Runtime, file: string, options: SubmitCommandOptions): Promise<SubmitReport> {
  const progress = new ProgressLine(2_000);
  const started = Date.now();
  const report = await submitFile(runtime.redis, runtime.queue, runtime.keys, file, {
    batchId: options.batch,
    attempts: runtime.config.worker.attempts,
    onReject: printReject,
    onProgress: (state) => {
      const seconds = (Date.now() - started) / 1000;
      progress.update(
        `ingest: ${formatNumber(state.linesRead)} lines read, ${formatNumber(state.accepted)} accepted, ${formatNumber(state.rejected)} rejected (${formatNumber(Math.round(state.linesRead / Math.max(seconds, 0.001)))} lines/s)`,
      );
    },
  });
  progress.done();
  const resumed = report.alreadyAccepted > 0 ? `, ${formatNumber(report.alreadyAccepted)} already in the batch` : '';
  process.stderr.write(
    `batch ${report.batchId}: ${formatNumber(report.accepted)} prompts accepted, ${formatNumber(report.rejected)} lines rejected${resumed}\n`,
  );
  return report;
}
