/**
 * What a worker should do with a prompt of a batch, answered from a per-batch cache so the prompt
 * path costs no Redis round trip per job: one small read per batch about once a second.
 *
 *   run        execute it
 *   cancelled  the batch is being cancelled: store a `cancelled` result instead (skippedResult)
 *   expired    the batch's completion window ended: store an `expired` result instead
 *   paused     the batch is paused: put the job back, delayed (job.moveToDelayed + DelayedError)
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';

export type DispatchDecision = 'run' | 'cancelled' | 'paused' | 'expired';

export interface DispatchGate {
  check(batchId: string): Promise<DispatchDecision>;
  /** The decision when the cache already knows it (no await needed), else undefined. */
  cached(batchId: string): DispatchDecision | undefined;
  /** Forgets the cached state of one batch (or of all). */
  invalidate(batchId?: string): void;
}

interface Entry {
  decision: Promise<DispatchDecision>;
  /** Set once Redis answered. */
  known?: DispatchDecision;
  expiresAt: number | null;
  until: number;
}

/** An entry's decision now: a window can end between two reads, and the cached expiry time says so without Redis. */
function current(entry: Entry, now: number): DispatchDecision | undefined {
  return entry.expiresAt !== null && entry.expiresAt <= now ? 'expired' : entry.known;
}

export function decide(status: string | null, expiresAt: number | null, now = Date.now()): DispatchDecision {
  if (status === 'cancelling' || status === 'cancelled') return 'cancelled';
  if (status === 'expiring' || status === 'expired') return 'expired';
  if (expiresAt !== null && expiresAt <= now) return 'expired';
  if (status === 'paused') return 'paused';
  return 'run';
}

export function createDispatchGate(redis: Redis, keys: Keys, options: { ttlMs?: number } = {}): DispatchGate {
  const ttlMs = options.ttlMs ?? 1_000;
  const cache = new Map<string, Entry>();
  return {
    check(batchId) {
      const now = Date.now();
      const cached = cache.get(batchId);
      if (cached && cached.until > now) {
        const decision = current(cached, now);
        return decision === undefined ? cached.decision : Promise.resolve(decision);
      }
      const entry: Entry = { decision: Promise.resolve('run'), expiresAt: null, until: now + ttlMs };
      entry.decision = redis.hmget(keys.batch(batchId), 'status', 'expires_at').then(
        ([status, expiresAt]) => {
          entry.expiresAt = expiresAt ? Number(expiresAt) : null;
          entry.known = decide(status ?? null, entry.expiresAt);
          return entry.known;
        },
        (error: unknown) => {
          cache.delete(batchId);
          throw error;
        },
      );
      if (cache.size > 10_000) cache.clear();
      cache.set(batchId, entry);
      return entry.decision;
    },
    cached(batchId) {
      const cached = cache.get(batchId);
      const now = Date.now();
      return cached !== undefined && cached.until > now ? current(cached, now) : undefined;
    },
    invalidate(batchId) {
      if (batchId === undefined) cache.clear();
      else cache.delete(batchId);
    },
  };
}

/**
 * Counts a failed call that will be tried again (a 429, a 529, a dropped connection...) on the
 * batch, so `relayq status` can show them by kind. Only failed calls pay for it.
 */
export async function recordAttemptError(redis: Redis, keys: Keys, batchId: string, kind: string): Promise<void> {
  await redis.hincrby(keys.batch(batchId), `attempt_error:${kind}`, 1);
}
