/**
 * Reasoning ("thinking") tokens as each provider reports them in its answer body. Executors
 * normalize input, output and cache tokens; reasoning tokens stay in the raw usage, so they are
 * read here: OpenAI Chat Completions `usage.completion_tokens_details.reasoning_tokens`, OpenAI
 * Responses `usage.output_tokens_details.reasoning_tokens`, Gemini `usageMetadata.thoughtsTokenCount`.
 * Anthropic does not report thinking tokens apart from output tokens.
 */
export function reasoningTokensOf(body: unknown): number {
  if (body === null || typeof body !== 'object') return 0;
  const record = body as Record<string, unknown>;
  const usage = record.usage as Record<string, unknown> | undefined;
  if (usage !== null && typeof usage === 'object') {
    const completion = usage.completion_tokens_details as Record<string, unknown> | undefined;
    const output = usage.output_tokens_details as Record<string, unknown> | undefined;
    const found = numberOr(completion?.reasoning_tokens) ?? numberOr(output?.reasoning_tokens);
    if (found !== undefined) return found;
  }
  const metadata = record.usageMetadata as Record<string, unknown> | undefined;
  if (metadata !== null && typeof metadata === 'object') return numberOr(metadata.thoughtsTokenCount) ?? 0;
  return 0;
}

function numberOr(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
