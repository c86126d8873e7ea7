/**
 * One streamed upstream call, the part every executor shares: send the prepared POST, report a
 * failed send or a non-2xx answer as an `error` part, read the body frame by frame (SSE events,
 * or Bedrock's AWS event-stream messages) into the provider's stream reader, and end with the
 * reader's final parts, or with the error of a stream that broke or ended before its last event.
 * A stream reports every failure as its last part; it never throws.
 *
 * An executor supplies how a call is addressed, how its body splits into frames, and a reader
 * that turns frames into parts (see `StreamReader`).
 */
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { ProviderError } from '../../executors/errors.ts';
import type { ExecuteResult, StreamPart } from '../../executors/types.ts';
import { toProviderError } from '../../http/request-errors.ts';
import { readSseEvents, type SseEvent } from '../../http/sse.ts';
import { postToApi, type Answer, type ApiCall, type CallErrorContext, type ResponseHandlers } from './call.ts';
import { maxRawTextLength } from './error-body.ts';
import { bodyReadError, isSuccess, readErrorBodyText, streamEndedEarlyError, type AnswerContext } from './response.ts';

/** What `StreamReader.step` returns to stop reading the body (the rest cannot change the answer). */
export const stopReading = Symbol('stop reading');

/** No parts: what a step returns for a frame that carries none (a ping, a frame after the end). */
export const noParts: readonly StreamPart[] = [];

/** The parts that close a complete stream: usage, finish, done. */
export function closingParts(result: ExecuteResult): StreamPart[] {
  return [
    { type: 'usage', usage: result.usage },
    { type: 'finish', finishReason: result.finishReason },
    { type: 'done', result },
  ];
}

/** What a stream event parser reports an event it cannot read with: the detail, the raw body and the cause. */
export type MalformedEventError = (detail: string, details: { rawBody: unknown; cause: unknown }) => ProviderError;

/** An SSE event's data as JSON; else `malformed(detail)` keeping the text (cut to maxRawTextLength). */
export function sseEventJson(sse: SseEvent, detail: string, malformed: MalformedEventError): unknown {
  try {
    return JSON.parse(sse.data) as unknown;
  } catch (cause) {
    throw malformed(detail, { rawBody: sse.data.slice(0, maxRawTextLength), cause });
  }
}

/**
 * One SSE event of a stream of typed JSON events (`{"type": ...}`, as Anthropic's and the
 * Responses API's): undefined for a type not in `known` (skipped, as the APIs add new ones); the
 * event as `schema` reads it; else `malformed` for data that is not JSON (its text kept, cut to
 * maxRawTextLength) or not the documented shape.
 */
export function parseTypedSseEvent<Event>(
  sse: SseEvent,
  known: ReadonlySet<string>,
  schema: z.ZodType<Event>,
  malformed: MalformedEventError,
): Event | undefined {
  const data = sseEventJson(sse, `stream event "${sse.event ?? '?'}" is not JSON`, malformed);
  const type = typeof data === 'object' && data !== null ? (data as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || !known.has(type)) return undefined;
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw malformed(`stream event "${type}" does not have the documented shape`, { rawBody: data, cause: parsed.error });
  }
  return parsed.data;
}

/** The provider's half of a stream: frames in, parts out. */
export interface StreamReader<Frame> {
  /** True once the frame that completes the answer has arrived. */
  readonly finished: boolean;
  /** What the stream must end with, for the error when it does not (`message_stop`, `[DONE]`). */
  readonly endMarker: string;
  /** The parts of one frame, the error it reports, or `stopReading`. Frames after the end should yield no parts. */
  step(frame: Frame): readonly StreamPart[] | ProviderError | typeof stopReading;
  /** An error the complete stream turns out to mean (Gemini: a blocked prompt); checked before the end marker. */
  endError?(answer: Answer): ProviderError | undefined;
  /** The usage, finish and `done` parts once the stream is complete. */
  finalParts(answer: Answer): Iterable<StreamPart>;
}

/** What a reader keeps across frames: the provider's stream accumulator. */
interface StreamAccumulator {
  readonly finished: boolean;
  finalParts(answer: Answer): Iterable<StreamPart>;
}

export interface StreamReaderOptions<Frame> {
  /** Hand frames that come after the final one to `step` too (Gemini: a late usageMetadata); by default they are drained unread. */
  readsAfterEnd?: boolean;
  endError?: StreamReader<Frame>['endError'];
}

