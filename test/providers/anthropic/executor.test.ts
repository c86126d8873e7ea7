/**
 * The Anthropic executor over real HTTP against a local node:http server answering with the
 * recorded fixtures.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accountSchema, type Account } from '../../../src/config/schema.ts';
import { collectStream } from '../../../src/executors/collect-stream.ts';
import type { ExecuteRequest, StreamPart } from '../../../src/executors/types.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import { AnthropicExecutor } from '../../../src/providers/anthropic/executor.ts';
import { mapAnthropicMessage } from '../../../src/providers/anthropic/map-response.ts';
import { anthropicMessageSchema } from '../../../src/providers/anthropic/schemas.ts';
import { availabilityFixture } from '../../helpers/availability.ts';
import { startLocalServer, type LocalServer } from '../../http/local-server.ts';
import { errorFixture, messageFixture, sseFixture } from './fixtures.ts';
import { json, sse, errorOf, partsOf, lastError } from '../../helpers/provider-calls.ts';

let server: LocalServer;
let account: Account;
const executor = new AnthropicExecutor({ accounts: () => [account] });

const rateLimitHeaders = {
  'request-id': 'req_01',
  'anthropic-ratelimit-requests-limit': '50',
  'anthropic-ratelimit-requests-remaining': '49',
  'anthropic-ratelimit-requests-reset': '2025-06-01T00:00:01Z',
  'anthropic-ratelimit-input-tokens-limit': '30000',
};

const request: ExecuteRequest = {
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  body: { max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }] },
};

function makeAccount(overrides: Record<string, unknown> = {}): Account {
  return accountSchema.parse({
    id: 'acct-test',
    provider: 'anthropic',
    baseUrl: server.url,
    apiKey: 'sk-ant-test',
    anthropicBeta: ['beta-a', 'beta-b'],
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
  it('posts the request and maps a text answer', async () => {
    server.handle((_req, res) => json(res, 200, messageFixture('text'), rateLimitHeaders));
    const result = await executor.execute({ ...request, body: { ...request.body, stream: true } }, {}, account);

    expect(result).toEqual(
      mapAnthropicMessage(anthropicMessageSchema.parse(messageFixture('text')), {
        statusCode: 200,
        headers: rateLimitHeaders,
      }),
    );
    const sent = server.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.url).toBe('/v1/messages');
    expect(sent?.headers['x-api-key']).toBe('sk-ant-test');
    expect(sent?.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent?.headers['anthropic-beta']).toBe('beta-a,beta-b');
    expect(sent?.headers['content-type']).toBe('application/json');
    // stream is forced off; model comes from the request when the body has none.
    expect(JSON.parse(sent?.body ?? '')).toEqual({ ...request.body, stream: false, model: 'claude-sonnet-4-5' });
  });

  it('sends authorization: Bearer for a token account', async () => {
    account = makeAccount({ apiKey: undefined, authToken: 'oauth-token' });
    server.handle((_req, res) => json(res, 200, messageFixture('text')));
    await executor.execute(request, {}, account);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer oauth-token');
    expect(server.requests[0]?.headers['x-api-key']).toBeUndefined();
  });

  it('maps a tool-use answer', async () => {
    server.handle((_req, res) => json(res, 200, messageFixture('tool-use')));
    const result = await executor.execute(request, {}, account);
    expect(result.finishReason).toEqual({ unified: 'tool_calls', raw: 'tool_use' });
    expect(result.toolCalls[0]?.name).toBe('get_weather');
  });

  it.each([
    [429, 'rate_limit_error', 'rate_limited', { 'retry-after': '7' }, 7000],
    [529, 'overloaded_error', 'overloaded', {}, undefined],
    [401, 'authentication_error', 'auth', {}, undefined],
    [400, 'prompt_too_long', 'context_length', {}, undefined],
    [500, 'api_error', 'server', {}, undefined],
  ] as const)('%i %s → %s', async (status, fixture, kind, headers, retryAfterMs) => {
    server.handle((_req, res) => json(res, status, errorFixture(fixture), headers));
    const error = await errorOf(executor.execute(request, {}, account));
    expect(error.kind).toBe(kind);
    expect(error.statusCode).toBe(status);
    expect(error.retryAfterMs).toBe(retryAfterMs);
    expect(error.rawBody).toEqual(errorFixture(fixture));
    expect(error.message).toContain('acct-test');
    expect(error.message).not.toContain('sk-ant-test');
  });

  it('maps a 200 that is not a message to a retryable server error', async () => {
    server.handle((_req, res) => json(res, 200, { hello: 'world' }));
    const error = await errorOf(executor.execute(request, {}, account));
    expect(error.kind).toBe('server');
    expect(error.retryable).toBe(true);
    expect(error.rawBody).toEqual({ hello: 'world' });
  });

  it('times out waiting for the first byte', async () => {
    account = makeAccount({ timeouts: { connectMs: 2000, firstByteMs: 200, idleMs: 2000 } });
    server.handle(() => {
      /* never answers */
    });
    const error = await errorOf(executor.execute(request, {}, account));
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('firstByteMs');
  });

  it('maps a socket destroyed before the answer to network', async () => {
    server.handle((req) => void req.socket.destroy());
    const error = await errorOf(executor.execute(request, {}, account));
    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
  });

  it('maps a refused connection to network', async () => {
    const closed = await startLocalServer();
    await closed.close();
    account = makeAccount({ baseUrl: closed.url });
    const error = await errorOf(executor.execute(request, {}, account));
    expect(error.kind).toBe('network');
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.message).toContain(new URL(closed.url).host);
  });

  it('is cancelled by an aborted signal', async () => {
    server.handle(() => {
      /* never answers */
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await errorOf(executor.execute(request, { signal: controller.signal }, account));
    expect(error.kind).toBe('cancelled');
    expect(error.retryable).toBe(false);

    const already = await errorOf(executor.execute(request, { signal: AbortSignal.abort() }, account));
    expect(already.kind).toBe('cancelled');
  });
});

