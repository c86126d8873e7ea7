/**
 * Event-stream messages from invoke-with-response-stream → Anthropic stream events or errors.
 * A `chunk` event carries `{"bytes": base64(one Anthropic stream event as JSON)}`; the events
 * then go through the Anthropic stream accumulator, so a streamed answer gives the same
 * ExecuteResult as the JSON one. Failures arrive as exception messages.
 */
import { ProviderError } from '../../executors/errors.ts';
import { mapAnthropicStreamError } from '../anthropic/map-error.ts';
import { parseAnthropicStreamEvent } from '../anthropic/map-stream.ts';
import type { AnthropicStreamEvent } from '../anthropic/schemas.ts';
import { stringHeader, type EventStreamMessage } from './event-stream.ts';
import { asBedrockError, bedrockMalformedResponseError, mapBedrockStreamException } from './map-error.ts';
import { bedrockChunkPayloadSchema } from './schemas.ts';

export interface BedrockStreamContext {
  statusCode?: number;
  accountId?: string;
}

/** What one message means: an Anthropic event, an error that ends the stream, or nothing. */
export type BedrockStreamItem =
  | { type: 'event'; event: Exclude<AnthropicStreamEvent, { type: 'error' }> }
  | { type: 'error'; error: ProviderError }
  | { type: 'skip' };

const decoder = new TextDecoder('utf-8', { fatal: true });

export function interpretBedrockMessage(message: EventStreamMessage, context: BedrockStreamContext = {}): BedrockStreamItem {
  const messageType = stringHeader(message, ':message-type');
  if (messageType === 'exception') {
    const exceptionType = stringHeader(message, ':exception-type') ?? 'unknownException';
    return { type: 'error', error: mapBedrockStreamException(exceptionType, jsonOrText(message.body), context) };
  }
  if (messageType === 'error') {
    // The generic AWS event-stream error: code and message in headers, no payload.
    const code = stringHeader(message, ':error-code') ?? 'unknownError';
    const text = stringHeader(message, ':error-message') ?? '';
    return { type: 'error', error: mapBedrockStreamException(code, { message: text }, context) };
  }
  if (messageType !== 'event' || stringHeader(message, ':event-type') !== 'chunk') return { type: 'skip' };

  const payload = parseJson(message.body, 'a chunk event', context);
  const chunk = bedrockChunkPayloadSchema.safeParse(payload);
  if (!chunk.success) {
    throw bedrockMalformedResponseError('a chunk event has no "bytes"', { ...context, rawBody: payload, cause: chunk.error });
  }
  const eventText = decodeText(Buffer.from(chunk.data.bytes, 'base64'), "a chunk event's bytes", context);
  let event: AnthropicStreamEvent | undefined;
  try {
    event = parseAnthropicStreamEvent({ event: undefined, data: eventText, id: undefined }, context);
  } catch (error) {
    throw error instanceof ProviderError ? asBedrockError(error, context.accountId) : error;
  }
  if (event === undefined) return { type: 'skip' };
  if (event.type === 'error') {
    return { type: 'error', error: asBedrockError(mapAnthropicStreamError(event, context), context.accountId) };
  }
  return { type: 'event', event };
}

function parseJson(bytes: Uint8Array, what: string, context: BedrockStreamContext): unknown {
  const text = decodeText(bytes, what, context);
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw bedrockMalformedResponseError(`${what} is not JSON`, { ...context, rawBody: text.slice(0, 4096), cause });
  }
}

function decodeText(bytes: Uint8Array, what: string, context: BedrockStreamContext): string {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw bedrockMalformedResponseError(`${what} is not UTF-8 text`, { ...context, cause });
  }
}

/** An exception payload: JSON when it is, else its text (kept as the raw body). */
function jsonOrText(bytes: Uint8Array): unknown {
  const text = Buffer.from(bytes).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
