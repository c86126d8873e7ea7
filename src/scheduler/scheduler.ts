/**
 * Rate-limit-aware account scheduling for one worker process, acting as one with every other
 * worker through Redis. `acquire` finds the account for a prompt (dedicated accounts first, then
 * the pool of accounts serving its provider and model, by priority, then by headroom × weight)
 * and takes the capacity its call needs; `settle` gives back what the call did not use and
 * learns from its answer. Prompts that must wait do so without spinning and without burning an
 * attempt: briefly in line here, or parked out of the worker (pool-runner.ts, parking.ts). Each
 * pool's runner owns its admission; this class owns what a worker's pools share.
 *
 * Rate limits, one policy for every provider: each provider module reads its own headers
 * (`providerModule(id).rateLimits.parse`) into one shape (src/providers/shared/rate-limits.ts).
 * Announced limits and remaining capacity correct the shared buckets after every answer that
 * carries them (settleAccount-3.lua); a 429 rests the account for the provider's retry hint, else
 * until one unit of the exhausted dimension is back, not until its full reset, because the
 * providers' buckets refill continuously (settlement.ts `cooldownFor`); when a provider announces
 * no limits, AIMD finds the request rate. Input tokens are charged as the provider counts them
 * (`usage.limitedInput`).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Account } from '../config/schema.ts';
import type { ProviderError } from '../executors/errors.ts';
import type { ExecuteResult } from '../executors/types.ts';
import { providerModule } from '../providers/index.ts';
import { announcesLimits } from '../providers/shared/rate-limits.ts';
import { BindingCache } from '../accounts/bindings.ts';
import { registerAccounts } from '../accounts/state.ts';
import type { Keys } from '../redis/keys.ts';
import { AccountCache } from './account-cache.ts';
import { CandidateResolver, NoCandidateError, type CandidateSet } from './candidates.ts';
import { TokenEstimator } from './estimate.ts';
import { LeaseKeeper } from './leases.ts';
import { LineBudget } from './line-budget.ts';
import { parkedPools, type PoolDescription } from './parking.ts';
import { PoolRunner, type Grant, type WorkerParts } from './pool-runner.ts';
import type { PromptToSchedule } from './prompt.ts';
import { RateMeters } from './rate-meter.ts';
import { RoomHints } from './sampling.ts';
import { cooldownFor, outcomeOf, reactionTo, settleAccount, type Reaction, type SettleInput } from './settlement.ts';

export type { Grant, PromptToSchedule, Reaction };
export { NoCandidateError };

export interface SchedulerOptions {
  /** A connection for relayq's own commands (auto-pipelining helps: many small scripts). */
  redis: Redis;
  keys: Keys;
  accounts: readonly Account[];
  /** The worker's concurrency: how many prompts it holds at once. */
  concurrency: number;
  /** A crashed worker's concurrency leases come back after this long (the job lock duration). */
  leaseTtlMs: number;
  logger: Logger;
  /** Moves parked jobs back into the queue (createPromoter). */
  promote(jobIds: readonly string[]): Promise<boolean[]>;
  /** How often the account cache is refreshed; default 500 ms. */
  refreshMs?: number;
}

export type CallResult =
  | { ok: true; result: ExecuteResult; streamed: boolean }
  /** `error` null: the call failed in relayq itself, or never left. */
  | { ok: false; error: ProviderError | null };

/** How often each worker looks for parked prompts it could promote. */
const scanIntervalMs = 1_000;

export class Scheduler {
  readonly estimator = new TokenEstimator();
  readonly cache: AccountCache;
  private readonly leases: LeaseKeeper;
  private readonly bindings: BindingCache;
  private readonly resolver: CandidateResolver;
  private readonly runners = new Map<string, PoolRunner>();
  private readonly sent = new RateMeters();
  private readonly hints = new RoomHints();
  private readonly lines: LineBudget;
  private readonly accountsById: Map<string, Account>;
  private readonly workerId = `${process.pid}-${randomBytes(3).toString('hex')}`;
  private scanTimer: NodeJS.Timeout | null = null;
  /** What every pool runner of this worker shares. */
  private readonly parts: WorkerParts;

