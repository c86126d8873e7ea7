import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { finishIngest, getBatch, openBatch } from '../../src/batches/batch-store.ts';
import { exportResults } from '../../src/batches/export/export-results.ts';
import {
  decodeResult,
  encodeResult,
  getResult,
  resultsInInputOrder,
  resultsSince,
  skippedResult,
  utcDay,
  writeResult,
  type ResultRecord,
} from '../../src/batches/results.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { withScripts } from '../../src/redis/scripts.ts';
import { readDailyUsage } from '../../src/usage/usage-store.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

function record(id: string, line: number, overrides: Partial<ResultRecord> = {}): ResultRecord {
  return {
    custom_id: id,
    status: 'succeeded',
    provider: 'openai',
    account: 'acct-a',
    model: 'gpt-4o-mini',
    response: { status_code: 200, body: { object: 'chat.completion', usage: { completion_tokens_details: { reasoning_tokens: 3 } } } },
    usage: { input_tokens: 10, output_tokens: 20, cache_read_tokens: 4, cache_write_tokens: 0, reasoning_tokens: 3 },
    attempts: 1,
    latency_ms: 5,
    line,
    ...overrides,
  };
}

describe('result storage', () => {
  let redis: Redis;
  let keys: Keys;
  let prefix: string;

  beforeEach(() => {
    prefix = testPrefix('results');
    keys = createKeys(prefix);
    redis = testRedis();
  });

  afterEach(async () => {
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  async function batchWith(ids: string[], options: { retentionSeconds?: number } = {}): Promise<string> {
    const id = `batch_${prefix.replace(/[^a-z0-9]/g, '')}`;
    await openBatch(redis, keys, id, { source: 'x.jsonl', retentionSeconds: options.retentionSeconds });
    const args: (string | number)[] = [Date.now()];
    ids.forEach((customId, index) => {
      args.push(customId, index + 1);
    });
    await withScripts(redis).acceptLines(keys.batchLines(id), keys.batchResults(id), keys.batch(id), ...args);
    return id;
  }

  it('stores small results as JSON and large ones deflated, reading both back the same', () => {
    const small = record('s', 1);
    expect(typeof encodeResult(small)).toBe('string');
    const large = record('l', 2, { response: { status_code: 200, body: { text: 'a long answer '.repeat(500) } } });
    const encoded = encodeResult(large);
    expect(Buffer.isBuffer(encoded)).toBe(true);
    expect((encoded as Buffer).length).toBeLessThan(JSON.stringify(large).length / 4);
    expect(decodeResult(encoded)).toEqual(large);
    expect(decodeResult(Buffer.from(encodeResult(small) as string))).toEqual(small);
  });

  it('counts one result per custom_id, with usage per batch and per day, and seals the batch with its retention time', async () => {
    const batchId = await batchWith(['a', 'b', 'c'], { retentionSeconds: 3600 });
    await finishIngest(redis, keys, batchId, 0);
    expect((await getBatch(redis, keys, batchId))?.status).toBe('in_progress');
    expect(await writeResult(redis, keys, batchId, record('a', 1))).toBe('written');
    expect(
      await writeResult(
        redis,
        keys,
        batchId,
        record('a', 1, { usage: { input_tokens: 99, output_tokens: 99, cache_read_tokens: 0, cache_write_tokens: 0 } }),
      ),
    ).toBe('duplicate');
    await writeResult(
      redis,
      keys,
      batchId,
      record('b', 2, {
        status: 'errored',
        response: undefined,
        error: { kind: 'rate_limited', message: '429', status_code: 429 },
        attempts: 5,
        usage: { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 },
      }),
    );
    expect(await writeResult(redis, keys, batchId, skippedResult('c', 'cancelled', 3, { provider: 'openai', model: 'gpt-4o-mini' }))).toBe(
      'completed-batch',
    );

    const batch = await getBatch(redis, keys, batchId);
    expect(batch).toMatchObject({
      status: 'completed',
      usage: { input_tokens: 10, output_tokens: 20, cache_read_tokens: 4, reasoning_tokens: 3 },
      retries: 4,
    });
    expect(batch?.counts).toEqual({ total: 3, succeeded: 1, errored: 1, cancelled: 1, expired: 0, pending: 0, rejected: 0 });
    // Only the errored result has an error kind; the cancelled one is counted as cancelled alone.
    expect(batch?.errors).toEqual({ rate_limited: 1 });
    expect(batch?.completed_at).not.toBeNull();
    for (const key of [keys.batch(batchId), keys.batchResults(batchId), keys.batchLines(batchId), keys.batchDone(batchId)]) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(3500);
      expect(ttl).toBeLessThanOrEqual(3600);
    }
    expect(await getResult(redis, keys, batchId, 'a')).toMatchObject({ usage: { reasoning_tokens: 3 } });

    const rows = await readDailyUsage(redis, keys, Date.now());
    // The cancelled prompt never ran: no request, no tokens.
    expect(rows).toEqual([
      {
        day: utcDay(Date.now()),
        provider: 'openai',
        account: 'acct-a',
        batch: batchId,
        model: 'gpt-4o-mini',
        requests: 2,
        input_tokens: 10,
        output_tokens: 20,
        cache_read_tokens: 4,
        cache_write_tokens: 0,
        reasoning_tokens: 3,
      },
    ]);
  });

  it('writes results of the same moment together: each gets its own outcome, counters and usage add up, one write completes the batch', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `m${i}`);
    const batchId = await batchWith(ids);
    const otherId = `${batchId}x`;
    await openBatch(redis, keys, otherId, { source: 'y.jsonl' });
    await withScripts(redis).acceptLines(keys.batchLines(otherId), keys.batchResults(otherId), keys.batch(otherId), Date.now(), 'o1', 1);
    await finishIngest(redis, keys, batchId, 0);
    const storeCalls = vi.spyOn(withScripts(redis), 'storeResults');

    // All in one turn of the event loop: 300 results (more than one script call holds), a
    // duplicate inside the same group, an errored retry, and a result of another batch.
    const outcomes = await Promise.all([
      ...ids.map((id, index) =>
        writeResult(
          redis,
          keys,
          batchId,
          index === 7
            ? record(id, index + 1, {
                status: 'errored',
                response: undefined,
                error: { kind: 'server', message: '500', status_code: 500 },
                attempts: 3,
                usage: { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 },
              })
            : record(id, index + 1),
        ),
      ),
      writeResult(
        redis,
        keys,
        batchId,
        record('m0', 1, { usage: { input_tokens: 99, output_tokens: 99, cache_read_tokens: 0, cache_write_tokens: 0 } }),
      ),
      writeResult(redis, keys, otherId, record('o1', 1)),
    ]);

    expect(outcomes.filter((outcome) => outcome === 'completed-batch')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(1);
    expect(outcomes[300]).toBe('duplicate');
    expect(outcomes[301]).toBe('written');
    // Two script calls for this batch (256 + 45 results), one for the other batch.
    expect(storeCalls).toHaveBeenCalledTimes(3);
    storeCalls.mockRestore();

    const batch = await getBatch(redis, keys, batchId);
    expect(batch).toMatchObject({
      status: 'completed',
      usage: { input_tokens: 2990, output_tokens: 5980, cache_read_tokens: 1196, reasoning_tokens: 897 },
      retries: 2,
    });
    expect(batch?.counts).toEqual({ total: 300, succeeded: 299, errored: 1, cancelled: 0, expired: 0, pending: 0, rejected: 0 });
    expect(batch?.errors).toEqual({ server: 1 });
    expect(await redis.llen(keys.batchDone(batchId))).toBe(300);
    expect(await redis.smembers(keys.batchErrored(batchId))).toEqual(['m7']);
    expect(await getResult(redis, keys, batchId, 'm0')).toMatchObject({ usage: { input_tokens: 10 } });
    expect((await getBatch(redis, keys, otherId))?.counts.succeeded).toBe(1);
    const rows = await readDailyUsage(redis, keys, Date.now());
    expect(rows.find((row) => row.batch === batchId)).toMatchObject({ requests: 300, input_tokens: 2990, output_tokens: 5980 });
    expect(await redis.ttl(keys.usageDay(utcDay(Date.now()), keys.shardOf(batchId)))).toBeGreaterThan(0);
  });

  it('reads results in input order and in completion order', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `id-${i}`);
    const batchId = await batchWith(ids);
    const shuffled = [...ids].reverse();
    for (const id of shuffled) await writeResult(redis, keys, batchId, record(id, ids.indexOf(id) + 1));
    const inOrder: string[] = [];
    for await (const result of resultsInInputOrder(redis, keys, batchId)) inOrder.push(result.custom_id);
    expect(inOrder).toEqual(ids);
    expect(await redis.exists(keys.batchOrder(batchId))).toBe(0);
    const first = await resultsSince(redis, keys, batchId, 0, 10);
    expect(first.records.map((result) => result.custom_id)).toEqual(shuffled.slice(0, 10));
    const rest = await resultsSince(redis, keys, batchId, first.next, 100);
    expect(rest.next).toBe(30);
  });

  it('--follow writes results as they land and stops once the batch has ended', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `f${i}`);
    const batchId = await batchWith(ids);
    await finishIngest(redis, keys, batchId, 0);
    await writeResult(redis, keys, batchId, record('f0', 1));
    const lines: string[] = [];
    const following = exportResults(
      redis,
      keys,
      batchId,
      { output: (line) => void lines.push(line), errors: (line) => void lines.push(line) },
      { format: 'anthropic', follow: true, pollMs: 10 },
    );
    for (const id of ids.slice(1)) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await writeResult(redis, keys, batchId, record(id, ids.indexOf(id) + 1));
    }
    const counts = await following;
    expect(counts).toEqual({ output: 8, errors: 0 });
    expect(lines.map((line) => JSON.parse(line).custom_id)).toEqual(ids);
  });
});
