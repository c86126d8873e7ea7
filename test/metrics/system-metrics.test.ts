/**
 * The whole system's metrics from what is in Redis: results counted once each by storeResults
 * (with their usage and list-price cost), upstream calls, webhook deliveries, queues, batches,
 * accounts and workers; the exposition passes `promtool check metrics`, and two scrapes at
 * once give the same answer.
 */
import { Queue } from 'bullmq';
import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccounts, setAccountEnabled } from '../../src/accounts/state.ts';
import { skippedResult, writeResult, type ResultRecord } from '../../src/batches/results.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { createSystemMetrics } from '../../src/metrics/exposition.ts';
import { countWebhookResult, readResultTotals, readWebhookTotals } from '../../src/metrics/totals.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { webhookQueueName } from '../../src/webhooks/webhook-job.ts';
import { hasPromtool, parseMetrics, promtoolCheck, sumOf, type MetricSample } from '../helpers/metrics.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

const prefix = testPrefix('sysmetrics');
const keys = createKeys(prefix);
const batchId = 'batch_metrics1';
const model = 'claude-sonnet-4-5';

function succeeded(customId: string, usage: ResultRecord['usage']): ResultRecord {
  return {
    custom_id: customId,
    status: 'succeeded',
    provider: 'anthropic',
    account: 'a',
    model,
    response: { status_code: 200, body: {} },
    usage,
    attempts: 1,
    latency_ms: 10,
    line: 1,
  };
}

