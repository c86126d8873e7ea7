/**
 * OpenAI Chat Completions body → the Anthropic Messages body the Bedrock executor takes. The
 * executor applies Bedrock's own body rules (`anthropic_version`, no `model` or `stream`); this
 * step differs from the Anthropic translation only where Bedrock's Claude differs: images must
 * be base64, so image URLs are left out with a warning.
 */
import { openAiChatToAnthropic } from '../anthropic/from-openai-chat.ts';
import type { OpenAiChatBody } from '../shared/openai-chat/schema.ts';
import type { Translation } from '../shared/openai-chat/translation.ts';

export function openAiChatToBedrock(chat: OpenAiChatBody, model: string): Translation {
  return openAiChatToAnthropic(chat, model, { target: 'bedrock', imageUrls: false });
}
