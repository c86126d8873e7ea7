/**
 * Waiting for capacity without waste: prompts whose accounts are disabled or at their limit wait
 * (in line or parked) without burning attempts, without holding up other providers' prompts,
 * without starving a later batch, and without holding a stopping worker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setAccountEnabled } from '../../src/accounts/state.ts';
import { batchWaitingReasons } from '../../src/scheduler/waiting.ts';
import { promptText } from '../helpers/files.ts';
import { anthropicLine, openaiLine, startHarness, until, type Harness } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('waiting without blocking others', () => {
  it("leaves a provider whose accounts are all disabled waiting, says why, and keeps other providers' prompts flowing", async () => {
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
    // Workers see it on their next refresh (twice a second); this one now.
    await harness.workers[0]?.scheduler.cache.refresh();
    const lines: string[] = [];
    // OpenAI prompts first in the file: the Anthropic ones behind them must not wait for them.
    for (let i = 0; i < 10; i += 1) lines.push(openaiLine(`o${i}`, promptText(i)));
    for (let i = 0; i < 40; i += 1) lines.push(anthropicLine(`a${i}`, promptText(100 + i)));
    const batchId = await harness.submit(lines);

    await until(async () => (await harness!.batch(batchId)).counts.succeeded >= 40, 'the Anthropic prompts to finish');
    const batch = await harness.batch(batchId);
    expect(batch.counts).toEqual({ total: 50, succeeded: 40, errored: 0, cancelled: 0, expired: 0, pending: 10, rejected: 0 });
    await until(
      async () => (await batchWaitingReasons(harness!.redis, harness!.keys, batchId)).length > 0,
      'the OpenAI prompts to be parked',
    );
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

  it("keeps another provider's prompts flowing while one provider's accounts are at their limit", async () => {
    harness = await startHarness({
      name: 'hol',
      simulator: { latencyMs: 5, burstSeconds: 1, acceptAnyKey: true, keys: [{ key: 'sk-slow', limits: { rpm: 120 } }] },
      config: (url) => ({
        worker: { concurrency: 8 },
        accounts: [
          // 2 requests/s: the 60 Anthropic prompts need half a minute.
          { id: 'slow', provider: 'anthropic', baseUrl: url, apiKey: 'sk-slow', limits: { rpm: 120 } },
          { id: 'fast', provider: 'openai', baseUrl: url, apiKey: 'sk-fast' },
        ],
      }),
    });
    const lines: string[] = [];
    for (let i = 0; i < 60; i += 1) lines.push(anthropicLine(`a${i}`, promptText(i)));
    for (let i = 0; i < 30; i += 1) lines.push(openaiLine(`o${i}`, promptText(100 + i)));
    const batchId = await harness.submit(lines);
    await until(async () => {
      const results = await harness!.results(batchId);
      return results.filter((record) => record.custom_id.startsWith('o')).length === 30;
    }, 'the OpenAI prompts behind the Anthropic ones to finish');
    const results = await harness.results(batchId);
    expect(results.filter((record) => record.custom_id.startsWith('o') && record.status === 'succeeded')).toHaveLength(30);
    // Most Anthropic prompts are still waiting for their account; none failed for it.
    expect(results.filter((record) => record.custom_id.startsWith('a')).length).toBeLessThan(40);
    expect(results.every((record) => record.status === 'succeeded')).toBe(true);
    expect(harness.simulator.stats().byStatus['429'] ?? 0).toBe(0);
  });

  it('parks prompts whose account has room only in more than 5 s, instead of holding worker slots', async () => {
    harness = await startHarness({
      name: 'park-long',
      simulator: { latencyMs: 1 },
      // 6 requests/min: one now, the next in 10 s.
      config: (url) => ({
        worker: { concurrency: 8 },
        accounts: [{ id: 'slow', provider: 'anthropic', baseUrl: url, apiKey: 'sk-slow', limits: { rpm: 6 } }],
      }),
    });
    const h = harness;
    const batchId = await h.submit(Array.from({ length: 3 }, (_, i) => anthropicLine(`p${i}`, promptText(i))));
    await until(
      async () => (await batchWaitingReasons(h.redis, h.keys, batchId))[0]?.prompts === 2,
      'the two prompts without room to be parked',
      8_000,
    );
    const [waiting] = await batchWaitingReasons(h.redis, h.keys, batchId);
    expect(waiting).toMatchObject({ provider: 'anthropic', accounts: ['slow'], prompts: 2, blocked: false });
    // Parked: delayed in BullMQ, not active in a worker's line; only the first prompt was sent.
    expect(await h.queue.getActiveCount()).toBe(0);
    expect(await h.queue.getJobCountByTypes('delayed')).toBe(2);
    expect(h.simulator.stats().requests).toBe(1);
    expect((await h.batch(batchId)).counts).toEqual({
      total: 3,
      succeeded: 1,
      errored: 0,
      cancelled: 0,
      expired: 0,
      pending: 2,
      rejected: 0,
    });
  });

  it('hands the prompts waiting in line back to the queue when a worker stops, for another worker to finish', async () => {
    harness = await startHarness({
      name: 'stop',
      simulator: { latencyMs: 5, burstSeconds: 1, acceptAnyKey: false, keys: [{ key: 'sk-s', limits: { rpm: 600 } }] },
      config: (url) => ({
        worker: { concurrency: 16 },
        accounts: [{ id: 'only', provider: 'anthropic', baseUrl: url, apiKey: 'sk-s', limits: { rpm: 600 } }],
      }),
    });
    const batchId = await harness.submit(Array.from({ length: 40 }, (_, i) => anthropicLine(`p${i}`, promptText(i))));
    await until(async () => (await harness!.batch(batchId)).counts.succeeded >= 12, 'the first prompts to finish');
    const first = harness.workers.shift();
    await first?.close();
    // Nothing stays with the stopped worker: what it did not run is waiting or parked (delayed).
    expect(await harness.queue.getActiveCount()).toBe(0);
    expect((await harness.batch(batchId)).counts.pending).toBeGreaterThan(0);
    await harness.startWorker();
    await until(async () => (await harness!.batch(batchId)).counts.pending === 0, 'the second worker to finish the batch');
    const results = await harness.results(batchId);
    expect(results.filter((record) => record.status === 'succeeded' && record.attempts === 1)).toHaveLength(40);
  });

  it('does not starve a small batch submitted after a big one on the same accounts', async () => {
    harness = await startHarness({
      name: 'fair',
      simulator: { latencyMs: 5, burstSeconds: 1, acceptAnyKey: false, keys: [{ key: 'sk-f', limits: { rpm: 3000 } }] },
      config: (url) => ({
        worker: { concurrency: 8 },
        accounts: [{ id: 'only', provider: 'anthropic', baseUrl: url, apiKey: 'sk-f', limits: { rpm: 3000 } }],
      }),
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
