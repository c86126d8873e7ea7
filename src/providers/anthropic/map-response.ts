/** A Messages API answer body → ExecuteResult. Pure functions. */
import type { ExecuteResult, FinishReason, JsonObject, ToolCall, Usage } from '../../executors/types.ts';
import { anthropicTextBlockSchema, anthropicToolUseBlockSchema, type AnthropicMessage, type AnthropicUsage } from './schemas.ts';
import { finishReasonFrom, itemsOfType, type FinishReasonTable, type ResponseMeta } from '../shared/answer-items.ts';

const unifiedByStopReason: FinishReasonTable = {
  end_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  stop_sequence: 'stop_sequence',
  tool_use: 'tool_calls',
  pause_turn: 'pause',
  refusal: 'refusal',
};

export function mapAnthropicFinishReason(stopReason: string | null | undefined): FinishReason {
  return finishReasonFrom(unifiedByStopReason, stopReason);
}

/**
 * Anthropic's `input_tokens` excludes cached tokens: cache reads and cache writes are counted
 * separately, and so they are here.
 */
export function mapAnthropicUsage(usage: AnthropicUsage): Usage {
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cacheRead: usage.cache_read_input_tokens ?? 0,
    cacheWrite: usage.cache_creation_input_tokens ?? 0,
    raw: usage,
  };
}

/** Text of every `text` block, joined with nothing in between. */
export function anthropicText(message: AnthropicMessage): string {
  return itemsOfType(message.content, 'text', anthropicTextBlockSchema)
    .map((block) => block.text)
    .join('');
}

/** `tool_use` blocks, their input as JSON text. */
export function anthropicToolCalls(message: AnthropicMessage): ToolCall[] {
  return itemsOfType(message.content, 'tool_use', anthropicToolUseBlockSchema).map((block) => ({
    id: block.id,
    name: block.name,
    arguments: JSON.stringify(block.input ?? {}),
  }));
}

export type { ResponseMeta };

export function mapAnthropicMessage(message: AnthropicMessage, meta: ResponseMeta): ExecuteResult {
  return {
    text: anthropicText(message),
    toolCalls: anthropicToolCalls(message),
    finishReason: mapAnthropicFinishReason(message.stop_reason),
    usage: mapAnthropicUsage(message.usage),
    statusCode: meta.statusCode,
    body: message as JsonObject,
    headers: meta.headers,
  };
}
