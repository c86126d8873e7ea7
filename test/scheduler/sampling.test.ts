/**
 * Admission over a sample of the pool's accounts: which accounts a sample holds (rank first,
 * weighted within a rank, none the worker knows to have no room), and admitSampled against a
 * real Redis: it finds the account with room among many, sends the script no more than two
 * accounts a call, and waits without a round trip when every account is known to be full.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerAccounts } from '../../src/accounts/state.ts';
import { accountSchema, type Account } from '../../src/config/schema.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { withScripts, type ScriptedRedis } from '../../src/redis/scripts.ts';
import { AccountCache } from '../../src/scheduler/account-cache.ts';
import { admitSampled, type Admission } from '../../src/scheduler/admission.ts';
import type { Candidate } from '../../src/scheduler/candidates.ts';
import type { CallCost } from '../../src/scheduler/estimate.ts';
import { RoomHints, sampleCandidates, soonestRoom } from '../../src/scheduler/sampling.ts';
import { testPrefix, testRedis } from '../helpers/redis.ts';

const redis: Redis = withScripts(testRedis());
let keys: Keys;
const ids = Array.from({ length: 12 }, (_, index) => `acct-${index}`);

beforeEach(() => {
  keys = createKeys(testPrefix('sample'));
  scriptCalls.mockClear();
});
afterEach(async () => {
  await redis.del(
    keys.accountIds(),
    keys.schedWorkers(),
    ...ids.flatMap((id) => [keys.accountState(id), keys.accountLeases(id), keys.accountErrors(id)]),
  );
});
afterAll(() => redis.disconnect());

function account(id: string, extra: Record<string, unknown> = {}): Account {
  return accountSchema.parse({ id, provider: 'anthropic', apiKey: 'k', limits: { rpm: 600 }, ...extra });
}

function pool(accounts: Account[], rankOf: (account: Account) => number = (a) => a.priority): Candidate[] {
  return accounts.map((acct) => ({ account: acct, rank: rankOf(acct) })).sort((a, b) => b.rank - a.rank);
}

/** A cache that has not read Redis: every account as the config has it. */
function configCache(accounts: Account[]): AccountCache {
  return new AccountCache(redis, keys, accounts, 'test-worker');
}

const cost: CallCost = { inputTokens: 10, outputTokens: 20, inputChars: 40, family: 'anthropic:claude' };
let leaseCounter = 0;
const lease = () => ({ id: `s:${(leaseCounter += 1)}`, ttlMs: 30_000 });

/** The admission script's calls on this connection, and how many accounts each was sent. */
const scriptCalls = vi.spyOn(redis as ScriptedRedis, 'admitAccount');
async function admitCalls(): Promise<number> {
  return scriptCalls.mock.calls.length;
}
function accountsPerCall(): number[] {
  // The key count first: a state hash and a leases set per account.
  return scriptCalls.mock.calls.map((args) => Number(args[0]) / 2);
}

describe('sampleCandidates', () => {
  it('takes two of the best rank, and a lower rank only when the best has fewer than two that may have room', () => {
    const high = [account('acct-0', { priority: 5 }), account('acct-1', { priority: 5 })];
    const low = [account('acct-2'), account('acct-3')];
    const all = [...high, ...low];
    const cache = configCache(all);
    const hints = new RoomHints();
    const list = pool(all);
    for (let i = 0; i < 20; i += 1) {
      const ids = sampleCandidates(list, cache, hints, new Set(), 1_000).map((c) => c.account.id);
      expect(ids.sort()).toEqual(['acct-0', 'acct-1']);
    }
    hints.noRoom('acct-1', 50, 'r', 1_000);
    const picked = sampleCandidates(list, cache, hints, new Set(), 1_010).map((c) => c.account.id);
    expect(picked[0]).toBe('acct-0');
    expect(['acct-2', 'acct-3']).toContain(picked[1]);
    // The hint ends at its time.
    expect(sampleCandidates(list, cache, hints, new Set(['acct-0']), 1_050).map((c) => c.account.id)[0]).toBe('acct-1');
  });

  it("draws the rest of a sample from the first account's group, across ranks too", () => {
    const all = [account('acct-0', { priority: 5 }), account('acct-1', { priority: 5 }), account('acct-2'), account('acct-3')];
    const cache = configCache(all);
    // acct-0 and acct-2 in group 0, acct-1 and acct-3 in group 1.
    const groupOf = (id: string) => Number(id.slice(5)) % 2;
    for (let i = 0; i < 40; i += 1) {
      const ids = sampleCandidates(pool(all), cache, new RoomHints(), new Set(), 0, 2, Math.random, groupOf).map((c) => c.account.id);
      expect(ids).toHaveLength(2);
      expect(new Set(ids.map(groupOf)).size).toBe(1);
      // The best rank's account first; its group's lower-rank account second.
      expect(ids[1]).toBe(ids[0] === 'acct-0' ? 'acct-2' : 'acct-3');
    }
    // One account in its group: a sample of one.
    const lonely = [account('acct-0'), account('acct-1'), account('acct-3')];
    const single = (id: string) => (id === 'acct-0' ? 0 : 1);
    // Evenly spread draws (a fixed sequence), so every account comes first in some.
    let point = 0;
    const spread = () => (point = (point + 0.37) % 1);
    const draws = Array.from({ length: 30 }, () =>
      sampleCandidates(pool(lonely), configCache(lonely), new RoomHints(), new Set(), 0, 2, spread, single).map((c) => c.account.id),
    );
    for (const ids of draws) {
      if (ids[0] === 'acct-0') expect(ids).toEqual(['acct-0']);
      else expect([...ids].sort()).toEqual(['acct-1', 'acct-3']);
    }
    expect(draws.some((ids) => ids[0] === 'acct-0')).toBe(true);
  });

  it('draws by weight: an account of weight 3 is in about three times as many first picks as one of weight 1', () => {
    const heavy = account('acct-0', { weight: 3 });
    const light = account('acct-1');
    const others = [account('acct-2'), account('acct-3')].map((a) => ({ ...a, weight: 1 }));
    const all = [light, heavy, ...others];
    const cache = configCache(all);
    let seed = 7;
    // A fixed sequence, so the test cannot fail by chance.
    const random = (): number => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    const first = new Map<string, number>();
    for (let i = 0; i < 6_000; i += 1) {
      const [pick] = sampleCandidates(pool(all), cache, new RoomHints(), new Set(), 0, 1, random);
      first.set(pick?.account.id ?? '', (first.get(pick?.account.id ?? '') ?? 0) + 1);
    }
    const ratio = (first.get('acct-0') ?? 0) / (first.get('acct-1') ?? 1);
    expect(ratio).toBeGreaterThan(2.6);
    expect(ratio).toBeLessThan(3.4);
  });

  it('leaves out accounts disabled or cooling down in the cache, and soonestRoom names the first to come back', async () => {
    const all = ids.slice(0, 3).map((id) => account(id));
    await registerAccounts(redis, keys, all);
    const now = Date.now();
    await redis.hset(keys.accountState('acct-0'), 'dis', 'off');
    await redis.hset(keys.accountState('acct-1'), 'cool', String(now + 2_000));
    const cache = configCache(all);
    await cache.refresh();
    const hints = new RoomHints();
    expect(sampleCandidates(pool(all), cache, hints, new Set(), now).map((c) => c.account.id)).toEqual(['acct-2']);
    expect(soonestRoom(pool(all), cache, hints, now)).toBeNull();
    hints.noRoom('acct-2', 300, 'r', now);
    expect(soonestRoom(pool(all), cache, hints, now)).toEqual({ waitMs: 300, why: 'r' });
    hints.noRoom('acct-2', 5_000, 'o', now);
    expect(soonestRoom(pool(all), cache, hints, now)).toMatchObject({ why: 'cooldown' });
    // A settle frees a token wait, not a request wait.
    hints.settled('acct-2');
    expect(hints.get('acct-2', now)).toBeUndefined();
    hints.noRoom('acct-2', 300, 'r', now);
    hints.settled('acct-2');
    expect(hints.get('acct-2', now)).toMatchObject({ why: 'r' });
  });
});

