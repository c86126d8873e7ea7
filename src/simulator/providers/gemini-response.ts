/**
 * Gemini's response shapes: Google error bodies (with google.rpc details), the
 * GenerateContentResponse JSON, and the streamed chunks (server-sent events with `alt=sse`, one
 * JSON array without it).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { ComposedAnswer } from '../answer.ts';
import type { Exchange } from '../exchange.ts';
import type { SimulatorRuntime } from '../runtime.ts';
import { writeStream, type StreamEnding } from '../stream.ts';

/** The google.rpc.Code names the simulator answers with, and their HTTP statuses. */
export type GoogleRpcStatus =
  | 'INVALID_ARGUMENT'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'RESOURCE_EXHAUSTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED';

export const httpStatusOf: Readonly<Record<GoogleRpcStatus, number>> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

export const googleJson = 'application/json; charset=UTF-8';

export function googleErrorBody(
  status: GoogleRpcStatus,
  message: string,
  details?: readonly Record<string, unknown>[],
  code: number = httpStatusOf[status],
): { error: Record<string, unknown> } {
  return { error: { code, message, status, ...(details === undefined ? {} : { details }) } };
}

/** Sends `{error: {code, message, status, details}}` with the status's HTTP code (or `code`). */
export function sendGoogleError(
  exchange: Exchange,
  status: GoogleRpcStatus,
  message: string,
  options: { details?: readonly Record<string, unknown>[]; headers?: OutgoingHttpHeaders; code?: number } = {},
): void {
  const code = options.code ?? httpStatusOf[status];
  const headers = options.headers ?? {};
  headers['content-type'] = googleJson;
  const body = JSON.stringify(googleErrorBody(status, message, options.details, code), null, 2);
  exchange.sendError(code, headers, body);
}

/**
 * The details of a quota 429: which quota ran out (when known), where to read about it, and
 * when to come back (google.rpc.RetryInfo, whole seconds as Gemini sends them).
 */
export function quotaDetails(
  quota: { quotaId: string; value: number } | undefined,
  model: string,
  retryAfterSeconds: number,
): Record<string, unknown>[] {
  const details: Record<string, unknown>[] = [];
  if (quota !== undefined) {
    details.push({
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [
        {
          quotaMetric: 'generativelanguage.googleapis.com/generate_content_requests',
          quotaId: quota.quotaId,
          quotaDimensions: { location: 'global', model },
          quotaValue: String(quota.value),
        },
      ],
    });
  }
  details.push(
    {
      '@type': 'type.googleapis.com/google.rpc.Help',
      links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }],
    },
    { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` },
  );
  return details;
}

export const quotaMessage =
  'You exceeded your current quota, please check your plan and billing details. For more information on this ' +
  'error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.';

export interface AnswerParts {
  responseId: string;
  model: string;
  inputTokens: number;
  answer: ComposedAnswer;
}

/** Gemini ends both a natural end and a stop-sequence hit with STOP. */
function finishReasonOf(answer: ComposedAnswer): string {
  return answer.stopReason === 'max_tokens' ? 'MAX_TOKENS' : 'STOP';
}

function promptDetails(inputTokens: number): { modality: string; tokenCount: number }[] {
  return [{ modality: 'TEXT', tokenCount: inputTokens }];
}

function finalUsage(inputTokens: number, outputTokens: number): Record<string, unknown> {
  return {
    promptTokenCount: inputTokens,
    candidatesTokenCount: outputTokens,
    totalTokenCount: inputTokens + outputTokens,
    promptTokensDetails: promptDetails(inputTokens),
  };
}

/** The non-streamed GenerateContentResponse. */
export function generateContentJson(parts: AnswerParts): string {
  return JSON.stringify({
    candidates: [
      {
        content: { parts: [{ text: parts.answer.text }], role: 'model' },
        finishReason: finishReasonOf(parts.answer),
        index: 0,
      },
    ],
    usageMetadata: finalUsage(parts.inputTokens, parts.answer.outputTokens),
    modelVersion: parts.model,
    responseId: parts.responseId,
  });
}

/** One streamed chunk; only the last one has a finishReason and the output token counts. */
function chunkObject(parts: AnswerParts, text: string, last: boolean): Record<string, unknown> {
  const { inputTokens, answer } = parts;
  return {
    candidates: [
      {
        content: { parts: [{ text }], role: 'model' },
        ...(last ? { finishReason: finishReasonOf(answer) } : {}),
        index: 0,
      },
    ],
    usageMetadata: last
      ? finalUsage(inputTokens, answer.outputTokens)
      : { promptTokenCount: inputTokens, totalTokenCount: inputTokens, promptTokensDetails: promptDetails(inputTokens) },
    modelVersion: parts.model,
    responseId: parts.responseId,
  };
}

const overloadedFrame = googleErrorBody('UNAVAILABLE', 'The model is overloaded. Please try again later.');

/**
 * Streams the answer as Gemini does: with `sse`, `data: {chunk}` frames separated by CRLF blank
 * lines and no terminator; without, one JSON array of chunks. Only the last chunk of a complete
 * stream has a finishReason; a failed one ends with an UNAVAILABLE error object.
 */
export function streamGenerateContent(
  exchange: Exchange,
  runtime: SimulatorRuntime,
  parts: AnswerParts,
  headers: OutgoingHttpHeaders,
  options: { sse: boolean; ending: StreamEnding },
): Promise<void> {
  const { sse, ending } = options;
  const frame = (chunk: unknown, first: boolean): string =>
    sse ? `data: ${JSON.stringify(chunk)}\r\n\r\n` : `${first ? '[' : ',\r\n'}${JSON.stringify(chunk)}`;
  const arrayEnd = sse ? '' : ']';
  headers['content-type'] = sse ? 'text/event-stream' : googleJson;
  return writeStream(exchange, runtime, parts.answer, ending, {
    headers,
    head: '',
    delta: (text, index, last) => frame(chunkObject(parts, text, last), index === 0),
    tail: () => arrayEnd,
    errorEnding: () => frame(overloadedFrame, false) + arrayEnd,
    deltaForEmptyText: true,
  });
}
