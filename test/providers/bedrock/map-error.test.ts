/** Bedrock error answers (recorded shapes) and stream exceptions → ProviderError kinds. */
import { describe, expect, it } from 'vitest';
import type { ErrorKind } from '../../../src/executors/errors.ts';
import { asBedrockError, errorTypeOf, mapBedrockHttpError, mapBedrockStreamException } from '../../../src/providers/bedrock/map-error.ts';
import { malformedResponseError } from '../../../src/providers/anthropic/map-error.ts';
import { errorFixture } from './helpers.ts';

describe('mapBedrockHttpError', () => {
  it.each<[string, ErrorKind, boolean]>([
    ['validation', 'invalid_request', false],
    ['too-long', 'context_length', false],
    ['unrecognized-client', 'auth', false],
    ['invalid-signature', 'auth', false],
    ['missing-token', 'auth', false],
    ['access-denied', 'permission', false],
    ['access-denied-capital', 'permission', false],
    ['api-key-refused', 'auth', false],
    ['not-found', 'not_found', false],
    ['throttling', 'rate_limited', true],
    ['model-not-ready', 'overloaded', true],
    ['quota', 'rate_limited', true],
    ['internal', 'server', true],
    ['unavailable', 'overloaded', true],
    ['model-timeout', 'timeout', true],
    ['model-error', 'server', true],
  ])('%s → %s', (name, kind, retryable) => {
    const fixture = errorFixture(name);
    const error = mapBedrockHttpError({
      status: fixture.status,
      headers: fixture.headers,
      bodyText: JSON.stringify(fixture.body),
      accountId: 'acct',
    });
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryable);
    expect(error.provider).toBe('bedrock');
    expect(error.statusCode).toBe(fixture.status);
    expect(error.rawBody).toEqual(fixture.body);
    const message = (fixture.body.message ?? fixture.body.Message) as string;
    expect(error.message).toContain(message);
    expect(error.message).toContain('bedrock account "acct"');
    expect(error.message).toContain(fixture.headers['x-amzn-requestid']);
  });

  it('keeps retry-after and the request id header', () => {
    const fixture = errorFixture('throttling');
    const error = mapBedrockHttpError({
      status: 429,
      headers: { ...fixture.headers, 'retry-after': '3' },
      bodyText: JSON.stringify(fixture.body),
    });
    expect(error.retryAfterMs).toBe(3000);
    expect(error.headers['x-amzn-requestid']).toBe(fixture.headers['x-amzn-requestid']);
    expect(error.headers['x-amzn-errortype']).toMatch(/^ThrottlingException:/);
  });

  it.each<[number, ErrorKind]>([
    [400, 'invalid_request'],
    [403, 'permission'],
    [429, 'rate_limited'],
    [502, 'server'],
    [503, 'overloaded'],
    [424, 'server'],
  ])("falls back to the status (%i → %s) for a body that is not Bedrock's", (status, kind) => {
    const error = mapBedrockHttpError({ status, headers: {}, bodyText: '<html><h1>Bad Gateway</h1></html>' });
    expect(error.kind).toBe(kind);
    expect(error.message).toContain('Bad Gateway');
    expect(error.rawBody).toBe('<html><h1>Bad Gateway</h1></html>');
  });

  it('reads the type from the header, else from __type', () => {
    expect(errorTypeOf('ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/', undefined)).toBe('ThrottlingException');
    expect(errorTypeOf(undefined, { __type: 'com.amazon.coral.service#ExpiredTokenException' })).toBe('ExpiredTokenException');
    expect(errorTypeOf(undefined, {})).toBeUndefined();
  });
});

describe('mapBedrockStreamException', () => {
  it.each<[string, unknown, ErrorKind, boolean]>([
    ['throttlingException', { message: 'Too many tokens, please wait before trying again.' }, 'rate_limited', true],
    ['internalServerException', { message: 'internal' }, 'server', true],
    ['serviceUnavailableException', { message: 'unavailable' }, 'overloaded', true],
    ['modelTimeoutException', { message: 'timed out' }, 'timeout', true],
    ['validationException', { message: 'bad input' }, 'invalid_request', false],
    ['validationException', { message: 'Input is too long for requested model.' }, 'context_length', false],
    ['modelStreamErrorException', { message: 'stream failed' }, 'server', true],
    ['modelStreamErrorException', { message: 'x', originalStatusCode: 529, originalMessage: 'Overloaded' }, 'overloaded', true],
    ['modelStreamErrorException', { message: 'x', originalStatusCode: 429 }, 'rate_limited', true],
    ['modelStreamErrorException', { message: 'x', originalStatusCode: 400 }, 'server', true],
    ['someNewException', { message: 'new' }, 'server', true],
  ])('%s %j → %s', (type, payload, kind, retryable) => {
    const error = mapBedrockStreamException(type, payload, { statusCode: 200, accountId: 'acct' });
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryable);
    expect(error.statusCode).toBe(200);
    expect(error.rawBody).toEqual(payload);
    expect(error.message).toContain(type);
  });
});

describe('asBedrockError', () => {
  it("renames an Anthropic mapper's error and keeps its kind", () => {
    const error = asBedrockError(
      malformedResponseError('stream had a delta before message_start', { accountId: 'acct', statusCode: 200 }),
      'acct',
    );
    expect(error.provider).toBe('bedrock');
    expect(error.kind).toBe('server');
    expect(error.statusCode).toBe(200);
    expect(error.message).toBe('bedrock account "acct": unexpected response: stream had a delta before message_start');
  });
});
