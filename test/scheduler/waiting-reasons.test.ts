/**
 * Why parked prompts wait, in words, from the pools' parked sets and the accounts' states in
 * Redis; and the concurrency leases a worker keeps alive for its calls.
 */
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { LeaseKeeper } from '../../src/scheduler/leases.ts';
import { parkJob, type PoolDescription } from '../../src/scheduler/parking.ts';
import { batchWaitingReasons, waitingPools } from '../../src/scheduler/waiting.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

describe('why prompts wait', () => {
  let redis: Redis;
  let keys: Keys;
  let prefix: string;
  const now = Date.UTC(2026, 5, 1, 12, 0, 0);

  beforeEach(() => {
    prefix = testPrefix('whywait');
    keys = createKeys(prefix);
    redis = testRedis();
  });

  afterEach(async () => {
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  async function park(poolKey: string, description: PoolDescription, batchId: string, count: number) {
    for (let i = 0; i < count; i += 1)
      await parkJob(redis, keys, { key: poolKey, description }, { id: `${batchId}.${poolKey}.${i}`, batchId, priority: 0 });
  }

  const pool = (provider: PoolDescription['provider'], ...ids: string[]): PoolDescription => ({
    provider,
    accounts: ids.map((id, rank) => [id, rank]),
  });

  it('names the accounts that hold each pool up: disabled (by whom), cooling down, or at their limit', async () => {
    await redis.hset(keys.accountState('a1'), 'dis', 'auth', 'dis_why', '401 invalid x-api-key', 'dis_at', now - 1000);
    await redis.hset(keys.accountState('a2'), 'dis', 'off', 'dis_why', 'key rotation');
    await redis.hset(keys.accountState('a3'), 'cfg_on', '0');
    await redis.hset(keys.accountState('a4'), 'dis', 'off', 'dis_why', '');
    await redis.hset(keys.accountState('o1'), 'cool', now + 90_000, 'cool_why', '429');
    await redis.hset(keys.accountState('o2'), 'cool', now + 30_000);
    await redis.hset(keys.accountState('g1'), 'cool', now + 30_000);
    await park('anthropic-pool', pool('anthropic', 'a1', 'a2', 'a3', 'a4'), 'batch_one', 3);
    await park('openai-pool', pool('openai', 'o1', 'o2'), 'batch_one', 2);
    await park('gemini-pool', pool('gemini', 'g1', 'g2'), 'batch_two', 4);

    const pools = await waitingPools(redis, keys, now);
    const byKey = new Map(pools.map((found) => [found.poolKey, found]));
    expect([...byKey.keys()].sort()).toEqual(['anthropic-pool', 'gemini-pool', 'openai-pool']);
    expect(byKey.get('anthropic-pool')).toEqual({
      poolKey: 'anthropic-pool',
      provider: 'anthropic',
      accounts: ['a1', 'a2', 'a3', 'a4'],
      prompts: 3,
      reason:
        'every anthropic account that can serve them is disabled: a1 (refused by the provider: 401 invalid x-api-key), ' +
        'a2 (key rotation), a3 (enabled: false in the config), a4 (disabled by an operator); enable one with relayq accounts enable ID',
      blocked: true,
    });
    expect(byKey.get('openai-pool')).toEqual({
      poolKey: 'openai-pool',
      provider: 'openai',
      accounts: ['o1', 'o2'],
      prompts: 2,
      // The earliest end of a cooldown.
      reason: 'o1, o2 cooling down after rate limits or overload (until 12:00:30 UTC)',
      blocked: false,
    });
    expect(byKey.get('gemini-pool')).toMatchObject({ prompts: 4, reason: 'waiting for rate-limit capacity on g1, g2', blocked: false });

    // One batch's view: only its own pools and prompts.
    expect(await batchWaitingReasons(redis, keys, 'batch_two', now)).toEqual([
      {
        poolKey: 'gemini-pool',
        provider: 'gemini',
        accounts: ['g1', 'g2'],
        prompts: 4,
        reason: 'waiting for rate-limit capacity on g1, g2',
        blocked: false,
      },
    ]);
    expect(await batchWaitingReasons(redis, keys, 'batch_none', now)).toEqual([]);
    // Once the cooldowns are over, the same pool only waits for capacity.
    expect((await waitingPools(redis, keys, now + 120_000)).find((found) => found.poolKey === 'openai-pool')?.reason).toBe(
      'waiting for rate-limit capacity on o1, o2',
    );
  });

  it('leaves out pools whose prompts all left, and says so when no pool has any', async () => {
    expect(await waitingPools(redis, keys, now)).toEqual([]);
    await park('p', pool('openai', 'o1'), 'batch_one', 1);
    await redis.del(keys.schedParked('p'));
    expect(await waitingPools(redis, keys, now)).toEqual([]);
  });

  it('a pool of one account disabled by an operator without a reason says so', async () => {
    await park('p', pool('bedrock', 'b1'), 'batch_one', 1);
    await redis.hset(keys.accountState('b1'), 'dis', 'off');
    const [found] = await batchWaitingReasons(redis, keys, 'batch_one', now);
    expect(found?.reason).toBe(
      'every bedrock account that can serve them is disabled: b1 (disabled by an operator); enable one with relayq accounts enable ID',
    );
  });
});

describe('concurrency leases a worker holds', () => {
  let redis: Redis;
  let keys: Keys;
  let prefix: string;

  beforeEach(() => {
    prefix = testPrefix('leases');
    keys = createKeys(prefix);
    redis = testRedis();
  });

  afterEach(async () => {
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('gives ids unique to the worker, counts what it holds, and renews only leases that still exist', async () => {
    const keeper = new LeaseKeeper(redis, keys, 3_000, 'w1');
    const first = keeper.newLease();
    const second = keeper.newLease();
    expect(first).toEqual({ id: 'w1:1', ttlMs: 3_000 });
    expect(second.id).toBe('w1:2');
    expect(new LeaseKeeper(redis, keys, 3_000, 'w2').newLease().id).toBe('w2:1');

    // No leases: renewing sends nothing.
    await keeper.renew();
    expect(await redis.exists(keys.accountLeases('acct'))).toBe(0);

    await redis.zadd(keys.accountLeases('acct'), 1, first.id, 1, second.id);
    keeper.hold('acct', first.id);
    keeper.hold('acct', second.id);
    keeper.hold('other', 'w1:3');
    expect(keeper.count).toBe(3);
    const before = Date.now();
    await keeper.renew();
    const score = Number(await redis.zscore(keys.accountLeases('acct'), first.id));
    expect(score).toBeGreaterThanOrEqual(before + 3_000);
    expect(score).toBeLessThanOrEqual(Date.now() + 3_000);
    expect(Number(await redis.zscore(keys.accountLeases('acct'), second.id))).toBe(score);
    // A lease that expired (and was taken out by admission) is not brought back.
    expect(await redis.exists(keys.accountLeases('other'))).toBe(0);

    keeper.release('acct', first.id);
    keeper.release('acct', first.id);
    keeper.release('nobody', 'w1:9');
    expect(keeper.count).toBe(2);
    keeper.release('acct', second.id);
    keeper.release('other', 'w1:3');
    expect(keeper.count).toBe(0);
    await redis.zadd(keys.accountLeases('acct'), 5, first.id);
    await keeper.renew();
    expect(await redis.zscore(keys.accountLeases('acct'), first.id)).toBe('5');
  });

  it('renews more than 500 leases of one account, and keeps renewing on its timer until stopped', async () => {
    const keeper = new LeaseKeeper(redis, keys, 300, 'w1');
    const ids = Array.from({ length: 1_200 }, () => keeper.newLease().id);
    await redis.zadd(keys.accountLeases('acct'), ...ids.flatMap((id) => [1, id]));
    for (const id of ids) keeper.hold('acct', id);
    keeper.start();
    keeper.start();
    const deadline = Date.now() + 5_000;
    const renewed = async () => (await redis.zrangebyscore(keys.accountLeases('acct'), Date.now(), '+inf')).length;
    while ((await renewed()) < 1_200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await renewed()).toBe(1_200);
    keeper.stop();
    keeper.stop();
    // Stopped: the leases run out.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await renewed()).toBe(0);
  });
});
