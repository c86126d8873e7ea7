/**
 * The upstream meter: counts in memory, added to Redis with one pipeline per flush (never twice,
 * nothing lost when a flush fails or the meter closes), and times calls in its own histogram.
 */
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/executors/errors.ts';
import { readUpstreamTotals } from '../../src/metrics/totals.ts';
import { createUpstreamMeter, failedCall, type UpstreamMeter } from '../../src/metrics/upstream-meter.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { hasPromtool, parseMetrics, promtoolCheck, sumOf } from '../helpers/metrics.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

const hour = 3_600_000;

describe('the upstream meter', () => {
  let redis: Redis;
  let prefix: string;
  let keys: Keys;
  let meter: UpstreamMeter | undefined;

  beforeEach(() => {
    redis = testRedis();
    prefix = testPrefix('meter');
    keys = createKeys(prefix);
  });
  afterEach(async () => {
    await meter?.close().catch(() => {});
    meter = undefined;
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  const call = (account: string, statusCode: number | null, outcome = statusCode === 200 ? 'ok' : 'error') => ({
    provider: 'anthropic',
    account,
    statusCode,
    outcome,
    seconds: 0.2,
  });

  it('adds what it counted to Redis at each flush, once', async () => {
    // No timer flush during the test: an hour between them.
    meter = createUpstreamMeter({ redis, keys, flushMs: hour });
    meter.record(call('a', 200));
    meter.record(call('a', 200));
    meter.record(call('a', 429, 'rate_limited'));
    meter.record(call('b', null, 'network'));
    expect(await redis.exists(keys.metricsUpstream())).toBe(0);
    await meter.flush();
    expect(await redis.hgetall(keys.metricsUpstream())).toEqual({
      'anthropic|a|200': '2',
      'anthropic|a|429': '1',
      'anthropic|b|error': '1',
    });
    // A flush with nothing new changes nothing; the next counts add up.
    await meter.flush();
    meter.record(call('a', 200));
    await meter.flush();
    const totals = await readUpstreamTotals(redis, keys);
    expect(totals.sort((x, y) => `${x.account}${x.code}`.localeCompare(`${y.account}${y.code}`))).toEqual([
      { provider: 'anthropic', account: 'a', code: '200', count: 3 },
      { provider: 'anthropic', account: 'a', code: '429', count: 1 },
      { provider: 'anthropic', account: 'b', code: 'error', count: 1 },
    ]);
  });

  it('keeps the counts of a flush that failed for the next one', async () => {
    const own = testRedis();
    meter = createUpstreamMeter({ redis: own, keys, flushMs: hour });
    meter.record(call('a', 200));
    own.disconnect();
    await expect(meter.flush()).rejects.toThrow();
    meter.record(call('a', 200));
    await own.connect();
    await meter.flush();
    expect(await redis.hgetall(keys.metricsUpstream())).toEqual({ 'anthropic|a|200': '2' });
    await meter.close();
    own.disconnect();
  });

  it('flushes what is left when it closes, and flushes by itself every flushMs', async () => {
    meter = createUpstreamMeter({ redis, keys, flushMs: hour });
    meter.record(call('a', 500, 'server'));
    await meter.close();
    expect(await redis.hgetall(keys.metricsUpstream())).toEqual({ 'anthropic|a|500': '1' });

    const ticking = createUpstreamMeter({ redis, keys, flushMs: 20 });
    ticking.record(call('a', 500, 'server'));
    for (let tries = 0; tries < 200 && (await redis.hget(keys.metricsUpstream(), 'anthropic|a|500')) !== '2'; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await redis.hget(keys.metricsUpstream(), 'anthropic|a|500')).toBe('2');
    await ticking.close();
  });

  it('times each call in its own histogram, by provider, account and outcome', async () => {
    meter = createUpstreamMeter({ redis, keys, flushMs: hour });
    meter.record(call('a', 200));
    meter.record({ ...call('a', 200), seconds: 3 });
    meter.record(call('a', 429, 'rate_limited'));
    const text = await meter.registry.metrics();
    const samples = parseMetrics(text);
    const name = 'relayq_upstream_request_duration_seconds';
    expect(sumOf(samples, `${name}_count`, { account: 'a', outcome: 'ok' })).toBe(2);
    expect(sumOf(samples, `${name}_count`, { account: 'a', outcome: 'rate_limited' })).toBe(1);
    expect(sumOf(samples, `${name}_bucket`, { outcome: 'ok', le: '0.25' })).toBe(1);
    expect(sumOf(samples, `${name}_sum`, { outcome: 'ok' })).toBeCloseTo(3.2);
    expect(text).toContain(`# TYPE ${name} histogram`);
    if (hasPromtool) expect(await promtoolCheck(text)).toEqual({ code: 0, output: '' });
  });

  it('counts a provider error by its status and kind, anything else as "error"', () => {
    const limited = new ProviderError({ kind: 'rate_limited', provider: 'anthropic', message: 'slow down', statusCode: 429 });
    expect(failedCall(limited)).toEqual({ statusCode: 429, outcome: 'rate_limited' });
    expect(failedCall(new ProviderError({ kind: 'network', provider: 'openai', message: 'reset' }))).toEqual({
      statusCode: null,
      outcome: 'network',
    });
    expect(failedCall(new Error('bug'))).toEqual({ statusCode: null, outcome: 'error' });
  });
});
