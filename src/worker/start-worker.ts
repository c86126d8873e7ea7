import { Queue, Worker, type BackoffStrategy, type Job, type WorkerOptions } from 'bullmq';
import type { Logger } from 'pino';
import { promptQueueName, type PromptJob } from '../batches/prompt-job.ts';
import { PromptQueues } from '../batches/prompt-queues.ts';
import type { Config } from '../config/schema.ts';
import { startBatchMaintenance } from '../batches/lifecycle.ts';
import { createAvailabilityReader } from '../accounts/availability.ts';
import { createCredentialStore } from '../accounts/credential-store.ts';
import { createRedis } from '../redis/connection.ts';
import { createExecutors } from '../providers/index.ts';
import { errorEventLogger } from '../log.ts';
import { ProviderError } from '../executors/errors.ts';
import { createUpstreamMeter, type UpstreamMeter } from '../metrics/upstream-meter.ts';
import { openKeys } from '../redis/shards.ts';
import { withScripts } from '../redis/scripts.ts';
import { createPromoter } from '../scheduler/parking.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { promptBackoff } from './backoff.ts';
import { createWebhookDispatcher } from '../webhooks/dispatcher.ts';
import { startOutboxPump } from '../webhooks/outbox.ts';
import { webhookBackoff, webhookQueueName, type WebhookJob } from '../webhooks/webhook-job.ts';
import type { JobTypes } from './job-types.ts';

export interface RunningWorker {
  /** One BullMQ worker per prompt queue (shard), sharing the process's concurrency. */
  workers: Worker<PromptJob>[];
  /** Delivers webhooks (queue "webhook"). */
  webhookWorker: Worker<WebhookJob>;
  scheduler: Scheduler;
  /** Counts this process's upstream calls (flushed to Redis every few seconds and on close) and times them. */
  meter: UpstreamMeter;
  /** Finishes in-flight jobs, then closes; `force` stops at once (their jobs come back after the lock expires). */
  close(force?: boolean): Promise<void>;
}

/**
 * A job whose processor threw. Most throws are retries BullMQ runs after the backoff (the
 * processor logs a provider error's retry itself, at debug): they log at debug, or at warn for
 * an unexpected error. Only the final attempt, which leaves the prompt without a result, logs at error.
 */
export function logFailedAttempt(logger: Logger, job: Job<PromptJob> | undefined, error: Error): void {
  const attempts = job?.opts.attempts ?? 1;
  const fields = { err: error, jobId: job?.id, batchId: job?.data.batchId, attempt: job?.attemptsMade, attempts };
  const final = job === undefined || job.finishedOn !== undefined || job.attemptsMade >= attempts;
  if (final) logger.error(fields, 'job failed without a result');
  else if (error instanceof ProviderError) logger.debug(fields, 'attempt failed; retrying after the backoff');
  else logger.warn(fields, 'attempt failed; retrying after the backoff');
}

/**
 * The process's concurrency shared out over the prompt queues: as even as it goes, at least one
 * each. Every batch spreads over every queue, so each queue's share of the work is about even.
 */
export function splitConcurrency(total: number, queues: number): number[] {
  const base = Math.floor(total / queues);
  return Array.from({ length: queues }, (_, index) => Math.max(1, base + (index < total % queues ? 1 : 0)));
}

