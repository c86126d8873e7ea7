/** The simulator speaking Gemini (Google AI and Vertex AI paths), over real HTTP. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { composeAnswer, countTokens, simulatedAnswer } from '../../src/simulator/answer.ts';
import { geminiInputTokensOf } from '../../src/simulator/providers/gemini-request.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';

let sim: RunningSimulator;
const model = 'gemini-2.5-flash';
const aiPath = (method: string, m = model): string => `/v1beta/models/${m}:${method}`;
const vertexPath = (method: string): string => `/v1/projects/my-project/locations/us-central1/publishers/google/models/${model}:${method}`;

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> | undefined;
}

async function post(path: string, body: unknown, auth: { key?: string; bearer?: string; none?: true } = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth.bearer !== undefined) headers.authorization = `Bearer ${auth.bearer}`;
  else if (auth.none === undefined) headers['x-goog-api-key'] = auth.key ?? 'AIza-test';
  const response = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const json = response.headers.get('content-type')?.startsWith('application/json')
    ? (JSON.parse(text) as Record<string, unknown>)
    : undefined;
  return { status: response.status, headers: response.headers, text, json };
}

function requestBody(prompt: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { contents: [{ role: 'user', parts: [{ text: prompt }] }], ...extra };
}

type Chunk = {
  candidates?: { content?: { parts?: { text?: string }[]; role?: string }; finishReason?: string; index?: number }[];
  usageMetadata?: Record<string, unknown>;
  modelVersion?: string;
  responseId?: string;
  error?: { code: number; status: string; message: string };
};

/** `data:` frames of an alt=sse body; frames must be separated by CRLF blank lines. */
function sseChunks(text: string): Chunk[] {
  expect(text.endsWith('\r\n\r\n')).toBe(true);
  return text
    .split('\r\n\r\n')
    .filter((frame) => frame !== '')
    .map((frame) => {
      expect(frame.startsWith('data: ')).toBe(true);
      return JSON.parse(frame.slice(6)) as Chunk;
    });
}

function textOf(chunks: Chunk[]): string {
  return chunks.map((chunk) => chunk.candidates?.[0]?.content?.parts?.map((part) => part.text ?? '').join('') ?? '').join('');
}

function errorOf(reply: Reply): { code: number; status: string; message: string; details?: Record<string, unknown>[] } {
  return (reply.json as { error: { code: number; status: string; message: string; details?: Record<string, unknown>[] } }).error;
}

beforeAll(async () => {
  sim = await startSimulator({
    acceptAnyKey: false,
    keys: [
      { key: 'AIza-test' },
      { key: 'ya29.token' },
      { key: 'one-a-minute', limits: { rpm: 1 } },
      { key: 'output-100', limits: { outputTpm: 100 } },
    ],
    burstSeconds: 60,
    models: ['gemini-*'],
    streamChunkWords: 4,
    faults: { rateLimitRetryAfterSeconds: 2 },
  });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
});

