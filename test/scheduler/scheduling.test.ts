/**
 * Scheduling end to end: relayq workers against the simulator with rate limits, over real HTTP
 * and a real Redis. Each test checks outcomes (results, 429 counts, account states), never
 * durations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readAccountStates, setAccountEnabled } from '../../src/accounts/state.ts';
import { simulatedAnswer } from '../../src/simulator/answer.ts';
import { batchWaitingReasons } from '../../src/scheduler/waiting.ts';
import { promptText } from '../helpers/files.ts';
import { anthropicLine, openaiLine, startHarness, until, type Harness } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function answerOf(body: unknown): string | undefined {
  const content = (body as { content?: { text?: string }[] }).content;
  return content?.[0]?.text;
}

describe('scheduling over accounts with limits', () => {
  it('keeps every account within its limits: no 429, every account used, every answer its own', async () => {
    // 600 requests/min = 10/s per key, 2-second bursts; relayq knows the limits from its config.
    const keys = ['sk-a', 'sk-b'];
    harness = await startHarness({
      name: 'limits',
      simulator: { latencyMs: 20, burstSeconds: 2, acceptAnyKey: false, keys: keys.map((key) => ({ key, limits: { rpm: 600 } })) },
      config: (url) => ({
        worker: { concurrency: 16 },
        accounts: keys.map((key, i) => ({ id: `acct-${i}`, provider: 'anthropic', baseUrl: url, apiKey: key, limits: { rpm: 600 } })),
      }),
      workers: 2,
    });
    const total = 70;
    const batchId = await harness.submit(Array.from({ length: total }, (_, i) => anthropicLine(`p${i}`, promptText(i))));
    await until(async () => (await harness!.batch(batchId)).counts.pending === 0, 'the batch to finish');

    const stats = harness.simulator.stats();
    expect(stats.byStatus['429'] ?? 0).toBe(0);
    const results = await harness.results(batchId);
    expect(results.filter((record) => record.status === 'succeeded')).toHaveLength(total);
    expect(new Set(results.map((record) => record.account))).toEqual(new Set(['acct-0', 'acct-1']));
    for (const record of results) {
      expect(answerOf(record.response?.body)).toBe(simulatedAnswer(promptText(Number(record.custom_id.slice(1)))));
      expect(record.attempts).toBe(1);
    }
  });

  it('learns limits left out of the config from the provider\'s headers', async () => {
    harness = await startHarness({
      name: 'learn',
      simulator: { latencyMs: 20, burstSeconds: 2, acceptAnyKey: false, keys: [{ key: 'sk-l', limits: { rpm: 1200, outputTpm: 60_000 } }] },
      config: (url) => ({ worker: { concurrency: 8 }, accounts: [{ id: 'learner', provider: 'anthropic', baseUrl: url, apiKey: 'sk-l' }] }),
    });
    const batchId = await harness.submit(Array.from({ length: 30 }, (_, i) => anthropicLine(`p${i}`, promptText(i))));
    await until(async () => (await harness!.batch(batchId)).counts.pending === 0, 'the batch to finish');
    expect((await harness.batch(batchId)).counts.succeeded).toBe(30);
    const [state] = await readAccountStates(harness.redis, harness.keys, ['learner']);
    expect(state?.learned).toMatchObject({ rpm: 1200, outputTpm: 60_000 });
    expect(state?.effective.rpm).toBe(1200);
    expect(state?.usage.inFlight).toBe(0);
  });
});

describe('reacting to account errors', () => {
  it('disables an account the provider answers 401 and completes the batch on the others, burning no attempt', async () => {
    harness = await startHarness({
      name: 'auth',
      simulator: { latencyMs: 10, acceptAnyKey: false, keys: [{ key: 'sk-good-1' }, { key: 'sk-good-2' }] },
      config: (url) => ({
        worker: { concurrency: 8, attempts: 2 },
        accounts: [
          // Highest priority: tried first, until the provider refuses it.
          { id: 'revoked', provider: 'anthropic', baseUrl: url, apiKey: 'sk-revoked', priority: 10 },
          { id: 'good-1', provider: 'anthropic', baseUrl: url, apiKey: 'sk-good-1' },
          { id: 'good-2', provider: 'anthropic', baseUrl: url, apiKey: 'sk-good-2' },
        ],
      }),
    });
    const total = 40;
    const batchId = await harness.submit(Array.from({ length: total }, (_, i) => anthropicLine(`p${i}`, promptText(i))));
    await until(async () => (await harness!.batch(batchId)).counts.pending === 0, 'the batch to finish');

    const results = await harness.results(batchId);
    expect(results.filter((record) => record.status === 'succeeded')).toHaveLength(total);
    expect(results.some((record) => record.account === 'revoked')).toBe(false);
    expect(results.every((record) => record.attempts === 1)).toBe(true);
    const [revoked] = await readAccountStates(harness.redis, harness.keys, ['revoked']);
    expect(revoked?.health.status).toBe('disabled');
    expect(revoked?.health.disabledBy).toBe('provider');
    expect(revoked?.health.reason).toMatch(/401 authentication_error/);
    // Only the calls already on their way when the first 401 came back reached the provider.
    expect(harness.simulator.stats().byStatus['401'] ?? 0).toBeLessThanOrEqual(8);
  });

  it('cools an account down after a 429 and runs the prompt again without burning an attempt', async () => {
    harness = await startHarness({
      name: 'cool',
      // A quarter of all calls answer 429 (retry-after: 1 s), whatever the buckets say.
      simulator: { latencyMs: 5, acceptAnyKey: false, keys: [{ key: 'sk-1' }, { key: 'sk-2' }], faults: { seed: 7, rateLimitRate: 0.25 } },
      config: (url) => ({
        // One attempt: a 429 that burned it would leave an errored result.
        worker: { concurrency: 4, attempts: 1 },
        accounts: [
          { id: 'one', provider: 'anthropic', baseUrl: url, apiKey: 'sk-1' },
          { id: 'two', provider: 'anthropic', baseUrl: url, apiKey: 'sk-2' },
        ],
      }),
    });
    const batchId = await harness.submit(Array.from({ length: 24 }, (_, i) => anthropicLine(`p${i}`, promptText(i))));
    await until(async () => (await harness!.batch(batchId)).counts.pending === 0, 'the batch to finish');
    const results = await harness.results(batchId);
    expect(results.filter((record) => record.status === 'succeeded')).toHaveLength(24);
    const limited = harness.simulator.stats().byStatus['429'] ?? 0;
    expect(limited).toBeGreaterThan(0);
    const states = await readAccountStates(harness.redis, harness.keys, ['one', 'two']);
    expect(states.reduce((sum, state) => sum + state.counters.rateLimited, 0)).toBe(limited);
    expect(states.every((state) => state.health.status !== 'disabled')).toBe(true);
  });
});

describe('waiting without blocking others', () => {
  it('leaves a provider whose accounts are all disabled waiting, says why, and keeps other providers\' prompts flowing', async () => {
    harness = await startHarness({
      name: 'blocked',
      simulator: { latencyMs: 5 },
      config: (url) => ({
        worker: { concurrency: 8, attempts: 1 },
        accounts: [
          { id: 'claude', provider: 'anthropic', baseUrl: url, apiKey: 'sk-ant' },
          { id: 'gpt', provider: 'openai', baseUrl: url, apiKey: 'sk-oai' },
        ],
      }),
    });
    await setAccountEnabled(harness.redis, harness.keys, 'gpt', false, 'key rotation in progress');
    const lines: string[] = [];
    // OpenAI prompts first in the file: the Anthropic ones behind them must not wait for them.
    for (let i = 0; i < 10; i += 1) lines.push(openaiLine(`o${i}`, promptText(i)));
    for (let i = 0; i < 40; i += 1) lines.push(anthropicLine(`a${i}`, promptText(100 + i)));
    const batchId = await harness.submit(lines);

    await until(async () => (await harness!.batch(batchId)).counts.succeeded >= 40, 'the Anthropic prompts to finish');
    const batch = await harness.batch(batchId);
    expect(batch.counts).toMatchObject({ succeeded: 40, errored: 0, pending: 10 });
    await until(async () => (await batchWaitingReasons(harness!.redis, harness!.keys, batchId)).length > 0, 'the OpenAI prompts to be parked');
    const [waiting] = await batchWaitingReasons(harness.redis, harness.keys, batchId);
    expect(waiting).toMatchObject({ provider: 'openai', accounts: ['gpt'], prompts: 10, blocked: true });
    expect(waiting?.reason).toMatch(/every openai account .* is disabled: gpt \(key rotation in progress\)/);

    // Enabled again: the parked prompts come back and run, each on its first attempt.
    await setAccountEnabled(harness.redis, harness.keys, 'gpt', true);
    await until(async () => (await harness!.batch(batchId)).counts.pending === 0, 'the OpenAI prompts to finish');
    const results = await harness.results(batchId);
    const openai = results.filter((record) => record.custom_id.startsWith('o'));
    expect(openai).toHaveLength(10);
    expect(openai.every((record) => record.status === 'succeeded' && record.account === 'gpt' && record.attempts === 1)).toBe(true);
    expect(await batchWaitingReasons(harness.redis, harness.keys, batchId)).toEqual([]);
  });

  it('does not starve a small batch submitted after a big one on the same accounts', async () => {
    harness = await startHarness({
      name: 'fair',
      simulator: { latencyMs: 5, burstSeconds: 1, acceptAnyKey: false, keys: [{ key: 'sk-f', limits: { rpm: 3000 } }] },
      config: (url) => ({ worker: { concurrency: 8 }, accounts: [{ id: 'only', provider: 'anthropic', baseUrl: url, apiKey: 'sk-f', limits: { rpm: 3000 } }] }),
    });
    // 50/s: the big batch alone needs about 8 seconds.
    const big = await harness.submit(Array.from({ length: 400 }, (_, i) => anthropicLine(`b${i}`, promptText(i))));
    await until(async () => (await harness!.batch(big)).counts.succeeded >= 40, 'the big batch to get going');
    const small = await harness.submit(Array.from({ length: 10 }, (_, i) => anthropicLine(`s${i}`, promptText(1000 + i))));
    await until(async () => (await harness!.batch(small)).counts.pending === 0, 'the small batch to finish');
    // Turn about with the big batch: the small one is done long before the big one.
    const bigDone = (await harness.batch(big)).counts.succeeded;
    expect(bigDone).toBeLessThan(300);
    expect(harness.simulator.stats().byStatus['429'] ?? 0).toBe(0);
  });
});