  constructor(private readonly options: SchedulerOptions) {
    const { redis, keys, accounts } = options;
    this.accountsById = new Map(accounts.map((account) => [account.id, account]));
    this.cache = new AccountCache(redis, keys, accounts, this.workerId, options.refreshMs ?? 500);
    this.leases = new LeaseKeeper(redis, keys, options.leaseTtlMs, this.workerId);
    this.bindings = new BindingCache(redis, keys);
    this.resolver = new CandidateResolver(accounts);
    this.lines = new LineBudget(options.concurrency);
    this.parts = {
      redis,
      keys,
      cache: this.cache,
      hints: this.hints,
      leases: this.leases,
      sent: this.sent,
      estimator: this.estimator,
      lines: this.lines,
      promote: options.promote,
      logger: options.logger,
    };
  }

  /** The account list executors see: the config's, with `enabled` as the shared state has it now. */
  liveAccounts(): Account[] {
    return this.options.accounts.map((account) => {
      const state = this.cache.get(account.id);
      const enabled = state === undefined ? account.enabled : state.disabledBy === null;
      return enabled === account.enabled ? account : { ...account, enabled };
    });
  }

  async start(): Promise<void> {
    await registerAccounts(this.options.redis, this.options.keys, this.options.accounts);
    await Promise.all([this.cache.start(), this.bindings.refresh()]);
    this.leases.start();
    const scan = (): void => {
      this.scanTimer = setTimeout(() => {
        this.scan()
          .catch((error: unknown) => this.options.logger.warn({ err: error }, 'looking for parked prompts failed'))
          .finally(() => {
            if (!this.lines.stopping) scan();
          });
      }, scanIntervalMs);
      this.scanTimer.unref();
    };
    scan();
  }

  /** Stops taking capacity: prompts waiting in line are parked (they go back to the queue for other workers). */
  shutdown(): void {
    this.lines.stopping = true;
    for (const runner of this.runners.values()) runner.parkAll();
  }

  stop(): void {
    this.lines.stopping = true;
    if (this.scanTimer !== null) clearTimeout(this.scanTimer);
    this.cache.stop();
    this.leases.stop();
  }

  /**
   * Capacity for one call of a prompt. Throws NoCandidateError when no account could ever serve
   * it, JobParkedError (a BullMQ DelayedError) when it was parked.
   */
  async acquire(request: PromptToSchedule): Promise<Grant> {
    const binding = await this.bindings.forBatch(request.batchId);
    const set = this.resolver.resolve(request.provider, request.model, binding, `batch ${request.batchId}`);
    return this.runnerFor(set).acquire(request);
  }

  /**
   * The same, answered without any round trip when that is possible (the pool's accounts have
   * no limits and nobody waits); null when `acquire` is needed. Throws NoCandidateError.
   */
  acquireNow(request: PromptToSchedule): Grant | null {
    const binding = this.bindings.peek(request.batchId);
    if (binding === undefined) return null;
    const set = this.resolver.resolve(request.provider, request.model, binding, `batch ${request.batchId}`);
    return this.runnerFor(set).acquireNow(request);
  }

  /**
   * Ends a successful call: gives back the unused output reservation, corrects the input
   * estimate, learns from the rate-limit headers, clears the account's overloads in a row.
   * Undefined when there is nothing to tell Redis (an account without limits whose answer
   * announced none, and no overload to clear): no round trip.
   */
  settleSuccess(grant: Grant, result: ExecuteResult, streamed: boolean): Promise<void> | undefined {
    const { usage } = result;
    if (grant.cost !== null) this.estimator.calibrate(grant.cost, usage.inputTokens + usage.cacheRead + usage.cacheWrite);
    // Nothing taken, nothing announced and no overload to clear: nothing to tell Redis.
    const overloaded = (this.cache.get(grant.account.id)?.overloads ?? 0) > 0;
    const module = providerModule(grant.account.provider);
    const limits = module.rateLimits.parse(result.headers, Date.now());
    if (!this.took(grant) && !overloaded && !announcesLimits(limits)) return undefined;
    if (grant.leaseId !== null) this.leases.release(grant.account.id, grant.leaseId);
    return this.settleInRedis(grant, {
      ...this.settleBase(grant),
      outcome: 'ok',
      actualInput: module.usage.limitedInput(usage),
      actualOutput: usage.outputTokens,
      cooldownMs: 0,
      message: '',
      limits,
      fresh: !streamed,
    });
  }

