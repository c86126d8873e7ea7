/**
 * An `:embedContent` answer (`{embedding: {values}}`) → ExecuteResult. An embedding has no text,
 * tool calls or output tokens; the vector stays in `body`. Google reports no usage for it, so
 * the tokens count as 0 unless the answer carries `usageMetadata`.
 */
import type { ExecuteResult, JsonObject } from '../../executors/types.ts';
import { mapGeminiUsage } from './map-response.ts';
import type { GeminiEmbedContentResponse } from './schemas.ts';

export function mapGeminiEmbedding(
  response: GeminiEmbedContentResponse,
  meta: { statusCode: number; headers: Record<string, string> },
): ExecuteResult {
  const usage = mapGeminiUsage(response.usageMetadata);
  return {
    text: '',
    toolCalls: [],
    finishReason: { unified: 'stop', raw: null },
    usage: { ...usage, outputTokens: 0 },
    statusCode: meta.statusCode,
    body: response as JsonObject,
    headers: meta.headers,
  };
}
