import { describe, expect, it } from 'vitest';
import { RateMeter } from '../../src/scheduler/rate-meter.ts';

describe('rate meter', () => {
  it('reads a steady rate right from the start, and forgets it after it stops', () => {
    const meter = new RateMeter(10_000);
    // 20 events a second for 2 seconds: well inside the first window.
    for (let ms = 0; ms < 2_000; ms += 50) meter.record(1_000_000 + ms);
    expect(meter.perSecond(1_002_000)).toBeGreaterThan(18);
    expect(meter.perSecond(1_002_000)).toBeLessThan(22);
    expect(meter.perSecond(1_062_000)).toBeLessThan(1);
  });
});
