import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { promptJobId, promptJobOptions, type PromptJob } from '../batches/prompt-job.ts';
import {
  batchDataKeys,
  finishIngest,
  ingestLeaseMs,
  newShardedBatchId,
  openBatch,
  recordRejects,
  renewIngestLease,
  type BatchDefaults,
  type BatchStatus,
  type RejectedLine,
} from '../batches/batch-store.ts';
import { decodeResult } from '../batches/results.ts';
import type { PromptQueues } from '../batches/prompt-queues.ts';
import { unparkBatch, type ParkedJob } from '../batches/sweep.ts';
import type { Keys } from '../redis/keys.ts';
import { withScripts } from '../redis/scripts.ts';
import type { RoutingRule } from '../accounts/routing.ts';
import { defaultIngestLimits, type IngestLimits } from '../config/schema.ts';
import type { ParsedLine } from './parse-line.ts';
import { createLineReader } from './formats/line-reader.ts';
import { readInputLines } from './read-lines.ts';
import { boundedReject } from './rejected-line.ts';
import type { InputFormat } from './formats/detect.ts';
import { checkWebhookUrls, type AddressPolicy, type Resolver } from '../webhooks/address-guard.ts';

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
  /** The config's routing rules: which provider serves a model a line does not assign. */
  routing?: readonly RoutingRule[];
  /** Filled into lines that lack them (`--provider`, `--model`, `--max-tokens`, `--system`). */
  defaults?: BatchDefaults;
  /** Tags kept on the batch record (`--tag team=search`). */
  metadata?: Record<string, string>;
  /** Completion window in ms (`--window 24h`): what has not run by then is marked expired. */
  windowMs?: number;
  /** Seconds the batch stays in Redis after it ends (`--retention 7d`). */
  retentionSeconds?: number;
  /** Take the batch's errored results back and run those prompts again (`relayq retry`). */
  retryErrored?: boolean;
  /** Line size, JSON nesting depth and custom_id length a line may have (the config's `ingest`). */
  limits?: Partial<IngestLimits>;
  /** The tenant the batch belongs to (the API key's, in `relayq server`); none for the command line. */
  tenant?: string;
  /**
   * The name the batch shows as its source when `file` is a temporary copy (an upload); the
   * batch then keeps no source path (`retry` cannot read it again, `--resume` does not apply).
   */
  sourceName?: string;
  /**
   * Callback URLs that get the batch's end event (`--webhook`, the API's submit, OpenAI's
   * `metadata.webhook_url`). Each is checked before the batch is made: http(s), and refused
   * (WebhookAddressError) when its host resolves to an address the policy refuses.
   */
  webhooks?: string[];
  /** The config's `webhooks` (which addresses are allowed); the default refuses every non-public one. */
  webhookPolicy?: AddressPolicy;
  /** Resolves webhook host names for that check (tests stub it). */
  webhookResolver?: Resolver;
}

export interface SubmitProgress {
  linesRead: number;
  accepted: number;
  rejected: number;
  /** Bytes of the file read so far, and its size (for a progress bar and an ETA). */
  bytesRead: number;
  bytesTotal: number;
}

export interface SubmitReport extends SubmitProgress {
  batchId: string;
  /** Lines accepted by an earlier submission of the same batch. */
  alreadyAccepted: number;
  /** Errored prompts taken back to run again (retryErrored). */
  retried: number;
  /** The file's line format, detected from its first line. */
  inputFormat: InputFormat | null;
  status: BatchStatus;
  /** Set when reading stopped because the batch was cancelled or expired meanwhile. */
  stoppedBy?: 'cancelled' | 'expired';
}

interface Pending {
  line: number;
  value: ParsedLine;
}

type BulkJob = { name: string; data: PromptJob; opts: ReturnType<typeof promptJobOptions> & { jobId: string } };

/**
 * Streams a prompt file into a batch: each line validated on its own, valid ones enqueued in
 * chunks with addBulk, bad ones reported with their line numbers while the rest runs. Memory
 * stays bounded whatever the file's size: one chunk is parsed while the previous one is written,
 * and a line over the size limit is skipped, not read. While it reads, the submit holds the
 * batch's ingest lease; a submit that dies midway lets it run out, so the batch can still be
 * cancelled or expired (or resubmitted with `--resume`).
 */
