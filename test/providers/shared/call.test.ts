/**
 * The shared call and stream sequence (providers/shared/call.ts, stream.ts) against a local
 * server, with handlers of the test's own: what reaches the provider's error mapper, how a
 * failed send, a frame's error, a drained frame after the end and an early end come out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { accountSchema, type Account } from '../../../src/config/schema.ts';
import { ProviderError } from '../../../src/executors/errors.ts';
import type { ExecuteResult, StreamPart } from '../../../src/executors/types.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import type { SseEvent } from '../../../src/http/sse.ts';
import { callErrorContext, callJsonApi, jsonResponse, type ApiCall } from '../../../src/providers/shared/call.ts';
import type { HttpErrorInput } from '../../../src/providers/shared/response.ts';
import { noParts, stopReading, streamFromApi, streamReader, type StreamResponseHandlers } from '../../../src/providers/shared/stream.ts';
import { startLocalServer, type LocalServer } from '../../http/local-server.ts';
import { json, lastError, partsOf, sse } from '../../helpers/provider-calls.ts';

let server: LocalServer;
let account: Account;

beforeAll(async () => {
  server = await startLocalServer();
  account = accountSchema.parse({ id: 'acct-1', provider: 'anthropic', apiKey: 'k', baseUrl: server.url });
});
afterAll(async () => {
  await server.close();
  await closeDispatchers();
});

function call(url = `${server.url}/v1/test`): ApiCall {
  return {
    account,
    url,
    headers: { 'content-type': 'application/json' },
    body: '{"hi":1}',
    signal: undefined,
    errorContext: callErrorContext('anthropic', account, url, undefined),
  };
}

function result(text: string, headers: Record<string, string>): ExecuteResult {
  return {
    text,
    toolCalls: [],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: { inputTokens: 0, outputTokens: 0, cacheRead: 0, cacheWrite: 0, raw: null },
    statusCode: 200,
    body: {},
    headers,
  };
}

const seen: HttpErrorInput[] = [];
const mapped = new ProviderError({ kind: 'rate_limited', provider: 'anthropic', message: 'slow down' });
const failed = (input: HttpErrorInput): ProviderError => {
  seen.push(input);
  return mapped;
};
const pickHeaders = (headers: Record<string, unknown>): Record<string, string> => {
  const id = headers['x-id'];
  return typeof id === 'string' ? { 'x-id': id } : {};
};

describe('callJsonApi', () => {
  const handlers = {
    pickHeaders,
    failed,
    successful: jsonResponse(z.object({ text: z.string() }), 'a test answer', (value, answer) => result(value.text, answer.headers)),
  };

  it('sends the prepared call and maps a 2xx body read with the schema, keeping the picked headers', async () => {
    server.handle((_req, res) => json(res, 200, { text: 'hello' }, { 'x-id': 'req-1' }));
    const answer = await callJsonApi(() => call(), handlers);
    expect(answer).toMatchObject({ text: 'hello', headers: { 'x-id': 'req-1' } });
    expect(server.requests.at(-1)).toMatchObject({ method: 'POST', url: '/v1/test', body: '{"hi":1}' });
  });

  it("hands a non-2xx answer's status, headers, body and account to the provider's mapper", async () => {
    seen.length = 0;
    server.handle((_req, res) => json(res, 429, { error: 'busy' }, { 'retry-after': '3' }));
    await expect(callJsonApi(() => call(), handlers)).rejects.toBe(mapped);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ status: 429, bodyText: '{"error":"busy"}', accountId: 'acct-1' });
    expect(seen[0]?.headers['retry-after']).toBe('3');
  });

  it('rejects a body that fails the schema as an unexpected response', async () => {
    server.handle((_req, res) => json(res, 200, { other: true }));
    const error = await callJsonApi(() => call(), handlers).catch((failure: unknown) => failure);
    expect(error).toMatchObject({ kind: 'server', message: expect.stringContaining('the body is not a test answer') });
  });

  it('rejects (never throws) when preparing the call fails', async () => {
    const refused = new ProviderError({ kind: 'invalid_request', provider: 'anthropic', message: 'wrong account' });
    const calling = callJsonApi(() => {
      throw refused;
    }, handlers);
    await expect(calling).rejects.toBe(refused);
  });
});

describe('streamFromApi', () => {
  /** A reader of `data: <word>` events: `end` finishes, `fail` is an error, `stop` stops reading. */
  function handlersFor(readsAfterEnd = false): StreamResponseHandlers<ApiCall, SseEvent> {
    return {
      pickHeaders,
      failed,
      reader: () => {
        let text = '';
        let finished = false;
        const accumulator = {
          get finished() {
            return finished;
          },
          finalParts: (answer: { headers: Record<string, string> }): StreamPart[] => [
            { type: 'done', result: result(text, answer.headers) },
          ],
        };
        return streamReader(
          accumulator,
          'end',
          (event) => {
            if (event.data === 'end') finished = true;
            else if (event.data === 'fail')
              return new ProviderError({ kind: 'overloaded', provider: 'anthropic', message: 'overloaded mid-stream' });
            else if (event.data === 'stop') return stopReading;
            else text += event.data;
            return event.data === 'end' ? noParts : [{ type: 'text-delta', text: event.data }];
          },
          { readsAfterEnd },
        );
      },
    };
  }
  const before = () => callErrorContext('anthropic', account, server.url, undefined);

  it('yields the frames as parts and ends with the final parts', async () => {
    server.handle((_req, res) => sse(res, 'data: a\n\ndata: b\n\ndata: end\n\ndata: late\n\n', { 'x-id': 'req-2' }));
    const parts = await partsOf(streamFromApi(() => call(), handlersFor(), before));
    expect(parts.map((part) => part.type)).toEqual(['text-delta', 'text-delta', 'done']);
    // The frame after the end is drained unread.
    expect(parts.at(-1)).toMatchObject({ type: 'done', result: { text: 'ab', headers: { 'x-id': 'req-2' } } });
  });

  it('hands frames after the end to a reader that reads them', async () => {
    server.handle((_req, res) => sse(res, 'data: a\n\ndata: end\n\ndata: late\n\n'));
    const parts = await partsOf(streamFromApi(() => call(), handlersFor(true), before));
    expect(parts.at(-1)).toMatchObject({ type: 'done', result: { text: 'alate' } });
  });

  it('reports a failed send as one error part, named by `before`', async () => {
    const parts = await partsOf(streamFromApi(() => call('http://127.0.0.1:9/v1/test'), handlersFor(), before));
    expect(parts).toHaveLength(1);
    expect(lastError(parts).kind).toBe('network');
  });

  it("reports a non-2xx answer through the provider's mapper", async () => {
    seen.length = 0;
    server.handle((_req, res) => json(res, 429, { error: 'busy' }));
    const parts = await partsOf(streamFromApi(() => call(), handlersFor(), before));
    expect(parts).toEqual([{ type: 'error', error: mapped }]);
    expect(seen[0]).toMatchObject({ status: 429, bodyText: '{"error":"busy"}' });
  });

  it("ends with a frame's error", async () => {
    server.handle((_req, res) => sse(res, 'data: a\n\ndata: fail\n\ndata: b\n\n'));
    const parts = await partsOf(streamFromApi(() => call(), handlersFor(), before));
    expect(parts.map((part) => part.type)).toEqual(['text-delta', 'error']);
    expect(lastError(parts).kind).toBe('overloaded');
  });

  it('says a stream that ended before its final event is incomplete, and one told to stop reading too', async () => {
    for (const transcript of ['data: a\n\n', 'data: a\n\ndata: stop\n\ndata: end\n\n']) {
      server.handle((_req, res) => sse(res, transcript));
      const parts = await partsOf(streamFromApi(() => call(), handlersFor(), before));
      expect(lastError(parts)).toMatchObject({ kind: 'network', message: expect.stringContaining('ended before end') });
    }
  });
});
