/**
 * The admission and settlement scripts against a real Redis: every dimension checked and taken
 * in one step, leases that expire, choice by rank then headroom × weight, corrections from actual
 * usage and from the provider's headers, cooldowns, disables and AIMD.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAccountStates, registerAccounts, setAccountEnabled } from '../../src/accounts/state.ts';
import { accountSchema, type Account } from '../../src/config/schema.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { withScripts } from '../../src/redis/scripts.ts';
import { admitThroughRedis, type Admission } from '../../src/scheduler/admission.ts';
import type { Candidate } from '../../src/scheduler/candidates.ts';
import type { CallCost } from '../../src/scheduler/estimate.ts';
import { anthropicRateLimits } from '../../src/providers/anthropic/rate-limits.ts';
import { settleAccount } from '../../src/scheduler/settlement.ts';
import { testPrefix, testRedis } from '../helpers/redis.ts';
import { settleInput } from '../helpers/settle-input.ts';

const redis: Redis = withScripts(testRedis());
let prefix: string;
let keys: Keys;

beforeEach(() => {
  prefix = testPrefix('admit');
  keys = createKeys(prefix);
});
// The keys these scripts touch (dropPrefix would scan the whole shared Redis after every test).
afterEach(async () => {
  await redis.del(
    keys.accountIds(),
    ...['a', 'b', 'low', 'high', 'x', 'y'].flatMap((id) => [keys.accountState(id), keys.accountLeases(id), keys.accountErrors(id)]),
  );
});
afterAll(() => redis.disconnect());

function account(id: string, extra: Record<string, unknown> = {}): Account {
  return accountSchema.parse({ id, provider: 'anthropic', apiKey: 'k', ...extra });
}

function candidates(...accounts: [Account, number?][]): Candidate[] {
  return accounts.map(([acct, rank]) => ({ account: acct, rank: rank ?? acct.priority }));
}

const small: CallCost = { inputTokens: 10, outputTokens: 20, inputChars: 40, family: 'anthropic:claude' };
let leaseCounter = 0;
function admit(list: Candidate[], cost: CallCost = small, ttlMs = 30_000): Promise<Admission> {
  return admitThroughRedis(redis, keys, list, cost, { id: `t:${(leaseCounter += 1)}`, ttlMs });
}

async function field(id: string, name: string): Promise<string | null> {
  return redis.hget(keys.accountState(id), name);
}

describe('admission', () => {
  it('takes requests from a continuously refilled bucket and says how long until the next fits', async () => {
    // 600/min = 10/s; our bucket holds 1 s of refill: 10 requests.
    const a = account('a', { limits: { rpm: 600 } });
    await registerAccounts(redis, keys, [a]);
    const list = candidates([a]);
    const answers: Admission[] = [];
    for (let i = 0; i < 10; i += 1) answers.push(await admit(list));
    expect(answers.every((answer) => answer.type === 'admitted')).toBe(true);
    const refused = await admit(list);
    expect(refused.type).toBe('wait');
    if (refused.type !== 'wait') return;
    expect(refused.reason).toBe('requests per minute');
    expect(refused.waitMs).toBeGreaterThan(0);
    expect(refused.waitMs).toBeLessThanOrEqual(100);
  });

  it('checks every dimension at once and takes nothing when one has no room', async () => {
    // Output tokens: 6,000/min = 100/s, a bucket of 100 tokens.
    const a = account('a', { limits: { rpm: 6000, outputTpm: 6000 } });
    await registerAccounts(redis, keys, [a]);
    const list = candidates([a]);
    const cost: CallCost = { ...small, outputTokens: 80 };
    expect((await admit(list, cost)).type).toBe('admitted');
    const refused = await admit(list, cost);
    expect(refused).toMatchObject({ type: 'wait', reason: 'output tokens per minute' });
    // The refused call took no request either.
    const level = Number(await field('a', 'lvl_r'));
    expect(level).toBeGreaterThan(98);
  });

  it('gives back the unused output reservation and corrects the input estimate when the answer arrives', async () => {
    const a = account('a', { limits: { outputTpm: 6000, inputTpm: 6000 } });
    await registerAccounts(redis, keys, [a]);
    const list = candidates([a]);
    const cost: CallCost = { inputTokens: 30, outputTokens: 80, inputChars: 120, family: 'anthropic:claude' };
    const started = Date.now();
    const first = await admit(list, cost);
    expect(first.type).toBe('admitted');
    expect((await admit(list, cost)).type).toBe('wait');
    await settleAccount(
      redis,
      keys,
      settleInput('a', {
        leaseId: first.type === 'admitted' ? first.leaseId : null,
        chargedInput: 30,
        reservedOutput: 80,
        actualInput: 50,
        actualOutput: 10,
      }),
    );
    // 70 output tokens came back; the input bucket paid the 20 tokens the estimate missed: 100 - 30
    // - 20 = 50, plus what refilled (100 tokens/s) since the first admission.
    const refilled = ((Date.now() - started) / 1000) * 100;
    const output = Number(await field('a', 'lvl_o'));
    const input = Number(await field('a', 'lvl_i'));
    expect(output).toBeGreaterThanOrEqual(90);
    expect(input).toBeLessThanOrEqual(50 + refilled + 0.5);
    expect((await admit(list, cost)).type).toBe('admitted');
  });

  it('holds a concurrency lease until the call is settled', async () => {
    const a = account('a', { limits: { concurrency: 2 } });
    await registerAccounts(redis, keys, [a]);
    const list = candidates([a]);
    const first = await admit(list);
    const second = await admit(list);
    expect([first.type, second.type]).toEqual(['admitted', 'admitted']);
    const third = await admit(list);
    expect(third).toMatchObject({ type: 'wait', waitMs: null, reason: 'concurrent requests' });
    await settleAccount(redis, keys, settleInput('a', { leaseId: first.type === 'admitted' ? first.leaseId : null }));
    expect((await admit(list)).type).toBe('admitted');
    expect(await field('a', 'infl')).toBe('2');
  });

  it('frees the leases of a worker that died once they expire, and counts each one out once', async () => {
    const a = account('a', { limits: { concurrency: 2 } });
    await registerAccounts(redis, keys, [a]);
    const list = candidates([a]);
    // A "crashed" worker: two leases taken with a short time to live and never settled.
    const lost = [await admit(list, small, 150), await admit(list, small, 150)];
    expect((await admit(list)).type).toBe('wait');
    await new Promise((resolve) => setTimeout(resolve, 250));
    const after = await admit(list);
    expect(after.type).toBe('admitted');
    expect(await field('a', 'infl')).toBe('1');
    // A late settle of an expired lease does not count it out twice.
    await settleAccount(redis, keys, settleInput('a', { leaseId: lost[0]?.type === 'admitted' ? lost[0].leaseId : null }));
    expect(await field('a', 'infl')).toBe('1');
  });

  it('prefers rank, then headroom times weight, and falls over to the next account when the best has no room', async () => {
    const low = account('low', { limits: { rpm: 60 } });
    const high = account('high', { limits: { rpm: 60 }, priority: 5 });
    await registerAccounts(redis, keys, [low, high]);
    const list = candidates([high], [low]);
    // 60/min: a bucket of one request each.
    const picks: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const answer = await admit(list);
      if (answer.type === 'admitted') picks.push(answer.account.id);
    }
    expect(picks).toEqual(['high', 'low']);
    expect((await admit(list)).type).toBe('wait');

    // Same rank: the account with more room left wins.
    const x = account('x', { limits: { rpm: 600 } });
    const y = account('y', { limits: { rpm: 600 } });
    await registerAccounts(redis, keys, [x, y]);
    const pair = candidates([x], [y]);
    const counts = { x: 0, y: 0 };
    for (let i = 0; i < 10; i += 1) {
      const answer = await admit(pair);
      if (answer.type === 'admitted') counts[answer.account.id as 'x' | 'y'] += 1;
    }
    expect(counts).toEqual({ x: 5, y: 5 });
  });

  it('gives an account of weight 3 about three times the prompts of a weight-1 account with the same room', async () => {
    const x = account('x', { limits: { rpm: 600 }, weight: 3 });
    const y = account('y', { limits: { rpm: 600 } });
    await registerAccounts(redis, keys, [x, y]);
    // y listed first: without the weight, ties and equal room would favour it.
    const pair = candidates([y], [x]);
    const counts = { x: 0, y: 0 };
    for (let i = 0; i < 10; i += 1) {
      const answer = await admit(pair);
      if (answer.type === 'admitted') counts[answer.account.id as 'x' | 'y'] += 1;
    }
    // Headroom × weight: x is chosen until its fill drops below a third of y's (10 → 3 of 10).
    expect(counts.x + counts.y).toBe(10);
    expect(counts.x).toBeGreaterThanOrEqual(7);
  });

  it('skips disabled accounts and answers "blocked" when every candidate is disabled', async () => {
    const a = account('a', { limits: { rpm: 600 } });
    const b = account('b', { enabled: false });
    await registerAccounts(redis, keys, [a, b]);
    await setAccountEnabled(redis, keys, 'a', false, 'maintenance');
    expect((await admit(candidates([a], [b]))).type).toBe('blocked');
    // An operator can enable an account the config disables.
    await setAccountEnabled(redis, keys, 'b', true);
    expect(await admit(candidates([a], [b]))).toMatchObject({ type: 'admitted', account: { id: 'b' } });
  });
});

describe('settlement', () => {
  it('learns limits, the provider bucket size and the remaining capacity from rate-limit headers', async () => {
    const a = account('a');
    await registerAccounts(redis, keys, [a]);
    const now = Date.now();
    // The provider: 1,200/min (20/s), a 2-second bucket (40) with 10 left, full again in 1.5 s.
    const limits = anthropicRateLimits.parse(
      {
        'anthropic-ratelimit-requests-limit': '1200',
        'anthropic-ratelimit-requests-remaining': '10',
        'anthropic-ratelimit-requests-reset': new Date(now + 1500).toISOString(),
      },
      now,
    );
    const answer = await settleAccount(redis, keys, settleInput('a', { limits }));
    expect(answer.limited).toBe(true);
    expect(await field('a', 'lrn_r')).toBe('1200');
    expect(Number(await field('a', 'cap_r'))).toBeCloseTo(40, 0);
    // Ours is nine tenths of the provider's (36) and holds what it says is left less the tenth kept back: 10 - 4 = 6.
    expect(Number(await field('a', 'lvl_r'))).toBeCloseTo(6, 0);
    const [state] = await readAccountStates(redis, keys, ['a']);
    expect(state?.effective.rpm).toBe(1200);
    expect(state?.usage.available.rpm).toBeCloseTo(6 / 36, 1);
    const list = candidates([a]);
    const answers: Admission[] = [];
    for (let i = 0; i < 6; i += 1) answers.push(await admit(list));
    expect(answers.map((answer) => answer.type)).toEqual(Array(6).fill('admitted'));
    expect((await admit(list)).type).toBe('wait');
  });

  it('spends a full provider bucket at once: raised to its remaining, less the calls admitted since the answered one and those in flight', async () => {
    // 1,200/min with a bucket of a full minute, as Anthropic documents; before any header ours holds 1 s (20).
    const a = account('a', { limits: { rpm: 1200 } });
    await registerAccounts(redis, keys, [a]);
    const list = candidates([a]);
    const first: Admission[] = [];
    for (let i = 0; i < 21; i += 1) first.push(await admit(list));
    expect(first.filter((answer) => answer.type === 'admitted')).toHaveLength(20);
    expect(first.at(-1)?.type).toBe('wait');
    const sequences = first.flatMap((answer) => (answer.type === 'admitted' ? [answer.sequence] : []));
    expect(sequences).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // The answer to call 5: 1,185 left (15 had arrived), full again in 0.75 s. Ours holds nine
    // tenths of the provider's 1,200 (1,080), so 120 of what is left stay back. Calls 6..20 may not
    // have arrived when it answered, nor may the 20 calls still in flight (these settles free no
    // lease): 1,185 - 120 - 15 - 20, less a 2% tolerance (21.6) = 1,008.
    const now = Date.now();
    const headers = (remaining: number) =>
      anthropicRateLimits.parse(
        {
          'anthropic-ratelimit-requests-limit': '1200',
          'anthropic-ratelimit-requests-remaining': String(remaining),
          'anthropic-ratelimit-requests-reset': new Date(now + ((1200 - remaining) / 20) * 1000).toISOString(),
        },
        now,
      );
    await settleAccount(redis, keys, settleInput('a', { limits: headers(1185), sequence: 5 }));
    expect(Number(await field('a', 'cap_r'))).toBeCloseTo(1200, -1);
    expect(Number(await field('a', 'lvl_r'))).toBeGreaterThan(1005);
    expect(Number(await field('a', 'lvl_r'))).toBeLessThan(1012);
    const burst: Admission[] = [];
    for (let i = 0; i < 1000; i += 1) burst.push(await admit(list));
    expect(burst.every((answer) => answer.type === 'admitted')).toBe(true);
    // A late answer (call 3, 1,190 left) settling after those 1,000 admissions raises nothing.
    const before = Number(await field('a', 'lvl_r'));
    await settleAccount(redis, keys, settleInput('a', { limits: headers(1190), sequence: 3 }));
    expect(Number(await field('a', 'lvl_r'))).toBeLessThan(before + 5);
    // Without the admission count (a caller that does not know it) the level is never raised.
    await redis.hset(keys.accountState('a'), 'lvl_r', 0, 'ts_r', Date.now());
    await settleAccount(redis, keys, settleInput('a', { limits: headers(1190) }));
    expect(Number(await field('a', 'lvl_r'))).toBeLessThan(5);
  });

  it('holds limits.burst seconds of refill until the provider tells its bucket size', async () => {
    // 600/min = 10/s: 1 s of refill by default (10 calls), 6 s with burst: 6 (60 calls).
    const a = account('a', { limits: { rpm: 600, burst: 6 } });
    const b = account('b', { limits: { rpm: 600 } });
    await registerAccounts(redis, keys, [a, b]);
    // Admissions until the first refusal, and how many the refill (10/s) may have added meanwhile.
    const count = async (acct: Account) => {
      const started = Date.now();
      let admitted = 0;
      while ((await admit(candidates([acct]))).type === 'admitted') admitted += 1;
      return { admitted, refilled: Math.ceil((Date.now() - started) / 100) };
    };
    const burst = await count(a);
    expect(burst.admitted).toBeGreaterThanOrEqual(60);
    expect(burst.admitted).toBeLessThanOrEqual(60 + burst.refilled);
    const plain = await count(b);
    expect(plain.admitted).toBeGreaterThanOrEqual(10);
    expect(plain.admitted).toBeLessThanOrEqual(10 + plain.refilled);
  });

  it('uses limits.share of each limit and leaves the rest of what the provider holds to other traffic', async () => {
    // 600/min with share 0.8: 480/min, 1 s of refill = 8 calls before any header.
    const a = account('a', { limits: { rpm: 600, share: 0.8 } });
    // b: no configured rate, only what the provider announces.
    const b = account('b', { limits: { concurrency: 1000, share: 0.8 } });
    await registerAccounts(redis, keys, [a, b]);
    let admitted = 0;
    while ((await admit(candidates([a]))).type === 'admitted') admitted += 1;
    expect(admitted).toBe(8);
    // The provider: 1,200/min with a full minute's bucket, all 1,200 left. b's limit: 0.8 of
    // 1,200 = 960/min; its bucket nine tenths of a minute of that, 864, full; the provider's other
    // 336 stay for other traffic and bunched arrivals.
    const now = Date.now();
    const headers = (remaining: number) =>
      anthropicRateLimits.parse(
        {
          'anthropic-ratelimit-requests-limit': '1200',
          'anthropic-ratelimit-requests-remaining': String(remaining),
          'anthropic-ratelimit-requests-reset': new Date(now + ((1200 - remaining) / 20) * 1000).toISOString(),
        },
        now,
      );
    await settleAccount(redis, keys, settleInput('b', { limits: headers(1200), sequence: 0 }));
    expect(Number(await field('b', 'lvl_r'))).toBeCloseTo(864, 0);
    const [state] = await readAccountStates(redis, keys, ['b']);
    expect(state?.effective.rpm).toBe(960);
    // Other traffic spent 500 of the provider's bucket: 700 left, of which 336 are not ours.
    await settleAccount(redis, keys, settleInput('b', { limits: headers(700), sequence: 0 }));
    expect(Number(await field('b', 'lvl_r'))).toBeCloseTo(364, 0);
  });

  it("paces an account whose burst drew a 429: a bucket of half the provider's, at most 1 s, and says so", async () => {
    const a = account('a', { limits: { rpm: 1200 } });
    await registerAccounts(redis, keys, [a]);
    const now = Date.now();
    const limits = anthropicRateLimits.parse(
      {
        'anthropic-ratelimit-requests-limit': '1200',
        'anthropic-ratelimit-requests-remaining': '1200',
        'anthropic-ratelimit-requests-reset': new Date(now).toISOString(),
      },
      now,
    );
    await settleAccount(redis, keys, settleInput('a', { limits, sequence: 0 }));
    const [bursting] = await readAccountStates(redis, keys, ['a']);
    expect(bursting?.pacing).toBeNull();
    // The provider's headers said 1,200 were left, yet it answers 429: it enforces a shorter window.
    await settleAccount(
      redis,
      keys,
      settleInput('a', { outcome: 'rate_limited', cooldownMs: 1, message: '429 rate_limit_error: 2 s window', limits }),
    );
    const [paced] = await readAccountStates(redis, keys, ['a']);
    expect(paced?.pacing).toMatchObject({ reason: '429 rate_limit_error: 2 s window' });
    expect(Date.parse(paced?.pacing?.since ?? '')).toBeGreaterThanOrEqual(now);
    // From now on: at most 1 s of refill (20), and answers no longer raise the level.
    await new Promise((resolve) => setTimeout(resolve, 260));
    let admitted = 0;
    while ((await admit(candidates([a]))).type === 'admitted') admitted += 1;
    expect(admitted).toBeGreaterThanOrEqual(20);
    expect(admitted).toBeLessThanOrEqual(22);
    await settleAccount(redis, keys, settleInput('a', { limits, sequence: admitted }));
    expect(Number(await field('a', 'lvl_r'))).toBeLessThan(3);
  });

  it('cools an account down after a 429 for as long as the provider asked, without disabling it', async () => {
    const a = account('a', { limits: { rpm: 6000 } });
    await registerAccounts(redis, keys, [a]);
    const answer = await settleAccount(
      redis,
      keys,
      settleInput('a', { outcome: 'rate_limited', cooldownMs: 2_000, message: '429 rate_limit_error' }),
    );
    expect(answer.coolUntil).toBeGreaterThan(Date.now() + 1_000);
    const refused = await admit(candidates([a]));
    expect(refused).toMatchObject({ type: 'wait', reason: 'cooling down' });
    if (refused.type === 'wait') expect(refused.waitMs).toBeGreaterThan(1_000);
    const [state] = await readAccountStates(redis, keys, ['a']);
    expect(state?.health).toMatchObject({ status: 'cooling_down', reason: '429 rate_limit_error' });
  });

  it('leaves the first overloads in a row to the prompts, then backs off longer for each one more', async () => {
    const a = account('a');
    await registerAccounts(redis, keys, [a]);
    const overload = (): ReturnType<typeof settleAccount> =>
      settleAccount(redis, keys, settleInput('a', { outcome: 'overloaded', message: '529' }));
    for (let overloads = 1; overloads <= 4; overloads += 1) expect((await overload()).coolUntil).toBe(0);
    const fifth = await overload();
    const sixth = await overload();
    // 0.5 s after the fifth, 1 s after the sixth (each measured from when it was settled).
    expect(fifth.coolUntil).toBeGreaterThan(0);
    expect(sixth.coolUntil - fifth.coolUntil).toBeGreaterThan(400);
    await settleAccount(redis, keys, settleInput('a'));
    expect(await field('a', 'ovl')).toBeNull();
  });

  it('disables an account the provider refuses, with the reason, until an operator enables it', async () => {
    const a = account('a');
    await registerAccounts(redis, keys, [a]);
    const answer = await settleAccount(
      redis,
      keys,
      settleInput('a', { outcome: 'auth', message: '401 authentication_error: invalid x-api-key' }),
    );
    expect(answer.disabled).toBe('auth');
    const [state] = await readAccountStates(redis, keys, ['a']);
    expect(state?.health).toMatchObject({
      status: 'disabled',
      disabledBy: 'provider',
      reason: '401 authentication_error: invalid x-api-key',
    });
    expect((await admit(candidates([a]))).type).toBe('blocked');
    await setAccountEnabled(redis, keys, 'a', true);
    expect((await admit(candidates([a]))).type).toBe('admitted');
  });

  it('finds a limit the provider does not announce by AIMD: decrease on 429, increase while calls succeed', async () => {
    const a = account('a');
    await registerAccounts(redis, keys, [a]);
    await settleAccount(redis, keys, settleInput('a', { outcome: 'rate_limited', cooldownMs: 250, observedRpm: 1000 }));
    expect(Number(await field('a', 'aimd_r'))).toBe(700);
    // A burst of 429s in the same second is one signal, not many.
    await settleAccount(redis, keys, settleInput('a', { outcome: 'rate_limited', cooldownMs: 250, observedRpm: 1000 }));
    expect(Number(await field('a', 'aimd_r'))).toBe(700);
    // Additive increase: one step per second of successes.
    await redis.hset(keys.accountState('a'), 'aimd_inc', Date.now() - 2_000);
    await settleAccount(redis, keys, settleInput('a'));
    expect(Number(await field('a', 'aimd_r'))).toBe(735);
    // The adaptive limit is enforced like a configured one.
    const [state] = await readAccountStates(redis, keys, ['a']);
    expect(state?.effective.rpm).toBe(735);
  });
});
