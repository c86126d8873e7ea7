import { describe, expect, it } from 'vitest';
import type { ErrorKind } from '../../../src/executors/errors.ts';
import { malformedResponseError, mapOpenAIHttpError, mapOpenAIStreamError } from '../../../src/providers/openai/map-error.ts';
import { errorFixture } from './fixtures.ts';

describe('mapOpenAIHttpError', () => {
  const cases: [number, string, ErrorKind, boolean][] = [
    [400, 'invalid_request_error', 'invalid_request', false],
    [400, 'context_length_exceeded', 'context_length', false],
    [401, 'invalid_api_key', 'auth', false],
    [403, 'unsupported_country', 'permission', false],
    [404, 'model_not_found', 'not_found', false],
    [429, 'rate_limit_exceeded', 'rate_limited', true],
    [429, 'insufficient_quota', 'permission', false],
    [500, 'server_error', 'server', true],
    [503, 'overloaded', 'overloaded', true],
    [502, 'server_error', 'server', true],
  ];

  it.each(cases)('%i %s → %s', (status, fixture, kind, retryable) => {
    const body = errorFixture(fixture);
    const error = mapOpenAIHttpError({
      status,
      headers: { 'x-request-id': 'req_abc', 'x-ratelimit-remaining-tokens': '0' },
      bodyText: JSON.stringify(body),
      accountId: 'acct-1',
    });
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryable);
    expect(error.statusCode).toBe(status);
    expect(error.provider).toBe('openai');
    expect(error.rawBody).toEqual(body);
    expect(error.headers).toEqual({ 'x-request-id': 'req_abc', 'x-ratelimit-remaining-tokens': '0' });
    expect(error.message).toContain('acct-1');
    expect(error.message).toContain('req_abc');
    expect(error.message).toContain((body.error as { message: string }).message);
  });

  it('takes the retry hint from retry-after-ms, retry-after, or the message', () => {
    const body = JSON.stringify(errorFixture('rate_limit_exceeded'));
    expect(mapOpenAIHttpError({ status: 429, headers: { 'retry-after-ms': '450', 'retry-after': '1' }, bodyText: body }).retryAfterMs).toBe(
      450,
    );
    expect(mapOpenAIHttpError({ status: 429, headers: { 'retry-after': '3' }, bodyText: body }).retryAfterMs).toBe(3000);
    // No header: "Please try again in 210ms." in the message.
    expect(mapOpenAIHttpError({ status: 429, headers: {}, bodyText: body }).retryAfterMs).toBe(210);
    expect(mapOpenAIHttpError({ status: 503, headers: { 'retry-after': '2' }, bodyText: '' }).retryAfterMs).toBe(2000);
  });

  it('gives a billing stop no retry hint, even with retry-after', () => {
    const error = mapOpenAIHttpError({
      status: 429,
      headers: { 'retry-after': '20' },
      bodyText: JSON.stringify(errorFixture('insufficient_quota')),
    });
    expect(error.kind).toBe('permission');
    expect(error.retryable).toBe(false);
    expect(error.retryAfterMs).toBeUndefined();
    expect(error.message).toContain('insufficient_quota');
  });

  it('recognises a context-length message without the code', () => {
    const error = mapOpenAIHttpError({
      status: 400,
      headers: {},
      bodyText: JSON.stringify({
        error: { message: "This model's maximum context length is 8192 tokens.", type: 'invalid_request_error' },
      }),
    });
    expect(error.kind).toBe('context_length');
  });

  it.each([
    [502, 'server'],
    [504, 'server'],
    [503, 'overloaded'],
    [408, 'timeout'],
    [409, 'server'],
    [413, 'context_length'],
    [422, 'invalid_request'],
  ] as const)('%i with a non-JSON body → %s', (status, kind) => {
    const error = mapOpenAIHttpError({
      status,
      headers: {},
      bodyText: '<html><body><h1>502 Bad Gateway</h1></body></html>',
    });
    expect(error.kind).toBe(kind);
    expect(error.message).toContain('502 Bad Gateway');
    expect(error.rawBody).toBe('<html><body><h1>502 Bad Gateway</h1></body></html>');
  });

  it('adds the hint to the message', () => {
    const error = mapOpenAIHttpError({ status: 404, headers: {}, bodyText: '', hint: 'check the deployment' });
    expect(error.message).toMatch(/404 \(empty body\); check the deployment$/);
  });
});

describe('mapOpenAIStreamError', () => {
  it.each([
    [{ message: 'The server had an error', type: 'server_error', code: null }, 'server', true],
    [{ message: 'Rate limit reached. Please try again in 153ms.', code: 'rate_limit_exceeded' }, 'rate_limited', true],
    [{ message: 'Invalid prompt', code: 'invalid_prompt' }, 'invalid_request', false],
    [{ message: 'quota', code: 'insufficient_quota' }, 'permission', false],
    [{ message: 'something odd' }, 'server', true],
  ] as const)('%j → %s', (error, kind, retryable) => {
    const mapped = mapOpenAIStreamError(error, { statusCode: 200, accountId: 'acct-1' });
    expect(mapped.kind).toBe(kind);
    expect(mapped.retryable).toBe(retryable);
    expect(mapped.statusCode).toBe(200);
    expect(mapped.rawBody).toEqual({ error });
    expect(mapped.message).toContain('acct-1');
  });

  it('reads the wait out of a rate-limit message', () => {
    const mapped = mapOpenAIStreamError({ message: 'Rate limit reached. Please try again in 153ms.', code: 'rate_limit_exceeded' });
    expect(mapped.retryAfterMs).toBe(153);
  });
});

describe('malformedResponseError', () => {
  it('is a retryable server error naming the provider', () => {
    const error = malformedResponseError('the body is not JSON', { provider: 'azure-openai', statusCode: 200, accountId: 'a' });
    expect(error.kind).toBe('server');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('azure-openai account "a": unexpected response: the body is not JSON');
  });
});
