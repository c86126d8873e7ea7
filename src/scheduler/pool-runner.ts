/**
 * One scheduling pool in one worker: the prompts whose candidate accounts are the same, waiting
 * for capacity in line.
 *
 * A prompt first tries to get capacity at once. When there is none it waits here, in line, if
 * the wait is short and the line not long; one pump per pool then asks again exactly when the
 * admission script said capacity returns (never in a loop), admitting waiters in order of
 * priority and arrival. Prompts beyond that are parked (see parking.ts): they leave the worker,
 * whose slots then take prompts of other pools, and come back, fairly across batches, when this
 * pool's line runs short.
 *
 * The runner owns its pool's admission: from the cached account state alone when none of its
 * accounts has limits (no round trip), else through admitAccount.lua. What all pools of a
 * worker share (its Redis connection, account cache, leases, send meters, estimator and line
 * budget) comes in as `WorkerParts`, built once by the Scheduler.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Account } from '../config/schema.ts';
import type { Keys } from '../redis/keys.ts';
import type { AccountCache } from './account-cache.ts';
import { admitSampled, LocalChooser, type Admission } from './admission.ts';
import type { CandidateSet } from './candidates.ts';
import type { CallCost, TokenEstimator } from './estimate.ts';
import type { LeaseKeeper } from './leases.ts';
import type { LineBudget } from './line-budget.ts';
import { JobParkedError, parkJob, unparkJobs, type PoolDescription } from './parking.ts';
import type { PromptToSchedule } from './prompt.ts';
import { RateMeter, type RateMeters } from './rate-meter.ts';
import type { RoomHints } from './sampling.ts';

/** The parts of one worker's scheduling that all its pools share. */
export interface WorkerParts {
  readonly redis: Redis;
  readonly keys: Keys;
  readonly cache: AccountCache;
  /** Which accounts had no room, as admission answered: steers the sample each admission sends (sampling.ts). */
  readonly hints: RoomHints;
  readonly leases: LeaseKeeper;
  /** Requests this worker sent each account (AIMD's starting point). */
  readonly sent: RateMeters;
  readonly estimator: TokenEstimator;
  readonly lines: LineBudget;
  /** Moves parked jobs back into the queue; true for each one that was. */
  promote(jobIds: readonly string[]): Promise<boolean[]>;
  readonly logger: Logger;
}

/** Capacity taken for one call, to be settled when the call ends. */
export interface Grant {
  account: Account;
  leaseId: string | null;
  /** The account's admission count when this call was admitted (null when admitted locally). */
  sequence: number | null;
  /** Tokens admission charged and reserved (zero when the account has no limits). */
  chargedInput: number;
  reservedOutput: number;
  cost: CallCost | null;
  pool: PoolRunner;
}

interface Waiter {
  prompt: PromptToSchedule;
  seq: number;
  settle(result: Grant | 'park' | Error): void;
}

/** Waits longer than this park instead of holding a worker slot. */
export const maxLocalWaitMs = 5_000;
/** How often a line waiting for a concurrency slot asks again (a slot freed by this worker wakes it at once). */
const concurrencyPollMs = 100;

export class PoolRunner {
  readonly description: PoolDescription;
  private readonly waiters: Waiter[] = [];
  private seq = 0;
  private pumping = false;
  private wakeUp: (() => void) | null = null;
  /** Prompts parked in Redis for this pool, as last seen. */
  parkedKnown = 0;
  /** Prompts promoted and not seen arriving yet; trusted until `inboundUntil`. */
  private inbound = 0;
  private inboundUntil = 0;
  private promoting = false;
  /** When the last admission answer said capacity returns. */
  private readyAt = 0;
  private readonly admissions = new RateMeter();
  private readonly chooser = new LocalChooser();

  constructor(
    private readonly worker: WorkerParts,
    readonly set: CandidateSet,
  ) {
    this.description = { provider: set.provider, accounts: set.candidates.map((candidate) => [candidate.account.id, candidate.rank]) };
  }

