/**
 * Reasoning tokens as OpenAI reports them: Chat Completions
 * `usage.completion_tokens_details.reasoning_tokens`, Responses `usage.output_tokens_details.reasoning_tokens`.
 */
import type { JsonObject } from '../../executors/types.ts';

export function openaiReasoningTokens(body: JsonObject): number {
  const usage = body.usage as Record<string, unknown> | undefined;
  if (usage === null || typeof usage !== 'object') return 0;
  const completion = usage.completion_tokens_details as Record<string, unknown> | undefined;
  const output = usage.output_tokens_details as Record<string, unknown> | undefined;
  return positive(completion?.reasoning_tokens) ?? positive(output?.reasoning_tokens) ?? 0;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
