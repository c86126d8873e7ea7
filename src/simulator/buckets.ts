/**
 * Rate-limit buckets, the way providers enforce per-minute limits: continuously refilled token
 * buckets, one per dimension of a key, plus a count of requests in flight.
 */
import type { SimulatorLimits } from './config.ts';

/** Float dust from refilling must not turn "exactly full enough" into a 429. */
const EPSILON = 1e-9;

export class TokenBucket {
  readonly capacity: number;
  private readonly ratePerMs: number;
  private level: number;
  private updatedAt: number;

  /**
   * @param perMinute the limit; the bucket refills at perMinute / 60 per second
   * @param burstSeconds capacity in seconds of refill (at least 1 unit)
   */
  constructor(
    readonly perMinute: number,
    burstSeconds: number,
    now: number,
  ) {
    this.ratePerMs = perMinute / 60_000;
    this.capacity = Math.max(1, (perMinute / 60) * burstSeconds);
    this.level = this.capacity;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.level = Math.min(this.capacity, this.level + (now - this.updatedAt) * this.ratePerMs);
      this.updatedAt = now;
    }
  }

  /** The level now (negative while a cost bigger than the capacity is being paid off). */
  levelAt(now: number): number {
    this.refill(now);
    return this.level;
  }

  /**
   * Milliseconds until `cost` fits, 0 when it fits now. A cost above the capacity fits a full
   * bucket (and leaves it in debt), so a request is never bigger than a bucket.
   */
  waitMs(cost: number, now: number): number {
    this.refill(now);
    const needed = Math.min(cost, this.capacity);
    if (this.level + EPSILON >= needed) return 0;
    return (needed - this.level) / this.ratePerMs;
  }

  take(cost: number, now: number): void {
    this.refill(now);
    this.level -= cost;
  }

  give(amount: number, now: number): void {
    this.refill(now);
    this.level = Math.min(this.capacity, this.level + amount);
  }

  /** Milliseconds until the bucket is full again. */
  msUntilFull(now: number): number {
    this.refill(now);
    return Math.max(0, (this.capacity - this.level) / this.ratePerMs);
  }
}

export type BucketDimension = 'requests' | 'input-tokens' | 'output-tokens';
export type LimitDimension = BucketDimension | 'concurrency';

/** One bucket's state, for rate-limit headers. */
export interface BucketSnapshot {
  dimension: BucketDimension;
  /** The per-minute limit. */
  limit: number;
  /** Whole units left in the bucket now (never negative). */
  remaining: number;
  /** Epoch milliseconds at which the bucket is full again. */
  resetAt: number;
}

export type Admission =
  | { ok: true }
  | {
      ok: false;
      /** The dimension that keeps the request out longest. */
      dimension: LimitDimension;
      /** Its limit (per minute, or requests in flight for concurrency). */
      limit: number;
      /** Milliseconds until the request would fit every dimension (an estimate for concurrency). */
      retryAfterMs: number;
    };

/** When a concurrency slot frees up is unknown; tell clients to come back after this long. */
const CONCURRENCY_RETRY_MS = 1000;

/** The limits of one API key. */
export class KeyLimiter {
  private readonly requests: TokenBucket | undefined;
  private readonly inputTokens: TokenBucket | undefined;
  private readonly outputTokens: TokenBucket | undefined;
  private readonly concurrency: number | undefined;
  private inFlight = 0;
  /** False for a key without limits: nothing to check, no headers to send. */
  readonly limited: boolean;

  constructor(limits: SimulatorLimits, burstSeconds: number, now: number) {
    this.requests = limits.rpm === undefined ? undefined : new TokenBucket(limits.rpm, burstSeconds, now);
    this.inputTokens = limits.inputTpm === undefined ? undefined : new TokenBucket(limits.inputTpm, burstSeconds, now);
    this.outputTokens = limits.outputTpm === undefined ? undefined : new TokenBucket(limits.outputTpm, burstSeconds, now);
    this.concurrency = limits.concurrency;
    this.limited =
      this.requests !== undefined || this.inputTokens !== undefined || this.outputTokens !== undefined || this.concurrency !== undefined;
  }

