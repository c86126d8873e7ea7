/**
 * Scheduling end to end: relayq workers against the simulator with rate limits, over real HTTP
 * and a real Redis. Each test checks outcomes (results, 429 counts, account states), never
 * durations. Waiting and fairness are in waiting.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setBinding } from '../../src/accounts/bindings.ts';
import { readAccountStates } from '../../src/accounts/state.ts';
import { newBatchId } from '../../src/batches/batch-store.ts';
import { simulatedAnswer } from '../../src/simulator/answer.ts';
import { promptText } from '../helpers/files.ts';
import { anthropicLine, startHarness, until, type Harness } from './harness.ts';

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

  it("learns limits left out of the config from the provider's headers", async () => {
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

describe('dedicated accounts', () => {
  it('runs a batch bound to a group on its accounts only (exclusive), while other batches use the pool by priority', async () => {
    harness = await startHarness({
      name: 'bind',
      simulator: { latencyMs: 5 },
      config: (url) => ({
        worker: { concurrency: 8 },
        accounts: [
          { id: 'shared', provider: 'anthropic', baseUrl: url, apiKey: 'sk-shared', priority: 10 },
          { id: 'team-1', provider: 'anthropic', baseUrl: url, apiKey: 'sk-team-1', group: 'team-a' },
          { id: 'team-2', provider: 'anthropic', baseUrl: url, apiKey: 'sk-team-2', group: 'team-a' },
        ],
      }),
      workers: 0,
    });
    const boundBatch = newBatchId();
    await setBinding(harness.redis, harness.keys, { batch: boundBatch }, { accounts: [], groups: ['team-a'], exclusive: true });
    await harness.startWorker();
    await harness.submit(
      Array.from({ length: 20 }, (_, i) => anthropicLine(`t${i}`, promptText(i))),
      boundBatch,
    );
    const other = await harness.submit(Array.from({ length: 10 }, (_, i) => anthropicLine(`o${i}`, promptText(50 + i))));
    await until(
      async () => (await harness!.batch(boundBatch)).counts.pending === 0 && (await harness!.batch(other)).counts.pending === 0,
      'both batches to finish',
    );
    const bound = await harness.results(boundBatch);
    expect(new Set(bound.map((record) => record.account))).toEqual(new Set(['team-1', 'team-2']));
    const unbound = await harness.results(other);
    expect(new Set(unbound.map((record) => record.account))).toEqual(new Set(['shared']));
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

  it('cools an account down after a 429, learns the real limit, and runs the prompt again without burning an attempt', async () => {
    harness = await startHarness({
      name: 'cool',
      // The provider allows 600/min (a 1-second burst of 10); the config claims ten times that.
      simulator: { latencyMs: 100, burstSeconds: 1, acceptAnyKey: false, keys: [{ key: 'sk-1', limits: { rpm: 600 } }] },
      config: (url) => ({
        // One attempt: a 429 that burned it would leave an errored result.
        worker: { concurrency: 16, attempts: 1 },
        accounts: [{ id: 'one', provider: 'anthropic', baseUrl: url, apiKey: 'sk-1', limits: { rpm: 6000 } }],
      }),
    });
    const batchId = await harness.submit(Array.from({ length: 40 }, (_, i) => anthropicLine(`p${i}`, promptText(i))));
    await until(async () => (await harness!.batch(batchId)).counts.pending === 0, 'the batch to finish');
    const results = await harness.results(batchId);
    expect(results.filter((record) => record.status === 'succeeded' && record.attempts === 1)).toHaveLength(40);
    const limited = harness.simulator.stats().byStatus['429'] ?? 0;
    expect(limited).toBeGreaterThan(0);
    // No attempt was spent on them, yet the batch counts every 429 it met.
    expect((await harness.batch(batchId)).attempt_errors).toEqual({ rate_limited: limited });
    const [state] = await readAccountStates(harness.redis, harness.keys, ['one']);
    expect(state?.counters.rateLimited).toBe(limited);
    // The provider's word wins over the config's.
    expect(state?.effective.rpm).toBe(600);
    expect(state?.health.status).not.toBe('disabled');
  });
});

describe('overload', () => {
  it('backs an overloaded account off and retries the prompt, on another account when one has room', async () => {
    harness = await startHarness({
      name: 'overload',
      // One call in ten answers 529 overloaded_error.
      simulator: { latencyMs: 5, faults: { seed: 3, overloadedRate: 0.1 } },
      config: (url) => ({
        worker: { concurrency: 4, attempts: 6 },
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
    const overloaded = harness.simulator.stats().byStatus['529'] ?? 0;
    expect(overloaded).toBeGreaterThan(0);
    // Each overload cost its prompt an attempt (an overload is not the prompt's fault, but retrying it is real work).
    expect(results.reduce((sum, record) => sum + record.attempts - 1, 0)).toBeGreaterThan(0);
    const states = await readAccountStates(harness.redis, harness.keys, ['one', 'two']);
    expect(states.reduce((sum, state) => sum + state.counters.errors, 0)).toBe(overloaded);
  });
});

describe('limits nobody announces', () => {
  it("finds a Gemini account's request rate by AIMD from its 429s, finishing every prompt on its first attempt", async () => {
    harness = await startHarness({
      name: 'aimd',
      // Gemini sends no rate-limit headers: only 429 RESOURCE_EXHAUSTED with a RetryInfo delay.
      simulator: { latencyMs: 50, burstSeconds: 1, acceptAnyKey: false, keys: [{ key: 'g-key', limits: { rpm: 1200 } }] },
      config: (url) => ({
        worker: { concurrency: 24, attempts: 1 },
        accounts: [{ id: 'gem', provider: 'gemini', baseUrl: `${url}/v1beta`, apiKey: 'g-key' }],
      }),
    });
    const lines = Array.from({ length: 60 }, (_, i) =>
      JSON.stringify({
        custom_id: `g${i}`,
        provider: 'gemini',
        model: 'gemini-2.5-flash',
        body: { contents: [{ role: 'user', parts: [{ text: promptText(i) }] }], generationConfig: { maxOutputTokens: 64 } },
      }),
    );
    const batchId = await harness.submit(lines);
    await until(async () => (await harness!.batch(batchId)).counts.pending === 0, 'the batch to finish');
    const results = await harness.results(batchId);
    expect(results.filter((record) => record.status === 'succeeded' && record.attempts === 1)).toHaveLength(60);
    const limited = harness.simulator.stats().byStatus['429'] ?? 0;
    expect(limited).toBeGreaterThan(0);
    // No attempt was spent on them, yet the batch counts every 429 it met.
    expect((await harness.batch(batchId)).attempt_errors).toEqual({ rate_limited: limited });
    const [state] = await readAccountStates(harness.redis, harness.keys, ['gem']);
    expect(state?.learned.rpm).toBeNull();
    expect(state?.learned.adaptiveRpm).toBeGreaterThan(0);
    expect(state?.effective.rpm).toBe(state?.learned.adaptiveRpm);
  });
});