describe('generateContent', () => {
  it('answers a GenerateContentResponse with the deterministic text and usage', async () => {
    const body = requestBody('Tell me about the sea', { systemInstruction: { parts: [{ text: 'Be brief.' }] } });
    const reply = await post(aiPath('generateContent'), body);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    const text = simulatedAnswer('Tell me about the sea');
    const inputTokens = geminiInputTokensOf({ contents: body.contents as [], systemInstruction: body.systemInstruction });
    expect(reply.json).toEqual({
      candidates: [{ content: { parts: [{ text }], role: 'model' }, finishReason: 'STOP', index: 0 }],
      usageMetadata: {
        promptTokenCount: inputTokens,
        candidatesTokenCount: countTokens(text),
        totalTokenCount: inputTokens + countTokens(text),
        promptTokensDetails: [{ modality: 'TEXT', tokenCount: inputTokens }],
      },
      modelVersion: model,
      responseId: expect.stringMatching(/^resp_\w+$/),
    });
  });

  it('answers the last user content, its text parts joined with a newline', async () => {
    const body = {
      contents: [
        { role: 'user', parts: [{ text: 'first question' }] },
        { role: 'model', parts: [{ text: 'first answer' }] },
        { role: 'user', parts: [{ text: 'line one' }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }, { text: 'line two' }] },
      ],
    };
    const reply = await post(aiPath('generateContent'), body);
    expect(textOf([reply.json as Chunk])).toBe(simulatedAnswer('line one\nline two'));
  });

  it('truncates at maxOutputTokens with MAX_TOKENS, and cuts at a stop sequence with STOP', async () => {
    const prompt = 'Long answer [[sim:words=100]]';
    const truncated = await post(aiPath('generateContent'), requestBody(prompt, { generationConfig: { maxOutputTokens: 12 } }));
    const expected = composeAnswer(simulatedAnswer(prompt), 12, undefined);
    const candidate = (truncated.json as Chunk).candidates?.[0];
    expect(candidate?.finishReason).toBe('MAX_TOKENS');
    expect(candidate?.content?.parts?.[0]?.text).toBe(expected.text);
    expect((truncated.json as Chunk).usageMetadata?.candidatesTokenCount).toBe(expected.outputTokens);

    const stopped = await post(aiPath('generateContent'), requestBody(prompt, { generationConfig: { stopSequences: [' w5 '] } }));
    const stoppedCandidate = (stopped.json as Chunk).candidates?.[0];
    expect(stoppedCandidate?.finishReason).toBe('STOP');
    expect(stoppedCandidate?.content?.parts?.[0]?.text?.endsWith(' w4')).toBe(true);
  });

  it('serves the Vertex AI path with a Bearer token, and the ?key= parameter', async () => {
    const vertex = await post(vertexPath('generateContent'), requestBody('Vertex'), { bearer: 'ya29.token' });
    expect(vertex.status).toBe(200);
    expect(textOf([vertex.json as Chunk])).toBe(simulatedAnswer('Vertex'));
    const byQuery = await post(`${aiPath('generateContent')}?key=AIza-test`, requestBody('query key'), { none: true });
    expect(byQuery.status).toBe(200);
    expect(sim.stats().byKey['AIza-test']?.succeeded).toBe(1);
    expect(sim.stats().byKey['ya29.token']?.succeeded).toBe(1);
  });
});

