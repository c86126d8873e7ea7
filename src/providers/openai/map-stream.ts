/**
 * Chat Completions stream frames → StreamParts, and an accumulator that rebuilds the
 * non-streaming chat.completion body from the chunks, so a streamed answer gives the same
 * ExecuteResult as the JSON one. The Responses API's named events are in map-responses-stream.ts.
 *
 * A chat stream is `data: {chat.completion.chunk}` frames, a last chunk with empty `choices` and
 * the `usage` (asked for with `stream_options.include_usage`), then `data: [DONE]`. An error can
 * arrive as a `data: {"error": {...}}` frame inside the 200 stream.
 */
import type { ProviderError } from '../../executors/errors.ts';
import type { ExecuteResult, JsonObject, StreamPart } from '../../executors/types.ts';
import type { SseEvent } from '../../http/sse.ts';
import { malformedResponseError, type OpenAIFamilyProvider } from './map-error.ts';
import { closingParts, sseEventJson } from '../shared/stream.ts';
import { mapOpenAIChatCompletion, type ResponseMeta } from './map-response.ts';
import {
  openaiChatChunkSchema,
  openaiChatCompletionSchema,
  openaiErrorBodySchema,
  type OpenAIChatChunk,
  type OpenAIChatCompletion,
  type OpenAIChunkChoice,
  type OpenAIErrorObject,
} from './schemas.ts';

export interface StreamContext {
  statusCode?: number;
  accountId?: string;
  provider?: OpenAIFamilyProvider;
}

export type ChatStreamFrame =
  | { type: 'chunk'; chunk: OpenAIChatChunk }
  | { type: 'done' }
  | { type: 'error'; error: OpenAIErrorObject; rawBody: unknown };

/** Parses one SSE frame; throws a `server` ProviderError for data that is neither JSON nor a chunk. */
export function parseOpenAIChatStreamFrame(sse: SseEvent, context: StreamContext = {}): ChatStreamFrame {
  if (sse.data.trim() === '[DONE]') return { type: 'done' };
  const data = sseEventJson(sse, 'a stream frame is not JSON', (detail, details) =>
    malformedResponseError(detail, { ...context, ...details }),
  );
  const errorBody = openaiErrorBodySchema.safeParse(data);
  if (errorBody.success && !Array.isArray((data as { choices?: unknown }).choices)) {
    return { type: 'error', error: errorBody.data.error, rawBody: data };
  }
  const chunk = openaiChatChunkSchema.safeParse(data);
  if (!chunk.success) {
    throw malformedResponseError('a stream frame is not a chat.completion.chunk', {
      ...context,
      rawBody: data,
      cause: chunk.error,
    });
  }
  return { type: 'chunk', chunk: chunk.data };
}

interface ToolCallState {
  id: string;
  type: string;
  name: string;
  arguments: string;
}

interface ChoiceState {
  role: string;
  content: string | null;
  refusal: string | null;
  toolCalls: Map<number, ToolCallState>;
  functionCall: { name: string; arguments: string } | undefined;
  finishReason: string | null;
  logprobs: JsonObject | null;
  /** Azure: the content filter verdict; the last one sent is the one for the whole answer. */
  contentFilterResults: unknown;
}

/** Top-level chunk fields that a chat.completion body has too. */
const carriedFields = ['id', 'created', 'model', 'system_fingerprint', 'service_tier', 'prompt_filter_results'] as const;

export class OpenAIChatStreamAccumulator {
  private readonly top: JsonObject = {};
  private readonly choices = new Map<number, ChoiceState>();
  private usage: OpenAIChatChunk['usage'] = null;
  private done = false;

  constructor(private readonly context: StreamContext = {}) {}

  /** True once `[DONE]` arrived: the answer is complete. */
  get finished(): boolean {
    return this.done;
  }

  /** Feeds one frame; returns the parts it produces. Error frames are the caller's. */
  push(frame: Exclude<ChatStreamFrame, { type: 'error' }>): StreamPart[] {
    if (frame.type === 'done') {
      this.done = true;
      return [];
    }
    const { chunk } = frame;
    for (const field of carriedFields) {
      const value = (chunk as JsonObject)[field];
      // Azure's first chunk (prompt filter results only) has empty id and model.
      if (value !== undefined && value !== null && value !== '' && value !== 0) this.top[field] = value;
    }
    if (chunk.usage) this.usage = chunk.usage;
    const parts: StreamPart[] = [];
    for (const choice of chunk.choices) parts.push(...this.applyChoice(choice));
    return parts;
  }

