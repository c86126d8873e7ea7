import { describe, expect, it } from 'vitest';
import { anthropicMessagesUrl, anthropicRequestHeaders, pickAnthropicHeaders } from '../../../src/providers/anthropic/api.ts';

describe('anthropicMessagesUrl', () => {
  it('uses the public API by default and baseUrl when set', () => {
    expect(anthropicMessagesUrl({})).toBe('https://api.anthropic.com/v1/messages');
    expect(anthropicMessagesUrl({ baseUrl: 'http://127.0.0.1:4010/' })).toBe('http://127.0.0.1:4010/v1/messages');
    expect(anthropicMessagesUrl({ baseUrl: 'https://gw.example/anthropic' })).toBe('https://gw.example/anthropic/v1/messages');
  });
});

describe('anthropicRequestHeaders', () => {
  it('sends x-api-key for an API key', () => {
    const headers = anthropicRequestHeaders({ apiKey: 'sk-ant-key' });
    expect(headers['x-api-key']).toBe('sk-ant-key');
    expect(headers.authorization).toBeUndefined();
    expect(headers['anthropic-version']).toBe('2023-06-01');
    expect(headers['content-type']).toBe('application/json');
    expect(headers['anthropic-beta']).toBeUndefined();
  });

  it('sends authorization: Bearer for an OAuth token', () => {
    const headers = anthropicRequestHeaders({ authToken: 'tok' });
    expect(headers.authorization).toBe('Bearer tok');
    expect(headers['x-api-key']).toBeUndefined();
  });

  it('joins beta flags with commas', () => {
    const headers = anthropicRequestHeaders({
      apiKey: 'k',
      anthropicBeta: ['prompt-caching-2024-07-31', 'output-128k-2025-02-19'],
    });
    expect(headers['anthropic-beta']).toBe('prompt-caching-2024-07-31,output-128k-2025-02-19');
  });

  it('asks for an event stream when streaming', () => {
    expect(anthropicRequestHeaders({ apiKey: 'k' }, { stream: true }).accept).toBe('text/event-stream');
  });
});

describe('pickAnthropicHeaders', () => {
  it('keeps request-id, retry-after and every anthropic-ratelimit-* header', () => {
    expect(
      pickAnthropicHeaders({
        'request-id': 'req_1',
        'retry-after': '3',
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-input-tokens-reset': '2025-01-01T00:00:10Z',
        'content-type': 'application/json',
        'set-cookie': ['a=b'],
      }),
    ).toEqual({
      'request-id': 'req_1',
      'retry-after': '3',
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-input-tokens-reset': '2025-01-01T00:00:10Z',
    });
  });
});