  get key(): string {
    return this.set.key;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Capacity for one call of `prompt`: at once, after a short wait in line, or never (parked: throws JobParkedError). */
  async acquire(prompt: PromptToSchedule): Promise<Grant> {
    if (this.worker.lines.stopping) return this.park(prompt, 'the worker is stopping');
    if (this.inbound > 0) this.inbound -= 1;
    // How long the pump may sleep before asking again: what the admission below answered.
    let knownWaitMs = 0;
    if (this.waiters.length === 0) {
      const admission = await this.tryAdmit(prompt);
      if (admission.type === 'admitted') return this.granted(admission, prompt);
      if (admission.type === 'blocked') return this.park(prompt, 'every account that can serve it is disabled');
      if (admission.waitMs !== null && admission.waitMs > maxLocalWaitMs) {
        // Parked prompts are promoted again only once capacity is near.
        this.readyAt = Date.now() + admission.waitMs;
        return this.park(prompt, admission.reason);
      }
      knownWaitMs = admission.waitMs ?? concurrencyPollMs;
      this.readyAt = Date.now() + knownWaitMs;
    }
    if (this.waiters.length >= this.worker.lines.limitFor(this.waiters.length))
      return this.park(prompt, 'the line for its accounts is full');
    const result = await new Promise<Grant | 'park' | Error>((settle) => {
      const waiter: Waiter = { prompt, seq: (this.seq += 1), settle };
      // In line by priority, then arrival.
      let index = this.waiters.length;
      while (index > 0 && (this.waiters[index - 1] as Waiter).prompt.priority > prompt.priority) index -= 1;
      this.waiters.splice(index, 0, waiter);
      this.worker.lines.changed(1);
      // A pump already running keeps its own schedule: an arrival is no news about capacity.
      if (!this.pumping) void this.pump(knownWaitMs);
    });
    if (result === 'park') return this.park(prompt, 'capacity returns later than a worker should hold it');
    if (result instanceof Error) throw result;
    return result;
  }

  /**
   * Capacity at once without any round trip, when that is possible: nobody waits in line and
   * the pool's accounts have no limits. Null otherwise (use acquire).
   */
  acquireNow(prompt: PromptToSchedule): Grant | null {
    if (this.waiters.length > 0 || this.worker.lines.stopping) return null;
    const admission = this.admitLocally();
    if (admission === null || admission.type !== 'admitted') return null;
    if (this.inbound > 0) this.inbound -= 1;
    return this.granted(admission, prompt);
  }

  /** Wakes the pump early: a lease of one of this pool's accounts was released here. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Parks every prompt waiting here (the worker is stopping). */
  parkAll(): void {
    const waiting = this.waiters.splice(0);
    if (waiting.length > 0) this.worker.lines.changed(-waiting.length);
    for (const waiter of waiting) waiter.settle('park');
    this.wakeUp?.();
  }

  /** Promotes parked prompts when this pool's line runs short and its accounts can take them. */
  async maybePromote(): Promise<void> {
    if (this.parkedKnown <= 0 || this.promoting || this.worker.lines.stopping) return;
    const now = Date.now();
    if (now > this.inboundUntil) this.inbound = 0;
    if (this.readyAt > now + maxLocalWaitMs || this.blockedHere(now)) return;
    const limit = this.worker.lines.limitFor(this.waiters.length);
    const room = limit - this.waiters.length - this.inbound;
    // Refill at half a line, not one prompt at a time.
    if (room < Math.max(1, Math.ceil(limit / 2))) return;
    this.promoting = true;
    try {
      const { jobIds, left } = await unparkJobs(this.worker.redis, this.worker.keys, this.key, room);
      this.parkedKnown = left;
      if (jobIds.length === 0) return;
      const promoted = (await this.worker.promote(jobIds)).filter(Boolean).length;
      this.inbound += promoted;
      this.inboundUntil = Date.now() + 2_000;
    } finally {
      this.promoting = false;
    }
  }

  private async pump(firstSleepMs: number): Promise<void> {
    this.pumping = true;
    try {
      if (firstSleepMs > 0) await this.sleep(firstSleepMs);
      while (this.waiters.length > 0) {
        if (this.worker.lines.stopping) {
          this.parkAll();
          return;
        }
        const head = this.waiters[0] as Waiter;
        let admission: Admission;
        try {
          admission = await this.tryAdmit(head.prompt);
        } catch (error) {
          this.remove(head);
          head.settle(error instanceof Error ? error : new Error(String(error)));
          continue;
        }
        if (admission.type === 'admitted') {
          this.remove(head);
          head.settle(this.granted(admission, head.prompt));
          continue;
        }
        if (admission.type === 'blocked' || (admission.waitMs !== null && admission.waitMs > maxLocalWaitMs)) {
          if (admission.type === 'wait' && admission.waitMs !== null) this.readyAt = Date.now() + admission.waitMs;
          this.parkAll();
          return;
        }
        const waitMs = admission.waitMs ?? concurrencyPollMs;
        this.readyAt = Date.now() + waitMs;
        await this.sleep(waitMs);
      }
    } finally {
      this.pumping = false;
    }
  }

  private remove(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) {
      this.waiters.splice(index, 1);
      this.worker.lines.changed(-1);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(1, ms));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        done();
      };
    }).finally(() => {
      this.wakeUp = null;
    });
  }

  /** Capacity on one of the pool's accounts: decided locally when none has limits, else in Redis. */
  private async tryAdmit(prompt: PromptToSchedule): Promise<Admission> {
    const local = this.admitLocally();
    if (local !== null) return local;
    const { redis, keys, leases, estimator, cache, hints } = this.worker;
    const admission = await admitSampled(redis, keys, this.set.candidates, estimator.costOf(prompt), leases.newLease(), { cache, hints });
    if (admission.type === 'admitted') {
      if (admission.leaseId !== null) leases.hold(admission.account.id, admission.leaseId);
      this.worker.sent.of(admission.account.id).record();
    }
    return admission;
  }

  /** The admission decided from the cached account state alone; null when some account has limits (Redis decides). */
  private admitLocally(): Admission | null {
    const { cache } = this.worker;
    for (const candidate of this.set.candidates) {
      if (cache.get(candidate.account.id)?.limited) return null;
    }
    const admission = this.chooser.choose(this.set.candidates, cache);
    if (admission.type === 'admitted') this.worker.sent.of(admission.account.id).record();
    return admission;
  }

  private granted(admission: Extract<Admission, { type: 'admitted' }>, prompt: PromptToSchedule): Grant {
    const cost = admission.charged ? this.worker.estimator.costOf(prompt) : null;
    this.admissions.record();
    this.readyAt = 0;
    if (this.parkedKnown > 0) {
      queueMicrotask(() => void this.maybePromote().catch((error: unknown) => this.promoteFailed(error)));
    }
    return {
      account: admission.account,
      leaseId: admission.leaseId,
      sequence: admission.sequence,
      chargedInput: cost?.inputTokens ?? 0,
      reservedOutput: cost?.outputTokens ?? 0,
      cost,
      pool: this,
    };
  }

  private blockedHere(now: number): boolean {
    return this.set.candidates.every((candidate) => {
      const state = this.worker.cache.get(candidate.account.id);
      return state === undefined || state.disabledBy !== null || state.coolUntil > now + maxLocalWaitMs;
    });
  }

  private promoteFailed(error: unknown): void {
    this.worker.logger.warn({ err: error }, 'could not promote parked prompts; they come back on their fallback delay');
  }

  private async park(prompt: PromptToSchedule, reason: string): Promise<never> {
    // Back on its own after the fallback delay only if no worker promotes it: long enough for the
    // prompts parked ahead of it to run at this pool's recent pace.
    const perSecond = this.admissions.perSecond() * this.worker.cache.liveWorkers();
    const fallbackMs = perSecond > 0.1 ? Math.min(6 * 3_600_000, Math.max(60_000, (2_000 * (this.parkedKnown + 1)) / perSecond)) : 600_000;
    await prompt.delay(Date.now() + fallbackMs);
    this.parkedKnown = await parkJob(
      this.worker.redis,
      this.worker.keys,
      { key: this.key, description: this.description },
      {
        id: prompt.jobId,
        batchId: prompt.batchId,
        priority: prompt.priority,
      },
    );
    throw new JobParkedError(reason);
  }
}
