import { describe, expect, it } from 'vitest';
import { mapAnthropicFinishReason, mapAnthropicMessage, mapAnthropicUsage } from '../../../src/providers/anthropic/map-response.ts';
import { anthropicMessageSchema } from '../../../src/providers/anthropic/schemas.ts';
import { messageFixture } from './fixtures.ts';

const meta = { statusCode: 200, headers: { 'request-id': 'req_1' } };

describe('mapAnthropicMessage', () => {
  it('maps a text answer, keeping the body and unknown fields', () => {
    const body = messageFixture('text');
    const result = mapAnthropicMessage(anthropicMessageSchema.parse(body), meta);
    expect(result.text).toBe('Hello! How can I help you today?');
    expect(result.toolCalls).toEqual([]);
    expect(result.finishReason).toEqual({ unified: 'stop', raw: 'end_turn' });
    expect(result.statusCode).toBe(200);
    expect(result.headers).toEqual({ 'request-id': 'req_1' });
    expect(result.body).toEqual(body);
    // Fields the schema does not name survive.
    expect((result.body.usage as Record<string, unknown>).service_tier).toBe('standard');
  });

  it('maps usage including the cache fields, raw kept', () => {
    const body = messageFixture('text');
    const result = mapAnthropicMessage(anthropicMessageSchema.parse(body), meta);
    expect(result.usage).toEqual({
      inputTokens: 21,
      outputTokens: 12,
      cacheRead: 1024,
      cacheWrite: 188,
      raw: body.usage,
    });
  });

  it('maps tool_use blocks to tool calls with JSON-text arguments', () => {
    const result = mapAnthropicMessage(anthropicMessageSchema.parse(messageFixture('tool-use')), meta);
    expect(result.text).toBe("I'll check the current weather in San Francisco for you.");
    expect(result.toolCalls).toEqual([
      {
        id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
        name: 'get_weather',
        arguments: '{"location":"San Francisco, CA","unit":"fahrenheit"}',
      },
    ]);
    expect(result.finishReason).toEqual({ unified: 'tool_calls', raw: 'tool_use' });
  });

  it('joins several text blocks and ignores thinking blocks in text', () => {
    const result = mapAnthropicMessage(
      anthropicMessageSchema.parse({
        ...messageFixture('thinking'),
        content: [
          { type: 'thinking', thinking: 'hmm', signature: 'sig' },
          { type: 'text', text: 'one ' },
          { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'x' } },
          { type: 'text', text: 'two' },
        ],
      }),
      meta,
    );
    expect(result.text).toBe('one two');
    expect(result.toolCalls).toEqual([]);
  });
});

describe('mapAnthropicFinishReason', () => {
  it.each([
    ['end_turn', 'stop'],
    ['max_tokens', 'length'],
    ['stop_sequence', 'stop_sequence'],
    ['tool_use', 'tool_calls'],
    ['pause_turn', 'pause'],
    ['refusal', 'refusal'],
    ['model_context_window_exceeded', 'length'],
    ['something_new', 'other'],
  ])('%s → %s', (raw, unified) => {
    expect(mapAnthropicFinishReason(raw)).toEqual({ unified, raw });
  });

  it('null → other with raw null', () => {
    expect(mapAnthropicFinishReason(null)).toEqual({ unified: 'other', raw: null });
  });
});

describe('mapAnthropicUsage', () => {
  it('treats missing or null cache fields as 0', () => {
    expect(mapAnthropicUsage({ input_tokens: 5, output_tokens: 7, cache_read_input_tokens: null })).toEqual({
      inputTokens: 5,
      outputTokens: 7,
      cacheRead: 0,
      cacheWrite: 0,
      raw: { input_tokens: 5, output_tokens: 7, cache_read_input_tokens: null },
    });
  });
});
