import { describe, expect, it } from 'vitest';
import type { ErrorKind } from '../../../src/executors/errors.ts';
import { mapAzureOpenAIHttpError, mapAzureOpenAIStreamError } from '../../../src/providers/azure-openai/map-error.ts';
import { errorFixture } from '../openai/fixtures.ts';

describe('mapAzureOpenAIHttpError', () => {
  const cases: [number, string, ErrorKind, boolean][] = [
    [429, 'rate_limited', 'rate_limited', true],
    [401, 'unauthorized', 'auth', false],
    [400, 'content_filter', 'content_filter', false],
    [404, 'deployment_not_found', 'not_found', false],
    [404, 'resource_not_found', 'not_found', false],
    [400, 'context_length_exceeded', 'context_length', false],
    [500, 'server_error', 'server', true],
  ];

  it.each(cases)('%i %s → %s', (status, fixture, kind, retryable) => {
    const body = errorFixture(fixture, 'azure-openai');
    const error = mapAzureOpenAIHttpError({
      status,
      headers: { 'apim-request-id': 'apim-42' },
      bodyText: JSON.stringify(body),
      accountId: 'az-1',
    });
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryable);
    expect(error.provider).toBe('azure-openai');
    expect(error.rawBody).toEqual(body);
    expect(error.message).toContain('azure-openai account "az-1"');
    expect(error.message).toContain('apim-42');
    expect(error.message).toContain((body.error as { message: string }).message);
  });

  it('does not repeat the status as a code', () => {
    const error = mapAzureOpenAIHttpError({
      status: 401,
      headers: {},
      bodyText: JSON.stringify(errorFixture('unauthorized', 'azure-openai')),
    });
    expect(error.message).toMatch(/^azure-openai: 401 Access denied/);
  });

  it('honours retry-after-ms and x-ms-retry-after-ms before retry-after', () => {
    const bodyText = JSON.stringify(errorFixture('rate_limited', 'azure-openai'));
    expect(
      mapAzureOpenAIHttpError({
        status: 429,
        headers: { 'retry-after': '6', 'retry-after-ms': '5200', 'x-ms-retry-after-ms': '5300' },
        bodyText,
      }).retryAfterMs,
    ).toBe(5200);
    expect(
      mapAzureOpenAIHttpError({ status: 429, headers: { 'retry-after': '6', 'x-ms-retry-after-ms': '5300' }, bodyText }).retryAfterMs,
    ).toBe(5300);
    expect(mapAzureOpenAIHttpError({ status: 429, headers: { 'retry-after': '6' }, bodyText }).retryAfterMs).toBe(6000);
    // "Please retry after 6 seconds." when no header says it.
    expect(mapAzureOpenAIHttpError({ status: 429, headers: {}, bodyText }).retryAfterMs).toBe(6000);
  });

  it('maps a content filter error inside a stream', () => {
    const error = mapAzureOpenAIStreamError({ message: 'filtered', code: 'content_filter' }, { statusCode: 200 });
    expect(error.kind).toBe('content_filter');
    expect(error.retryable).toBe(false);
  });
});
