/** The simulator's OpenAI API on the wire: shapes, streams, headers, errors, faults and stats. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countTokens, simulatedAnswer } from '../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { chatBody, frames, post, postStream, responsesBody } from '../providers/openai/sim-client.ts';

let sim: RunningSimulator;
const goDuration = /^(\d+h)?(\d+m)?(\d+(\.\d+)?s|\d+ms)$/;

beforeAll(async () => {
  sim = await startSimulator({
    keys: [{ key: 'sk-limited', limits: { rpm: 1, inputTpm: 6000 } }],
    burstSeconds: 60,
    streamChunkWords: 2,
  });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset());

describe('POST /v1/chat/completions', () => {
  it('answers a chat.completion with the simulated answer and token counts', async () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'first part' },
          { type: 'text', text: 'second part' },
        ],
      },
    ];
    const response = await post(sim, '/v1/chat/completions', { model: 'gpt-4o-mini', messages });
    const answer = simulatedAnswer('first part\nsecond part');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(response.json).toEqual({
      id: expect.stringMatching(/^chatcmpl_/),
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'gpt-4o-mini',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: answer, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: countTokens(JSON.stringify(messages)),
        completion_tokens: countTokens(answer),
        total_tokens: countTokens(JSON.stringify(messages)) + countTokens(answer),
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
      service_tier: 'default',
      system_fingerprint: expect.any(String),
    });
  });

  it('streams chunks, a usage chunk when asked, then [DONE]', async () => {
    const prompt = 'count the words in this sentence please';
    const { status, headers, text } = await postStream(
      sim,
      '/v1/chat/completions',
      chatBody(prompt, { stream: true, stream_options: { include_usage: true } }),
    );
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = frames(text);
    expect(events.every((event) => event.event === undefined)).toBe(true);
    expect(events.at(-1)?.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.data) as Record<string, any>);
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.id === chunks[0]?.id)).toBe(true);
    expect(chunks[0]?.choices[0].delta).toEqual({ role: 'assistant', content: '', refusal: null });
    const content = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(content).toBe(simulatedAnswer(prompt));
    expect(chunks.length).toBeGreaterThan(4);
    expect(chunks.at(-2)?.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ completion_tokens: countTokens(content) });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });

  it('sends no usage field without include_usage', async () => {
    const { text } = await postStream(sim, '/v1/chat/completions', chatBody('hi there', { stream: true }));
    const chunks = frames(text)
      .slice(0, -1)
      .map((event) => JSON.parse(event.data) as Record<string, unknown>);
    expect(chunks.some((chunk) => 'usage' in chunk)).toBe(false);
  });

  it('honours stop and the output limit', async () => {
    const prompt = 'alpha beta gamma';
    const answer = simulatedAnswer(prompt);
    const stopped = await post(sim, '/v1/chat/completions', chatBody(prompt, { stop: ['beta'] }));
    expect(stopped.json).toMatchObject({
      choices: [{ message: { content: answer.slice(0, answer.indexOf('beta')) }, finish_reason: 'stop' }],
    });
    const cut = await post(sim, '/v1/chat/completions', chatBody(`${prompt} [[sim:words=100]]`, { max_completion_tokens: 5 }));
    expect(cut.json).toMatchObject({ choices: [{ finish_reason: 'length' }], usage: { completion_tokens: 5 } });
  });
});

describe('POST /v1/responses', () => {
  it('answers a Response with the answer to the last user item', async () => {
    const input = [
      { role: 'user', content: 'earlier question' },
      { role: 'assistant', content: 'earlier answer' },
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: 'a' },
          { type: 'input_text', text: 'b' },
        ],
      },
    ];
    const response = await post(sim, '/v1/responses', { model: 'gpt-4.1-mini', instructions: 'Be brief.', input });
    const answer = simulatedAnswer('a\nb');
    const inputTokens = countTokens(JSON.stringify('Be brief.') + JSON.stringify(input));
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      id: expect.stringMatching(/^resp_/),
      object: 'response',
      status: 'completed',
      model: 'gpt-4.1-mini',
      instructions: 'Be brief.',
      incomplete_details: null,
      output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: answer }] }],
      usage: {
        input_tokens: inputTokens,
        output_tokens: countTokens(answer),
        total_tokens: inputTokens + countTokens(answer),
        input_tokens_details: { cached_tokens: 0 },
        output_tokens_details: { reasoning_tokens: 0 },
      },
    });
  });

  it('streams named events in sequence, ending with response.completed', async () => {
    const prompt = 'one two three four five six';
    const { text } = await postStream(sim, '/v1/responses', responsesBody(prompt, { stream: true }));
    const events = frames(text);
    const data = events.map((event) => JSON.parse(event.data) as Record<string, any>);
    expect(events.every((event, index) => event.event === data[index]?.type)).toBe(true);
    expect(data.map((event) => event.sequence_number)).toEqual(data.map((_event, index) => index));
    const types = events.map((event) => event.event);
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const deltas = data.filter((event) => event.type === 'response.output_text.delta').map((event) => event.delta as string);
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.join('')).toBe(simulatedAnswer(prompt));
    const final = data.at(-1)?.response;
    expect(final.status).toBe('completed');
    expect(final.output[0].content[0].text).toBe(simulatedAnswer(prompt));
    expect(data[0]?.response.status).toBe('in_progress');
  });

  it('marks an answer cut by max_output_tokens incomplete', async () => {
    const response = await post(sim, '/v1/responses', responsesBody('go [[sim:words=100]]', { max_output_tokens: 16 }));
    expect(response.json).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      max_output_tokens: 16,
      usage: { output_tokens: 16 },
    });
    const { text } = await postStream(sim, '/v1/responses', responsesBody('go [[sim:words=100]]', { max_output_tokens: 16, stream: true }));
    expect(frames(text).at(-1)?.event).toBe('response.incomplete');
  });
});

describe('auth and validation', () => {
  it('answers 401 without a key', async () => {
    const response = await post(sim, '/v1/chat/completions', chatBody('hi'), {});
    expect(response.status).toBe(401);
    expect(response.json).toEqual({
      error: { message: expect.stringContaining("didn't provide an API key"), type: 'invalid_request_error', param: null, code: null },
    });
  });

  it.each([
    ['/v1/chat/completions', { model: 'gpt-4o' }, 'messages', 'missing_required_parameter', "Missing required parameter: 'messages'."],
    [
      '/v1/chat/completions',
      chatBody('x', { stream_options: { include_usage: true } }),
      'stream_options',
      null,
      expect.stringContaining("only allowed when 'stream' is enabled"),
    ],
    [
      '/v1/chat/completions',
      { model: 'gpt-4o', messages: [{ role: 'wizard', content: 'x' }] },
      'messages[0].role',
      'invalid_value',
      expect.stringContaining("Invalid value: 'wizard'"),
    ],
    [
      '/v1/chat/completions',
      chatBody('x', { max_tokens: 1.5 }),
      'max_tokens',
      'invalid_type',
      expect.stringContaining('expected an integer'),
    ],
    ['/v1/responses', { model: 'gpt-4.1' }, 'input', 'missing_required_parameter', "Missing required parameter: 'input'."],
    [
      '/v1/responses',
      responsesBody('x', { max_output_tokens: 8 }),
      'max_output_tokens',
      'integer_below_min_value',
      expect.stringContaining('>= 16'),
    ],
    ['/v1/chat/completions', chatBody('x [[sim:nope=1]]'), null, null, expect.stringContaining('unknown directive')],
  ])('answers 400 for %s %j', async (path, body, param, code, message) => {
    const response = await post(sim, path, body);
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ error: { message, type: 'invalid_request_error', param, code } });
  });

  it('answers 400 for a body that is not JSON, and 405 for GET', async () => {
    expect((await post(sim, '/v1/chat/completions', '{nope')).status).toBe(400);
    const get = await post(sim, '/v1/chat/completions', undefined, { authorization: 'Bearer k' }, 'GET');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});

describe('rate limits', () => {
  it('sends x-ratelimit headers with duration resets, and a 429 with retry-after', async () => {
    const key = { authorization: 'Bearer sk-limited' };
    const first = await post(sim, '/v1/chat/completions', chatBody('first'), key);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('1');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(first.headers.get('x-ratelimit-reset-requests')).toMatch(goDuration);
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('6000');
    expect(first.headers.get('x-ratelimit-reset-tokens')).toMatch(goDuration);

    const second = await post(sim, '/v1/responses', responsesBody('second'), key);
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(second.headers.get('retry-after-ms')).toBeNull();
    expect(second.json).toEqual({
      error: {
        message: expect.stringMatching(/requests per min \(RPM\): Limit 1\. Please try again in \d+(\.\d+)?s\.$/),
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded',
      },
    });
    expect(sim.stats().byKey['sk-limited']).toMatchObject({ requests: 2, succeeded: 1, rateLimited: 1 });
  });
});

describe('[[sim:fault=X]] in OpenAI shapes', () => {
  it.each([
    ['overloaded', 503, 'server_error', null],
    ['server', 500, 'server_error', null],
    ['rate_limit', 429, 'requests', 'rate_limit_exceeded'],
    ['invalid', 400, 'invalid_request_error', null],
    ['permission', 403, 'invalid_request_error', null],
    ['not_found', 404, 'invalid_request_error', 'model_not_found'],
    ['too_large', 400, 'invalid_request_error', 'context_length_exceeded'],
  ])('%s answers %i', async (fault, status, type, code) => {
    for (const [path, body] of [
      ['/v1/chat/completions', chatBody(`hi [[sim:fault=${fault}]]`)],
      ['/v1/responses', responsesBody(`hi [[sim:fault=${fault}]]`, { stream: true })],
    ] as const) {
      const response = await post(sim, path, body);
      expect(response.status).toBe(status);
      expect(response.json).toEqual({
        error: { message: expect.any(String), type, param: expect.toSatisfy((p) => p === null || typeof p === 'string'), code },
      });
    }
    if (fault === 'rate_limit') {
      const response = await post(sim, '/v1/chat/completions', chatBody('[[sim:fault=rate_limit]]'));
      expect(response.headers.get('retry-after')).toBe('1');
    }
  });

  it('stream-error ends a chat stream with an error frame and no [DONE]', async () => {
    const { status, text } = await postStream(
      sim,
      '/v1/chat/completions',
      chatBody('tell me [[sim:fault=stream-error]] [[sim:words=20]]', { stream: true }),
    );
    expect(status).toBe(200);
    const events = frames(text);
    expect(events.some((event) => event.data === '[DONE]')).toBe(false);
    expect(JSON.parse(events.at(-1)?.data ?? '')).toEqual({
      error: { message: expect.any(String), type: 'server_error', param: null, code: 'server_error' },
    });
    expect(sim.stats().byStatus.stream_error).toBe(1);
  });

  it('stream-error ends a Responses stream with an error event', async () => {
    const { text } = await postStream(
      sim,
      '/v1/responses',
      responsesBody('tell me [[sim:fault=stream-error]] [[sim:words=20]]', { stream: true }),
    );
    const last = frames(text).at(-1);
    expect(last?.event).toBe('error');
    expect(JSON.parse(last?.data ?? '')).toMatchObject({ type: 'error', code: 'server_error', param: null });
  });

  it('cut-stream breaks the connection after some chunks', async () => {
    for (const [path, body] of [
      ['/v1/chat/completions', chatBody('tell me [[sim:fault=cut-stream]] [[sim:words=20]]', { stream: true })],
      ['/v1/responses', responsesBody('tell me [[sim:fault=cut-stream]] [[sim:words=20]]', { stream: true })],
    ] as const) {
      const { status, text, error } = await postStream(sim, path, body);
      expect(status).toBe(200);
      expect(error).toBeDefined();
      const events = frames(text);
      expect(events.length).toBeGreaterThan(1);
      expect(events.some((event) => event.data === '[DONE]' || event.event === 'response.completed')).toBe(false);
    }
    expect(sim.stats().byStatus.cut).toBe(2);
  });
});

describe('stats', () => {
  it('count billed tokens of successful answers, as the usage reports them', async () => {
    const chat = await post(sim, '/v1/chat/completions', chatBody('stats one'), { authorization: 'Bearer sk-stats' });
    const { text } = await postStream(sim, '/v1/responses', responsesBody('stats two', { stream: true }), {
      authorization: 'Bearer sk-stats',
    });
    await post(sim, '/v1/chat/completions', chatBody('[[sim:fault=server]]'), { authorization: 'Bearer sk-stats' });
    const chatUsage = chat.json?.usage as { prompt_tokens: number; completion_tokens: number };
    const responsesUsage = (
      JSON.parse(frames(text).at(-1)?.data ?? '') as { response: { usage: { input_tokens: number; output_tokens: number } } }
    ).response.usage;
    expect(sim.stats().byKey['sk-stats']).toEqual({
      requests: 3,
      succeeded: 2,
      rateLimited: 0,
      errors: 1,
      inputTokens: chatUsage.prompt_tokens + responsesUsage.input_tokens,
      outputTokens: chatUsage.completion_tokens + responsesUsage.output_tokens,
    });
    expect(sim.stats().faults).toEqual({ server: 1 });
  });
});