describe('the system metrics', () => {
  let redis: Redis;
  let config: Config;
  let promptQueue: PromptQueues;
  let webhookQueue: Queue;

  beforeAll(async () => {
    redis = testRedis();
    config = parseConfig(
      {
        redis: { prefix },
        accounts: [
          { id: 'a', provider: 'anthropic', apiKey: 'sk-ant-a', limits: { rpm: 60, concurrency: 4 } },
          { id: 'b', provider: 'openai', apiKey: 'sk-b' },
          { id: 'c', provider: 'anthropic', apiKey: 'sk-ant-c' },
        ],
      },
      {},
    );
    await registerAccounts(redis, keys, config.accounts);
    await setAccountEnabled(redis, keys, 'b', false, 'by hand');
    await redis.hset(keys.accountState('a'), 'cool', Date.now() + 3_600_000, 'infl', 1);

    const usage = { input_tokens: 1000, output_tokens: 200, cache_read_tokens: 100, cache_write_tokens: 50, reasoning_tokens: 20 };
    expect(await writeResult(redis, keys, batchId, succeeded('p1', usage))).toBe('written');
    // The same prompt's result again (a job run twice): counted once.
    expect(await writeResult(redis, keys, batchId, succeeded('p1', usage))).toBe('duplicate');
    // A long prompt: its own prompt size class, for prices by prompt size.
    const long = { input_tokens: 150_000, output_tokens: 10, cache_read_tokens: 0, cache_write_tokens: 0 };
    await writeResult(redis, keys, batchId, succeeded('p2', long));
    await writeResult(redis, keys, batchId, {
      ...succeeded('p3', { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 }),
      status: 'errored',
      provider: 'openai',
      account: null,
      model: 'gpt-4o-mini',
      error: { kind: 'invalid_request', message: 'no account serves it', status_code: null },
    });
    await writeResult(redis, keys, batchId, skippedResult('p4', 'cancelled', 4));

    await redis.hset(keys.metricsUpstream(), 'anthropic|a|200', 2, 'anthropic|a|429', 3, 'openai|b|error', 1);
    await countWebhookResult(redis, keys, 'delivered');
    await countWebhookResult(redis, keys, 'delivered');
    await countWebhookResult(redis, keys, 'failed');

    const now = Date.now();
    await redis.zadd(keys.batches(), 1, 'batch_one', 2, 'batch_two', 3, 'batch_three', 4, 'batch_gone');
    await redis.hset(keys.batch('batch_one'), 'status', 'completed');
    await redis.hset(keys.batch('batch_two'), 'status', 'completed');
    await redis.hset(keys.batch('batch_three'), 'status', 'paused');
    await redis.zadd(keys.schedWorkers(), now, 'worker-alive', now - 60_000, 'worker-gone');

    promptQueue = new PromptQueues(keys, redis);
    webhookQueue = new Queue(webhookQueueName, { connection: redis, prefix: keys.bullPrefix });
    await promptQueue.addBulk([
      { name: 'prompt', data: {}, opts: { jobId: 'j1' } },
      { name: 'prompt', data: {}, opts: { jobId: 'j2' } },
    ]);
  });

  afterAll(async () => {
    await promptQueue.close();
    await webhookQueue.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('reads the results counted by storeResults, once each, with no batch in them', async () => {
    const totals = await readResultTotals(redis, keys);
    expect(totals.prompts.sort((x, y) => x.status.localeCompare(y.status))).toEqual([
      { status: 'cancelled', provider: '', model: '', count: 1 },
      { status: 'errored', provider: 'openai', model: 'gpt-4o-mini', count: 1 },
      { status: 'succeeded', provider: 'anthropic', model, count: 2 },
    ]);
    expect(totals.usage.sort((x, y) => (x.prompt_class ?? '').localeCompare(y.prompt_class ?? ''))).toEqual([
      {
        provider: 'anthropic',
        account: 'a',
        model,
        requests: 1,
        input_tokens: 1000,
        output_tokens: 200,
        cache_read_tokens: 100,
        cache_write_tokens: 50,
        reasoning_tokens: 20,
      },
      {
        provider: 'anthropic',
        account: 'a',
        model,
        prompt_class: '>128000',
        requests: 1,
        input_tokens: 150_000,
        output_tokens: 10,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        reasoning_tokens: 0,
      },
    ]);
    expect(JSON.stringify(await redis.hgetall(keys.metricsResults(keys.shardOf(batchId))))).not.toContain(batchId);
    expect(await readWebhookTotals(redis, keys)).toEqual(
      expect.arrayContaining([
        { result: 'delivered', count: 2 },
        { result: 'failed', count: 1 },
      ]),
    );
  });

  describe('exposed for Prometheus', () => {
    const prices = {
      currency: 'USD' as const,
      models: [{ match: 'claude-sonnet-*', input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }],
    };
    let text: string;
    let samples: MetricSample[];

    beforeAll(async () => {
      const registry = createSystemMetrics({
        redis,
        keys,
        config,
        prices,
        queues: [
          { name: 'prompt', queue: promptQueue },
          { name: 'webhook', queue: webhookQueue },
        ],
      });
      const [first, second] = await Promise.all([registry.metrics(), registry.metrics()]);
      // Two scrapes at once: each counter is set from the totals, never added to twice.
      expect(second).toBe(first);
      text = first;
      samples = parseMetrics(text);
    });

    it('passes promtool check metrics', async (context) => {
      if (!hasPromtool) context.skip('promtool is not installed (Debian package "prometheus")');
      expect(await promtoolCheck(text)).toEqual({ code: 0, output: '' });
    });

    it('has counters for prompts, upstream calls, 429s, tokens, cost and webhook deliveries', () => {
      for (const name of ['prompts', 'upstream_requests', 'upstream_rate_limited', 'tokens', 'cost_usd', 'webhook_deliveries'])
        expect(text).toContain(`# TYPE relayq_${name}_total counter`);
      expect(sumOf(samples, 'relayq_prompts_total')).toBe(4);
      expect(sumOf(samples, 'relayq_prompts_total', { status: 'succeeded', provider: 'anthropic', model })).toBe(2);
      expect(sumOf(samples, 'relayq_prompts_total', { status: 'cancelled', provider: '', model: '' })).toBe(1);
      expect(sumOf(samples, 'relayq_upstream_requests_total', { account: 'a' })).toBe(5);
      expect(sumOf(samples, 'relayq_upstream_requests_total', { account: 'b', code: 'error' })).toBe(1);
      expect(sumOf(samples, 'relayq_upstream_rate_limited_total', { provider: 'anthropic', account: 'a' })).toBe(3);
      const tokens = (type: string) => sumOf(samples, 'relayq_tokens_total', { provider: 'anthropic', account: 'a', model, type });
      expect([tokens('input'), tokens('output'), tokens('cache_read'), tokens('cache_write'), tokens('reasoning')]).toEqual([
        151_000, 210, 100, 50, 20,
      ]);
      const cost = (1000 * 3 + 100 * 0.3 + 50 * 3.75 + 200 * 15 + 150_000 * 3 + 10 * 15) / 1_000_000;
      expect(sumOf(samples, 'relayq_cost_usd_total', { provider: 'anthropic', model })).toBeCloseTo(cost, 9);
      // gpt-4o-mini's only result used no tokens and never ran: nothing to price.
      expect(samples.filter((sample) => sample.name === 'relayq_cost_usd_total')).toHaveLength(1);
      expect(sumOf(samples, 'relayq_webhook_deliveries_total', { result: 'delivered' })).toBe(2);
      expect(sumOf(samples, 'relayq_webhook_deliveries_total', { result: 'failed' })).toBe(1);
    });

    it('has gauges for queue jobs, batches, accounts and workers', () => {
      expect(sumOf(samples, 'relayq_queue_jobs', { queue: 'prompt', state: 'waiting' })).toBe(2);
      expect(samples.filter((sample) => sample.name === 'relayq_queue_jobs' && sample.labels.queue === 'webhook')).toHaveLength(7);
      expect(sumOf(samples, 'relayq_batches', { status: 'completed' })).toBe(2);
      expect(sumOf(samples, 'relayq_batches', { status: 'paused' })).toBe(1);
      expect(sumOf(samples, 'relayq_batches')).toBe(3); // the index entry whose record expired is no batch
      expect(sumOf(samples, 'relayq_account_state', { provider: 'anthropic', account: 'a' })).toBe(1);
      expect(sumOf(samples, 'relayq_account_state', { provider: 'openai', account: 'b' })).toBe(2);
      expect(sumOf(samples, 'relayq_account_state', { provider: 'anthropic', account: 'c' })).toBe(0);
      expect(sumOf(samples, 'relayq_account_capacity_ratio', { account: 'a', dimension: 'requests_per_minute' })).toBe(1);
      expect(sumOf(samples, 'relayq_account_capacity_ratio', { account: 'a', dimension: 'concurrency' })).toBe(0.75);
      // Account c has no limit: no capacity to report.
      expect(samples.some((sample) => sample.name === 'relayq_account_capacity_ratio' && sample.labels.account === 'c')).toBe(false);
      expect(sumOf(samples, 'relayq_account_in_flight', { account: 'a' })).toBe(1);
      expect(sumOf(samples, 'relayq_workers')).toBe(1);
    });
  });
});
