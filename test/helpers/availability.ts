/**
 * Executor contexts whose availability reader reads a real Redis under a key prefix of the
 * test's own: the accounts are registered as a worker registers them.
 */
import type { Redis } from 'ioredis';
import { createAvailabilityReader } from '../../src/accounts/availability.ts';
import { registerAccounts } from '../../src/accounts/state.ts';
import type { Account } from '../../src/config/schema.ts';
import type { ExecutorContext } from '../../src/executors/types.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { withScripts } from '../../src/redis/scripts.ts';
import { testPrefix, testRedis } from './redis.ts';

export interface AvailabilityFixture {
  redis: Redis;
  keys: Keys;
  /** A context over `accounts` and no others: the state hash is emptied, then they are registered. */
  context(accounts: readonly Account[]): Promise<ExecutorContext>;
  /** Deletes the state hash and closes the connection. */
  close(): Promise<void>;
}

export function availabilityFixture(name = 'avail'): AvailabilityFixture {
  const redis = withScripts(testRedis());
  const keys = createKeys(testPrefix(name));
  return {
    redis,
    keys,
    async context(accounts) {
      await dropAccounts(redis, keys);
      await registerAccounts(redis, keys, accounts);
      return { accounts: () => accounts, availability: createAvailabilityReader(redis, keys, () => accounts) };
    },
    async close() {
      await dropAccounts(redis, keys);
      redis.disconnect();
    },
  };
}

/** Deletes every registered account's state and leases, and the index of them. */
async function dropAccounts(redis: Redis, keys: Keys): Promise<void> {
  const ids = await redis.smembers(keys.accountIds());
  await redis.del(keys.accountIds(), ...ids.flatMap((id) => [keys.accountState(id), keys.accountLeases(id)]));
}
