/** Anthropic (Messages API): everything relayq knows about the provider. */
import type { ProviderModule } from '../types.ts';
import { anthropicAccountSchema } from './account.ts';
import { fillAnthropicDefaults } from './defaults.ts';
import { AnthropicExecutor } from './executor.ts';
import { openAiChatToAnthropic } from './from-openai-chat.ts';
import { anthropicRateLimits } from './rate-limits.ts';
import { anthropicRequestBodySchema } from './request-schema.ts';
import { claudeUsageRules } from './usage-rules.ts';

export const anthropic: ProviderModule<'anthropic', typeof anthropicAccountSchema> = {
  id: 'anthropic',
  displayName: 'Anthropic',
  dialect: 'anthropic-messages',
  accountSchema: anthropicAccountSchema,
  modelPatterns: [/^claude-/],
  requests: { body: anthropicRequestBodySchema },
  fillDefaults: fillAnthropicDefaults,
  rateLimits: anthropicRateLimits,
  requestIdHeaders: ['request-id'],
  priceProvider: 'anthropic',
  usage: claudeUsageRules,
  fromOpenAiChat: (chat, model) => openAiChatToAnthropic(chat, model),
  createExecutor: (context) => new AnthropicExecutor(context),
};
