/**
 * What a call will cost in tokens, known before it is sent: input tokens estimated from the
 * request body, output tokens reserved from its max_tokens. No tokenizer package ships with
 * relayq, so input is estimated from the characters of the prompt with a tokens-per-character
 * ratio per model family that is calibrated from the usage every answer reports; the account's
 * bucket is corrected by the difference once the answer arrives, so an estimate only has to be
 * close, not exact.
 */
import type { JsonObject, ProviderName } from '../executors/types.ts';

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

/** Fields of a request body that carry the prompt, across the providers' formats. */
const promptFields = ['messages', 'system', 'tools', 'contents', 'content', 'systemInstruction', 'input', 'instructions', 'prompt'];

/** Characters per image (or other inline file): about 1,600 tokens, what a large image costs. */
const inlineFileChars = 6_400;
/** A string this long without spaces is inline file data (base64), not text. */
const inlineDataMinLength = 2_000;
const defaultTokensPerChar = 0.25;
/** Output reserved when a request does not say: providers then allow up to their maximum. */
export const defaultOutputReserve = 4_096;

/**
 * True for an embeddings request, which produces no output tokens: one sent to an embeddings
 * endpoint (OpenAI `/v1/embeddings`, Gemini `:embedContent`), or a Gemini body with `content`
 * and no `contents` (see resolveGeminiMethod).
 */
export function isEmbeddingsCall(endpoint: string | undefined, body: JsonObject): boolean {
  if (endpoint !== undefined) return /(^|\/|:)(embeddings|embedContent)\/?$/.test(endpoint.trim());
  return 'content' in body && !('contents' in body) && !('messages' in body);
}

/** The max_tokens of a request in any provider's format, or undefined. */
export function maxOutputTokensOf(body: JsonObject): number | undefined {
  const generationConfig = body.generationConfig;
  const candidates = [
    body.max_tokens,
    body.max_completion_tokens,
    body.max_output_tokens,
    typeof generationConfig === 'object' && generationConfig !== null
      ? (generationConfig as Record<string, unknown>).maxOutputTokens
      : undefined,
  ];
  for (const value of candidates) {
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.ceil(value);
  }
  return undefined;
}

/** Characters of the prompt-carrying fields of a body, keys and structure included, roughly as JSON. */
export function promptChars(body: JsonObject): number {
  let chars = 0;
  for (const field of promptFields) {
    const value = body[field];
    if (value !== undefined) chars += field.length + 3 + charsOf(value, 0);
  }
  return chars;
}

function charsOf(value: unknown, depth: number): number {
  if (typeof value === 'string') {
    if (value.length >= inlineDataMinLength && !value.includes(' ')) return inlineFileChars;
    return value.length + 2;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return 4;
  if (depth > 64 || typeof value !== 'object') return 0;
  let chars = 2;
  if (Array.isArray(value)) {
    for (const item of value) chars += charsOf(item, depth + 1) + 1;
    return chars;
  }
  for (const [key, item] of Object.entries(value)) chars += key.length + 4 + charsOf(item, depth + 1);
  return chars;
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

  estimate(provider: ProviderName, model: string, body: JsonObject, endpoint?: string): CallCost {
    const family = modelFamily(provider, model);
    const inputChars = promptChars(body);
    const ratio = this.calibrations.get(family)?.tokensPerChar ?? defaultTokensPerChar;
    return {
      inputTokens: Math.max(1, Math.ceil(inputChars * ratio)),
      outputTokens: isEmbeddingsCall(endpoint, body) ? 0 : (maxOutputTokensOf(body) ?? defaultOutputReserve),
      inputChars,
      family,
    };
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
