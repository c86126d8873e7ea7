import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/executors/types.ts';
import { mapAnthropicMessage } from '../../../src/providers/anthropic/map-response.ts';
import { anthropicMessageSchema } from '../../../src/providers/anthropic/schemas.ts';
import { mapGeminiResponse } from '../../../src/providers/gemini/map-response.ts';
import { geminiResponseSchema } from '../../../src/providers/gemini/schemas.ts';
import { toChatCompletion } from '../../../src/translate/openai-chat/from-result.ts';

const meta = { statusCode: 200, headers: {} };
const now = Date.UTC(2025, 5, 1, 12, 0, 0);

function fixture(provider: 'anthropic' | 'gemini', name: string): JsonObject {
  return JSON.parse(readFileSync(new URL(`../../../src/providers/${provider}/fixtures/${name}`, import.meta.url), 'utf8')) as JsonObject;
}
const anthropicResult = (name: string) => mapAnthropicMessage(anthropicMessageSchema.parse(fixture('anthropic', name)), meta);
const geminiResult = (name: string) => mapGeminiResponse(geminiResponseSchema.parse(fixture('gemini', name)), meta);

describe('ExecuteResult → chat.completion', () => {
  it('maps an Anthropic tool-use answer: text, tool calls, finish reason, usage', () => {
    expect(toChatCompletion(anthropicResult('message-tool-use.json'), { provider: 'anthropic', model: 'claude-sonnet-4-5', now })).toEqual({
      id: 'msg_01Aq9w938a90dw8q',
      object: 'chat.completion',
      created: now / 1000,
      model: 'claude-sonnet-4-5-20250929',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: "I'll check the current weather in San Francisco for you.",
            tool_calls: [
              {
                id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"location":"San Francisco, CA","unit":"fahrenheit"}' },
              },
            ],
            refusal: null,
          },
          finish_reason: 'tool_calls',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 472, completion_tokens: 89, total_tokens: 561, prompt_tokens_details: { cached_tokens: 0 } },
    });
  });

  it('counts Anthropic cache reads and writes into prompt_tokens, as OpenAI does, and reports the reads as cached', () => {
    const completion = toChatCompletion(anthropicResult('message-text.json'), { provider: 'bedrock', model: 'x', now });
    expect(completion.choices[0].message).toEqual({ role: 'assistant', content: 'Hello! How can I help you today?', refusal: null });
    expect(completion.choices[0].finish_reason).toBe('stop');
    // input_tokens 21 + cache writes 188 + cache reads 1024
    expect(completion.usage).toEqual({
      prompt_tokens: 1233,
      completion_tokens: 12,
      total_tokens: 1245,
      prompt_tokens_details: { cached_tokens: 1024 },
    });
  });

  it('maps a Gemini function-call answer, with null content and the thought signature kept for the next turn', () => {
    const completion = toChatCompletion(geminiResult('response-function-call.json'), {
      provider: 'gemini',
      model: 'gemini-2.5-flash',
      now,
    });
    expect(completion).toMatchObject({ id: '0HhWaOyiBrG4xN8PqYmW6Qk', model: 'gemini-2.5-flash' });
    expect(completion.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_0',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"location":"Boston, MA","unit":"celsius"}' },
            extra_content: { google: { thought_signature: 'CiQB0e2Kb7rQ1nX4yqW3nSYFJ9m0D2V5pYg2bT8cHq9sZk1fQx4SLgHR7YpvxN0bQ8QjO9xZ' } },
          },
          { id: 'call_1', type: 'function', function: { name: 'get_time', arguments: '{"timezone":"America/New_York"}' } },
        ],
        refusal: null,
      },
      finish_reason: 'tool_calls',
      logprobs: null,
    });
    // promptTokenCount already includes the 64 cached tokens; thinking tokens count as completion.
    expect(completion.usage).toEqual({
      prompt_tokens: 71,
      completion_tokens: 97,
      total_tokens: 168,
      prompt_tokens_details: { cached_tokens: 64 },
    });
  });

  it('maps length and content-filter endings, and names a completion itself when the answer has no id', () => {
    const safety = toChatCompletion(geminiResult('response-safety-stop.json'), { provider: 'gemini', model: 'gemini-2.5-pro', now });
    expect(safety.choices[0].finish_reason).toBe('content_filter');

    const base = anthropicResult('message-text.json');
    const cut = toChatCompletion(
      { ...base, finishReason: { unified: 'length', raw: 'max_tokens' }, body: {} },
      { provider: 'anthropic', model: 'claude-haiku-4-5', now },
    );
    expect(cut.choices[0].finish_reason).toBe('length');
    expect(cut.model).toBe('claude-haiku-4-5');
    expect(cut.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
  });
});
