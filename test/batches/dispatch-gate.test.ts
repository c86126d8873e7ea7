/** The dispatch gate: what a worker does with a batch's prompt, from a per-batch cache of its status and window. */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDispatchGate, decide, recordAttemptError } from '../../src/batches/dispatch-gate.ts';
import { freePort } from '../../src/lib/free-port.ts';
import { createRedis } from '../../src/redis/connection.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

describe('decide', () => {
  it('answers from the status, and from the window even before the batch is marked expired', () => {
    const now = 1_000_000;
    const cases: [string | null, number | null, string][] = [
      ['in_progress', null, 'run'],
      ['validating', null, 'run'],
      ['finalizing', null, 'run'],
      [null, null, 'run'],
      ['paused', null, 'paused'],
      ['cancelling', null, 'cancelled'],
      ['cancelled', null, 'cancelled'],
      ['expiring', null, 'expired'],
      ['expired', null, 'expired'],
      ['in_progress', now, 'expired'],
      ['in_progress', now + 1, 'run'],
      ['paused', now - 1, 'expired'],
      // A cancel wins over a window that ran out meanwhile.
      ['cancelling', now - 1, 'cancelled'],
    ];
    expect(cases.map(([status, expiresAt]) => decide(status, expiresAt, now))).toEqual(cases.map(([, , decision]) => decision));
  });
});

describe('the dispatch gate', () => {
  const prefix = testPrefix('dispatch-gate');
  const keys = createKeys(prefix);
  let redis: Redis;

  beforeAll(() => {
    redis = testRedis();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  afterAll(async () => {
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('reads a batch at most once per ttl; invalidate forgets one batch or all', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const gate = createDispatchGate(redis, keys, { ttlMs: 1_000 });
    await redis.hset(keys.batch('b1'), 'status', 'in_progress');
    await redis.hset(keys.batch('b2'), 'status', 'in_progress');
    expect(gate.cached('b1')).toBeUndefined();
    expect(await gate.check('b1')).toBe('run');
    expect(gate.cached('b1')).toBe('run');
    expect(await gate.check('b2')).toBe('run');
    await redis.hset(keys.batch('b1'), 'status', 'paused');
    await redis.hset(keys.batch('b2'), 'status', 'cancelling');
    // Within the ttl: the cached answer.
    vi.setSystemTime(Date.now() + 999);
    expect(await gate.check('b1')).toBe('run');
    gate.invalidate('b1');
    expect(gate.cached('b1')).toBeUndefined();
    expect(await gate.check('b1')).toBe('paused');
    expect(await gate.check('b2')).toBe('run');
    // At the ttl's end: read again.
    vi.setSystemTime(Date.now() + 1);
    expect(gate.cached('b2')).toBeUndefined();
    expect(await gate.check('b2')).toBe('cancelled');
    await redis.hset(keys.batch('b1'), 'status', 'in_progress');
    await redis.hset(keys.batch('b2'), 'status', 'in_progress');
    gate.invalidate();
    expect([gate.cached('b1'), gate.cached('b2')]).toEqual([undefined, undefined]);
    expect([await gate.check('b1'), await gate.check('b2')]).toEqual(['run', 'run']);
  });

  it('expires a batch when its cached window ends, without another read', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const gate = createDispatchGate(redis, keys, { ttlMs: 10_000 });
    await redis.hset(keys.batch('w1'), 'status', 'in_progress', 'expires_at', Date.now() + 500);
    expect(await gate.check('w1')).toBe('run');
    vi.setSystemTime(Date.now() + 499);
    expect(gate.cached('w1')).toBe('run');
    vi.setSystemTime(Date.now() + 1);
    expect(gate.cached('w1')).toBe('expired');
    expect(await gate.check('w1')).toBe('expired');
  });

  it('answers a check made while the read is under way with the same read', async () => {
    const gate = createDispatchGate(redis, keys);
    await redis.hset(keys.batch('c1'), 'status', 'paused');
    const first = gate.check('c1');
    expect(gate.cached('c1')).toBeUndefined();
    const second = gate.check('c1');
    expect(await Promise.all([first, second])).toEqual(['paused', 'paused']);
  });

  it('keeps no answer when Redis fails, so the next check reads again', async () => {
    const port = await freePort();
    const down = createRedis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    down.on('error', () => {});
    try {
      const gate = createDispatchGate(down, keys);
      const reads = vi.spyOn(down, 'hmget');
      await expect(gate.check('e1')).rejects.toThrow();
      expect(gate.cached('e1')).toBeUndefined();
      await expect(gate.check('e1')).rejects.toThrow();
      expect(reads).toHaveBeenCalledTimes(2);
    } finally {
      down.disconnect();
    }
  });

  it('forgets every batch past 10,000 cached ones', async () => {
    const gate = createDispatchGate(redis, keys, { ttlMs: 60_000 });
    await gate.check('first');
    expect(gate.cached('first')).toBe('run');
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => gate.check(`many-${i}`)));
    expect(gate.cached('first')).toBe('run');
    await gate.check('one-more');
    expect(gate.cached('first')).toBeUndefined();
    expect(gate.cached('one-more')).toBe('run');
  });

  it('counts retried attempts by kind on the batch', async () => {
    await recordAttemptError(redis, keys, 'r1', 'rate_limit');
    await recordAttemptError(redis, keys, 'r1', 'rate_limit');
    await recordAttemptError(redis, keys, 'r1', 'overloaded');
    expect(await redis.hgetall(keys.batch('r1'))).toEqual({ 'attempt_error:rate_limit': '2', 'attempt_error:overloaded': '1' });
  });
});
