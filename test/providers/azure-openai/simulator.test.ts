/** The Azure OpenAI executor against the project's upstream simulator, over real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountSchema, type Account } from '../../../src/config/schema.ts';
import { isProviderError } from '../../../src/executors/errors.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import { AzureOpenAIExecutor } from '../../../src/providers/azure-openai/executor.ts';
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
} from '../openai/sim-cases.ts';

let simulator: RunningSimulator;
const executor = new AzureOpenAIExecutor({ accounts: () => [] });

/** Dated api-version routes (deployment paths) and the v1 routes. */
const routes = [
  { name: 'dated', overrides: {} },
  { name: 'v1', overrides: { apiVersion: 'v1' } },
] as const;

function account(apiKey: string, overrides: Record<string, unknown> = {}): Account {
  return accountSchema.parse({ id: 'azure-sim', provider: 'azure-openai', baseUrl: simulator.url, apiKey, ...overrides });
}

beforeAll(async () => {
  simulator = await startSimulator(simulatorConfig);
});
afterAll(async () => {
  await closeDispatchers();
  await simulator.close();
});

describe.each(modes.map((mode) => [modeName(mode), mode] as const))('AzureOpenAIExecutor %s against the simulator', (_name, mode) => {
  it.each(routes)('answers with the simulated answer on the $name routes', async ({ overrides }) => {
    const prompt = `Name three lakes in Canada (${mode.endpoint}).`;
    const result = expectAnswer(
      await run(executor, requestFor('azure-openai', mode, prompt), account(goodKey, overrides), mode.stream),
      prompt,
    );
    expect(result.headers['apim-request-id']).toMatch(/^req_/);
  });

  it('sends the mapped deployment, which answers as its model', async () => {
    const mapped = account(goodKey, { deployments: { 'gpt-4o-mini': 'my-mini' } });
    const result = await run(executor, requestFor('azure-openai', mode, 'which deployment?'), mapped, mode.stream);
    if (isProviderError(result)) throw result;
    expect(result.body.model).toBe('my-mini');
  });

  it('maps a bucket 429 to rate_limited with the millisecond retry hint', async () => {
    const limited = account(limitedKey(mode));
    expectAnswer(await run(executor, requestFor('azure-openai', mode, 'first'), limited, mode.stream), 'first');
    const error = expectError(await run(executor, requestFor('azure-openai', mode, 'second'), limited, mode.stream), 'rate_limited', true);
    expect(error.statusCode).toBe(429);
    const hintMs = Number(error.headers['retry-after-ms']);
    expect(error.headers['x-ms-retry-after-ms']).toBe(error.headers['retry-after-ms']);
    expect(hintMs).toBeGreaterThan(50_000);
    // retry-after-ms is honoured over the coarser retry-after (whole seconds).
    expect(error.retryAfterMs).toBe(hintMs);
  });

  it.each(errorCases.map((errorCase) => [errorCase.name, errorCase] as const))('maps %s', async (_case, errorCase) => {
    const request = requestFor('azure-openai', mode, errorCase.prompt, errorCase.extra?.(mode) ?? {}, errorCase.model);
    const outcome = await run(executor, request, account(errorCase.key ?? goodKey), mode.stream);
    const [kind, retryable] = errorCase.expected(mode);
    const error = expectError(outcome, kind, retryable);
    expect(error.statusCode).toBe(errorCase.statusCode?.(mode));
    expect(error.provider).toBe('azure-openai');
    expect(error.message).not.toContain(goodKey);
  });
});

describe('AzureOpenAIExecutor', () => {
  it('authenticates with an Entra ID token', async () => {
    const entra = accountSchema.parse({ id: 'azure-entra', provider: 'azure-openai', baseUrl: simulator.url, authToken: goodKey });
    const prompt = 'token auth';
    expectAnswer(await run(executor, requestFor('azure-openai', { endpoint: 'chat', stream: false }, prompt), entra, false), prompt);
  });

  it('says what to check when a deployment does not exist', async () => {
    const result = await run(
      executor,
      requestFor('azure-openai', { endpoint: 'chat', stream: false }, 'hi', {}, 'davinci-999'),
      account(goodKey),
      false,
    );
    const error = expectError(result, 'not_found', false);
    expect(error.message).toContain('that deployment "davinci-999" exists');
  });

  it('fails clearly, without a request, for an account without baseUrl', async () => {
    const before = simulator.stats().requests;
    const bare = accountSchema.parse({ id: 'azure-bare', provider: 'azure-openai', apiKey: goodKey });
    for (const stream of [false, true]) {
      const outcome = await run(executor, requestFor('azure-openai', { endpoint: 'chat', stream }, 'hi'), bare, stream);
      const error = expectError(outcome, 'invalid_request', false);
      expect(error.message).toContain('has no baseUrl');
    }
    expect(simulator.stats().requests).toBe(before);
  });

  it.each(['chat', 'responses'] as const)('gives the same result streamed and not (%s)', async (endpoint) => {
    const prompt = 'Why is the sea salty? [[sim:words=25]]';
    const direct = await run(executor, requestFor('azure-openai', { endpoint, stream: false }, prompt), account(goodKey), false);
    const streamed = await run(executor, requestFor('azure-openai', { endpoint, stream: true }, prompt), account(goodKey), true);
    if (isProviderError(direct) || isProviderError(streamed)) throw new Error('expected two answers');
    expect(streamed.text).toBe(direct.text);
    expect(streamed.usage).toEqual(direct.usage);
    expect(withoutIds(streamed.body)).toEqual(withoutIds(direct.body));
  });
});
