/**
 * Anthropic stream events → StreamParts, and an accumulator that rebuilds the non-streaming
 * message body from them (message_start, content_block_*, message_delta), so a streamed answer
 * gives the same ExecuteResult as the JSON one.
 */
import type { ExecuteResult, JsonObject, StreamPart } from '../../executors/types.ts';
import type { ProviderError } from '../../executors/errors.ts';
import type { SseEvent } from '../../http/sse.ts';
import { malformedResponseError } from './map-error.ts';
import { closingParts, parseTypedSseEvent } from '../shared/stream.ts';
import { mapAnthropicMessage, type ResponseMeta } from './map-response.ts';
import {
  anthropicStreamEventSchema,
  knownStreamEventTypes,
  type AnthropicContentBlock,
  type AnthropicContentBlockDelta,
  type AnthropicMessage,
  type AnthropicStreamEvent,
} from './schemas.ts';

export interface StreamContext {
  statusCode?: number;
  accountId?: string;
}

/**
 * Parses one SSE event. Returns undefined for event types this code does not know (skipped);
 * throws a `server` ProviderError when the data is not a valid event.
 */
export function parseAnthropicStreamEvent(sse: SseEvent, context: StreamContext = {}): AnthropicStreamEvent | undefined {
  return parseTypedSseEvent(sse, knownStreamEventTypes, anthropicStreamEventSchema, (detail, details) =>
    malformedResponseError(detail, { ...context, ...details }),
  );
}

export class AnthropicStreamAccumulator {
  private message: AnthropicMessage | undefined;
  private stopped = false;
  /** input_json_delta text per content block index. */
  private readonly jsonByBlock = new Map<number, string>();
  /** Position among tool calls, per content block index of a tool_use block. */
  private readonly toolCallIndexByBlock = new Map<number, number>();
  /** Tool calls whose streamed input was not valid JSON: tool id → the raw text. */
  private readonly unparsableInput = new Map<string, string>();

  constructor(private readonly context: StreamContext = {}) {}

  /** True once `message_stop` arrived: the answer is complete. */
  get finished(): boolean {
    return this.stopped;
  }

  /** Feeds one event and returns the parts it produces. `error` events are the caller's. */
  push(event: Exclude<AnthropicStreamEvent, { type: 'error' }>): StreamPart[] {
    switch (event.type) {
      case 'ping':
        return [];
      case 'message_start':
        if (this.message !== undefined) throw this.protocolError('a second message_start');
        this.message = { ...event.message, content: [...event.message.content] };
        return [];
      case 'content_block_start':
        return this.startBlock(event.index, event.content_block);
      case 'content_block_delta':
        return this.applyDelta(event.index, event.delta);
      case 'content_block_stop':
        this.finishBlock(event.index);
        return [];
      case 'message_delta': {
        const message = this.current('message_delta');
        Object.assign(message, event.delta);
        for (const [key, value] of Object.entries(event.usage)) {
          if (value !== null && value !== undefined) (message.usage as JsonObject)[key] = value;
        }
        return [];
      }
      case 'message_stop':
        this.current('message_stop');
        for (const index of this.jsonByBlock.keys()) this.finishBlock(index);
        this.stopped = true;
        return [];
    }
  }

  /** The rebuilt non-streaming body. */
  messageBody(): AnthropicMessage {
    return this.current('the end of the stream');
  }

  /** The ExecuteResult, equal to what `execute` gives for the same answer. */
  result(meta: ResponseMeta): ExecuteResult {
    const result = mapAnthropicMessage(this.messageBody(), meta);
    if (this.unparsableInput.size > 0) {
      result.toolCalls = result.toolCalls.map((call) => ({
        ...call,
        arguments: this.unparsableInput.get(call.id) ?? call.arguments,
      }));
    }
    return result;
  }

  /** The parts that close a complete stream: usage, finish, done. */
  finalParts(meta: ResponseMeta): StreamPart[] {
    return closingParts(this.result(meta));
  }

  private startBlock(index: number, block: AnthropicContentBlock): StreamPart[] {
    const message = this.current('content_block_start');
    message.content[index] = { ...block };
    if (block.type !== 'tool_use') return [];
    const toolIndex = this.toolCallIndexByBlock.size;
    this.toolCallIndexByBlock.set(index, toolIndex);
    const { id, name } = block as { id?: unknown; name?: unknown };
    return [
      {
        type: 'tool-call-delta',
        index: toolIndex,
        ...(typeof id === 'string' ? { id } : {}),
        ...(typeof name === 'string' ? { name } : {}),
        argumentsDelta: '',
      },
    ];
  }

  private applyDelta(index: number, delta: AnthropicContentBlockDelta): StreamPart[] {
    const block = this.current('content_block_delta').content[index] as JsonObject | undefined;
    if (block === undefined) throw this.protocolError(`a delta for content block ${index} before its start`);
    switch (delta.type) {
      case 'text_delta':
        block.text = `${typeof block.text === 'string' ? block.text : ''}${delta.text ?? ''}`;
        return delta.text ? [{ type: 'text-delta', text: delta.text }] : [];
      case 'input_json_delta': {
        const partial = delta.partial_json ?? '';
        this.jsonByBlock.set(index, (this.jsonByBlock.get(index) ?? '') + partial);
        const toolIndex = this.toolCallIndexByBlock.get(index);
        return toolIndex === undefined || partial === '' ? [] : [{ type: 'tool-call-delta', index: toolIndex, argumentsDelta: partial }];
      }
      case 'thinking_delta':
        block.thinking = `${typeof block.thinking === 'string' ? block.thinking : ''}${delta.thinking ?? ''}`;
        return [];
      case 'signature_delta':
        block.signature = delta.signature ?? '';
        return [];
      case 'citations_delta':
        block.citations = [...(Array.isArray(block.citations) ? block.citations : []), delta.citation];
        return [];
      default:
        return [];
    }
  }

  /** Turns a block's accumulated input_json_delta text into its `input`. */
  private finishBlock(index: number): void {
    const json = this.jsonByBlock.get(index);
    if (json === undefined) return;
    this.jsonByBlock.delete(index);
    const block = this.current('content_block_stop').content[index] as JsonObject | undefined;
    if (block === undefined || json === '') return;
    try {
      block.input = JSON.parse(json) as unknown;
    } catch {
      // Cut short (max_tokens inside a tool call): keep the text the model produced.
      if (typeof block.id === 'string') this.unparsableInput.set(block.id, json);
    }
  }

  private current(where: string): AnthropicMessage {
    if (this.message === undefined) throw this.protocolError(`${where} before message_start`);
    return this.message;
  }

  private protocolError(what: string): ProviderError {
    return malformedResponseError(`stream had ${what}`, this.context);
  }
}
