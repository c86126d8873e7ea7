import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { promptJobId } from '../../jobs/prompt/queue.ts';
import { getBatch } from '../../src/batches/batch-store.ts';
import { createDispatchGate, recordAttemptError } from '../../src/batches/dispatch-gate.ts';
import { cancelBatch, expireIfDue, maintainBatches, pauseBatch, resumeBatch } from '../../src/batches/lifecycle.ts';
import { getResult, writeResult, type ResultRecord } from '../../src/batches/results.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { withScripts } from '../../src/redis/scripts.ts';
import { anthropicBatchLine, tempDir, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

function succeeded(id: string, line: number): ResultRecord {
  return {
    custom_id: id,
    status: 'succeeded',
    provider: 'anthropic',
    account: 'a',
    model: 'claude-test',
    response: { status_code: 200, body: {} },
    usage: { input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0 },
    attempts: 1,
    latency_ms: 1,
    line,
  };
}

describe('batch lifecycle without a worker', () => {
  let redis: Redis;
  let queue: PromptQueues;
  let keys: Keys;
  let prefix: string;

  beforeEach(() => {
    prefix = testPrefix('life');
    keys = createKeys(prefix);
    redis = testRedis();
    queue = new PromptQueues(keys, testRedis());
  });

  afterEach(async () => {
    await queue.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  async function submitted(n: number, options: { windowMs?: number } = {}) {
    const file = writePromptFile(
      tempDir('relayq-life'),
      Array.from({ length: n }, (_, i) => anthropicBatchLine(`p${i}`, `prompt ${i}`)),
    );
    return { file, report: await submitFile(redis, queue, keys, file, { attempts: 3, ...options }) };
  }

  it('pause parks the waiting prompts and resume queues them again; lines submitted while paused are parked too', async () => {
    const { file, report } = await submitted(40);
    const deps = { redis, keys, queue };
    const paused = await pauseBatch(deps, report.batchId);
    expect(paused).toMatchObject({ changed: true, removed: 40, batch: { status: 'paused' } });
    expect(await queue.getWaitingCount()).toBe(0);
    expect(await redis.hlen(keys.batchParked(report.batchId))).toBe(40);
    expect((await getBatch(redis, keys, report.batchId))?.paused_at).not.toBeNull();
    const gate = createDispatchGate(redis, keys);
    expect(gate.cached(report.batchId)).toBeUndefined();
    expect(await gate.check(report.batchId)).toBe('paused');
    // Known now without a round trip, until the cache entry ages out or is dropped.
    expect(gate.cached(report.batchId)).toBe('paused');
    gate.invalidate(report.batchId);
    expect(gate.cached(report.batchId)).toBeUndefined();

    // A resubmission while paused neither queues nor loses anything.
    const again = await submitFile(redis, queue, keys, file, { attempts: 3, batchId: report.batchId });
    expect(again.alreadyAccepted).toBe(40);
    expect(await queue.getWaitingCount()).toBe(0);

    const resumed = await resumeBatch(deps, report.batchId);
    expect(resumed).toMatchObject({ changed: true, removed: 40, batch: { status: 'in_progress' } });
    expect(await queue.getWaitingCount()).toBe(40);
    expect(await redis.exists(keys.batchParked(report.batchId))).toBe(0);
    expect((await queue.getJob(promptJobId(report.batchId, 'p3')))?.opts.attempts).toBe(3);
    expect((await resumeBatch(deps, report.batchId)).changed).toBe(false);
  });

  it('cancel gives every waiting prompt a cancelled result, keeps finished ones, and ends cancelled', async () => {
    const { report } = await submitted(25);
    await writeResult(redis, keys, report.batchId, succeeded('p0', 1));
    await queue.remove(promptJobId(report.batchId, 'p0'));
    const outcome = await cancelBatch({ redis, keys, queue }, report.batchId);
    expect(outcome).toMatchObject({ changed: true, removed: 24, inFlight: 0, batch: { status: 'cancelled' } });
    expect(outcome.batch?.counts).toEqual({ total: 25, succeeded: 1, errored: 0, cancelled: 24, expired: 0, pending: 0, rejected: 0 });
    // A cancelled result is no error: no error kind is counted for it.
    expect(outcome.batch?.errors).toEqual({});
    expect(await queue.getWaitingCount()).toBe(0);
    expect(await getResult(redis, keys, report.batchId, 'p5')).toMatchObject({
      status: 'cancelled',
      line: 6,
      provider: 'anthropic',
      model: 'claude-test',
    });
    expect(await getResult(redis, keys, report.batchId, 'p0')).toMatchObject({ status: 'succeeded' });
    expect((await cancelBatch({ redis, keys, queue }, report.batchId)).changed).toBe(false);
    // A submit into a cancelled batch records nothing: no line, no job, no count.
    const more = writePromptFile(
      tempDir('relayq-life'),
      Array.from({ length: 5 }, (_, i) => anthropicBatchLine(`late${i}`, `late prompt ${i}`)),
    );
    const late = await submitFile(redis, queue, keys, more, { attempts: 3, batchId: report.batchId });
    expect(late).toMatchObject({ accepted: 0, status: 'cancelled', stoppedBy: 'cancelled' });
    expect(await redis.hlen(keys.batchLines(report.batchId))).toBe(25);
    expect(await queue.getJob(promptJobId(report.batchId, 'late0'))).toBeUndefined();
    expect(await queue.getWaitingCount()).toBe(0);
    expect((await getBatch(redis, keys, report.batchId))?.counts).toEqual(outcome.batch?.counts);
  });

  it('a batch whose completion window ended expires what has not run', async () => {
    const { report } = await submitted(10, { windowMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const gate = createDispatchGate(redis, keys);
    expect(await gate.check(report.batchId)).toBe('expired');
    expect(gate.cached(report.batchId)).toBe('expired');
    expect(await maintainBatches({ redis, keys, queue })).toEqual([report.batchId]);
    const batch = await getBatch(redis, keys, report.batchId);
    expect(batch?.status).toBe('expired');
    expect(batch?.counts).toEqual({ total: 10, succeeded: 0, errored: 0, cancelled: 0, expired: 10, pending: 0, rejected: 0 });
    expect(batch?.errors).toEqual({});
    expect(batch?.expired_at).not.toBeNull();
    expect(await expireIfDue({ redis, keys, queue }, batch!)).toBe(false);
  });

  it('the dispatch gate sees a window end from its cached expiry time, before its cache entry ages out', async () => {
    const { report } = await submitted(2, { windowMs: 300 });
    const gate = createDispatchGate(redis, keys, { ttlMs: 60_000 });
    expect(await gate.check(report.batchId)).toBe('run');
    const expiresAt = (await getBatch(redis, keys, report.batchId))?.expires_at;
    expect(typeof expiresAt).toBe('string');
    const end = Date.parse(String(expiresAt));
    while (Date.now() <= end) await new Promise((resolve) => setTimeout(resolve, Math.max(1, end - Date.now() + 1)));
    // The batch record still says in_progress (nobody expired it yet); the gate must not run its prompts.
    expect(await redis.hget(keys.batch(report.batchId), 'status')).toBe('in_progress');
    expect(gate.cached(report.batchId)).toBe('expired');
    expect(await gate.check(report.batchId)).toBe('expired');
  });

  it('a cancel whose process died after the batch turned cancelling is carried on by maintenance', async () => {
    const { report } = await submitted(10);
    // What cancelBatch does first; then the process running it died before the sweep.
    await withScripts(redis).transitionBatch(keys.batch(report.batchId), 'cancelling', 'cancelling_at', Date.now(), 'in_progress');
    expect(await queue.getWaitingCount()).toBe(10);
    expect(await maintainBatches({ redis, keys, queue })).toEqual([report.batchId]);
    const batch = await getBatch(redis, keys, report.batchId);
    expect(batch?.status).toBe('cancelled');
    expect(batch?.counts).toEqual({ total: 10, succeeded: 0, errored: 0, cancelled: 10, expired: 0, pending: 0, rejected: 0 });
    expect(await queue.getWaitingCount()).toBe(0);
    // Nothing left to do: the next round leaves it alone.
    expect(await maintainBatches({ redis, keys, queue })).toEqual([]);
  });

  it('a batch left finalizing by a finalizer that died is sealed by the next reader once the grace time passed', async () => {
    const { report } = await submitted(2);
    const id = report.batchId;
    for (let i = 0; i < 2; i += 1) {
      await queue.remove(promptJobId(id, `p${i}`));
      await writeResult(redis, keys, id, succeeded(`p${i}`, i + 1));
    }
    expect((await getBatch(redis, keys, id))?.status).toBe('completed');
    // The state the last result's writer leaves when it dies before sealing: finalizing, no retention yet.
    const leftFinalizing = async (finalizingAt: number) => {
      await redis.hset(keys.batch(id), 'status', 'finalizing', 'finalizing_at', finalizingAt);
      await redis.hdel(keys.batch(id), 'completed_at');
      await redis.persist(keys.batch(id));
      await redis.persist(keys.batchResults(id));
    };
    // A finalizer may still be at work for a few seconds: a reader then leaves the batch as it is.
    await leftFinalizing(Date.now());
    expect((await getBatch(redis, keys, id))?.status).toBe('finalizing');
    expect(await redis.ttl(keys.batch(id))).toBe(-1);

    await leftFinalizing(Date.now() - 6_000);
    const batch = await getBatch(redis, keys, id);
    expect(batch?.status).toBe('completed');
    expect(batch?.completed_at).not.toBeNull();
    expect(batch?.counts).toEqual({ total: 2, succeeded: 2, errored: 0, cancelled: 0, expired: 0, pending: 0, rejected: 0 });
    // Sealed: the batch's keys carry its retention time again.
    expect(await redis.ttl(keys.batch(id))).toBeGreaterThan(0);
    expect(await redis.ttl(keys.batchResults(id))).toBeGreaterThan(0);
  });

  it('retry takes errored results back and queues those prompts again from the input file', async () => {
    const { file, report } = await submitted(6);
    for (let i = 0; i < 6; i += 1) await queue.remove(promptJobId(report.batchId, `p${i}`));
    for (let i = 0; i < 4; i += 1) await writeResult(redis, keys, report.batchId, succeeded(`p${i}`, i + 1));
    for (const i of [4, 5]) {
      await writeResult(redis, keys, report.batchId, {
        ...succeeded(`p${i}`, i + 1),
        status: 'errored',
        response: undefined,
        error: { kind: 'server', message: '500', status_code: 500 },
      });
    }
    expect((await getBatch(redis, keys, report.batchId))?.status).toBe('completed');
    await recordAttemptError(redis, keys, report.batchId, 'rate_limited');

    const retried = await submitFile(redis, queue, keys, file, { attempts: 3, batchId: report.batchId, retryErrored: true });
    expect(retried).toMatchObject({ retried: 2, status: 'in_progress' });
    const batch = await getBatch(redis, keys, report.batchId);
    expect(batch?.counts).toEqual({ total: 6, succeeded: 4, errored: 0, cancelled: 0, expired: 0, pending: 2, rejected: 0 });
    // The errors of the results taken back are counted out again; the attempts' errors stay.
    expect(batch?.errors).toEqual({});
    expect(batch?.attempt_errors).toEqual({ rate_limited: 1 });
    expect(await redis.ttl(keys.batchResults(report.batchId))).toBe(-1);
    expect(await queue.getWaitingCount()).toBe(2);
    expect(await queue.getJob(promptJobId(report.batchId, 'p5'))).toBeDefined();
  });
});
