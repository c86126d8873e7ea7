/**
 * An executor's result → an OpenAI `chat.completion` body, so a prompt written in Chat
 * Completions shape gets a Chat Completions answer whichever provider served it.
 */
import { randomUUID } from 'node:crypto';
import type { ExecuteResult, JsonObject, UnifiedFinishReason } from '../../executors/types.ts';
import { providerModule, type ProviderName } from '../../providers/index.ts';

export type ChatFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  /** What the provider wants back with the call in a later turn (Gemini: `{google: {thought_signature}}`, as its OpenAI-compatible API gives it). */
  extra_content?: JsonObject;
}

export interface ChatCompletion {
  /** The provider's own response id (Anthropic `msg_...`, Gemini `responseId`), else a new `chatcmpl-...`. */
  id: string;
  object: 'chat.completion';
  /** Seconds since the epoch. */
  created: number;
  model: string;
  choices: [
    {
      index: 0;
      message: {
        role: 'assistant';
        content: string | null;
        tool_calls?: ChatToolCall[];
        refusal: null;
      };
      finish_reason: ChatFinishReason;
      logprobs: null;
    },
  ];
  usage: {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    prompt_tokens_details: { cached_tokens: number };
  };
}

const finishReasons: Readonly<Record<UnifiedFinishReason, ChatFinishReason>> = {
  stop: 'stop',
  stop_sequence: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  content_filter: 'content_filter',
  refusal: 'content_filter',
  pause: 'stop',
  other: 'stop',
};

export interface ChatCompletionMeta {
  provider: ProviderName;
  /** The model the job asked for; used when the answer does not name one. */
  model: string;
  /** Epoch milliseconds; default now. */
  now?: number;
}

export function toChatCompletion(result: ExecuteResult, meta: ChatCompletionMeta): ChatCompletion {
  const { usage } = result;
  // OpenAI's prompt_tokens is the whole prompt, cached tokens included.
  const promptTokens = usage.inputTokens + usage.cacheRead + usage.cacheWrite;
  const extras = providerModule(meta.provider).chatToolCallExtras?.(result.body) ?? [];
  const toolCalls = result.toolCalls.map((call, index): ChatToolCall => {
    const extra = extras[index];
    return {
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
      ...(extra === undefined ? {} : { extra_content: extra }),
    };
  });
  return {
    id: stringField(result.body, 'id') ?? stringField(result.body, 'responseId') ?? `chatcmpl-${randomUUID().replaceAll('-', '')}`,
    object: 'chat.completion',
    created: Math.floor((meta.now ?? Date.now()) / 1000),
    model: stringField(result.body, 'model') ?? stringField(result.body, 'modelVersion') ?? meta.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: result.text === '' && toolCalls.length > 0 ? null : result.text,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          refusal: null,
        },
        finish_reason: finishReasons[result.finishReason.unified],
        logprobs: null,
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: usage.outputTokens,
      total_tokens: promptTokens + usage.outputTokens,
      prompt_tokens_details: { cached_tokens: usage.cacheRead },
    },
  };
}

function stringField(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
