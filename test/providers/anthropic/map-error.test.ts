import { describe, expect, it } from 'vitest';
import { errors as undiciErrors } from 'undici';
import type { ErrorKind } from '../../../src/executors/errors.ts';
import { toProviderError } from '../../../src/http/request-errors.ts';
import { SseTruncatedError } from '../../../src/http/sse.ts';
import { mapAnthropicHttpError, mapAnthropicStreamError } from '../../../src/providers/anthropic/map-error.ts';
import { anthropicErrorBodySchema } from '../../../src/providers/anthropic/schemas.ts';
import { errorFixture } from './fixtures.ts';

describe('mapAnthropicHttpError', () => {
  const cases: [number, string, ErrorKind, boolean][] = [
    [400, 'invalid_request_error', 'invalid_request', false],
    [400, 'prompt_too_long', 'context_length', false],
    [400, 'credit_balance_too_low', 'permission', false],
    [401, 'authentication_error', 'auth', false],
    [402, 'billing_error', 'permission', false],
    [403, 'permission_error', 'permission', false],
    [404, 'not_found_error', 'not_found', false],
    [413, 'request_too_large', 'context_length', false],
    [429, 'rate_limit_error', 'rate_limited', true],
    [500, 'api_error', 'server', true],
    [504, 'timeout_error', 'timeout', true],
    [529, 'overloaded_error', 'overloaded', true],
  ];

  it.each(cases)('%i %s → %s', (status, fixture, kind, retryable) => {
    const body = errorFixture(fixture);
    const error = mapAnthropicHttpError({
      status,
      headers: { 'request-id': 'req_from_header' },
      bodyText: JSON.stringify(body),
      accountId: 'acct-1',
    });
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryable);
    expect(error.statusCode).toBe(status);
    expect(error.provider).toBe('anthropic');
    expect(error.rawBody).toEqual(body);
    expect(error.message).toContain('acct-1');
    expect(error.message).toContain((body.error as { message: string }).message);
    expect(error.message).toContain(String(body.request_id));
  });

  it.each([
    [502, 'server'],
    [503, 'server'],
    [500, 'server'],
    [529, 'overloaded'],
    [408, 'timeout'],
    [409, 'invalid_request'],
    [422, 'invalid_request'],
  ] as const)('%i with a non-JSON body → %s', (status, kind) => {
    const error = mapAnthropicHttpError({
      status,
      headers: {},
      bodyText: '<html><body><h1>502 Bad Gateway</h1></body></html>',
    });
    expect(error.kind).toBe(kind);
    expect(error.rawBody).toBe('<html><body><h1>502 Bad Gateway</h1></body></html>');
    expect(error.message).toContain('502 Bad Gateway');
  });

  it('takes retryAfterMs from retry-after seconds', () => {
    const error = mapAnthropicHttpError({
      status: 429,
      headers: { 'retry-after': '17', 'request-id': 'req_1' },
      bodyText: JSON.stringify(errorFixture('rate_limit_error')),
    });
    expect(error.retryAfterMs).toBe(17_000);
  });

  it('takes retryAfterMs on a 529 too, and leaves it undefined without the header', () => {
    const body = JSON.stringify(errorFixture('overloaded_error'));
    expect(mapAnthropicHttpError({ status: 529, headers: { 'retry-after': '2' }, bodyText: body }).retryAfterMs).toBe(2000);
    expect(mapAnthropicHttpError({ status: 529, headers: {}, bodyText: body }).retryAfterMs).toBeUndefined();
  });

  it('says "(empty body)" for an empty body', () => {
    const error = mapAnthropicHttpError({ status: 500, headers: {}, bodyText: '' });
    expect(error.kind).toBe('server');
    expect(error.message).toContain('(empty body)');
    expect(error.rawBody).toBeUndefined();
  });
});

describe('mapAnthropicStreamError', () => {
  it.each([
    ['overloaded_error', 'overloaded'],
    ['api_error', 'server'],
    ['rate_limit_error', 'rate_limited'],
    ['invalid_request_error', 'invalid_request'],
    ['something_new_error', 'server'],
  ] as const)('%s → %s', (type, kind) => {
    const body = anthropicErrorBodySchema.parse({ type: 'error', error: { type, message: 'm' } });
    const error = mapAnthropicStreamError(body, { statusCode: 200 });
    expect(error.kind).toBe(kind);
    expect(error.statusCode).toBe(200);
    expect(error.rawBody).toEqual(body);
  });
});

describe('network errors (toProviderError)', () => {
  const context = {
    provider: 'anthropic',
    url: 'https://api.anthropic.com/v1/messages',
    accountId: 'acct-1',
    timeouts: { connectMs: 1000, firstByteMs: 2000, idleMs: 3000 },
  };
  const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

  it.each([
    [new undiciErrors.ConnectTimeoutError(), 'timeout', /within 1000 ms \(timeouts.connectMs\)/],
    [new undiciErrors.HeadersTimeoutError(), 'timeout', /within 2000 ms \(timeouts.firstByteMs\)/],
    [new undiciErrors.BodyTimeoutError(), 'timeout', /more than 3000 ms \(timeouts.idleMs\)/],
    [new undiciErrors.SocketError('other side closed'), 'network', /other side closed/],
    [withCode('connect ECONNREFUSED 1.2.3.4:443', 'ECONNREFUSED'), 'network', /ECONNREFUSED/],
    [withCode('read ECONNRESET', 'ECONNRESET'), 'network', /ECONNRESET/],
    [withCode('getaddrinfo ENOTFOUND api.anthropic.com', 'ENOTFOUND'), 'network', /ENOTFOUND/],
    [new AggregateError([withCode('connect ECONNREFUSED ::1:443', 'ECONNREFUSED')]), 'network', /ECONNREFUSED/],
    [new SseTruncatedError('data: {"type":"con'), 'network', /cut in the middle of an event/],
    [new DOMException('This operation was aborted', 'AbortError'), 'cancelled', /cancelled/],
    [new Error('something odd'), 'network', /something odd/],
  ] as const)('%s → %s', (error, kind, message) => {
    const mapped = toProviderError(error, context);
    expect(mapped.kind).toBe(kind);
    expect(mapped.message).toMatch(message);
    expect(mapped.message).toContain('api.anthropic.com');
    expect(mapped.provider).toBe('anthropic');
  });

  it('is cancelled when the signal was aborted, whatever undici threw', () => {
    const controller = new AbortController();
    controller.abort();
    const mapped = toProviderError(new undiciErrors.RequestAbortedError(), { ...context, signal: controller.signal });
    expect(mapped.kind).toBe('cancelled');
    expect(mapped.retryable).toBe(false);
  });

  it('names the proxy host but never its password', () => {
    const mapped = toProviderError(withCode('connect ECONNREFUSED http://user:secret@proxy.example:8080', 'ECONNREFUSED'), {
      ...context,
      proxy: 'http://user:secret@proxy.example:8080',
    });
    expect(mapped.message).toContain('via proxy http://proxy.example:8080');
    expect(mapped.message).not.toContain('secret');
  });

  it('maps a 407 from a proxy to auth', () => {
    const mapped = toProviderError(new undiciErrors.RequestAbortedError('Proxy response (407) !== 200 when HTTP Tunneling'), {
      ...context,
      proxy: 'http://proxy.example:8080',
    });
    expect(mapped.kind).toBe('auth');
  });
});
