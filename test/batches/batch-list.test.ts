import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchIdTime, deleteBatch, listBatches, listBatchIds, listBatchPage } from '../../src/batches/batch-list.ts';
import { openBatch } from '../../src/batches/batch-store.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

/** A batch id made at `ms` (batch ids start with their creation time in base 36). */
function idAt(ms: number, n: number): string {
  return `batch_${ms.toString(36)}${n.toString(16).padStart(16, '0')}`;
}

describe('listing batches by their indexes', () => {
  let redis: Redis;
  let keys: Keys;
  let prefix: string;
  /** Seven batches, oldest first, one second apart. */
  let ids: string[];
  const base = Date.UTC(2026, 0, 1);

  beforeEach(async () => {
    prefix = testPrefix('blist');
    keys = createKeys(prefix);
    redis = testRedis();
    ids = [];
    for (let i = 0; i < 7; i += 1) {
      const id = idAt(base + i * 1000, i);
      await openBatch(redis, keys, id, {
        source: `f${i}.jsonl`,
        sourcePath: `/in/f${i}.jsonl`,
        ...(i % 2 === 0 ? { tenant: 'acme' } : {}),
      });
      // The index is scored by creation time: the one the id carries.
      await redis.zadd(keys.batches(), base + i * 1000, id);
      if (i % 2 === 0) await redis.zadd(keys.tenantBatches('acme'), base + i * 1000, id);
      ids.push(id);
    }
  });

  afterEach(async () => {
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  const page = async (options: Parameters<typeof listBatchPage>[2]) => {
    const { batches, hasMore } = await listBatchPage(redis, keys, options);
    return { ids: batches.map((batch) => ids.indexOf(batch.id)), hasMore };
  };

  it('pages towards older batches with after, and towards newer ones with before', async () => {
    expect(await page({ limit: 3 })).toEqual({ ids: [6, 5, 4], hasMore: true });
    expect(await page({ limit: 3, after: ids[4] })).toEqual({ ids: [3, 2, 1], hasMore: true });
    expect(await page({ limit: 3, after: ids[1] })).toEqual({ ids: [0], hasMore: false });
    // A page that ends exactly at the oldest batch has nothing more.
    expect(await page({ limit: 3, after: ids[3] })).toEqual({ ids: [2, 1, 0], hasMore: false });
    expect(await page({ limit: 3, after: ids[0] })).toEqual({ ids: [], hasMore: false });

    expect(await page({ limit: 3, before: ids[0] })).toEqual({ ids: [3, 2, 1], hasMore: true });
    expect(await page({ limit: 3, before: ids[3] })).toEqual({ ids: [6, 5, 4], hasMore: false });
    expect(await page({ limit: 3, before: ids[4] })).toEqual({ ids: [6, 5], hasMore: false });
    expect(await page({ limit: 3, before: ids[6] })).toEqual({ ids: [], hasMore: false });
    // Both given: after wins.
    expect(await page({ limit: 2, after: ids[5], before: ids[1] })).toEqual({ ids: [4, 3], hasMore: true });
    // A limit below one still returns one.
    expect(await page({ limit: 0 })).toEqual({ ids: [6], hasMore: true });
    expect(await page({ limit: 7 })).toEqual({ ids: [6, 5, 4, 3, 2, 1, 0], hasMore: false });
    expect(await page({ limit: 6 })).toEqual({ ids: [6, 5, 4, 3, 2, 1], hasMore: true });
  });

  it("a tenant's pages hold only its batches", async () => {
    expect(await page({ limit: 2, tenant: 'acme' })).toEqual({ ids: [6, 4], hasMore: true });
    expect(await page({ limit: 2, tenant: 'acme', after: ids[4] })).toEqual({ ids: [2, 0], hasMore: false });
    expect(await page({ limit: 2, tenant: 'acme', before: ids[2] })).toEqual({ ids: [6, 4], hasMore: false });
    expect(await page({ limit: 2, tenant: 'other' })).toEqual({ ids: [], hasMore: false });
  });

  it('drops index entries whose records expired and fills the page from the batches after them', async () => {
    await redis.del(keys.batch(ids[5] as string), keys.batch(ids[4] as string));
    expect(await page({ limit: 3 })).toEqual({ ids: [6, 3, 2], hasMore: true });
    expect(await redis.zscore(keys.batches(), ids[5] as string)).toBeNull();
    expect(await redis.zcard(keys.batches())).toBe(5);
    expect(await page({ limit: 3, after: ids[2] })).toEqual({ ids: [1, 0], hasMore: false });

    await redis.del(keys.batch(ids[1] as string));
    // Going newer, a gone record is skipped too.
    expect(await page({ limit: 2, before: ids[0] })).toEqual({ ids: [3, 2], hasMore: true });
  });

  it('places a cursor whose batch is gone by the time in its id; a cursor that is no batch id gives an empty page', async () => {
    const gone = ids[4] as string;
    await redis.zrem(keys.batches(), gone);
    await redis.del(keys.batch(gone));
    expect(await page({ limit: 2, after: gone })).toEqual({ ids: [3, 2], hasMore: true });
    expect(await page({ limit: 2, before: gone })).toEqual({ ids: [6, 5], hasMore: false });
    expect(await page({ limit: 2, before: ids[3] })).toEqual({ ids: [6, 5], hasMore: false });
    expect(await page({ limit: 2, after: 'not-a-batch' })).toEqual({ ids: [], hasMore: false });
    expect(await page({ limit: 2, before: 'batch_zz' })).toEqual({ ids: [], hasMore: false });
  });

  it('lists the newest batches, or those made since a time', async () => {
    expect(await listBatchIds(redis, keys, 2)).toEqual([ids[6], ids[5]]);
    expect((await listBatchIds(redis, keys)).length).toBe(7);
    expect((await listBatches(redis, keys, { limit: 3 })).map((batch) => batch.id)).toEqual([ids[6], ids[5], ids[4]]);
    expect((await listBatches(redis, keys, { since: base + 4000 })).map((batch) => batch.id)).toEqual([ids[6], ids[5], ids[4]]);
    expect((await listBatches(redis, keys, { since: base + 4001, limit: 1 })).map((batch) => batch.id)).toEqual([ids[6]]);
    expect(await listBatches(redis, keys, { since: base + 10_000 })).toEqual([]);
    await redis.del(keys.batch(ids[6] as string));
    expect((await listBatches(redis, keys, { limit: 2 })).map((batch) => batch.id)).toEqual([ids[5]]);
  });

  it('reads the creation time from a batch id', () => {
    expect(batchIdTime(idAt(base, 1))).toBe(base);
    expect(batchIdTime(`${idAt(base, 1)}0`)).toBeNull();
    expect(batchIdTime(`x${idAt(base, 1)}`)).toBeNull();
    expect(batchIdTime('batch_ABCDEFGH0000000000000000')).toBeNull();
    expect(batchIdTime('batch_')).toBeNull();
  });

  it('deletes a batch with its index entries, and its source entry only while that still names it', async () => {
    const [first, second, third] = ids as [string, string, string];
    await redis.hset(keys.batchResults(first), 'p0', '{}');
    expect(await deleteBatch(redis, keys, { id: first, tenant: 'acme', source_path: '/in/f0.jsonl' })).toBe(true);
    expect(await redis.exists(keys.batch(first), keys.batchResults(first))).toBe(0);
    expect(await redis.zscore(keys.batches(), first)).toBeNull();
    expect(await redis.zscore(keys.tenantBatches('acme'), first)).toBeNull();
    expect(await redis.hget(keys.batchSources(), '/in/f0.jsonl')).toBeNull();
    expect(await redis.zcard(keys.tenantBatches('acme'))).toBe(3);

    // A later submit of the same file took the source entry: it stays.
    await redis.hset(keys.batchSources(), '/in/f1.jsonl', third);
    expect(await deleteBatch(redis, keys, { id: second, tenant: null, source_path: '/in/f1.jsonl' })).toBe(true);
    expect(await redis.hget(keys.batchSources(), '/in/f1.jsonl')).toBe(third);
    expect(await redis.zcard(keys.batches())).toBe(5);

    expect(await deleteBatch(redis, keys, { id: second, tenant: null, source_path: null })).toBe(false);
    expect(await deleteBatch(redis, keys, { id: third, tenant: 'acme', source_path: null })).toBe(true);
    expect(await redis.hget(keys.batchSources(), '/in/f2.jsonl')).toBe(third);
  });
});
