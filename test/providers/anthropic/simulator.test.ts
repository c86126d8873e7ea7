/** The Anthropic executor against the project's upstream simulator, over real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountSchema, type Account } from '../../../src/config/schema.ts';
import { collectStream } from '../../../src/executors/collect-stream.ts';
import { isProviderError } from '../../../src/executors/errors.ts';
import type { ExecuteRequest } from '../../../src/executors/types.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import { AnthropicExecutor } from '../../../src/providers/anthropic/executor.ts';
import { simulatedAnswer } from '../../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../../src/simulator/server.ts';

let simulator: RunningSimulator;
const executor = new AnthropicExecutor({ accounts: () => [] });

function account(apiKey: string): Account {
  return accountSchema.parse({ id: `sim-${apiKey}`, provider: 'anthropic', baseUrl: simulator.url, apiKey });
}

function promptRequest(prompt: string): ExecuteRequest {
  return {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    body: { model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: prompt }] },
  };
}

beforeAll(async () => {
  simulator = await startSimulator({ keys: [{ key: 'one-a-minute', limits: { rpm: 1 } }], burstSeconds: 60 });
});
afterAll(async () => {
  await closeDispatchers();
  await simulator.close();
});

describe('AnthropicExecutor against the simulator', () => {
  it('execute and executeStream give the simulated answer, and the same result', async () => {
    const prompt = 'Name three rivers in Europe.';
    const direct = await executor.execute(promptRequest(prompt), {}, account('key-1'));
    expect(direct.text).toBe(simulatedAnswer(prompt));
    expect(direct.finishReason.unified).toBe('stop');
    expect(direct.usage.inputTokens).toBeGreaterThan(0);
    expect(direct.usage.outputTokens).toBeGreaterThan(0);

    const streamed = await collectStream(executor.executeStream(promptRequest(prompt), {}, account('key-1')), 'anthropic');
    expect(streamed.text).toBe(direct.text);
    expect(streamed.finishReason).toEqual(direct.finishReason);
    expect(streamed.usage).toEqual(direct.usage);
    expect({ ...streamed.body, id: null }).toEqual({ ...direct.body, id: null });
  });

  it('maps the simulator 429 to rate_limited with retryAfterMs', async () => {
    const limited = account('one-a-minute');
    await executor.execute(promptRequest('first'), {}, limited);
    let caught: unknown;
    try {
      await executor.execute(promptRequest('second'), {}, limited);
    } catch (error) {
      caught = error;
    }
    expect(isProviderError(caught)).toBe(true);
    if (!isProviderError(caught)) return;
    expect(caught.kind).toBe('rate_limited');
    expect(caught.statusCode).toBe(429);
    expect(caught.retryAfterMs).toBeGreaterThan(0);
  });
});

describe('AnthropicExecutor against the simulator: every error path, JSON and streamed', () => {
  const cases: { name: string; prompt: string; kind: string; retryable: boolean; status?: number; retryHint?: boolean }[] = [
    {
      name: '429 with retry-after',
      prompt: 'x [[sim:fault=rate_limit]]',
      kind: 'rate_limited',
      retryable: true,
      status: 429,
      retryHint: true,
    },
    { name: '529 overloaded', prompt: 'x [[sim:fault=overloaded]]', kind: 'overloaded', retryable: true, status: 529 },
    { name: '500 server', prompt: 'x [[sim:fault=server]]', kind: 'server', retryable: true, status: 500 },
    { name: '400 invalid request', prompt: 'x [[sim:fault=invalid]]', kind: 'invalid_request', retryable: false, status: 400 },
    { name: '403 permission', prompt: 'x [[sim:fault=permission]]', kind: 'permission', retryable: false, status: 403 },
    { name: 'connection dropped', prompt: 'x [[sim:fault=drop]]', kind: 'network', retryable: true },
  ];

  for (const mode of ['execute', 'executeStream'] as const) {
    for (const c of cases) {
      it(`${mode}: ${c.name} → ${c.kind}`, async () => {
        const run = () =>
          mode === 'execute'
            ? executor.execute(promptRequest(c.prompt), {}, account('key-table'))
            : collectStream(executor.executeStream(promptRequest(c.prompt), {}, account('key-table')), 'anthropic');
        const error = await run().then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(isProviderError(error)).toBe(true);
        if (!isProviderError(error)) return;
        expect(error.kind).toBe(c.kind);
        expect(error.retryable).toBe(c.retryable);
        if (c.status !== undefined) expect(error.statusCode).toBe(c.status);
        if (c.retryHint) expect(error.retryAfterMs).toBeGreaterThan(0);
      });
    }
  }

  it('an unknown key is an auth failure (401)', async () => {
    const closed = await startSimulator({ acceptAnyKey: false, keys: [{ key: 'the-only-key' }] });
    try {
      const stranger = accountSchema.parse({ id: 'stranger', provider: 'anthropic', baseUrl: closed.url, apiKey: 'wrong' });
      for (const run of [
        () => executor.execute(promptRequest('hi'), {}, stranger),
        () => collectStream(executor.executeStream(promptRequest('hi'), {}, stranger), 'anthropic'),
      ]) {
        const error = await run().then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(isProviderError(error) && error.kind).toBe('auth');
        expect(isProviderError(error) && error.statusCode).toBe(401);
      }
    } finally {
      await closed.close();
    }
  });

  it('a stream cut mid-way is a retryable network error, never a half result', async () => {
    const parts = [];
    for await (const part of executor.executeStream(
      promptRequest('long one [[sim:fault=cut-stream]] [[sim:words=200]]'),
      {},
      account('key-table'),
    )) {
      parts.push(part);
    }
    expect(parts.some((part) => part.type === 'done')).toBe(false);
    const last = parts.at(-1);
    expect(last?.type).toBe('error');
    if (last?.type === 'error') {
      expect(last.error.kind).toBe('network');
      expect(last.error.retryable).toBe(true);
    }
  });
});
