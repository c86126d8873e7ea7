/** The prompt queues of a sharded prefix, used like one queue: each job in the queue its id hashes to. */
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

describe('the prompt queues', () => {
  const prefix = testPrefix('prompt-queues');
  const keys = createKeys(prefix, 3);
  let redis: Redis;
  let queues: PromptQueues;

  beforeAll(() => {
    redis = testRedis();
    queues = new PromptQueues(keys, redis);
  });

  afterAll(async () => {
    await queues.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('puts each job in the queue its id hashes to, and finds, counts and removes it there', async () => {
    expect(queues.all.map((queue) => queue.opts.prefix)).toEqual(keys.promptQueuePrefixes);
    expect(queues.all.map((queue) => queue.name)).toEqual(['prompt', 'prompt', 'prompt']);
    const ids = Array.from({ length: 30 }, (_, i) => `batch_x.job${i}`);
    await queues.addBulk(ids.map((jobId, i) => ({ name: 'prompt', data: { i }, opts: { jobId, delay: i < 3 ? 60_000 : 0 } })));
    const perQueue = await Promise.all(queues.all.map((queue) => queue.getJobCountByTypes('waiting', 'delayed')));
    expect(perQueue).toEqual([0, 1, 2].map((index) => ids.filter((id) => keys.queueOf(id) === index).length));
    expect(perQueue.every((count) => count > 0)).toBe(true);
    for (const id of ids) {
      expect(queues.forJob(id)).toBe(queues.all[keys.queueOf(id)]);
      expect((await queues.getJob(id))?.data).toEqual({ i: ids.indexOf(id) });
    }
    expect(await queues.getWaitingCount()).toBe(27);
    expect(await queues.getJobCountByTypes('delayed')).toBe(3);
    expect(await queues.getJobCountByTypes('waiting', 'delayed')).toBe(30);
    expect(await queues.getJobCounts('waiting', 'delayed', 'active')).toEqual({ waiting: 27, delayed: 3, active: 0 });
    expect(await queues.getActiveCount()).toBe(0);
    expect(await queues.getFailedCount()).toBe(0);
    expect(await queues.remove(ids[5] as string)).toBe(1);
    expect(await queues.getJob(ids[5] as string)).toBeUndefined();
    expect(await queues.getWaitingCount()).toBe(26);
    await queues.obliterate({ force: true });
    expect(await queues.getJobCountByTypes('waiting', 'delayed')).toBe(0);
  });

  it("counts active and failed jobs over the queues, passes every queue's errors on, and closes them all", async () => {
    // Two jobs of the first queue: a worker there fails one and holds the other.
    const ids = Array.from({ length: 100 }, (_, i) => `batch_y.job${i}`).filter((id) => keys.queueOf(id) === 0);
    const [failing, held] = ids as [string, string];
    let release = () => {};
    const holding = new Promise<void>((resolve) => {
      release = resolve;
    });
    const connection = redis.duplicate();
    const worker = new Worker(
      'prompt',
      async (job) => {
        if (job.id === failing) throw new Error('failed on purpose');
        await holding;
      },
      { connection, prefix: keys.promptQueuePrefixes[0], concurrency: 2 },
    );
    try {
      await queues.addBulk([
        { name: 'prompt', data: {}, opts: { jobId: failing } },
        { name: 'prompt', data: {}, opts: { jobId: held } },
      ]);
      for (let tries = 0; tries < 100 && ((await queues.getFailedCount()) < 1 || (await queues.getActiveCount()) < 1); tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect([await queues.getActiveCount(), await queues.getFailedCount()]).toEqual([1, 1]);
    } finally {
      release();
      await worker.close();
      connection.disconnect();
    }
    const errors: string[] = [];
    const other = new PromptQueues(keys, redis);
    other.onError((error) => errors.push(error.message));
    for (const [index, queue] of other.all.entries()) queue.emit('error', new Error(`queue ${index}`));
    expect(errors).toEqual(['queue 0', 'queue 1', 'queue 2']);
    expect(other.all.map((queue) => queue.closing)).toEqual([undefined, undefined, undefined]);
    await other.close();
    expect(other.all.every((queue) => queue.closing instanceof Promise)).toBe(true);
  });

  it('is one queue under {prefix} with one shard', async () => {
    const single = createKeys(prefix);
    const one = new PromptQueues(single, redis);
    try {
      expect(one.all.map((queue) => queue.opts.prefix)).toEqual([`{${prefix}}`]);
      await one.addBulk([{ name: 'prompt', data: {}, opts: { jobId: 'a' } }]);
      expect(await one.all[0]?.getWaitingCount()).toBe(1);
      await one.obliterate({ force: true });
    } finally {
      await one.close();
    }
  });
});
