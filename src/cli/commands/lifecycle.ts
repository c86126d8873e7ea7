import { cancelBatch, pauseBatch, resumeBatch, type LifecycleOutcome } from '../../batches/lifecycle.ts';
import { getBatch } from '../../batches/batch-store.ts';
import type { Runtime } from '../../runtime.ts';
import { exitCodes } from '../exit-codes.ts';
import { formatNumber, ProgressLine } from '../progress.ts';
import { submitWithProgress } from './submit.ts';
import { UsageError } from '../context.ts';
import { checkInputFile } from '../input-file.ts';

export type LifecycleAction = 'cancel' | 'pause' | 'resume';

const verbs: Readonly<Record<LifecycleAction, string>> = { cancel: 'cancelled', pause: 'paused', resume: 'resumed' };

/** `relayq cancel|pause|resume BATCH`. */
export async function lifecycleCommand(
  runtime: Runtime,
  action: LifecycleAction,
  batchId: string,
  options: { json: boolean; waitMs: number },
): Promise<number> {
  const deps = { redis: runtime.redis, keys: runtime.keys, queue: runtime.queue };
  if (!(await getBatch(runtime.redis, runtime.keys, batchId))) {
    process.stderr.write(`relayq: no batch ${batchId}\n`);
    return exitCodes.notFound;
  }
  const progress = new ProgressLine(2_000);
  const onProgress = (state: { removed: number; inFlight: number }) =>
    progress.update(
      `${action}: ${formatNumber(state.removed)} prompts taken out of the queue, ${formatNumber(state.inFlight)} in flight (they finish and keep their results)`,
    );
  let outcome: LifecycleOutcome;
  if (action === 'cancel') outcome = await cancelBatch(deps, batchId, { waitMs: options.waitMs, onProgress });
  else if (action === 'pause') outcome = await pauseBatch(deps, batchId, { waitMs: options.waitMs, onProgress });
  else outcome = await resumeBatch(deps, batchId);
  progress.done();
  const status = outcome.batch?.status ?? 'unknown';
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ changed: outcome.changed, from: outcome.from, removed: outcome.removed, in_flight: outcome.inFlight, batch: outcome.batch }, null, 2)}\n`,
    );
  } else if (!outcome.changed) {
    process.stderr.write(`relayq: batch ${batchId} is ${status}; it cannot be ${verbs[action]} now\n`);
  } else {
    const inFlight =
      outcome.inFlight > 0
        ? `; ${formatNumber(outcome.inFlight)} prompts still in flight (run the command again, or any worker finishes it)`
        : '';
    process.stderr.write(
      `batch ${batchId}: ${status}, ${formatNumber(outcome.removed)} prompts ${action === 'resume' ? 'back in the queue' : 'taken out of the queue'}${inFlight}\n`,
    );
  }
  return outcome.changed ? exitCodes.ok : exitCodes.usage;
}

/** `relayq retry BATCH [--file F]`: the errored prompts run again, read from the input file. */
export async function retryCommand(runtime: Runtime, batchId: string, options: { file?: string }): Promise<number> {
  const batch = await getBatch(runtime.redis, runtime.keys, batchId);
  if (!batch) {
    process.stderr.write(`relayq: no batch ${batchId}\n`);
    return exitCodes.notFound;
  }
  const file = options.file ?? batch.source_path;
  if (!file) throw new UsageError(`batch ${batchId} does not record its input file; give it with --file FILE`);
  if (batch.counts.errored === 0) {
    process.stderr.write(`batch ${batchId}: no errored prompts to retry\n`);
    return exitCodes.ok;
  }
  await checkInputFile(file);
  const report = await submitWithProgress(runtime, file, { batch: batchId, retryErrored: true, defaults: batch.defaults });
  process.stdout.write(`${batchId}\n`);
  if (report.retried === 0) process.stderr.write(`none of the errored prompts were found in ${file}; was it changed?\n`);
  return exitCodes.ok;
}
