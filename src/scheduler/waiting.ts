/**
 * Why prompts wait: the pools with parked prompts, and in words what holds each one up (every
 * account disabled, cooling down, or simply at its rate limit). For `relayq accounts list` and
 * `relayq status`.
 */
import type { Redis } from 'ioredis';
import { readAccountStates, type AccountState } from '../accounts/state.ts';
import type { ProviderName } from '../config/schema.ts';
import type { Keys } from '../redis/keys.ts';
import { batchWaiting, parkedPools } from './parking.ts';

export interface WaitingPool {
  poolKey: string;
  provider: ProviderName;
  accounts: string[];
  /** Prompts parked in the pool (of every batch, or of one batch for batchWaitingReasons). */
  prompts: number;
  /** What holds them up, for a person. */
  reason: string;
  /** True when no candidate account is enabled: nothing runs until someone enables one. */
  blocked: boolean;
}

/** Every pool with parked prompts. */
export async function waitingPools(redis: Redis, keys: Keys, now = Date.now()): Promise<WaitingPool[]> {
  const pools = await parkedPools(redis, keys);
  if (pools.size === 0) return [];
  const entries = [...pools];
  const pipeline = redis.pipeline();
  for (const [key] of entries) pipeline.zcard(keys.schedParked(key));
  const counts = (await pipeline.exec()) ?? [];
  const states = await statesOf(
    redis,
    keys,
    entries.flatMap(([, description]) => description.accounts.map(([id]) => id)),
    now,
  );
  return entries
    .map(([poolKey, description], index) => {
      const accounts = description.accounts.map(([id]) => id);
      const explained = explain(description.provider, accounts, states);
      return { poolKey, provider: description.provider, accounts, prompts: Number(counts[index]?.[1] ?? 0), ...explained };
    })
    .filter((pool) => pool.prompts > 0);
}

/** Why a batch's prompts wait, one sentence per pool ("12 prompts wait: every anthropic account ... is disabled: ..."). */
export async function batchWaitingReasons(redis: Redis, keys: Keys, batchId: string, now = Date.now()): Promise<WaitingPool[]> {
  const found = await batchWaiting(redis, keys, batchId);
  if (found.length === 0) return [];
  const states = await statesOf(
    redis,
    keys,
    found.flatMap((pool) => pool.accounts),
    now,
  );
  return found.map((pool) => {
    const provider = pool.provider ?? 'anthropic';
    return { poolKey: pool.poolKey, provider, accounts: pool.accounts, prompts: pool.prompts, ...explain(provider, pool.accounts, states) };
  });
}

async function statesOf(redis: Redis, keys: Keys, ids: string[], now: number): Promise<Map<string, AccountState>> {
  const unique = [...new Set(ids)];
  const states = await readAccountStates(redis, keys, unique, now);
  return new Map(states.map((state) => [state.id, state]));
}

function explain(provider: string, accounts: string[], states: Map<string, AccountState>): { reason: string; blocked: boolean } {
  const known = accounts.map((id) => states.get(id)).filter((state): state is AccountState => state !== undefined);
  const usable = known.filter((state) => state.health.status !== 'disabled');
  if (usable.length === 0) {
    const why = known.map((state) => `${state.id} (${disabledWords(state)})`).join(', ');
    return {
      reason: `every ${provider} account that can serve them is disabled: ${why || accounts.join(', ')}; enable one with relayq accounts enable ID`,
      blocked: true,
    };
  }
  const cooling = usable.filter((state) => state.health.status === 'cooling_down');
  if (cooling.length === usable.length) {
    const until = cooling.map((state) => state.health.until ?? '').sort()[0] ?? '';
    return {
      reason: `${usable.map((state) => state.id).join(', ')} cooling down after rate limits or overload (until ${until.slice(11, 19)} UTC)`,
      blocked: false,
    };
  }
  return { reason: `waiting for rate-limit capacity on ${usable.map((state) => state.id).join(', ')}`, blocked: false };
}

function disabledWords(state: AccountState): string {
  const reason = state.health.reason ?? '';
  if (state.health.disabledBy === 'provider') return `refused by the provider: ${reason}`;
  if (state.health.disabledBy === 'operator') return reason || 'disabled by an operator';
  return 'enabled: false in the config';
}
