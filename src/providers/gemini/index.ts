/** Google Gemini (Generative Language API and Vertex AI paths): everything relayq knows about the provider. */
import type { JsonObject } from '../../executors/types.ts';
import { retryHintsOnly } from '../shared/rate-limits.ts';
import type { ProviderModule } from '../types.ts';
import { GeminiExecutor } from './executor.ts';
import { geminiRequestSchema } from './request-schema.ts';

export const gemini = {
  id: 'gemini',
  displayName: 'Google Gemini',
  dialect: 'gemini',
  modelPatterns: [/^(gemini-|text-embedding-00\d|gemini-embedding-)/],
  requests: { body: geminiRequestSchema },
  // No rate-limit headers: quotas live in the Cloud console; a 429 may carry retry-after (its body's RetryInfo is the error mapper's).
  rateLimits: retryHintsOnly,
  requestIdHeaders: ['x-request-id'],
  usage: {
    // Gemini counts the whole prompt, cached tokens included.
    limitedInput: (usage) => usage.inputTokens + usage.cacheWrite + usage.cacheRead,
    reasoningTokens: (body: JsonObject) => {
      const metadata = body.usageMetadata as Record<string, unknown> | undefined;
      const thoughts = metadata !== null && typeof metadata === 'object' ? metadata.thoughtsTokenCount : undefined;
      return typeof thoughts === 'number' && Number.isFinite(thoughts) && thoughts > 0 ? thoughts : 0;
    },
  },
  createExecutor: (context) => new GeminiExecutor(context),
} as const satisfies ProviderModule<'gemini'>;
