/** Amazon Bedrock (Claude through InvokeModel, SigV4 or API keys): everything relayq knows about the provider. */
import { retryHintsOnly } from '../shared/rate-limits.ts';
import type { ProviderModule } from '../types.ts';
import { BedrockExecutor } from './executor.ts';
import { bedrockRequestBodySchema } from './request-schema.ts';

export const bedrock = {
  id: 'bedrock',
  displayName: 'Amazon Bedrock',
  dialect: 'anthropic-messages',
  // Bedrock model ids and cross-region inference profiles: anthropic.*, us.anthropic.*, ARNs.
  modelPatterns: [/^((us|us-gov|eu|apac|jp|au|global)\.)?anthropic\.|^arn:aws[a-z-]*:bedrock:/],
  requests: { body: bedrockRequestBodySchema },
  // No rate-limit headers (quotas are per account and region in Service Quotas); a ThrottlingException may carry retry-after.
  rateLimits: retryHintsOnly,
  requestIdHeaders: ['x-amzn-requestid'],
  usage: {
    // Claude on Bedrock: cache reads do not count against input-token limits, as on Anthropic.
    limitedInput: (usage) => usage.inputTokens + usage.cacheWrite,
    reasoningTokens: () => 0,
  },
  createExecutor: (context) => new BedrockExecutor(context),
} as const satisfies ProviderModule<'bedrock'>;
