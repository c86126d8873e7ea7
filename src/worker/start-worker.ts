import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { createPromptProcessor } from '../../jobs/prompt/processor.ts';
import { promptQueueName } from '../../jobs/prompt/queue.ts';
import type { PromptJob } from '../../jobs/prompt/payload.ts';
import type { Config } from '../config/schema.ts';
import { startBatchMaintenance } from '../batches/lifecycle.ts';
import { createExecutorRegistry } from '../executors/registry.ts';
import { createAvailabilityReader } from '../accounts/availability.ts';
import { createRedis } from '../redis/connection.ts';
import { createKeys } from '../redis/keys.ts';
import { withScripts } from '../redis/scripts.ts';
import { createPromoter } from '../scheduler/parking.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { promptBackoff } from './backoff.ts';

export interface RunningWorker {
  worker: Worker<PromptJob>;
  scheduler: Scheduler;
  /** Finishes in-flight jobs, then closes; `force` stops at once (their jobs come back after the lock expires). */
  close(force?: boolean): Promise<void>;
}

/** Starts a prompt worker: BullMQ Worker + executors + the account scheduler, on the given Redis. */
export async function startWorker(config: Config, redisUrl: string, logger: Logger): Promise<RunningWorker> {
  const keys = createKeys(config.redis.prefix);
  // No auto-pipelining: results are already written in groups (see writeResult), and an ioredis
  // auto-pipeline copies every script command of the connection (BullMQ's too) each time it starts.
  const redis = withScripts(createRedis(redisUrl));
  // Promotes parked prompts back into the queue (shares the scheduler's connection).
  const queue = new Queue(promptQueueName, { connection: redis, prefix: keys.bullPrefix });
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
  const executors = createExecutorRegistry({ accounts: liveAccounts, availability: createAvailabilityReader(redis, keys, liveAccounts) });
  const processor = createPromptProcessor({ redis, keys, executors, scheduler, logger });
  const workerConnection = createRedis(redisUrl);
  const worker = new Worker<PromptJob>(promptQueueName, processor, {
    connection: workerConnection,
    prefix: keys.bullPrefix,
    concurrency: config.worker.concurrency,
    lockDuration: config.worker.lockDurationMs,
    stalledInterval: config.worker.stalledIntervalMs,
    // A job whose worker died goes back to the queue; only a job that kills workers over and
    // over ends as failed.
    maxStalledCount: 10,
    settings: { backoffStrategy: promptBackoff },
    autorun: true,
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  worker.on('failed', (job, error) =>
    logger.error({ err: error, jobId: job?.id, batchId: job?.data.batchId }, 'job failed without a result'),
  );
  await worker.waitUntilReady();
  // Expires batches past their window and finishes interrupted cancels, even when nobody looks.
  const maintenance = startBatchMaintenance(
    { redis, keys, queue },
    { onError: (error) => logger.warn({ err: error }, 'batch maintenance failed; trying again shortly') },
  );
  let closed = false;
  return {
    worker,
    scheduler,
    close: async (force = false) => {
      if (closed) return;
      closed = true;
      // Prompts waiting for capacity go back to the queue for other workers instead of holding this one open.
      scheduler.shutdown();
      await maintenance.stop();
      await worker.close(force);
      scheduler.stop();
      await queue.close();
      for (const connection of [redis, workerConnection]) await connection.quit().catch(() => connection.disconnect());
    },
  };
}
