/**
 * Gemini embeddings (`:embedContent`) through the Gemini executor against the project's
 * simulator over real HTTP, and the mapping of an answer that carries usageMetadata.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountSchema, type Account } from '../../../src/config/schema.ts';
import type { ExecuteRequest, StreamPart } from '../../../src/executors/types.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import { geminiEmbedUrl, resolveGeminiMethod } from '../../../src/providers/gemini/api.ts';
import { GeminiExecutor } from '../../../src/providers/gemini/executor.ts';
import { mapGeminiEmbedding } from '../../../src/providers/gemini/map-embedding.ts';
import { geminiEmbedContentResponseSchema } from '../../../src/providers/gemini/schemas.ts';
import { countTokens, simulatedEmbedding } from '../../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../../src/simulator/server.ts';
import { errorOf } from '../../helpers/provider-calls.ts';

let simulator: RunningSimulator;
const executor = new GeminiExecutor({ accounts: () => [] });
const model = 'gemini-embedding-001';

beforeAll(async () => {
  simulator = await startSimulator({
    acceptAnyKey: false,
    keys: [{ key: 'gem-emb' }, { key: 'gem-emb-stats' }, { key: 'gem-emb-limited', limits: { rpm: 1 } }],
    burstSeconds: 60,
    models: ['gemini-*'],
  });
});
afterAll(async () => {
  await closeDispatchers();
  await simulator.close();
});

function account(apiKey = 'gem-emb'): Account {
  return accountSchema.parse({ id: 'gem-emb', provider: 'gemini', baseUrl: `${simulator.url}/v1beta`, apiKey });
}

function embedRequest(text: string, extra: Record<string, unknown> = {}, endpoint?: string): ExecuteRequest {
  const request: ExecuteRequest = { provider: 'gemini', model, body: { model, content: { parts: [{ text }] }, ...extra } };
  if (endpoint !== undefined) request.endpoint = endpoint;
  return request;
}

describe('Gemini embeddings addressing', () => {
  it('tells an embedding from the endpoint or from the body', () => {
    expect(resolveGeminiMethod({ endpoint: ':embedContent', body: {} })).toBe('embedContent');
    expect(resolveGeminiMethod({ body: { content: { parts: [] } } })).toBe('embedContent');
    expect(resolveGeminiMethod({ body: { contents: [] } })).toBe('generateContent');
  });

  it('posts to {base}/models/{model}:embedContent', () => {
    expect(geminiEmbedUrl({ baseUrl: 'https://g.example/v1beta/' }, 'models/gemini-embedding-001')).toBe(
      'https://g.example/v1beta/models/gemini-embedding-001:embedContent',
    );
  });
});

describe('GeminiExecutor embeddings against the simulator', () => {
  it('answers with the simulated vector, no text and no tokens (Google reports none)', async () => {
    const result = await executor.execute(embedRequest('What is the meaning of life?', {}, ':embedContent'), {}, account());
    expect(result.body).toEqual({ embedding: { values: simulatedEmbedding('What is the meaning of life?') } });
    expect(result).toMatchObject({ text: '', toolCalls: [], finishReason: { unified: 'stop', raw: null }, statusCode: 200 });
    expect(result.usage).toMatchObject({ inputTokens: 0, outputTokens: 0 });
  });

  it('finds the method from the body alone, and honours outputDimensionality and taskType', async () => {
    const request = embedRequest('short vector', { taskType: 'RETRIEVAL_DOCUMENT', outputDimensionality: 3 });
    const result = await executor.execute(request, {}, account());
    expect(result.body).toEqual({ embedding: { values: simulatedEmbedding('short vector').slice(0, 3) } });
  });

  it('gives the result through executeStream as a single done part', async () => {
    const parts: StreamPart[] = [];
    for await (const part of executor.executeStream(embedRequest('no streaming here'), {}, account())) parts.push(part);
    expect(parts.map((part) => part.type)).toEqual(['done']);
    const done = parts[0] as Extract<StreamPart, { type: 'done' }>;
    expect(done.result.body).toEqual({ embedding: { values: simulatedEmbedding('no streaming here') } });
  });

  it('maps a wrong key to auth and an empty content to invalid_request', async () => {
    expect(await errorOf(executor.execute(embedRequest('x'), {}, account('wrong-key')))).toMatchObject({ kind: 'auth' });
    const empty: ExecuteRequest = { provider: 'gemini', model, body: { content: { parts: [] } } };
    expect(await errorOf(executor.execute(empty, {}, account()))).toMatchObject({ kind: 'invalid_request', statusCode: 400 });
  });

  it('maps a bucket 429 to rate_limited', async () => {
    await executor.execute(embedRequest('one'), {}, account('gem-emb-limited'));
    const error = await errorOf(executor.execute(embedRequest('two'), {}, account('gem-emb-limited')));
    expect(error).toMatchObject({ kind: 'rate_limited', retryable: true, statusCode: 429 });
  });

  it('counts the input tokens in the simulator stats, and no output tokens', async () => {
    await executor.execute(embedRequest('count these tokens please'), {}, account('gem-emb-stats'));
    expect(simulator.stats().byKey['gem-emb-stats']).toMatchObject({
      succeeded: 1,
      inputTokens: countTokens('count these tokens please'),
      outputTokens: 0,
    });
  });
});

describe('mapGeminiEmbedding', () => {
  it('counts usageMetadata when an answer carries it', () => {
    const body = { embedding: { values: [0.1, -0.2] }, usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 } };
    const result = mapGeminiEmbedding(geminiEmbedContentResponseSchema.parse(body), { statusCode: 200, headers: {} });
    expect(result.usage).toMatchObject({ inputTokens: 7, outputTokens: 0, raw: body.usageMetadata });
    expect(result.body).toEqual(body);
  });
});
