/** An OpenAI Chat Completions body → the body of whichever provider serves it (the provider's module translates). */
import { formatIssues } from '../../config/load.ts';
import type { JsonObject } from '../../executors/types.ts';
import { providerModule } from '../../providers/index.ts';
import { openAiChatBodySchema, type OpenAiChatBody } from '../../providers/shared/openai-chat/schema.ts';
import { TranslationError, type Translation } from '../../providers/shared/openai-chat/translation.ts';

/** True for providers that take Chat Completions bodies as they are (their module has no `fromOpenAiChat`). */
export function speaksOpenAiChat(provider: string): boolean {
  return providerModule(provider).fromOpenAiChat === undefined;
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
 * Translates a Chat Completions body for `provider`. Providers that speak Chat Completions get
 * it untouched; throws a TranslationError when the body has no faithful translation.
 */
export function translateOpenAiChat(body: JsonObject, provider: string, model: string): Translation {
  if (speaksOpenAiChat(provider)) return { body, warnings: [] };
  return translateChatBody(parseOpenAiChatBody(body), provider, model);
}

/** translateOpenAiChat for a body already validated. */
export function translateChatBody(chat: OpenAiChatBody, provider: string, model: string): Translation {
  const translate = providerModule(provider).fromOpenAiChat;
  return translate === undefined ? { body: chat, warnings: [] } : translate(chat, model);
}
