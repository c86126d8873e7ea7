import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBatch } from '../../src/batches/batch-store.ts';
import { parseConfig } from '../../src/config/load.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { loadPrices } from '../../src/usage/prices.ts';
import { buildUsageReport } from '../../src/usage/report.ts';
import { readBatchUsage, readDailyUsage } from '../../src/usage/usage-store.ts';
import { startWorker } from '../../src/worker/start-worker.ts';
import { jobTypes } from '../../jobs/index.ts';
import { promptText, tempDir, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

const keysByAccount = { claude: 'sk-ant-usage', gpt: 'sk-openai-usage', gemini: 'gemini-usage' } as const;

function line(i: number): string {
  const text = promptText(i);
  if (i % 3 === 0)
    return JSON.stringify({
      custom_id: `u${i}`,
      body: { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: text }] },
    });
  if (i % 3 === 1)
    return JSON.stringify({
      custom_id: `u${i}`,
      provider: 'openai',
      body: { model: 'gpt-4o-mini', max_completion_tokens: 100, messages: [{ role: 'user', content: text }] },
    });
  return JSON.stringify({
    custom_id: `u${i}`,
    provider: 'gemini',
    model: 'gemini-2.5-flash',
    body: { contents: [{ role: 'user', parts: [{ text }] }], generationConfig: { maxOutputTokens: 100 } },
  });
}

describe('usage after a mixed-provider batch with retries and 429s', () => {
  let simulator: RunningSimulator;
  let redis: Redis;
  let queue: PromptQueues;
  const prefix = testPrefix('usage');
  const keys = createKeys(prefix);

  beforeAll(async () => {
    // Every fifth request a 429 (retry-after 1 s), every tenth an overload: most prompts need a retry or two.
    simulator = await startSimulator({
      latencyMs: 1,
      faults: { seed: 7, rateLimitRate: 0.2, overloadedRate: 0.1, rateLimitRetryAfterSeconds: 1 },
    });
    redis = testRedis();
    queue = new PromptQueues(keys, testRedis());
  });

  afterAll(async () => {
    await queue.close();
    await simulator.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('counts every billed token once, per account and in total', async () => {
    const total = 90;
    const file = writePromptFile(
      tempDir('relayq-usage'),
      Array.from({ length: total }, (_, i) => line(i)),
    );
    const config = parseConfig(
      {
        redis: { prefix },
        worker: { concurrency: 32, attempts: 10 },
        accounts: [
          { id: 'claude', provider: 'anthropic', baseUrl: simulator.url, apiKey: keysByAccount.claude },
          { id: 'gpt', provider: 'openai', baseUrl: simulator.url, apiKey: keysByAccount.gpt },
          { id: 'gemini', provider: 'gemini', baseUrl: `${simulator.url}/v1beta`, apiKey: keysByAccount.gemini },
        ],
      },
      {},
    );
    const report = await submitFile(redis, queue, keys, file, { attempts: 10 });
    expect(report.accepted).toBe(total);
    const worker = await startWorker(config, testRedisUrl(), pino({ level: 'silent' }), jobTypes);
    try {
      for (;;) {
        const batch = await getBatch(redis, keys, report.batchId);
        if (batch?.status === 'completed') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await worker.close();
    }
    const batch = await getBatch(redis, keys, report.batchId);
    const stats = simulator.stats();
    expect(batch?.counts).toEqual({ total: total, succeeded: total, errored: 0, cancelled: 0, expired: 0, pending: 0, rejected: 0 });
    // The faults did happen, and were retried.
    expect(stats.byStatus['429'] ?? 0).toBeGreaterThan(0);
    expect(stats.requests).toBeGreaterThan(total);
    // Attempts recorded on results never exceed the extra upstream requests (a 429 the scheduler
    // absorbs need not cost an attempt).
    expect(batch!.retries).toBeLessThanOrEqual(stats.requests - total);

    const daily = buildUsageReport(await readDailyUsage(redis, keys, Date.now() - 24 * 3600 * 1000), 'account', await loadPrices());
    expect(daily.total).toMatchObject({
      requests: total,
      input_tokens: stats.totals.inputTokens,
      output_tokens: stats.totals.outputTokens,
    });
    for (const [account, key] of Object.entries(keysByAccount)) {
      const group = daily.groups.find((entry) => entry.key === account);
      const upstream = stats.byKey[key];
      expect(group).toMatchObject({
        requests: upstream?.succeeded,
        input_tokens: upstream?.inputTokens,
        output_tokens: upstream?.outputTokens,
      });
      expect(group?.cost).toBeGreaterThan(0);
    }
    const perBatch = buildUsageReport(await readBatchUsage(redis, keys, [batch!]), 'model', await loadPrices());
    expect(perBatch.groups.map((group) => group.key).sort()).toEqual(['claude-sonnet-4-5', 'gemini-2.5-flash', 'gpt-4o-mini']);
    expect(perBatch.total).toMatchObject({ input_tokens: stats.totals.inputTokens, output_tokens: stats.totals.outputTokens });
    expect(batch!.usage).toMatchObject({ input_tokens: stats.totals.inputTokens, output_tokens: stats.totals.outputTokens });
  });
});
