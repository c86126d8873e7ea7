/**
 * What a failed call means for its account and its prompt (settlement.ts), from the provider's
 * real rate-limit headers, and what the settle script makes of it in Redis.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAccountStates, registerAccounts } from '../../src/accounts/state.ts';
import { accountSchema } from '../../src/config/schema.ts';
import { ProviderError } from '../../src/executors/errors.ts';
import { anthropicRateLimits } from '../../src/providers/anthropic/rate-limits.ts';
import { openaiRateLimits } from '../../src/providers/openai/rate-limits.ts';
import { noRateLimits } from '../../src/providers/shared/rate-limits.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { withScripts } from '../../src/redis/scripts.ts';
import { cooldownFor, outcomeOf, reactionTo, settleAccount } from '../../src/scheduler/settlement.ts';
import { testPrefix, testRedis } from '../helpers/redis.ts';
import { settleInput } from '../helpers/settle-input.ts';

function rateLimited(extra: { retryAfterMs?: number; retryable?: boolean } = {}): ProviderError {
  return new ProviderError({ kind: 'rate_limited', provider: 'anthropic', message: '429 rate_limit_error', statusCode: 429, ...extra });
}

describe('the cooldown after a 429', () => {
  const now = Date.parse('2026-01-01T00:00:00.000Z');

  it("takes the provider's retry hint first", () => {
    const limits = anthropicRateLimits.parse({ 'retry-after': '7' }, now);
    expect(cooldownFor(rateLimited({ retryAfterMs: 2500 }), limits)).toBe(2500);
    expect(cooldownFor(rateLimited(), limits)).toBe(7000);
  });

  it('without retry-after, waits until one unit of the exhausted dimension is back, not until its reset', () => {
    // 60 requests/min, none left, full again in 30 s: one request is back after 1 s.
    const limits = anthropicRateLimits.parse(
      {
        'anthropic-ratelimit-requests-limit': '60',
        'anthropic-ratelimit-requests-remaining': '0',
        'anthropic-ratelimit-requests-reset': new Date(now + 30_000).toISOString(),
      },
      now,
    );
    expect(limits.retryAfterMs).toBeUndefined();
    expect(cooldownFor(rateLimited(), limits)).toBe(1000);
  });

  it('without retry-after, waits for the reset when it comes sooner than one unit, and for the longest exhausted dimension', () => {
    // OpenAI: 100 requests/min with none left (one back after 600 ms, all in 20 s); 100,000
    // tokens/min with none left (one back after 0.6 ms): the requests decide.
    const limits = openaiRateLimits.parse(
      {
        'x-ratelimit-limit-requests': '100',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '20s',
        'x-ratelimit-limit-tokens': '100000',
        'x-ratelimit-remaining-tokens': '0',
        'x-ratelimit-reset-tokens': '1.5s',
      },
      now,
    );
    expect(cooldownFor(rateLimited(), limits)).toBe(600);
    // 10,000 requests/min, none left, full again in 4 ms: the reset comes before one unit (6 ms).
    // A dimension with room left does not make the account wait.
    const requestsOnly = openaiRateLimits.parse(
      {
        'x-ratelimit-limit-requests': '10000',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '4ms',
        'x-ratelimit-limit-tokens': '100000',
        'x-ratelimit-remaining-tokens': '5',
        'x-ratelimit-reset-tokens': '59s',
      },
      now,
    );
    expect(cooldownFor(rateLimited(), requestsOnly)).toBe(4);
  });

  it('rests a second when the provider says nothing, and not at all for other errors', () => {
    expect(cooldownFor(rateLimited(), noRateLimits)).toBe(1000);
    const overloaded = new ProviderError({ kind: 'overloaded', provider: 'anthropic', message: '529', statusCode: 529 });
    expect(cooldownFor(overloaded, noRateLimits)).toBe(0);
  });
});

describe('what a failed call means', () => {
  it('a retryable 429 cools the account down; a 429 no wait fixes (out of quota) disables it; both reschedule the prompt', () => {
    expect(outcomeOf(rateLimited())).toBe('rate_limited');
    expect(outcomeOf(rateLimited({ retryable: false }))).toBe('auth');
    expect(reactionTo('rate_limited')).toBe('reschedule');
    expect(reactionTo('auth')).toBe('reschedule');
    const of = (kind: ConstructorParameters<typeof ProviderError>[0]['kind']) =>
      outcomeOf(new ProviderError({ kind, provider: 'openai', message: kind }));
    expect([of('auth'), of('permission'), of('overloaded'), of('cancelled'), of('server'), of('timeout')]).toEqual([
      'auth',
      'auth',
      'overloaded',
      'released',
      'error',
      'error',
    ]);
    expect([reactionTo('overloaded'), reactionTo('error'), reactionTo('ok'), reactionTo('released')]).toEqual([
      'retry-soon',
      'continue',
      'continue',
      'continue',
    ]);
  });

  describe('in Redis', () => {
    const redis: Redis = withScripts(testRedis());
    let keys: Keys;
    beforeEach(() => {
      keys = createKeys(testPrefix('settle'));
    });
    afterEach(async () => {
      await redis.del(keys.accountIds(), keys.accountState('q'), keys.accountLeases('q'), keys.accountErrors('q'));
    });
    afterAll(() => redis.disconnect());

    it('an out-of-quota 429 leaves the account disabled with the provider message; a plain 429 only cools it', async () => {
      await registerAccounts(redis, keys, [accountSchema.parse({ id: 'q', provider: 'anthropic', apiKey: 'k' })]);
      const cooled = await settleAccount(
        redis,
        keys,
        settleInput('q', { outcome: outcomeOf(rateLimited()), cooldownMs: 5000, message: 'slow down' }),
      );
      expect(cooled.disabled).toBe('');
      expect(cooled.coolUntil).toBeGreaterThan(Date.now());
      let [state] = await readAccountStates(redis, keys, ['q']);
      expect(state?.health).toMatchObject({ status: 'cooling_down', disabledBy: null });

      const message = '429 insufficient_quota: you exceeded your current quota';
      const stopped = await settleAccount(
        redis,
        keys,
        settleInput('q', { outcome: outcomeOf(rateLimited({ retryable: false })), message }),
      );
      expect(stopped.disabled).toBe('auth');
      [state] = await readAccountStates(redis, keys, ['q']);
      expect(state?.health).toMatchObject({ status: 'disabled', disabledBy: 'provider', reason: message });
    });
  });
});
