/**
 * OpenAI's rate-limit headers: `x-ratelimit-{limit|remaining|reset}-{requests|tokens}`, the
 * resets written as Go durations (`1s`, `6m0s`, `12ms`, `1h2m3.5s`), and the retry hints a 429
 * carries (`retry-after-ms`, Azure's `x-ms-retry-after-ms`, `retry-after`, or only the message's
 * "Please try again in 20s").
 */
import type { IncomingHttpHeaders } from 'node:http';
import { parseRetryAfter } from '../../executors/errors.ts';

const unitMs: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  μs: 0.001,
  ns: 0.000_001,
};

const durationPattern = /^(?:\d+(?:\.\d*)?|\.\d+)(?:h|ms|m|s|us|µs|μs|ns)/;

/**
 * Parses a duration as OpenAI writes it (`1s`, `6m0s`, `12ms`, `1h2m3.5s`, `0.5s`) into
 * milliseconds, rounded up to a whole millisecond. A bare number is taken as seconds. Returns
 * undefined for anything else.
 */
export function parseOpenAIDuration(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  let rest = value.trim();
  if (rest === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(rest)) return Math.ceil(Number(rest) * 1000);
  let total = 0;
  while (rest !== '') {
    const match = durationPattern.exec(rest);
    if (match === null) return undefined;
    const [part] = match;
    const unit = /[a-zµμ]+$/.exec(part)?.[0] ?? '';
    const amount = Number(part.slice(0, part.length - unit.length));
    const factor = unitMs[unit];
    if (factor === undefined || !Number.isFinite(amount)) return undefined;
    total += amount * factor;
    rest = rest.slice(part.length);
  }
  return Math.max(0, Math.ceil(total - 1e-9));
}

/** One rate-limit dimension as the headers describe it; fields the headers lack stay undefined. */
export interface OpenAIRateLimitWindow {
  limit?: number;
  remaining?: number;
  /** Milliseconds until the dimension is back to its limit. */
  resetMs?: number;
}

export interface OpenAIRateLimits {
  requests?: OpenAIRateLimitWindow;
  tokens?: OpenAIRateLimitWindow;
}

type HeaderBag = IncomingHttpHeaders | Record<string, string>;

/** The `x-ratelimit-*` headers parsed; a dimension with no header at all is left out. */
export function parseOpenAIRateLimits(headers: HeaderBag): OpenAIRateLimits {
  const limits: OpenAIRateLimits = {};
  for (const dimension of ['requests', 'tokens'] as const) {
    const window: OpenAIRateLimitWindow = {};
    const limit = toNumber(headerValue(headers, `x-ratelimit-limit-${dimension}`));
    const remaining = toNumber(headerValue(headers, `x-ratelimit-remaining-${dimension}`));
    const resetMs = parseOpenAIDuration(headerValue(headers, `x-ratelimit-reset-${dimension}`));
    if (limit !== undefined) window.limit = limit;
    if (remaining !== undefined) window.remaining = remaining;
    if (resetMs !== undefined) window.resetMs = resetMs;
    if (Object.keys(window).length > 0) limits[dimension] = window;
  }
  return limits;
}

/** "Please try again in 20s." (OpenAI) / "Please retry after 6 seconds." (Azure) */
const tryAgainPattern = /(?:try again in|retry after)\s+(\d+(?:\.\d+)?)\s*(ms|s|seconds?|milliseconds?)\b/i;

/**
 * How long to wait before retrying a rate-limited request, in the order the official SDKs honour:
 * `retry-after-ms`, `x-ms-retry-after-ms` (Azure), `retry-after` (seconds or HTTP date); then
 * the wait the error message names; then the reset of a dimension the headers show exhausted.
 */
export function retryAfterMsOf(headers: HeaderBag, message?: string, now = Date.now()): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const ms = toNumber(headerValue(headers, name));
    if (ms !== undefined && ms >= 0) return Math.ceil(ms);
  }
  const retryAfter = parseRetryAfter(headerValue(headers, 'retry-after'), now);
  if (retryAfter !== undefined) return retryAfter;
  const named = message === undefined ? null : tryAgainPattern.exec(message);
  if (named !== null) {
    const amount = Number(named[1]);
    return Math.ceil(/^ms|^milli/i.test(named[2] ?? '') ? amount : amount * 1000);
  }
  const limits = parseOpenAIRateLimits(headers);
  const exhausted = [limits.requests, limits.tokens]
    .filter((window) => window?.remaining === 0 && window.resetMs !== undefined)
    .map((window) => window?.resetMs ?? 0);
  return exhausted.length > 0 ? Math.max(...exhausted) : undefined;
}

export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function toNumber(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}
