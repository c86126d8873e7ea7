import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../../../src/executors/types.ts';
import { mapOpenAIResponse } from '../../../src/providers/openai/map-response.ts';
import { OpenAIResponsesStreamAccumulator, parseOpenAIResponsesEvent } from '../../../src/providers/openai/map-responses-stream.ts';
import { openaiResponseSchema, type ResponsesStreamEvent } from '../../../src/providers/openai/schemas.ts';
import { jsonFixture, sseEvents, sseFixture, textOf } from './fixtures.ts';

const meta = { statusCode: 200, headers: {} };

async function accumulate(transcript: string) {
  const accumulator = new OpenAIResponsesStreamAccumulator();
  const parts: StreamPart[] = [];
  const events: ResponsesStreamEvent[] = [];
  let skipped = 0;
  for (const sse of await sseEvents(transcript)) {
    const event = parseOpenAIResponsesEvent(sse);
    if (event === undefined) {
      skipped += 1;
      continue;
    }
    events.push(event);
    if (event.type === 'error' || event.type === 'response.failed') break;
    parts.push(...accumulator.push(event));
  }
  return { accumulator, parts, events, skipped };
}

describe('OpenAIResponsesStreamAccumulator', () => {
  it.each(['responses-text', 'responses-function-call'])('ends with the same result as the JSON answer (%s)', async (name) => {
    const { accumulator } = await accumulate(sseFixture(name));
    expect(accumulator.finished).toBe(true);
    const json = jsonFixture(name);
    expect(accumulator.responseBody()).toEqual(json);
    expect(accumulator.result(meta)).toEqual(mapOpenAIResponse(openaiResponseSchema.parse(json), meta));
  });

  it('emits text deltas and skips the events it does not read', async () => {
    const { parts, skipped } = await accumulate(sseFixture('responses-text'));
    expect(textOf(parts)).toBe('Hello! How can I help you today?');
    expect(parts.every((part) => part.type === 'text-delta')).toBe(true);
    // content_part.added, output_text.done, content_part.done, output_item.done
    expect(skipped).toBe(4);
  });

  it('emits tool-call deltas for a function call', async () => {
    const { parts } = await accumulate(sseFixture('responses-function-call'));
    const deltas = parts.filter((part) => part.type === 'tool-call-delta');
    expect(deltas[0]).toEqual({
      type: 'tool-call-delta',
      index: 0,
      id: 'call_Jr4tWq8Ln2Xc6Vb0Mz5Ks1Hd',
      name: 'get_weather',
      argumentsDelta: '',
    });
    expect(deltas.map((part) => (part.type === 'tool-call-delta' ? part.argumentsDelta : '')).join('')).toBe(
      '{"location":"Paris, France"}',
    );
  });

  it('hands error events and response.failed to the caller', async () => {
    const errored = await accumulate(sseFixture('responses-stream-error'));
    expect(textOf(errored.parts)).toBe('Once upon');
    expect(errored.events.at(-1)).toMatchObject({ type: 'error', code: 'server_error' });
    expect(errored.accumulator.finished).toBe(false);

    const failed = await accumulate(sseFixture('responses-failed'));
    expect(failed.events.at(-1)).toMatchObject({
      type: 'response.failed',
      response: { status: 'failed', error: { code: 'rate_limit_exceeded' } },
    });
  });

  it('is not finished, and has no body, when the stream stops early', async () => {
    const transcript = sseFixture('responses-text');
    const { accumulator } = await accumulate(transcript.slice(0, transcript.indexOf('event: response.completed')));
    expect(accumulator.finished).toBe(false);
    expect(() => accumulator.responseBody()).toThrow(/ended before response.completed/);
  });
});
