import { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { createPromptProcessor } from '../../jobs/prompt/processor.ts';
import { promptQueueName } from '../../jobs/prompt/queue.ts';
import type { PromptJob } from '../../jobs/prompt/payload.ts';
import { AccountPool } from '../accounts/pool.ts';
import type { Config } from '../config/schema.ts';
import { createExecutorRegistry } from '../executors/registry.ts';
import { createRedis } from '../redis/connection.ts';
import { createKeys } from '../redis/keys.ts';
import { withScripts } from '../redis/scripts.ts';
import { promptBackoff } from './backoff.ts';

export interface RunningWorker {
  worker: Worker<PromptJob>;
  /** Finishes in-flight jobs, then closes; `force` stops at once (their jobs come back after the lock expires). */
  close(force?: boolean): Promise<void>;
}

/** Starts a prompt worker: BullMQ Worker + executors + the account pool, on the given Redis. */
export async function startWorker(config: Config, redisUrl: string, logger: Logger): Promise<RunningWorker> {
  const keys = createKeys(config.redis.prefix);
  // Result writes from concurrent jobs share socket writes (auto-pipelining): fewer syscalls per prompt.
  const redis = withScripts(createRedis(redisUrl, { enableAutoPipelining: true }));
  const accounts = new AccountPool(config.accounts);
  const executors = createExecutorRegistry({ accounts: () => accounts.all() });
  const processor = createPromptProcessor({ redis, keys, executors, accounts, logger });
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
  let closed = false;
  return {
    worker,
    close: async (force = false) => {
      if (closed) return;
      closed = true;
      await worker.close(force);
      for (const connection of [redis, workerConnection]) await connection.quit().catch(() => connection.disconnect());
    },
  };
}
