import { describe, expect, it } from 'vitest';
import { openAiChatToBedrock } from '../../../src/providers/bedrock/from-openai-chat.ts';
import { parseOpenAiChatBody } from '../../../src/translate/openai-chat/translate.ts';
import type { JsonObject } from '../../../src/executors/types.ts';
import { pngBase64, pngDataUrl, weatherConversation } from '../../translate/openai-chat/bodies.ts';

const toBedrock = (body: JsonObject) => openAiChatToBedrock(parseOpenAiChatBody(body), 'anthropic.claude-sonnet-4-5-20250929-v1:0');

describe('OpenAI chat → Bedrock (Anthropic Messages for Claude on Bedrock)', () => {
  it('keeps base64 images, leaves image URLs out with a warning, and translates the rest as for Anthropic', () => {
    const { body, warnings } = toBedrock(weatherConversation());
    const [first] = body.messages as { content: unknown }[];
    expect(first?.content).toEqual([
      { type: 'text', text: 'Where were these two photos taken, and what is the weather there now?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: pngBase64 } },
    ]);
    expect(warnings).toEqual([
      'messages[2].content[1]: bedrock takes images only as base64 data URLs; the image at https://example.com/photos/paris.jpg was left out',
    ]);
    expect(body).toMatchObject({
      model: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
      max_tokens: 300,
      system: 'You are a concise weather assistant.\n\nUse metric units.',
      tool_choice: { type: 'auto' },
      stop_sequences: ['END', '###'],
    });
    expect((body.messages as unknown[]).length).toBe(3);
  });

  it('refuses a user turn that would be left empty once its image URL is left out', () => {
    const body = {
      model: 'x',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }],
    };
    expect(() => toBedrock(body)).toThrow('messages[0]: nothing left to send to bedrock once the parts it cannot take were left out');
  });

  it('warns with the target named bedrock', () => {
    const { warnings } = toBedrock({
      model: 'x',
      seed: 3,
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: pngDataUrl } }] }],
    });
    expect(warnings).toEqual(['seed=3: bedrock has no sampling seed; ignored']);
  });
});
