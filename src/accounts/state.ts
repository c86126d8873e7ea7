/**
 * Account state in Redis, shared by every worker: configured limits (written from the config
 * when a worker starts), learned limits, current usage, cooldown, health and the last errors.
 * Each account is one hash of the fields named in state-fields.ts (keys.accountState), and
 * keys.accountIds lists them; the Lua scripts in src/redis/scripts change them atomically, this
 * module registers accounts, reads them for people, and enables or disables them.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Account, ProviderName } from '../config/schema.ts';
import type { Keys } from '../redis/keys.ts';
import { accountStateFields, configFields, type AccountStateField } from './state-fields.ts';

/** Writes each account's configured limits and whether the config enables it. */
export async function registerAccounts(redis: Redis, keys: Keys, accounts: readonly Account[]): Promise<void> {
  if (accounts.length === 0) return;
  // Accounts live in groups of their own (src/redis/keys.ts): one request each, sent at once.
  const writes: Promise<unknown>[] = [redis.sadd(keys.accountIds(), ...accounts.map((account) => account.id))];
  for (const account of accounts) {
    const set: string[] = [];
    const unset: string[] = [];
    const values: Record<(typeof configFields)[number], string | undefined> = {
      cfg_r: account.limits.rpm?.toString(),
      cfg_i: account.limits.inputTpm?.toString(),
      cfg_o: account.limits.outputTpm?.toString(),
      cfg_c: account.limits.concurrency?.toString(),
      cfg_t: undefined,
      cfg_burst: account.limits.burst?.toString(),
      cfg_share: account.limits.share?.toString(),
      cfg_on: account.enabled ? '1' : '0',
      provider: account.provider,
      group: account.group,
    };
    for (const field of configFields) {
      const value = values[field];
      if (value === undefined) unset.push(field);
      else set.push(field, value);
    }
    writes.push(redis.hset(keys.accountState(account.id), ...set));
    if (unset.length > 0) writes.push(redis.hdel(keys.accountState(account.id), ...unset));
  }
  await Promise.all(writes);
}

export type AccountHealthStatus = 'ok' | 'cooling_down' | 'disabled';

export interface AccountHealth {
  status: AccountHealthStatus;
  /** Why it is cooling down or disabled. */
  reason: string | null;
  /** Disabled by whom: the provider refusing its credentials, an operator, or the config. */
  disabledBy: 'provider' | 'operator' | 'config' | null;
  /** When it was disabled (ISO time). */
  since: string | null;
  /** When a cooldown ends (ISO time). */
  until: string | null;
}

export interface LimitSet {
  rpm: number | null;
  inputTpm: number | null;
  outputTpm: number | null;
  /** Input + output tokens per minute (OpenAI, Azure). */
  tpm: number | null;
  concurrency: number | null;
}

export interface AccountError {
  at: string;
  kind: string;
  message: string;
}

export interface AccountState {
  id: string;
  provider: ProviderName | null;
  group: string | null;
  enabled: boolean;
  health: AccountHealth;
  configured: LimitSet;
  /** Announced by the provider's rate-limit headers; `adaptiveRpm` found by AIMD when it announces none. */
  learned: LimitSet & { adaptiveRpm: number | null };
  /** What applies: the lower of configured and learned, times `limits.share` when set. */
  effective: LimitSet;
  usage: {
    inFlight: number;
    /** Fill of each limited bucket now, 0..1 (1 = full, all capacity available). */
    available: { rpm: number | null; inputTpm: number | null; outputTpm: number | null; tpm: number | null };
  };
  counters: { admitted: number; succeeded: number; rateLimited: number; errors: number };
  lastError: AccountError | null;
  /**
   * Set once bursts drew a 429 (the provider enforces a shorter window than its headers report):
   * since then the account is paced at its steady rate rather than spending its bucket at once.
   */
  pacing: { since: string; reason: string | null } | null;
}

const stateFields = accountStateFields;
type StateField = AccountStateField;
type RawState = Partial<Record<StateField, string>>;

/** Ids of every account some worker registered. */
export async function knownAccountIds(redis: Redis, keys: Keys): Promise<string[]> {
  return (await redis.smembers(keys.accountIds())).sort();
}

/** The state of each account, as people read it (`relayq accounts list`). */
export async function readAccountStates(redis: Redis, keys: Keys, ids: readonly string[], now = Date.now()): Promise<AccountState[]> {
  if (ids.length === 0) return [];
  // One request per account (accounts live in groups of their own), all sent at once.
  const results = await Promise.all(ids.map((id) => redis.hmget(keys.accountState(id), ...stateFields)));
  return ids.map((id, index) => {
    const values = results[index] ?? [];
    const raw: RawState = {};
    stateFields.forEach((field, offset) => {
      const value = (values as (string | null)[])[offset];
      if (value !== null && value !== undefined) raw[field] = value;
    });
    return describeAccount(id, raw, now);
  });
}

/** The latest errors of an account, newest first. */
export async function recentAccountErrors(redis: Redis, keys: Keys, id: string, count = 20): Promise<AccountError[]> {
  const items = await redis.lrange(keys.accountErrors(id), 0, count - 1);
  const errorSchema = z.object({ at: z.number(), kind: z.string(), message: z.string() });
  return items.flatMap((item) => {
    const parsed = errorSchema.safeParse(JSON.parse(item));
    return parsed.success ? [{ ...parsed.data, at: new Date(parsed.data.at).toISOString() }] : [];
  });
}

/**
 * Enables or disables an account for every worker at once. Enabling also clears a disable by
 * the provider (after a 401/403: fix the key first), and overrides `enabled: false` in the config.
 */
