/** A GenerateContentResponse → ExecuteResult. Pure functions. */
import type { ExecuteResult, FinishReason, JsonObject, ToolCall, Usage } from '../../executors/types.ts';
import { ProviderError } from '../../executors/errors.ts';
import {
  geminiFunctionCallPartSchema,
  geminiTextPartSchema,
  type GeminiCandidate,
  type GeminiResponse,
  type GeminiUsage,
} from './schemas.ts';
import { unifiedFinishReason, type FinishReasonTable, type ResponseMeta as AnswerMeta } from '../shared/answer-items.ts';

const unifiedByFinishReason: FinishReasonTable = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  IMAGE_PROHIBITED_CONTENT: 'content_filter',
  IMAGE_RECITATION: 'content_filter',
  MALFORMED_FUNCTION_CALL: 'other',
  OTHER: 'other',
};

/**
 * Gemini ends a stop-sequence hit and a function call with STOP too; an answer with function
 * calls is reported as `tool_calls`, like the other providers report it.
 */
export function mapGeminiFinishReason(finishReason: string | null | undefined, hasToolCalls = false): FinishReason {
  const raw = finishReason ?? null;
  const unified = unifiedFinishReason(unifiedByFinishReason, raw);
  return { unified: hasToolCalls && unified === 'stop' ? 'tool_calls' : unified, raw };
}

/**
 * promptTokenCount is the whole prompt, the cached tokens (cachedContentTokenCount) included, so
 * they are taken out of inputTokens (see Usage). outputTokens is candidatesTokenCount +
 * thoughtsTokenCount: Google bills thinking tokens as output, and counts them apart from the
 * visible candidates. Gemini has no cache writes billed per request (caches are created through
 * their own API).
 */
export function mapGeminiUsage(usage: GeminiUsage | undefined): Usage {
  const cacheRead = usage?.cachedContentTokenCount ?? 0;
  return {
    inputTokens: Math.max(0, (usage?.promptTokenCount ?? 0) - cacheRead),
    outputTokens: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
    cacheRead,
    cacheWrite: 0,
    raw: usage ?? null,
  };
}

function firstCandidate(response: GeminiResponse): GeminiCandidate | undefined {
  return response.candidates?.[0];
}

/** Text of the first candidate's text parts (thought summaries left out), joined with nothing. */
export function geminiText(response: GeminiResponse): string {
  let text = '';
  for (const part of firstCandidate(response)?.content?.parts ?? []) {
    // Checked by field first: a failed safeParse builds an error.
    if (!('text' in part)) continue;
    const parsed = geminiTextPartSchema.safeParse(part);
    if (parsed.success && parsed.data.thought !== true) text += parsed.data.text;
  }
  return text;
}

/**
 * The first candidate's functionCall parts, args as JSON text. Gemini gives calls an id only
 * sometimes; without one the call is named `call_{n}` by its position.
 */
export function geminiToolCalls(response: GeminiResponse): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const part of firstCandidate(response)?.content?.parts ?? []) {
    if (!('functionCall' in part)) continue;
    const parsed = geminiFunctionCallPartSchema.safeParse(part);
    if (!parsed.success) continue;
    const call = parsed.data.functionCall;
    calls.push({
      id: call.id ?? `call_${calls.length}`,
      name: call.name,
      arguments: JSON.stringify(call.args ?? {}),
    });
  }
  return calls;
}

export interface ResponseMeta extends AnswerMeta {
  accountId?: string;
}

/**
 * A prompt Gemini refused to answer at all: no candidates and `promptFeedback.blockReason`
 * (SAFETY, BLOCKLIST, PROHIBITED_CONTENT, ...). Not retryable: the same prompt is blocked again.
 */
export function blockedPromptError(
  response: GeminiResponse,
  meta: { statusCode?: number; accountId?: string; headers?: Record<string, string> },
): ProviderError | undefined {
  const feedback = response.promptFeedback;
  const blockReason = feedback?.blockReason;
  if (blockReason === undefined || (response.candidates?.length ?? 0) > 0) return undefined;
  const detail = feedback?.blockReasonMessage ? ` (${feedback.blockReasonMessage})` : '';
  return new ProviderError({
    kind: 'content_filter',
    provider: 'gemini',
    message:
      `${meta.accountId ? `gemini account "${meta.accountId}"` : 'gemini'}: the prompt was blocked, ` +
      `blockReason ${blockReason}${detail}; change the prompt or its safetySettings`,
    statusCode: meta.statusCode,
    rawBody: response,
    ...(meta.headers === undefined ? {} : { headers: meta.headers }),
  });
}

/** Throws the content_filter error of a blocked prompt; otherwise maps the answer. */
export function mapGeminiResponse(response: GeminiResponse, meta: ResponseMeta): ExecuteResult {
  const blocked = blockedPromptError(response, meta);
  if (blocked !== undefined) throw blocked;
  const toolCalls = geminiToolCalls(response);
  return {
    text: geminiText(response),
    toolCalls,
    finishReason: mapGeminiFinishReason(firstCandidate(response)?.finishReason, toolCalls.length > 0),
    usage: mapGeminiUsage(response.usageMetadata),
    statusCode: meta.statusCode,
    body: response as JsonObject,
    headers: meta.headers,
  };
}
