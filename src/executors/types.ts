/**
 * The executor contract (DESIGN.md, "The executor contract"). Every provider implements
 * `Executor`; the worker never branches on the provider.
 */
import type { CredentialStore } from './credentials.ts';
import type { ProviderError } from './errors.ts';

/**
 * Each provider's account type, by provider id. Every `src/providers/<name>/account.ts` adds its
 * own entry (declaration merging), so the contract names the providers' accounts without importing
 * the provider list (which imports this file); src/providers/index.ts checks at compile time that
 * the entries and the list agree.
 */
// biome-ignore lint/suspicious/noEmptyInterface: each provider's account.ts adds its entry by declaration merging, which needs an interface.
export interface AccountsByProvider {}

/** A provider id (the ids of src/providers/index.ts's list). */
export type ProviderName = keyof AccountsByProvider;
/** One account of the config, of any provider (src/config/schema.ts). */
export type Account = AccountsByProvider[ProviderName];

/** A provider-native request body, as JSON. */
export type JsonObject = { [key: string]: unknown };

export interface ExecuteRequest {
  provider: ProviderName;
  /** The model asked for (also present inside `body` where the provider's format has it). */
  model: string;
  /** The request body in the provider's own format (Anthropic Messages params, ...). */
  body: JsonObject;
  /**
   * The API path for providers with several (OpenAI: `/v1/chat/completions`, `/v1/responses`,
   * `/v1/embeddings`); left out, the executor infers it from the body.
   */
  endpoint?: string;
}

export interface ExecuteOptions {
  /** Cancels the upstream request. */
  signal?: AbortSignal;
  /** A request id for logs and upstream tracing (the job id). */
  requestId?: string;
}

/** Finish reason, normalized next to the provider's own value. */
export type UnifiedFinishReason = 'stop' | 'length' | 'stop_sequence' | 'tool_calls' | 'content_filter' | 'pause' | 'refusal' | 'other';

export interface FinishReason {
  unified: UnifiedFinishReason;
  raw: string | null;
}

/**
 * Tokens of one call, counted the same way for every provider: the whole prompt is
 * inputTokens + cacheRead + cacheWrite, each token in exactly one of the three. (OpenAI and
 * Gemini report a prompt total that includes the cached tokens; their mappers subtract them.)
 */
export interface Usage {
  /** Prompt tokens neither read from nor written to the provider's prompt cache. */
  inputTokens: number;
  /** Output tokens, reasoning ("thinking") tokens included. */
  outputTokens: number;
  /** Prompt tokens read from the cache. */
  cacheRead: number;
  /** Prompt tokens written to the cache. */
  cacheWrite: number;
  /** The provider's usage object as it arrived. */
  raw: unknown;
}

export interface ToolCall {
  id: string;
  name: string;
  /** Arguments as the JSON text the model produced. */
  arguments: string;
}

export interface ExecuteResult {
  /** The assistant's text, all text blocks joined. */
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  /** HTTP status of the upstream answer. */
  statusCode: number;
  /** The provider's response body (for a stream, the equivalent non-streaming body). */
  body: JsonObject;
  /** Upstream headers of interest: request id, rate-limit headers. Lower-case names. */
  headers: Record<string, string>;
}

/** Typed parts of a streamed answer. The last part is `done` or `error`. */
export type StreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-call-delta'; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: 'usage'; usage: Usage }
  | { type: 'finish'; finishReason: FinishReason }
  | { type: 'error'; error: ProviderError }
  | { type: 'done'; result: ExecuteResult };

export interface Executor {
  readonly provider: ProviderName;
  execute(request: ExecuteRequest, options: ExecuteOptions, account: Account): Promise<ExecuteResult>;
  executeStream(request: ExecuteRequest, options: ExecuteOptions, account: Account): AsyncIterable<StreamPart>;
  /**
   * True when at least one account of this provider (serving `model`, when given) can take a
   * call now: enabled, not disabled by the provider or an operator, not cooling down. Read from
   * the scheduler's shared account state.
   */
  isAvailable(model?: string): Promise<boolean>;
  /** How many accounts of this provider (serving `model`, when given) can take a call now. */
  getAvailableAccountsCount(model?: string): Promise<number>;
}

/** What an executor gets from its surroundings: the live account list and their shared state. */
export interface ExecutorContext {
  accounts(): readonly Account[];
  /**
   * Reads which accounts can take calls now (src/accounts/availability.ts); `isAvailable` and
   * `getAvailableAccountsCount` need it (an executor made without one only executes).
   */
  availability?: AvailabilityReader;
  /**
   * Where credentials that expire are kept and refreshed (src/accounts/credential-store.ts: in
   * Redis, once for every worker); an executor made without one keeps them in its own process.
   */
  credentials?: CredentialStore;
}

/** One account of the provider and, when it cannot take calls, why not. */
export interface AccountAvailability {
  id: string;
  available: boolean;
  /** `disabled (auth)`, `disabled (operator)`, `disabled (config)`, `cooling down 12s`; null when available. */
  reason: string | null;
}

export interface ProviderAvailability {
  provider: ProviderName;
  /** The model asked about, when one was. */
  model: string | null;
  /** Accounts of the provider (serving the model, when one is given), available or not. */
  accounts: AccountAvailability[];
  /** How many of them can take a call now. */
  available: number;
}

/** Answers from the shared account state; what executors get in their context. */
export interface AvailabilityReader {
  read(provider: ProviderName, model?: string): Promise<ProviderAvailability>;
}
