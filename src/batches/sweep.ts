/**
 * Takes a batch's waiting prompts out of the queue: for a cancel or an expiry each one gets a
 * `cancelled` / `expired` result; for a pause each one is parked (its job kept in the batch's
 * parked hash) until the batch resumes. Prompts a worker is running (BullMQ locks them; they
 * cannot be removed) finish and keep their results; the sweep looks at them again until each has
 * a result or is back in the queue (a retry), so nothing of a cancelled batch runs later.
 */
import type { Job } from 'bullmq';
import type { PromptQueues } from './prompt-queues.ts';
import type { Redis } from 'ioredis';
import { promptJobId, promptJobOptions, type PromptJob } from './prompt-job.ts';
import type { Keys } from '../redis/keys.ts';
import { withScripts } from '../redis/scripts.ts';
import { skippedResult, writeResult } from './results.ts';
import { ingestSettled } from './batch-store.ts';

export interface BatchDeps {
  redis: Redis;
  keys: Keys;
  /** The prompt queues. */
  queue: PromptQueues;
}

export type SweepAction = 'cancelled' | 'expired' | 'park';

export interface SweepProgress {
  /** Prompts taken out of the queue (and given a result, or parked). */
  removed: number;
  /** Prompts a worker is running now: they finish and keep their result. */
  inFlight: number;
}

export interface SweepOptions {
  /** How long to keep looking at prompts in flight; 0: one pass only. */
  waitMs?: number;
  /** Called after each pass. */
  onProgress?: (progress: SweepProgress) => void;
  /** Keep sweeping only while this holds (a pause that was resumed stops parking). */
  stillWanted?: () => Promise<boolean>;
}

/** A parked prompt: its job payload and attempts, enough to enqueue it again. */
export interface ParkedJob {
  data: PromptJob;
  attempts: number;
}

type Outcome = 'removed' | 'in-flight' | 'later' | 'done';

const chunk = 500;

export async function sweepBatch(
  deps: BatchDeps,
  batchId: string,
  action: SweepAction,
  options: SweepOptions = {},
): Promise<SweepProgress> {
  const { redis, keys } = deps;
  const scripted = withScripts(redis);
  const progress: SweepProgress = { removed: 0, inFlight: 0 };
  const deadline = Date.now() + (options.waitMs ?? 0);
  // First pass: every accepted line without a result. Later passes: only those left over.
  let retry = new Map<string, number>();
  // A line without a job is still to come only while a submit is reading (a dead submit's never come).
  const ingestDone = () => ingestSettled(redis, keys, batchId);
  let done = await ingestDone();
  let cursor = '0';
  do {
    const reply = await scripted.pendingLines(keys.batchLines(batchId), keys.batchResults(batchId), cursor, chunk);
    cursor = reply[0] as string;
    const pending: [string, number][] = [];
    for (let i = 1; i < reply.length; i += 2) pending.push([reply[i] as string, Number(reply[i + 1])]);
    await sweepChunk(deps, batchId, action, pending, done, progress, retry);
  } while (cursor !== '0');
  options.onProgress?.({ ...progress });

  while (retry.size > 0 && Date.now() < deadline) {
    if (options.stillWanted && !(await options.stillWanted())) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
    done = await ingestDone();
    const left = [...retry];
    retry = new Map();
    progress.inFlight = 0;
    for (let i = 0; i < left.length; i += chunk) {
      await sweepChunk(deps, batchId, action, left.slice(i, i + chunk), done, progress, retry);
    }
    options.onProgress?.({ ...progress });
  }
  progress.inFlight = [...retry.values()].length;
  return progress;
}

async function sweepChunk(
  deps: BatchDeps,
  batchId: string,
  action: SweepAction,
  pending: [string, number][],
  ingestDone: boolean,
  progress: SweepProgress,
  retry: Map<string, number>,
): Promise<void> {
  const outcomes = await Promise.all(pending.map(([id, line]) => sweepOne(deps, batchId, action, id, line, ingestDone)));
  outcomes.forEach((outcome, index) => {
    const [id, line] = pending[index] as [string, number];
    if (outcome === 'removed') progress.removed += 1;
    else if (outcome === 'in-flight' || outcome === 'later') {
      retry.set(id, line);
      if (outcome === 'in-flight') progress.inFlight += 1;
    }
  });
}

async function sweepOne(
  deps: BatchDeps,
  batchId: string,
  action: SweepAction,
  customId: string,
  line: number,
  ingestDone: boolean,
): Promise<Outcome> {
  const { redis, keys, queue } = deps;
  const jobId = promptJobId(batchId, customId);
  if ((await redis.hexists(keys.batchResults(batchId), customId)) === 1) return 'done';
  const job = (await queue.getJob(jobId)) as Job<PromptJob> | undefined;
  if (action === 'park') {
    if (!job) return ingestDone ? 'done' : 'later';
    // Parked before removal: a crash in between leaves the prompt both parked and queued, never lost.
    const parked: ParkedJob = { data: job.data, attempts: job.opts.attempts ?? 1 };
    await redis.hset(keys.batchParked(batchId), customId, JSON.stringify(parked));
    if ((await queue.remove(jobId)) === 0) {
      await redis.hdel(keys.batchParked(batchId), customId);
      return 'in-flight';
    }
    // The call may have finished between the first look and the removal (a completed job can be
    // removed): its result is there, so nothing is parked for it.
    if ((await redis.hexists(keys.batchResults(batchId), customId)) === 1) {
      await redis.hdel(keys.batchParked(batchId), customId);
      return 'done';
    }
    return 'removed';
  }
  if (job && (await queue.remove(jobId)) === 0) return 'in-flight';
  let data: Partial<PromptJob> | undefined = job?.data;
  if (!data) {
    const parked = await redis.hget(keys.batchParked(batchId), customId);
    if (parked !== null) data = (JSON.parse(parked) as ParkedJob).data;
    // A line accepted by a submit still running may not have its job yet: look again later.
    else if (!ingestDone) return 'later';
  }
  await writeResult(redis, keys, batchId, skippedResult(customId, action, line, { ...data, attempts: job?.attemptsMade ?? 0 }));
  await redis.hdel(keys.batchParked(batchId), customId);
  return 'removed';
}

/** Puts every parked prompt of the batch back in the queue (resume). Returns how many. */
export async function unparkBatch(deps: BatchDeps, batchId: string): Promise<number> {
  const { redis, keys, queue } = deps;
  let count = 0;
  let cursor = '0';
  do {
    const [next, entries] = await redis.hscan(keys.batchParked(batchId), cursor, 'COUNT', 1000);
    cursor = next;
    if (entries.length === 0) continue;
    const jobs = [];
    const ids: string[] = [];
    for (let i = 0; i < entries.length; i += 2) {
      const parked = JSON.parse(entries[i + 1] as string) as ParkedJob;
      ids.push(entries[i] as string);
      jobs.push(parkedToBulkJob(batchId, parked));
    }
    await queue.addBulk(jobs);
    await redis.hdel(keys.batchParked(batchId), ...ids);
    count += ids.length;
  } while (cursor !== '0');
  return count;
}

export function parkedToBulkJob(batchId: string, parked: ParkedJob) {
  return {
    name: parked.data.provider,
    data: parked.data,
    opts: { ...promptJobOptions(parked.attempts), jobId: promptJobId(batchId, parked.data.customId) },
  };
}
