/** A chat.completion or a Responses object → ExecuteResult. Pure functions. */
import type { ExecuteResult, FinishReason, JsonObject, ToolCall, Usage } from '../../executors/types.ts';
import {
  openaiFunctionCallItemSchema,
  openaiMessageItemSchema,
  openaiOutputTextSchema,
  type OpenAIChatCompletion,
  type OpenAIChatUsage,
  type OpenAIResponse,
  type OpenAIResponsesUsage,
} from './schemas.ts';
import { finishReasonFrom, itemsOfType, unifiedFinishReason, type FinishReasonTable, type ResponseMeta } from '../shared/answer-items.ts';

export type { ResponseMeta };

const unifiedByFinishReason: FinishReasonTable = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
};

export function mapOpenAIFinishReason(finishReason: string | null | undefined): FinishReason {
  return finishReasonFrom(unifiedByFinishReason, finishReason);
}

const noUsage: Usage = { inputTokens: 0, outputTokens: 0, cacheRead: 0, cacheWrite: 0, raw: null };

/**
 * OpenAI's `prompt_tokens` is the whole prompt: the cached tokens (`cached_tokens`) are a part of
 * it, not an addition, so they are taken out of inputTokens (see Usage). `completion_tokens`
 * includes the reasoning tokens (kept in `raw`).
 */
export function mapOpenAIChatUsage(usage: OpenAIChatUsage | null | undefined): Usage {
  if (usage === null || usage === undefined) return { ...noUsage };
  return promptUsage(usage.prompt_tokens, usage.completion_tokens, usage.prompt_tokens_details, usage);
}

/** Same counting as mapOpenAIChatUsage, in the Responses API's field names. */
export function mapOpenAIResponsesUsage(usage: OpenAIResponsesUsage | null | undefined): Usage {
  if (usage === null || usage === undefined) return { ...noUsage };
  return promptUsage(usage.input_tokens, usage.output_tokens, usage.input_tokens_details, usage);
}

/** The Usage of a prompt whose token count includes its cached and cache-written tokens. */
function promptUsage(
  promptTokens: number,
  outputTokens: number,
  details: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null | undefined,
  raw: OpenAIChatUsage | OpenAIResponsesUsage,
): Usage {
  const cacheRead = details?.cached_tokens ?? 0;
  const cacheWrite = details?.cache_write_tokens ?? 0;
  return { inputTokens: Math.max(0, promptTokens - cacheRead - cacheWrite), outputTokens, cacheRead, cacheWrite, raw };
}

/** The first choice's message carries the answer; other choices (`n` > 1) stay in the body. */
function firstChoice(completion: OpenAIChatCompletion): OpenAIChatCompletion['choices'][number] | undefined {
  return completion.choices.find((choice) => choice.index === 0) ?? completion.choices[0];
}

export function openaiChatToolCalls(completion: OpenAIChatCompletion): ToolCall[] {
  const message = firstChoice(completion)?.message;
  if (message === undefined) return [];
  const calls: ToolCall[] = (message.tool_calls ?? []).map((call) => ({
    id: call.id,
    name: call.function.name,
    arguments: call.function.arguments,
  }));
  // The legacy function_call has no id.
  if (message.function_call) {
    calls.push({ id: '', name: message.function_call.name, arguments: message.function_call.arguments });
  }
  return calls;
}

export function mapOpenAIChatCompletion(completion: OpenAIChatCompletion, meta: ResponseMeta): ExecuteResult {
  const choice = firstChoice(completion);
  return {
    text: choice?.message.content ?? '',
    toolCalls: openaiChatToolCalls(completion),
    finishReason: mapOpenAIFinishReason(choice?.finish_reason),
    usage: mapOpenAIChatUsage(completion.usage),
    statusCode: meta.statusCode,
    body: completion as JsonObject,
    headers: meta.headers,
  };
}

/** Text of every `output_text` part of every `message` item, joined with nothing in between. */
export function openaiResponseText(response: OpenAIResponse): string {
  let text = '';
  for (const message of itemsOfType(response.output, 'message', openaiMessageItemSchema)) {
    for (const output of itemsOfType(message.content, 'output_text', openaiOutputTextSchema)) text += output.text;
  }
  return text;
}

export function openaiResponseToolCalls(response: OpenAIResponse): ToolCall[] {
  return itemsOfType(response.output, 'function_call', openaiFunctionCallItemSchema).map((call) => ({
    id: call.call_id,
    name: call.name,
    arguments: call.arguments,
  }));
}

const unifiedByIncompleteReason: FinishReasonTable = {
  max_output_tokens: 'length',
  content_filter: 'content_filter',
};

/**
 * A Responses object has no finish_reason: `completed` is a stop (or tool_calls when it ends in
 * function calls), `incomplete` says why in `incomplete_details.reason`. `raw` is that reason,
 * else the status.
 */
export function mapOpenAIResponseFinish(response: OpenAIResponse, toolCalls: number): FinishReason {
  const status = response.status ?? null;
  if (status === 'incomplete') {
    const reason = response.incomplete_details?.reason ?? null;
    return { unified: unifiedFinishReason(unifiedByIncompleteReason, reason), raw: reason ?? status };
  }
  if (status === 'completed') return { unified: toolCalls > 0 ? 'tool_calls' : 'stop', raw: status };
  return { unified: 'other', raw: status };
}

export function mapOpenAIResponse(response: OpenAIResponse, meta: ResponseMeta): ExecuteResult {
  const toolCalls = openaiResponseToolCalls(response);
  return {
    text: openaiResponseText(response),
    toolCalls,
    finishReason: mapOpenAIResponseFinish(response, toolCalls.length),
    usage: mapOpenAIResponsesUsage(response.usage),
    statusCode: meta.statusCode,
    body: response as JsonObject,
    headers: meta.headers,
  };
}
