/**
 * Gemini stream chunks → StreamParts, and an accumulator that rebuilds the non-streaming body
 * from them. With `alt=sse` every `data:` frame is a whole GenerateContentResponse holding the
 * next piece of each candidate; there is no terminator event, so the answer is complete once
 * every candidate has carried a finishReason (or the prompt was blocked outright).
 */
import type { ExecuteResult, JsonObject, StreamPart } from '../../executors/types.ts';
import type { SseEvent } from '../../http/sse.ts';
import { malformedResponseError } from './map-error.ts';
import { closingParts, sseEventJson } from '../shared/stream.ts';
import { blockedPromptError, mapGeminiResponse, type ResponseMeta } from './map-response.ts';
import type { ProviderError } from '../../executors/errors.ts';
import {
  geminiErrorBodySchema,
  geminiFunctionCallPartSchema,
  geminiResponseSchema,
  geminiTextPartSchema,
  type GeminiCandidate,
  type GeminiErrorBody,
  type GeminiPart,
  type GeminiResponse,
} from './schemas.ts';

export interface StreamContext {
  statusCode?: number;
  accountId?: string;
}

export type GeminiStreamFrame = { type: 'chunk'; response: GeminiResponse } | { type: 'error'; body: GeminiErrorBody };

/**
 * Parses one SSE frame: a response chunk, or an `{error}` frame sent inside a 200 stream.
 * Throws a `server` ProviderError when the data is neither.
 */
export function parseGeminiStreamFrame(sse: SseEvent, context: StreamContext = {}): GeminiStreamFrame {
  const data = sseEventJson(sse, 'a stream frame is not JSON', (detail, details) =>
    malformedResponseError(detail, { ...context, ...details }),
  );
  if (typeof data === 'object' && data !== null && 'error' in data) {
    const error = geminiErrorBodySchema.safeParse(data);
    if (error.success) return { type: 'error', body: error.data };
  }
  const parsed = geminiResponseSchema.safeParse(data);
  if (!parsed.success) {
    throw malformedResponseError('a stream frame is not a GenerateContentResponse', {
      ...context,
      rawBody: data,
      cause: parsed.error,
    });
  }
  return { type: 'chunk', response: parsed.data };
}

/** Part fields that a text part may carry and still be merged with the text before it. */
const mergeableTextKeys: ReadonlySet<string> = new Set(['text', 'thought', 'thoughtSignature']);

export class GeminiStreamAccumulator {
  private body: GeminiResponse | undefined;
  private toolCalls = 0;

  constructor(private readonly context: StreamContext = {}) {}

  /**
   * True once the answer is complete: every candidate carried a finishReason, or the prompt
   * was blocked (promptFeedback.blockReason without candidates).
   */
  get finished(): boolean {
    const body = this.body;
    if (body === undefined) return false;
    const candidates = body.candidates ?? [];
    if (candidates.length === 0) return body.promptFeedback?.blockReason !== undefined;
    return candidates.every((candidate) => candidate.finishReason !== undefined);
  }

  /** The content_filter error when the prompt was blocked, else undefined. */
  blockedError(headers: Record<string, string> = {}): ProviderError | undefined {
    return this.body === undefined ? undefined : blockedPromptError(this.body, { ...this.context, headers });
  }

  /** Merges one chunk into the body and returns the parts it produces. */
  push(chunk: GeminiResponse): StreamPart[] {
    const body = (this.body ??= {});
    const parts: StreamPart[] = [];
    for (const [key, value] of Object.entries(chunk)) {
      if (key !== 'candidates' && value !== undefined) (body as JsonObject)[key] = value;
    }
    const candidates = chunk.candidates ?? [];
    candidates.forEach((candidate, position) => {
      const index = candidate.index ?? position;
      const merged = ((body.candidates ??= [])[index] ??= {});
      this.mergeCandidate(merged, candidate);
      if (index === 0) parts.push(...this.deltas(candidate.content?.parts ?? []));
    });
    return parts;
  }

  /** The rebuilt non-streaming body. */
  responseBody(): GeminiResponse {
    if (this.body === undefined) throw malformedResponseError('the stream had no chunks', this.context);
    return this.body;
  }

  /** The ExecuteResult, equal to what `execute` gives for the same answer. */
  result(meta: ResponseMeta): ExecuteResult {
    return mapGeminiResponse(this.responseBody(), meta);
  }

  /** The parts that close a complete stream: usage, finish, done. */
  finalParts(meta: ResponseMeta): StreamPart[] {
    return closingParts(this.result(meta));
  }

  private mergeCandidate(merged: GeminiCandidate, chunk: GeminiCandidate): void {
    for (const [key, value] of Object.entries(chunk)) {
      if (key !== 'content' && value !== undefined) (merged as JsonObject)[key] = value;
    }
    if (chunk.content === undefined) return;
    const content = (merged.content ??= {});
    if (chunk.content.role !== undefined) content.role = chunk.content.role;
    const parts = (content.parts ??= []);
    for (const part of chunk.content.parts ?? []) {
      const previous = parts.at(-1);
      if (previous !== undefined && canMerge(previous, part)) {
        (previous as JsonObject).text = `${(previous as { text: string }).text}${(part as { text: string }).text}`;
        const signature = (part as JsonObject).thoughtSignature;
        if (signature !== undefined) (previous as JsonObject).thoughtSignature = signature;
      } else {
        parts.push({ ...part });
      }
    }
  }

  private deltas(parts: readonly GeminiPart[]): StreamPart[] {
    const out: StreamPart[] = [];
    for (const part of parts) {
      const text = 'text' in part ? geminiTextPartSchema.safeParse(part) : null;
      if (text?.success) {
        if (text.data.thought !== true && text.data.text !== '') out.push({ type: 'text-delta', text: text.data.text });
        continue;
      }
      const call = geminiFunctionCallPartSchema.safeParse(part);
      if (call.success) {
        const { id, name, args } = call.data.functionCall;
        out.push({
          type: 'tool-call-delta',
          index: this.toolCalls,
          id: id ?? `call_${this.toolCalls}`,
          name,
          argumentsDelta: JSON.stringify(args ?? {}),
        });
        this.toolCalls += 1;
      }
    }
    return out;
  }
}

/** Two text parts of the same kind (answer or thought) with nothing else on them. */
function canMerge(previous: GeminiPart, next: GeminiPart): boolean {
  const a = geminiTextPartSchema.safeParse(previous);
  const b = geminiTextPartSchema.safeParse(next);
  if (!a.success || !b.success) return false;
  if ((a.data.thought === true) !== (b.data.thought === true)) return false;
  return Object.keys(previous).every((key) => mergeableTextKeys.has(key)) && Object.keys(next).every((key) => mergeableTextKeys.has(key));
}
