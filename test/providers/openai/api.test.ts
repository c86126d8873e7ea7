import { describe, expect, it } from 'vitest';
import { isProviderError } from '../../../src/executors/errors.ts';
import {
  openaiRequestBody,
  openaiRequestHeaders,
  openaiUrl,
  pickOpenAIHeaders,
  resolveOpenAIEndpoint,
} from '../../../src/providers/openai/api.ts';

describe('resolveOpenAIEndpoint', () => {
  it.each([
    ['/v1/chat/completions', 'chat'],
    ['chat/completions', 'chat'],
    ['/chat/completions/', 'chat'],
    ['/v1/responses', 'responses'],
    ['responses', 'responses'],
  ] as const)('takes endpoint %s as %s', (endpoint, expected) => {
    expect(resolveOpenAIEndpoint({ endpoint, body: {} })).toBe(expected);
  });

  it('infers the endpoint from the body', () => {
    expect(resolveOpenAIEndpoint({ body: { messages: [] } })).toBe('chat');
    expect(resolveOpenAIEndpoint({ body: { input: 'hi' } })).toBe('responses');
  });

  it('refuses an endpoint it does not speak, naming the ones it does', () => {
    let caught: unknown;
    try {
      resolveOpenAIEndpoint({ endpoint: '/v1/images/generations', body: { prompt: 'x' } }, 'azure-openai');
    } catch (error) {
      caught = error;
    }
    expect(isProviderError(caught) && caught.kind).toBe('invalid_request');
    expect(isProviderError(caught) && caught.retryable).toBe(false);
    expect((caught as Error).message).toContain('/v1/chat/completions');
    expect((caught as Error).message).toMatch(/^azure-openai:/);
  });

  it('refuses a body with neither messages nor input', () => {
    expect(() => resolveOpenAIEndpoint({ body: { prompt: 'x' } })).toThrow(/"messages".*"input"/);
  });
});

describe('openaiUrl', () => {
  it('uses the public API by default and baseUrl when set, with or without /v1', () => {
    expect(openaiUrl({}, 'chat')).toBe('https://api.openai.com/v1/chat/completions');
    expect(openaiUrl({}, 'responses')).toBe('https://api.openai.com/v1/responses');
    expect(openaiUrl({ baseUrl: 'http://127.0.0.1:4010/' }, 'chat')).toBe('http://127.0.0.1:4010/v1/chat/completions');
    expect(openaiUrl({ baseUrl: 'https://gw.example/openai/v1/' }, 'responses')).toBe('https://gw.example/openai/v1/responses');
  });
});

describe('openaiRequestHeaders', () => {
  it('sends the key as a bearer token, with organization and project when set', () => {
    const headers = openaiRequestHeaders({ apiKey: 'sk-proj-1', organization: 'org-1', project: 'proj_1' }, { stream: true });
    expect(headers).toEqual({
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'user-agent': 'relayq',
      authorization: 'Bearer sk-proj-1',
      'openai-organization': 'org-1',
      'openai-project': 'proj_1',
    });
  });

  it('uses authToken when there is no key, and sends nothing without either', () => {
    expect(openaiRequestHeaders({ authToken: 'tok' }).authorization).toBe('Bearer tok');
    const bare = openaiRequestHeaders({});
    expect(bare.authorization).toBeUndefined();
    expect(bare.accept).toBe('application/json');
    expect(bare['openai-organization']).toBeUndefined();
  });
});

describe('openaiRequestBody', () => {
  const body = { messages: [{ role: 'user', content: 'hi' }], stream_options: { include_obfuscation: false } };

  it('always asks a streamed chat request for usage, keeping other stream options', () => {
    expect(openaiRequestBody(body, { endpoint: 'chat', stream: true, model: 'gpt-4o' })).toEqual({
      messages: body.messages,
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_obfuscation: false, include_usage: true },
    });
  });

  it('drops stream_options from a request that does not stream, and keeps a body model', () => {
    expect(openaiRequestBody({ ...body, model: 'gpt-4.1' }, { endpoint: 'chat', stream: false, model: 'x' })).toEqual({
      messages: body.messages,
      model: 'gpt-4.1',
      stream: false,
    });
  });

  it('does not add stream_options to a Responses request', () => {
    expect(openaiRequestBody({ input: 'hi' }, { endpoint: 'responses', stream: true, model: 'gpt-4.1' })).toEqual({
      input: 'hi',
      model: 'gpt-4.1',
      stream: true,
    });
  });

  it('does not change the body it was given', () => {
    const given = { messages: [], stream_options: { include_usage: false } };
    openaiRequestBody(given, { endpoint: 'chat', stream: true, model: 'm' });
    expect(given).toEqual({ messages: [], stream_options: { include_usage: false } });
  });
});

describe('pickOpenAIHeaders', () => {
  it('keeps request ids, retry hints and rate-limit headers', () => {
    expect(
      pickOpenAIHeaders({
        'x-request-id': 'req_1',
        'X-RateLimit-Remaining-Tokens': '5',
        'x-ratelimit-reset-requests': '1s',
        'retry-after': '2',
        'retry-after-ms': '1500',
        'x-ms-retry-after-ms': '1500',
        'apim-request-id': 'apim-1',
        'content-type': 'application/json',
        'set-cookie': ['a=1', 'b=2'],
        'openai-organization': 'org-1',
      }),
    ).toEqual({
      'x-request-id': 'req_1',
      'x-ratelimit-remaining-tokens': '5',
      'x-ratelimit-reset-requests': '1s',
      'retry-after': '2',
      'retry-after-ms': '1500',
      'x-ms-retry-after-ms': '1500',
      'apim-request-id': 'apim-1',
    });
  });
});
