import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { promptJobId, promptJobOptions } from '../../jobs/prompt/queue.ts';
import type { PromptJob } from '../../jobs/prompt/payload.ts';
import { finishIngest, newBatchId, openBatch, recordRejects, type BatchStatus, type RejectedLine } from '../batches/batch-store.ts';
import type { Keys } from '../redis/keys.ts';
import { withScripts } from '../redis/scripts.ts';
import { parseLine, type ParsedLine } from './parse-line.ts';

export interface SubmitOptions {
  /** Resubmit into this batch (a retried submit adds no duplicates); a new batch when left out. */
  batchId?: string;
  /** Attempts per prompt. */
  attempts: number;
  /** Lines per Redis round trip. */
  chunkSize?: number;
  /** Called after each chunk with the lines read so far. */
  onProgress?: (progress: SubmitProgress) => void;
  /** Called for each rejected line as it is found. */
  onReject?: (reject: RejectedLine) => void;
}

export interface SubmitProgress {
  linesRead: number;
  accepted: number;
  rejected: number;
}

export interface SubmitReport extends SubmitProgress {
  batchId: string;
  /** Lines accepted by an earlier submission of the same batch. */
  alreadyAccepted: number;
  status: BatchStatus;
}

interface Pending {
  line: number;
  value: ParsedLine;
}

/**
 * Streams a prompt file into a batch: each line validated on its own, valid ones enqueued in
 * chunks with addBulk, bad ones reported with their line numbers while the rest runs.
 */
export async function submitFile(
  redis: Redis,
  queue: Queue,
  keys: Keys,
  file: string,
  options: SubmitOptions,
): Promise<SubmitReport> {
  const batchId = options.batchId ?? newBatchId();
  const chunkSize = options.chunkSize ?? 1000;
  const jobOptions = promptJobOptions(options.attempts);
  const scripted = withScripts(redis);
  const input = createReadStream(file, { encoding: 'utf8' });
  // Fail before creating the batch when the file cannot be read.
  await new Promise<void>((ready, fail) => {
    input.once('readable', ready);
    input.once('error', fail);
  });
  await openBatch(redis, keys, batchId, basename(file));

  const progress: SubmitProgress = { linesRead: 0, accepted: 0, rejected: 0 };
  let alreadyAccepted = 0;
  let chunk: Pending[] = [];
  let rejects: RejectedLine[] = [];
  let inFlight: Promise<void> = Promise.resolve();

  const reject = (entry: RejectedLine, into: RejectedLine[]) => {
    progress.rejected += 1;
    into.push(entry);
    options.onReject?.(entry);
  };

  const flush = async (lines: Pending[], lineRejects: RejectedLine[]): Promise<void> => {
    const args: (string | number)[] = [];
    for (const { line, value } of lines) args.push(value.customId, line);
    const verdicts =
      lines.length === 0
        ? []
        : await scripted.acceptLines(keys.batchLines(batchId), keys.batchResults(batchId), keys.batch(batchId), ...args);
    const jobs: { name: string; data: PromptJob; opts: ReturnType<typeof promptJobOptions> }[] = [];
    lines.forEach(({ line, value }, index) => {
      const verdict = verdicts[index] ?? 0;
      if (verdict > 0) {
        const error = `duplicate custom_id "${value.customId}" (first used on line ${verdict})`;
        reject({ line, custom_id: value.customId, error }, lineRejects);
        return;
      }
      if (verdict === -2) {
        alreadyAccepted += 1;
        return;
      }
      if (verdict === -1) alreadyAccepted += 1;
      else progress.accepted += 1;
      jobs.push({
        name: value.provider,
        data: { batchId, line, ...value },
        opts: { ...jobOptions, jobId: promptJobId(batchId, value.customId) },
      });
    });
    if (jobs.length > 0) await queue.addBulk(jobs);
    await recordRejects(redis, keys, batchId, lineRejects);
    options.onProgress?.({ ...progress });
  };

  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const text of lines) {
    lineNumber += 1;
    progress.linesRead = lineNumber;
    if (text.trim() === '') continue;
    const parsed = parseLine(text);
    if (parsed.ok) chunk.push({ line: lineNumber, value: parsed.value });
    else reject({ line: lineNumber, custom_id: parsed.customId, error: parsed.error }, rejects);
    if (chunk.length >= chunkSize) {
      // Parse the next chunk while this one is written.
      const lineChunk = chunk;
      const lineRejects = rejects;
      chunk = [];
      rejects = [];
      await inFlight;
      inFlight = flush(lineChunk, lineRejects);
      inFlight.catch(() => {}); // awaited before the next flush; this only keeps Node from calling it unhandled
    }
  }
  await inFlight;
  await flush(chunk, rejects);
  const status = await finishIngest(redis, keys, batchId, progress.rejected);
  return { batchId, ...progress, alreadyAccepted, status };
}
