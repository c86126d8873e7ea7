/**
 * Anthropic's rate-limit headers: `anthropic-ratelimit-{requests|input-tokens|output-tokens|tokens}-
 * {limit|remaining|reset}`, the reset an RFC 3339 time at which the bucket is full again, token
 * `remaining` rounded down to thousands; `retry-after` on a 429. The combined `tokens-*` headers
 * only count when the split ones are missing (they repeat the tighter of the two).
 */
import {
  hasHeaderWithPrefix,
  headerValue,
  noRateLimits,
  readWindow,
  untilTime,
  withRetryAfter,
  type Dimension,
  type HeaderBag,
  type RateLimitInfo,
  type RateLimitParser,
} from '../shared/rate-limits.ts';

const split: ReadonlyArray<[string, Dimension]> = [
  ['requests', 'r'],
  ['input-tokens', 'i'],
  ['output-tokens', 'o'],
];

function windowOf(headers: HeaderBag, name: string, now: number): ReturnType<typeof readWindow> {
  const prefix = `anthropic-ratelimit-${name}`;
  return readWindow(
    headerValue(headers, `${prefix}-limit`),
    headerValue(headers, `${prefix}-remaining`),
    untilTime(headerValue(headers, `${prefix}-reset`), now),
  );
}

export const anthropicRateLimits: RateLimitParser = {
  parse(headers, now): RateLimitInfo {
    if (!hasHeaderWithPrefix(headers, ['anthropic-ratelimit-'])) return withRetryAfter(noRateLimits, headers, now);
    const info: RateLimitInfo = { windows: {}, tokenRounding: 1000 };
    for (const [name, dimension] of split) {
      const window = windowOf(headers, name, now);
      if (window !== undefined) info.windows[dimension] = window;
    }
    if (info.windows.i === undefined && info.windows.o === undefined) {
      const window = windowOf(headers, 'tokens', now);
      if (window !== undefined) info.windows.t = window;
    }
    return withRetryAfter(info, headers, now);
  },
};
