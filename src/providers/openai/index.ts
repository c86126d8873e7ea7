/** OpenAI (Chat Completions, Responses, Embeddings): everything relayq knows about the provider. */
import type { ProviderModule } from '../types.ts';
import { OpenAIExecutor } from './executor.ts';
import { openaiRateLimits } from './rate-limits.ts';
import { openaiRequestBodySchema } from './request-schema.ts';
import { openaiReasoningTokens } from './usage.ts';

export const openai = {
  id: 'openai',
  displayName: 'OpenAI',
  dialect: 'openai',
  modelPatterns: [/^(gpt-|o\d|chatgpt-|text-embedding-)/],
  requests: { body: openaiRequestBodySchema },
  rateLimits: openaiRateLimits,
  requestIdHeaders: ['x-request-id'],
  usage: {
    // OpenAI counts the whole prompt against input-token limits, cached tokens included.
    limitedInput: (usage) => usage.inputTokens + usage.cacheWrite + usage.cacheRead,
    reasoningTokens: openaiReasoningTokens,
  },
  createExecutor: (context) => new OpenAIExecutor(context),
} as const satisfies ProviderModule<'openai'>;
