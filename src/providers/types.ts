/**
 * What relayq knows about one provider, in one object (`src/providers/<name>/index.ts`).
 * Code outside a provider's folder asks its module; it never tests `provider === '...'`.
 * `src/providers/index.ts` is the one list of modules.
 */
import type { z } from 'zod';
import type { Executor, ExecutorContext, JsonObject, Usage } from '../executors/types.ts';
import type { OpenAiChatBody } from './shared/openai-chat/schema.ts';
import type { Translation } from './shared/openai-chat/translation.ts';
import type { RateLimitParser } from './shared/rate-limits.ts';

/** The request-body dialects relayq reads at ingest; a provider speaks one natively. */
export type BodyDialect = 'anthropic-messages' | 'openai' | 'gemini';

/** The batch defaults a provider fills into a body (`--max-tokens`, `--system`). */
export interface BodyDefaults {
  maxTokens?: number;
  system?: string;
}

/** A provider's account schema (see `ProviderModule.accountSchema`). */
export type AccountSchema = z.ZodObject<z.core.$ZodLooseShape, z.core.$strict>;

/**
 * The modules are declared with this type (`const x: ProviderModule<'x', typeof xAccountSchema>`),
 * not inferred: the provider list's types (ProviderName, the config's Account) then never wait on
 * the executors' types, which use them.
 */
export interface ProviderModule<Id extends string = string, Schema extends AccountSchema = AccountSchema> {
  /** The id used in config (`provider: ...`), on lines and in Redis. */
  readonly id: Id;
  /** How a person names it ("Azure OpenAI"). */
  readonly displayName: string;
  /** The body dialect it takes as it is (Anthropic Messages, OpenAI, Gemini). */
  readonly dialect: BodyDialect;
  /**
   * Its accounts' config: a strict object of the shared fields (src/providers/shared/account-fields.ts),
   * `provider: <id>` and the provider's own fields; src/config/schema.ts joins them on `provider`.
   */
  readonly accountSchema: Schema;
  /**
   * Model names it serves when neither the line nor a routing rule says. No two providers' patterns
   * match one name (test/accounts/routing.test.ts checks the built-in families).
   */
  readonly modelPatterns: readonly RegExp[];
  /** Native request-body checks at ingest. */
  readonly requests: {
    /** The body schema of a line that names no endpoint (and goes to no endpoint `endpointFor` names). */
    readonly body: z.ZodType;
    /**
     * The API paths a line may name in `"endpoint"` (OpenAI's `/v1/responses`, Gemini's
     * `:embedContent`), each with its body schema. Left out: the provider takes no endpoint.
     */
    readonly endpoints?: Readonly<Record<string, z.ZodType>>;
    /** The endpoint a body goes to when its line names none, if the body tells (a Gemini EmbedContentRequest). */
    endpointFor?(body: JsonObject): string | undefined;
  };
  /**
   * The batch's `--max-tokens` / `--system`, filled into a native body that lacks them, in the
   * provider's own terms (`endpoint`: the line's API path, when it names one). A value the body
   * sets wins; returns a copy where changed, the body itself where nothing applies (embeddings).
   */
  fillDefaults(body: JsonObject, defaults: BodyDefaults, endpoint?: string): JsonObject;
  /**
   * Its rate-limit and retry headers, read into the one normalized shape the scheduler's policy
   * works from (src/providers/shared/rate-limits.ts).
   */
  readonly rateLimits: RateLimitParser;
  /** The response header that carries the provider's request id (lower-case). */
  readonly requestIdHeaders: readonly string[];
  /** Its provider id in the price dataset (@pydantic/genai-prices): where its models' list prices are looked up. */
  readonly priceProvider: string;
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
