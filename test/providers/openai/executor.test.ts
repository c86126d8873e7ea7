/**
 * The OpenAI executor over real HTTP against a local node:http server answering with the
 * recorded fixtures: what it sends, and how it reads what comes back.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accountSchema, type Account } from '../../../src/config/schema.ts';
import { collectStream } from '../../../src/executors/collect-stream.ts';
import type { ExecuteRequest } from '../../../src/executors/types.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import { OpenAIExecutor } from '../../../src/providers/openai/executor.ts';
import { mapOpenAIChatCompletion, mapOpenAIResponse } from '../../../src/providers/openai/map-response.ts';
import { openaiChatCompletionSchema, openaiResponseSchema } from '../../../src/providers/openai/schemas.ts';
import { availabilityFixture } from '../../helpers/availability.ts';
import { startLocalServer, type LocalServer } from '../../http/local-server.ts';
import { errorFixture, jsonFixture, sseFixture, textOf } from './fixtures.ts';
import { json, sse, errorOf, partsOf, lastError } from '../../helpers/provider-calls.ts';

let server: LocalServer;
let account: Account;
const executor = new OpenAIExecutor({ accounts: () => [account] });

const rateLimitHeaders = {
  'x-request-id': 'req_7f0c',
  'x-ratelimit-limit-requests': '10000',
  'x-ratelimit-remaining-requests': '9999',
  'x-ratelimit-reset-requests': '6ms',
  'x-ratelimit-limit-tokens': '30000000',
  'x-ratelimit-remaining-tokens': '29999980',
  'x-ratelimit-reset-tokens': '0s',
};

const chat: ExecuteRequest = {
  provider: 'openai',
  model: 'gpt-4o-mini',
  body: { messages: [{ role: 'user', content: 'Hello' }], max_completion_tokens: 64 },
};
const responses: ExecuteRequest = { provider: 'openai', model: 'gpt-4.1-mini', body: { input: 'Hello' } };

function makeAccount(overrides: Record<string, unknown> = {}): Account {
  return accountSchema.parse({
    id: 'acct-openai',
    provider: 'openai',
    baseUrl: server.url,
    apiKey: 'sk-proj-test',
    organization: 'org-test',
    project: 'proj_test',
    timeouts: { connectMs: 2000, firstByteMs: 2000, idleMs: 2000 },
    ...overrides,
  });
}

beforeAll(async () => {
  server = await startLocalServer();
});
afterAll(async () => {
  await closeDispatchers();
  await server.close();
});
beforeEach(() => {
  account = makeAccount();
  server.requests.length = 0;
});

describe('execute', () => {
  it('posts a chat request and maps the answer, keeping the rate-limit headers', async () => {
    server.handle((_req, res) => json(res, 200, jsonFixture('chat-text'), rateLimitHeaders));
    const result = await executor.execute(
      { ...chat, body: { ...chat.body, stream: true, stream_options: { include_usage: true } } },
      {},
      account,
    );

    expect(result).toEqual(
      mapOpenAIChatCompletion(openaiChatCompletionSchema.parse(jsonFixture('chat-text')), { statusCode: 200, headers: rateLimitHeaders }),
    );
    const sent = server.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.url).toBe('/v1/chat/completions');
    expect(sent?.headers.authorization).toBe('Bearer sk-proj-test');
    expect(sent?.headers['openai-organization']).toBe('org-test');
    expect(sent?.headers['openai-project']).toBe('proj_test');
    expect(sent?.headers.accept).toBe('application/json');
    expect(JSON.parse(sent?.body ?? '')).toEqual({ ...chat.body, model: 'gpt-4o-mini', stream: false });
  });

  it('posts a Responses request to /v1/responses', async () => {
    server.handle((_req, res) => json(res, 200, jsonFixture('responses-text')));
    const result = await executor.execute(responses, {}, account);
    expect(result).toEqual(mapOpenAIResponse(openaiResponseSchema.parse(jsonFixture('responses-text')), { statusCode: 200, headers: {} }));
    expect(server.requests[0]?.url).toBe('/v1/responses');
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({ input: 'Hello', model: 'gpt-4.1-mini', stream: false });
  });

  it('follows request.endpoint over the body', async () => {
    server.handle((_req, res) => json(res, 200, jsonFixture('responses-text')));
    await executor.execute(
      { ...responses, endpoint: '/v1/responses', body: { input: [{ role: 'user', content: 'x' }], messages: 'odd' } },
      {},
      account,
    );
    expect(server.requests[0]?.url).toBe('/v1/responses');
  });

  it('rejects an endpoint it does not speak without calling upstream', async () => {
    const error = await errorOf(executor.execute({ ...chat, endpoint: '/v1/images/generations' }, {}, account));
    expect(error.kind).toBe('invalid_request');
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    [429, 'rate_limit_exceeded', 'rate_limited', true, { 'retry-after-ms': '250', 'retry-after': '1' }, 250],
    [429, 'insufficient_quota', 'permission', false, { 'retry-after': '1' }, undefined],
    [503, 'overloaded', 'overloaded', true, {}, undefined],
    [401, 'invalid_api_key', 'auth', false, {}, undefined],
    [400, 'context_length_exceeded', 'context_length', false, {}, undefined],
  ] as const)('%i %s → %s', async (status, fixture, kind, retryable, headers, retryAfterMs) => {
    server.handle((_req, res) => json(res, status, errorFixture(fixture), { ...rateLimitHeaders, ...headers }));
    const error = await errorOf(executor.execute(chat, {}, account));
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryable);
    expect(error.statusCode).toBe(status);
    expect(error.retryAfterMs).toBe(retryAfterMs);
    expect(error.rawBody).toEqual(errorFixture(fixture));
    expect(error.headers['x-ratelimit-remaining-requests']).toBe('9999');
    expect(error.message).toContain('acct-openai');
    expect(error.message).not.toContain('sk-proj-test');
  });

  it('maps a 200 that is not a chat.completion to a retryable server error', async () => {
    server.handle((_req, res) => json(res, 200, { hello: 'world' }));
    const error = await errorOf(executor.execute(chat, {}, account));
    expect(error.kind).toBe('server');
    expect(error.retryable).toBe(true);
    expect(error.rawBody).toEqual({ hello: 'world' });
  });

  it('maps a failed Response in a 200 by its error code', async () => {
    const failed = { ...jsonFixture('responses-text'), status: 'failed', output: [], error: { code: 'server_error', message: 'boom' } };
    server.handle((_req, res) => json(res, 200, failed));
    const error = await errorOf(executor.execute(responses, {}, account));
    expect(error.kind).toBe('server');
    expect(error.message).toContain('boom');
  });

  it('refuses an account of another provider', async () => {
    const error = await errorOf(executor.execute(chat, {}, accountSchema.parse({ id: 'x', provider: 'anthropic', apiKey: 'k' })));
    expect(error.kind).toBe('invalid_request');
    expect(error.message).toContain('not an openai one');
  });
});

describe('executeStream', () => {
  it('asks for usage and ends with the same result as execute', async () => {
    server.handle((_req, res) => sse(res, sseFixture('chat-text'), rateLimitHeaders));
    const parts = await partsOf(executor.executeStream(chat, {}, account));

    expect(textOf(parts)).toBe('Hello! How can I help you today?');
    expect(parts.slice(-3).map((part) => part.type)).toEqual(['usage', 'finish', 'done']);
    const done = parts.at(-1);
    expect(done?.type === 'done' && done.result).toEqual(
      mapOpenAIChatCompletion(openaiChatCompletionSchema.parse(jsonFixture('chat-text')), { statusCode: 200, headers: rateLimitHeaders }),
    );
    const sent = JSON.parse(server.requests[0]?.body ?? '') as Record<string, unknown>;
    expect(sent.stream).toBe(true);
    expect(sent.stream_options).toEqual({ include_usage: true });
    expect(server.requests[0]?.headers.accept).toBe('text/event-stream');
  });

  it('streams tool calls', async () => {
    server.handle((_req, res) => sse(res, sseFixture('chat-tool-calls')));
    const result = await collectStream(executor.executeStream(chat, {}, account));
    expect(result.body).toEqual(jsonFixture('chat-tool-calls'));
    expect(result.toolCalls.map((call) => call.name)).toEqual(['get_weather', 'get_local_time']);
  });

  it('streams a Response', async () => {
    server.handle((_req, res) => sse(res, sseFixture('responses-function-call')));
    const result = await collectStream(executor.executeStream(responses, {}, account));
    expect(result).toEqual(
      mapOpenAIResponse(openaiResponseSchema.parse(jsonFixture('responses-function-call')), { statusCode: 200, headers: {} }),
    );
    const sent = JSON.parse(server.requests[0]?.body ?? '') as Record<string, unknown>;
    expect(sent.stream).toBe(true);
    expect(sent.stream_options).toBeUndefined();
  });

  it.each([
    ['chat-stream-error', chat, 'server'],
    ['responses-stream-error', responses, 'server'],
    ['responses-failed', responses, 'rate_limited'],
  ] as const)('maps the error inside a 200 stream (%s)', async (fixture, request, kind) => {
    server.handle((_req, res) => sse(res, sseFixture(fixture)));
    const parts = await partsOf(executor.executeStream(request, {}, account));
    expect(parts.some((part) => part.type === 'done')).toBe(false);
    const error = lastError(parts);
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(true);
    expect(error.statusCode).toBe(200);
  });

  it('yields an error part for a non-2xx status, with the retry hint', async () => {
    server.handle((_req, res) => json(res, 429, errorFixture('rate_limit_exceeded'), { 'retry-after': '3' }));
    const parts = await partsOf(executor.executeStream(chat, {}, account));
    expect(parts).toHaveLength(1);
    expect(lastError(parts)).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3000, statusCode: 429 });
  });

  it.each([
    ['chat-text', chat, 'data: [DONE]', '[DONE]'],
    ['responses-text', responses, 'event: response.completed', 'response.completed'],
  ] as const)('yields a network error when the stream ends cleanly before its end (%s)', async (fixture, request, cut, marker) => {
    const transcript = sseFixture(fixture);
    server.handle((_req, res) => sse(res, transcript.slice(0, transcript.indexOf(cut))));
    const error = lastError(await partsOf(executor.executeStream(request, {}, account)));
    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`ended before ${marker}`);
  });

  it('yields a network error when the socket breaks mid-stream', async () => {
    const transcript = sseFixture('chat-text');
    server.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(transcript.slice(0, transcript.indexOf('"finish_reason":"stop"')));
      setTimeout(() => req.socket.destroy(), 20);
    });
    const parts = await partsOf(executor.executeStream(chat, {}, account));
    expect(parts.some((part) => part.type === 'done')).toBe(false);
    expect(lastError(parts)).toMatchObject({ kind: 'network', retryable: true });
  });

  it('yields a server error for a frame that is not JSON', async () => {
    server.handle((_req, res) => sse(res, 'data: {"id": oops\n\n'));
    expect(lastError(await partsOf(executor.executeStream(chat, {}, account)))).toMatchObject({ kind: 'server' });
  });
});

describe('availability', () => {
  const fixture = availabilityFixture();
  afterAll(() => fixture.close());

  it('counts the enabled openai accounts', async () => {
    const accounts = [
      makeAccount({ id: 'a' }),
      makeAccount({ id: 'b', enabled: false }),
      accountSchema.parse({ id: 'c', provider: 'azure-openai', apiKey: 'k' }),
    ];
    const counting = new OpenAIExecutor(await fixture.context(accounts));
    expect(await counting.getAvailableAccountsCount()).toBe(1);
    expect(await counting.isAvailable()).toBe(true);
    expect(await new OpenAIExecutor(await fixture.context([])).isAvailable()).toBe(false);
  });
});
