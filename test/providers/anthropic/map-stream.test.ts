import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../../../src/executors/types.ts';
import { readSseEvents } from '../../../src/http/sse.ts';
import { AnthropicStreamAccumulator, parseAnthropicStreamEvent } from '../../../src/providers/anthropic/map-stream.ts';
import { mapAnthropicMessage } from '../../../src/providers/anthropic/map-response.ts';
import { anthropicMessageSchema } from '../../../src/providers/anthropic/schemas.ts';
import { isProviderError } from '../../../src/executors/errors.ts';
import { messageFixture, sseFixture } from './fixtures.ts';

const meta = { statusCode: 200, headers: {} };

/** Feeds an SSE transcript through the accumulator in uneven chunks. */
async function accumulate(transcript: string) {
  const chunks = transcript.match(/[\s\S]{1,37}/g) ?? [];
  async function* body() {
    for (const chunk of chunks) yield Buffer.from(chunk);
  }
  const accumulator = new AnthropicStreamAccumulator();
  const parts: StreamPart[] = [];
  for await (const sse of readSseEvents(body())) {
    const event = parseAnthropicStreamEvent(sse);
    if (event === undefined || event.type === 'error') continue;
    parts.push(...accumulator.push(event));
  }
  return { accumulator, parts };
}

describe('AnthropicStreamAccumulator', () => {
  it.each(['text', 'tool-use', 'thinking'] as const)('rebuilds exactly the non-streaming body (%s)', async (name) => {
    const { accumulator } = await accumulate(sseFixture(name));
    expect(accumulator.finished).toBe(true);
    expect(accumulator.messageBody()).toEqual(messageFixture(name));
    const streamed = accumulator.result(meta);
    const direct = mapAnthropicMessage(anthropicMessageSchema.parse(messageFixture(name)), meta);
    expect(streamed).toEqual(direct);
  });

  it('emits text deltas for text blocks only', async () => {
    const { parts } = await accumulate(sseFixture('thinking'));
    expect(parts).toEqual([{ type: 'text-delta', text: '27 * 453 = 12,231' }]);
  });

  it('assembles tool-use input from input_json_delta and emits tool-call deltas', async () => {
    const { accumulator, parts } = await accumulate(sseFixture('tool-use'));
    const toolParts = parts.filter((part) => part.type === 'tool-call-delta');
    expect(toolParts).toEqual([
      { type: 'tool-call-delta', index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', argumentsDelta: '' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"location": "San Fra' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: 'ncisco, CA", "unit": "fah' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: 'renheit"}' },
    ]);
    const joined = toolParts.map((part) => (part.type === 'tool-call-delta' ? part.argumentsDelta : '')).join('');
    expect(JSON.parse(joined)).toEqual({ location: 'San Francisco, CA', unit: 'fahrenheit' });
    expect(accumulator.result(meta).toolCalls).toEqual([
      {
        id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
        name: 'get_weather',
        arguments: '{"location":"San Francisco, CA","unit":"fahrenheit"}',
      },
    ]);
  });

  it('keeps a tool call with no arguments as {}', () => {
    const accumulator = new AnthropicStreamAccumulator();
    accumulator.push({
      type: 'message_start',
      message: anthropicMessageSchema.parse({ ...messageFixture('tool-use'), content: [], stop_reason: null }),
    });
    accumulator.push({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'tool_use', id: 'toolu_x', name: 'now', input: {} },
    });
    accumulator.push({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '' } });
    accumulator.push({ type: 'content_block_stop', index: 0 });
    accumulator.push({ type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 3 } });
    accumulator.push({ type: 'message_stop' });
    expect(accumulator.result(meta).toolCalls).toEqual([{ id: 'toolu_x', name: 'now', arguments: '{}' }]);
  });

  it('keeps the raw text of tool input cut short by max_tokens', () => {
    const accumulator = new AnthropicStreamAccumulator();
    accumulator.push({
      type: 'message_start',
      message: anthropicMessageSchema.parse({ ...messageFixture('tool-use'), content: [], stop_reason: null }),
    });
    accumulator.push({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'tool_use', id: 'toolu_y', name: 'f', input: {} },
    });
    accumulator.push({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'input_json_delta', partial_json: '{"a": "unfinis' },
    });
    accumulator.push({ type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 9 } });
    accumulator.push({ type: 'message_stop' });
    const result = accumulator.result(meta);
    expect(result.toolCalls).toEqual([{ id: 'toolu_y', name: 'f', arguments: '{"a": "unfinis' }]);
    expect(result.finishReason).toEqual({ unified: 'length', raw: 'max_tokens' });
  });

  it('rejects events before message_start as a malformed (server) answer', () => {
    const accumulator = new AnthropicStreamAccumulator({ statusCode: 200 });
    let caught: unknown;
    try {
      accumulator.push({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    } catch (error) {
      caught = error;
    }
    expect(isProviderError(caught) && caught.kind).toBe('server');
  });
});

describe('parseAnthropicStreamEvent', () => {
  it('skips unknown event types', () => {
    expect(parseAnthropicStreamEvent({ event: 'future', data: '{"type":"future_thing"}', id: undefined })).toBe(undefined);
  });

  it('parses an error event', () => {
    const event = parseAnthropicStreamEvent({
      event: 'error',
      data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
      id: undefined,
    });
    expect(event).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
  });

  it('throws a server ProviderError for non-JSON data', () => {
    expect(() => parseAnthropicStreamEvent({ event: 'message_start', data: '{nope', id: undefined })).toThrow(/not JSON/);
  });
});
