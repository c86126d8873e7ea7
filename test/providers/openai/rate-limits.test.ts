import { describe, expect, it } from 'vitest';
import {
  parseOpenAIDuration,
  parseOpenAIRateLimits,
  retryAfterMsOf,
} from '../../../src/providers/openai/rate-limits.ts';

describe('parseOpenAIDuration', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['12ms', 12],
    ['1h2m3.5s', 3_723_500],
    ['0.5s', 500],
    ['8.64s', 8640],
    ['20m', 1_200_000],
    ['2h', 7_200_000],
    ['0s', 0],
    ['1.2ms', 2],
    ['500us', 1],
    ['250000ns', 1],
    ['  3s ', 3000],
    ['7', 7000],
  ])('%s → %i ms', (text, ms) => {
    expect(parseOpenAIDuration(text)).toBe(ms);
  });

  it.each([undefined, '', 'soon', '1x', '1s2', 's', '-1s', '1 s', 'Thu, 01 Jan 2099 00:00:00 GMT'])(
    'gives undefined for %j',
    (text) => {
      expect(parseOpenAIDuration(text)).toBeUndefined();
    },
  );
});

describe('parseOpenAIRateLimits', () => {
  it('reads every x-ratelimit header, resets as milliseconds', () => {
    expect(
      parseOpenAIRateLimits({
        'x-ratelimit-limit-requests': '10000',
        'x-ratelimit-remaining-requests': '9999',
        'x-ratelimit-reset-requests': '6ms',
        'x-ratelimit-limit-tokens': '30000000',
        'x-ratelimit-remaining-tokens': '29999985',
        'x-ratelimit-reset-tokens': '1m0.5s',
      }),
    ).toEqual({
      requests: { limit: 10000, remaining: 9999, resetMs: 6 },
      tokens: { limit: 30_000_000, remaining: 29_999_985, resetMs: 60_500 },
    });
  });

  it('leaves out what the headers do not say (Azure sends no resets)', () => {
    expect(
      parseOpenAIRateLimits({ 'x-ratelimit-remaining-requests': '59', 'x-ratelimit-remaining-tokens': 'lots' }),
    ).toEqual({ requests: { remaining: 59 } });
    expect(parseOpenAIRateLimits({})).toEqual({});
  });
});

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

  it('then to the reset of an exhausted dimension', () => {
    expect(
      retryAfterMsOf({
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '2s',
        'x-ratelimit-remaining-tokens': '100',
        'x-ratelimit-reset-tokens': '50s',
      }),
    ).toBe(2000);
  });

  it('is undefined without any hint', () => {
    expect(retryAfterMsOf({ 'x-ratelimit-remaining-requests': '5', 'x-ratelimit-reset-requests': '2s' }, 'Slow down')).toBeUndefined();
  });
});
