/** A Messages API answer body → ExecuteResult. Pure functions. */
import type {
  ExecuteResult,
  FinishReason,
  JsonObject,
  ToolCall,
  UnifiedFinishReason,
  Usage,
} from '../../executors/types.ts';
import {
  anthropicTextBlockSchema,
  anthropicToolUseBlockSchema,
  type AnthropicMessage,
  type AnthropicUsage,
} from './schemas.ts';

const unifiedByStopReason: Readonly<Record<string, UnifiedFinishReason>> = {
  end_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  stop_sequence: 'stop_sequence',
  tool_use: 'tool_calls',
  pause_turn: 'pause',
  refusal: 'refusal',
};

export function mapAnthropicFinishReason(stopReason: string | null | undefined): FinishReason {
  const raw = stopReason ?? null;
  return { unified: (raw !== null ? unifiedByStopReason[raw] : undefined) ?? 'other', raw };
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
  let text = '';
  for (const block of message.content) {
    // Checked by type first: a failed safeParse builds an error, and most blocks are text.
    if (block.type !== 'text') continue;
    const parsed = anthropicTextBlockSchema.safeParse(block);
    if (parsed.success) text += parsed.data.text;
  }
  return text;
}

/** `tool_use` blocks, their input as JSON text. */
export function anthropicToolCalls(message: AnthropicMessage): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const block of message.content) {
    if (block.type !== 'tool_use') continue;
    const parsed = anthropicToolUseBlockSchema.safeParse(block);
    if (parsed.success) {
      calls.push({
        id: parsed.data.id,
        name: parsed.data.name,
        arguments: JSON.stringify(parsed.data.input ?? {}),
      });
    }
  }
  return calls;
}

export interface ResponseMeta {
  statusCode: number;
  headers: Record<string, string>;
}

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
