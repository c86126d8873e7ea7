/**
 * Anthropic's response shapes: error bodies, rate-limit headers, the Message JSON and the SSE
 * event stream.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { countTokens, type ComposedAnswer } from '../answer.ts';
import type { BucketSnapshot } from '../buckets.ts';
import type { Exchange } from '../exchange.ts';
import type { SimulatorRuntime } from '../runtime.ts';

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
  const body = JSON.stringify({ type: 'error', error: { type, message }, request_id: exchange.requestId });
  exchange.send(status, headers, body, status === 429 ? 'rateLimited' : 'errors');
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

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The text in deltas of `wordsPerChunk` words; the deltas concatenate to the text exactly. */
export function textChunks(text: string, wordsPerChunk: number): string[] {
  if (text === '') return [];
  const chunks: string[] = [];
  let start = 0;
  let spaces = 0;
  for (let index = text.indexOf(' '); index >= 0; index = text.indexOf(' ', index + 1)) {
    spaces += 1;
    if (spaces === wordsPerChunk) {
      chunks.push(text.slice(start, index));
      start = index;
      spaces = 0;
    }
  }
  chunks.push(text.slice(start));
  return chunks;
}

/**
 * How the stream ends: `complete` as Anthropic ends it, `cut` (the socket is destroyed after
 * some deltas) or `error` (an overloaded_error event after some deltas, then the end).
 */
export type StreamEnding = 'complete' | 'cut' | 'error';

const overloadedEvent = sse('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });

/**
 * Streams a Message as Anthropic does: message_start, content_block_start, ping, text deltas,
 * content_block_stop, message_delta, message_stop. Sets the exchange's outcome and output tokens.
 */
export async function streamMessage(
  exchange: Exchange,
  runtime: SimulatorRuntime,
  parts: MessageParts,
  headers: OutgoingHttpHeaders,
  ending: StreamEnding,
): Promise<void> {
  const { res } = exchange;
  const { answer } = parts;
  const deltas = textChunks(answer.text, runtime.config.streamChunkWords);
  const sent = ending === 'complete' ? deltas.length : Math.min(deltas.length, Math.max(1, deltas.length >> 1));
  const head =
    sse('message_start', {
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
    }) +
    sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }) +
    sse('ping', { type: 'ping' });
  const tail =
    sse('content_block_stop', { type: 'content_block_stop', index: 0 }) +
    sse('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: answer.stopReason, stop_sequence: answer.stopSequence },
      usage: { output_tokens: answer.outputTokens },
    }) +
    sse('message_stop', { type: 'message_stop' });
  const deltaEvent = (text: string): string =>
    sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });

  headers['content-type'] = 'text/event-stream; charset=utf-8';
  headers['cache-control'] = 'no-cache';
  headers['request-id'] = exchange.requestId;
  if (res.destroyed) return;
  res.writeHead(200, headers);
  exchange.status = '200';
  exchange.outputTokens = ending === 'complete' ? answer.outputTokens : countTokens(deltas.slice(0, sent).join(''));
  const delay = runtime.config.streamChunkDelayMs;

  // Each write carries the events due at that moment; the last one also carries the ending.
  let body = head;
  for (let index = 0; index < sent; index += 1) {
    if (delay > 0 && index > 0) {
      res.write(body);
      body = '';
      await runtime.sleep(delay);
      if (exchange.gone) return;
    }
    body += deltaEvent(deltas[index] ?? '');
  }
  if (ending === 'complete') {
    exchange.outcome = 'succeeded';
    res.end(body + tail);
  } else if (ending === 'error') {
    exchange.status = 'stream_error';
    res.end(body + overloadedEvent);
  } else {
    // Let the events reach the client before the connection goes.
    res.write(body, () => exchange.drop('cut'));
  }
}
