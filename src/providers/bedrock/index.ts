/** Amazon Bedrock (Claude through InvokeModel, SigV4 or API keys): everything relayq knows about the provider. */
import { retryHintsOnly } from '../shared/rate-limits.ts';
import type { ProviderModule } from '../types.ts';
import { fillAnthropicDefaults } from '../anthropic/defaults.ts';
import { claudeUsageRules } from '../anthropic/usage-rules.ts';
import { bedrockAccountSchema } from './account.ts';
import { BedrockExecutor } from './executor.ts';
import { openAiChatToBedrock } from './from-openai-chat.ts';
import { bedrockRequestBodySchema } from './request-schema.ts';

export const bedrock: ProviderModule<'bedrock', typeof bedrockAccountSchema> = {
  id: 'bedrock',
  displayName: 'Amazon Bedrock',
  dialect: 'anthropic-messages',
  accountSchema: bedrockAccountSchema,
  // Bedrock model ids and cross-region inference profiles: anthropic.*, us.anthropic.*, ARNs.
  modelPatterns: [/^((us|us-gov|eu|apac|jp|au|global)\.)?anthropic\.|^arn:aws[a-z-]*:bedrock:/],
  requests: { body: bedrockRequestBodySchema },
  // Claude's Messages body: max_tokens and system, as on Anthropic.
  fillDefaults: fillAnthropicDefaults,
  // No rate-limit headers (quotas are per account and region in Service Quotas); a ThrottlingException may carry retry-after.
  rateLimits: retryHintsOnly,
  requestIdHeaders: ['x-amzn-requestid'],
  priceProvider: 'aws',
  // Claude on Bedrock: the usage rules of Claude on Anthropic.
  usage: claudeUsageRules,
  fromOpenAiChat: openAiChatToBedrock,
  createExecutor: (context) => new BedrockExecutor(context),
};