  /** Ends a call: corrects the account's buckets, learns from the answer, and says what the prompt does next. */
  async settle(grant: Grant, call: CallResult): Promise<Reaction> {
    if (call.ok) {
      await this.settleSuccess(grant, call.result, call.streamed);
      return 'continue';
    }
    const { account } = grant;
    if (grant.leaseId !== null) this.leases.release(account.id, grant.leaseId);
    const took = this.took(grant);
    const base = this.settleBase(grant);
    const { error } = call;
    const outcome = error === null ? 'released' : outcomeOf(error);
    if (outcome === 'released' && !took) return 'continue';
    const limits = providerModule(account.provider).rateLimits.parse(error?.headers ?? {}, Date.now());
    // Refused before any work (429, 529, 401): nothing was used. Anything else may have used it all.
    const refused = outcome === 'rate_limited' || outcome === 'overloaded' || outcome === 'auth';
    if (outcome === 'overloaded') this.cache.markOverloaded(account.id);
    const cooldownMs =
      error === null
        ? 0
        : outcome === 'rate_limited'
          ? cooldownFor(error, limits)
          : outcome === 'overloaded'
            ? (error.retryAfterMs ?? limits.retryAfterMs ?? 0)
            : 0;
    await this.settleInRedis(grant, {
      ...base,
      outcome,
      actualInput: refused ? 0 : -1,
      actualOutput: refused ? 0 : grant.reservedOutput,
      cooldownMs,
      message: error?.message ?? 'the call failed inside relayq',
      limits,
      fresh: true,
    });
    if (outcome === 'rate_limited') this.cache.markCooling(account.id, Date.now() + Math.max(250, cooldownMs), error?.message ?? '');
    if (outcome === 'auth') {
      this.options.logger.warn(
        { accountId: account.id, reason: error?.message },
        'account disabled: the provider refused it; fix it, then relayq accounts enable',
      );
    }
    return reactionTo(outcome);
  }

  /** True when the pool of a grant has another account usable now (a prompt retried after a 529 will find it). */
  hasOtherReadyAccount(grant: Grant): boolean {
    const now = Date.now();
    return grant.pool.set.candidates.some((candidate) => {
      if (candidate.account.id === grant.account.id) return false;
      const state = this.cache.get(candidate.account.id);
      return state !== undefined && state.disabledBy === null && state.coolUntil <= now;
    });
  }

  private took(grant: Grant): boolean {
    return grant.leaseId !== null || grant.chargedInput > 0 || grant.reservedOutput > 0;
  }

  private settleBase(
    grant: Grant,
  ): Pick<SettleInput, 'accountId' | 'leaseId' | 'sequence' | 'chargedInput' | 'reservedOutput' | 'observedRpm'> {
    return {
      accountId: grant.account.id,
      leaseId: grant.leaseId,
      sequence: grant.sequence,
      chargedInput: grant.chargedInput,
      reservedOutput: grant.reservedOutput,
      observedRpm: this.sent.of(grant.account.id).perSecond() * 60 * this.cache.liveWorkers(),
    };
  }

  private async settleInRedis(grant: Grant, input: SettleInput): Promise<void> {
    const answer = await settleAccount(this.options.redis, this.options.keys, input);
    this.cache.applySettle(input.accountId, answer);
    this.hints.settled(input.accountId);
    if (grant.leaseId !== null) grant.pool.wake();
  }

  private runnerFor(set: CandidateSet): PoolRunner {
    let runner = this.runners.get(set.key);
    if (runner === undefined) {
      runner = new PoolRunner(this.parts, set);
      this.runners.set(set.key, runner);
    }
    return runner;
  }

  /** Finds pools with parked prompts (also those parked by other workers) and promotes what fits. */
  private async scan(): Promise<void> {
    const pools = await parkedPools(this.options.redis, this.options.keys);
    for (const [key, description] of pools) {
      if (this.runners.has(key)) continue;
      const set = this.setFrom(key, description);
      if (set !== null) this.runners.set(key, new PoolRunner(this.parts, set));
    }
    const watched = [...this.runners.values()].filter((runner) => pools.has(runner.key) || runner.parkedKnown > 0);
    if (watched.length === 0) return;
    const pipeline = this.options.redis.pipeline();
    for (const runner of watched) pipeline.zcard(this.options.keys.schedParked(runner.key));
    const counts = (await pipeline.exec()) ?? [];
    watched.forEach((runner, index) => {
      const count = counts[index]?.[1];
      if (typeof count === 'number') runner.parkedKnown = count;
    });
    await Promise.all(watched.map((runner) => runner.maybePromote()));
  }

  /** A pool another worker registered, if this worker has all its accounts. */
  private setFrom(key: string, description: PoolDescription): CandidateSet | null {
    const candidates = [];
    for (const [id, rank] of description.accounts) {
      const account = this.accountsById.get(id);
      if (account === undefined) return null;
      candidates.push({ account, rank });
    }
    return candidates.length === 0 ? null : { key, provider: description.provider, candidates };
  }
}
