/**
 * An embeddings answer (`{object: "list", data: [{embedding}], usage}`) → ExecuteResult. An
 * embedding has no text, tool calls or output tokens; the vectors stay in `body`.
 */
import type { ExecuteResult, JsonObject } from '../../executors/types.ts';
import type { ResponseMeta } from './map-response.ts';
import type { OpenAIEmbeddingResponse } from './schemas.ts';

export function mapOpenAIEmbeddingResponse(response: OpenAIEmbeddingResponse, meta: ResponseMeta): ExecuteResult {
  const usage = response.usage ?? null;
  return {
    text: '',
    toolCalls: [],
    finishReason: { unified: 'stop', raw: null },
    usage: { inputTokens: usage?.prompt_tokens ?? 0, outputTokens: 0, cacheRead: 0, cacheWrite: 0, raw: usage },
    statusCode: meta.statusCode,
    body: response as JsonObject,
    headers: meta.headers,
  };
}
