import { describe, expect, it } from 'vitest';
import { promptJobSchema, type PromptJob } from '../../jobs/prompt/payload.ts';
import { ProviderError } from '../../src/executors/errors.ts';
import type { ExecuteResult } from '../../src/executors/types.ts';
import { prepareRequest, presentResult } from '../../src/translate/prepare.ts';
import { weatherConversation } from './openai-chat/bodies.ts';

function job(fields: Partial<PromptJob>): PromptJob {
  return promptJobSchema.parse({
    batchId: 'batch_1',
    customId: 'c1',
    line: 1,
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    body: { model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] },
    ...fields,
  });
}

const result: ExecuteResult = {
  text: 'Hello there',
  toolCalls: [],
  finishReason: { unified: 'stop', raw: 'end_turn' },
  usage: { inputTokens: 9, outputTokens: 3, cacheRead: 0, cacheWrite: 0, raw: {} },
  statusCode: 200,
  body: { id: 'msg_1', type: 'message', model: 'claude-sonnet-4-5' },
  headers: {},
};

describe('prepareRequest / presentResult', () => {
  it('passes a native body to its provider untouched, and stores the provider’s own answer', () => {
    const native = job({});
    expect(prepareRequest(native)).toEqual({
      request: { provider: 'anthropic', model: 'claude-sonnet-4-5', body: native.body },
      warnings: [],
    });
    expect(presentResult(native, result)).toBe(result.body);
  });

  it('passes an OpenAI chat body to OpenAI and Azure untouched, endpoint included', () => {
    const body = weatherConversation();
    for (const provider of ['openai', 'azure-openai'] as const) {
      const chat = job({ provider, model: 'gpt-4o', format: 'openai-chat', endpoint: '/v1/chat/completions', body });
      expect(prepareRequest(chat)).toEqual({
        request: { provider, model: 'gpt-4o', body, endpoint: '/v1/chat/completions' },
        warnings: [],
      });
      expect(presentResult(chat, result)).toBe(result.body);
    }
  });

  it('translates an OpenAI chat body for Gemini, carries the warnings, and answers with a chat.completion', () => {
    const chat = job({ provider: 'gemini', model: 'gemini-2.5-flash', format: 'openai-chat', body: weatherConversation() });
    const { request, warnings } = prepareRequest(chat);
    expect(request.provider).toBe('gemini');
    expect(request.body).toHaveProperty('contents');
    expect(request.body).not.toHaveProperty('messages');
    expect(warnings).toContain('user: gemini has no end-user identifier; left out');
    expect(presentResult(chat, result)).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { role: 'assistant', content: 'Hello there' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
    });
  });

  it('turns a body with no translation into an invalid_request error no retry will repeat', () => {
    const chat = job({
      provider: 'bedrock',
      model: 'anthropic.claude-haiku-4-5',
      format: 'openai-chat',
      body: { model: 'x', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] },
    });
    let caught: unknown;
    try {
      prepareRequest(chat);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProviderError);
    expect(caught).toMatchObject({ kind: 'invalid_request', retryable: false, provider: 'bedrock' });
    expect((caught as Error).message).toMatch(
      /^cannot translate the OpenAI Chat Completions request to bedrock: messages\[0\]: nothing left to send/,
    );
  });
});
