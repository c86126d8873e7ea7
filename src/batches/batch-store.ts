import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { withScripts } from '../redis/scripts.ts';
import { batchStatuses, isTerminal, type BatchStatus } from './status.ts';

export { batchStatuses, isTerminal, type BatchStatus };

export interface BatchCounts {
  /** Accepted prompts. */
  total: number;
  succeeded: number;
  errored: number;
  cancelled: number;
  expired: number;
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
  reasoning_tokens: number;
}

/** Batch-level defaults given at submit (`--model`, `--max-tokens`, ...), applied to lines that lack them. */
export interface BatchDefaults {
  provider?: string;
  model?: string;
  maxTokens?: number;
  system?: string;
}

export interface BatchInfo {
  id: string;
  status: BatchStatus;
  /** The tenant of the API key that made it (`relayq server`); null for a batch made with the command line. */
  tenant: string | null;
  /** The input file's name, and its absolute path (what `retry` and `--resume` read again). */
  source: string;
  source_path: string | null;
  /** The input line format, detected from the file: native, openai-batch, anthropic-batch, gemini-batch. */
  input_format: string | null;
  /**
   * Input lines still being read ("running"), all read ("done"), or "stopped": the submit reading
   * them died midway (its ingest lease ran out); `submit --resume` reads on, a cancel ends the batch.
   */
  ingest: 'running' | 'done' | 'stopped';
  created_at: string;
  started_at: string | null;
  paused_at: string | null;
  finalizing_at: string | null;
  completed_at: string | null;
  failed_at: string | null;
  cancelling_at: string | null;
  cancelled_at: string | null;
  /** End of the completion window (`--window`); null when the batch has none. */
  expires_at: string | null;
  expired_at: string | null;
  counts: BatchCounts;
  usage: BatchUsage;
  /** Errored results by error kind. */
  errors: Record<string, number>;
  /**
   * Failed upstream calls that were tried again, by error kind (429s are `rate_limited`): those
   * retried after a backoff (an attempt spent) and those an account refused (429, 401/403) that
   * went straight back to scheduling (no attempt spent).
   */
  attempt_errors: Record<string, number>;
  /** Attempts beyond the first, over all results. */
  retries: number;
  metadata: Record<string, string>;
  /** Callback URLs given at submit (`--webhook`); registered endpoints come on top. */
  webhooks: string[];
  /** The webhook event of the batch's end, once it ended. */
  event_id: string | null;
  defaults: BatchDefaults;
  /** Seconds the batch's keys stay in Redis after it ends. */
  retention_s: number;
}

export interface RejectedLine {
  line: number;
  custom_id: string | null;
  error: string;
}

export function newBatchId(): string {
  return `batch_${Date.now().toString(36)}${randomBytes(8).toString('hex')}`;
}

/**
 * A new batch id in the next shard, round robin (a counter in Redis), so batches made one after
 * another land in different shards, and on a cluster on different masters, rather than where
 * random ids happen to hash to. Ids are drawn until one hashes to that shard (a few draws).
 */
export async function newShardedBatchId(redis: Redis, keys: Keys): Promise<string> {
  if (keys.shards === 1) return newBatchId();
  const shard = (await redis.incr(keys.batchSequence())) % keys.shards;
  for (;;) {
    const id = newBatchId();
    if (keys.shardOf(id) === shard) return id;
  }
}

/** The id of the webhook event of a batch's end (given when the batch ends, see finalizeBatch). */
export function newEventId(): string {
  return `evt_${randomBytes(12).toString('hex')}`;
}

export const batchIdPattern = /^batch_[a-z0-9]+$/;

/** How long a finished batch's results stay in Redis unless the submit says otherwise. */
export const defaultRetentionSeconds = 7 * 24 * 3600;

/** Every key of a batch but the record itself, in the order the finalize and reopen scripts take them. */
export function batchDataKeys(keys: Keys, id: string): string[] {
  return [
    keys.batchLines(id),
    keys.batchResults(id),
    keys.batchRejects(id),
    keys.batchDone(id),
    keys.batchErrored(id),
    keys.batchParked(id),
  ];
}

export interface OpenBatchOptions {
  /** The input file's name and absolute path. */
  source: string;
  sourcePath?: string;
  inputFormat?: string;
  defaults?: BatchDefaults;
  metadata?: Record<string, string>;
  /** Completion window: what has not run this long after creation is marked expired. */
  windowMs?: number;
  retentionSeconds?: number;
  /** The submit's ingest lease (renewIngestLease keeps it): while it lasts, the batch's ingest counts as alive. */
  ingestLeaseMs?: number;
  /** The tenant the batch belongs to (the API key's); kept from the batch's first opening. */
  tenant?: string;
  /** Callback URLs of the batch (checked by the caller); replace those of an earlier submit when given. */
  webhooks?: string[];
}