export async function setAccountEnabled(redis: Redis, keys: Keys, id: string, enabled: boolean, reason?: string): Promise<void> {
  const hash = keys.accountState(id);
  if (enabled) {
    const configEnabled = (await redis.hget(hash, 'cfg_on')) !== '0';
    const pipeline = redis.pipeline().hdel(hash, 'dis_why', 'dis_at');
    if (configEnabled) pipeline.hdel(hash, 'dis');
    else pipeline.hset(hash, 'dis', 'on');
    await pipeline.exec();
    return;
  }
  await redis.hset(hash, 'dis', 'off', 'dis_why', reason ?? 'disabled by an operator', 'dis_at', Date.now());
}

function describeAccount(id: string, raw: RawState, now: number): AccountState {
  const num = (field: StateField): number | null => {
    const value = raw[field];
    if (value === undefined) return null;
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  };
  const configured: LimitSet = {
    rpm: num('cfg_r'),
    inputTpm: num('cfg_i'),
    outputTpm: num('cfg_o'),
    tpm: null,
    concurrency: num('cfg_c'),
  };
  const learned = {
    rpm: num('lrn_r'),
    inputTpm: num('lrn_i'),
    outputTpm: num('lrn_o'),
    tpm: num('lrn_t'),
    concurrency: null,
    adaptiveRpm: num('aimd_r'),
  };
  const lower = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));
  const share = num('cfg_share');
  const shared = (limit: number | null): number | null =>
    limit !== null && share !== null && share > 0 && share < 1 ? limit * share : limit;
  const effective: LimitSet = {
    rpm: shared(lower(configured.rpm, learned.rpm)) ?? learned.adaptiveRpm,
    inputTpm: shared(lower(configured.inputTpm, learned.inputTpm)),
    outputTpm: shared(lower(configured.outputTpm, learned.outputTpm)),
    tpm: shared(learned.tpm),
    concurrency: configured.concurrency,
  };
  const fill = (d: 'r' | 'i' | 'o' | 't', limit: number | null): number | null => {
    if (limit === null) return null;
    const level = num(`lvl_${d}`);
    const at = num(`ts_${d}`);
    const size = bucketSize(limit, num(`cap_${d}`), num(`lrn_${d}`), { burstSeconds: num('cfg_burst'), paced: num('pace') !== null });
    if (level === null || at === null) return 1;
    return Math.max(0, Math.min(size, level + Math.max(0, now - at) * (limit / 60_000))) / size;
  };
  const dis = raw.dis;
  const configEnabled = raw.cfg_on !== '0';
  const disabledBy = dis === 'auth' ? 'provider' : dis === 'off' ? 'operator' : dis !== 'on' && !configEnabled ? 'config' : null;
  const cool = num('cool') ?? 0;
  let health: AccountHealth;
  if (disabledBy !== null) {
    const at = num('dis_at');
    health = {
      status: 'disabled',
      reason: raw.dis_why ?? (disabledBy === 'config' ? 'enabled: false in the config' : null),
      disabledBy,
      since: at === null ? null : new Date(at).toISOString(),
      until: null,
    };
  } else if (cool > now) {
    health = { status: 'cooling_down', reason: raw.cool_why ?? null, disabledBy: null, since: null, until: new Date(cool).toISOString() };
  } else {
    health = { status: 'ok', reason: null, disabledBy: null, since: null, until: null };
  }
  const errorAt = num('err_at');
  return {
    id,
    provider: (raw.provider as ProviderName | undefined) ?? null,
    group: raw.group ?? null,
    enabled: disabledBy === null,
    health,
    configured,
    learned,
    effective,
    usage: {
      inFlight: Math.max(0, num('infl') ?? 0),
      available: {
        rpm: fill('r', effective.rpm),
        inputTpm: fill('i', effective.inputTpm),
        outputTpm: fill('o', effective.outputTpm),
        tpm: fill('t', effective.tpm),
      },
    },
    counters: {
      admitted: num('n_adm') ?? 0,
      succeeded: num('n_ok') ?? 0,
      rateLimited: num('n_429') ?? 0,
      errors: num('n_err') ?? 0,
    },
    lastError: raw.err === undefined ? null : { at: new Date(errorAt ?? 0).toISOString(), kind: 'error', message: raw.err },
    pacing: num('pace') === null ? null : { since: new Date(num('pace') ?? 0).toISOString(), reason: raw.pace_why ?? null },
  };
}

/**
 * Our bucket size for a limit (mirrors includes/accountLimits.lua): the provider's bucket once its
 * headers told its size (half of it, at most 1 s of refill, when the account is paced), else
 * `limits.burst` seconds of refill (1 s when not configured).
 */
export function bucketSize(
  limit: number,
  providerSize: number | null,
  learnedLimit: number | null,
  options: { burstSeconds?: number | null; paced?: boolean } = {},
): number {
  const rate = limit / 60_000;
  const paced = options.paced === true;
  let burstMs = options.burstSeconds != null && options.burstSeconds > 0 ? options.burstSeconds * 1000 : 1000;
  if (providerSize !== null && learnedLimit !== null && providerSize > 0 && learnedLimit > 0) {
    // Nine tenths of the provider's bucket, as in includes/accountLimits.lua.
    burstMs = (providerSize / (learnedLimit / 60_000)) * 0.9;
    if (paced) burstMs = Math.min(1000, burstMs * 0.5);
  } else if (paced) {
    burstMs = Math.min(1000, burstMs);
  }
  burstMs = Math.min(60_000, Math.max(100, burstMs));
  return Math.max(1, rate * burstMs);
}
