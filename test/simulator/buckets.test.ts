import { describe, expect, it } from 'vitest';
import { KeyLimiter, KeyRegistry, TokenBucket } from '../../src/simulator/buckets.ts';
import { FaultInjector, seededRandom } from '../../src/simulator/faults.ts';
import { simulatorFaultsSchema } from '../../src/simulator/config.ts';

describe('TokenBucket', () => {
  it('holds perMinute/60 × burstSeconds and refills continuously', () => {
    const bucket = new TokenBucket(600, 2, 0); // 10/s, capacity 20
    expect(bucket.capacity).toBe(20);
    bucket.take(20, 0);
    expect(bucket.waitMs(1, 0)).toBeCloseTo(100);
    expect(bucket.waitMs(1, 100)).toBe(0);
    expect(bucket.levelAt(1000)).toBeCloseTo(10);
    expect(bucket.levelAt(60_000)).toBe(20);
    expect(bucket.msUntilFull(60_000)).toBe(0);
  });

  it('has room for at least one unit, and lets a cost above capacity into a full bucket', () => {
    expect(new TokenBucket(6, 1, 0).capacity).toBe(1);
    const tokens = new TokenBucket(600, 1, 0); // capacity 10
    expect(tokens.waitMs(50, 0)).toBe(0);
    tokens.take(50, 0);
    expect(tokens.levelAt(0)).toBe(-40);
    expect(tokens.waitMs(50, 0)).toBeCloseTo(5000);
  });
});

describe('KeyLimiter', () => {
  it('admits while every dimension has room and names the one that does not', () => {
    const limiter = new KeyLimiter({ rpm: 60_000, inputTpm: 600, outputTpm: 60_000 }, 1, 0); // input capacity 10
    expect(limiter.admit(8, 10, 0)).toEqual({ ok: true });
    const rejected = limiter.admit(8, 10, 0);
    expect(rejected).toMatchObject({ ok: false, dimension: 'input-tokens', limit: 600 });
    if (!rejected.ok) expect(rejected.retryAfterMs).toBeCloseTo(600);
  });

  it('reserves max_tokens of output and gives back what was not used', () => {
    const limiter = new KeyLimiter({ outputTpm: 6000 }, 1, 0); // capacity 100
    expect(limiter.admit(1, 80, 0).ok).toBe(true);
    expect(limiter.admit(1, 80, 0).ok).toBe(false);
    limiter.complete(80, 10, 0);
    expect(limiter.snapshot(0)[0]).toMatchObject({ dimension: 'output-tokens', remaining: 90 });
    expect(limiter.admit(1, 80, 0).ok).toBe(true);
  });

  it('counts requests in flight against concurrency', () => {
    const limiter = new KeyLimiter({ concurrency: 1 }, 1, 0);
    expect(limiter.admit(1, 1, 0).ok).toBe(true);
    expect(limiter.admit(1, 1, 0)).toMatchObject({ ok: false, dimension: 'concurrency', limit: 1 });
    limiter.complete(1, 1, 0);
    expect(limiter.admit(1, 1, 0).ok).toBe(true);
  });

  it('consumes nothing when it rejects', () => {
    const limiter = new KeyLimiter({ rpm: 600, inputTpm: 60 }, 1, 0); // capacities 10 and 1
    expect(limiter.admit(1, 5, 0).ok).toBe(true);
    expect(limiter.admit(1, 5, 0)).toMatchObject({ ok: false, dimension: 'input-tokens' });
    expect(limiter.snapshot(0).find((s) => s.dimension === 'requests')?.remaining).toBe(9);
  });
});

describe('KeyRegistry', () => {
  it('accepts listed keys, and others only with acceptAnyKey', () => {
    const open = new KeyRegistry([{ key: 'a', limits: { rpm: 1 } }], true, {}, 1);
    expect(open.limiterFor('a', 0)?.limited).toBe(true);
    expect(open.limiterFor('b', 0)?.limited).toBe(false);
    const closed = new KeyRegistry([{ key: 'a', limits: {} }], false, {}, 1);
    expect(closed.limiterFor('a', 0)).toBeDefined();
    expect(closed.limiterFor('b', 0)).toBeUndefined();
  });
});

describe('FaultInjector', () => {
  it('draws the same faults for the same seed', () => {
    const faults = simulatorFaultsSchema.parse({ seed: 7, overloadedRate: 0.2, dropRate: 0.2 });
    const draw = (injector: FaultInjector): (string | undefined)[] => Array.from({ length: 200 }, () => injector.pick(undefined));
    const first = draw(new FaultInjector(faults));
    expect(draw(new FaultInjector(faults))).toEqual(first);
    const overloaded = first.filter((kind) => kind === 'overloaded').length;
    expect(overloaded).toBeGreaterThan(20);
    expect(overloaded).toBeLessThan(60);
    expect(first.filter((kind) => kind === undefined).length).toBeGreaterThan(90);
  });

  it('lets a forced fault win, and draws nothing without rates', () => {
    const none = new FaultInjector(simulatorFaultsSchema.parse({}));
    expect(none.pick(undefined)).toBeUndefined();
    expect(none.pick('drop')).toBe('drop');
  });

  it('seededRandom stays in [0, 1)', () => {
    const random = seededRandom(1);
    for (let index = 0; index < 1000; index += 1) {
      const value = random();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});
