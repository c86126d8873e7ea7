import { describe, expect, it } from 'vitest';
import { providerModule, providers } from '../../src/providers/index.ts';
import { speaksOpenAiChat, translateOpenAiChat } from '../../src/translate/openai-chat/translate.ts';

describe('provider modules', () => {
  it('translate Chat Completions bodies unless they take them as they are', () => {
    for (const provider of providers) {
      expect([provider.id, 'fromOpenAiChat' in provider]).toEqual([provider.id, provider.dialect !== 'openai']);
      expect(speaksOpenAiChat(provider.id)).toBe(provider.dialect === 'openai');
    }
  });

  it('are asked for the translation', () => {
    const chat = { model: 'm', messages: [{ role: 'user', content: 'Hi' }] };
    expect(translateOpenAiChat(chat, 'openai', 'm')).toEqual({ body: chat, warnings: [] });
    expect(translateOpenAiChat(chat, 'anthropic', 'claude-x').body).toMatchObject({
      model: 'claude-x',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(translateOpenAiChat(chat, 'gemini', 'gemini-x').body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });
    const image = {
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is it?' },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          ],
        },
      ],
    };
    expect(translateOpenAiChat(image, 'anthropic', 'claude-x').warnings).toEqual([]);
    expect(translateOpenAiChat(image, 'bedrock', 'anthropic.claude-x').warnings).toEqual([
      'messages[0].content[1]: bedrock takes images only as base64 data URLs; the image at https://example.com/a.png was left out',
    ]);
  });

  it('name the lower-case headers that carry a request id', () => {
    for (const provider of providers) {
      for (const header of provider.requestIdHeaders) expect(header).toBe(header.toLowerCase());
    }
    expect(providerModule('anthropic').requestIdHeaders).toEqual(['request-id']);
    expect(providerModule('bedrock').requestIdHeaders).toEqual(['x-amzn-requestid']);
  });
});
