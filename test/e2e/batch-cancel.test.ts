import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBatch } from '../../src/batches/batch-store.ts';
import { cancelBatch } from '../../src/batches/lifecycle.ts';
import { scanResults } from '../../src/batches/results.ts';
import { parseConfig } from '../../src/config/load.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { simulatedAnswer } from '../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { startWorker } from '../../src/worker/start-worker.ts';
import { jobTypes } from '../../jobs/index.ts';
import { anthropicBatchLine, promptText, tempDir, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('cancelling a 5,000-prompt batch in the middle', () => {
  let simulator: RunningSimulator;
  let redis: Redis;
  let queue: PromptQueues;
  const prefix = testPrefix('cancel');
  const keys = createKeys(prefix);

  beforeAll(async () => {
    simulator = await startSimulator({ latencyMs: 15 });
    redis = testRedis();
    queue = new PromptQueues(keys, testRedis());
  });

  afterAll(async () => {
    await queue.close();
    await simulator.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('counts add up exactly, nothing runs after cancelled, and finished results are kept', async () => {
    const total = 5000;
    const file = writePromptFile(
      tempDir('relayq-cancel'),
      Array.from({ length: total }, (_, i) => anthropicBatchLine(`c${i}`, promptText(i))),
    );
    const config = parseConfig(
      {
        redis: { prefix },
        worker: { concurrency: 16 },
        accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-cancel' }],
      },
      {},
    );
    const report = await submitFile(redis, queue, keys, file, { attempts: 3 });
    expect(report.accepted).toBe(total);
    const worker = await startWorker(config, testRedisUrl(), pino({ level: 'silent' }), jobTypes);
    try {
      // In the middle: some prompts done, most still queued.
      await until(async () => ((await getBatch(redis, keys, report.batchId))?.counts.succeeded ?? 0) >= 300);
      const outcome = await cancelBatch({ redis, keys, queue }, report.batchId, { waitMs: 30_000 });
      expect(outcome.changed).toBe(true);
      expect(outcome.inFlight).toBe(0);

      const batch = await getBatch(redis, keys, report.batchId);
      expect(batch?.status).toBe('cancelled');
      const counts = batch!.counts;
      expect(counts.pending).toBe(0);
      expect(counts.succeeded + counts.errored + counts.cancelled).toBe(total);
      expect(counts.succeeded).toBeGreaterThanOrEqual(300);
      expect(counts.cancelled).toBeGreaterThan(total / 2);
      expect(batch!.cancelling_at).not.toBeNull();
      expect(batch!.cancelled_at).not.toBeNull();

      // Nothing is left to run: no job of the batch in any BullMQ state, and upstream saw exactly
      // the prompts that have succeeded results (checked again after a pause for stragglers).
      const requestsAtCancel = simulator.stats().requests;
      expect(await queue.getJobCountByTypes('waiting', 'delayed', 'active', 'prioritized')).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(simulator.stats().requests).toBe(requestsAtCancel);
      expect(simulator.stats().byStatus['200']).toBe(counts.succeeded);

      let succeeded = 0;
      let cancelled = 0;
      for await (const record of scanResults(redis, keys, report.batchId)) {
        if (record.status === 'succeeded') {
          succeeded += 1;
          const n = Number(record.custom_id.slice(1));
          const body = record.response?.body as { content: { text: string }[] };
          expect(body.content[0]?.text).toBe(simulatedAnswer(promptText(n)));
        } else if (record.status === 'cancelled') {
          cancelled += 1;
          expect(record).toMatchObject({ account: null, provider: 'anthropic', model: 'claude-test', error: { kind: 'cancelled' } });
        }
      }
      expect(succeeded).toBe(counts.succeeded);
      expect(cancelled).toBe(counts.cancelled);
    } finally {
      await worker.close();
    }
  });
});
