import { describe, expect, it } from 'vitest';
import { retryAfterMsOf } from '../../../src/providers/openai/rate-limits.ts';

describe('retryAfterMsOf', () => {
  const now = Date.parse('2025-06-01T00:00:00Z');

  it('prefers retry-after-ms, then x-ms-retry-after-ms, then retry-after', () => {
    expect(retryAfterMsOf({ 'retry-after-ms': '1500', 'x-ms-retry-after-ms': '9000', 'retry-after': '9' })).toBe(1500);
    expect(retryAfterMsOf({ 'x-ms-retry-after-ms': '2500', 'retry-after': '9' })).toBe(2500);
    expect(retryAfterMsOf({ 'retry-after': '7' })).toBe(7000);
    expect(retryAfterMsOf({ 'retry-after': 'Sun, 01 Jun 2025 00:00:03 GMT' }, undefined, now)).toBe(3000);
  });

  it('falls back to the wait the message names', () => {
    expect(retryAfterMsOf({}, 'Rate limit reached for gpt-4o. Please try again in 210ms. Visit ...')).toBe(210);
    expect(retryAfterMsOf({}, 'Please try again in 1.5s.')).toBe(1500);
    expect(retryAfterMsOf({}, 'Requests ... exceeded. Please retry after 6 seconds. Please go here')).toBe(6000);
  });

  it('leaves the wait for an exhausted limit to the scheduler (its policy reads the reset headers)', () => {
    expect(
      retryAfterMsOf({
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '2s',
      }),
    ).toBeUndefined();
    expect(retryAfterMsOf({ 'x-ratelimit-remaining-requests': '5', 'x-ratelimit-reset-requests': '2s' }, 'Slow down')).toBeUndefined();
  });
});
