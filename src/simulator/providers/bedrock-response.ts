/**
 * Bedrock's response shapes: error bodies (`{message}` with `x-amzn-errortype` and
 * `x-amzn-requestid`), the InvokeModel JSON answer (an Anthropic message), and the
 * invoke-with-response-stream answer as AWS event-stream frames: each Anthropic stream event is
 * the base64 `bytes` of a `chunk` event; failures are exception frames.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { Exchange } from '../exchange.ts';
import type { SimulatorRuntime } from '../runtime.ts';
import { writeStream, type StreamEnding } from '../stream.ts';
import { messageHeadEvents, messageTailEvents, textDeltaEvent, type MessageParts } from './anthropic-response.ts';

export type BedrockErrorType =
  | 'ValidationException'
  | 'UnrecognizedClientException'
  | 'ExpiredTokenException'
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
  ExpiredTokenException: 403,
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
  'ExpiredTokenException',
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
  exchange.sendError(status, headers, JSON.stringify({ message }));
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
 * metrics), each in its own chunk frame. A failed stream ends with a modelStreamErrorException
 * frame; a cut one goes after half of one more frame, so the cut falls inside a frame.
 */
export function streamBedrockMessage(
  exchange: Exchange,
  runtime: SimulatorRuntime,
  parts: MessageParts,
  ending: StreamEnding,
  startedAt: number,
): Promise<void> {
  const deltaFrame = (text: string): Buffer => chunkFrame(textDeltaEvent(text));
  const invocationMetrics = (): Record<string, unknown> => ({
    'amazon-bedrock-invocationMetrics': {
      inputTokenCount: parts.inputTokens,
      outputTokenCount: parts.answer.outputTokens,
      invocationLatency: Date.now() - startedAt,
      firstByteLatency: 0,
    },
  });
  return writeStream(exchange, runtime, parts.answer, ending, {
    headers: {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-requestid': exchange.requestId,
      'x-amzn-bedrock-content-type': 'application/json',
    },
    head: Buffer.concat(messageHeadEvents(parts).map(chunkFrame)),
    delta: deltaFrame,
    tail: () => Buffer.concat(messageTailEvents(parts.answer, invocationMetrics()).map(chunkFrame)),
    errorEnding: overloadedException,
    cutEnding() {
      const next = deltaFrame(' and');
      return next.subarray(0, next.length >> 1);
    },
  });
}
