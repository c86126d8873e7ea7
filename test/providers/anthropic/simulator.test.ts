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

    const streamed = await collectStream(
      executor.executeStream(promptRequest(prompt), {}, account('key-1')),
      'anthropic',
    );
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
