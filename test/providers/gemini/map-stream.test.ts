import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../../../src/executors/types.ts';
import { readSseEvents } from '../../../src/http/sse.ts';
import { mapGeminiResponse } from '../../../src/providers/gemini/map-response.ts';
import { GeminiStreamAccumulator, parseGeminiStreamFrame, type GeminiStreamFrame } from '../../../src/providers/gemini/map-stream.ts';
import { geminiResponseSchema } from '../../../src/providers/gemini/schemas.ts';
import { responseFixture, sseFixture } from './fixtures.ts';

const meta = { statusCode: 200, headers: {} };

async function framesOf(transcript: string): Promise<GeminiStreamFrame[]> {
  async function* body(): AsyncGenerator<string> {
    // Small pieces, so frames arrive split across reads as they do over a socket.
    for (let index = 0; index < transcript.length; index += 37) yield transcript.slice(index, index + 37);
  }
  const frames: GeminiStreamFrame[] = [];
  for await (const event of readSseEvents(body())) frames.push(parseGeminiStreamFrame(event));
  return frames;
}

async function accumulate(transcript: string): Promise<{ accumulator: GeminiStreamAccumulator; parts: StreamPart[] }> {
  const accumulator = new GeminiStreamAccumulator({ statusCode: 200, accountId: 'gem' });
  const parts: StreamPart[] = [];
  for (const frame of await framesOf(transcript)) {
    if (frame.type !== 'chunk') throw new Error('unexpected error frame');
    parts.push(...accumulator.push(frame.response));
  }
  return { accumulator, parts };
}

describe('GeminiStreamAccumulator', () => {
  it('rebuilds the JSON answer from a text stream, with text deltas', async () => {
    const { accumulator, parts } = await accumulate(sseFixture('text'));
    expect(parts).toEqual([
      { type: 'text-delta', text: 'Hello' },
      { type: 'text-delta', text: '! How can I' },
      { type: 'text-delta', text: ' help you today?' },
    ]);
    expect(accumulator.finished).toBe(true);
    expect(accumulator.responseBody()).toEqual(responseFixture('text'));
    const expected = mapGeminiResponse(geminiResponseSchema.parse(responseFixture('text')), meta);
    expect(accumulator.result(meta)).toEqual(expected);
    expect(accumulator.finalParts(meta).map((part) => part.type)).toEqual(['usage', 'finish', 'done']);
  });

  it('streams function calls whole and rebuilds the JSON answer', async () => {
    const { accumulator, parts } = await accumulate(sseFixture('function-call'));
    expect(parts).toEqual([
      {
        type: 'tool-call-delta',
        index: 0,
        id: 'call_0',
        name: 'get_weather',
        argumentsDelta: '{"location":"Boston, MA","unit":"celsius"}',
      },
      { type: 'tool-call-delta', index: 1, id: 'call_1', name: 'get_time', argumentsDelta: '{"timezone":"America/New_York"}' },
    ]);
    expect(accumulator.responseBody()).toEqual(responseFixture('function-call'));
    expect(accumulator.result(meta).finishReason).toEqual({ unified: 'tool_calls', raw: 'STOP' });
  });

  it('is not finished until a chunk carries a finishReason', async () => {
    const transcript = sseFixture('text');
    const withoutLast = transcript.slice(0, transcript.lastIndexOf('data: '));
    const { accumulator } = await accumulate(withoutLast);
    expect(accumulator.finished).toBe(false);
  });

  it('finishes on a blocked prompt and reports it as content_filter', async () => {
    const { accumulator, parts } = await accumulate(sseFixture('prompt-blocked'));
    expect(parts).toEqual([]);
    expect(accumulator.finished).toBe(true);
    const error = accumulator.blockedError({ 'x-goog-request-id': 'r' });
    expect(error?.kind).toBe('content_filter');
    expect(error?.headers).toEqual({ 'x-goog-request-id': 'r' });
  });

  it('merges thought and answer text separately and keeps a late usage chunk', () => {
    const accumulator = new GeminiStreamAccumulator();
    const push = (chunk: unknown) => accumulator.push(geminiResponseSchema.parse(chunk));
    const thoughts = push({ candidates: [{ content: { role: 'model', parts: [{ text: 'Think ', thought: true }] } }] });
    push({ candidates: [{ content: { role: 'model', parts: [{ text: 'more.', thought: true }] } }] });
    const answer = push({ candidates: [{ content: { role: 'model', parts: [{ text: 'Yes' }] } }] });
    push({ candidates: [{ content: { role: 'model', parts: [{ text: '', thoughtSignature: 'sig' }] }, finishReason: 'STOP' }] });
    expect(accumulator.finished).toBe(true);
    push({ usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1, thoughtsTokenCount: 4 } });
    expect(thoughts).toEqual([]);
    expect(answer).toEqual([{ type: 'text-delta', text: 'Yes' }]);
    expect(accumulator.responseBody().candidates?.[0]?.content?.parts).toEqual([
      { text: 'Think more.', thought: true },
      { text: 'Yes', thoughtSignature: 'sig' },
    ]);
    const result = accumulator.result(meta);
    expect(result.text).toBe('Yes');
    expect(result.usage.outputTokens).toBe(5);
  });
});

describe('parseGeminiStreamFrame', () => {
  it('recognizes an error frame inside the stream', async () => {
    const frames = await framesOf(sseFixture('error'));
    expect(frames.map((frame) => frame.type)).toEqual(['chunk', 'error']);
    const last = frames[1];
    expect(last?.type === 'error' && last.body.error.status).toBe('UNAVAILABLE');
  });

  it('throws a retryable server error for a frame that is not JSON or not a response', () => {
    for (const data of ['{not json', '{"hello":1}']) {
      let caught: unknown;
      try {
        parseGeminiStreamFrame({ event: undefined, data, id: undefined }, { statusCode: 200 });
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ kind: 'server', retryable: true, statusCode: 200 });
    }
  });
});
