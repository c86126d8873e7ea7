import { describe, expect, it } from 'vitest';
import { retryAfter } from '../../src/webhooks/deliver.ts';
import { deliveryAttempts, DeliveryRetry, retryDelayMs, retryScheduleMs, webhookBackoff } from '../../src/webhooks/webhook-job.ts';

describe('the delivery retry schedule', () => {
  it("is Standard Webhooks': at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h", () => {
    expect(deliveryAttempts).toBe(10);
    const hour = 3_600_000;
    expect(retryScheduleMs).toEqual([5_000, 300_000, 1_800_000, 2 * hour, 5 * hour, 10 * hour, 14 * hour, 20 * hour, 24 * hour]);
  });

  it('jitters each delay by at most 10 %', () => {
    expect(retryDelayMs(1, null, () => 0)).toBe(4_500);
    expect(retryDelayMs(1, null, () => 1)).toBe(5_500);
    expect(retryDelayMs(2, null, () => 0.5)).toBe(300_000);
    expect(retryDelayMs(9, null, () => 0.5)).toBe(86_400_000);
    expect(retryDelayMs(20, null, () => 0.5)).toBe(86_400_000);
  });

  it("honours a receiver's retry-after, from 1 s up to a day", () => {
    expect(retryDelayMs(1, 120_000)).toBe(120_000);
    expect(retryDelayMs(1, 0)).toBe(1_000);
    expect(retryDelayMs(1, 10 * 86_400_000)).toBe(86_400_000);
    expect(retryAfter('30')).toBe(30_000);
    expect(retryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(50_000);
    expect(retryAfter('soon')).toBeNull();
  });

  it('BullMQ waits the delay the failed delivery chose and logged', () => {
    const backoff = webhookBackoff as (attemptsMade: number, type: string, error: Error) => number;
    expect(backoff(1, 'relayq-webhook', new DeliveryRetry('500', 4_321))).toBe(4_321);
  });
});
