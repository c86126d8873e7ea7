import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getBatch } from '../../src/batches/batch-store.ts';
import {
  cancelBatch,
  expireBatch,
  expireIfDue,
  maintainBatches,
  pauseBatch,
  resumeBatch,
  startBatchMaintenance,
  type LifecycleOutcome,
} from '../../src/batches/lifecycle.ts';
import { promptJobId, promptQueueName, type PromptJob } from '../../src/batches/prompt-job.ts';
import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import { getResult, writeResult, type ResultRecord } from '../../src/batches/results.ts';
import type { SweepProgress } from '../../src/batches/sweep.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { withScripts } from '../../src/redis/scripts.ts';
import { anthropicBatchLine, tempDir, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

function succeeded(id: string, line: number): ResultRecord {
  return {
    custom_id: id,
    status: 'succeeded',
    provider: 'anthropic',
    account: 'a',
    model: 'claude-test',
    response: { status_code: 200, body: {} },
    usage: { input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0 },
    attempts: 1,
    latency_ms: 1,
    line,
  };
}

const counts = (over: Partial<Record<'succeeded' | 'cancelled' | 'expired' | 'pending', number>> & { total: number }) => ({
  succeeded: 0,
  errored: 0,
  cancelled: 0,
  expired: 0,
  pending: 0,
  rejected: 0,
  ...over,
});

/**
 * A worker that takes one prompt and holds it (BullMQ locks it: the sweep cannot remove it) until
 * released; it then stores a succeeded result, as the prompt processor would.
 */
function holdingWorker(redis: Redis, keys: Keys, queue: PromptQueues) {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let taken: (job: Job<PromptJob>) => void = () => {};
  const took = new Promise<Job<PromptJob>>((resolve) => {
    taken = resolve;
  });
  const finished: string[] = [];
  const queues = queue.all.map((one) => one.opts.prefix as string);
  const workers = queues.map(
    (prefix) =>
      new Worker<PromptJob>(
        promptQueueName,
        async (job) => {
          taken(job);
          await released;
          await writeResult(redis, keys, job.data.batchId, succeeded(job.data.customId, job.data.line));
          finished.push(job.data.customId);
        },
        { connection: testRedis(), prefix, concurrency: 1, autorun: false },
      ),
  );
  return {
    async take(): Promise<Job<PromptJob>> {
      for (const worker of workers) void worker.run();
      const job = await took;
      // One job held is enough: the others stay in the queue.
      await Promise.all(workers.map((worker) => worker.pause(true).catch(() => {})));
      return job;
    },
    release: () => release(),
    finished,
    async close() {
      release();
      await Promise.all(workers.map((worker) => worker.close()));
    },
  };
}

describe('sweeping a batch with a prompt in flight, and actions that do not apply', () => {
  let redis: Redis;
  let queue: PromptQueues;
  let keys: Keys;
  let prefix: string;
  let closers: (() => Promise<void>)[];

  beforeEach(() => {
    prefix = testPrefix('sweep');
    keys = createKeys(prefix);
    redis = testRedis();
    queue = new PromptQueues(keys, testRedis());
    closers = [];
  });

  afterEach(async () => {
    for (const close of closers) await close();
    await queue.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  async function submitted(n: number, options: { windowMs?: number } = {}) {
    const file = writePromptFile(
      tempDir('relayq-sweep'),
      Array.from({ length: n }, (_, i) => anthropicBatchLine(`p${i}`, `prompt ${i}`)),
    );
    return (await submitFile(redis, queue, keys, file, { attempts: 3, ...options })).batchId;
  }

  function deps() {
    return { redis, keys, queue };
  }

  it('a cancel leaves the running prompt alone, stays cancelling until its result lands, and a second cancel ends it', async () => {
    const id = await submitted(5);
    const worker = holdingWorker(redis, keys, queue);
    closers.push(() => worker.close());
    const job = await worker.take();

    const first = await cancelBatch(deps(), id);
    expect(first).toMatchObject({ changed: true, from: 'in_progress', removed: 4, inFlight: 1 });
    expect(first.batch?.status).toBe('cancelling');
    expect(first.batch?.counts).toEqual(counts({ total: 5, cancelled: 4, pending: 1 }));
    expect(await getResult(redis, keys, id, job.data.customId)).toBeNull();

    worker.release();
    while (worker.finished.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const after = await getBatch(redis, keys, id);
    expect(after?.status).toBe('cancelled');
    expect(after?.counts).toEqual(counts({ total: 5, succeeded: 1, cancelled: 4 }));
    expect(await getResult(redis, keys, id, job.data.customId)).toMatchObject({ status: 'succeeded', line: job.data.line });
    // Ended: a cancel now changes nothing.
    expect(await cancelBatch(deps(), id)).toMatchObject({ changed: false, from: 'cancelled', removed: 0, inFlight: 0 });
  });

  it('a cancel that waits looks at the running prompt again until it has its result', async () => {
    const id = await submitted(4);
    const worker = holdingWorker(redis, keys, queue);
    closers.push(() => worker.close());
    await worker.take();
    const passes: SweepProgress[] = [];
    setTimeout(() => worker.release(), 300);
    const outcome = await cancelBatch(deps(), id, { waitMs: 10_000, onProgress: (progress) => passes.push(progress) });
    expect(outcome).toMatchObject({ changed: true, from: 'in_progress', removed: 3, inFlight: 0 });
    expect(passes[0]).toEqual({ removed: 3, inFlight: 1 });
    expect(passes.at(-1)).toEqual({ removed: 3, inFlight: 0 });
    expect(passes.length).toBeGreaterThan(1);
    expect(outcome.batch?.status).toBe('cancelled');
    expect(outcome.batch?.counts).toEqual(counts({ total: 4, succeeded: 1, cancelled: 3 }));
  });

  it('a pause parks what waits, not the running prompt, and a resume brings back exactly the parked ones', async () => {
    const id = await submitted(6);
    const worker = holdingWorker(redis, keys, queue);
    closers.push(() => worker.close());
    const job = await worker.take();
    const paused = await pauseBatch(deps(), id);
    expect(paused).toMatchObject({ changed: true, from: 'in_progress', removed: 5, inFlight: 1 });
    expect(await redis.hlen(keys.batchParked(id))).toBe(5);
    expect(await redis.hexists(keys.batchParked(id), job.data.customId)).toBe(0);
    // Pausing a paused batch sweeps again and finds nothing more to park.
    expect(await pauseBatch(deps(), id)).toMatchObject({ changed: true, from: 'paused', removed: 0, inFlight: 1 });

    worker.release();
    while (worker.finished.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const resumed = await resumeBatch(deps(), id);
    expect(resumed).toMatchObject({ changed: true, from: 'paused', removed: 5, inFlight: 0 });
    expect(resumed.batch?.status).toBe('in_progress');
    expect(await queue.getWaitingCount()).toBe(5);
    expect(await queue.getJob(promptJobId(id, job.data.customId))).toBeUndefined();
    expect(resumed.batch?.counts).toEqual(counts({ total: 6, succeeded: 1, pending: 5 }));
  });

  it('a resume that comes while a pause still waits on a running prompt stops the pause and leaves nothing parked', async () => {
    const id = await submitted(3);
    const worker = holdingWorker(redis, keys, queue);
    closers.push(() => worker.close());
    await worker.take();
    let resuming: Promise<LifecycleOutcome> | undefined;
    const paused = await pauseBatch(deps(), id, {
      waitMs: 30_000,
      onProgress: () => {
        resuming ??= resumeBatch(deps(), id);
      },
    });
    // The pause gave up waiting (well before its 30 s) because the batch runs again.
    expect(paused).toMatchObject({ changed: true, from: 'in_progress', removed: 2, inFlight: 1 });
    expect(await resuming).toMatchObject({ changed: true, from: 'paused' });
    expect(await redis.exists(keys.batchParked(id))).toBe(0);
    expect(await queue.getWaitingCount()).toBe(2);
    expect((await getBatch(redis, keys, id))?.status).toBe('in_progress');
  });

  it('actions on a batch in a status they do not apply to change nothing and say where it was', async () => {
    const id = await submitted(2);
    const none = { changed: false, removed: 0, inFlight: 0 };
    expect(await resumeBatch(deps(), id)).toMatchObject({ ...none, from: 'in_progress', batch: { status: 'in_progress' } });
    expect(await cancelBatch(deps(), 'batch_missing')).toEqual({ ...none, from: null, batch: null });
    expect(await expireBatch(deps(), id)).toMatchObject({ changed: true, from: 'in_progress', removed: 2, batch: { status: 'expired' } });
    for (const action of [cancelBatch, expireBatch, pauseBatch]) {
      expect(await action(deps(), id)).toMatchObject({ ...none, from: 'expired', batch: { status: 'expired' } });
    }
    expect(await resumeBatch(deps(), id)).toMatchObject({ ...none, from: 'expired' });
    expect((await getBatch(redis, keys, id))?.counts).toEqual(counts({ total: 2, expired: 2 }));
  });

  it('an expiry whose process died after the batch turned expiring is finished by the next expire, not by a second transition', async () => {
    const id = await submitted(3);
    await withScripts(redis).transitionBatch(keys.batch(id), 'expiring', 'expiring_at', Date.now(), 'in_progress');
    const outcome = await expireBatch(deps(), id);
    expect(outcome).toMatchObject({ changed: true, from: 'expiring', removed: 3, inFlight: 0, batch: { status: 'expired' } });
    expect(outcome.batch?.counts).toEqual(counts({ total: 3, expired: 3 }));
  });

  it('expireIfDue expires only an active or expiring batch whose window has ended', async () => {
    const later = await submitted(1, { windowMs: 3_600_000 });
    const laterBatch = await getBatch(redis, keys, later);
    expect(await expireIfDue(deps(), laterBatch!)).toBe(false);
    expect((await getBatch(redis, keys, later))?.status).toBe('in_progress');
    // No window at all: never due.
    expect(await expireIfDue(deps(), { ...laterBatch!, expires_at: null })).toBe(false);

    const due = await submitted(1, { windowMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const dueBatch = await getBatch(redis, keys, due);
    // A batch that already ended is not expired again, even when its window is over.
    expect(await expireIfDue(deps(), { ...dueBatch!, status: 'completed' })).toBe(false);
    expect((await getBatch(redis, keys, due))?.status).toBe('in_progress');
    // One left expiring by a dead process is carried on.
    await withScripts(redis).transitionBatch(keys.batch(due), 'expiring', 'expiring_at', Date.now(), 'in_progress');
    expect(await expireIfDue(deps(), { ...dueBatch!, status: 'expiring' })).toBe(true);
    expect((await getBatch(redis, keys, due))?.counts).toEqual(counts({ total: 1, expired: 1 }));
  });

  it('maintenance seals a batch that ended within the hour without its event, and leaves older ones alone', async () => {
    const recent = await submitted(1);
    const old = await submitted(1);
    for (const id of [recent, old]) {
      await queue.remove(promptJobId(id, 'p0'));
      await writeResult(redis, keys, id, succeeded('p0', 1));
    }
    // Ended, but the finisher died before sealing: no event id.
    await redis.hdel(keys.batch(recent), 'event_id');
    await redis.hdel(keys.batch(old), 'event_id');
    await redis.hset(keys.batch(old), 'completed_at', Date.now() - 2 * 3_600_000);
    expect((await getBatch(redis, keys, recent))?.event_id).toBeNull();
    expect(await maintainBatches(deps())).toEqual([]);
    expect((await getBatch(redis, keys, recent))?.event_id).toEqual(expect.any(String));
    expect((await getBatch(redis, keys, old))?.event_id).toBeNull();
  });

  it('a cancelling batch with nothing pending is not swept again', async () => {
    const id = await submitted(1);
    await queue.remove(promptJobId(id, 'p0'));
    await withScripts(redis).transitionBatch(keys.batch(id), 'cancelling', 'cancelling_at', Date.now(), 'in_progress');
    await writeResult(redis, keys, id, succeeded('p0', 1));
    expect(await maintainBatches(deps())).toEqual([]);
    expect((await getBatch(redis, keys, id))?.counts).toEqual(counts({ total: 1, succeeded: 1 }));
  });

  it('background maintenance runs every interval, reports its errors, and stop waits for the round in progress', async () => {
    const id = await submitted(2, { windowMs: 1 });
    const errors: unknown[] = [];
    const maintenance = startBatchMaintenance(deps(), { intervalMs: 50, onError: (error) => errors.push(error) });
    while ((await getBatch(redis, keys, id))?.status !== 'expired') await new Promise((resolve) => setTimeout(resolve, 20));
    await maintenance.stop();
    expect(errors).toEqual([]);

    // An index key holding a string: every round fails with WRONGTYPE.
    const notAnIndex = `${prefix}:not-an-index`;
    await redis.set(notAnIndex, 'x');
    const broken = { redis, keys: { ...keys, batches: () => notAnIndex }, queue };
    const failing = startBatchMaintenance(broken, { intervalMs: 20, onError: (error) => errors.push(error) });
    while (errors.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    await failing.stop();
    expect(errors[0]).toBeInstanceOf(Error);
  });
});
