/**
 * Bedrock's response shapes: error bodies (`{message}` with `x-amzn-errortype` and
 * `x-amzn-requestid`), the InvokeModel JSON answer (an Anthropic message), and the
 * invoke-with-response-stream answer as AWS event-stream frames: each Anthropic stream event is
 * the base64 `bytes` of a `chunk` event; failures are exception frames.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { countTokens } from '../answer.ts';
import type { Exchange } from '../exchange.ts';
import type { SimulatorRuntime } from '../runtime.ts';
import { textChunks, type MessageParts, type StreamEnding } from './anthropic-response.ts';

export type BedrockErrorType =
  | 'ValidationException'
  | 'UnrecognizedClientException'
  | 'InvalidSignatureException'
  | 'IncompleteSignatureException'
  | 'MissingAuthenticationTokenException'
  | 'AccessDeniedException'
  | 'ResourceNotFoundException'
  | 'UnknownOperationException'
  | 'ThrottlingException'
  | 'ModelNotReadyException'
  | 'InternalServerException'
  | 'ServiceUnavailableException'
  | 'ModelTimeoutException';

export const bedrockErrorStatus: Readonly<Record<BedrockErrorType, number>> = {
  ValidationException: 400,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  IncompleteSignatureException: 403,
  MissingAuthenticationTokenException: 403,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  UnknownOperationException: 404,
  ThrottlingException: 429,
  ModelNotReadyException: 429,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
  ModelTimeoutException: 408,
};

/** Errors of the request-signing layer come from a different service namespace than Bedrock's own. */
const coralTypes: ReadonlySet<BedrockErrorType> = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'UnknownOperationException',
]);

export function sendBedrockError(exchange: Exchange, type: BedrockErrorType, message: string): void {
  const status = bedrockErrorStatus[type];
  const namespace = coralTypes.has(type) ? 'com.amazon.coral.service' : 'com.amazon.bedrock';
  const headers: OutgoingHttpHeaders = {
    'content-type': 'application/json',
    'x-amzn-requestid': exchange.requestId,
    'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/${namespace}/`,
  };
  exchange.send(status, headers, JSON.stringify({ message }), status === 429 ? 'rateLimited' : 'errors');
}

function usageOf(inputTokens: number, outputTokens: number): Record<string, number> {
  return {
    input_tokens: inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: outputTokens,
  };
}

/** Headers Bedrock puts on a successful InvokeModel answer. */
export function invokeHeaders(exchange: Exchange, inputTokens: number, outputTokens: number, latencyMs: number): OutgoingHttpHeaders {
  return {
    'content-type': 'application/json',
    'x-amzn-requestid': exchange.requestId,
    'x-amzn-bedrock-input-token-count': String(inputTokens),
    'x-amzn-bedrock-output-token-count': String(outputTokens),
    'x-amzn-bedrock-invocation-latency': String(latencyMs),
  };
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** One `chunk` event frame carrying an Anthropic stream event. */
export function chunkFrame(event: unknown): Buffer {
  const bytes = Buffer.from(JSON.stringify(event)).toString('base64');
  return Buffer.from(
    codec.encode({
      headers: {
        ':event-type': { type: 'string', value: 'chunk' },
        ':content-type': { type: 'string', value: 'application/json' },
        ':message-type': { type: 'string', value: 'event' },
      },
      // Bedrock pads payloads with a "p" field so their length says nothing about the text.
      body: fromUtf8(JSON.stringify({ bytes, p: 'abcdefghijklmnopqrstuvwxyz'.slice(0, 1 + (bytes.length % 26)) })),
    }),
  );
}

/** An exception frame: how a failure in the middle of a stream arrives. */
export function exceptionFrame(exceptionType: string, payload: Record<string, unknown>): Buffer {
  return Buffer.from(
    codec.encode({
      headers: {
        ':exception-type': { type: 'string', value: exceptionType },
        ':content-type': { type: 'string', value: 'application/json' },
        ':message-type': { type: 'string', value: 'exception' },
      },
      body: fromUtf8(JSON.stringify(payload)),
    }),
  );
}

/** What an Anthropic overload in the middle of an answer looks like through Bedrock. */
const overloadedException = (): Buffer =>
  exceptionFrame('modelStreamErrorException', {
    message: 'The model returned an error while streaming: Overloaded',
    originalStatusCode: 529,
    originalMessage: JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
  });

/**
 * Streams a Message as Bedrock does: the Anthropic events message_start, content_block_start,
 * text deltas, content_block_stop, message_delta and message_stop (with Bedrock's invocation
 * metrics), each in its own chunk frame. `cut` destroys the socket after some deltas; `error`
 * sends a modelStreamErrorException frame after them and ends.
 */
export async function streamBedrockMessage(
  exchange: Exchange,
  runtime: SimulatorRuntime,
  parts: MessageParts,
  ending: StreamEnding,
  startedAt: number,
): Promise<void> {
  const { res } = exchange;
  const { answer } = parts;
  const deltas = textChunks(answer.text, runtime.config.streamChunkWords);
  const sent = ending === 'complete' ? deltas.length : Math.min(deltas.length, Math.max(1, deltas.length >> 1));
  const head = Buffer.concat([
    chunkFrame({
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
    }),
    chunkFrame({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  ]);
  const deltaFrame = (text: string): Buffer =>
    chunkFrame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
  const tail = (): Buffer =>
    Buffer.concat([
      chunkFrame({ type: 'content_block_stop', index: 0 }),
      chunkFrame({
        type: 'message_delta',
        delta: { stop_reason: answer.stopReason, stop_sequence: answer.stopSequence },
        usage: { output_tokens: answer.outputTokens },
      }),
      chunkFrame({
        type: 'message_stop',
        'amazon-bedrock-invocationMetrics': {
          inputTokenCount: parts.inputTokens,
          outputTokenCount: answer.outputTokens,
          invocationLatency: Date.now() - startedAt,
          firstByteLatency: 0,
        },
      }),
    ]);

  if (res.destroyed) return;
  res.writeHead(200, {
    'content-type': 'application/vnd.amazon.eventstream',
    'x-amzn-requestid': exchange.requestId,
    'x-amzn-bedrock-content-type': 'application/json',
  });
  exchange.status = '200';
  exchange.outputTokens = ending === 'complete' ? answer.outputTokens : countTokens(deltas.slice(0, sent).join(''));
  const delay = runtime.config.streamChunkDelayMs;

  // Each write carries the frames due at that moment; the last one also carries the ending.
  let pending: Buffer[] = [head];
  for (let index = 0; index < sent; index += 1) {
    if (delay > 0 && index > 0) {
      res.write(Buffer.concat(pending));
      pending = [];
      await runtime.sleep(delay);
      if (exchange.gone) return;
    }
    pending.push(deltaFrame(deltas[index] ?? ''));
  }
  if (ending === 'complete') {
    exchange.outcome = 'succeeded';
    pending.push(tail());
    res.end(Buffer.concat(pending));
  } else if (ending === 'error') {
    exchange.status = 'stream_error';
    pending.push(overloadedException());
    res.end(Buffer.concat(pending));
  } else {
    // Half of the next frame goes out too, so the cut falls inside a frame; then the connection goes.
    const next = deltaFrame(' and');
    pending.push(next.subarray(0, next.length >> 1));
    res.write(Buffer.concat(pending), () => exchange.drop('cut'));
  }
}
