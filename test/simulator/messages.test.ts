import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeAnswer, countTokens, inputTokensOf, simulatedAnswer } from '../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { assembleStream, messagesBody, parseSse, postMessages } from './client.ts';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ models: ['claude-*', 'exact-model'] });
});
afterAll(async () => {
  await sim.close();
});

describe('POST /v1/messages', () => {
  it('answers a Message with the deterministic text and usage', async () => {
    const body = messagesBody('Tell me about the sea', { system: 'Be brief.' });
    const response = await postMessages(sim, body);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('request-id')).toMatch(/^req_\w+$/);
    const text = simulatedAnswer('Tell me about the sea');
    expect(response.json).toEqual({
      id: expect.stringMatching(/^msg_\w+$/),
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [{ type: 'text', text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: inputTokensOf(body),
        output_tokens: countTokens(text),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    });
  });

  it('streams the same text and usage as the JSON answer, in Anthropic event order', async () => {
    const body = messagesBody('Stream this answer please [[sim:words=20]]');
    const json = await postMessages(sim, body);
    const streamed = await postMessages(sim, { ...body, stream: true });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(streamed.headers.get('request-id')).toMatch(/^req_/);
    const events = parseSse(streamed.text);
    const names = events.map((event) => event.event);
    expect(names.slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    const deltas = names.filter((name) => name === 'content_block_delta');
    expect(deltas.length).toBeGreaterThan(3);
    expect(names.length).toBe(6 + deltas.length);
    for (const { event, data } of events) expect(data.type).toBe(event);

    const start = events[0]?.data.message as Record<string, unknown>;
    expect(start).toMatchObject({ type: 'message', role: 'assistant', content: [], stop_reason: null, stop_sequence: null });
    expect(events[1]?.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    expect(events.find((event) => event.event === 'content_block_delta')?.data).toMatchObject({
      index: 0,
      delta: { type: 'text_delta' },
    });

    const assembled = assembleStream(events);
    const message = json.json as { content: { text: string }[]; usage: Record<string, number>; stop_reason: string };
    expect(assembled.text).toBe(message.content[0]?.text);
    expect(assembled.inputTokens).toBe(message.usage.input_tokens);
    expect(assembled.outputTokens).toBe(message.usage.output_tokens);
    expect(assembled.stopReason).toBe(message.stop_reason);
    expect(assembled.stopSequence).toBeNull();
  });

  it('gives the same answer to the same prompt and different answers to different prompts', async () => {
    const first = await postMessages(sim, messagesBody('prompt one'));
    const again = await postMessages(sim, messagesBody('prompt one'));
    const other = await postMessages(sim, messagesBody('prompt two'));
    expect(first.json?.content).toEqual(again.json?.content);
    expect(first.json?.id).not.toBe(again.json?.id);
    expect(first.json?.content).not.toEqual(other.json?.content);
  });

  it('truncates to max_tokens, JSON and streamed alike', async () => {
    const prompt = 'Write a lot [[sim:words=200]]';
    const expected = composeAnswer(simulatedAnswer(prompt), 50, undefined);
    expect(expected.stopReason).toBe('max_tokens');
    const json = await postMessages(sim, messagesBody(prompt, { max_tokens: 50 }));
    expect(json.json).toMatchObject({
      content: [{ type: 'text', text: expected.text }],
      stop_reason: 'max_tokens',
      usage: { output_tokens: expected.outputTokens },
    });
    expect(expected.outputTokens).toBeLessThanOrEqual(50);
    const streamed = assembleStream(parseSse((await postMessages(sim, messagesBody(prompt, { max_tokens: 50, stream: true }))).text));
    expect(streamed).toMatchObject({ text: expected.text, stopReason: 'max_tokens', outputTokens: expected.outputTokens });
  });

  it('stops at a stop sequence', async () => {
    const prompt = 'alpha beta gamma delta';
    const json = await postMessages(sim, messagesBody(prompt, { stop_sequences: ['gamma'] }));
    const answer = simulatedAnswer(prompt);
    expect(json.json).toMatchObject({
      content: [{ text: answer.slice(0, answer.indexOf('gamma')) }],
      stop_reason: 'stop_sequence',
      stop_sequence: 'gamma',
    });
    const streamed = assembleStream(
      parseSse((await postMessages(sim, messagesBody(prompt, { stop_sequences: ['gamma'], stream: true }))).text),
    );
    expect(streamed).toMatchObject({ stopReason: 'stop_sequence', stopSequence: 'gamma' });
  });

  it('spaces deltas by streamChunkDelayMs and still assembles the same answer', async () => {
    const slow = await startSimulator({ streamChunkDelayMs: 20, streamChunkWords: 2, latencyMs: 50 });
    try {
      const prompt = 'Take your time [[sim:words=16]]';
      const started = Date.now();
      const streamed = await postMessages(slow, messagesBody(prompt, { stream: true }));
      const events = parseSse(streamed.text);
      const deltas = events.filter((event) => event.event === 'content_block_delta').length;
      expect(deltas).toBeGreaterThanOrEqual(10);
      expect(Date.now() - started).toBeGreaterThanOrEqual(50 + (deltas - 1) * 20 - 5);
      expect(assembleStream(events).text).toBe(simulatedAnswer(prompt));
    } finally {
      await slow.close();
    }
  });

  it('accepts authorization: Bearer', async () => {
    const response = await postMessages(sim, messagesBody('hi'), { key: null, headers: { authorization: 'Bearer tok' } });
    expect(response.status).toBe(200);
  });

  it('answers count_tokens', async () => {
    const body = messagesBody('count me', { system: 'sys' });
    const response = await postMessages(sim, body, { path: '/v1/messages/count_tokens' });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ input_tokens: inputTokensOf(body) });
  });
});

describe('request errors', () => {
  const errorOf = (response: { json: Record<string, unknown> | undefined }) =>
    response.json as { type: string; error: { type: string; message: string }; request_id: string };

  it('answers 401 without a key', async () => {
    const response = await postMessages(sim, messagesBody('hi'), { key: null });
    expect(response.status).toBe(401);
    expect(errorOf(response)).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: expect.any(String) },
      request_id: response.headers.get('request-id'),
    });
  });

  it('answers 401 for an unlisted key when acceptAnyKey is false', async () => {
    const closed = await startSimulator({ acceptAnyKey: false, keys: [{ key: 'good' }] });
    try {
      expect((await postMessages(closed, messagesBody('hi'), { key: 'good' })).status).toBe(200);
      const response = await postMessages(closed, messagesBody('hi'), { key: 'bad' });
      expect(response.status).toBe(401);
      expect(errorOf(response).error.type).toBe('authentication_error');
    } finally {
      await closed.close();
    }
  });

  it.each([
    ['a missing model', { max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }, /^model: /],
    ['a missing max_tokens', { model: 'claude-x', messages: [{ role: 'user', content: 'x' }] }, /^max_tokens: /],
    ['max_tokens 0', { model: 'claude-x', max_tokens: 0, messages: [{ role: 'user', content: 'x' }] }, /^max_tokens: /],
    ['a fractional max_tokens', { model: 'claude-x', max_tokens: 1.5, messages: [{ role: 'user', content: 'x' }] }, /^max_tokens: /],
    ['no messages', { model: 'claude-x', max_tokens: 10, messages: [] }, /^messages: /],
    ['messages not a list', { model: 'claude-x', max_tokens: 10, messages: 'x' }, /^messages: /],
    ['a bad role', { model: 'claude-x', max_tokens: 10, messages: [{ role: 'system', content: 'x' }] }, /^messages\.0\.role: /],
    [
      'an assistant first',
      {
        model: 'claude-x',
        max_tokens: 10,
        messages: [
          { role: 'assistant', content: 'x' },
          { role: 'user', content: 'y' },
        ],
      },
      /^messages: first message/,
    ],
    ['empty content', { model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: '' }] }, /^messages\.0: /],
    [
      'a content block without type',
      { model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: [{ text: 'x' }] }] },
      /^messages\.0\.content\.0\.type: /,
    ],
    [
      'an unknown field',
      { model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'x' }], anthropic_version: 'bedrock-2023-05-31' },
      /^anthropic_version: Extra inputs/,
    ],
    ['a bad stream flag', { model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'x' }], stream: 'yes' }, /^stream: /],
    [
      'temperature above 1',
      { model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'x' }], temperature: 2 },
      /^temperature: /,
    ],
    [
      'a typo in a directive',
      { model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: '[[sim:fault=overload]]' }] },
      /unknown fault/,
    ],
    ['a body that is not JSON', '{"model": ', /error parsing the body/],
  ])('answers 400 invalid_request_error for %s', async (_name, body, message) => {
    const response = await postMessages(sim, body);
    expect(response.status).toBe(400);
    expect(errorOf(response).type).toBe('error');
    expect(errorOf(response).error.type).toBe('invalid_request_error');
    expect(errorOf(response).error.message).toMatch(message);
    expect(errorOf(response).request_id).toMatch(/^req_/);
  });

  it('answers 400 without anthropic-version', async () => {
    const response = await fetch(`${sim.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
      body: JSON.stringify(messagesBody('hi')),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { type: string; message: string } };
    expect(body.error).toEqual({ type: 'invalid_request_error', message: expect.stringMatching(/anthropic-version/) });
  });

  it('answers 404 not_found_error for an unknown model, path', async () => {
    const model = await postMessages(sim, messagesBody('hi', { model: 'gpt-4o' }));
    expect(model.status).toBe(404);
    expect(errorOf(model).error).toEqual({ type: 'not_found_error', message: 'model: gpt-4o' });
    expect((await postMessages(sim, messagesBody('hi', { model: 'exact-model' }))).status).toBe(200);
    const path = await postMessages(sim, messagesBody('hi'), { path: '/v1/nothing' });
    expect(path.status).toBe(404);
    expect(errorOf(path).error.type).toBe('not_found_error');
  });

  it('answers 405 for a wrong method', async () => {
    const response = await postMessages(sim, undefined, { method: 'GET' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(errorOf(response).type).toBe('error');
  });
});
