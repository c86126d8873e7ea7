/**
 * An executor's result → an OpenAI `chat.completion` body, so a prompt written in Chat
 * Completions shape gets a Chat Completions answer whichever provider served it.
 */
import { randomUUID } from 'node:crypto';
import type { ProviderName } from '../../config/schema.ts';
import type { ExecuteResult, UnifiedFinishReason } from '../../executors/types.ts';

export type ChatFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  /** Gemini's thought signature for the call, to send back with it in a later turn (as Gemini's OpenAI-compatible API does). */
  extra_content?: { google: { thought_signature: string } };
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
  const signatures = meta.provider === 'gemini' ? geminiThoughtSignatures(result.body) : [];
  const toolCalls = result.toolCalls.map((call, index): ChatToolCall => {
    const signature = signatures[index];
    return {
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
      ...(signature === undefined ? {} : { extra_content: { google: { thought_signature: signature } } }),
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

/** The thoughtSignature of each functionCall part of Gemini's first candidate, in order (undefined where none). */
function geminiThoughtSignatures(body: Record<string, unknown>): (string | undefined)[] {
  const candidates = body.candidates;
  if (!Array.isArray(candidates)) return [];
  const parts = (candidates[0] as { content?: { parts?: unknown } } | undefined)?.content?.parts;
  if (!Array.isArray(parts)) return [];
  const signatures: (string | undefined)[] = [];
  for (const part of parts as Record<string, unknown>[]) {
    if (part === null || typeof part !== 'object' || part.functionCall === undefined) continue;
    signatures.push(typeof part.thoughtSignature === 'string' ? part.thoughtSignature : undefined);
  }
  return signatures;
}
