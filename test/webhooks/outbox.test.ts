import { Queue } from 'bullmq';
import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookQueueName } from '../../jobs/webhook/queue.ts';
import { finalizeBatch, newBatchId, openBatch } from '../../src/batches/batch-store.ts';
import { maintainBatches } from '../../src/batches/lifecycle.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { drainOutbox } from '../../src/webhooks/outbox.ts';
import type { WebhookJob } from '../../src/webhooks/webhook-job.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

describe('the webhook outbox', () => {
  let redis: Redis;
  let prompts: PromptQueues;
  let hooks: Queue<WebhookJob>;
  const prefix = testPrefix('outbox');
  const keys = createKeys(prefix);

  beforeAll(() => {
    redis = testRedis();
    prompts = new PromptQueues(keys, testRedis());
    hooks = new Queue<WebhookJob>(webhookQueueName, { connection: testRedis(), prefix: keys.bullPrefix });
  });

  afterAll(async () => {
    await prompts.close();
    await hooks.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('a batch that ended without being sealed gets its one event from maintenance; queueing it twice adds one job', async () => {
    const id = newBatchId();
    await openBatch(redis, keys, id, { source: 'x.jsonl' });
    // Its finisher died right after the result script ended it, before sealing it.
    await redis.hset(keys.batch(id), 'status', 'cancelled', 'cancelled_at', Date.now(), 'ingest', 'done');
    expect(await redis.zcard(keys.webhookOutbox(keys.shardOf(id)))).toBe(0);
    await maintainBatches({ redis, keys, queue: prompts });
    const eventId = await redis.hget(keys.batch(id), 'event_id');
    expect(eventId).toMatch(/^evt_/);
    expect(await redis.zrange(keys.webhookOutbox(keys.shardOf(id)), 0, -1)).toEqual([`${id}|${eventId}`]);
    // Sealing again, from any number of callers, makes no second event.
    await Promise.all([finalizeBatch(redis, keys, id), finalizeBatch(redis, keys, id), maintainBatches({ redis, keys, queue: prompts })]);
    expect(await redis.hget(keys.batch(id), 'event_id')).toBe(eventId);
    expect(await redis.zcard(keys.webhookOutbox(keys.shardOf(id)))).toBe(1);

    expect(await drainOutbox(redis, keys, hooks)).toBe(1);
    // A pump that died after queueing, before clearing its entry: the next one queues it again.
    await redis.zadd(keys.webhookOutbox(keys.shardOf(id)), Date.now(), `${id}|${eventId}`);
    expect(await drainOutbox(redis, keys, hooks)).toBe(1);
    const jobs = await hooks.getJobs(['waiting', 'delayed', 'active', 'completed']);
    expect(jobs.map((job) => [job.id, job.data])).toEqual([[eventId, { kind: 'event', eventId, batchId: id }]]);
    expect(await redis.zcard(keys.webhookOutbox(keys.shardOf(id)))).toBe(0);
  });
});
