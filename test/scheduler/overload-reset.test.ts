/**
 * The overload back-off of an account without limits whose answers carry no rate-limit headers:
 * a success clears the overloads in a row (so the next 529 backs off from the start again),
 * without a round trip per success when there is nothing to clear.
 */
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { accountSchema } from '../../src/config/schema.ts';
import { ProviderError } from '../../src/executors/errors.ts';
import type { ExecuteResult } from '../../src/executors/types.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { withScripts } from '../../src/redis/scripts.ts';
import { Scheduler } from '../../src/scheduler/scheduler.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

const redis = withScripts(testRedis());
const prefix = testPrefix('overload-reset');
const keys = createKeys(prefix);
afterAll(async () => {
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

const answer: ExecuteResult = {
  text: 'ok',
  toolCalls: [],
  finishReason: { unified: 'stop', raw: 'end_turn' },
  usage: { inputTokens: 5, outputTokens: 2, cacheRead: 0, cacheWrite: 0, raw: null },
  statusCode: 200,
  body: {},
  headers: { 'request-id': 'req_1' },
};

const overloaded = new ProviderError({ kind: 'overloaded', provider: 'anthropic', message: '529 overloaded_error', statusCode: 529 });

describe('overloads in a row on an account without limits', () => {
  it('are cleared by the next success, and successes without overloads settle without Redis', async () => {
    const account = accountSchema.parse({ id: 'free', provider: 'anthropic', apiKey: 'k' });
    const scheduler = new Scheduler({
      redis,
      keys,
      accounts: [account],
      concurrency: 4,
      leaseTtlMs: 30_000,
      logger: pino({ level: 'silent' }),
      promote: async (ids) => ids.map(() => false),
      refreshMs: 60_000,
    });
    await scheduler.start();
    try {
      const prompt = {
        jobId: 'j1',
        batchId: 'b1',
        priority: 0,
        provider: 'anthropic' as const,
        model: 'claude-test',
        body: {},
        delay: async () => {},
      };
      const overloads = (): Promise<string | null> => redis.hget(keys.accountState('free'), 'ovl');

      expect(await scheduler.settle(await scheduler.acquire(prompt), { ok: false, error: overloaded })).toBe('retry-soon');
      expect(await scheduler.settle(await scheduler.acquire(prompt), { ok: false, error: overloaded })).toBe('retry-soon');
      expect(await overloads()).toBe('2');

      const success = scheduler.settleSuccess(await scheduler.acquire(prompt), answer, false);
      expect(success).toBeDefined();
      await success;
      expect(await overloads()).toBeNull();
      expect(scheduler.cache.get('free')?.overloads).toBe(0);

      // Nothing left to clear: no round trip.
      expect(scheduler.settleSuccess(await scheduler.acquire(prompt), answer, false)).toBeUndefined();

      // A success that ends while an overload is still being settled goes to Redis too, and clears it.
      const [first, second] = [await scheduler.acquire(prompt), await scheduler.acquire(prompt)];
      const overload = scheduler.settle(first, { ok: false, error: overloaded });
      const racing = scheduler.settleSuccess(second, answer, false);
      expect(racing).toBeDefined();
      await Promise.all([overload, racing]);
      expect(await overloads()).toBeNull();
      expect(scheduler.cache.get('free')?.overloads).toBe(0);
    } finally {
      scheduler.stop();
    }
  });
});