/**
 * A reader from a provider's accumulator and its per-frame step. Frames after the final one are
 * drained unread (so the connection can be reused) unless `readsAfterEnd`.
 */
export function streamReader<Frame>(
  accumulator: StreamAccumulator,
  endMarker: string,
  step: StreamReader<Frame>['step'],
  options: StreamReaderOptions<Frame> = {},
): StreamReader<Frame> {
  return {
    get finished() {
      return accumulator.finished;
    },
    endMarker,
    step: options.readsAfterEnd ? step : (frame) => (accumulator.finished ? noParts : step(frame)),
    ...(options.endError === undefined ? {} : { endError: options.endError }),
    finalParts: (answer) => accumulator.finalParts(answer),
  };
}

export interface StreamResponseHandlers<Call extends ApiCall, Frame> extends ResponseHandlers<Call> {
  /** The body as frames: server-sent events (`readSseEvents`) when left out; Bedrock's event-stream messages. */
  frames?(body: Dispatcher.ResponseData['body']): AsyncIterable<Frame>;
  /** A fresh reader for one 2xx answer. */
  reader(answer: AnswerContext, call: Call): StreamReader<Frame>;
  /** The error a body that fails while being read means; `bodyReadError` when left out. */
  readError?(error: unknown, call: Call, statusCode: number): ProviderError;
}

/**
 * A whole streamed call: send → status → error part, or frames → parts → "ended before the final
 * event" → final parts. `before` names the call in an error raised while preparing it (before
 * there is a URL); `prepare` may return a promise and may throw.
 */
export async function* streamFromApi<Call extends ApiCall, Frame>(
  prepare: () => Call | Promise<Call>,
  handlers: StreamResponseHandlers<Call, Frame>,
  before: () => CallErrorContext,
): AsyncGenerator<StreamPart, void, undefined> {
  let call: Call;
  let response: Dispatcher.ResponseData;
  try {
    const prepared = prepare();
    call = prepared instanceof Promise ? await prepared : prepared;
    response = await postToApi(call);
  } catch (error) {
    yield { type: 'error', error: toProviderError(error, before()) };
    return;
  }
  const { statusCode } = response;
  const accountId = call.account.id;
  if (!isSuccess(statusCode)) {
    const bodyText = await readErrorBodyText(response);
    yield { type: 'error', error: handlers.failed({ status: statusCode, headers: response.headers, bodyText, accountId }, call) };
    return;
  }

  const { provider } = call.errorContext;
  const reader = handlers.reader({ provider, statusCode, accountId }, call);
  const readError = (error: unknown): ProviderError =>
    handlers.readError?.(error, call, statusCode) ?? bodyReadError(error, call.errorContext, statusCode);
  try {
    const frames = handlers.frames?.(response.body) ?? (readSseEvents(response.body) as AsyncIterable<Frame>);
    for await (const frame of frames) {
      const step = reader.step(frame);
      if (step === stopReading) break;
      if (step instanceof ProviderError) {
        response.body.destroy();
        yield { type: 'error', error: step };
        return;
      }
      yield* step;
    }
  } catch (error) {
    // A socket that breaks after the final event has already delivered the whole answer.
    if (!reader.finished) {
      response.body.destroy();
      yield { type: 'error', error: readError(error) };
      return;
    }
  }
  const answer: Answer = { provider, statusCode, accountId, headers: handlers.pickHeaders(response.headers) };
  const failure = reader.endError?.(answer);
  if (failure !== undefined) {
    yield { type: 'error', error: failure };
    return;
  }
  if (!reader.finished) {
    yield { type: 'error', error: streamEndedEarlyError(provider, accountId, call.errorContext.url, statusCode, reader.endMarker) };
    return;
  }
  try {
    yield* reader.finalParts(answer);
  } catch (error) {
    yield { type: 'error', error: readError(error) };
  }
}

/** A call that does not stream (embeddings) as a stream: its JSON answer is one `done` part. */
export async function* resultAsStream(
  execute: () => Promise<ExecuteResult>,
  before: () => CallErrorContext,
): AsyncGenerator<StreamPart, void, undefined> {
  try {
    yield { type: 'done', result: await execute() };
  } catch (error) {
    yield { type: 'error', error: toProviderError(error, before()) };
  }
}
