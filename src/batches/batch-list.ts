/**
 * Batches by their indexes: the newest first, pages of them (for a tenant or all), and the delete
 * of an ended batch with its index entries. The records themselves are read and written in
 * batch-store.ts.
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { batchDataKeys, batchFromRecord, type BatchInfo } from './batch-store.ts';

export async function listBatchIds(redis: Redis, keys: Keys, limit = 50): Promise<string[]> {
  return redis.zrevrange(keys.batches(), 0, limit - 1);
}

/** The newest batches first, with their records; ids whose records expired are dropped from the index. */
export async function listBatches(redis: Redis, keys: Keys, options: { limit?: number; since?: number } = {}): Promise<BatchInfo[]> {
  const limit = options.limit ?? 50;
  const ids =
    options.since === undefined
      ? await redis.zrevrange(keys.batches(), 0, limit - 1)
      : await redis.zrevrangebyscore(keys.batches(), '+inf', options.since, 'LIMIT', 0, limit);
  if (ids.length === 0) return [];
  return readBatches(redis, keys, keys.batches(), ids);
}

export interface BatchPageOptions {
  /** Only this tenant's batches; every batch when left out. */
  tenant?: string;
  limit: number;
  /** Batches older than this one (the next page). */
  after?: string;
  /** Batches newer than this one (the page before). */
  before?: string;
}

/**
 * One page of batches, newest first (ids are time-ordered, the index is scored by creation
 * time): `after` pages towards older batches, `before` towards newer ones. `hasMore`: there are
 * batches beyond the page in the direction it went. Ids whose records expired are dropped from
 * the index as they are met.
 */
export async function listBatchPage(
  redis: Redis,
  keys: Keys,
  options: BatchPageOptions,
): Promise<{ batches: BatchInfo[]; hasMore: boolean }> {
  const index = options.tenant === undefined ? keys.batches() : keys.tenantBatches(options.tenant);
  const limit = Math.max(1, options.limit);
  const towardsNewer = options.before !== undefined && options.after === undefined;
  const cursor = towardsNewer ? options.before : options.after;
  // Ranks in newest-first order: `start` is the first rank of the page (older: counting up; newer: down).
  let start = 0;
  if (cursor !== undefined) {
    const rank = await redis.zrevrank(index, cursor);
    if (rank !== null) start = towardsNewer ? rank - 1 : rank + 1;
    else {
      // The cursor batch is gone: place it by the time in its id.
      const ms = batchIdTime(cursor);
      if (ms === null) return { batches: [], hasMore: false };
      start = towardsNewer ? (await redis.zcount(index, `(${ms}`, '+inf')) - 1 : await redis.zcount(index, `(${ms}`, '+inf');
    }
  }
  const batches: BatchInfo[] = [];
  let hasMore = false;
  while (batches.length < limit) {
    const want = limit - batches.length + 1;
    let ids: string[];
    if (towardsNewer) {
      if (start < 0) break;
      const from = Math.max(0, start - want + 1);
      ids = (await redis.zrevrange(index, from, start)).reverse();
      start = from - 1;
    } else {
      ids = await redis.zrevrange(index, start, start + want - 1);
    }
    if (ids.length === 0) break;
    const found = await readBatches(redis, keys, index, ids);
    // Going older, the ids dropped from the index move the ranks after them up.
    if (!towardsNewer) start += found.length;
    for (const batch of found) {
      if (batches.length < limit) batches.push(batch);
      else hasMore = true;
    }
    if (hasMore || ids.length < want) break;
  }
  if (!hasMore && batches.length === limit) {
    hasMore = towardsNewer ? start >= 0 : (await redis.zcard(index)) > start;
  }
  if (towardsNewer) batches.reverse();
  return { batches, hasMore };
}

/** The creation time (ms) a batch id carries; null for a string that is no batch id. */
export function batchIdTime(id: string): number | null {
  const match = /^batch_([a-z0-9]{8})[0-9a-f]{16}$/.exec(id);
  if (!match?.[1]) return null;
  const ms = Number.parseInt(match[1], 36);
  return Number.isFinite(ms) ? ms : null;
}

/** The records of these ids, in order; ids whose records are gone are removed from `index`. */
async function readBatches(redis: Redis, keys: Keys, index: string, ids: string[]): Promise<BatchInfo[]> {
  // Batches live in different shards (on a cluster, different masters): one request each, all sent at once.
  const replies = await Promise.all(
    ids.map((id) => Promise.all([redis.hgetall(keys.batch(id)), redis.hlen(keys.batchResults(id)), redis.exists(keys.batchIngest(id))])),
  );
  const batches: BatchInfo[] = [];
  const gone: string[] = [];
  ids.forEach((id, position) => {
    const [record, results, leasedCount] = replies[position] ?? [{}, 0, 0];
    const leased = leasedCount === 1;
    if (!record?.id) gone.push(id);
    else batches.push(batchFromRecord(id, record, results, leased));
  });
  if (gone.length > 0) await redis.zrem(index, ...gone);
  return batches;
}

/**
 * Deletes an ended batch: its record, results and indexes (the tenant's list, the source file's
 * entry). Its usage stays counted (what was spent was spent). False when there was no such batch.
 */
export async function deleteBatch(redis: Redis, keys: Keys, batch: Pick<BatchInfo, 'id' | 'tenant' | 'source_path'>): Promise<boolean> {
  // The batch's keys (its shard), then its index entries (the control tag).
  const deleted = await redis.del(
    keys.batch(batch.id),
    ...batchDataKeys(keys, batch.id),
    keys.batchIngest(batch.id),
    keys.batchOrder(batch.id),
  );
  const tx = redis.multi().zrem(keys.batches(), batch.id);
  if (batch.tenant !== null) tx.zrem(keys.tenantBatches(batch.tenant), batch.id);
  // The source file's entry goes only if it still names this batch (a later submit may have taken it).
  if (batch.source_path !== null && (await redis.hget(keys.batchSources(), batch.source_path)) === batch.id)
    tx.hdel(keys.batchSources(), batch.source_path);
  const replies = (await tx.exec()) ?? [];
  for (const [error] of replies) if (error) throw error;
  return deleted > 0;
}
