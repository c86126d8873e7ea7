/**
 * OpenAI's rate-limit headers (Azure OpenAI sends the same names): `x-ratelimit-{limit|remaining|
 * reset}-{requests|tokens}`, the resets Go durations (`1s`, `6m0s`, `12ms`) until the bucket is
 * full again (Azure sends `remaining` only); tokens count input + output. Retry hints:
 * `retry-after-ms`, Azure's `x-ms-retry-after-ms`, `retry-after`, or only the error message's
 * "Please try again in 20s" / "Please retry after 6 seconds".
 */
import {
  hasHeaderWithPrefix,
  headerValue,
  noRateLimits,
  parseDuration,
  readWindow,
  retryAfterMs,
  withRetryAfter,
  type Dimension,
  type HeaderBag,
  type RateLimitInfo,
  type RateLimitParser,
} from '../shared/rate-limits.ts';

const names: ReadonlyArray<[string, Dimension]> = [
  ['requests', 'r'],
  ['tokens', 't'],
];

export const openaiRateLimits: RateLimitParser = {
  parse(headers, now): RateLimitInfo {
    if (!hasHeaderWithPrefix(headers, ['x-ratelimit-'])) return withRetryAfter(noRateLimits, headers, now);
    const info: RateLimitInfo = { windows: {}, tokenRounding: 0 };
    for (const [name, dimension] of names) {
      const window = readWindow(
        headerValue(headers, `x-ratelimit-limit-${name}`),
        headerValue(headers, `x-ratelimit-remaining-${name}`),
        parseDuration(headerValue(headers, `x-ratelimit-reset-${name}`)),
      );
      if (window !== undefined) info.windows[dimension] = window;
    }
    return withRetryAfter(info, headers, now);
  },
};

/** "Please try again in 20s." (OpenAI) / "Please retry after 6 seconds." (Azure) */
const tryAgainPattern = /(?:try again in|retry after)\s+(\d+(?:\.\d+)?)\s*(ms|s|seconds?|milliseconds?)\b/i;

/**
 * The wait a rate-limited or overloaded answer asks for: its retry headers, else the wait its
 * message names. Undefined when it names none (the scheduler then works the wait out from the
 * rate-limit headers, src/scheduler/settlement.ts).
 */
export function retryAfterMsOf(headers: HeaderBag, message?: string, now = Date.now()): number | undefined {
  const fromHeaders = retryAfterMs(headers, now);
  if (fromHeaders !== undefined) return fromHeaders;
  const named = message === undefined ? null : tryAgainPattern.exec(message);
  if (named === null) return undefined;
  const amount = Number(named[1]);
  return Math.ceil(/^ms|^milli/i.test(named[2] ?? '') ? amount : amount * 1000);
}
