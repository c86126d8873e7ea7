import { describe, expect, it } from 'vitest';
import { geminiDefaultBaseUrl, geminiRequestHeaders, geminiUrl, pickGeminiHeaders } from '../../../src/providers/gemini/api.ts';

describe('geminiUrl', () => {
  it.each([
    [{}, 'gemini-2.5-flash', false, `${geminiDefaultBaseUrl}/models/gemini-2.5-flash:generateContent`],
    [{}, 'gemini-2.5-flash', true, `${geminiDefaultBaseUrl}/models/gemini-2.5-flash:streamGenerateContent?alt=sse`],
    [{}, 'models/gemini-2.0-flash', false, `${geminiDefaultBaseUrl}/models/gemini-2.0-flash:generateContent`],
    [
      { baseUrl: 'https://us-central1-aiplatform.googleapis.com/v1/projects/p1/locations/us-central1/publishers/google/' },
      'gemini-2.5-pro',
      true,
      'https://us-central1-aiplatform.googleapis.com/v1/projects/p1/locations/us-central1/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse',
    ],
  ])('%j %s stream=%s', (account, model, stream, url) => {
    expect(geminiUrl(account, model, stream)).toBe(url);
  });
});

describe('geminiRequestHeaders', () => {
  it('sends an API key as x-goog-api-key', () => {
    const headers = geminiRequestHeaders({ apiKey: 'AIza-test' });
    expect(headers['x-goog-api-key']).toBe('AIza-test');
    expect(headers.authorization).toBeUndefined();
    expect(headers.accept).toBe('application/json');
  });

  it('sends an OAuth token as a Bearer authorization', () => {
    const headers = geminiRequestHeaders({ authToken: 'ya29.token' }, { stream: true });
    expect(headers.authorization).toBe('Bearer ya29.token');
    expect(headers['x-goog-api-key']).toBeUndefined();
    expect(headers.accept).toBe('text/event-stream');
  });
});

describe('pickGeminiHeaders', () => {
  it('keeps retry-after, request ids and x-ratelimit-*, and drops the rest', () => {
    expect(
      pickGeminiHeaders({
        'Retry-After': '5',
        'x-goog-request-id': 'abc',
        'x-ratelimit-remaining-requests': '9',
        'content-type': 'application/json',
        'set-cookie': ['a', 'b'],
      }),
    ).toEqual({ 'retry-after': '5', 'x-goog-request-id': 'abc', 'x-ratelimit-remaining-requests': '9' });
  });
});
