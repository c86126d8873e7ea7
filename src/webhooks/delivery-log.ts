/**
 * The delivery log: per event, its body, its targets' delivery states and every attempt made
 * (attempt, status code, latency, error, the delay before the next one). What
 * `relayq webhooks deliveries` and `relayq status BATCH` show. Kept 30 days.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis/keys.ts';

export const logRetentionSeconds = 30 * 24 * 3600;

export const deliveryStates = ['pending', 'retrying', 'delivered', 'failed', 'skipped'] as const;
export type DeliveryState = (typeof deliveryStates)[number];

export const deliverySchema = z.object({
  target: z.string(),
  url: z.string(),
  endpoint_id: z.string().nullable(),
  state: z.enum(deliveryStates),
  attempts: z.number().int(),
  last_status_code: z.number().nullable(),
  last_error: z.string().nullable(),
  next_attempt_at: z.number().nullable(),
  delivered_at: z.number().nullable(),
});
export type Delivery = z.infer<typeof deliverySchema>;

export const attemptSchema = z.object({
  target: z.string(),
  attempt: z.number().int(),
  at: z.number(),
  /** The webhook-timestamp sent (unix s). */
  timestamp: z.number(),
  status_code: z.number().nullable(),
  latency_ms: z.number(),
  error: z.string().nullable(),
  /** The delay chosen before the next attempt; null when none follows. */
  retry_in_ms: z.number().nullable(),
});
export type AttemptRecord = z.infer<typeof attemptSchema>;

export interface EventRecord {
  id: string;
  batch_id: string;
  type: string;
  tenant: string | null;
  created_at: number;
  payload: string;
}

export interface EventLog extends Omit<EventRecord, 'payload'> {
  deliveries: Delivery[];
  attempts: AttemptRecord[];
}

/** A MULTI's answers, with the first failed command's error thrown (ioredis hands them back instead). */
async function checked(replies: Promise<[Error | null, unknown][] | null>): Promise<void> {
  for (const [error] of (await replies) ?? []) if (error) throw error;
}

/** Records the event once (a second call keeps the first body); returns the stored record. */
export async function recordEvent(redis: Redis, keys: Keys, event: EventRecord): Promise<EventRecord> {
  const key = keys.webhookEvent(event.id);
  const fresh = await redis.hsetnx(key, 'payload', event.payload);
  if (fresh === 1) {
    await checked(
      redis
        .multi()
        .hset(key, 'batch_id', event.batch_id, 'type', event.type, 'tenant', event.tenant ?? '', 'created_at', event.created_at)
        .expire(key, logRetentionSeconds)
        .zadd(keys.webhookEvents(), event.created_at, event.id)
        .rpush(keys.webhookBatchEvents(event.batch_id), event.id)
        .expire(keys.webhookBatchEvents(event.batch_id), logRetentionSeconds)
        .exec(),
    );
  }
  return (await readEvent(redis, keys, event.id)) ?? event;
}

export async function readEvent(redis: Redis, keys: Keys, id: string): Promise<EventRecord | null> {
  const record = await redis.hgetall(keys.webhookEvent(id));
  if (!record.payload) return null;
  return {
    id,
    batch_id: record.batch_id ?? '',
    type: record.type ?? '',
    tenant: record.tenant ? record.tenant : null,
    created_at: Number(record.created_at ?? 0),
    payload: record.payload,
  };
}

/** Adds a pending delivery unless the target has one already. */
export async function addDelivery(redis: Redis, keys: Keys, eventId: string, delivery: Delivery): Promise<void> {
  const key = keys.webhookDeliveries(eventId);
  await checked(redis.multi().hsetnx(key, delivery.target, JSON.stringify(delivery)).expire(key, logRetentionSeconds).exec());
}

export async function setDelivery(redis: Redis, keys: Keys, eventId: string, delivery: Delivery): Promise<void> {
  await redis.hset(keys.webhookDeliveries(eventId), delivery.target, JSON.stringify(delivery));
}

export async function getDelivery(redis: Redis, keys: Keys, eventId: string, target: string): Promise<Delivery | null> {
  const text = await redis.hget(keys.webhookDeliveries(eventId), target);
  return text === null ? null : deliverySchema.parse(JSON.parse(text));
}

export async function recordAttempt(redis: Redis, keys: Keys, eventId: string, attempt: AttemptRecord): Promise<void> {
  const key = keys.webhookAttempts(eventId);
  await checked(redis.multi().rpush(key, JSON.stringify(attempt)).expire(key, logRetentionSeconds).exec());
}

export async function readEventLog(redis: Redis, keys: Keys, id: string): Promise<EventLog | null> {
  const event = await readEvent(redis, keys, id);
  if (event === null) return null;
  const [deliveries, attempts] = await Promise.all([
    redis.hvals(keys.webhookDeliveries(id)),
    redis.lrange(keys.webhookAttempts(id), 0, -1),
  ]);
  const { payload: _payload, ...rest } = event;
  return {
    ...rest,
    deliveries: deliveries.map((text) => deliverySchema.parse(JSON.parse(text))).sort((a, b) => a.target.localeCompare(b.target)),
    attempts: attempts.map((text) => attemptSchema.parse(JSON.parse(text))),
  };
}

/** The event logs of a batch, or of the latest events. */
export async function listEventLogs(redis: Redis, keys: Keys, options: { batchId?: string; limit?: number } = {}): Promise<EventLog[]> {
  const limit = options.limit ?? 50;
  const ids =
    options.batchId !== undefined
      ? await redis.lrange(keys.webhookBatchEvents(options.batchId), -limit, -1)
      : (await redis.zrevrange(keys.webhookEvents(), 0, limit - 1)).reverse();
  const logs: EventLog[] = [];
  for (const id of ids) {
    const log = await readEventLog(redis, keys, id);
    if (log !== null) logs.push(log);
  }
  return logs;
}
