/**
 * relayq's programmatic API (`import { ... } from 'relayq'`, exported by index.ts at the package
 * root, which hands `startWorker` the job types of jobs/): the same batches the command line
 * makes, from code. Every function takes the config `loadConfig` returns and opens its own Redis
 * connections, closing them before it returns (for `startWorker`: on `close()`). Redis is the
 * config's `redis.url` (or REDIS_URL), else 127.0.0.1:6379; the library never starts a
 * redis-server (the command line does, when neither answers).
 *
 *   const config = await loadConfig({ path: 'config/relayq.yaml' });
 *   const worker = await startWorker(config);
 *   const { batchId } = await submit(config, 'prompts.jsonl');
 *   // ... poll getBatch(config, batchId) until its status is terminal, then:
 *   for await (const result of readResults(config, batchId)) console.log(result.custom_id, result.status);
 *   await worker.close();
 */
import { loadConfig as loadConfigFile, type LoadConfigOptions } from './config/load.ts';
import type { Config } from './config/schema.ts';
import type { BatchDefaults, BatchInfo, RejectedLine } from './batches/batch-store.ts';
import type { ResultRecord } from './batches/results.ts';
import type { SubmitProgress, SubmitReport } from './ingest/submit.ts';
import type { Redis } from 'ioredis';
import { PromptQueues } from './batches/prompt-queues.ts';
import { getBatch as readBatch } from './batches/batch-store.ts';
import { resultsInInputOrder, scanResults } from './batches/results.ts';
import { submitFile } from './ingest/submit.ts';
import { createLogger, type Logger } from './log.ts';
import { createRedis } from './redis/connection.ts';
import { localRedisUrl } from './redis/embedded.ts';
import type { Keys } from './redis/keys.ts';
import { openKeys } from './redis/shards.ts';
import { withScripts } from './redis/scripts.ts';
import { startWorker as startPromptWorker } from './worker/start-worker.ts';
import type { JobTypes } from './worker/job-types.ts';

export type { Config, LoadConfigOptions, BatchDefaults, BatchInfo, RejectedLine, ResultRecord, SubmitProgress, SubmitReport, Logger };
export type { BatchStatus } from './batches/status.ts';
export { isTerminal } from './batches/status.ts';
export { ConfigError } from './config/load.ts';
export { WebhookAddressError } from './webhooks/address-guard.ts';
export type { BatchEvent, WebhookEventType } from './webhooks/events.ts';

/**
 * Reads and checks relayq's config: `options.path`, else $RELAYQ_CONFIG, else config/relayq.yaml
 * when present, else the built-in defaults. Throws `ConfigError` naming what is wrong.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<Config> {
  return (await loadConfigFile(options)).config;
}

export interface SubmitOptions {
  /** Resubmit into this batch (lines already accepted are not added twice); a new batch when left out. */
  batchId?: string;
  /** Filled into lines that lack them (provider, model, maxTokens, system). */
  defaults?: BatchDefaults;
  /** Tags kept on the batch record. */
  metadata?: Record<string, string>;
  /** Completion window in ms: what has not run by then is marked expired. */
  windowMs?: number;
  /** Seconds the batch stays in Redis after it ends (default 7 days). */
  retentionSeconds?: number;
  /** Called as lines are read (every chunk of lines). */
  onProgress?: (progress: SubmitProgress) => void;
  /** Called for each line that is rejected (bad JSON, unknown model, ...). */
  onReject?: (reject: RejectedLine) => void;
  /**
   * Callback URLs that get the batch's signed end event (batch.completed, .failed, .cancelled,
   * .expired). Checked against the config's `webhooks` first: a non-public address throws
   * `WebhookAddressError` and no batch is made.
   */
  webhooks?: string[];
}

/**
 * Streams a prompt file (relayq, OpenAI Batch, Anthropic or Gemini batch lines) into a batch and
 * returns once every line is read: the batch id, lines accepted and rejected. The prompts run
 * on whichever workers (`startWorker`, `relayq worker`) use the same Redis and prefix.
 */
export async function submit(config: Config, file: string, options: SubmitOptions = {}): Promise<SubmitReport> {
  const connections = await openConnections(config);
  const queueConnection = connections.open();
  const queue = new PromptQueues(connections.keys, queueConnection);
  try {
    return await submitFile(connections.redis, queue, connections.keys, file, {
      ...options,
      attempts: config.worker.attempts,
      routing: config.routing,
      webhookPolicy: config.webhooks,
    });
  } finally {
    await queue.close();
    await connections.close();
  }
}

/** A batch's status, counts, usage and errors; null when there is no such batch. */
export async function getBatch(config: Config, batchId: string): Promise<BatchInfo | null> {
  const connections = await openConnections(config);
  try {
    return await readBatch(connections.redis, connections.keys, batchId);
  } finally {
    await connections.close();
  }
}

export interface ReadResultsOptions {
  /** `any` (fastest, the default) or `input` (the input file's line order). */
  order?: 'any' | 'input';
}

/**
 * The results stored so far for a batch, one record per custom_id (the records of
 * `relayq results`). Read them once the batch's status is terminal to have all of them.
 */
export async function* readResults(config: Config, batchId: string, options: ReadResultsOptions = {}): AsyncGenerator<ResultRecord> {
  const connections = await openConnections(config);
  try {
    const read = options.order === 'input' ? resultsInInputOrder : scanResults;
    yield* read(connections.redis, connections.keys, batchId);
  } finally {
    await connections.close();
  }
}

export interface StartWorkerOptions {
  /** Where the worker logs (pino); JSON lines on stderr at $LOG_LEVEL (else `info`) when left out. */
  logger?: Logger;
}

export interface RelayqWorker {
  /**
   * Stops taking prompts, lets those in flight finish, then closes its connections; with
   * `force`, stops at once (those prompts go back to the queue when their lock expires).
   */
  close(force?: boolean): Promise<void>;
}

/**
 * Starts a worker in this process: it takes prompts of every batch on the config's Redis and
 * prefix and sends them through the config's accounts, within their rate limits, until closed.
 * `jobs`: the job types it runs (index.ts's `startWorker` passes jobs/index.ts's list).
 */
export async function startWorkerWith(jobs: JobTypes, config: Config, options: StartWorkerOptions = {}): Promise<RelayqWorker> {
  const running = await startPromptWorker(config, redisUrlOf(config), options.logger ?? createLogger(), jobs);
  return { close: (force?: boolean) => running.close(force) };
}

function redisUrlOf(config: Config): string {
  return config.redis.url ?? localRedisUrl;
}

interface Connections {
  /** A connection with relayq's Lua scripts. */
  redis: Redis;
  keys: Keys;
  /** Opens one more connection, closed with the others. */
  open(): Redis;
  close(): Promise<void>;
}

async function openConnections(config: Config): Promise<Connections> {
  const url = redisUrlOf(config);
  const redis = withScripts(createRedis(url));
  const opened: Redis[] = [redis];
  const keys = await openKeys(redis, config.redis.prefix, config.redis.shards).catch((error: unknown) => {
    redis.disconnect();
    throw error;
  });
  return {
    redis,
    keys,
    open: () => {
      const connection = createRedis(url);
      opened.push(connection);
      return connection;
    },
    close: async () => {
      for (const connection of opened) await connection.quit().catch(() => connection.disconnect());
    },
  };
}