export async function submitFile(
  redis: Redis,
  queue: PromptQueues,
  keys: Keys,
  file: string,
  options: SubmitOptions,
): Promise<SubmitReport> {
  const batchId = options.batchId ?? (await newShardedBatchId(redis, keys));
  const chunkSize = options.chunkSize ?? 1000;
  const jobOptions = promptJobOptions(options.attempts);
  const scripted = withScripts(redis);
  const limits: IngestLimits = { ...defaultIngestLimits, ...options.limits };
  const input = createReadStream(file, { highWaterMark: 256 * 1024 });
  // Fail before creating the batch when the file cannot be read.
  await new Promise<void>((ready, fail) => {
    input.once('readable', ready);
    input.once('error', fail);
  });
  const bytesTotal = (await stat(file)).size;
  const webhooks =
    options.webhooks === undefined || options.webhooks.length === 0
      ? undefined
      : await checkWebhookUrls(options.webhooks, options.webhookPolicy, options.webhookResolver).catch((error: unknown) => {
          input.destroy();
          throw error;
        });
  await openBatch(redis, keys, batchId, {
    source: options.sourceName ?? basename(file),
    sourcePath: options.sourceName === undefined ? resolve(file) : undefined,
    tenant: options.tenant,
    defaults: options.defaults,
    metadata: options.metadata,
    windowMs: options.windowMs,
    retentionSeconds: options.retentionSeconds,
    ingestLeaseMs,
    webhooks,
  });
  const lease = setInterval(() => void renewIngestLease(redis, keys, batchId).catch(() => {}), ingestLeaseMs / 5);
  lease.unref();
  let ended = false;
  try {
    const report = await ingest();
    ended = true;
    return report;
  } finally {
    clearInterval(lease);
    input.destroy();
    // A submit that failed midway reads no more: it gives its lease up (else the lease runs out).
    if (!ended) void redis.del(keys.batchIngest(batchId)).catch(() => {});
  }

  async function ingest(): Promise<SubmitReport> {
    const reader = createLineReader({ defaults: options.defaults, routing: options.routing, limits });
    const progress: SubmitProgress = { linesRead: 0, accepted: 0, rejected: 0, bytesRead: 0, bytesTotal };
    let alreadyAccepted = 0;
    let retried = 0;
    let closed = false;
    let formatRecorded = false;
    let chunk: Pending[] = [];
    let rejects: RejectedLine[] = [];
    // Two chunks may be written at once: one chunk's duplicate check (relayq's connection) runs
    // while the previous chunk's addBulk (the queue's connection) does; checks stay in line order.
    const inFlight: Promise<void>[] = [];

    const reject = (raw: RejectedLine, into: RejectedLine[]) => {
      const entry = boundedReject(raw);
      progress.rejected += 1;
      into.push(entry);
      options.onReject?.(entry);
    };
    const toJob = (line: number, value: ParsedLine): BulkJob => ({
      name: value.provider,
      data: { batchId, line, ...value },
      opts: { ...jobOptions, jobId: promptJobId(batchId, value.customId) },
    });

    const flush = async (lines: Pending[], lineRejects: RejectedLine[]): Promise<void> => {
      if (!formatRecorded && reader.format !== null) {
        formatRecorded = true;
        await redis.hset(keys.batch(batchId), 'input_format', reader.format);
      }
      const args: (string | number)[] = [Date.now()];
      for (const { line, value } of lines) args.push(value.customId, line);
      const reply =
        lines.length === 0 || closed
          ? [closed ? 0 : 1]
          : await scripted.acceptLines(keys.batchLines(batchId), keys.batchResults(batchId), keys.batch(batchId), ...args);
      const state = reply[0];
      if (state === 0) {
        closed = true;
        await recordRejects(redis, keys, batchId, lineRejects);
        return;
      }
      const jobs: BulkJob[] = [];
      const finished: Pending[] = [];
      lines.forEach((pending, index) => {
        const { line, value } = pending;
        const verdict = reply[index + 1] ?? 0;
        if (verdict > 0) {
          const error = `duplicate custom_id ${JSON.stringify(value.customId)} (first used on line ${verdict})`;
          reject({ line, custom_id: value.customId, error }, lineRejects);
          return;
        }
        if (verdict === -2) {
          alreadyAccepted += 1;
          if (options.retryErrored) finished.push(pending);
          return;
        }
        if (verdict === -1) alreadyAccepted += 1;
        else progress.accepted += 1;
        jobs.push(toJob(line, value));
      });
      if (finished.length > 0) {
        const reopened = await reopenErrored(redis, keys, batchId, finished);
        retried += reopened.length;
        for (const { line, value } of reopened) jobs.push(toJob(line, value));
      }
      if (jobs.length > 0) {
        if (options.retryErrored) await clearFailedJobs(queue, jobs);
        if (state === 2) await park(redis, keys, queue, batchId, jobs);
        else await queue.addBulk(jobs);
      }
      await recordRejects(redis, keys, batchId, lineRejects);
      options.onProgress?.({ ...progress });
    };

    reading: for await (const lines of readInputLines(input, limits.maxLineBytes)) {
      for (const { line, text, error } of lines) {
        progress.linesRead = line;
        if (error !== undefined) {
          reject({ line, custom_id: null, error }, rejects);
          continue;
        }
        if (text.trim() === '') continue;
        const parsed = reader.read(text);
        if (parsed.ok) chunk.push({ line, value: parsed.value });
        else reject({ line, custom_id: parsed.customId, error: parsed.error }, rejects);
        if (chunk.length >= chunkSize) {
          // Parse the next chunk while this one is written.
          const lineChunk = chunk;
          const lineRejects = rejects;
          chunk = [];
          rejects = [];
          if (inFlight.length >= 2) await inFlight.shift();
          progress.bytesRead = input.bytesRead;
          if (closed) break reading;
          const written = flush(lineChunk, lineRejects);
          written.catch(() => {}); // awaited below; this only keeps Node from calling it unhandled
          inFlight.push(written);
        }
      }
    }
    for (const written of inFlight) await written;
    if (closed) {
      input.destroy();
    } else {
      progress.bytesRead = bytesTotal;
      await flush(chunk, rejects);
    }
    const status = await finishIngest(redis, keys, batchId, progress.rejected);
    const report: SubmitReport = { batchId, ...progress, alreadyAccepted, retried, inputFormat: reader.format, status };
    if (closed) report.stoppedBy = status === 'expired' || status === 'expiring' ? 'expired' : 'cancelled';
    return report;
  }
}

