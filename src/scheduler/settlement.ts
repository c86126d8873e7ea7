/**
 * After a call: what its outcome means for the account (settleAccount-3.lua does the Redis side)
 * and for the prompt.
 *
 *   429 (rate_limited)        the account cools down until the provider's retry-after / reset;
 *                             the prompt goes back to scheduling without burning an attempt
 *   429 insufficient quota,   the account is disabled with the provider's message; the prompt
 *   401, 403 (auth, permission)  goes back to scheduling (another account) without an attempt
 *   529, 503 (overloaded)     the prompt is retried as an attempt, on another account if one has
 *                             room; from the fifth overload in a row (no success between) the
 *                             account backs off too (0.5 s, doubling, at most 10 s); a success
 *                             ends the run
 *   anything else             recorded as the account's last error; the prompt's usual retry rules
 */
import type { Redis } from 'ioredis';
import type { ProviderError } from '../executors/errors.ts';
import type { Keys } from '../redis/keys.ts';
import { withScripts } from '../redis/scripts.ts';
import { dimensions, type RateLimitInfo } from '../providers/shared/rate-limits.ts';

export type SettleOutcome = 'ok' | 'rate_limited' | 'overloaded' | 'auth' | 'error' | 'released';

/** What the prompt does next. */
export type Reaction =
  /** Done with this call: the caller stores the result, or applies its usual retry rules to the error. */
  | 'continue'
  /** Schedule the prompt again now, without counting an attempt: the account, not the prompt, failed. */
  | 'reschedule'
  /** Retry as an attempt, soon: another account is likely to take it. */
  | 'retry-soon';

export interface SettleInput {
  accountId: string;
  leaseId: string | null;
  /** The account's admission count when the call was admitted (null: unknown, admitted locally). */
  sequence?: number | null;
  outcome: SettleOutcome;
  /** Tokens admission charged (0 when none). */
  chargedInput: number;
  reservedOutput: number;
  /** Actual usage; -1 when unknown. */
  actualInput: number;
  actualOutput: number;
  cooldownMs: number;
  message: string;
  /** Requests per minute the workers were sending the account (AIMD's start). */
  observedRpm: number;
  limits: RateLimitInfo;
  /** The headers came with the complete answer (not at the start of a long stream). */
  fresh: boolean;
}

export interface SettleAnswer {
  limited: boolean;
  coolUntil: number;
  disabled: string;
  /** Overloads in a row the account has now (0 after a success). */
  overloads: number;
}

export async function settleAccount(redis: Redis, keys: Keys, input: SettleInput): Promise<SettleAnswer> {
  const args: (string | number)[] = [
    input.accountId,
    input.leaseId ?? '',
    input.outcome,
    Math.max(0, Math.round(input.chargedInput)),
    Math.round(input.actualInput),
    Math.max(0, Math.round(input.reservedOutput)),
    Math.round(input.actualOutput),
    Math.max(0, Math.round(input.cooldownMs)),
    input.message.slice(0, 500),
    Math.max(0, Math.round(input.observedRpm)),
    input.limits.tokenRounding,
    input.fresh ? 1 : 0,
  ];
  for (const dimension of dimensions) {
    const window = input.limits.windows[dimension];
    args.push(window?.limit ?? '', window?.remaining ?? '', window?.untilFullMs === undefined ? '' : Math.round(window.untilFullMs));
  }
  args.push(input.sequence ?? '');
  const [limited, coolUntil, disabled, overloads] = await withScripts(redis).settleAccount(
    keys.accountState(input.accountId),
    keys.accountLeases(input.accountId),
    keys.accountErrors(input.accountId),
    ...args,
  );
  return { limited: Number(limited) === 1, coolUntil: Number(coolUntil), disabled: String(disabled), overloads: Number(overloads) || 0 };
}

/** The account-level meaning of a failed call. */
export function outcomeOf(error: ProviderError): SettleOutcome {
  switch (error.kind) {
    case 'rate_limited':
      // Not retryable: out of quota or credit, which waiting does not fix.
      return error.retryable ? 'rate_limited' : 'auth';
    case 'overloaded':
      return 'overloaded';
    case 'auth':
    case 'permission':
      return 'auth';
    case 'cancelled':
      return 'released';
    default:
      return 'error';
  }
}

export function reactionTo(outcome: SettleOutcome): Reaction {
  if (outcome === 'rate_limited' || outcome === 'auth') return 'reschedule';
  if (outcome === 'overloaded') return 'retry-soon';
  return 'continue';
}

/**
 * How long a rate-limited account rests; one policy for every provider, applied to what its
 * module's `rateLimits.parse` read (src/providers/shared/rate-limits.ts):
 *
 * 1. the provider's retry hint, when it gave one (the error mapper's: `retry-after-ms`,
 *    `x-ms-retry-after-ms`, `retry-after`, the wait an OpenAI/Azure message names, Gemini's
 *    RetryInfo; else the headers' own);
 * 2. else until one unit of the exhausted dimension is back, min(time until full, 60 s ÷ limit),
 *    not until its reset: Anthropic documents its limits as continuously replenished buckets
 *    whose reset is the time they are full again, and OpenAI's reset is likewise the time until
 *    the limit is back to its initial state while capacity returns continuously (10,000
 *    requests/min with 9,999 left shows `6ms`). Waiting for the reset would idle an account for
 *    up to a minute after a 429 that one request's worth of refill would end;
 * 3. else a second.
 */
export function cooldownFor(error: ProviderError, limits: RateLimitInfo): number {
  if (error.retryAfterMs !== undefined) return error.retryAfterMs;
  if (limits.retryAfterMs !== undefined) return limits.retryAfterMs;
  let longest = 0;
  for (const dimension of dimensions) {
    const window = limits.windows[dimension];
    if (window?.remaining === 0 && window.untilFullMs !== undefined && window.limit !== undefined) {
      // Until one unit is back, not until full: the bucket refills continuously.
      longest = Math.max(longest, Math.min(window.untilFullMs, 60_000 / window.limit));
    }
  }
  return longest > 0 ? longest : error.kind === 'rate_limited' ? 1000 : 0;
}
