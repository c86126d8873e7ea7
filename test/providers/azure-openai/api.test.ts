import { describe, expect, it } from 'vitest';
import { azureOpenAIAccountSchema } from '../../../src/providers/azure-openai/account.ts';
import { isProviderError } from '../../../src/executors/errors.ts';
import { azureNotFoundHint, azureOpenAIUrl, azureRequestBody, azureRequestHeaders } from '../../../src/providers/azure-openai/api.ts';

const base = 'https://my-resource.openai.azure.com';

function account(overrides: Record<string, unknown> = {}) {
  return azureOpenAIAccountSchema.parse({ id: 'az-1', provider: 'azure-openai', baseUrl: base, apiKey: 'azure-key', ...overrides });
}

describe('azureOpenAIUrl', () => {
  it('puts chat on the deployment path with the default api-version', () => {
    expect(azureOpenAIUrl(account(), 'chat', 'gpt-4o')).toBe(`${base}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`);
  });

  it('maps the model to its deployment and uses the account api-version', () => {
    const mapped = account({ deployments: { 'gpt-4o': 'prod gpt4o' }, apiVersion: '2025-01-01-preview' });
    expect(azureOpenAIUrl(mapped, 'chat', 'gpt-4o')).toBe(
      `${base}/openai/deployments/prod%20gpt4o/chat/completions?api-version=2025-01-01-preview`,
    );
    expect(azureOpenAIUrl(mapped, 'chat', 'gpt-4o-mini')).toBe(
      `${base}/openai/deployments/gpt-4o-mini/chat/completions?api-version=2025-01-01-preview`,
    );
  });

  it('puts Responses on /openai/responses with an api-version that serves it', () => {
    expect(azureOpenAIUrl(account(), 'responses', 'gpt-4.1')).toBe(`${base}/openai/responses?api-version=2025-04-01-preview`);
    expect(azureOpenAIUrl(account({ apiVersion: '2025-03-01-preview' }), 'responses', 'gpt-4.1')).toBe(
      `${base}/openai/responses?api-version=2025-03-01-preview`,
    );
  });

  it('uses the v1 routes, without api-version, for apiVersion v1', () => {
    expect(azureOpenAIUrl(account({ apiVersion: 'v1' }), 'chat', 'gpt-4o')).toBe(`${base}/openai/v1/chat/completions`);
    expect(azureOpenAIUrl(account({ apiVersion: 'v1' }), 'responses', 'gpt-4o')).toBe(`${base}/openai/v1/responses`);
  });

  it('accepts a baseUrl copied with /openai or /openai/v1 and slashes', () => {
    for (const baseUrl of [`${base}/`, `${base}/openai`, `${base}/openai/v1/`]) {
      expect(azureOpenAIUrl(account({ baseUrl, apiVersion: 'v1' }), 'chat', 'gpt-4o')).toBe(`${base}/openai/v1/chat/completions`);
    }
  });

  it('refuses an account without baseUrl, saying what to set', () => {
    let caught: unknown;
    try {
      azureOpenAIUrl(account({ baseUrl: undefined }), 'chat', 'gpt-4o');
    } catch (error) {
      caught = error;
    }
    expect(isProviderError(caught)).toBe(true);
    if (!isProviderError(caught)) return;
    expect(caught.kind).toBe('invalid_request');
    expect(caught.retryable).toBe(false);
    expect(caught.message).toBe(
      'azure-openai account "az-1" has no baseUrl: set it to the resource endpoint, e.g. https://my-resource.openai.azure.com',
    );
  });
});

describe('azureRequestHeaders', () => {
  it('sends an API key as api-key and an Entra ID token as a bearer token', () => {
    const keyed = azureRequestHeaders({ apiKey: 'azure-key' }, { stream: true });
    expect(keyed['api-key']).toBe('azure-key');
    expect(keyed.authorization).toBeUndefined();
    expect(keyed.accept).toBe('text/event-stream');
    const entra = azureRequestHeaders({ authToken: 'eyJ0' });
    expect(entra.authorization).toBe('Bearer eyJ0');
    expect(entra['api-key']).toBeUndefined();
  });
});

describe('azureRequestBody', () => {
  const request = { model: 'gpt-4o', body: { messages: [{ role: 'user', content: 'hi' }] } };
  const deployments = { deployments: { 'gpt-4o': 'prod-gpt4o' } };

  it('keeps the model on the deployment path and asks a stream for usage', () => {
    expect(azureRequestBody(request, account(deployments), { endpoint: 'chat', stream: true })).toEqual({
      messages: request.body.messages,
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('sends the deployment as model where the URL has none', () => {
    expect(azureRequestBody(request, account({ ...deployments, apiVersion: 'v1' }), { endpoint: 'chat', stream: false }).model).toBe(
      'prod-gpt4o',
    );
    const responses = { model: 'gpt-4o', body: { input: 'hi', model: 'gpt-4o' } };
    expect(azureRequestBody(responses, account(deployments), { endpoint: 'responses', stream: false }).model).toBe('prod-gpt4o');
  });
});

describe('azureNotFoundHint', () => {
  it('names the deployment and api-version to check', () => {
    expect(azureNotFoundHint(account({ deployments: { 'gpt-4o': 'prod' } }), 'chat', 'gpt-4o')).toBe(
      'check baseUrl (the resource endpoint), that deployment "prod" exists, and that api-version 2024-10-21 serves this API',
    );
    expect(azureNotFoundHint(account({ apiVersion: 'v1' }), 'chat', 'gpt-4o')).toBe(
      'check baseUrl (the resource endpoint), that deployment "gpt-4o" exists',
    );
  });
});