/** Starts a prompt worker: BullMQ Worker + executors + the account scheduler, on the given Redis. */
export async function startWorker(config: Config, redisUrl: string, logger: Logger, jobs: JobTypes): Promise<RunningWorker> {
  // No auto-pipelining: results are already written in groups (see writeResult), and an ioredis
  // auto-pipeline copies every script command of the connection (BullMQ's too) each time it starts.
  const redis = withScripts(createRedis(redisUrl, {}, logger));
  const keys = await openKeys(redis, config.redis.prefix, config.redis.shards).catch((error: unknown) => {
    redis.disconnect();
    throw error;
  });
  // Promotes parked prompts back into the queue (shares the scheduler's connection).
  const queue = new PromptQueues(keys, redis);
  queue.onError(errorEventLogger(logger, 'prompt queue'));
  const scheduler = new Scheduler({
    redis,
    keys,
    accounts: config.accounts,
    concurrency: config.worker.concurrency,
    leaseTtlMs: config.worker.lockDurationMs,
    logger,
    promote: createPromoter(queue),
  });
  await scheduler.start();
  const liveAccounts = () => scheduler.liveAccounts();
  const executors = createExecutors({
    accounts: liveAccounts,
    availability: createAvailabilityReader(redis, keys, liveAccounts),
    // Refreshed credentials, shared by every worker (once per account, whoever needs it first).
    credentials: createCredentialStore(redis, keys, config.secrets.key),
  });
  // Batch ends go from the outbox into the webhook queue: every half second, and at once when a
  // prompt of this worker ended a batch.
  const webhookQueue = new Queue<WebhookJob>(webhookQueueName, { connection: redis, prefix: keys.bullPrefix });
  webhookQueue.on('error', errorEventLogger(logger, 'webhook queue'));
  const outbox = startOutboxPump(redis, keys, webhookQueue, {
    onError: (error) => logger.warn({ err: error }, 'moving batch events into the webhook queue failed; trying again shortly'),
  });
  const meter = createUpstreamMeter({
    redis,
    keys,
    onError: (error) => logger.warn({ err: error }, 'counting upstream calls in Redis failed; trying again shortly'),
  });
  const processor = await jobs.prompt.createProcessor({ redis, keys, executors, scheduler, logger, onBatchEnded: outbox.nudge, meter });
  const dispatcher = createWebhookDispatcher({ policy: config.webhooks, timeoutMs: config.webhooks.timeoutMs });
  const webhookProcessor = await jobs.webhook.createProcessor({ redis, keys, config, queue: webhookQueue, dispatcher, logger });
  /** A BullMQ worker's options: the prefix, lock and stall settings every queue of relayq shares. */
  const workerOptions = (
    connection: WorkerOptions['connection'],
    concurrency: number,
    backoffStrategy: BackoffStrategy,
    prefix = keys.bullPrefix,
  ): WorkerOptions => ({
    connection,
    prefix,
    concurrency,
    lockDuration: config.worker.lockDurationMs,
    stalledInterval: config.worker.stalledIntervalMs,
    // A job whose worker died goes back to the queue; only a job that kills workers over and
    // over ends as failed.
    maxStalledCount: 10,
    settings: { backoffStrategy },
    autorun: true,
  });
  const webhookConnection = createRedis(redisUrl, {}, logger);
  const webhookWorker = new Worker<WebhookJob>(
    webhookQueueName,
    webhookProcessor,
    workerOptions(webhookConnection, config.webhooks.concurrency, webhookBackoff),
  );
  webhookWorker.on('error', errorEventLogger(logger, 'webhook worker', 'error'));
  const workerConnection = createRedis(redisUrl, {}, logger);
  const shares = splitConcurrency(config.worker.concurrency, keys.shards);
  const workers = keys.promptQueuePrefixes.map((prefix, shard) => {
    const worker = new Worker<PromptJob>(
      promptQueueName,
      processor,
      workerOptions(workerConnection, shares[shard] as number, promptBackoff, prefix),
    );
    worker.on('error', errorEventLogger(logger, 'worker', 'error'));
    worker.on('failed', (job, error) => logFailedAttempt(logger, job, error));
    return worker;
  });
  await Promise.all([...workers.map((worker) => worker.waitUntilReady()), webhookWorker.waitUntilReady()]);
  // Expires batches past their window and finishes interrupted cancels, even when nobody looks.
  const maintenance = startBatchMaintenance(
    { redis, keys, queue },
    { onError: (error) => logger.warn({ err: error }, 'batch maintenance failed; trying again shortly') },
  );
  let closed = false;
  return {
    workers,
    webhookWorker,
    scheduler,
    meter,
    close: async (force = false) => {
      if (closed) return;
      closed = true;
      // Prompts waiting for capacity go back to the queue for other workers instead of holding this one open.
      scheduler.shutdown();
      await maintenance.stop();
      await Promise.all(workers.map((worker) => worker.close(force)));
      await meter.close().catch((error: unknown) => logger.warn({ err: error }, 'the last upstream counts did not reach Redis'));
      await outbox.stop();
      await webhookWorker.close(force);
      await dispatcher.close();
      scheduler.stop();
      await queue.close();
      await webhookQueue.close();
      for (const connection of [redis, workerConnection, webhookConnection]) await connection.quit().catch(() => connection.disconnect());
    },
  };
}
