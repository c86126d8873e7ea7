import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getBatch, openBatch, renewIngestLease } from '../../src/batches/batch-store.ts';
import { cancelBatch, expireBatch, maintainBatches } from '../../src/batches/lifecycle.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { withScripts } from '../../src/redis/scripts.ts';
import { anthropicBatchLine, tempDir, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

describe('a batch whose ingest died midway', () => {
  let redis: Redis;
  let queue: PromptQueues;
  let keys: Keys;
  let prefix: string;
  let file: string;

  beforeEach(() => {
    prefix = testPrefix('abandon');
    keys = createKeys(prefix);
    redis = testRedis();
    queue = new PromptQueues(keys, testRedis());
    file = writePromptFile(
      tempDir('relayq-abandon'),
      Array.from({ length: 30 }, (_, i) => anthropicBatchLine(`p${i}`, `prompt ${i}`)),
    );
  });

  afterEach(async () => {
    await queue.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  /** Submits the file through a queue whose connection is lost after the first chunk of 10 lines is written. */
  async function diedMidway(options: { windowMs?: number } = {}): Promise<string> {
    const client = testRedis();
    const doomed = new PromptQueues(keys, client);
    doomed.onError(() => {});
    await expect(
      submitFile(redis, doomed, keys, file, {
        attempts: 1,
        chunkSize: 10,
        ...options,
        onProgress: () => client.disconnect(),
      }),
    ).rejects.toThrow(/closed/);
    await doomed.close().catch(() => {});
    const batchId = (await redis.zrange(keys.batches(), 0, -1))[0] ?? '';
    const batch = await getBatch(redis, keys, batchId);
    expect(batch).toMatchObject({ status: 'in_progress', ingest: 'stopped' });
    // Lines accepted whose jobs never came.
    expect(await queue.getWaitingCount()).toBeLessThan(batch?.counts.total ?? 0);
    return batchId;
  }

  it('can be cancelled: every accepted line gets its cancelled result and the batch ends', async () => {
    const id = await diedMidway();
    const outcome = await cancelBatch({ redis, keys, queue }, id, { waitMs: 2_000 });
    const total = outcome.batch?.counts.total ?? 0;
    expect(outcome).toMatchObject({
      changed: true,
      inFlight: 0,
      batch: { status: 'cancelled', ingest: 'done' },
    });
    expect(outcome.batch?.counts).toEqual({
      total: total,
      succeeded: 0,
      errored: 0,
      cancelled: total,
      expired: 0,
      pending: 0,
      rejected: 0,
    });
    expect(await queue.getWaitingCount()).toBe(0);
  });

  it('can be resumed: a second submit of the file enqueues the lines that lost their jobs', async () => {
    const id = await diedMidway();
    const report = await submitFile(redis, queue, keys, file, { attempts: 1, batchId: id });
    expect(report.accepted + report.alreadyAccepted).toBe(30);
    expect(await queue.getWaitingCount()).toBe(30);
    const batch = await getBatch(redis, keys, id);
    expect(batch).toMatchObject({ status: 'in_progress', ingest: 'done' });
    expect(batch?.counts).toEqual({ total: 30, succeeded: 0, errored: 0, cancelled: 0, expired: 0, pending: 30, rejected: 0 });
  });

  it('can be expired', async () => {
    const id = await diedMidway();
    const outcome = await expireBatch({ redis, keys, queue }, id, { waitMs: 2_000 });
    expect(outcome.batch?.status).toBe('expired');
    const total = outcome.batch?.counts.total ?? 0;
    expect(total).toBeGreaterThan(0);
    expect(outcome.batch?.counts).toEqual({
      total: total,
      succeeded: 0,
      errored: 0,
      cancelled: 0,
      expired: total,
      pending: 0,
      rejected: 0,
    });
  });

  it('a cancel leaves the lines of a submit still reading to it, and ends the batch once that submit is gone', async () => {
    const id = 'batch_live';
    await openBatch(redis, keys, id, { source: 'x.jsonl', ingestLeaseMs: 60_000 });
    // The submit recorded two lines and is about to enqueue them.
    await withScripts(redis).acceptLines(keys.batchLines(id), keys.batchResults(id), keys.batch(id), Date.now(), 'a', 1, 'b', 2);
    await renewIngestLease(redis, keys, id);
    const outcome = await cancelBatch({ redis, keys, queue }, id);
    expect(outcome).toMatchObject({ changed: true, batch: { status: 'cancelling' } });
    expect(outcome.batch?.counts).toEqual({ total: 2, succeeded: 0, errored: 0, cancelled: 0, expired: 0, pending: 2, rejected: 0 });
    // The submit died without finishing: its lease is gone (as when it runs out).
    await redis.del(keys.batchIngest(id));
    expect(await maintainBatches({ redis, keys, queue })).toContain(id);
    const ended = await getBatch(redis, keys, id);
    expect(ended).toMatchObject({ status: 'cancelled', ingest: 'done' });
    expect(ended?.counts).toEqual({ total: 2, succeeded: 0, errored: 0, cancelled: 2, expired: 0, pending: 0, rejected: 0 });
  });
});