  /** The rebuilt non-streaming body, in the shape OpenAI answers a non-streamed request. */
  completionBody(): OpenAIChatCompletion {
    if (this.top.id === undefined) throw this.protocolError('no chunk with an id');
    const choices = [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, state]) => {
        const message: JsonObject = {
          role: state.role,
          content: state.content,
          refusal: state.refusal,
          annotations: [],
        };
        if (state.toolCalls.size > 0) {
          message.tool_calls = [...state.toolCalls.entries()]
            .sort(([a], [b]) => a - b)
            .map(([, call]) => ({ id: call.id, type: call.type, function: { name: call.name, arguments: call.arguments } }));
        }
        if (state.functionCall !== undefined) message.function_call = { ...state.functionCall };
        const choice: JsonObject = { index, message, logprobs: state.logprobs, finish_reason: state.finishReason };
        if (state.contentFilterResults !== undefined) choice.content_filter_results = state.contentFilterResults;
        return choice;
      });
    const body: JsonObject = { ...this.top, object: 'chat.completion', choices, usage: this.usage ?? null };
    const parsed = openaiChatCompletionSchema.safeParse(body);
    if (!parsed.success) throw this.protocolError('chunks that do not add up to a chat.completion');
    return parsed.data;
  }

  /** The ExecuteResult, equal to what `execute` gives for the same answer. */
  result(meta: ResponseMeta): ExecuteResult {
    return mapOpenAIChatCompletion(this.completionBody(), meta);
  }

  /** The parts that close a complete stream: usage, finish, done. */
  finalParts(meta: ResponseMeta): StreamPart[] {
    return closingParts(this.result(meta));
  }

  private applyChoice(choice: OpenAIChunkChoice): StreamPart[] {
    let state = this.choices.get(choice.index);
    if (state === undefined) {
      state = {
        role: 'assistant',
        content: null,
        refusal: null,
        toolCalls: new Map(),
        functionCall: undefined,
        finishReason: null,
        logprobs: null,
        contentFilterResults: undefined,
      };
      this.choices.set(choice.index, state);
    }
    if (choice.finish_reason) state.finishReason = choice.finish_reason;
    // The chunk that closes a choice often carries an empty `{}`; the verdict is the last real one.
    const filter = (choice as JsonObject).content_filter_results;
    if (typeof filter === 'object' && filter !== null && Object.keys(filter).length > 0) {
      state.contentFilterResults = filter;
    }
    appendLogprobs(state, choice.logprobs);

    const delta = choice.delta;
    if (delta === undefined) return [];
    const parts: StreamPart[] = [];
    const answering = choice.index === 0;
    if (delta.role) state.role = delta.role;
    if (typeof delta.content === 'string') {
      state.content = (state.content ?? '') + delta.content;
      if (answering && delta.content !== '') parts.push({ type: 'text-delta', text: delta.content });
    }
    if (typeof delta.refusal === 'string') state.refusal = (state.refusal ?? '') + delta.refusal;
    for (const call of delta.tool_calls ?? []) {
      let tool = state.toolCalls.get(call.index);
      const isNew = tool === undefined;
      if (tool === undefined) {
        tool = { id: '', type: 'function', name: '', arguments: '' };
        state.toolCalls.set(call.index, tool);
      }
      if (call.id) tool.id = call.id;
      if (call.type) tool.type = call.type;
      if (call.function?.name) tool.name += call.function.name;
      const argumentsDelta = call.function?.arguments ?? '';
      tool.arguments += argumentsDelta;
      if (answering && (isNew || argumentsDelta !== '')) {
        parts.push({
          type: 'tool-call-delta',
          index: call.index,
          ...(call.id ? { id: call.id } : {}),
          ...(call.function?.name ? { name: call.function.name } : {}),
          argumentsDelta,
        });
      }
    }
    if (delta.function_call) {
      state.functionCall ??= { name: '', arguments: '' };
      state.functionCall.name += delta.function_call.name ?? '';
      state.functionCall.arguments += delta.function_call.arguments ?? '';
    }
    return parts;
  }

  private protocolError(what: string): ProviderError {
    return malformedResponseError(`the stream had ${what}`, this.context);
  }
}

/** Token logprobs arrive a few tokens per chunk; the body holds them all. */
function appendLogprobs(state: ChoiceState, logprobs: unknown): void {
  if (typeof logprobs !== 'object' || logprobs === null) return;
  state.logprobs ??= {};
  for (const [key, value] of Object.entries(logprobs)) {
    if (!Array.isArray(value)) {
      if (!(key in state.logprobs)) state.logprobs[key] = value;
      continue;
    }
    const existing = state.logprobs[key];
    state.logprobs[key] = [...(Array.isArray(existing) ? existing : []), ...(value as unknown[])];
  }
}
