import type { BackoffStrategy } from 'bullmq';
import { ProviderError } from '../executors/errors.ts';

const baseMs = 500;
const capMs = 8_000;
/** A provider's retry hint is honoured up to this long; beyond it the usual backoff applies. */
const maxHintMs = 60_000;

/**
 * When a failed prompt runs again: the provider's own retry hint (retry-after) when it gave
 * one, else exponential backoff min(0.5·2^n, 8) s with full jitter, as the official SDKs do.
 */
export const promptBackoff: BackoffStrategy = (attemptsMade, _type, error) => {
  if (error instanceof ProviderError && error.retryAfterMs !== undefined && error.retryAfterMs <= maxHintMs) {
    return Math.max(1, error.retryAfterMs);
  }
  const ceiling = Math.min(baseMs * 2 ** Math.max(0, attemptsMade - 1), capMs);
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
};
