/** `--max-tokens` / `--system` in each provider's own terms (module.fillDefaults), placed by the line format. */
import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../../src/ingest/formats/defaults.ts';
import { providerModule } from '../../src/providers/index.ts';

const defaults = { maxTokens: 64, system: 'Be brief.' };
const messages = [{ role: 'user', content: 'hi' }];
const contents = [{ parts: [{ text: 'hi' }] }];

describe('module.fillDefaults', () => {
  it('Anthropic Messages (and Bedrock, the same body): max_tokens and system', () => {
    for (const id of ['anthropic', 'bedrock']) {
      expect(providerModule(id).fillDefaults({ messages }, defaults)).toEqual({ messages, max_tokens: 64, system: 'Be brief.' });
      expect(providerModule(id).fillDefaults({ messages, max_tokens: 5, system: 'Own.' }, defaults)).toEqual({
        messages,
        max_tokens: 5,
        system: 'Own.',
      });
    }
  });

  it('OpenAI (and Azure OpenAI): chat, Responses and Embeddings each in their own terms', () => {
    for (const id of ['openai', 'azure-openai']) {
      const { fillDefaults } = providerModule(id);
      expect(fillDefaults({ messages }, defaults)).toEqual({
        messages: [{ role: 'system', content: 'Be brief.' }, ...messages],
        max_completion_tokens: 64,
      });
      expect(fillDefaults({ messages: [{ role: 'developer', content: 'Own.' }], max_tokens: 5 }, defaults)).toEqual({
        messages: [{ role: 'developer', content: 'Own.' }],
        max_tokens: 5,
      });
      expect(fillDefaults({ input: 'hi' }, defaults)).toEqual({ input: 'hi', max_output_tokens: 64, instructions: 'Be brief.' });
      expect(fillDefaults({ input: 'hi' }, defaults, '/v1/embeddings')).toEqual({ input: 'hi' });
    }
  });

  it('Gemini: generationConfig.maxOutputTokens and systemInstruction, embeddings untouched', () => {
    const { fillDefaults } = providerModule('gemini');
    expect(fillDefaults({ contents, generationConfig: { temperature: 0 } }, defaults)).toEqual({
      contents,
      generationConfig: { temperature: 0, maxOutputTokens: 64 },
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
    });
    const embed = { content: { parts: [{ text: 'x' }] } };
    expect(fillDefaults(embed, defaults)).toBe(embed);
  });
});

describe('applyDefaults', () => {
  it('fills a relayq line in the terms of the provider it goes to', () => {
    const line = (extra: Record<string, unknown>, body: Record<string, unknown>) => ({ custom_id: 'x', ...extra, body });
    expect(applyDefaults(line({}, { model: 'gemini-2.5-flash', contents }), 'native', defaults).body).toMatchObject({
      generationConfig: { maxOutputTokens: 64 },
    });
    expect(applyDefaults(line({}, { model: 'gpt-4o', input: 'hi' }), 'native', defaults).body).toMatchObject({ max_output_tokens: 64 });
    expect(
      applyDefaults(line({ provider: 'bedrock' }, { messages }), 'native', { ...defaults, model: 'anthropic.claude-haiku-4-5-v1:0' }),
    ).toMatchObject({
      model: 'anthropic.claude-haiku-4-5-v1:0',
      body: { max_tokens: 64, system: 'Be brief.' },
    });
    // A Chat Completions body is filled in OpenAI's terms, whichever provider it is translated for.
    expect(applyDefaults(line({ format: 'openai-chat' }, { model: 'claude-x', messages }), 'native', defaults).body).toMatchObject({
      max_completion_tokens: 64,
    });
    // A model no provider serves: the line is refused later, its body left as it is.
    expect(applyDefaults(line({}, { model: 'llama-3', messages }), 'native', defaults).body).toEqual({ model: 'llama-3', messages });
  });

  it('fills batch lines where each format keeps its body', () => {
    expect(applyDefaults({ custom_id: 'a', params: { messages } }, 'anthropic-batch', { ...defaults, model: 'claude-x' })).toEqual({
      custom_id: 'a',
      params: { messages, model: 'claude-x', max_tokens: 64, system: 'Be brief.' },
    });
    const embeddings = { custom_id: 'e', method: 'POST', url: '/v1/embeddings', body: { input: 'x' } };
    expect(applyDefaults(embeddings, 'openai-batch', { ...defaults, model: 'text-embedding-3-small' }).body).toEqual({
      input: 'x',
      model: 'text-embedding-3-small',
    });
    expect(applyDefaults({ key: 'g', request: { contents } }, 'gemini-batch', defaults).request).toMatchObject({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
    });
  });
});