/** Of these lines that already have a result, takes back the errored ones; returns those. */
async function reopenErrored(redis: Redis, keys: Keys, batchId: string, lines: Pending[]): Promise<Pending[]> {
  const ids = lines.map(({ value }) => value.customId);
  const member = await redis.smismember(keys.batchErrored(batchId), ...ids);
  const errored = lines.filter((_, index) => member[index] === 1);
  if (errored.length === 0) return [];
  const stored = await redis.hmgetBuffer(keys.batchResults(batchId), ...errored.map(({ value }) => value.customId));
  const args: (string | number)[] = [Date.now()];
  errored.forEach(({ value }, index) => {
    const result = stored[index];
    args.push(value.customId, result ? (decodeResult(result).error?.kind ?? '') : '');
  });
  await withScripts(redis).reopenResults(keys.batch(batchId), ...batchDataKeys(keys, batchId), ...args);
  return errored;
}

/** A prompt whose job ended in BullMQ's failed set (a relayq fault) would never run again: clear it first. */
async function clearFailedJobs(queue: PromptQueues, jobs: BulkJob[]): Promise<void> {
  await Promise.all(
    jobs.map(async ({ opts }) => {
      const job = await queue.getJob(opts.jobId);
      if (job && (await job.isFailed())) await job.remove();
    }),
  );
}

/** Lines that arrive while the batch is paused are parked, not queued; a resume meanwhile takes them back. */
async function park(redis: Redis, keys: Keys, queue: PromptQueues, batchId: string, jobs: BulkJob[]): Promise<void> {
  const args: string[] = [];
  for (const job of jobs) {
    const parked: ParkedJob = { data: job.data, attempts: job.opts.attempts ?? 1 };
    args.push(job.data.customId, JSON.stringify(parked));
  }
  await redis.hset(keys.batchParked(batchId), ...args);
  if ((await redis.hget(keys.batch(batchId), 'status')) !== 'paused') await unparkBatch({ redis, keys, queue }, batchId);
}
