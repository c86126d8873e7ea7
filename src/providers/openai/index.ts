/** OpenAI (Chat Completions, Responses, Embeddings): everything relayq knows about the provider. */
import type { ProviderModule } from '../types.ts';
import { OpenAIExecutor } from './executor.ts';
import { openaiAccountSchema } from './account.ts';
import { fillOpenAIDefaults } from './defaults.ts';
import { openaiEndpointBodySchemas, openaiRequestBodySchema } from './request-schema.ts';
import { openaiRateLimits } from './rate-limits.ts';
import { openaiReasoningTokens } from './usage.ts';

export const openai: ProviderModule<'openai', typeof openaiAccountSchema> = {
  id: 'openai',
  displayName: 'OpenAI',
  dialect: 'openai',
  accountSchema: openaiAccountSchema,
  // text-embedding-00N is Gemini's family: no two providers' patterns match one name.
  modelPatterns: [/^(gpt-|o\d|chatgpt-|text-embedding-(?!00\d))/],
  requests: { body: openaiRequestBodySchema, endpoints: openaiEndpointBodySchemas },
  fillDefaults: fillOpenAIDefaults,
  rateLimits: openaiRateLimits,
  requestIdHeaders: ['x-request-id'],
  priceProvider: 'openai',
  usage: {
    // OpenAI counts the whole prompt against input-token limits, cached tokens included.
    limitedInput: (usage) => usage.inputTokens + usage.cacheWrite + usage.cacheRead,
    reasoningTokens: openaiReasoningTokens,
  },
  createExecutor: (context) => new OpenAIExecutor(context),
};
