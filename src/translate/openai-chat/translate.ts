/** An OpenAI Chat Completions body → the body of whichever provider serves it. */
import { formatIssues } from '../../config/load.ts';
import type { ProviderName } from '../../config/schema.ts';
import type { JsonObject } from '../../executors/types.ts';
import { TranslationError, type Translation } from '../translation.ts';
import { openAiChatBodySchema, type OpenAiChatBody } from './schema.ts';
import { openAiChatToAnthropic } from './to-anthropic.ts';
import { openAiChatToBedrock } from './to-bedrock.ts';
import { openAiChatToGemini } from './to-gemini.ts';

/** Providers that take Chat Completions bodies as they are. */
export function speaksOpenAiChat(provider: ProviderName): boolean {
  return provider === 'openai' || provider === 'azure-openai';
}

/** Validates a body as Chat Completions; throws a TranslationError naming every bad field. */
export function parseOpenAiChatBody(body: unknown): OpenAiChatBody {
  const parsed = openAiChatBodySchema.safeParse(body);
  if (!parsed.success) {
    throw new TranslationError(`not a valid OpenAI Chat Completions body:\n${formatIssues(parsed.error.issues)}`);
  }
  return parsed.data;
}

/**
 * Translates a Chat Completions body for `provider`. OpenAI and Azure OpenAI get it untouched;
 * throws a TranslationError when the body has no faithful translation.
 */
export function translateOpenAiChat(body: JsonObject, provider: ProviderName, model: string): Translation {
  if (speaksOpenAiChat(provider)) return { body, warnings: [] };
  return translateChatBody(parseOpenAiChatBody(body), provider, model);
}

/** translateOpenAiChat for a body already validated. */
export function translateChatBody(chat: OpenAiChatBody, provider: ProviderName, model: string): Translation {
  switch (provider) {
    case 'openai':
    case 'azure-openai':
      return { body: chat, warnings: [] };
    case 'anthropic':
      return openAiChatToAnthropic(chat, model);
    case 'bedrock':
      return openAiChatToBedrock(chat, model);
    case 'gemini':
      return openAiChatToGemini(chat);
  }
}
