import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../../../src/executors/types.ts';
import { isProviderError } from '../../../src/executors/errors.ts';
import { mapOpenAIChatCompletion } from '../../../src/providers/openai/map-response.ts';
import { OpenAIChatStreamAccumulator, parseOpenAIChatStreamFrame, type ChatStreamFrame } from '../../../src/providers/openai/map-stream.ts';
import { openaiChatCompletionSchema } from '../../../src/providers/openai/schemas.ts';
import { jsonFixture, sseEvents, sseFixture, textOf } from './fixtures.ts';

const meta = { statusCode: 200, headers: {} };

/** Feeds a chat transcript through the accumulator; stops at an error frame. */
async function accumulate(transcript: string) {
  const accumulator = new OpenAIChatStreamAccumulator();
  const parts: StreamPart[] = [];
  const frames: ChatStreamFrame[] = [];
  for (const sse of await sseEvents(transcript)) {
    const frame = parseOpenAIChatStreamFrame(sse);
    frames.push(frame);
    if (frame.type === 'error') break;
    parts.push(...accumulator.push(frame));
  }
  return { accumulator, parts, frames };
}

describe('OpenAIChatStreamAccumulator', () => {
  it.each([
    ['chat-text', 'openai'],
    ['chat-tool-calls', 'openai'],
    ['chat-text', 'azure-openai'],
  ] as const)('rebuilds exactly the non-streaming body (%s, %s)', async (name, provider) => {
    const { accumulator } = await accumulate(sseFixture(name, provider));
    expect(accumulator.finished).toBe(true);
    const json = jsonFixture(name, provider);
    expect(accumulator.completionBody()).toEqual(json);
    expect(accumulator.result(meta)).toEqual(mapOpenAIChatCompletion(openaiChatCompletionSchema.parse(json), meta));
  });

  it('emits the text as it arrives', async () => {
    const { parts } = await accumulate(sseFixture('chat-text'));
    expect(parts.map((part) => part.type)).toEqual(['text-delta', 'text-delta', 'text-delta', 'text-delta']);
    expect(textOf(parts)).toBe('Hello! How can I help you today?');
  });

  it('emits tool-call deltas that add up to each call', async () => {
    const { parts } = await accumulate(sseFixture('chat-tool-calls'));
    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    for (const part of parts) {
      if (part.type !== 'tool-call-delta') continue;
      const call = calls.get(part.index) ?? { args: '' };
      if (part.id) call.id = part.id;
      if (part.name) call.name = part.name;
      call.args += part.argumentsDelta;
      calls.set(part.index, call);
    }
    expect([...calls.values()]).toEqual([
      { id: 'call_Vq3mJ8xRk2LdT5nWp0aHsZ4e', name: 'get_weather', args: '{"location": "Paris, France", "unit": "celsius"}' },
      { id: 'call_B7nYt1cFq9XwE3uMz6oKjR2g', name: 'get_local_time', args: '{"timezone": "Europe/Paris"}' },
    ]);
    expect(parts.some((part) => part.type === 'text-delta')).toBe(false);
  });

  it('ends with usage, finish and done parts', async () => {
    const { accumulator } = await accumulate(sseFixture('chat-tool-calls'));
    const final = accumulator.finalParts(meta);
    expect(final.map((part) => part.type)).toEqual(['usage', 'finish', 'done']);
    expect(final[0]).toMatchObject({ type: 'usage', usage: { inputTokens: 156, outputTokens: 46, cacheRead: 1024 } });
    expect(final[1]).toEqual({ type: 'finish', finishReason: { unified: 'tool_calls', raw: 'tool_calls' } });
  });

  it('is not finished without [DONE], even after the usage chunk', async () => {
    const transcript = sseFixture('chat-text');
    const { accumulator } = await accumulate(transcript.slice(0, transcript.indexOf('data: [DONE]')));
    expect(accumulator.finished).toBe(false);
  });

  it('hands an error frame inside the stream to the caller', async () => {
    const { frames, parts } = await accumulate(sseFixture('chat-stream-error'));
    expect(textOf(parts)).toBe('Once upon');
    expect(frames.at(-1)).toEqual({
      type: 'error',
      error: {
        message: 'The server had an error while processing your request. Sorry about that!',
        type: 'server_error',
        param: null,
        code: null,
      },
      rawBody: {
        error: {
          message: 'The server had an error while processing your request. Sorry about that!',
          type: 'server_error',
          param: null,
          code: null,
        },
      },
    });
  });

  it('assembles logprobs and a refusal', () => {
    const accumulator = new OpenAIChatStreamAccumulator();
    const chunk = (delta: Record<string, unknown>, logprobs: Record<string, unknown> | null, finish: string | null = null) =>
      accumulator.push({
        type: 'chunk',
        chunk: {
          id: 'c1',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'm',
          choices: [{ index: 0, delta, logprobs, finish_reason: finish }],
        },
      });
    chunk({ role: 'assistant', refusal: '' }, { content: null, refusal: [{ token: 'I', logprob: -0.1 }] });
    chunk({ refusal: "I can't help" }, { content: null, refusal: [{ token: " can't", logprob: -0.2 }] });
    chunk({}, null, 'stop');
    accumulator.push({ type: 'done' });
    const body = accumulator.completionBody();
    expect(body.choices[0]?.message.refusal).toBe("I can't help");
    expect(body.choices[0]?.message.content).toBeNull();
    expect(body.choices[0]?.logprobs).toEqual({
      content: null,
      refusal: [
        { token: 'I', logprob: -0.1 },
        { token: " can't", logprob: -0.2 },
      ],
    });
  });

  it('reports a stream that never sent a chunk as malformed', () => {
    const accumulator = new OpenAIChatStreamAccumulator({ accountId: 'a' });
    accumulator.push({ type: 'done' });
    expect(() => accumulator.completionBody()).toThrow(/no chunk with an id/);
  });
});

describe('parseOpenAIChatStreamFrame', () => {
  it('reads [DONE]', () => {
    expect(parseOpenAIChatStreamFrame({ event: undefined, data: '[DONE]', id: undefined })).toEqual({ type: 'done' });
  });

  it.each(['{not json', '{"object":"chat.completion.chunk"}', '[1,2]'])('throws a server error for %s', (data) => {
    let caught: unknown;
    try {
      parseOpenAIChatStreamFrame({ event: undefined, data, id: undefined }, { statusCode: 200, accountId: 'acct-9' });
    } catch (error) {
      caught = error;
    }
    expect(isProviderError(caught) && caught.kind).toBe('server');
    expect((caught as Error).message).toContain('acct-9');
  });
});
