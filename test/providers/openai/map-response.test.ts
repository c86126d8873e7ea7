import { describe, expect, it } from 'vitest';
import { mapOpenAIChatCompletion, mapOpenAIFinishReason, mapOpenAIResponse } from '../../../src/providers/openai/map-response.ts';
import { openaiChatCompletionSchema, openaiResponseSchema } from '../../../src/providers/openai/schemas.ts';
import { jsonFixture } from './fixtures.ts';

const meta = { statusCode: 200, headers: { 'x-request-id': 'req_1' } };

describe('mapOpenAIChatCompletion', () => {
  it('maps a text answer', () => {
    const body = jsonFixture('chat-text');
    const result = mapOpenAIChatCompletion(openaiChatCompletionSchema.parse(body), meta);
    expect(result).toEqual({
      text: 'Hello! How can I help you today?',
      toolCalls: [],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: { inputTokens: 19, outputTokens: 10, cacheRead: 0, cacheWrite: 0, raw: body.usage },
      statusCode: 200,
      body,
      headers: meta.headers,
    });
  });

  it('maps tool calls and counts cached prompt tokens as cache reads', () => {
    const body = jsonFixture('chat-tool-calls');
    const result = mapOpenAIChatCompletion(openaiChatCompletionSchema.parse(body), meta);
    expect(result.text).toBe('');
    expect(result.finishReason).toEqual({ unified: 'tool_calls', raw: 'tool_calls' });
    expect(result.toolCalls).toEqual([
      { id: 'call_Vq3mJ8xRk2LdT5nWp0aHsZ4e', name: 'get_weather', arguments: '{"location": "Paris, France", "unit": "celsius"}' },
      { id: 'call_B7nYt1cFq9XwE3uMz6oKjR2g', name: 'get_local_time', arguments: '{"timezone": "Europe/Paris"}' },
    ]);
    // prompt_tokens 1180 is the whole prompt: 1024 of it came from the cache.
    expect(result.usage).toMatchObject({ inputTokens: 156, outputTokens: 46, cacheRead: 1024, cacheWrite: 0 });
  });

  it('keeps reasoning tokens in raw usage and reads a legacy function_call', () => {
    const body = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'o3-mini',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: null, function_call: { name: 'lookup', arguments: '{"q":"x"}' } },
          finish_reason: 'function_call',
        },
      ],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 300,
        total_tokens: 310,
        completion_tokens_details: { reasoning_tokens: 256 },
      },
    };
    const result = mapOpenAIChatCompletion(openaiChatCompletionSchema.parse(body), meta);
    expect(result.toolCalls).toEqual([{ id: '', name: 'lookup', arguments: '{"q":"x"}' }]);
    expect(result.finishReason.unified).toBe('tool_calls');
    expect(result.usage.outputTokens).toBe(300);
    expect((result.usage.raw as typeof body.usage).completion_tokens_details.reasoning_tokens).toBe(256);
  });

  it('gives zero usage when the body has none', () => {
    const body = { ...jsonFixture('chat-text'), usage: undefined };
    const result = mapOpenAIChatCompletion(openaiChatCompletionSchema.parse(body), meta);
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0, cacheRead: 0, cacheWrite: 0, raw: null });
  });
});

describe('mapOpenAIFinishReason', () => {
  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['tool_calls', 'tool_calls'],
    ['function_call', 'tool_calls'],
    ['content_filter', 'content_filter'],
    ['something_new', 'other'],
  ] as const)('%s → %s', (raw, unified) => {
    expect(mapOpenAIFinishReason(raw)).toEqual({ unified, raw });
  });

  it('keeps a missing finish reason as null', () => {
    expect(mapOpenAIFinishReason(null)).toEqual({ unified: 'other', raw: null });
  });
});

describe('mapOpenAIResponse', () => {
  it('maps a text answer', () => {
    const body = jsonFixture('responses-text');
    const result = mapOpenAIResponse(openaiResponseSchema.parse(body), meta);
    expect(result).toEqual({
      text: 'Hello! How can I help you today?',
      toolCalls: [],
      finishReason: { unified: 'stop', raw: 'completed' },
      usage: { inputTokens: 12, outputTokens: 10, cacheRead: 0, cacheWrite: 0, raw: body.usage },
      statusCode: 200,
      body,
      headers: meta.headers,
    });
  });

  it('maps a function call', () => {
    const result = mapOpenAIResponse(openaiResponseSchema.parse(jsonFixture('responses-function-call')), meta);
    expect(result.toolCalls).toEqual([
      { id: 'call_Jr4tWq8Ln2Xc6Vb0Mz5Ks1Hd', name: 'get_weather', arguments: '{"location":"Paris, France"}' },
    ]);
    expect(result.finishReason).toEqual({ unified: 'tool_calls', raw: 'completed' });
    expect(result.usage).toMatchObject({ inputTokens: 150, outputTokens: 18, cacheRead: 1152 });
  });

  it('maps an incomplete answer by its reason', () => {
    const base = jsonFixture('responses-text');
    const cut = openaiResponseSchema.parse({ ...base, status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(mapOpenAIResponse(cut, meta).finishReason).toEqual({ unified: 'length', raw: 'max_output_tokens' });
    const filtered = openaiResponseSchema.parse({ ...base, status: 'incomplete', incomplete_details: { reason: 'content_filter' } });
    expect(mapOpenAIResponse(filtered, meta).finishReason).toEqual({ unified: 'content_filter', raw: 'content_filter' });
  });
});
