/** Google Gemini (Generative Language API and Vertex AI paths): everything relayq knows about the provider. */
import type { JsonObject } from '../../executors/types.ts';
import { retryHintsOnly } from '../shared/rate-limits.ts';
import type { ProviderModule } from '../types.ts';
import { geminiChatToolCallExtras } from './chat-tool-calls.ts';
import { GeminiExecutor } from './executor.ts';
import { geminiAccountSchema } from './account.ts';
import { fillGeminiDefaults } from './defaults.ts';
import { openAiChatToGemini } from './from-openai-chat.ts';
import { geminiEmbedContentSchema, geminiEmbedEndpoint, geminiRequestSchema, isGeminiEmbedBody } from './request-schema.ts';

export const gemini: ProviderModule<'gemini', typeof geminiAccountSchema> = {
  id: 'gemini',
  displayName: 'Google Gemini',
  dialect: 'gemini',
  accountSchema: geminiAccountSchema,
  modelPatterns: [/^(gemini-|text-embedding-00\d|gemini-embedding-)/],
  requests: {
    body: geminiRequestSchema,
    // Embeddings: `:embedContent`, named on the line or told by the body (`content`, no `contents`).
    endpoints: { [geminiEmbedEndpoint]: geminiEmbedContentSchema },
    endpointFor: (body) => (isGeminiEmbedBody(body) ? geminiEmbedEndpoint : undefined),
  },
  fillDefaults: fillGeminiDefaults,
  // No rate-limit headers: quotas live in the Cloud console; a 429 may carry retry-after (its body's RetryInfo is the error mapper's).
  rateLimits: retryHintsOnly,
  // Google documents no request-id response header (answers carry `responseId`); gateways in front may send one.
  requestIdHeaders: ['x-request-id'],
  priceProvider: 'google',
  usage: {
    // Gemini counts the whole prompt, cached tokens included.
    limitedInput: (usage) => usage.inputTokens + usage.cacheWrite + usage.cacheRead,
    reasoningTokens: (body: JsonObject) => {
      const metadata = body.usageMetadata as Record<string, unknown> | undefined;
      const thoughts = metadata !== null && typeof metadata === 'object' ? metadata.thoughtsTokenCount : undefined;
      return typeof thoughts === 'number' && Number.isFinite(thoughts) && thoughts > 0 ? thoughts : 0;
    },
  },
  fromOpenAiChat: (chat) => openAiChatToGemini(chat),
  chatToolCallExtras: geminiChatToolCallExtras,
  createExecutor: (context) => new GeminiExecutor(context),
};
