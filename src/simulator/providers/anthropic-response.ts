/**
 * Anthropic's response shapes: error bodies, rate-limit headers, the Message JSON and its stream
 * events, sent here as SSE (Bedrock sends the same events inside AWS event-stream frames).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { ComposedAnswer } from '../answer.ts';
import type { BucketSnapshot } from '../buckets.ts';
import type { Exchange } from '../exchange.ts';
import type { SimulatedRequest } from '../pipeline.ts';
import type { SimulatorRuntime } from '../runtime.ts';
import { setSseHeaders, writeStream, type StreamEnding } from '../stream.ts';

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export const anthropicErrorStatus: Readonly<Record<AnthropicErrorType, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

/** Sends `{type: "error", error: {type, message}, request_id}` with the type's status (or `status`). */
export function sendAnthropicError(
  exchange: Exchange,
  type: AnthropicErrorType,
  message: string,
  headers: OutgoingHttpHeaders = {},
  status: number = anthropicErrorStatus[type],
): void {
  headers['content-type'] = 'application/json';
  headers['request-id'] = exchange.requestId;
  exchange.sendError(status, headers, JSON.stringify({ type: 'error', error: { type, message }, request_id: exchange.requestId }));
}

/**
 * Adds `anthropic-ratelimit-{requests|input-tokens|output-tokens|tokens}-{limit|remaining|reset}`
 * for every bucket of the key. `tokens-*` shows the more constrained of the two token buckets.
 */
export function addRateLimitHeaders(headers: OutgoingHttpHeaders, snapshots: readonly BucketSnapshot[]): void {
  let tokens: BucketSnapshot | undefined;
  for (const snapshot of snapshots) {
    const prefix = `anthropic-ratelimit-${snapshot.dimension}`;
    headers[`${prefix}-limit`] = String(snapshot.limit);
    headers[`${prefix}-remaining`] = String(snapshot.remaining);
    headers[`${prefix}-reset`] = new Date(snapshot.resetAt).toISOString();
    if (snapshot.dimension !== 'requests' && (tokens === undefined || snapshot.remaining < tokens.remaining)) {
      tokens = snapshot;
    }
  }
  if (tokens !== undefined) {
    headers['anthropic-ratelimit-tokens-limit'] = String(tokens.limit);
    headers['anthropic-ratelimit-tokens-remaining'] = String(tokens.remaining);
    headers['anthropic-ratelimit-tokens-reset'] = new Date(tokens.resetAt).toISOString();
  }
}

export interface MessageParts {
  id: string;
  model: string;
  inputTokens: number;
  answer: ComposedAnswer;
}

/** The parts of an answered request's Message. */
export function messagePartsOf(id: string, request: SimulatedRequest, answer: ComposedAnswer): MessageParts {
  return { id, model: request.model, inputTokens: request.inputTokens, answer };
}

function usageOf(inputTokens: number, outputTokens: number): Record<string, number> {
  return {
    input_tokens: inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: outputTokens,
  };
}

/** The non-streamed Message. */
export function messageJson(parts: MessageParts): string {
  return JSON.stringify({
    id: parts.id,
    type: 'message',
    role: 'assistant',
    model: parts.model,
    content: [{ type: 'text', text: parts.answer.text }],
    stop_reason: parts.answer.stopReason,
    stop_sequence: parts.answer.stopSequence,
    usage: usageOf(parts.inputTokens, parts.answer.outputTokens),
  });
}

type StreamEvent = { type: string } & Record<string, unknown>;

/** The stream events before the text: message_start (usage so far) and content_block_start. */
export function messageHeadEvents(parts: MessageParts): StreamEvent[] {
  return [
    {
      type: 'message_start',
      message: {
        id: parts.id,
        type: 'message',
        role: 'assistant',
        model: parts.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: usageOf(parts.inputTokens, 1),
      },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  ];
}

export function textDeltaEvent(text: string): StreamEvent {
  return { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } };
}

/** The stream events after the text: content_block_stop, message_delta, message_stop (with `stopFields` added). */
export function messageTailEvents(answer: ComposedAnswer, stopFields: Record<string, unknown> = {}): StreamEvent[] {
  return [
    { type: 'content_block_stop', index: 0 },
    {
      type: 'message_delta',
      delta: { stop_reason: answer.stopReason, stop_sequence: answer.stopSequence },
      usage: { output_tokens: answer.outputTokens },
    },
    { type: 'message_stop', ...stopFields },
  ];
}

/** An event as SSE, named by its type. */
function sse(event: StreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

const overloadedEvent = sse({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
const pingEvent = sse({ type: 'ping' });

/**
 * Streams a Message as Anthropic does: message_start, content_block_start, ping, text deltas,
 * content_block_stop, message_delta, message_stop; an overloaded_error event ends a failed stream.
 */
export function streamMessage(
  exchange: Exchange,
  runtime: SimulatorRuntime,
  parts: MessageParts,
  headers: OutgoingHttpHeaders,
  ending: StreamEnding,
): Promise<void> {
  setSseHeaders(headers);
  headers['request-id'] = exchange.requestId;
  return writeStream(exchange, runtime, parts.answer, ending, {
    headers,
    head: messageHeadEvents(parts).map(sse).join('') + pingEvent,
    delta: (text) => sse(textDeltaEvent(text)),
    tail: () => messageTailEvents(parts.answer).map(sse).join(''),
    errorEnding: () => overloadedEvent,
  });
}
