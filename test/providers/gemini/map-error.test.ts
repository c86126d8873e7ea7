import { describe, expect, it } from 'vitest';
import { mapGeminiHttpError, mapGeminiStreamError, retryDelayMs } from '../../../src/providers/gemini/map-error.ts';
import { parseDuration } from '../../../src/providers/shared/rate-limits.ts';
import { geminiErrorBodySchema } from '../../../src/providers/gemini/schemas.ts';
import { errorFixture } from './fixtures.ts';

describe('mapGeminiHttpError', () => {
  it.each([
    ['invalid_argument', 400, 'invalid_request', false, undefined],
    ['api_key_invalid', 400, 'auth', false, undefined],
    ['input_too_long', 400, 'context_length', false, undefined],
    ['failed_precondition', 400, 'invalid_request', false, undefined],
    ['unauthenticated', 401, 'auth', false, undefined],
    ['permission_denied', 403, 'permission', false, undefined],
    ['not_found', 404, 'not_found', false, undefined],
    ['resource_exhausted', 429, 'rate_limited', true, 33_000],
    ['resource_exhausted_vertex', 429, 'rate_limited', true, undefined],
    ['internal', 500, 'server', true, undefined],
    ['unavailable', 503, 'overloaded', true, undefined],
    ['deadline_exceeded', 504, 'timeout', true, undefined],
  ] as const)('%s (%i) → %s', (name, status, kind, retryable, retryAfterMs) => {
    const body = errorFixture(name);
    const error = mapGeminiHttpError({ status, headers: {}, bodyText: JSON.stringify(body), accountId: 'gem-1' });
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryable);
    expect(error.statusCode).toBe(status);
    expect(error.retryAfterMs).toBe(retryAfterMs);
    expect(error.rawBody).toEqual(body);
    expect(error.provider).toBe('gemini');
    expect(error.message).toContain('gemini account "gem-1"');
    expect(error.message).toContain((body.error as { status: string }).status);
  });

  it('names the ErrorInfo reason of a bad API key', () => {
    const error = mapGeminiHttpError({ status: 400, headers: {}, bodyText: JSON.stringify(errorFixture('api_key_invalid')) });
    expect(error.message).toContain('API_KEY_INVALID');
  });

  it('falls back to retry-after when there is no RetryInfo', () => {
    const error = mapGeminiHttpError({
      status: 429,
      headers: { 'retry-after': '7' },
      bodyText: JSON.stringify(errorFixture('resource_exhausted_vertex')),
    });
    expect(error.retryAfterMs).toBe(7000);
    expect(error.headers).toEqual({ 'retry-after': '7' });
  });

  it('prefers RetryInfo over retry-after', () => {
    const error = mapGeminiHttpError({
      status: 429,
      headers: { 'retry-after': '7' },
      bodyText: JSON.stringify(errorFixture('resource_exhausted')),
    });
    expect(error.retryAfterMs).toBe(33_000);
  });

  it('classifies a non-JSON body by its HTTP status and keeps the text', () => {
    const html = '<html><title>Error 502 (Server Error)!!1</title><p>That’s an error.</p></html>';
    const error = mapGeminiHttpError({ status: 502, headers: {}, bodyText: html });
    expect(error.kind).toBe('server');
    expect(error.rawBody).toBe(html);
    expect(error.message).toContain('502');
    expect(error.message).toContain('Error 502 (Server Error)!!1');
    const overloaded = mapGeminiHttpError({ status: 503, headers: {}, bodyText: '' });
    expect(overloaded.kind).toBe('overloaded');
    expect(overloaded.message).toContain('(empty body)');
  });
});

describe('mapGeminiStreamError', () => {
  it('maps an error frame of a 200 stream by its status, with the HTTP status 200', () => {
    const body = geminiErrorBodySchema.parse(errorFixture('unavailable'));
    const error = mapGeminiStreamError(body, { statusCode: 200, accountId: 'gem-1' });
    expect(error.kind).toBe('overloaded');
    expect(error.retryable).toBe(true);
    expect(error.statusCode).toBe(200);
    expect(error.message).toContain('error in stream');
  });
});

describe('retry delays', () => {
  it.each([
    ['30s', 30_000],
    ['1.5s', 1500],
    ['0.000500s', 1],
    ['0s', 0],
  ])('parseDuration(%s) = %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('reads the RetryInfo detail among others', () => {
    expect(
      retryDelayMs([
        { '@type': 'type.googleapis.com/google.rpc.Help', links: [] },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2.25s' },
      ]),
    ).toBe(2250);
    expect(retryDelayMs([{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure' }])).toBeUndefined();
    expect(retryDelayMs(undefined)).toBeUndefined();
  });
});
