/**
 * Moves ended batches from the webhook outbox (filled by finalizeBatch-8.lua in the same step
 * that ends a batch) into the webhook queue. The event job's id is the event id, so a worker that
 * dies between queueing and clearing the entry makes the next one queue it again to no effect.
 * Workers run it every half second, and whenever one of their prompts ends a batch.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { allShards, type Keys } from '../redis/keys.ts';
import { eventJobOptions, type WebhookJob } from './webhook-job.ts';

/** Moves up to `max` entries of each shard's outbox into the queue; how many moved. */
export async function drainOutbox(redis: Redis, keys: Keys, queue: Queue<WebhookJob>, max = 100): Promise<number> {
  const moved = await Promise.all(allShards(keys).map((shard) => drainShardOutbox(redis, keys.webhookOutbox(shard), queue, max)));
  return moved.reduce((sum, count) => sum + count, 0);
}

async function drainShardOutbox(redis: Redis, outbox: string, queue: Queue<WebhookJob>, max: number): Promise<number> {
  const entries = await redis.zrange(outbox, 0, max - 1);
  if (entries.length === 0) return 0;
  const jobs = entries.flatMap((entry) => {
    const at = entry.lastIndexOf('|');
    const batchId = entry.slice(0, at);
    const eventId = entry.slice(at + 1);
    return at > 0 ? [{ name: 'event', data: { kind: 'event' as const, eventId, batchId }, opts: eventJobOptions(eventId) }] : [];
  });
  if (jobs.length > 0) await queue.addBulk(jobs);
  await redis.zrem(outbox, ...entries);
  return entries.length;
}

export function startOutboxPump(
  redis: Redis,
  keys: Keys,
  queue: Queue<WebhookJob>,
  options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
): { nudge(): void; stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let queued = false;
  const run = () => {
    if (queued) return;
    queued = true;
    running = running
      .then(() => {
        queued = false;
        return drainOutbox(redis, keys, queue);
      })
      .catch((error: unknown) => options.onError?.(error));
  };
  const timer = setInterval(run, options.intervalMs ?? 500);
  timer.unref();
  return {
    nudge: run,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
