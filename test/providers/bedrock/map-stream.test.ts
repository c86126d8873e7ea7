/**
 * Recorded-shape frames → stream parts, through the message interpreter and, over real HTTP from
 * a local server, through the executor: the same result as the JSON answer, and every way a
 * stream can go wrong.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../../../src/config/schema.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import { EventStreamFrameReader } from '../../../src/providers/bedrock/event-stream.ts';
import { BedrockExecutor } from '../../../src/providers/bedrock/executor.ts';
import { mapBedrockInvokeResponse } from '../../../src/providers/bedrock/map-response.ts';
import { interpretBedrockMessage } from '../../../src/providers/bedrock/map-stream.ts';
import { startLocalServer, type LocalServer } from '../../http/local-server.ts';
import { bedrockAccount, chunkFrame, concatBytes, exceptionFrame, readFixture, run, type StreamFixture } from './helpers.ts';

const fixture = readFixture<StreamFixture>('stream-text.json');
const message = readFixture('message-text.json');
const frames = fixture.events.map((event) => chunkFrame(event));

function messagesOf(bytes: Uint8Array): ReturnType<EventStreamFrameReader['push']> {
  return new EventStreamFrameReader().push(bytes);
}

describe('interpretBedrockMessage', () => {
  it('turns chunk events into Anthropic events', () => {
    const items = messagesOf(concatBytes(frames)).map((decoded) => interpretBedrockMessage(decoded));
    expect(items.map((item) => (item.type === 'event' ? item.event.type : item.type))).toEqual(fixture.events.map((event) => event.type));
  });

  it('turns an exception into an error', () => {
    const [decoded] = messagesOf(exceptionFrame('throttlingException', { message: 'Too many tokens' }));
    const item = interpretBedrockMessage(decoded as NonNullable<typeof decoded>, { statusCode: 200, accountId: 'a' });
    expect(item.type === 'error' && item.error.kind).toBe('rate_limited');
  });

  it('turns an Anthropic error event inside a chunk into an error', () => {
    const [decoded] = messagesOf(chunkFrame({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
    const item = interpretBedrockMessage(decoded as NonNullable<typeof decoded>, { accountId: 'a' });
    expect(item.type === 'error' && [item.error.kind, item.error.provider]).toEqual(['overloaded', 'bedrock']);
  });

  it('skips event types it does not know', () => {
    const [decoded] = messagesOf(chunkFrame({ type: 'some_future_event' }));
    expect(interpretBedrockMessage(decoded as NonNullable<typeof decoded>).type).toBe('skip');
  });

  it('refuses a chunk without bytes as a malformed answer', () => {
    const [decoded] = messagesOf(chunkFrame({ type: 'ping' }));
    const broken = { ...(decoded as NonNullable<typeof decoded>), body: new TextEncoder().encode('{"nobytes":1}') };
    expect(() => interpretBedrockMessage(broken, { accountId: 'a' })).toThrow(/chunk event has no "bytes"/);
  });
});

describe('executeStream over HTTP', () => {
  let server: LocalServer;
  let account: Account;
  const executor = new BedrockExecutor({ accounts: () => [] }, { env: {} });
  const request = {
    provider: 'bedrock' as const,
    model: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
    body: { max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }] },
  };

  function eventStream(res: ServerResponse, bytes: Uint8Array, chunkSize = 7): void {
    res.writeHead(200, { ...fixture.headers, 'content-length': String(bytes.length) });
    // Small writes, so frames arrive split across many body chunks.
    for (let at = 0; at < bytes.length; at += chunkSize) res.write(bytes.subarray(at, at + chunkSize));
    res.end();
  }

  beforeAll(async () => {
    server = await startLocalServer();
    account = bedrockAccount({ baseUrl: server.url });
  });
  afterAll(async () => {
    await closeDispatchers();
    await server.close();
  });

  it('gives the same result as the JSON answer of the same message', async () => {
    server.handle((_req, res) => eventStream(res, concatBytes(frames)));
    const { result, parts } = await run(executor, 'executeStream', request, account);
    const expected = mapBedrockInvokeResponse(JSON.stringify(message), { statusCode: 200, headers: {} });
    expect(result?.text).toBe(expected.text);
    expect(result?.usage).toEqual(expected.usage);
    expect(result?.finishReason).toEqual(expected.finishReason);
    expect(result?.headers['x-amzn-requestid']).toBe(fixture.headers['x-amzn-requestid']);
    expect(parts.filter((part) => part.type === 'text-delta').map((part) => part.type === 'text-delta' && part.text)).toEqual([
      'Hello!',
      ' How can I help',
      ' you today?',
    ]);
    const sent = server.requests.at(-1);
    expect(sent?.url).toBe('/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream');
    expect(sent?.headers.accept).toBe('application/vnd.amazon.eventstream');
    expect(sent?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDRELAYQTEST\/\d{8}\/us-east-1\/bedrock\/aws4_request/);
    expect(JSON.parse(sent?.body ?? '')).toEqual({ ...request.body, anthropic_version: 'bedrock-2023-05-31' });
  });

  it('reports a body that ends inside a frame as a retryable network error', async () => {
    const bytes = concatBytes(frames);
    server.handle((_req, res) => eventStream(res, bytes.subarray(0, bytes.length - 20)));
    const { error, parts } = await run(executor, 'executeStream', request, account);
    expect(error?.kind).toBe('network');
    expect(error?.retryable).toBe(true);
    expect(error?.message).toContain('cut in the middle of a frame');
    expect(parts.some((part) => part.type === 'done')).toBe(false);
  });

  it('reports a stream that ends between frames before message_stop as a network error', async () => {
    server.handle((_req, res) => eventStream(res, concatBytes(frames.slice(0, 4))));
    const { error } = await run(executor, 'executeStream', request, account);
    expect(error?.kind).toBe('network');
    expect(error?.message).toContain('ended before message_stop');
  });

  it('reports an exception frame after some text as the exception, not a result', async () => {
    server.handle((_req, res) =>
      eventStream(res, concatBytes([...frames.slice(0, 3), exceptionFrame('internalServerException', { message: 'boom' })])),
    );
    const { error, parts } = await run(executor, 'executeStream', request, account);
    expect(error?.kind).toBe('server');
    expect(error?.message).toContain('internalServerException: boom');
    expect(parts.filter((part) => part.type === 'text-delta')).toHaveLength(1);
  });

  it('reports bytes that are not an event stream as a malformed answer', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>hello from a captive portal</html>');
    });
    const { error } = await run(executor, 'executeStream', request, account);
    expect(error?.kind).toBe('server');
    expect(error?.message).toContain('unexpected response');
  });

  it('ignores what follows message_stop', async () => {
    server.handle((_req, res) =>
      eventStream(res, concatBytes([...frames, exceptionFrame('internalServerException', { message: 'late' })])),
    );
    const { result, error } = await run(executor, 'executeStream', request, account);
    expect(error).toBeUndefined();
    expect(result?.text).toBe('Hello! How can I help you today?');
  });

  it('maps a JSON answer that is not a message to a retryable server error', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ outputs: [{ text: 'a Mistral answer' }] }));
    });
    const { error } = await run(executor, 'execute', request, account);
    expect(error?.kind).toBe('server');
    expect(error?.retryable).toBe(true);
    expect(error?.message).toContain('not an Anthropic message');
  });
});
