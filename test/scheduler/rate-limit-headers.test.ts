import { describe, expect, it } from 'vitest';
import { announcesLimits, parseDuration, parseRateLimitHeaders, retryAfterOf } from '../../src/scheduler/rate-limit-headers.ts';

const now = Date.parse('2025-06-01T12:00:00.000Z');

describe('rate-limit headers', () => {
  it('reads Anthropic limits, remaining and reset times (reset as time until full), and its token rounding', () => {
    const info = parseRateLimitHeaders({
      'anthropic-ratelimit-requests-limit': '4000',
      'anthropic-ratelimit-requests-remaining': '3999',
      'anthropic-ratelimit-requests-reset': '2025-06-01T12:00:00.015Z',
      'anthropic-ratelimit-input-tokens-limit': '2000000',
      'anthropic-ratelimit-input-tokens-remaining': '1999000',
      'anthropic-ratelimit-input-tokens-reset': '2025-06-01T12:00:01Z',
      'anthropic-ratelimit-output-tokens-limit': '400000',
      'anthropic-ratelimit-output-tokens-remaining': '399000',
      'anthropic-ratelimit-output-tokens-reset': '2025-06-01T12:00:02Z',
      // The combined tokens-* headers repeat the tighter split one: not a dimension of their own.
      'anthropic-ratelimit-tokens-limit': '400000',
      'anthropic-ratelimit-tokens-remaining': '399000',
      'anthropic-ratelimit-tokens-reset': '2025-06-01T12:00:02Z',
      'retry-after': '3',
    }, now);
    expect(info.windows).toEqual({
      r: { limit: 4000, remaining: 3999, untilFullMs: 15 },
      i: { limit: 2_000_000, remaining: 1_999_000, untilFullMs: 1000 },
      o: { limit: 400_000, remaining: 399_000, untilFullMs: 2000 },
    });
    expect(info.tokenRounding).toBe(1000);
    expect(info.retryAfterMs).toBe(3000);
    expect(announcesLimits(info)).toBe(true);
  });

  it('reads OpenAI and Azure limits with duration resets into requests and total tokens', () => {
    const info = parseRateLimitHeaders({
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '499',
      'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-limit-tokens': '30000',
      'x-ratelimit-remaining-tokens': '29000',
      'x-ratelimit-reset-tokens': '2s',
      'retry-after-ms': '1500',
      'retry-after': '2',
    }, now);
    expect(info.windows).toEqual({
      r: { limit: 500, remaining: 499, untilFullMs: 120 },
      t: { limit: 30_000, remaining: 29_000, untilFullMs: 2000 },
    });
    expect(info.tokenRounding).toBe(0);
    expect(info.retryAfterMs).toBe(1500);
  });

  it('parses Go-style durations and rejects anything else', () => {
    expect(parseDuration('6m0s')).toBe(360_000);
    expect(parseDuration('1h2m3.5s')).toBe(3_723_500);
    expect(parseDuration('12ms')).toBe(12);
    expect(parseDuration('1.5')).toBe(1500);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('5s later')).toBeUndefined();
  });

  it('honours retry-after-ms, then Azure\'s x-ms-retry-after-ms, then retry-after in seconds or as a date', () => {
    expect(retryAfterOf({ 'x-ms-retry-after-ms': '250', 'retry-after': '9' }, now)).toBe(250);
    expect(retryAfterOf({ 'retry-after': 'Sun, 01 Jun 2025 12:00:05 GMT' }, now)).toBe(5000);
    expect(retryAfterOf({}, now)).toBeUndefined();
  });

  it('says nothing for an answer without rate-limit headers', () => {
    const info = parseRateLimitHeaders({ 'request-id': 'req_1' }, now);
    expect(info.windows).toEqual({});
    expect(announcesLimits(info)).toBe(false);
  });
});
