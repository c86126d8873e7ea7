/**
 * Embeddings through the OpenAI and Azure OpenAI executors against the project's simulator over
 * real HTTP: the vectors, the usage, the stream fallback, auth, rate limits and the simulator's
 * token counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountSchema, type Account } from '../../../src/config/schema.ts';
import { collectStream } from '../../../src/executors/collect-stream.ts';
import type { ExecuteRequest, ExecuteResult, Executor } from '../../../src/executors/types.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import { openaiRequestBody, openaiUrl } from '../../../src/providers/openai/api.ts';
import { azureOpenAIUrl } from '../../../src/providers/azure-openai/api.ts';
import { AzureOpenAIExecutor } from '../../../src/providers/azure-openai/executor.ts';
import { OpenAIExecutor } from '../../../src/providers/openai/executor.ts';
import { countTokens, simulatedEmbedding } from '../../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../../src/simulator/server.ts';
import { errorOf } from '../../helpers/provider-calls.ts';

let simulator: RunningSimulator;
const openai = new OpenAIExecutor({ accounts: () => [] });
const azure = new AzureOpenAIExecutor({ accounts: () => [] });
const model = 'text-embedding-3-small';

beforeAll(async () => {
  simulator = await startSimulator({
    acceptAnyKey: false,
    keys: [
      { key: 'sk-emb-openai' },
      { key: 'sk-emb-azure' },
      { key: 'sk-emb-v1' },
      { key: 'sk-emb-stats' },
      { key: 'sk-emb-limited', limits: { rpm: 1 } },
    ],
    burstSeconds: 60,
    models: ['text-embedding-*'],
  });
});
afterAll(async () => {
  await closeDispatchers();
  await simulator.close();
});

function openaiAccount(apiKey: string): Account {
  return accountSchema.parse({ id: 'oa-emb', provider: 'openai', baseUrl: simulator.url, apiKey });
}

function azureAccount(apiKey: string, overrides: Record<string, unknown> = {}): Account {
  return accountSchema.parse({ id: 'az-emb', provider: 'azure-openai', baseUrl: simulator.url, apiKey, ...overrides });
}

function embeddingsRequest(provider: 'openai' | 'azure-openai', input: unknown): ExecuteRequest {
  return { provider, model, endpoint: '/v1/embeddings', body: { model, input } };
}

function vectorsOf(result: ExecuteResult): unknown[] {
  const data = result.body.data as { index: number; embedding: unknown }[];
  return data.map((item) => item.embedding);
}

function expectEmbeddingResult(result: ExecuteResult, texts: string[]): void {
  expect(vectorsOf(result)).toEqual(texts.map((text) => simulatedEmbedding(text)));
  expect(result).toMatchObject({
    text: '',
    toolCalls: [],
    finishReason: { unified: 'stop', raw: null },
    statusCode: 200,
    body: { object: 'list', model },
  });
  const inputTokens = texts.reduce((sum, text) => sum + countTokens(text), 0);
  expect(result.usage).toEqual({
    inputTokens,
    outputTokens: 0,
    cacheRead: 0,
    cacheWrite: 0,
    raw: { prompt_tokens: inputTokens, total_tokens: inputTokens },
  });
}

describe('OpenAI embeddings addressing', () => {
  it('posts to /v1/embeddings without stream fields', () => {
    expect(openaiUrl({ baseUrl: 'https://gw.example/v1/' }, 'embeddings')).toBe('https://gw.example/v1/embeddings');
    const body = openaiRequestBody(
      { input: 'x', stream_options: { include_usage: true } },
      { endpoint: 'embeddings', stream: true, model },
    );
    expect(body).toEqual({ input: 'x', model });
  });

  it('posts to the deployment path on Azure, and to /openai/v1/embeddings on the v1 routes', () => {
    const acct = { id: 'a', baseUrl: 'https://res.openai.azure.com/', deployments: { [model]: 'emb-small' } };
    expect(azureOpenAIUrl(acct, 'embeddings', model)).toBe(
      'https://res.openai.azure.com/openai/deployments/emb-small/embeddings?api-version=2024-10-21',
    );
    expect(azureOpenAIUrl({ ...acct, apiVersion: 'v1' }, 'embeddings', model)).toBe('https://res.openai.azure.com/openai/v1/embeddings');
  });
});

describe.each([
  { name: 'openai', executor: openai as Executor, account: () => openaiAccount('sk-emb-openai') },
  { name: 'azure-openai (deployment route)', executor: azure as Executor, account: () => azureAccount('sk-emb-azure') },
  { name: 'azure-openai (v1 route)', executor: azure as Executor, account: () => azureAccount('sk-emb-v1', { apiVersion: 'v1' }) },
])('$name embeddings against the simulator', ({ executor, account }) => {
  const provider = (): 'openai' | 'azure-openai' => account().provider as 'openai' | 'azure-openai';

  it('answers one string with its simulated vector and input-only usage', async () => {
    const result = await executor.execute(embeddingsRequest(provider(), 'The quick brown fox'), {}, account());
    expectEmbeddingResult(result, ['The quick brown fox']);
  });

  it('answers an array of strings with one vector each, in order', async () => {
    const texts = ['first text', 'second, longer text to embed'];
    const result = await executor.execute(embeddingsRequest(provider(), texts), {}, account());
    expectEmbeddingResult(result, texts);
    expect((result.body.data as { index: number }[]).map((item) => item.index)).toEqual([0, 1]);
  });

  it('gives the same result through executeStream, as a single done part', async () => {
    const request = embeddingsRequest(provider(), 'streamed? no: embeddings do not stream');
    const parts = [];
    for await (const part of executor.executeStream(request, {}, account())) parts.push(part);
    expect(parts.map((part) => part.type)).toEqual(['done']);
    expectEmbeddingResult(await collectStream(executor.executeStream(request, {}, account()), provider()), [
      'streamed? no: embeddings do not stream',
    ]);
  });
});

describe('embeddings errors', () => {
  it('maps a wrong key to auth', async () => {
    const error = await errorOf(openai.execute(embeddingsRequest('openai', 'x'), {}, openaiAccount('sk-wrong')));
    expect(error).toMatchObject({ kind: 'auth', retryable: false, statusCode: 401 });
  });

  it('ends a stream request with a wrong key in an error part, never a done', async () => {
    const parts = [];
    for await (const part of azure.executeStream(embeddingsRequest('azure-openai', 'x'), {}, azureAccount('sk-wrong'))) {
      parts.push(part);
    }
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({ type: 'error', error: { kind: 'auth' } });
  });

  it('maps an empty input to invalid_request', async () => {
    const error = await errorOf(openai.execute(embeddingsRequest('openai', ''), {}, openaiAccount('sk-emb-openai')));
    expect(error).toMatchObject({ kind: 'invalid_request', retryable: false, statusCode: 400 });
  });

  it('maps a bucket 429 to rate_limited', async () => {
    const acct = openaiAccount('sk-emb-limited');
    await openai.execute(embeddingsRequest('openai', 'one'), {}, acct);
    const error = await errorOf(openai.execute(embeddingsRequest('openai', 'two'), {}, acct));
    expect(error).toMatchObject({ kind: 'rate_limited', retryable: true, statusCode: 429 });
  });

  it('still refuses an endpoint relayq does not speak', async () => {
    const request: ExecuteRequest = { provider: 'openai', model, endpoint: '/v1/images/generations', body: { prompt: 'x' } };
    const error = await errorOf(openai.execute(request, {}, openaiAccount('sk-emb-openai')));
    expect(error.kind).toBe('invalid_request');
    expect(error.message).toContain('/v1/embeddings');
  });
});

describe('simulator stats for embeddings', () => {
  it('counts the input tokens of successful answers and no output tokens', async () => {
    const texts = ['alpha beta gamma', 'delta'];
    await openai.execute(embeddingsRequest('openai', texts), {}, openaiAccount('sk-emb-stats'));
    const stats = simulator.stats().byKey['sk-emb-stats'];
    const inputTokens = texts.reduce((sum, text) => sum + countTokens(text), 0);
    expect(stats).toMatchObject({ requests: 1, succeeded: 1, inputTokens, outputTokens: 0 });
  });
});
