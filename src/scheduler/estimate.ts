/**
 * What a call will cost in tokens, known before it is sent: the one token estimator
 * (src/usage/token-estimate.ts) with a tokens-per-character ratio per model family that is
 * calibrated from the usage every answer reports; the account's bucket is corrected by the
 * difference once the answer arrives, so an estimate only has to be close, not exact.
 */
import type { JsonObject, ProviderName } from '../executors/types.ts';
import { defaultTokensPerChar, estimateRequest } from '../usage/token-estimate.ts';
import type { PromptToSchedule } from './prompt.ts';

export interface CallCost {
  /** Estimated input tokens. */
  inputTokens: number;
  /** Output tokens reserved: the request's max_tokens, or an estimate when it sets none. */
  outputTokens: number;
  /** The characters the input estimate was made from (for calibration). */
  inputChars: number;
  /** The model family whose ratio was used. */
  family: string;
}

/** `anthropic:claude-sonnet` for claude-sonnet-4-5: tokenizers follow model families, not versions. */
export function modelFamily(provider: ProviderName, model: string): string {
  const stem = model.toLowerCase().replace(/[-_.:@]?\d.*$/, '');
  return `${provider}:${stem === '' ? model.toLowerCase() : stem}`;
}

interface Calibration {
  tokensPerChar: number;
  samples: number;
}

/** Estimates call costs and learns each model family's tokens-per-character ratio from actual usage. */
export class TokenEstimator {
  private readonly calibrations = new Map<string, Calibration>();
  private readonly costs = new WeakMap<PromptToSchedule, CallCost>();

  /** A prompt's cost, estimated once, and only when an account with limits asks. */
  costOf(prompt: PromptToSchedule): CallCost {
    let cost = this.costs.get(prompt);
    if (cost === undefined) {
      cost = this.estimate(prompt.provider, prompt.model, prompt.body, prompt.endpoint);
      this.costs.set(prompt, cost);
    }
    return cost;
  }

  estimate(provider: ProviderName, model: string, body: JsonObject, endpoint?: string): CallCost {
    const family = modelFamily(provider, model);
    return { ...estimateRequest(body, endpoint, { tokensPerChar: this.tokensPerChar(family) }), family };
  }

  /** Feeds the input tokens an answer reported for a call estimated as `cost`. */
  calibrate(cost: CallCost, actualInputTokens: number): void {
    if (cost.inputChars < 20 || !(actualInputTokens > 0)) return;
    const observed = Math.min(2, Math.max(0.02, actualInputTokens / cost.inputChars));
    const current = this.calibrations.get(cost.family);
    if (current === undefined) {
      this.calibrations.set(cost.family, { tokensPerChar: observed, samples: 1 });
      return;
    }
    // A plain mean over the first samples, then a moving average that follows drift.
    current.samples += 1;
    const weight = current.samples <= 20 ? 1 / current.samples : 0.05;
    current.tokensPerChar += (observed - current.tokensPerChar) * weight;
  }

  /** The ratio in use for a family (for tests and diagnostics). */
  tokensPerChar(family: string): number {
    return this.calibrations.get(family)?.tokensPerChar ?? defaultTokensPerChar;
  }
}
