/**
 * OpenAI Chat Completions body → the Anthropic Messages body the Bedrock executor takes. The
 * executor applies Bedrock's own body rules (`anthropic_version`, no `model` or `stream`); this
 * step differs from the Anthropic translation only where Bedrock's Claude differs: images must
 * be base64, so image URLs are left out with a warning.
 */
import type { Translation } from '../translation.ts';
import type { OpenAiChatBody } from './schema.ts';
import { openAiChatToAnthropic } from './to-anthropic.ts';

export function openAiChatToBedrock(chat: OpenAiChatBody, model: string): Translation {
  return openAiChatToAnthropic(chat, model, 'bedrock');
}
