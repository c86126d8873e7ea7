/**
 * Responses API stream events → StreamParts. The stream is named events (`event:
 * response.output_text.delta` + `data: {...}`); the terminal `response.completed` (or
 * `response.incomplete`) carries the whole Response object, which is exactly the JSON answer, so
 * the accumulator keeps it rather than rebuilding it. `error` events and `response.failed` end
 * the stream with an error.
 */
import type { ExecuteResult, StreamPart } from '../../executors/types.ts';
import type { SseEvent } from '../../http/sse.ts';
import { malformedResponseError } from './map-error.ts';
import { closingParts, parseTypedSseEvent } from '../shared/stream.ts';
import { mapOpenAIResponse, type ResponseMeta } from './map-response.ts';
import type { StreamContext } from './map-stream.ts';
import {
  knownResponsesEventTypes,
  openaiFunctionCallItemSchema,
  responsesStreamEventSchema,
  type OpenAIResponse,
  type ResponsesStreamEvent,
} from './schemas.ts';

/**
 * Parses one SSE event. Returns undefined for event types relayq does not read (skipped, as the
 * API adds new ones); throws a `server` ProviderError for data that is not a valid event.
 */
export function parseOpenAIResponsesEvent(sse: SseEvent, context: StreamContext = {}): ResponsesStreamEvent | undefined {
  return parseTypedSseEvent(sse, knownResponsesEventTypes, responsesStreamEventSchema, (detail, details) =>
    malformedResponseError(detail, { ...context, ...details }),
  );
}

/** The events the accumulator takes; `error` and `response.failed` are the caller's. */
export type ResponsesProgressEvent = Exclude<ResponsesStreamEvent, { type: 'error' } | { type: 'response.failed' }>;

export class OpenAIResponsesStreamAccumulator {
  private final: OpenAIResponse | undefined;
  /** Position among tool calls, per output index of a function_call item. */
  private readonly toolIndexByOutput = new Map<number, number>();

  constructor(private readonly context: StreamContext = {}) {}

  /** True once `response.completed` or `response.incomplete` arrived. */
  get finished(): boolean {
    return this.final !== undefined;
  }

  push(event: ResponsesProgressEvent): StreamPart[] {
    switch (event.type) {
      case 'response.created':
      case 'response.in_progress':
        return [];
      case 'response.output_item.added': {
        const call = openaiFunctionCallItemSchema.safeParse(event.item);
        if (!call.success) return [];
        const index = this.toolIndexByOutput.size;
        this.toolIndexByOutput.set(event.output_index, index);
        return [
          {
            type: 'tool-call-delta',
            index,
            id: call.data.call_id,
            name: call.data.name,
            argumentsDelta: call.data.arguments,
          },
        ];
      }
      case 'response.output_text.delta':
        return event.delta === '' ? [] : [{ type: 'text-delta', text: event.delta }];
      case 'response.function_call_arguments.delta': {
        const index = this.toolIndexByOutput.get(event.output_index);
        return index === undefined || event.delta === '' ? [] : [{ type: 'tool-call-delta', index, argumentsDelta: event.delta }];
      }
      case 'response.completed':
      case 'response.incomplete':
        this.final = event.response;
        return [];
    }
  }

  /** The Response object the terminal event carried. */
  responseBody(): OpenAIResponse {
    if (this.final === undefined) {
      throw malformedResponseError('the stream ended before response.completed', this.context);
    }
    return this.final;
  }

  result(meta: ResponseMeta): ExecuteResult {
    return mapOpenAIResponse(this.responseBody(), meta);
  }

  /** The parts that close a complete stream: usage, finish, done. */
  finalParts(meta: ResponseMeta): StreamPart[] {
    return closingParts(this.result(meta));
  }
}