/**
 * Creates the batch record, or reopens an existing one for a resubmission of the same file (its
 * accepted lines and results stay; the rejected-lines report starts afresh; a finished batch
 * runs again and its keys lose their retention time).
 */
export async function openBatch(redis: Redis, keys: Keys, id: string, options: OpenBatchOptions): Promise<void> {
  const now = Date.now();
  const key = keys.batch(id);
  const tx = redis
    .multi()
    .hsetnx(key, 'created_at', now)
    .hsetnx(key, 'status', 'validating')
    .hsetnx(key, 'retention_s', options.retentionSeconds ?? defaultRetentionSeconds)
    .hsetnx(key, 'defaults', JSON.stringify(options.defaults ?? {}))
    .hsetnx(key, 'metadata', JSON.stringify(options.metadata ?? {}))
    .hset(key, 'id', id, 'source', options.source, 'ingest', 'running')
    .del(keys.batchRejects(id));
  // The indexes live under the control tag, apart from the batch's shard: written after the
  // record (an index entry whose record is missing is dropped by the readers).
  const indexes = redis.multi().zadd(keys.batches(), 'NX', now, id);
  if (options.ingestLeaseMs !== undefined) tx.set(keys.batchIngest(id), String(process.pid), 'PX', options.ingestLeaseMs);
  if (options.retentionSeconds !== undefined) tx.hset(key, 'retention_s', options.retentionSeconds);
  if (options.windowMs !== undefined) tx.hsetnx(key, 'expires_at', now + options.windowMs);
  if (options.inputFormat !== undefined) tx.hset(key, 'input_format', options.inputFormat);
  if (options.tenant !== undefined) tx.hsetnx(key, 'tenant', options.tenant);
  if (options.webhooks !== undefined && options.webhooks.length > 0) tx.hset(key, 'webhooks', JSON.stringify(options.webhooks));
  if (options.sourcePath !== undefined) {
    tx.hset(key, 'source_path', options.sourcePath);
    indexes.hset(keys.batchSources(), options.sourcePath, id);
  }
  // The batch stays its first tenant's: it goes into the list of that tenant only.
  tx.hget(key, 'tenant');
  const replies = (await tx.exec()) ?? [];
  const tenant = replies.at(-1)?.[1];
  if (typeof tenant === 'string') indexes.zadd(keys.tenantBatches(tenant), 'NX', now, id);
  await indexes.exec();
  // A finished batch that gets more lines runs again, and is kept until it finishes again.
  await redis.eval(
    `local status = redis.call('HGET', KEYS[1], 'status')
     if status == 'finalizing' or status == 'completed' or status == 'failed' then
       redis.call('HSET', KEYS[1], 'status', 'in_progress')
       redis.call('HDEL', KEYS[1], 'finalizing_at', 'completed_at', 'failed_at', 'event_id')
     end
     for i = 1, #KEYS do redis.call('PERSIST', KEYS[i]) end`,
    7,
    key,
    ...batchDataKeys(keys, id),
  );
}

export async function recordRejects(redis: Redis, keys: Keys, id: string, rejects: RejectedLine[]): Promise<void> {
  if (rejects.length === 0) return;
  await redis.rpush(keys.batchRejects(id), ...rejects.map((reject) => JSON.stringify(reject)));
}

/** Marks the input as fully read; returns the status after that (sealed when nothing is pending). */
export async function finishIngest(redis: Redis, keys: Keys, id: string, rejected: number): Promise<BatchStatus> {
  const status = (await withScripts(redis).finishIngest(
    keys.batch(id),
    keys.batchResults(id),
    keys.batchLines(id),
    Date.now(),
    rejected,
  )) as BatchStatus;
  await redis.del(keys.batchIngest(id));
  return isTerminal(status) || status === 'finalizing' ? finalizeBatch(redis, keys, id) : status;
}

/** How long a submit's ingest lease lasts; the submit renews it several times as often. */
export const ingestLeaseMs = 30_000;

/** Renews a running submit's ingest lease. */
export async function renewIngestLease(redis: Redis, keys: Keys, id: string, leaseMs = ingestLeaseMs): Promise<void> {
  await redis.set(keys.batchIngest(id), String(process.pid), 'PX', leaseMs);
}

/**
 * Whether no submit will add jobs to the batch any more: its input was read to the end, or the
 * submit reading it stopped midway (killed, or Redis lost under it) and its lease ran out.
 */
export async function ingestSettled(redis: Redis, keys: Keys, id: string): Promise<boolean> {
  const [ingest, leased] = await Promise.all([redis.hget(keys.batch(id), 'ingest'), redis.exists(keys.batchIngest(id))]);
  return ingest === 'done' || leased === 0;
}

/**
 * A batch whose submit stopped midway is closed as if its input had ended there (so a cancel or
 * an expiry can end it); `submit --resume` reads the file again instead. Returns whether it did.
 */
