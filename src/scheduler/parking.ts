/**
 * Parking: a prompt that cannot get capacity soon leaves the worker (so the worker can take
 * prompts that can run, on other providers' accounts) without burning an attempt. It goes to
 * BullMQ's delayed set with a long fallback delay, and into its pool's parked set in fair order
 * across batches (parkJob-4.lua). Workers promote parked prompts back into the queue as their
 * pool's capacity returns, a few at a time; the fallback delay only matters if no worker serves
 * the pool any more.
 */
import { randomBytes } from 'node:crypto';
import { DelayedError, Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis/keys.ts';
import { withScripts } from '../redis/scripts.ts';
import type { ProviderName } from '../config/schema.ts';
import { providerNameSchema } from '../config/schema.ts';

/** Thrown by the processor for a parked prompt: BullMQ then leaves the job where parking put it. */
export class JobParkedError extends DelayedError {
  constructor(readonly reason: string) {
    super(`parked until capacity returns: ${reason}`);
    this.name = 'DelayedError';
  }
}

/** What a pool is, as stored for workers that did not see its prompts themselves. */
export const poolDescriptionSchema = z.object({
  provider: providerNameSchema,
  /** Candidate account ids with their ranks, best first. */
  accounts: z.array(z.tuple([z.string(), z.number()])),
});
export type PoolDescription = z.infer<typeof poolDescriptionSchema>;

export async function parkJob(
  redis: Redis,
  keys: Keys,
  pool: { key: string; description: PoolDescription },
  job: { id: string; batchId: string; priority: number },
): Promise<number> {
  const [parked] = await withScripts(redis).parkJob(
    keys.schedPool(pool.key),
    keys.schedParked(pool.key),
    keys.schedWaiting(),
    keys.schedPools(),
    job.id,
    job.batchId,
    pool.key,
    JSON.stringify(pool.description),
    Math.max(0, Math.floor(job.priority)),
    1,
  );
  return parked;
}

/** How long the answer of a call taking parked prompts is kept for a resend of the same call. */
const unparkAnswerSeconds = 600;

/**
 * Takes up to `count` parked prompts of a pool, fairest first; returns their job ids and how many
 * stay parked. Each call has a token of its own: sent again after a lost answer (ioredis resends
 * unanswered commands when it reconnects), it answers the same job ids.
 */
export async function unparkJobs(redis: Redis, keys: Keys, poolKey: string, count: number): Promise<{ jobIds: string[]; left: number }> {
  const answer = await withScripts(redis).unparkJobs(
    keys.schedPool(poolKey),
    keys.schedParked(poolKey),
    keys.schedWaiting(),
    keys.schedPools(),
    keys.schedUnparkAnswer(randomBytes(9).toString('base64url')),
    poolKey,
    count,
    unparkAnswerSeconds,
  );
  const left = Number(answer[answer.length - 1] ?? 0);
  return { jobIds: answer.slice(0, -1).map(String), left };
}

/** Pools with parked prompts, as registered by parkJob. */
export async function parkedPools(redis: Redis, keys: Keys): Promise<Map<string, PoolDescription>> {
  const entries = await redis.hgetall(keys.schedPools());
  const pools = new Map<string, PoolDescription>();
  for (const [key, json] of Object.entries(entries)) {
    try {
      const parsed = poolDescriptionSchema.safeParse(JSON.parse(json));
      if (parsed.success) pools.set(key, parsed.data);
    } catch {
      // Not ours to fix; the pool's prompts come back on their fallback delay.
    }
  }
  return pools;
}

/**
 * Moves delayed jobs back to the queue; true for each job that was promoted (a job that is no
 * longer delayed — it came back on its fallback delay, or was removed — is skipped).
 */
export function createPromoter(queues: { forJob(jobId: string): Queue }): (jobIds: readonly string[]) => Promise<boolean[]> {
  return (jobIds) =>
    Promise.all(
      jobIds.map((id) =>
        new Job(queues.forJob(id), 'prompt', {}, {}, id).promote().then(
          () => true,
          () => false,
        ),
      ),
    );
}

export interface BatchWaiting {
  poolKey: string;
  provider: ProviderName | null;
  /** Candidate account ids of the pool. */
  accounts: string[];
  /** Prompts of the batch parked in this pool. */
  prompts: number;
}

/** Where a batch's parked prompts wait (for `relayq status` and `relayq accounts list`). */
export async function batchWaiting(redis: Redis, keys: Keys, batchId: string): Promise<BatchWaiting[]> {
  const found: BatchWaiting[] = [];
  const pools = await parkedPools(redis, keys);
  let cursor = '0';
  do {
    const [next, entries] = await redis.hscan(keys.schedWaiting(), cursor, 'MATCH', `${batchId}|*`, 'COUNT', 500);
    cursor = next;
    for (let index = 0; index < entries.length; index += 2) {
      const poolKey = (entries[index] as string).slice(batchId.length + 1);
      const prompts = Number(entries[index + 1]);
      if (!(prompts > 0)) continue;
      const description = pools.get(poolKey);
      found.push({
        poolKey,
        provider: description?.provider ?? null,
        accounts: description?.accounts.map(([id]) => id) ?? [],
        prompts,
      });
    }
  } while (cursor !== '0');
  return found;
}
