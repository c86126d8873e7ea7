/**
 * A worker's copy of what it needs to know about each account without asking Redis per prompt:
 * whether any limit applies (accounts without limits skip admission entirely: no extra round
 * trip), whether it is disabled and why, and until when it cools down. Refreshed from the
 * shared state twice a second, and at once from the answers of this worker's own calls. The
 * refresh doubles as the worker's heartbeat, which tells how many workers share the accounts.
 */
import type { Redis } from 'ioredis';
import { limitFields, type AccountStateField } from '../accounts/state-fields.ts';
import type { Account } from '../config/schema.ts';
import type { Keys } from '../redis/keys.ts';

export interface CachedAccount {
  /** A configured, learned or adaptive limit applies: calls go through admission. */
  limited: boolean;
  /** "provider" (401/403), "operator" (relayq accounts disable), "config" (enabled: false); null when usable. */
  disabledBy: 'provider' | 'operator' | 'config' | null;
  disabledReason: string | null;
  coolUntil: number;
  coolReason: string | null;
  /** Overloads (529/503) in a row the shared state holds; a success clears them in Redis. */
  overloads: number;
}

const fields = [...limitFields, 'cfg_on', 'dis', 'dis_why', 'cool', 'cool_why', 'ovl'] as const satisfies readonly AccountStateField[];
type CachedField = (typeof fields)[number];
/** A worker whose heartbeat is older than this is gone. */
export const workerTimeoutMs = 15_000;

export class AccountCache {
  private readonly entries = new Map<string, CachedAccount>();
  private timer: NodeJS.Timeout | null = null;
  private workers = 1;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly accounts: readonly Account[],
    private readonly workerId: string,
    private readonly refreshMs = 500,
  ) {
    for (const account of accounts) {
      const { rpm, inputTpm, outputTpm, concurrency } = account.limits;
      this.entries.set(account.id, {
        limited: rpm !== undefined || inputTpm !== undefined || outputTpm !== undefined || concurrency !== undefined,
        disabledBy: account.enabled ? null : 'config',
        disabledReason: account.enabled ? null : 'enabled: false in the config',
        coolUntil: 0,
        coolReason: null,
        overloads: 0,
      });
    }
  }

  get(id: string): CachedAccount | undefined {
    return this.entries.get(id);
  }

  /** Worker processes alive now (this one included). */
  liveWorkers(): number {
    return this.workers;
  }

  /** Called after every refresh (pools re-check parked prompts and disabled accounts). */
  onRefresh(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    await this.refresh();
    const tick = (): void => {
      this.timer = setTimeout(() => {
        this.refresh()
          .catch(() => {
            // Redis is away: keep the last known state; BullMQ pauses the work anyway.
          })
          .finally(() => {
            if (this.timer !== null) tick();
          });
      }, this.refreshMs);
      this.timer.unref();
    };
    tick();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.listeners.clear();
  }

  async refresh(): Promise<void> {
    const now = Date.now();
    // The workers' heartbeats (one pipeline, the scheduling tag) and each account's state (its
    // own group's tag, one request each), all sent at once.
    const heartbeat = this.redis
      .pipeline()
      .zadd(this.keys.schedWorkers(), now, this.workerId)
      .zremrangebyscore(this.keys.schedWorkers(), '-inf', now - workerTimeoutMs)
      .zcard(this.keys.schedWorkers());
    const [beats, ...results] = await Promise.all([
      heartbeat.exec(),
      ...this.accounts.map((account) =>
        this.redis.hmget(this.keys.accountState(account.id), ...fields).catch((error: unknown) => error as Error),
      ),
    ]);
    if (beats === null) return;
    const workers = beats[2]?.[1];
    if (typeof workers === 'number' && workers > 0) this.workers = workers;
    this.accounts.forEach((account, index) => {
      const values = results[index];
      if (values instanceof Error || values === undefined) return;
      const raw: Partial<Record<CachedField, string>> = {};
      fields.forEach((field, offset) => {
        const value = (values as (string | null)[])[offset];
        if (value !== null && value !== undefined) raw[field] = value;
      });
      this.entries.set(account.id, toCached(raw));
    });
    for (const listener of this.listeners) listener();
  }

  /** Applies what a settle call answered, so this worker acts on it before the next refresh. */
  applySettle(id: string, answer: { limited: boolean; coolUntil: number; disabled: string; overloads: number }): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    const { limited, coolUntil, disabled } = answer;
    entry.limited = limited;
    entry.overloads = answer.overloads;
    if (coolUntil > entry.coolUntil) entry.coolUntil = coolUntil;
    if (disabled === 'auth') entry.disabledBy = 'provider';
  }

  /**
   * Counts an overload here and now, before Redis has settled it: the successes that end while
   * it is being settled then go to Redis too, and clear the run there.
   */
  markOverloaded(id: string): void {
    const entry = this.entries.get(id);
    if (entry !== undefined) entry.overloads += 1;
  }

  /** Marks an account cooling down here and now (a 429 on an account without limits). */
  markCooling(id: string, until: number, reason: string): void {
    const entry = this.entries.get(id);
    if (entry !== undefined && until > entry.coolUntil) {
      entry.coolUntil = until;
      entry.coolReason = reason;
    }
  }
}

function toCached(raw: Partial<Record<CachedField, string>>): CachedAccount {
  const limited = limitFields.some((field) => raw[field] !== undefined);
  const disabledBy =
    raw.dis === 'auth' ? 'provider' : raw.dis === 'off' ? 'operator' : raw.dis !== 'on' && raw.cfg_on === '0' ? 'config' : null;
  return {
    limited,
    disabledBy,
    disabledReason: disabledBy === null ? null : (raw.dis_why ?? (disabledBy === 'config' ? 'enabled: false in the config' : null)),
    coolUntil: Number(raw.cool ?? 0) || 0,
    coolReason: raw.cool_why ?? null,
    overloads: Number(raw.ovl ?? 0) || 0,
  };
}
