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
 */
import type { Account } from '../config/schema.ts';
import type { Admission } from './admission.ts';
import type { CandidateSet } from './candidates.ts';
import type { CallCost } from './estimate.ts';
import { JobParkedError, parkJob, unparkJobs, type PoolDescription } from './parking.ts';
import { RateMeter } from './rate-meter.ts';
import type { SchedulerContext } from './context.ts';

/** What the scheduler needs of a prompt to schedule it. */
export interface ScheduledPrompt {
  jobId: string;
  batchId: string;
  /** BullMQ job priority: 0 (none) first, then 1, 2, ... */
  priority: number;
  cost(): CallCost;
  /** Moves the job to BullMQ's delayed set until `until` (ms), keeping its attempts. */
  delay(until: number): Promise<void>;
}

/** Capacity taken for one call, to be settled when the call ends. */
export interface Grant {
  account: Account;
  leaseId: string | null;
  /** Tokens admission charged and reserved (zero when the account has no limits). */
  chargedInput: number;
  reservedOutput: number;
  cost: CallCost | null;
  pool: PoolRunner;
}

interface Waiter {
  prompt: ScheduledPrompt;
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

  constructor(
    private readonly context: SchedulerContext,
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
  async acquire(prompt: ScheduledPrompt): Promise<Grant> {
    if (this.context.closing()) return this.park(prompt, 'the worker is stopping');
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
    if (this.waiters.length >= this.context.lineLimit(this)) return this.park(prompt, 'the line for its accounts is full');
    const result = await new Promise<Grant | 'park' | Error>((settle) => {
      const waiter: Waiter = { prompt, seq: (this.seq += 1), settle };
      // In line by priority, then arrival.
      let index = this.waiters.length;
      while (index > 0 && (this.waiters[index - 1] as Waiter).prompt.priority > prompt.priority) index -= 1;
      this.waiters.splice(index, 0, waiter);
      this.context.waitersChanged(1);
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
  acquireNow(prompt: ScheduledPrompt): Grant | null {
    if (this.waiters.length > 0 || this.context.closing()) return null;
    const admission = this.context.admitNow(this);
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
    if (waiting.length > 0) this.context.waitersChanged(-waiting.length);
    for (const waiter of waiting) waiter.settle('park');
    this.wakeUp?.();
  }

  /** Promotes parked prompts when this pool's line runs short and its accounts can take them. */
  async maybePromote(): Promise<void> {
    if (this.parkedKnown <= 0 || this.promoting || this.context.closing()) return;
    const now = Date.now();
    if (now > this.inboundUntil) this.inbound = 0;
    if (this.readyAt > now + maxLocalWaitMs || this.blockedHere(now)) return;
    const limit = this.context.lineLimit(this);
    const room = limit - this.waiters.length - this.inbound;
    // Refill at half a line, not one prompt at a time.
    if (room < Math.max(1, Math.ceil(limit / 2))) return;
    this.promoting = true;
    try {
      const { jobIds, left } = await unparkJobs(this.context.redis, this.context.keys, this.key, room);
      this.parkedKnown = left;
      if (jobIds.length === 0) return;
      const promoted = (await this.context.promote(jobIds)).filter(Boolean).length;
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
        if (this.context.closing()) {
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
      this.context.waitersChanged(-1);
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

  private tryAdmit(prompt: ScheduledPrompt): Promise<Admission> {
    return this.context.admit(this, prompt);
  }

  private granted(admission: Extract<Admission, { type: 'admitted' }>, prompt: ScheduledPrompt): Grant {
    const cost = admission.charged ? prompt.cost() : null;
    this.admissions.record();
    this.readyAt = 0;
    if (this.parkedKnown > 0) {
      queueMicrotask(() => void this.maybePromote().catch((error: unknown) => this.context.promoteFailed(error)));
    }
    return {
      account: admission.account,
      leaseId: admission.leaseId,
      chargedInput: cost?.inputTokens ?? 0,
      reservedOutput: cost?.outputTokens ?? 0,
      cost,
      pool: this,
    };
  }

  private blockedHere(now: number): boolean {
    return this.set.candidates.every((candidate) => {
      const state = this.context.cache.get(candidate.account.id);
      return state === undefined || state.disabledBy !== null || state.coolUntil > now + maxLocalWaitMs;
    });
  }

  private async park(prompt: ScheduledPrompt, reason: string): Promise<never> {
    // Back on its own after the fallback delay only if no worker promotes it: long enough for the
    // prompts parked ahead of it to run at this pool's recent pace.
    const perSecond = this.admissions.perSecond() * this.context.cache.liveWorkers();
    const fallbackMs = perSecond > 0.1
      ? Math.min(6 * 3_600_000, Math.max(60_000, (2_000 * (this.parkedKnown + 1)) / perSecond))
      : 600_000;
    await prompt.delay(Date.now() + fallbackMs);
    this.parkedKnown = await parkJob(this.context.redis, this.context.keys, { key: this.key, description: this.description }, {
      id: prompt.jobId,
      batchId: prompt.batchId,
      priority: prompt.priority,
    });
    throw new JobParkedError(reason);
  }
}
