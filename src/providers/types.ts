/**
 * What relayq knows about one provider, in one object (`src/providers/<name>/index.ts`).
 * Code outside a provider's folder asks its module; it never tests `provider === '...'`.
 * `src/providers/index.ts` is the one list of modules.
 */
import type { z } from 'zod';
import type { Executor, ExecutorContext, JsonObject, Usage } from '../executors/types.ts';
import type { OpenAiChatBody } from './shared/openai-chat/schema.ts';
import type { Translation } from './shared/openai-chat/translation.ts';

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
  /** The response header that carries the provider's request id (lower-case). */
  readonly requestIdHeaders: readonly string[];
  /** Usage rules. */
  readonly usage: {
    /** The input tokens of a call that count against an account's input-token limit. */
    limitedInput(usage: Usage): number;
    /** Reasoning ("thinking") tokens reported in an answer body (0 when the provider reports none apart). */
    reasoningTokens(body: JsonObject): number;
  };
  /**
   * An OpenAI Chat Completions body (a prompt written in the common format) → this provider's
   * body. Absent for providers that take Chat Completions bodies as they are (dialect `openai`).
   * Throws a TranslationError when the body has no faithful translation.
   */
  fromOpenAiChat?(chat: OpenAiChatBody, model: string): Translation;
  /**
   * For the `chat.completion` made from this provider's answer: the `extra_content` of each tool
   * call, in order (undefined where a call has none), for what the provider wants back with the
   * call in a later turn (Gemini's thought signatures). Absent when there is nothing to carry.
   */
  chatToolCallExtras?(body: JsonObject): (JsonObject | undefined)[];
  /** The provider's executor (the seed's contract). */
  createExecutor(context: ExecutorContext): Executor;
}