describe('admitSampled', () => {
  it('finds the one account with room among twelve, two accounts per call, then waits without asking Redis', async () => {
    // acct-7: 60/min, a bucket of one request. The others: 6/min with their buckets spent (10 s until the next).
    const all = ids.map((id) => account(id, { limits: { rpm: id === 'acct-7' ? 60 : 6 } }));
    await registerAccounts(redis, keys, all);
    const now = Date.now();
    for (const id of ids) if (id !== 'acct-7') await redis.hset(keys.accountState(id), 'lvl_r', '0', 'ts_r', String(now));
    const cache = configCache(all);
    const hints = new RoomHints();
    const list = pool(all);
    let admitted: Admission | null = null;
    for (let attempt = 0; attempt < 12 && admitted === null; attempt += 1) {
      const answer = await admitSampled(redis, keys, list, cost, lease(), { cache, hints });
      if (answer.type === 'admitted') admitted = answer;
      else expect(answer).toMatchObject({ type: 'wait', waitMs: 0 });
    }
    expect(admitted).toMatchObject({ type: 'admitted', account: { id: 'acct-7' } });
    // Never more than two accounts a call.
    expect(Math.max(...accountsPerCall())).toBe(2);
    // Now every account is full: once the worker has heard so from each, it waits without a round trip.
    let waited: Admission | null = null;
    for (let attempt = 0; attempt < 12 && waited === null; attempt += 1) {
      const answer = await admitSampled(redis, keys, list, cost, lease(), { cache, hints });
      expect(answer.type).toBe('wait');
      if (answer.type === 'wait' && answer.waitMs !== 0) waited = answer;
    }
    expect(waited).toMatchObject({ type: 'wait', reason: 'requests per minute' });
    if (waited?.type === 'wait') {
      expect(waited.waitMs).toBeGreaterThan(0);
      expect(waited.waitMs).toBeLessThanOrEqual(1_000);
    }
    // Each full account was asked about once: at most six calls of two, and the admitting one.
    expect(scriptCalls.mock.calls.length).toBeLessThanOrEqual(7);
    const before = await admitCalls();
    const again = await admitSampled(redis, keys, list, cost, lease(), { cache, hints });
    expect(again).toMatchObject({ type: 'wait', reason: 'requests per minute' });
    expect(await admitCalls()).toBe(before);
  });

  it('reads every account of a pool of two, as the script always did', async () => {
    const all = ids.slice(0, 2).map((id) => account(id, { limits: { rpm: 60 } }));
    await registerAccounts(redis, keys, all);
    const cache = configCache(all);
    const hints = new RoomHints();
    const seen = new Set<string>();
    for (let i = 0; i < 2; i += 1) {
      const answer = await admitSampled(redis, keys, pool(all), cost, lease(), { cache, hints });
      if (answer.type === 'admitted') seen.add(answer.account.id);
    }
    expect([...seen].sort()).toEqual(['acct-0', 'acct-1']);
    const refused = await admitSampled(redis, keys, pool(all), cost, lease(), { cache, hints });
    expect(refused).toMatchObject({ type: 'wait', reason: 'requests per minute' });
    if (refused.type === 'wait') expect(refused.each?.map((each) => each.why)).toEqual(['r', 'r']);
  });
});
