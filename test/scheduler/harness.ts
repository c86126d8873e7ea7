import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { getBatch, type BatchInfo } from '../../src/batches/batch-store.ts';
import { scanResults, type ResultRecord } from '../../src/batches/results.ts';
import { parseConfig } from '../../src/config/load.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { createRedis } from '../../src/redis/connection.ts';
import type { Keys } from '../../src/redis/keys.ts';
import { openKeys } from '../../src/redis/shards.ts';
import { withScripts } from '../../src/redis/scripts.ts';
import { startSimulator, type RunningSimulator, type SimulatorConfigInput } from '../../src/simulator/server.ts';
import { startWorker, type RunningWorker } from '../../src/worker/start-worker.ts';
import { jobTypes } from '../../jobs/index.ts';
import { tempDir, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedisUrl } from '../helpers/redis.ts';

export interface Harness {
  redis: Redis;
  keys: Keys;
  prefix: string;
  simulator: RunningSimulator;
  queue: PromptQueues;
  config: ReturnType<typeof parseConfig>;
  workers: RunningWorker[];
  startWorker(): Promise<RunningWorker>;
  submit(lines: string[], batchId?: string): Promise<string>;
  batch(batchId: string): Promise<BatchInfo>;
  results(batchId: string): Promise<ResultRecord[]>;
  close(): Promise<void>;
}

export async function startHarness(options: {
  name: string;
  simulator: SimulatorConfigInput;
  /** The relayq config, given the simulator's URL (redis.prefix is filled in). */
  config: (url: string) => Record<string, unknown>;
  workers?: number;
  /** The Redis (or Redis Cluster) to run on; the test Redis when left out. */
  redisUrl?: string;
  /** Batch shards of the prefix (the default for the Redis when left out). */
  shards?: number;
}): Promise<Harness> {
  const prefix = testPrefix(options.name);
  const redisUrl = options.redisUrl ?? testRedisUrl();
  const redis = withScripts(createRedis(redisUrl));
  // The prefix's shards as the workers will see them (one on a single Redis, six on a cluster).
  const keys = await openKeys(redis, prefix, options.shards);
  const simulator = await startSimulator(options.simulator);
  const raw = options.config(simulator.url);
  const config = parseConfig({ ...raw, redis: { prefix } }, {});
  const queue = new PromptQueues(keys, createRedis(redisUrl));
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  const dir = tempDir(`relayq-${options.name}`);
  let files = 0;
  const harness: Harness = {
    redis,
    keys,
    prefix,
    simulator,
    queue,
    config,
    workers: [],
    async startWorker() {
      const worker = await startWorker(config, redisUrl, logger, jobTypes);
      harness.workers.push(worker);
      return worker;
    },
    async submit(lines, batchId) {
      const file = writePromptFile(dir, lines, `prompts-${(files += 1)}.jsonl`);
      const rejected: string[] = [];
      const report = await submitFile(redis, queue, keys, file, {
        attempts: config.worker.attempts,
        onReject: (reject) => rejected.push(`line ${reject.line}: ${reject.error}`),
        ...(batchId === undefined ? {} : { batchId }),
      });
      if (rejected.length > 0) throw new Error(`the test's prompt file has rejected lines:\n${rejected.join('\n')}`);
      return report.batchId;
    },
    async batch(batchId) {
      const batch = await getBatch(redis, keys, batchId);
      if (batch === null) throw new Error(`no batch ${batchId}`);
      return batch;
    },
    async results(batchId) {
      const found: ResultRecord[] = [];
      for await (const record of scanResults(redis, keys, batchId)) found.push(record);
      return found;
    },
    async close() {
      await Promise.all(harness.workers.map((worker) => worker.close(true)));
      await queue.close();
      await simulator.close();
      await dropPrefix(redis, prefix);
      redis.disconnect();
    },
  };
  for (let index = 0; index < (options.workers ?? 1); index += 1) await harness.startWorker();
  return harness;
}

/** Polls `check` until it holds; fails with `what` after `timeoutMs` (a hang, not a measurement). */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** An Anthropic Message Batches line. */
export function anthropicLine(customId: string, text: string, maxTokens = 64): string {
  return JSON.stringify({
    custom_id: customId,
    params: { model: 'claude-test', max_tokens: maxTokens, messages: [{ role: 'user', content: text }] },
  });
}

/** An OpenAI Batch API line for Chat Completions. */
export function openaiLine(customId: string, text: string): string {
  return JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-4o-mini', max_completion_tokens: 64, messages: [{ role: 'user', content: text }] },
  });
}
