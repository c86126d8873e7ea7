/**
 * The Gemini executor against the project's upstream simulator over real HTTP: every outcome
 * through both `execute` and `executeStream`, with the kind and retryable flag the worker acts on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountSchema, type Account } from '../../../src/config/schema.ts';
import { isProviderError, type ErrorKind, type ProviderError } from '../../../src/executors/errors.ts';
import type { ExecuteRequest, ExecuteResult, StreamPart } from '../../../src/executors/types.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import { GeminiExecutor } from '../../../src/providers/gemini/executor.ts';
import { countTokens, simulatedAnswer } from '../../../src/simulator/answer.ts';
import { geminiInputTokensOf } from '../../../src/simulator/providers/gemini-request.ts';
import { startSimulator, type RunningSimulator } from '../../../src/simulator/server.ts';
import { availabilityFixture } from '../../helpers/availability.ts';

let simulator: RunningSimulator;
const executor = new GeminiExecutor({ accounts: () => [] });
const model = 'gemini-2.5-flash';

type Mode = 'execute' | 'executeStream';
const modes: Mode[] = ['execute', 'executeStream'];

function account(overrides: Record<string, unknown> = {}): Account {
  return accountSchema.parse({
    id: 'gem-test',
    provider: 'gemini',
    baseUrl: `${simulator.url}/v1beta`,
    apiKey: 'gem-key',
    timeouts: { connectMs: 2000, firstByteMs: 5000, idleMs: 5000 },
    ...overrides,
  });
}

function contents(prompt: string) {
  return [{ role: 'user', parts: [{ text: prompt }] }];
}

function promptRequest(prompt: string, extra: Record<string, unknown> = {}): ExecuteRequest {
  // `model` in the body, as input lines carry it: the executor must strip it.
  return { provider: 'gemini', model, body: { model, contents: contents(prompt), ...extra } };
}

type Outcome = { ok: true; result: ExecuteResult } | { ok: false; error: ProviderError; parts: StreamPart[] };

async function run(mode: Mode, request: ExecuteRequest, acct: Account): Promise<Outcome> {
  if (mode === 'execute') {
    try {
      return { ok: true, result: await executor.execute(request, {}, acct) };
    } catch (error) {
      if (isProviderError(error)) return { ok: false, error, parts: [] };
      throw error;
    }
  }
  const parts: StreamPart[] = [];
  for await (const part of executor.executeStream(request, {}, acct)) parts.push(part);
  const last = parts.at(-1);
  if (last?.type === 'done') return { ok: true, result: last.result };
  if (last?.type === 'error') return { ok: false, error: last.error, parts };
  throw new Error(`stream ended with ${last?.type ?? 'nothing'}`);
}

function expectError(outcome: Outcome): ProviderError {
  if (outcome.ok) throw new Error(`expected an error, got a result: ${outcome.result.text}`);
  // Never a half result: an error part is the end, with no done before it.
  expect(outcome.parts.some((part) => part.type === 'done')).toBe(false);
  return outcome.error;
}

beforeAll(async () => {
  simulator = await startSimulator({
    acceptAnyKey: false,
    keys: [{ key: 'gem-key' }, { key: 'ya29.vertex-token' }, { key: 'one-a-minute', limits: { rpm: 1 } }],
    burstSeconds: 60,
    models: ['gemini-*'],
    faults: { rateLimitRetryAfterSeconds: 3 },
  });
});
afterAll(async () => {
  await closeDispatchers();
  await simulator.close();
});

describe.each(modes)('GeminiExecutor.%s against the simulator', (mode) => {
  it('answers with the simulated answer and fills the usage', async () => {
    const prompt = 'Name three rivers in Europe. [[sim:words=12]]';
    const request = promptRequest(prompt, { systemInstruction: { parts: [{ text: 'Be brief.' }] } });
    const outcome = await run(mode, request, account());
    if (!outcome.ok) throw outcome.error;
    const { result } = outcome;
    expect(result.text).toBe(simulatedAnswer(prompt));
    expect(result.finishReason).toEqual({ unified: 'stop', raw: 'STOP' });
    expect(result.usage).toMatchObject({
      inputTokens: geminiInputTokensOf({ contents: contents(prompt), systemInstruction: { parts: [{ text: 'Be brief.' }] } }),
      outputTokens: countTokens(simulatedAnswer(prompt)),
      cacheRead: 0,
      cacheWrite: 0,
    });
    expect(result.statusCode).toBe(200);
    expect(result.body).toMatchObject({ modelVersion: model, candidates: [{ finishReason: 'STOP', index: 0 }] });
  });

  it('truncates at maxOutputTokens with a length finish', async () => {
    const prompt = 'A long one [[sim:words=200]]';
    const outcome = await run(mode, promptRequest(prompt, { generationConfig: { maxOutputTokens: 10 } }), account());
    if (!outcome.ok) throw outcome.error;
    expect(outcome.result.finishReason).toEqual({ unified: 'length', raw: 'MAX_TOKENS' });
    expect(simulatedAnswer(prompt).startsWith(outcome.result.text)).toBe(true);
    expect(outcome.result.usage.outputTokens).toBeLessThanOrEqual(10);
  });

  it('works on a Vertex AI base URL with an OAuth token', async () => {
    const vertex = account({
      apiKey: undefined,
      authToken: 'ya29.vertex-token',
      baseUrl: `${simulator.url}/v1/projects/my-project/locations/us-central1/publishers/google`,
    });
    const outcome = await run(mode, promptRequest('Hello from Vertex'), vertex);
    if (!outcome.ok) throw outcome.error;
    expect(outcome.result.text).toBe(simulatedAnswer('Hello from Vertex'));
  });

  it.each([
    // prompt, account overrides, kind, retryable, statusCode, retryAfterMs
    ['[[sim:fault=rate_limit]]', {}, 'rate_limited', true, 429, 3000],
    ['[[sim:fault=overloaded]]', {}, 'overloaded', true, 503, undefined],
    ['[[sim:fault=server]]', {}, 'server', true, 500, undefined],
    ['a bad key', { apiKey: 'not-a-key' }, 'auth', false, 400, undefined],
    ['a bad token', { apiKey: undefined, authToken: 'expired-token' }, 'auth', false, 401, undefined],
    ['[[sim:fault=permission]]', {}, 'permission', false, 403, undefined],
    ['[[sim:fault=invalid]]', {}, 'invalid_request', false, 400, undefined],
    ['[[sim:fault=too_large]]', {}, 'context_length', false, 400, undefined],
  ] as const)('%s → %s', async (prompt, overrides, kind, retryable, statusCode, retryAfterMs) => {
    const error = expectError(await run(mode, promptRequest(prompt), account(overrides)));
    expect(error.kind).toBe(kind satisfies ErrorKind);
    expect(error.retryable).toBe(retryable);
    expect(error.statusCode).toBe(statusCode);
    expect(error.retryAfterMs).toBe(retryAfterMs);
    expect(error.provider).toBe('gemini');
    expect(error.message).toContain('gem-test');
    expect(error.message).not.toContain('gem-key');
  });

  it('maps a body Gemini refuses to invalid_request', async () => {
    const error = expectError(await run(mode, promptRequest('hi', { max_tokens: 5 }), account()));
    expect(error.kind).toBe('invalid_request');
    expect(error.message).toContain('Unknown name "max_tokens"');
  });

  it('maps an unknown model to not_found', async () => {
    const error = expectError(await run(mode, { ...promptRequest('hi'), model: 'palm-2' }, account()));
    expect(error.kind).toBe('not_found');
    expect(error.retryable).toBe(false);
  });

  it('maps a rate limit of the key buckets to rate_limited with the RetryInfo delay', async () => {
    const limited = account({ apiKey: 'one-a-minute' });
    simulator.reset();
    const first = await run(mode, promptRequest('first'), limited);
    expect(first.ok).toBe(true);
    const error = expectError(await run(mode, promptRequest('second'), limited));
    expect(error.kind).toBe('rate_limited');
    expect(error.statusCode).toBe(429);
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(error.retryAfterMs! % 1000).toBe(0);
  });

  it('turns a connection cut mid-answer into a retryable network error, never a result', async () => {
    const error = expectError(await run(mode, promptRequest('cut me [[sim:fault=cut-stream]] [[sim:words=60]]'), account()));
    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
  });

  it('maps an overload inside the stream (or a 503 without one) to overloaded', async () => {
    const outcome = await run(mode, promptRequest('[[sim:fault=stream-error]] [[sim:words=60]]'), account());
    const error = expectError(outcome);
    expect(error.kind).toBe('overloaded');
    expect(error.retryable).toBe(true);
    if (mode === 'executeStream') {
      expect(error.statusCode).toBe(200);
      expect(outcome.ok === false && outcome.parts.some((part) => part.type === 'text-delta')).toBe(true);
    }
  });
});

describe('GeminiExecutor streams', () => {
  it('stream and JSON answers give the same result', async () => {
    const request = promptRequest('Same either way [[sim:words=40]]', { generationConfig: { stopSequences: [' w30'] } });
    const direct = await executor.execute(request, {}, account());
    const streamed = await run('executeStream', request, account());
    if (!streamed.ok) throw streamed.error;
    expect(direct.text.endsWith(' w29')).toBe(true);
    expect(streamed.result.text).toBe(direct.text);
    expect(streamed.result.usage).toEqual(direct.usage);
    expect(streamed.result.finishReason).toEqual(direct.finishReason);
    expect({ ...streamed.result.body, responseId: null }).toEqual({ ...direct.body, responseId: null });
  });

  it('yields text deltas before the final usage, finish and done parts', async () => {
    const parts: StreamPart[] = [];
    for await (const part of executor.executeStream(promptRequest('Deltas [[sim:words=30]]'), {}, account())) {
      parts.push(part);
    }
    const deltas = parts.filter((part) => part.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(3);
    expect(parts.slice(-3).map((part) => part.type)).toEqual(['usage', 'finish', 'done']);
    expect(deltas.map((part) => (part.type === 'text-delta' ? part.text : '')).join('')).toBe(simulatedAnswer('Deltas [[sim:words=30]]'));
  });
});

describe('availability', () => {
  const fixture = availabilityFixture();
  afterAll(() => fixture.close());

  it('counts the enabled gemini accounts', async () => {
    const accounts = [
      accountSchema.parse({ id: 'a', provider: 'gemini', apiKey: 'k' }),
      accountSchema.parse({ id: 'b', provider: 'gemini', apiKey: 'k', enabled: false }),
      accountSchema.parse({ id: 'c', provider: 'anthropic', apiKey: 'k' }),
    ];
    const counting = new GeminiExecutor(await fixture.context(accounts));
    expect(await counting.getAvailableAccountsCount()).toBe(1);
    expect(await counting.isAvailable()).toBe(true);
    expect(await new GeminiExecutor(await fixture.context([])).isAvailable()).toBe(false);
  });
});
