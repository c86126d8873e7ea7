/**
 * The prompt processor's own branches, driven through a real worker, queue, Redis and simulator:
 * a job that ran before and already has its result is not sent again; a pause that comes while
 * calls are in flight lets them finish and sends nothing more; an account refusing a prompt
 * (429) reschedules it without an attempt at most 20 times.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { promptJobId } from '../../jobs/prompt/queue.ts';
import { pauseBatch, resumeBatch } from '../../src/batches/lifecycle.ts';
import { writeResult } from '../../src/batches/results.ts';
import { parkedToBulkJob, type ParkedJob } from '../../src/batches/sweep.ts';
import { promptText } from '../helpers/files.ts';
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
    await harness.redis.hset(harness.queue.forJob(promptJobId(batchId, 'p0')).toKey(promptJobId(batchId, 'p0')), field, 1);

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

describe('pausing a batch while a worker is mid-call', () => {
  it('lets the calls in flight finish and keep their results, parks the rest, and sends nothing more until resumed', async () => {
    harness = await startHarness({
      name: 'pause-mid',
      simulator: { latencyMs: 3000 },
      config: (url) => ({
        worker: { concurrency: 2 },
        accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: url, apiKey: 'sk-ant-test' }],
      }),
    });
    const h = harness;
    const batchId = await h.submit(Array.from({ length: 6 }, (_, i) => anthropicLine(`p${i}`, promptText(i))));
    await until(() => h.simulator.stats().inFlight === 2, 'two calls in flight');
    const deps = { redis: h.redis, keys: h.keys, queue: h.queue };
    const paused = await pauseBatch(deps, batchId, { waitMs: 15_000 });
    // The two in flight could not be parked; the sweep waited until they had their results.
    expect(paused).toMatchObject({ changed: true, removed: 4, inFlight: 0, batch: { status: 'paused' } });
    expect(paused.batch?.counts).toEqual({ total: 6, succeeded: 2, errored: 0, cancelled: 0, expired: 0, pending: 4, rejected: 0 });
    expect(await h.redis.hlen(h.keys.batchParked(batchId))).toBe(4);
    expect(h.simulator.stats().requests).toBe(2);

    // A prompt of the paused batch that comes back to the queue anyway (a retry of a call that
    // failed in flight): the worker takes it, sees the pause and puts it back, delayed, unsent.
    const [customId, parkedJson] = (await h.redis.hscan(h.keys.batchParked(batchId), '0', 'COUNT', 100))[1];
    const parked = JSON.parse(parkedJson as string) as ParkedJob;
    await h.redis.hdel(h.keys.batchParked(batchId), customId as string);
    const back = parkedToBulkJob(batchId, parked);
    await h.queue.addBulk([back]);
    const jobId = back.opts.jobId;
    await until(
      async () => (await h.queue.getJob(jobId))?.attemptsStarted === 1 && (await h.queue.forJob(jobId).getJobState(jobId)) === 'delayed',
      'the worker to put the prompt back',
    );
    expect(h.simulator.stats().requests).toBe(2);
    expect(h.simulator.stats().inFlight).toBe(0);

    const resumed = await resumeBatch(deps, batchId);
    expect(resumed).toMatchObject({ changed: true, removed: 3 });
    await until(async () => (await h.batch(batchId)).counts.pending === 0, 'the batch to finish after the resume');
    // Every prompt answered once: the pause billed nothing twice and lost nothing.
    expect(h.simulator.stats().requests).toBe(6);
    const results = await h.results(batchId);
    expect(results.map((record) => [record.custom_id, record.status, record.attempts]).sort()).toEqual(
      Array.from({ length: 6 }, (_, i) => [`p${i}`, 'succeeded', 1]),
    );
  });
});

describe('an account that keeps refusing a prompt', () => {
  it('reschedules it without an attempt 20 times, then counts the 429 as an ordinary failure', async () => {
    // 25 accounts: each 429 cools one, so every reschedule finds another ready at once.
    harness = await startHarness({
      name: 'resched',
      simulator: {},
      config: (url) => ({
        worker: { attempts: 1 },
        accounts: Array.from({ length: 25 }, (_, i) => ({ id: `a${i}`, provider: 'anthropic', baseUrl: url, apiKey: `sk-ant-${i}` })),
      }),
    });
    const h = harness;
    const batchId = await h.submit([anthropicLine('refused', 'always refused [[sim:fault=rate_limit]]')]);
    await until(async () => (await h.batch(batchId)).counts.pending === 0, 'the prompt to end');
    // The first call and 20 reschedules, all on one attempt; then the attempt failed, the last one.
    expect(h.simulator.stats().requests).toBe(21);
    expect(h.simulator.stats().byStatus).toEqual({ '429': 21 });
    const [record] = await h.results(batchId);
    expect(record).toMatchObject({ status: 'errored', attempts: 1, error: { kind: 'rate_limited', status_code: 429 } });
    const batch = await h.batch(batchId);
    expect(batch.attempt_errors).toEqual({ rate_limited: 20 });
    expect(batch.errors).toEqual({ rate_limited: 1 });
  });
});
