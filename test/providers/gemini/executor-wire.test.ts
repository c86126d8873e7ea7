/**
 * The Gemini executor over real HTTP against a local node:http server answering with the
 * recorded fixtures: what goes on the wire, and the stream endings the simulator does not make.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accountSchema, type Account } from '../../../src/config/schema.ts';
import { collectStream } from '../../../src/executors/collect-stream.ts';
import type { ExecuteRequest } from '../../../src/executors/types.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import { GeminiExecutor } from '../../../src/providers/gemini/executor.ts';
import { mapGeminiResponse } from '../../../src/providers/gemini/map-response.ts';
import { geminiResponseSchema } from '../../../src/providers/gemini/schemas.ts';
import { startLocalServer, type LocalServer } from '../../http/local-server.ts';
import { errorFixture, responseFixture, sseFixture } from './fixtures.ts';
import { json, sse, errorOf, partsOf, lastError } from '../../helpers/provider-calls.ts';

let server: LocalServer;
let account: Account;
const executor = new GeminiExecutor({ accounts: () => [account] });

const request: ExecuteRequest = {
  provider: 'gemini',
  model: 'gemini-2.5-flash',
  body: {
    model: 'gemini-2.5-flash',
    stream: true,
    contents: [{ role: 'user', parts: [{ text: 'Hello' }] }],
    generationConfig: { maxOutputTokens: 64 },
  },
};

function makeAccount(overrides: Record<string, unknown> = {}): Account {
  return accountSchema.parse({
    id: 'gem-wire',
    provider: 'gemini',
    baseUrl: `${server.url}/v1beta`,
    apiKey: 'AIza-wire',
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

describe('execute on the wire', () => {
  it('posts the native body without model and stream to :generateContent with x-goog-api-key', async () => {
    server.handle((_req, res) => json(res, 200, responseFixture('text'), { 'x-goog-request-id': 'gr-1' }));
    const result = await executor.execute(request, {}, account);
    expect(result).toEqual(
      mapGeminiResponse(geminiResponseSchema.parse(responseFixture('text')), {
        statusCode: 200,
        headers: { 'x-goog-request-id': 'gr-1' },
      }),
    );
    const sent = server.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.url).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent?.headers['x-goog-api-key']).toBe('AIza-wire');
    expect(sent?.headers.authorization).toBeUndefined();
    expect(JSON.parse(sent?.body ?? '')).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Hello' }] }],
      generationConfig: { maxOutputTokens: 64 },
    });
  });

  it('sends a Bearer token to a Vertex AI base', async () => {
    account = makeAccount({
      apiKey: undefined,
      authToken: 'ya29.token',
      baseUrl: `${server.url}/v1/projects/p/locations/europe-west4/publishers/google`,
    });
    server.handle((_req, res) => json(res, 200, responseFixture('text')));
    await executor.execute(request, {}, account);
    const sent = server.requests[0];
    expect(sent?.url).toBe('/v1/projects/p/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent');
    expect(sent?.headers.authorization).toBe('Bearer ya29.token');
    expect(sent?.headers['x-goog-api-key']).toBeUndefined();
  });

  it('maps a blocked prompt to a content_filter error', async () => {
    server.handle((_req, res) => json(res, 200, responseFixture('prompt-blocked')));
    const error = await errorOf(executor.execute(request, {}, account));
    expect(error.kind).toBe('content_filter');
    expect(error.retryable).toBe(false);
    expect(error.statusCode).toBe(200);
  });

  it('maps a 429 with RetryInfo, keeping the raw body', async () => {
    server.handle((_req, res) => json(res, 429, errorFixture('resource_exhausted')));
    const error = await errorOf(executor.execute(request, {}, account));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(33_000);
    expect(error.rawBody).toEqual(errorFixture('resource_exhausted'));
  });

  it('maps a 200 that is not a GenerateContentResponse to a retryable server error', async () => {
    server.handle((_req, res) => json(res, 200, { hello: 'world' }));
    const error = await errorOf(executor.execute(request, {}, account));
    expect(error.kind).toBe('server');
    expect(error.retryable).toBe(true);
    expect(error.rawBody).toEqual({ hello: 'world' });
  });

  it('refuses an account of another provider', async () => {
    const other = accountSchema.parse({ id: 'claude', provider: 'anthropic', apiKey: 'k' });
    const error = await errorOf(executor.execute(request, {}, other));
    expect(error.kind).toBe('invalid_request');
    expect(server.requests).toHaveLength(0);
  });
});

describe('executeStream on the wire', () => {
  it('asks for alt=sse and ends with the same result as execute', async () => {
    server.handle((_req, res) => sse(res, sseFixture('text')));
    const result = await collectStream(executor.executeStream(request, {}, account), 'gemini');
    expect(result).toEqual(mapGeminiResponse(geminiResponseSchema.parse(responseFixture('text')), { statusCode: 200, headers: {} }));
    const sent = server.requests[0];
    expect(sent?.url).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(sent?.headers.accept).toBe('text/event-stream');
    expect(JSON.parse(sent?.body ?? '').stream).toBeUndefined();
  });

  it('streams function calls', async () => {
    server.handle((_req, res) => sse(res, sseFixture('function-call')));
    const result = await collectStream(executor.executeStream(request, {}, account), 'gemini');
    expect(result.toolCalls.map((call) => call.name)).toEqual(['get_weather', 'get_time']);
    expect(result.body).toEqual(responseFixture('function-call'));
  });

  it('maps a blocked prompt stream to content_filter', async () => {
    server.handle((_req, res) => sse(res, sseFixture('prompt-blocked')));
    const error = lastError(await partsOf(executor.executeStream(request, {}, account)));
    expect(error.kind).toBe('content_filter');
  });

  it('maps an error frame inside the stream, after text, with no result', async () => {
    server.handle((_req, res) => sse(res, sseFixture('error')));
    const parts = await partsOf(executor.executeStream(request, {}, account));
    expect(parts.map((part) => part.type)).toEqual(['text-delta', 'error']);
    const error = lastError(parts);
    expect(error.kind).toBe('overloaded');
    expect(error.statusCode).toBe(200);
    expect(error.rawBody).toEqual(errorFixture('unavailable'));
  });

  it('yields a network error when the stream ends cleanly before a finishReason', async () => {
    const transcript = sseFixture('text');
    server.handle((_req, res) => sse(res, transcript.slice(0, transcript.lastIndexOf('data: '))));
    const error = lastError(await partsOf(executor.executeStream(request, {}, account)));
    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('finishReason');
  });

  it('yields a network error when the body ends in the middle of a frame', async () => {
    const transcript = sseFixture('text');
    server.handle((_req, res) => sse(res, transcript.slice(0, transcript.indexOf('"finishReason"'))));
    const error = lastError(await partsOf(executor.executeStream(request, {}, account)));
    expect(error.kind).toBe('network');
    expect(error.message).toContain('cut in the middle of an event');
  });

  it('yields a network error when the socket breaks mid-stream', async () => {
    const transcript = sseFixture('text');
    server.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(transcript.slice(0, transcript.lastIndexOf('data: ')));
      setTimeout(() => req.socket.destroy(), 20);
    });
    const error = lastError(await partsOf(executor.executeStream(request, {}, account)));
    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
  });

  it('delivers the answer when the socket breaks after the finishing chunk', async () => {
    server.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sseFixture('text'));
      setTimeout(() => req.socket.destroy(), 20);
    });
    const result = await collectStream(executor.executeStream(request, {}, account), 'gemini');
    expect(result.text).toBe('Hello! How can I help you today?');
  });

  it('times out when the stream goes idle', async () => {
    account = makeAccount({ timeouts: { connectMs: 2000, firstByteMs: 2000, idleMs: 250 } });
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sseFixture('text').slice(0, 40));
    });
    const error = lastError(await partsOf(executor.executeStream(request, {}, account)));
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('idleMs');
  });
});
