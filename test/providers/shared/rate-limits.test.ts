import { describe, expect, it } from 'vitest';
import { anthropicRateLimits } from '../../../src/providers/anthropic/rate-limits.ts';
import { providerModule, providerNames } from '../../../src/providers/index.ts';
import { openaiRateLimits } from '../../../src/providers/openai/rate-limits.ts';
import { announcesLimits, noRateLimits, parseDuration, readNumber, retryAfterMs } from '../../../src/providers/shared/rate-limits.ts';

const now = Date.parse('2025-06-01T12:00:00.000Z');

describe('the shared readers', () => {
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
    ['1.5', 1500],
    // protobuf Durations in their JSON form (Gemini's RetryInfo)
    ['30s', 30_000],
    ['0.000500s', 1],
  ])('parseDuration(%j) = %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([undefined, '', 'soon', '1x', '1s2', 's', '-1s', '1 s', '5s later', 'Thu, 01 Jan 2099 00:00:00 GMT'])(
    'parseDuration(%j) is undefined',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  it('reads numbers, and nothing from empty or non-numeric values', () => {
    expect(readNumber('42')).toBe(42);
    expect(readNumber(' 1.5 ')).toBe(1.5);
    expect(readNumber('')).toBeUndefined();
    expect(readNumber('lots')).toBeUndefined();
    expect(readNumber(undefined)).toBeUndefined();
  });

  it("honours retry-after-ms, then Azure's x-ms-retry-after-ms, then retry-after in seconds or as a date", () => {
    expect(retryAfterMs({ 'retry-after-ms': '1500', 'x-ms-retry-after-ms': '9000', 'retry-after': '9' }, now)).toBe(1500);
    expect(retryAfterMs({ 'x-ms-retry-after-ms': '250', 'retry-after': '9' }, now)).toBe(250);
    expect(retryAfterMs({ 'retry-after': '7' }, now)).toBe(7000);
    expect(retryAfterMs({ 'retry-after': 'Sun, 01 Jun 2025 12:00:05 GMT' }, now)).toBe(5000);
    expect(retryAfterMs({}, now)).toBeUndefined();
  });
});

describe('each provider reads its headers into one shape', () => {
  it('Anthropic: limits, remaining and reset times (reset as time until full), and its token rounding', () => {
    const info = anthropicRateLimits.parse(
      {
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
      },
      now,
    );
    expect(info.windows).toEqual({
      r: { limit: 4000, remaining: 3999, untilFullMs: 15 },
      i: { limit: 2_000_000, remaining: 1_999_000, untilFullMs: 1000 },
      o: { limit: 400_000, remaining: 399_000, untilFullMs: 2000 },
    });
    expect(info.tokenRounding).toBe(1000);
    expect(info.retryAfterMs).toBe(3000);
    expect(announcesLimits(info)).toBe(true);
  });

  it('Anthropic: the combined tokens-* headers when the split ones are missing', () => {
    const info = anthropicRateLimits.parse(
      { 'anthropic-ratelimit-tokens-limit': '80000', 'anthropic-ratelimit-tokens-remaining': '79000' },
      now,
    );
    expect(info.windows).toEqual({ t: { limit: 80_000, remaining: 79_000 } });
  });

  it('OpenAI and Azure: requests and total tokens with Go-duration resets', () => {
    const info = openaiRateLimits.parse(
      {
        'x-ratelimit-limit-requests': '500',
        'x-ratelimit-remaining-requests': '499',
        'x-ratelimit-reset-requests': '120ms',
        'x-ratelimit-limit-tokens': '30000',
        'x-ratelimit-remaining-tokens': '29000',
        'x-ratelimit-reset-tokens': '1m0.5s',
        'retry-after-ms': '1500',
        'retry-after': '2',
      },
      now,
    );
    expect(info.windows).toEqual({
      r: { limit: 500, remaining: 499, untilFullMs: 120 },
      t: { limit: 30_000, remaining: 29_000, untilFullMs: 60_500 },
    });
    expect(info.tokenRounding).toBe(0);
    expect(info.retryAfterMs).toBe(1500);
    // Azure: remaining only, no limits, no resets.
    const azure = providerModule('azure-openai').rateLimits.parse(
      { 'x-ratelimit-remaining-requests': '59', 'x-ratelimit-remaining-tokens': 'lots', 'x-ms-retry-after-ms': '800' },
      now,
    );
    expect(azure).toEqual({ windows: { r: { remaining: 59 } }, tokenRounding: 0, retryAfterMs: 800 });
    expect(announcesLimits(azure)).toBe(false);
  });

  it('Gemini and Bedrock: retry hints only', () => {
    for (const id of ['gemini', 'bedrock']) {
      const parse = providerModule(id).rateLimits.parse;
      expect(parse({ 'retry-after': '4', 'x-ratelimit-limit-requests': '10' }, now)).toEqual({
        windows: {},
        tokenRounding: 0,
        retryAfterMs: 4000,
      });
    }
  });

  it('every provider says nothing, at no cost, for an answer without rate-limit headers', () => {
    for (const id of providerNames) expect(providerModule(id).rateLimits.parse({ 'request-id': 'req_1' }, now)).toBe(noRateLimits);
  });
});
