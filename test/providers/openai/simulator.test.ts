/** The OpenAI executor against the project's upstream simulator, over real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountSchema, type Account } from '../../../src/config/schema.ts';
import { isProviderError } from '../../../src/executors/errors.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import { OpenAIExecutor } from '../../../src/providers/openai/executor.ts';
import { startSimulator, type RunningSimulator } from '../../../src/simulator/server.ts';
import {
  errorCases,
  expectAnswer,
  expectError,
  goodKey,
  limitedKey,
  modeName,
  modes,
  requestFor,
  run,
  simulatorConfig,
  withoutIds,
} from './sim-cases.ts';

let simulator: RunningSimulator;
const executor = new OpenAIExecutor({ accounts: () => [] });

function account(apiKey: string): Account {
  return accountSchema.parse({ id: 'openai-sim', provider: 'openai', baseUrl: simulator.url, apiKey });
}

beforeAll(async () => {
  simulator = await startSimulator(simulatorConfig);
});
afterAll(async () => {
  await closeDispatchers();
  await simulator.close();
});

describe.each(modes.map((mode) => [modeName(mode), mode] as const))('OpenAIExecutor %s against the simulator', (_name, mode) => {
  it('answers with the simulated answer and fills the usage', async () => {
    const prompt = `Name three rivers in Europe (${mode.endpoint}).`;
    const result = expectAnswer(await run(executor, requestFor('openai', mode, prompt), account(goodKey), mode.stream), prompt);
    expect(result.headers['x-request-id']).toMatch(/^req_/);
    const stats = simulator.stats().byKey[goodKey];
    expect(stats?.outputTokens).toBeGreaterThanOrEqual(result.usage.outputTokens);
  });

  it('maps a bucket 429 to rate_limited with the retry-after wait', async () => {
    const limited = account(limitedKey(mode));
    expectAnswer(await run(executor, requestFor('openai', mode, 'first'), limited, mode.stream), 'first');
    const error = expectError(await run(executor, requestFor('openai', mode, 'second'), limited, mode.stream), 'rate_limited', true);
    expect(error.statusCode).toBe(429);
    // One request a minute, one used: about a minute, in whole seconds.
    expect(error.retryAfterMs).toBeGreaterThan(50_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(error.headers['x-ratelimit-remaining-requests']).toBe('0');
    // Go's duration format, as OpenAI writes it: `59.998s` just under a minute, `1m0s` at a full one.
    const reset = error.headers['x-ratelimit-reset-requests'] ?? '';
    const parts = /^(?:(\d+)m)?(\d+(?:\.\d+)?)s$/.exec(reset);
    expect(parts, `reset ${reset}`).not.toBeNull();
    const resetMs = (Number(parts?.[1] ?? 0) * 60 + Number(parts?.[2])) * 1000;
    expect(resetMs).toBeGreaterThan(50_000);
    expect(resetMs).toBeLessThanOrEqual(60_000);
  });

  it('maps an injected 429 to rate_limited with retryAfterMs', async () => {
    const error = expectError(
      await run(executor, requestFor('openai', mode, 'hi [[sim:fault=rate_limit]]'), account(goodKey), mode.stream),
      'rate_limited',
      true,
    );
    expect(error.retryAfterMs).toBe(1000);
    expect((error.rawBody as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
  });

  it.each(errorCases.map((errorCase) => [errorCase.name, errorCase] as const))('maps %s', async (_case, errorCase) => {
    const request = requestFor('openai', mode, errorCase.prompt, errorCase.extra?.(mode) ?? {}, errorCase.model);
    const outcome = await run(executor, request, account(errorCase.key ?? goodKey), mode.stream);
    const [kind, retryable] = errorCase.expected(mode);
    const error = expectError(outcome, kind, retryable);
    expect(error.statusCode).toBe(errorCase.statusCode?.(mode));
    expect(error.provider).toBe('openai');
    expect(error.message).not.toContain(goodKey);
  });
});

describe('OpenAIExecutor streamed and JSON answers', () => {
  it.each(['chat', 'responses'] as const)('are the same result (%s)', async (endpoint) => {
    const prompt = 'Why is the sky blue? [[sim:words=25]]';
    const direct = await run(executor, requestFor('openai', { endpoint, stream: false }, prompt), account(goodKey), false);
    const streamed = await run(executor, requestFor('openai', { endpoint, stream: true }, prompt), account(goodKey), true);
    if (isProviderError(direct) || isProviderError(streamed)) throw new Error('expected two answers');
    expect(streamed.text).toBe(direct.text);
    expect(streamed.usage).toEqual(direct.usage);
    expect(streamed.finishReason).toEqual(direct.finishReason);
    expect(withoutIds(streamed.body)).toEqual(withoutIds(direct.body));
  });

  it.each(['chat', 'responses'] as const)('both stop at the output limit with finish reason length (%s)', async (endpoint) => {
    const prompt = 'Go on and on [[sim:words=200]]';
    const extra = endpoint === 'chat' ? { max_tokens: 20 } : { max_output_tokens: 20 };
    for (const stream of [false, true]) {
      const result = await run(executor, requestFor('openai', { endpoint, stream }, prompt, extra), account(goodKey), stream);
      if (isProviderError(result)) throw result;
      expect(result.finishReason.unified).toBe('length');
      expect(result.usage.outputTokens).toBeLessThanOrEqual(20);
      expect(result.text.length).toBeGreaterThan(0);
    }
  });
});