describe('streamGenerateContent', () => {
  it('streams data: frames with no terminator; only the last has finishReason and the output counts', async () => {
    const body = requestBody('Stream this answer please [[sim:words=20]]');
    const json = await post(aiPath('generateContent'), body);
    const reply = await post(`${aiPath('streamGenerateContent')}?alt=sse`, body);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('text/event-stream');
    expect(reply.text).not.toContain('[DONE]');
    const chunks = sseChunks(reply.text);
    expect(chunks.length).toBeGreaterThan(3);
    const last = chunks.at(-1) as Chunk;
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.candidates?.[0]?.finishReason).toBeUndefined();
      expect(chunk.usageMetadata?.candidatesTokenCount).toBeUndefined();
      expect(chunk.candidates?.[0]?.content?.role).toBe('model');
    }
    const answer = json.json as Chunk;
    expect(last.candidates?.[0]?.finishReason).toBe('STOP');
    expect(last.usageMetadata).toEqual(answer.usageMetadata);
    expect(textOf(chunks)).toBe(textOf([answer]));
    expect(new Set(chunks.map((chunk) => chunk.responseId)).size).toBe(1);
  });

  it('streams one JSON array without alt=sse', async () => {
    const body = requestBody('Array please [[sim:words=12]]');
    const reply = await post(aiPath('streamGenerateContent'), body);
    expect(reply.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    const chunks = JSON.parse(reply.text) as Chunk[];
    expect(chunks.length).toBeGreaterThan(1);
    expect(textOf(chunks)).toBe(simulatedAnswer('Array please [[sim:words=12]]'));
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe('STOP');
  });

  it('streams on the Vertex AI path', async () => {
    const reply = await post(`${vertexPath('streamGenerateContent')}?alt=sse`, requestBody('Vertex stream'), {
      bearer: 'ya29.token',
    });
    expect(textOf(sseChunks(reply.text))).toBe(simulatedAnswer('Vertex stream'));
  });

  it('sends an UNAVAILABLE error frame after some chunks for stream-error', async () => {
    const reply = await post(`${aiPath('streamGenerateContent')}?alt=sse`, requestBody('[[sim:fault=stream-error]] [[sim:words=40]]'));
    const chunks = sseChunks(reply.text);
    expect(chunks.at(-1)?.error).toMatchObject({ code: 503, status: 'UNAVAILABLE' });
    expect(chunks.slice(0, -1).some((chunk) => chunk.candidates?.[0]?.finishReason !== undefined)).toBe(false);
    expect(sim.stats().byStatus.stream_error).toBe(1);
  });

  it('cuts the connection after some chunks, none with a finishReason', async () => {
    const response = await fetch(`${sim.url}${aiPath('streamGenerateContent')}?alt=sse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'AIza-test' },
      body: JSON.stringify(requestBody('[[sim:fault=cut-stream]] [[sim:words=40]]')),
    });
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect(sim.stats().byStatus.cut).toBe(1);
    expect(sim.stats().byKey['AIza-test']).toMatchObject({ errors: 1, succeeded: 0 });
  });
});

describe('auth', () => {
  it.each([
    ['a missing key', aiPath('generateContent'), { none: true } as const, 403, 'PERMISSION_DENIED', undefined],
    ['a missing token on Vertex', vertexPath('generateContent'), { none: true } as const, 401, 'UNAUTHENTICATED', undefined],
    ['an unknown API key', aiPath('generateContent'), { key: 'AIza-wrong' }, 400, 'INVALID_ARGUMENT', 'API_KEY_INVALID'],
    ['an unknown token', vertexPath('generateContent'), { bearer: 'ya29.wrong' }, 401, 'UNAUTHENTICATED', 'ACCESS_TOKEN_TYPE_UNSUPPORTED'],
  ])('answers %s with %i %s', async (_what, path, auth, status, rpcStatus, reason) => {
    const reply = await post(path, requestBody('hi'), auth);
    expect(reply.status).toBe(status);
    const error = errorOf(reply);
    expect(error).toMatchObject({ code: status, status: rpcStatus });
    if (reason !== undefined) expect(error.details?.[0]).toMatchObject({ reason });
  });
});

describe('validation', () => {
  it.each([
    ['no contents', {}, 'contents is not specified'],
    ['empty contents', { contents: [] }, 'contents is not specified'],
    ['an unknown field', { ...requestBody('hi'), max_tokens: 5 }, 'Unknown name "max_tokens"'],
    ['a bad role', { contents: [{ role: 'assistant', parts: [{ text: 'hi' }] }] }, 'valid role: user, model'],
    ['empty parts', { contents: [{ role: 'user', parts: [] }] }, 'parts must not be empty'],
    ['six stop sequences', requestBody('hi', { generationConfig: { stopSequences: ['a', 'b', 'c', 'd', 'e', 'f'] } }), 'must not exceed 5'],
    ['a zero maxOutputTokens', requestBody('hi', { generationConfig: { maxOutputTokens: 0 } }), 'must be positive'],
    ['a typo in a directive', requestBody('[[sim:fault=nope]]'), 'unknown fault'],
    ['invalid JSON', '{"contents": [', 'Invalid JSON payload received'],
  ])('answers %s with 400 INVALID_ARGUMENT', async (_what, body, message) => {
    const reply = await post(aiPath('generateContent'), body);
    expect(reply.status).toBe(400);
    const error = errorOf(reply);
    expect(error.status).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(message);
  });

  it('answers an unknown model with 404 NOT_FOUND', async () => {
    const reply = await post(aiPath('generateContent', 'palm-2'), requestBody('hi'));
    expect(reply.status).toBe(404);
    expect(errorOf(reply)).toMatchObject({ code: 404, status: 'NOT_FOUND' });
    expect(errorOf(reply).message).toContain('models/palm-2 is not found');
  });
});

describe('rate limits and faults', () => {
  it('answers an exhausted bucket with 429 RESOURCE_EXHAUSTED, QuotaFailure and RetryInfo', async () => {
    expect((await post(aiPath('generateContent'), requestBody('first'), { key: 'one-a-minute' })).status).toBe(200);
    const reply = await post(aiPath('generateContent'), requestBody('second'), { key: 'one-a-minute' });
    expect(reply.status).toBe(429);
    expect(reply.headers.get('retry-after')).toBeNull();
    const error = errorOf(reply);
    expect(error.status).toBe('RESOURCE_EXHAUSTED');
    const types = error.details?.map((detail) => detail['@type']);
    expect(types).toEqual([
      'type.googleapis.com/google.rpc.QuotaFailure',
      'type.googleapis.com/google.rpc.Help',
      'type.googleapis.com/google.rpc.RetryInfo',
    ]);
    expect(error.details?.[0]).toMatchObject({
      violations: [{ quotaId: 'GenerateRequestsPerMinutePerProjectPerModel', quotaValue: '1' }],
    });
    expect(error.details?.[2]?.retryDelay).toMatch(/^[1-9]\d*s$/);
    expect(sim.stats().byKey['one-a-minute']).toMatchObject({ requests: 2, succeeded: 1, rateLimited: 1 });
  });

  it('reserves maxOutputTokens in the output-token bucket and gives back the unused part', async () => {
    const first = await post(aiPath('generateContent'), requestBody('x', { generationConfig: { maxOutputTokens: 90 } }), {
      key: 'output-100',
    });
    expect(first.status).toBe(200);
    const used = (first.json as Chunk).usageMetadata?.candidatesTokenCount as number;
    // 100 - used tokens are back in the bucket; asking for all 100 must wait for `used` to refill.
    const second = await post(aiPath('generateContent'), requestBody('y', { generationConfig: { maxOutputTokens: 100 } }), {
      key: 'output-100',
    });
    expect(second.status).toBe(429);
    expect(errorOf(second).details?.[0]).toMatchObject({
      violations: [{ quotaId: 'GenerateContentOutputTokensPerModelPerMinute', quotaValue: '100' }],
    });
    const third = await post(aiPath('generateContent'), requestBody('z', { generationConfig: { maxOutputTokens: 100 - used - 1 } }), {
      key: 'output-100',
    });
    expect(third.status).toBe(200);
  });

  it.each([
    ['overloaded', 503, 'UNAVAILABLE'],
    ['server', 500, 'INTERNAL'],
    ['rate_limit', 429, 'RESOURCE_EXHAUSTED'],
    ['invalid', 400, 'INVALID_ARGUMENT'],
    ['permission', 403, 'PERMISSION_DENIED'],
    ['not_found', 404, 'NOT_FOUND'],
    ['too_large', 400, 'INVALID_ARGUMENT'],
    ['stream-error', 503, 'UNAVAILABLE'],
  ])('maps [[sim:fault=%s]] to %i %s', async (fault, status, rpcStatus) => {
    const reply = await post(aiPath('generateContent'), requestBody(`[[sim:fault=${fault}]]`));
    expect(reply.status).toBe(status);
    expect(errorOf(reply)).toMatchObject({ code: status, status: rpcStatus });
    expect(sim.stats().faults[fault]).toBe(1);
    if (fault === 'rate_limit') {
      expect(errorOf(reply).details?.at(-1)).toEqual({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' });
    }
    if (fault === 'too_large') expect(errorOf(reply).message).toContain('exceeds the maximum number of tokens allowed');
  });

  it('counts billed tokens of successful answers in the stats', async () => {
    const body = requestBody('Count me [[sim:words=10]]');
    const json = await post(aiPath('generateContent'), body);
    await post(`${aiPath('streamGenerateContent')}?alt=sse`, body);
    const usage = (json.json as Chunk).usageMetadata as { promptTokenCount: number; candidatesTokenCount: number };
    const stats = sim.stats();
    expect(stats.byStatus['200']).toBe(2);
    expect(stats.byKey['AIza-test']).toMatchObject({
      requests: 2,
      succeeded: 2,
      inputTokens: 2 * usage.promptTokenCount,
      outputTokens: 2 * usage.candidatesTokenCount,
    });
    expect(stats.totals).toEqual({ inputTokens: 2 * usage.promptTokenCount, outputTokens: 2 * usage.candidatesTokenCount });
  });
});