export async function closeAbandonedIngest(redis: Redis, keys: Keys, id: string): Promise<boolean> {
  const [ingest, leased] = await Promise.all([redis.hget(keys.batch(id), 'ingest'), redis.exists(keys.batchIngest(id))]);
  if (ingest === null || ingest === 'done' || leased === 1) return false;
  await finishIngest(redis, keys, id, await redis.llen(keys.batchRejects(id)));
  return true;
}

/** `finalizing` → `completed`, and the retention time on every key of an ended batch. Idempotent. */
export async function finalizeBatch(redis: Redis, keys: Keys, id: string): Promise<BatchStatus> {
  return (await withScripts(redis).finalizeBatch(
    keys.batch(id),
    ...batchDataKeys(keys, id),
    keys.webhookOutbox(keys.shardOf(id)),
    Date.now(),
    newEventId(),
  )) as BatchStatus;
}

/** A batch left in `finalizing` this long (its finalizer died) is finalized by the next reader. */
const finalizeGraceMs = 5_000;

export async function getBatch(redis: Redis, keys: Keys, id: string): Promise<BatchInfo | null> {
  const [record, results, leased] = await Promise.all([
    redis.hgetall(keys.batch(id)),
    redis.hlen(keys.batchResults(id)),
    redis.exists(keys.batchIngest(id)),
  ]);
  if (!record.id) return null;
  if (record.status === 'finalizing' && Date.now() - Number(record.finalizing_at ?? 0) > finalizeGraceMs) {
    await finalizeBatch(redis, keys, id);
    return getBatch(redis, keys, id);
  }
  return batchFromRecord(id, record, results, leased === 1);
}

/** The batch from its record; `leased`: whether a submit holds its ingest lease. */
export function batchFromRecord(id: string, record: Record<string, string>, results: number, leased = true): BatchInfo {
  const int = (field: string) => Number(record[field] ?? 0);
  const time = (field: string) => (record[field] ? new Date(Number(record[field])).toISOString() : null);
  const byPrefix = (prefix: string) => {
    const counts: Record<string, number> = {};
    for (const [field, value] of Object.entries(record)) {
      if (field.startsWith(prefix) && Number(value) > 0) counts[field.slice(prefix.length)] = Number(value);
    }
    return counts;
  };
  const total = int('total');
  const status = (batchStatuses as readonly string[]).includes(record.status ?? '') ? (record.status as BatchStatus) : 'in_progress';
  return {
    id,
    status,
    tenant: record.tenant ?? null,
    source: record.source ?? '',
    source_path: record.source_path ?? null,
    input_format: record.input_format ?? null,
    ingest: record.ingest === 'done' ? 'done' : leased ? 'running' : 'stopped',
    created_at: time('created_at') ?? new Date(0).toISOString(),
    started_at: time('started_at'),
    paused_at: time('paused_at'),
    finalizing_at: time('finalizing_at'),
    completed_at: time('completed_at'),
    failed_at: time('failed_at'),
    cancelling_at: time('cancelling_at'),
    cancelled_at: time('cancelled_at'),
    expires_at: time('expires_at'),
    expired_at: time('expired_at'),
    counts: {
      total,
      succeeded: int('succeeded'),
      errored: int('errored'),
      cancelled: int('cancelled'),
      expired: int('expired'),
      pending: Math.max(0, total - results),
      rejected: int('rejected'),
    },
    usage: {
      input_tokens: int('input_tokens'),
      output_tokens: int('output_tokens'),
      cache_read_tokens: int('cache_read_tokens'),
      cache_write_tokens: int('cache_write_tokens'),
      reasoning_tokens: int('reasoning_tokens'),
    },
    errors: byPrefix('error:'),
    attempt_errors: byPrefix('attempt_error:'),
    retries: int('retries'),
    metadata: parseJsonObject(record.metadata) as Record<string, string>,
    webhooks: parseStringArray(record.webhooks),
    event_id: record.event_id ?? null,
    defaults: parseJsonObject(record.defaults) as BatchDefaults,
    retention_s: int('retention_s'),
  };
}

function parseJsonObject(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function parseStringArray(text: string | undefined): string[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

export async function getRejects(redis: Redis, keys: Keys, id: string, limit = -1): Promise<RejectedLine[]> {
  const items = await redis.lrange(keys.batchRejects(id), 0, limit < 0 ? -1 : limit - 1);
  return items.map((item) => JSON.parse(item) as RejectedLine);
}

/** The latest batch made from this input file (absolute path), for `submit --resume`. */
export async function batchForSource(redis: Redis, keys: Keys, sourcePath: string): Promise<string | null> {
  const id = await redis.hget(keys.batchSources(), sourcePath);
  if (id === null) return null;
  return (await redis.exists(keys.batch(id))) === 1 ? id : null;
}