describe('executeStream', () => {
  it('streams text and ends with the same result as execute', async () => {
    server.handle((_req, res) => sse(res, sseFixture('text'), rateLimitHeaders));
    const parts = await partsOf(executor.executeStream(request, {}, account));

    expect(parts.filter((p) => p.type === 'text-delta').map((p) => (p.type === 'text-delta' ? p.text : ''))).toEqual([
      'Hello',
      '! How can I',
      ' help you today?',
    ]);
    expect(parts.slice(-3).map((p) => p.type)).toEqual(['usage', 'finish', 'done']);
    const done = parts.at(-1);
    const expected = mapAnthropicMessage(anthropicMessageSchema.parse(messageFixture('text')), {
      statusCode: 200,
      headers: rateLimitHeaders,
    });
    expect(done?.type === 'done' && done.result).toEqual(expected);

    const sent = server.requests[0];
    expect(JSON.parse(sent?.body ?? '').stream).toBe(true);
    expect(sent?.headers.accept).toBe('text/event-stream');
  });

  it('streams a tool call', async () => {
    server.handle((_req, res) => sse(res, sseFixture('tool-use')));
    const result = await collectStream(executor.executeStream(request, {}, account), 'anthropic');
    expect(result.toolCalls).toEqual([
      {
        id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
        name: 'get_weather',
        arguments: '{"location":"San Francisco, CA","unit":"fahrenheit"}',
      },
    ]);
    expect(result.body).toEqual(messageFixture('tool-use'));
  });

  it('yields an error part for a non-2xx status, before reading any stream', async () => {
    server.handle((_req, res) => json(res, 429, errorFixture('rate_limit_error'), { 'retry-after': '3' }));
    const parts = await partsOf(executor.executeStream(request, {}, account));
    expect(parts).toHaveLength(1);
    const error = lastError(parts);
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(3000);
    expect(error.statusCode).toBe(429);
    expect(error.rawBody).toEqual(errorFixture('rate_limit_error'));
  });

  it('maps an error event inside a 200 stream, with no result', async () => {
    server.handle((_req, res) => sse(res, sseFixture('error')));
    const parts = await partsOf(executor.executeStream(request, {}, account));
    expect(parts.map((p) => p.type)).toEqual(['text-delta', 'error']);
    const error = lastError(parts);
    expect(error.kind).toBe('overloaded');
    expect(error.retryable).toBe(true);
    expect(error.statusCode).toBe(200);
    expect(error.rawBody).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    await expect(collectStream(executor.executeStream(request, {}, account))).rejects.toMatchObject({
      kind: 'overloaded',
    });
  });

  it('yields a network error when the socket breaks mid-stream', async () => {
    const transcript = sseFixture('text');
    const cutAt = transcript.indexOf('event: content_block_stop');
    server.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(transcript.slice(0, cutAt + 30));
      setTimeout(() => req.socket.destroy(), 20);
    });
    const parts = await partsOf(executor.executeStream(request, {}, account));
    expect(parts.some((p) => p.type === 'done')).toBe(false);
    const error = lastError(parts);
    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
  });

  it('yields a network error when the body ends in the middle of an event', async () => {
    const transcript = sseFixture('text');
    server.handle((_req, res) => sse(res, transcript.slice(0, transcript.indexOf('"message_stop"'))));
    const error = lastError(await partsOf(executor.executeStream(request, {}, account)));
    expect(error.kind).toBe('network');
    expect(error.message).toContain('cut in the middle of an event');
  });

  it('yields a network error when the stream ends cleanly without message_stop', async () => {
    const transcript = sseFixture('text');
    server.handle((_req, res) => sse(res, transcript.slice(0, transcript.indexOf('event: message_stop'))));
    const error = lastError(await partsOf(executor.executeStream(request, {}, account)));
    expect(error.kind).toBe('network');
    expect(error.message).toContain('ended before message_stop');
  });

  it('times out when the stream goes idle', async () => {
    account = makeAccount({ timeouts: { connectMs: 2000, firstByteMs: 2000, idleMs: 250 } });
    const transcript = sseFixture('text');
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(transcript.slice(0, transcript.indexOf('event: content_block_start')));
    });
    const error = lastError(await partsOf(executor.executeStream(request, {}, account)));
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('idleMs');
  });

  it('times out waiting for the first byte', async () => {
    account = makeAccount({ timeouts: { connectMs: 2000, firstByteMs: 200, idleMs: 2000 } });
    server.handle(() => {
      /* never answers */
    });
    const error = lastError(await partsOf(executor.executeStream(request, {}, account)));
    expect(error.kind).toBe('timeout');
  });

  it('is cancelled by an aborted signal mid-stream', async () => {
    const transcript = sseFixture('text');
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(transcript.slice(0, transcript.indexOf('event: content_block_stop')));
    });
    const controller = new AbortController();
    const parts: StreamPart[] = [];
    for await (const part of executor.executeStream(request, { signal: controller.signal }, account)) {
      parts.push(part);
      if (part.type === 'text-delta' && part.text === ' help you today?') controller.abort();
    }
    const error = lastError(parts);
    expect(error.kind).toBe('cancelled');
  });
  it('lets a consumer stop early, and the account keeps working', async () => {
    const transcript = sseFixture('text');
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(transcript.slice(0, transcript.indexOf('event: content_block_stop')));
    });
    for await (const part of executor.executeStream(request, {}, account)) {
      if (part.type === 'text-delta') break;
    }
    server.handle((_req, res) => sse(res, sseFixture('text')));
    const result = await collectStream(executor.executeStream(request, {}, account));
    expect(result.text).toBe('Hello! How can I help you today?');
  });
});

describe('availability', () => {
  const fixture = availabilityFixture();
  afterAll(() => fixture.close());

  it('counts the enabled anthropic accounts', async () => {
    const accounts = [
      makeAccount({ id: 'a' }),
      makeAccount({ id: 'b', enabled: false }),
      accountSchema.parse({ id: 'c', provider: 'openai', apiKey: 'k' }),
    ];
    const counting = new AnthropicExecutor(await fixture.context(accounts));
    expect(await counting.getAvailableAccountsCount()).toBe(1);
    expect(await counting.isAvailable()).toBe(true);
    expect(await new AnthropicExecutor(await fixture.context([])).isAvailable()).toBe(false);
  });
});