  /**
   * Admits a request when every dimension has room, consuming 1 request, `inputTokens` and a
   * reservation of `maxOutputTokens`; consumes nothing otherwise. An admitted request must be
   * followed by exactly one `complete()`.
   */
  admit(inputTokens: number, maxOutputTokens: number, now: number): Admission {
    if (!this.limited) return ADMITTED;
    let dimension: LimitDimension | undefined;
    let limit = 0;
    let wait = 0;
    if (this.requests) {
      const ms = this.requests.waitMs(1, now);
      if (ms > wait) [dimension, limit, wait] = ['requests', this.requests.perMinute, ms];
    }
    if (this.inputTokens) {
      const ms = this.inputTokens.waitMs(inputTokens, now);
      if (ms > wait) [dimension, limit, wait] = ['input-tokens', this.inputTokens.perMinute, ms];
    }
    if (this.outputTokens) {
      const ms = this.outputTokens.waitMs(maxOutputTokens, now);
      if (ms > wait) [dimension, limit, wait] = ['output-tokens', this.outputTokens.perMinute, ms];
    }
    if (this.concurrency !== undefined && this.inFlight >= this.concurrency && CONCURRENCY_RETRY_MS > wait) {
      [dimension, limit, wait] = ['concurrency', this.concurrency, CONCURRENCY_RETRY_MS];
    }
    if (dimension !== undefined) return { ok: false, dimension, limit, retryAfterMs: wait };
    this.requests?.take(1, now);
    this.inputTokens?.take(inputTokens, now);
    this.outputTokens?.take(maxOutputTokens, now);
    this.inFlight += 1;
    return ADMITTED;
  }

  /** Ends an admitted request: frees its slot and gives back the unused output reservation. */
  complete(reservedOutputTokens: number, actualOutputTokens: number, now: number): void {
    if (!this.limited) return;
    this.inFlight = Math.max(0, this.inFlight - 1);
    const unused = reservedOutputTokens - actualOutputTokens;
    if (this.outputTokens && unused > 0) this.outputTokens.give(unused, now);
  }

  /** Requests of this key in flight now (admitted, not yet complete). */
  get requestsInFlight(): number {
    return this.inFlight;
  }

  /** The key's buckets now, for rate-limit headers; empty for a key without per-minute limits. */
  snapshot(now: number): BucketSnapshot[] {
    const snapshots: BucketSnapshot[] = [];
    const add = (dimension: BucketDimension, bucket: TokenBucket | undefined): void => {
      if (bucket === undefined) return;
      snapshots.push({
        dimension,
        limit: bucket.perMinute,
        remaining: Math.max(0, Math.floor(bucket.levelAt(now) + EPSILON)),
        resetAt: now + Math.ceil(bucket.msUntilFull(now)),
      });
    };
    add('requests', this.requests);
    add('input-tokens', this.inputTokens);
    add('output-tokens', this.outputTokens);
    return snapshots;
  }
}

const ADMITTED: Admission = { ok: true };

/** Which keys are accepted, and each one's limiter (created on first use). */
export class KeyRegistry {
  private limiters = new Map<string, KeyLimiter>();
  private readonly listed: Map<string, SimulatorLimits>;

  constructor(
    keys: readonly { key: string; limits: SimulatorLimits }[],
    private readonly acceptAnyKey: boolean,
    private readonly defaultLimits: SimulatorLimits,
    private readonly burstSeconds: number,
  ) {
    this.listed = new Map(keys.map((entry) => [entry.key, entry.limits]));
  }

  /** The limiter of an accepted key; undefined when the key is not accepted. */
  limiterFor(key: string, now: number): KeyLimiter | undefined {
    let limiter = this.limiters.get(key);
    if (limiter !== undefined) return limiter;
    const limits = this.listed.get(key) ?? (this.acceptAnyKey && key !== '' ? this.defaultLimits : undefined);
    if (limits === undefined) return undefined;
    limiter = new KeyLimiter(limits, this.burstSeconds, now);
    this.limiters.set(key, limiter);
    return limiter;
  }

  /** Full buckets for every key again. Requests in flight complete against their old limiter. */
  reset(): void {
    this.limiters = new Map();
  }
}
