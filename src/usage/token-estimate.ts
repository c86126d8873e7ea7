/**
 * The one token estimator: what a call will cost in tokens, known before it is sent, for every
 * body format relayq takes. Used by the scheduler (admission charges the estimate and corrects
 * it from the answer's usage, src/scheduler/estimate.ts) and by `relayq submit --dry-run`
 * (src/usage/estimate.ts).
 *
 * No tokenizer package ships with relayq, so input is estimated from the characters of the
 * prompt-carrying fields, roughly as JSON (keys and structure included), at about 4 characters
 * a token (what most tokenizers average on English; the scheduler calibrates the ratio per model
 * family). Inline file data (base64) counts as one image, not as its characters. Output is the
 * request's max_tokens in any provider's format, or a default reserve; embeddings produce none.
 */
import type { JsonObject } from '../executors/types.ts';

/** Fields of a request body that carry the prompt, across the providers' formats. */
const promptFields = ['messages', 'system', 'tools', 'contents', 'content', 'systemInstruction', 'input', 'instructions', 'prompt'];

/** Characters per image (or other inline file): about 1,600 tokens, what a large image costs. */
const inlineFileChars = 6_400;
/** A string this long without spaces is inline file data (base64), not text. */
const inlineDataMinLength = 2_000;
/** About 4 characters a token. */
export const defaultTokensPerChar = 0.25;
/** Output reserved when a request does not say: providers then allow up to their maximum. */
export const defaultOutputReserve = 4_096;

export interface TokenEstimate {
  /** Estimated input tokens. */
  inputTokens: number;
  /** The request's max output tokens, the default reserve when it sets none, 0 for embeddings. */
  outputTokens: number;
  /** The characters the input estimate was made from. */
  inputChars: number;
}

/** Estimates one request; `tokensPerChar` is a calibrated ratio when the caller has one. */
export function estimateRequest(
  body: JsonObject,
  endpoint?: string,
  options: { tokensPerChar?: number; defaultOutput?: number } = {},
): TokenEstimate {
  const inputChars = promptChars(body);
  return {
    inputTokens: Math.max(1, Math.ceil(inputChars * (options.tokensPerChar ?? defaultTokensPerChar))),
    outputTokens: isEmbeddingsCall(endpoint, body) ? 0 : (maxOutputTokensOf(body) ?? options.defaultOutput ?? defaultOutputReserve),
    inputChars,
  };
}

/**
 * True for an embeddings request, which produces no output tokens: one sent to an embeddings
 * endpoint (OpenAI `/v1/embeddings`, Gemini `:embedContent`), or a Gemini body with `content`
 * and no `contents` (see resolveGeminiMethod).
 */
export function isEmbeddingsCall(endpoint: string | undefined, body: JsonObject): boolean {
  if (endpoint !== undefined) return /(^|\/|:)(embeddings|embedContent)\/?$/.test(endpoint.trim());
  return 'content' in body && !('contents' in body) && !('messages' in body);
}

/** The max output tokens of a request in any provider's format, or undefined. */
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
