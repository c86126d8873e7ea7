/** Azure OpenAI (deployments, api-version, api-key or Entra tokens): everything relayq knows about the provider. */
import type { ProviderModule } from '../types.ts';
import { openai } from '../openai/index.ts';
import { azureOpenAIAccountSchema } from './account.ts';
import { AzureOpenAIExecutor } from './executor.ts';

export const azureOpenAI: ProviderModule<'azure-openai', typeof azureOpenAIAccountSchema> = {
  id: 'azure-openai',
  displayName: 'Azure OpenAI',
  dialect: 'openai',
  accountSchema: azureOpenAIAccountSchema,
  // No model family of its own: Azure serves OpenAI's models, so routing rules or the line say when.
  modelPatterns: [],
  requests: openai.requests,
  fillDefaults: openai.fillDefaults,
  // OpenAI's x-ratelimit-* names (remaining only, no resets) and x-ms-retry-after-ms / retry-after-ms on 429s.
  rateLimits: openai.rateLimits,
  requestIdHeaders: ['apim-request-id', 'x-request-id'],
  priceProvider: 'azure',
  usage: openai.usage,
  createExecutor: (context) => new AzureOpenAIExecutor(context),
};
