/**
 * What relayq knows about one provider, in one object (`src/providers/<name>/index.ts`).
 * Code outside a provider's folder asks its module; it never tests `provider === '...'`.
 * `src/providers/index.ts` is the one list of modules.
 */
import type { z } from 'zod';
import type { Executor, ExecutorContext, JsonObject, Usage } from '../executors/types.ts';
import type { RateLimitParser } from './shared/rate-limits.ts';

/** The request-body dialects relayq reads at ingest; a provider speaks one natively. */
export type BodyDialect = 'anthropic-messages' | 'openai' | 'gemini';

export interface ProviderModule<Id extends string = string> {
  /** The id used in config (`provider: ...`), on lines and in Redis. */
  readonly id: Id;
  /** How a person names it ("Azure OpenAI"). */
  readonly displayName: string;
  /** The body dialect it takes as it is (Anthropic Messages, OpenAI, Gemini). */
  readonly dialect: BodyDialect;
  /** Model names it serves when neither the line nor a routing rule says (tried in list order). */
  readonly modelPatterns: readonly RegExp[];
  /** Native request-body checks at ingest. */
  readonly requests: {
    /** The body schema (OpenAI-dialect endpoints may refine it per API path). */
    readonly body: z.ZodType;
  };
  /**
   * Its rate-limit and retry headers, read into the one normalized shape the scheduler's policy
   * works from (src/providers/shared/rate-limits.ts).
   */
  readonly rateLimits: RateLimitParser;
  /** The response header that carries the provider's request id (lower-case). */
  readonly requestIdHeaders: readonly string[];
  /** Usage rules. */
  readonly usage: {
    /** The input tokens of a call that count against an account's input-token limit. */
    limitedInput(usage: Usage): number;
    /** Reasoning ("thinking") tokens reported in an answer body (0 when the provider reports none apart). */
    reasoningTokens(body: JsonObject): number;
  };
  /** The provider's executor (the seed's contract). */
  createExecutor(context: ExecutorContext): Executor;
}
