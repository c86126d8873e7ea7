import { describe, expect, it } from 'vitest';
import { openaiRequestBodySchema } from '../../../src/providers/openai/request-schema.ts';
import { azureOpenAIRequestBodySchema } from '../../../src/providers/azure-openai/request-schema.ts';

function issuesOf(body: unknown): string[] {
  const result = openaiRequestBodySchema.safeParse(body);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('openaiRequestBodySchema', () => {
  it('accepts Chat Completions and Responses bodies, untouched', () => {
    const chat = {
      model: 'gpt-4o',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hi' },
            { type: 'image_url', image_url: { url: 'https://x/y.png' } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [] },
        { role: 'tool', tool_call_id: 'call_1', content: '{}' },
      ],
      max_completion_tokens: 100,
      response_format: { type: 'json_object' },
    };
    expect(openaiRequestBodySchema.parse(chat)).toEqual(chat);
    const responses = { model: 'gpt-4.1', input: [{ role: 'user', content: 'Hi' }], max_output_tokens: 64 };
    expect(openaiRequestBodySchema.parse(responses)).toEqual(responses);
    expect(azureOpenAIRequestBodySchema.parse({ model: 'gpt-4.1', input: 'Hi' })).toEqual({ model: 'gpt-4.1', input: 'Hi' });
  });

  it('names the field that is wrong', () => {
    expect(issuesOf({ model: 'gpt-4o', messages: [] })).toEqual(['messages: must hold at least one message']);
    expect(issuesOf({ model: 'gpt-4o', messages: [{ role: 'wizard', content: 'x' }] })[0]).toMatch(/^messages\.0\.role: /);
    expect(issuesOf({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 })[0]).toMatch(/^max_tokens: /);
    expect(issuesOf({ model: '', input: 'x' })[0]).toMatch(/^model: /);
    expect(issuesOf({ model: 'gpt-4.1', input: '' })).toEqual(['input: must not be empty']);
    expect(issuesOf({ model: 'gpt-4.1', prompt: 'x' })).toEqual([': needs "messages" (Chat Completions) or "input" (Responses)']);
  });
});
