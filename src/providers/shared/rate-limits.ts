/**
 * What providers say about their rate limits, in one normalized shape (`RateLimitInfo`), and the
 * readers every provider's parser and error mapper shares: one number reader, one duration
 * parser, one retry-after parser. Each provider module's `rateLimits.parse` (in its own folder)
 * reads its headers into this shape; the scheduler applies one policy to it (src/scheduler/).
 *
 * Dimensions: `r` requests, `i` input tokens, `o` output tokens, `t` input + output tokens, all
 * per minute.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { headerValue } from './error-body.ts';

export { headerValue };

export const dimensions = ['r', 'i', 'o', 't'] as const;
export type Dimension = (typeof dimensions)[number];

export interface RateLimitWindow {
  /** The limit per minute. */
  limit?: number;
  /** What is left now. */
  remaining?: number;
  /** Milliseconds until the bucket is full again (both Anthropic's and OpenAI's resets mean that). */
  untilFullMs?: number;
}

export interface RateLimitInfo {
  windows: Partial<Record<Dimension, RateLimitWindow>>;
  /** How long the provider asks to wait before the next request, when it said. */
  retryAfterMs?: number;
  /** How far the provider rounds token `remaining` down (Anthropic: to thousands); 0 exact. */
  tokenRounding: number;
}

/** A provider's reader of its rate-limit headers (`ProviderModule.rateLimits`). */
export interface RateLimitParser {
  /** Reads an answer's headers (lower-case names) into the normalized shape; `now` (ms) is for absolute times. */
  parse(headers: HeaderBag, now: number): RateLimitInfo;
}

export type HeaderBag = IncomingHttpHeaders | Record<string, string>;

/** An answer that says nothing about rate limits (shared, frozen: the common case costs nothing). */
export const noRateLimits: RateLimitInfo = Object.freeze({ windows: Object.freeze({}), tokenRounding: 0 });

/** True when the info announces at least one limit. */
export function announcesLimits(info: RateLimitInfo): boolean {
  return dimensions.some((dimension) => info.windows[dimension]?.limit !== undefined);
}

/** True when some header name starts with one of `prefixes` (cheap: answers without limits carry none). */
export function hasHeaderWithPrefix(headers: HeaderBag, prefixes: readonly string[]): boolean {
  for (const name in headers) {
    for (const prefix of prefixes) if (name.startsWith(prefix)) return true;
  }
  return false;
}

/** A finite number from a header value; undefined when absent, empty or not a number. */
export function readNumber(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

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

const durationPart = /^(?:\d+(?:\.\d*)?|\.\d+)(?:h|ms|m|s|us|µs|μs|ns)/;

/**
 * A duration as OpenAI writes resets (Go style: `1s`, `6m0s`, `12ms`, `1h2m3.5s`) or as Google
 * writes a protobuf Duration in JSON (`30s`, `0.000500s`), in milliseconds rounded up so a client
 * never comes back early. A bare number is seconds. Undefined for anything else.
 */
export function parseDuration(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  let rest = value.trim();
  if (rest === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(rest)) return Math.ceil(Number(rest) * 1000);
  let total = 0;
  while (rest !== '') {
    const match = durationPart.exec(rest);
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

/** Milliseconds until an absolute time (RFC 3339 or HTTP date), at least 0; undefined when unreadable. */
export function untilTime(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/**
 * How long the provider asks to wait, in the order the official SDKs honour: `retry-after-ms`,
 * `x-ms-retry-after-ms` (Azure), then `retry-after` in seconds or as an HTTP date.
 */
export function retryAfterMs(headers: HeaderBag, now = Date.now()): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const ms = readNumber(headerValue(headers, name));
    if (ms !== undefined && ms >= 0) return Math.ceil(ms);
  }
  const value = headerValue(headers, 'retry-after');
  const seconds = readNumber(value);
  if (seconds !== undefined) return Math.max(0, Math.round(seconds * 1000));
  return untilTime(value, now);
}

/** One window from a limit, remaining and time-until-full; undefined when neither number is there. */
export function readWindow(
  limit: string | undefined,
  remaining: string | undefined,
  untilFullMs: number | undefined,
): RateLimitWindow | undefined {
  const window: RateLimitWindow = {};
  const limitValue = readNumber(limit);
  const remainingValue = readNumber(remaining);
  if (limitValue !== undefined && limitValue > 0) window.limit = limitValue;
  if (remainingValue !== undefined && remainingValue >= 0) window.remaining = remainingValue;
  if (untilFullMs !== undefined) window.untilFullMs = untilFullMs;
  return window.limit === undefined && window.remaining === undefined ? undefined : window;
}

const retryHeaderPrefixes = ['retry-after', 'x-ms-retry-after-ms'];

/** Adds the retry hint of the headers to `info` (a copy when `info` is the shared empty one). */
export function withRetryAfter(info: RateLimitInfo, headers: HeaderBag, now: number): RateLimitInfo {
  if (!hasHeaderWithPrefix(headers, retryHeaderPrefixes)) return info;
  const wait = retryAfterMs(headers, now);
  if (wait === undefined) return info;
  return { ...info, retryAfterMs: wait };
}

/** For providers that send no rate-limit headers, only retry hints (Gemini, Bedrock). */
export const retryHintsOnly: RateLimitParser = {
  parse: (headers, now) => withRetryAfter(noRateLimits, headers, now),
};
