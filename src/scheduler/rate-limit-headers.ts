/**
 * What providers say about their rate limits in response headers, normalized:
 *
 * - Anthropic: `anthropic-ratelimit-{requests|input-tokens|output-tokens|tokens}-{limit|remaining|reset}`,
 *   reset as an RFC 3339 time at which the bucket is full again; token `remaining` is rounded.
 * - OpenAI, Azure OpenAI (and gateways in front of Gemini): `x-ratelimit-{limit|remaining|reset}-{requests|tokens}`,
 *   reset as a duration (`1s`, `6m0s`, `12ms`) until the bucket is full again.
 * - Everyone: `retry-after-ms`, `x-ms-retry-after-ms` (Azure), `retry-after` (seconds or an HTTP date).
 *
 * Dimensions: `r` requests, `i` input tokens, `o` output tokens, `t` input + output tokens, all
 * per minute.
 */
import { parseRetryAfter } from '../executors/errors.ts';

export const dimensions = ['r', 'i', 'o', 't'] as const;
export type Dimension = (typeof dimensions)[number];

export interface RateLimitWindow {
  /** The limit per minute. */
  limit?: number;
  /** What is left now. */
  remaining?: number;
  /** Milliseconds until the bucket is full again. */
  untilFullMs?: number;
}

export interface RateLimitInfo {
  windows: Partial<Record<Dimension, RateLimitWindow>>;
  /** How long the provider asks to wait before the next request, when it said. */
  retryAfterMs?: number;
  /** How far the provider rounds token `remaining` down (Anthropic: to thousands). */
  tokenRounding: number;
}

const anthropicNames: ReadonlyArray<[string, Dimension]> = [
  ['requests', 'r'],
  ['input-tokens', 'i'],
  ['output-tokens', 'o'],
];
const openaiNames: ReadonlyArray<[string, Dimension]> = [
  ['requests', 'r'],
  ['tokens', 't'],
];

const nothing: RateLimitInfo = Object.freeze({ windows: Object.freeze({}), tokenRounding: 0 });

/** True when the headers carry anything rate-limit related (cheap: most answers without limits carry none). */
export function hasRateLimitHeaders(headers: Readonly<Record<string, string>>): boolean {
  for (const name in headers) {
    if (name.startsWith('anthropic-ratelimit-') || name.startsWith('x-ratelimit-') || name.startsWith('retry-after') || name === 'x-ms-retry-after-ms') {
      return true;
    }
  }
  return false;
}

/** Parses the rate-limit headers of an answer (lower-case names). `now` is for absolute times. */
export function parseRateLimitHeaders(headers: Readonly<Record<string, string>>, now = Date.now()): RateLimitInfo {
  if (!hasRateLimitHeaders(headers)) return nothing;
  const info: RateLimitInfo = { windows: {}, tokenRounding: 0 };
  let anthropic = false;
  for (const [name, dimension] of anthropicNames) {
    const window = readWindow(
      headers[`anthropic-ratelimit-${name}-limit`],
      headers[`anthropic-ratelimit-${name}-remaining`],
      untilTime(headers[`anthropic-ratelimit-${name}-reset`], now),
    );
    if (window !== undefined) {
      info.windows[dimension] = window;
      anthropic = true;
    }
  }
  // The combined `tokens-*` headers only add something when the split ones are missing.
  if (info.windows.i === undefined && info.windows.o === undefined) {
    const window = readWindow(
      headers['anthropic-ratelimit-tokens-limit'],
      headers['anthropic-ratelimit-tokens-remaining'],
      untilTime(headers['anthropic-ratelimit-tokens-reset'], now),
    );
    if (window !== undefined) {
      info.windows.t = window;
      anthropic = true;
    }
  }
  if (anthropic) {
    info.tokenRounding = 1000;
  } else {
    for (const [name, dimension] of openaiNames) {
      const window = readWindow(
        headers[`x-ratelimit-limit-${name}`],
        headers[`x-ratelimit-remaining-${name}`],
        parseDuration(headers[`x-ratelimit-reset-${name}`]),
      );
      if (window !== undefined) info.windows[dimension] = window;
    }
  }
  const retryAfterMs = retryAfterOf(headers, now);
  if (retryAfterMs !== undefined) info.retryAfterMs = retryAfterMs;
  return info;
}

/** True when the headers announce at least one limit. */
export function announcesLimits(info: RateLimitInfo): boolean {
  return dimensions.some((dimension) => info.windows[dimension]?.limit !== undefined);
}

/** `retry-after-ms`, `x-ms-retry-after-ms`, then `retry-after`, as the official SDKs read them. */
export function retryAfterOf(headers: Readonly<Record<string, string>>, now = Date.now()): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const ms = toNumber(headers[name]);
    if (ms !== undefined && ms >= 0) return Math.ceil(ms);
  }
  return parseRetryAfter(headers['retry-after'], now);
}

/**
 * A Go-style duration as OpenAI writes resets (`1s`, `6m0s`, `12ms`, `1h2m3.5s`) in
 * milliseconds; a bare number is seconds. Undefined when unreadable.
 */
export function parseDuration(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const part = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(part)) {
    if (match.index !== consumed) return undefined;
    consumed += match[0].length;
    const amount = Number(match[1]);
    const unit = match[2];
    total += amount * (unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : unit === 's' ? 1000 : unit === 'ms' ? 1 : unit === 'ns' ? 1e-6 : 1e-3);
  }
  return consumed === text.length ? total : undefined;
}

function untilTime(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

function readWindow(limit: string | undefined, remaining: string | undefined, untilFullMs: number | undefined): RateLimitWindow | undefined {
  const window: RateLimitWindow = {};
  const limitValue = toNumber(limit);
  const remainingValue = toNumber(remaining);
  if (limitValue !== undefined && limitValue > 0) window.limit = limitValue;
  if (remainingValue !== undefined && remainingValue >= 0) window.remaining = remainingValue;
  if (untilFullMs !== undefined) window.untilFullMs = untilFullMs;
  return window.limit === undefined && window.remaining === undefined ? undefined : window;
}

function toNumber(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}
