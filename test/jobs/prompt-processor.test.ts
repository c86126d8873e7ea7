/**
 * The prompt processor's own branches, driven through a real worker, queue, Redis and simulator:
 * a job that ran before and already has its result is not sent again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { promptJobId } from '../../jobs/prompt/queue.ts';
import { writeResult } from '../../src/batches/results.ts';
import { anthropicLine, startHarness, until, type Harness } from '../scheduler/harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('a prompt job that ran before', () => {
  it.each([
    ['a retry', 'atm'],
    ['a stalled job taken over from a dead worker', 'stc'],
  ])('is not sent again when it already has its result (%s)', async (_what, field) => {
    harness = await startHarness({
      name: 'rerun',
      simulator: { latencyMs: 1 },
      config: (url) => ({ accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: url, apiKey: 'sk-ant-test' }] }),
      workers: 0,
    });
    const batchId = await harness.submit([anthropicLine('p0', 'stored before'), anthropicLine('p1', 'never ran')]);
    // p0's result landed, but its job never completed (the worker died, or the completion failed).
    await writeResult(harness.redis, harness.keys, batchId, {
      custom_id: 'p0',
      status: 'succeeded',
      provider: 'anthropic',
      account: 'sim',
      model: 'claude-test',
      response: { status_code: 200, body: { content: [{ type: 'text', text: 'the first answer' }] } },
      usage: { input_tokens: 3, output_tokens: 4, cache_read_tokens: 0, cache_write_tokens: 0 },
      attempts: 1,
      latency_ms: 1,
      line: 1,
    });
    await harness.redis.hset(harness.queue.toKey(promptJobId(batchId, 'p0')), field, 1);

    await harness.startWorker();
    await until(async () => (await harness!.batch(batchId)).counts.pending === 0, 'the batch to finish');
    const unfinished = () => harness!.queue.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized');
    await until(async () => (await unfinished()) === 0, 'both jobs to complete');
    // One call upstream: p1's. p0 was billed once already.
    expect(harness.simulator.stats().requests).toBe(1);
    const batch = await harness.batch(batchId);
    expect(batch.counts).toEqual({ total: 2, succeeded: 2, errored: 0, cancelled: 0, expired: 0, pending: 0, rejected: 0 });
    expect(batch.usage.input_tokens).toBe(3 + (await harness.results(batchId)).find((r) => r.custom_id === 'p1')!.usage.input_tokens);
  });
});
