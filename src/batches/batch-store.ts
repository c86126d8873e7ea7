import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { withScripts } from '../redis/scripts.ts';

export type BatchStatus = 'in_progress' | 'completed' | 'failed';

export interface BatchCounts {
  /** Accepted prompts. */
  total: number;
  succeeded: number;
  errored: number;
  /** Accepted prompts without a result yet. */
  pending: number;
  /** Input lines that were rejected (bad JSON, bad body, duplicate custom_id). */
  rejected: number;
}

export interface BatchUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

export interface BatchInfo {
  id: string;
  status: BatchStatus;
  /** The input file's name. */
  source: string;
  /** Still reading input lines ("running") or done. */
  ingest: 'running' | 'done';
  created_at: string;
  completed_at: string | null;
  counts: BatchCounts;
  usage: BatchUsage;
}

export interface RejectedLine {
  line: number;
  custom_id: string | null;
  error: string;
}

export function newBatchId(): string {
  return `batch_${Date.now().toString(36)}${randomBytes(8).toString('hex')}`;
}

export const batchIdPattern = /^batch_[a-z0-9]+$/;

/**
 * Creates the batch record, or reopens an existing one for a resubmission of the same file
 * (its accepted lines and results stay; the rejected-lines report starts afresh).
 */
export async function openBatch(redis: Redis, keys: Keys, id: string, source: string): Promise<void> {
  const now = Date.now();
  await redis
    .multi()
    .hsetnx(keys.batch(id), 'created_at', now)
    .hsetnx(keys.batch(id), 'status', 'in_progress')
    .hset(keys.batch(id), 'id', id, 'source', source, 'ingest', 'running')
    .zadd(keys.batches(), 'NX', now, id)
    .del(keys.batchRejects(id))
    .exec();
  // A completed batch that gets more lines runs again.
  await redis.eval(
    "if redis.call('HGET', KEYS[1], 'status') ~= 'in_progress' then redis.call('HSET', KEYS[1], 'status', 'in_progress'); redis.call('HDEL', KEYS[1], 'completed_at') end",
    1,
    keys.batch(id),
  );
}

export async function recordRejects(redis: Redis, keys: Keys, id: string, rejects: RejectedLine[]): Promise<void> {
  if (rejects.length === 0) return;
  await redis.rpush(keys.batchRejects(id), ...rejects.map((reject) => JSON.stringify(reject)));
}

/** Marks the input as fully read; returns the status after that (completed when nothing is pending). */
export async function finishIngest(redis: Redis, keys: Keys, id: string, rejected: number): Promise<BatchStatus> {
  const status = await withScripts(redis).finishIngest(
    keys.batch(id),
    keys.batchResults(id),
    keys.batchLines(id),
    Date.now(),
    rejected,
  );
  return status as BatchStatus;
}

export async function getBatch(redis: Redis, keys: Keys, id: string): Promise<BatchInfo | null> {
  const [record, total, results] = await Promise.all([
    redis.hgetall(keys.batch(id)),
    redis.hlen(keys.batchLines(id)),
    redis.hlen(keys.batchResults(id)),
  ]);
  if (!record.id) return null;
  const int = (field: string) => Number(record[field] ?? 0);
  const time = (field: string) => (record[field] ? new Date(Number(record[field])).toISOString() : null);
  return {
    id,
    status: (record.status ?? 'in_progress') as BatchStatus,
    source: record.source ?? '',
    ingest: record.ingest === 'done' ? 'done' : 'running',
    created_at: time('created_at') ?? new Date(0).toISOString(),
    completed_at: time('completed_at'),
    counts: {
      total,
      succeeded: int('succeeded'),
      errored: int('errored'),
      pending: Math.max(0, total - results),
      rejected: int('rejected'),
    },
    usage: {
      input_tokens: int('input_tokens'),
      output_tokens: int('output_tokens'),
      cache_read_tokens: int('cache_read_tokens'),
      cache_write_tokens: int('cache_write_tokens'),
    },
  };
}

export async function getRejects(redis: Redis, keys: Keys, id: string): Promise<RejectedLine[]> {
  const items = await redis.lrange(keys.batchRejects(id), 0, -1);
  return items.map((item) => JSON.parse(item) as RejectedLine);
}

export async function listBatchIds(redis: Redis, keys: Keys, limit = 50): Promise<string[]> {
  return redis.zrevrange(keys.batches(), 0, limit - 1);
}
