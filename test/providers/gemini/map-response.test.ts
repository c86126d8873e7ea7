import { describe, expect, it } from 'vitest';
import { isProviderError } from '../../../src/executors/errors.ts';
import { mapGeminiFinishReason, mapGeminiResponse, mapGeminiUsage } from '../../../src/providers/gemini/map-response.ts';
import { geminiResponseSchema } from '../../../src/providers/gemini/schemas.ts';
import { responseFixture, type ResponseFixture } from './fixtures.ts';

const meta = { statusCode: 200, headers: { 'x-goog-request-id': 'r1' }, accountId: 'gem' };

function mapFixture(name: ResponseFixture) {
  return mapGeminiResponse(geminiResponseSchema.parse(responseFixture(name)), meta);
}

describe('mapGeminiResponse', () => {
  it('maps a text answer, counting thoughts as output', () => {
    const result = mapFixture('text');
    expect(result.text).toBe('Hello! How can I help you today?');
    expect(result.toolCalls).toEqual([]);
    expect(result.finishReason).toEqual({ unified: 'stop', raw: 'STOP' });
    expect(result.usage).toEqual({
      inputTokens: 2,
      outputTokens: 9 + 27,
      cacheRead: 0,
      cacheWrite: 0,
      raw: responseFixture('text').usageMetadata,
    });
    expect(result.body).toEqual(responseFixture('text'));
    expect(result.statusCode).toBe(200);
    expect(result.headers).toEqual({ 'x-goog-request-id': 'r1' });
  });

  it('maps functionCall parts to tool calls, and the STOP to tool_calls', () => {
    const result = mapFixture('function-call');
    expect(result.text).toBe('');
    expect(result.toolCalls).toEqual([
      { id: 'call_0', name: 'get_weather', arguments: '{"location":"Boston, MA","unit":"celsius"}' },
      { id: 'call_1', name: 'get_time', arguments: '{"timezone":"America/New_York"}' },
    ]);
    expect(result.finishReason).toEqual({ unified: 'tool_calls', raw: 'STOP' });
    expect(result.usage.cacheRead).toBe(64);
    // promptTokenCount 71 includes the 64 cached tokens.
    expect(result.usage.inputTokens).toBe(7);
    expect(result.usage.outputTokens).toBe(33 + 64);
  });

  it('keeps a functionCall id when Gemini sends one', () => {
    const body = responseFixture('function-call');
    const parsed = geminiResponseSchema.parse({
      ...body,
      candidates: [{ content: { role: 'model', parts: [{ functionCall: { id: 'fc-9', name: 'f', args: {} } }] }, finishReason: 'STOP' }],
    });
    expect(mapGeminiResponse(parsed, meta).toolCalls).toEqual([{ id: 'fc-9', name: 'f', arguments: '{}' }]);
  });

  it('leaves thought summaries out of the text', () => {
    const result = mapFixture('thinking');
    expect(result.text).toBe('There are three "r"s in "strawberry".');
    expect(result.finishReason).toEqual({ unified: 'length', raw: 'MAX_TOKENS' });
    expect(result.usage.outputTokens).toBe(212);
  });

  it('maps a candidate stopped for SAFETY to a content_filter finish with no text', () => {
    const result = mapFixture('safety-stop');
    expect(result.text).toBe('');
    expect(result.finishReason).toEqual({ unified: 'content_filter', raw: 'SAFETY' });
    expect(result.usage.inputTokens).toBe(15);
  });

  it('throws a content_filter error for a blocked prompt', () => {
    let caught: unknown;
    try {
      mapFixture('prompt-blocked');
    } catch (error) {
      caught = error;
    }
    expect(isProviderError(caught)).toBe(true);
    if (!isProviderError(caught)) return;
    expect(caught.kind).toBe('content_filter');
    expect(caught.retryable).toBe(false);
    expect(caught.message).toContain('PROHIBITED_CONTENT');
    expect(caught.message).toContain('gem');
    expect(caught.rawBody).toEqual(responseFixture('prompt-blocked'));
  });

  it('rejects a body that is not a GenerateContentResponse', () => {
    expect(geminiResponseSchema.safeParse({ hello: 'world' }).success).toBe(false);
    expect(geminiResponseSchema.safeParse({ candidates: 'no' }).success).toBe(false);
  });
});

describe('mapGeminiFinishReason', () => {
  it.each([
    ['STOP', 'stop'],
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['BLOCKLIST', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['SPII', 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', 'other'],
    ['OTHER', 'other'],
    ['SOMETHING_NEW', 'other'],
  ])('%s → %s', (raw, unified) => {
    expect(mapGeminiFinishReason(raw)).toEqual({ unified, raw });
  });

  it('gives null for a missing reason, and tool_calls only for a STOP with calls', () => {
    expect(mapGeminiFinishReason(undefined)).toEqual({ unified: 'other', raw: null });
    expect(mapGeminiFinishReason('STOP', true)).toEqual({ unified: 'tool_calls', raw: 'STOP' });
    expect(mapGeminiFinishReason('MAX_TOKENS', true)).toEqual({ unified: 'length', raw: 'MAX_TOKENS' });
  });
});

describe('mapGeminiUsage', () => {
  it('gives zeros and a null raw without usageMetadata', () => {
    expect(mapGeminiUsage(undefined)).toEqual({ inputTokens: 0, outputTokens: 0, cacheRead: 0, cacheWrite: 0, raw: null });
  });
});
