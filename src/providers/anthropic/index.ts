/** Anthropic (Messages API): everything relayq knows about the provider. */
import type { ProviderModule } from '../types.ts';
import { AnthropicExecutor } from './executor.ts';
import { anthropicRateLimits } from './rate-limits.ts';
import { anthropicRequestBodySchema } from './request-schema.ts';

export const anthropic = {
  id: 'anthropic',
  displayName: 'Anthropic',
  dialect: 'anthropic-messages',
  modelPatterns: [/^claude-/],
  requests: { body: anthropicRequestBodySchema },
  rateLimits: anthropicRateLimits,
  requestIdHeaders: ['request-id'],
  usage: {
    // Cache reads do not count against Anthropic's input-token limits.
    limitedInput: (usage) => usage.inputTokens + usage.cacheWrite,
    // Thinking tokens are part of output_tokens, not reported apart.
    reasoningTokens: () => 0,
  },
  createExecutor: (context) => new AnthropicExecutor(context),
} as const satisfies ProviderModule<'anthropic'>;
