/**
 * Cancel, pause, resume and expire a batch. Each moves the batch's status first (so ingest and
 * the dispatch gate stop at once), then sweeps its waiting prompts out of the queue. A batch whose
 * submit died midway (killed, or Redis lost under it) can be cancelled or expired all the same:
 * once the submit's ingest lease runs out its input counts as ended where it stopped.
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { withScripts } from '../redis/scripts.ts';
import { listBatches } from './batch-list.ts';
import { closeAbandonedIngest, finalizeBatch, getBatch, type BatchInfo } from './batch-store.ts';
import { isTerminal } from './status.ts';
import { activeStatuses, type BatchStatus } from './status.ts';
import { sweepBatch, unparkBatch, type BatchDeps, type SweepProgress } from './sweep.ts';

export type { BatchDeps, SweepProgress };

export interface LifecycleOutcome {
  /** False when the batch was not in a status the action applies to (nothing was done). */
  changed: boolean;
  /** The status before the action. */
  from: BatchStatus | null;
  /** The batch after the action. */
  batch: BatchInfo | null;
  /** Prompts taken out of the queue; prompts still running when the action returned. */
  removed: number;
  inFlight: number;
}

export interface LifecycleOptions {
  /** How long to wait for prompts in flight to finish (default 0: return after one pass). */
  waitMs?: number;
  onProgress?: (progress: SweepProgress) => void;
}

async function transition(redis: Redis, keys: Keys, id: string, to: BatchStatus, stamp: string, from: readonly BatchStatus[]) {
  const [moved, current] = await withScripts(redis).transitionBatch(keys.batch(id), to, stamp, Date.now(), ...from);
  return { moved: moved === 1, current: (current || null) as BatchStatus | null };
}

async function outcome(
  deps: BatchDeps,
  id: string,
  changed: boolean,
  from: BatchStatus | null,
  progress: SweepProgress,
): Promise<LifecycleOutcome> {
  return { changed, from, batch: await getBatch(deps.redis, deps.keys, id), ...progress };
}

/**
 * Cancels a batch: dispatch stops at once, waiting prompts get `cancelled` results, prompts in
 * flight finish and keep theirs. The batch is `cancelling` until the last of those lands, then
 * `cancelled`. Calling it again on a `cancelling` batch resumes the sweep.
 */
export async function cancelBatch(deps: BatchDeps, id: string, options: LifecycleOptions = {}): Promise<LifecycleOutcome> {
  const { moved, current } = await transition(deps.redis, deps.keys, id, 'cancelling', 'cancelling_at', activeStatuses);
  if (!moved && current !== 'cancelling') return outcome(deps, id, false, current, { removed: 0, inFlight: 0 });
  const progress = await sweepBatch(deps, id, 'cancelled', options);
  await closeAbandonedIngest(deps.redis, deps.keys, id);
  return outcome(deps, id, true, current, progress);
}

/** Ends a batch's completion window now: what has not run gets `expired` results. */
export async function expireBatch(deps: BatchDeps, id: string, options: LifecycleOptions = {}): Promise<LifecycleOutcome> {
  const { moved, current } = await transition(deps.redis, deps.keys, id, 'expiring', 'expiring_at', activeStatuses);
  if (!moved && current !== 'expiring') return outcome(deps, id, false, current, { removed: 0, inFlight: 0 });
  const progress = await sweepBatch(deps, id, 'expired', options);
  await closeAbandonedIngest(deps.redis, deps.keys, id);
  return outcome(deps, id, true, current, progress);
}

/** Pauses a batch: its waiting prompts leave the queue (parked) until `resumeBatch`. */
export async function pauseBatch(deps: BatchDeps, id: string, options: LifecycleOptions = {}): Promise<LifecycleOutcome> {
  const { moved, current } = await transition(deps.redis, deps.keys, id, 'paused', 'paused_at', ['validating', 'in_progress', 'paused']);
  if (!moved) return outcome(deps, id, false, current, { removed: 0, inFlight: 0 });
  const stillPaused = async () => (await deps.redis.hget(deps.keys.batch(id), 'status')) === 'paused';
  const progress = await sweepBatch(deps, id, 'park', { ...options, stillWanted: stillPaused });
  // A resume that came in during the sweep found fewer parked prompts than there are now.
  if (!(await stillPaused())) await unparkBatch(deps, id);
  return outcome(deps, id, true, current, progress);
}

/** Resumes a paused batch: its parked prompts go back into the queue. */
export async function resumeBatch(deps: BatchDeps, id: string): Promise<LifecycleOutcome> {
  const { moved, current } = await transition(deps.redis, deps.keys, id, 'in_progress', 'resumed_at', ['paused']);
  if (!moved) return outcome(deps, id, false, current, { removed: 0, inFlight: 0 });
  const removed = await unparkBatch(deps, id);
  return outcome(deps, id, true, current, { removed, inFlight: 0 });
}

/** Expires the batch when its completion window has ended; returns whether it did. */
export async function expireIfDue(deps: BatchDeps, batch: BatchInfo, options: LifecycleOptions = {}): Promise<boolean> {
  if (batch.expires_at === null || Date.parse(batch.expires_at) > Date.now()) return false;
  if (!(activeStatuses as readonly string[]).includes(batch.status) && batch.status !== 'expiring') return false;
  return (await expireBatch(deps, batch.id, options)).changed;
}

/**
 * One maintenance round over recent batches: expires those whose window ended and carries on
 * cancels and expiries whose sweep was interrupted. Workers run it every few seconds
 * (startBatchMaintenance); `relayq status` and `relayq batches` run it too.
 */
export async function maintainBatches(deps: BatchDeps, options: { limit?: number } = {}): Promise<string[]> {
  const touched: string[] = [];
  for (const batch of await listBatches(deps.redis, deps.keys, { limit: options.limit ?? 200 })) {
    if (await expireIfDue(deps, batch)) touched.push(batch.id);
    else if (batch.status === 'cancelling' && (batch.counts.pending > 0 || batch.ingest !== 'done')) {
      await sweepBatch(deps, batch.id, 'cancelled');
      // A cancel of a batch whose submit died midway ends here once that submit's lease ran out.
      await closeAbandonedIngest(deps.redis, deps.keys, batch.id);
      touched.push(batch.id);
    } else if (isTerminal(batch.status) && batch.event_id === null && endedRecently(batch)) {
      // Its finisher died between ending it and sealing it: sealing gives it its webhook event.
      await finalizeBatch(deps.redis, deps.keys, batch.id);
    }
  }
  return touched;
}

/** Batches that ended within the hour are sealed by maintenance when their finisher could not. */
function endedRecently(batch: BatchInfo): boolean {
  const ended = batch.completed_at ?? batch.cancelled_at ?? batch.expired_at ?? batch.failed_at;
  return ended !== null && Date.now() - Date.parse(ended) < 3_600_000;
}

/** Runs maintainBatches every `intervalMs` until stopped. */
export function startBatchMaintenance(
  deps: BatchDeps,
  options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => maintainBatches(deps)).catch((error: unknown) => options.onError?.(error));
  }, options.intervalMs ?? 5_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
