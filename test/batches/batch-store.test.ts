import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  batchForSource,
  batchFromRecord,
  batchDataKeys,
  finalizeBatch,
  getBatch,
  getRejects,
  newShardedBatchId,
  openBatch,
  recordRejects,
} from '../../src/batches/batch-store.ts';
import { isPromptClass, promptClass } from '../../src/batches/prompt-class.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

describe('batch records', () => {
  let redis: Redis;
  let keys: Keys;
  let prefix: string;

  beforeEach(() => {
    prefix = testPrefix('bstore');
    keys = createKeys(prefix);
    redis = testRedis();
  });

  afterEach(async () => {
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('deals new batches out to the shards in turn', async () => {
    // One shard: no counter, any id.
    expect(await newShardedBatchId(redis, keys)).toMatch(/^batch_[a-z0-9]{8}[0-9a-f]{16}$/);
    expect(await redis.exists(keys.batchSequence())).toBe(0);
    const sharded = createKeys(prefix, 3);
    const shards = [];
    for (let i = 0; i < 6; i += 1) shards.push(sharded.shardOf(await newShardedBatchId(redis, sharded)));
    const first = shards[0] as number;
    expect(shards).toEqual([0, 1, 2, 3, 4, 5].map((i) => (first + i) % 3));
  });

  it('keeps what the first opening set, replaces what a resubmission gives, and runs an ended batch again', async () => {
    const id = 'batch_store1';
    await openBatch(redis, keys, id, {
      source: 'a.jsonl',
      sourcePath: '/in/a.jsonl',
      inputFormat: 'openai-batch',
      tenant: 'acme',
      metadata: { team: 'x' },
      defaults: { model: 'm1' },
      webhooks: ['https://hooks.example/a'],
      windowMs: 60_000,
      retentionSeconds: 100,
    });
    const opened = await getBatch(redis, keys, id);
    expect(opened).toMatchObject({
      status: 'validating',
      tenant: 'acme',
      source: 'a.jsonl',
      source_path: '/in/a.jsonl',
      input_format: 'openai-batch',
      ingest: 'stopped',
      metadata: { team: 'x' },
      defaults: { model: 'm1' },
      webhooks: ['https://hooks.example/a'],
      retention_s: 100,
      event_id: null,
    });
    expect(Date.parse(String(opened?.expires_at)) - Date.parse(String(opened?.created_at))).toBe(60_000);
    expect(await batchForSource(redis, keys, '/in/a.jsonl')).toBe(id);
    expect(await redis.zscore(keys.tenantBatches('acme'), id)).not.toBeNull();

    // The batch ended and was sealed: its keys carry its retention time.
    await redis.hset(keys.batch(id), 'status', 'completed', 'completed_at', Date.now());
    await redis.hset(keys.batchResults(id), 'p0', '{}');
    expect(await finalizeBatch(redis, keys, id)).toBe('completed');
    expect((await getBatch(redis, keys, id))?.event_id).toEqual(expect.any(String));
    expect(await redis.ttl(keys.batchResults(id))).toBeGreaterThan(0);

    await openBatch(redis, keys, id, {
      source: 'b.jsonl',
      tenant: 'other',
      metadata: { team: 'y' },
      webhooks: [],
      windowMs: 1,
      retentionSeconds: 200,
      ingestLeaseMs: 10_000,
    });
    const reopened = await getBatch(redis, keys, id);
    expect(reopened).toMatchObject({
      status: 'in_progress',
      tenant: 'acme',
      source: 'b.jsonl',
      ingest: 'running',
      metadata: { team: 'x' },
      webhooks: ['https://hooks.example/a'],
      retention_s: 200,
      completed_at: null,
      event_id: null,
      expires_at: opened?.expires_at,
    });
    // Another tenant's resubmission does not put the batch in that tenant's list.
    expect(await redis.zscore(keys.tenantBatches('other'), id)).toBeNull();
    expect(await redis.zscore(keys.tenantBatches('acme'), id)).not.toBeNull();
    for (const key of [keys.batch(id), ...batchDataKeys(keys, id)]) expect(await redis.ttl(key)).toBeLessThan(0);
  });

  it('reopening a batch that is still running leaves its status', async () => {
    const id = 'batch_store2';
    await openBatch(redis, keys, id, { source: 'a.jsonl' });
    await redis.hset(keys.batch(id), 'status', 'paused');
    await openBatch(redis, keys, id, { source: 'a.jsonl' });
    expect((await getBatch(redis, keys, id))?.status).toBe('paused');
    await redis.hset(keys.batch(id), 'status', 'cancelled');
    await openBatch(redis, keys, id, { source: 'a.jsonl' });
    expect((await getBatch(redis, keys, id))?.status).toBe('cancelled');
  });

  it('reads a record defensively: unknown status, broken JSON fields, non-string webhooks', () => {
    const batch = batchFromRecord(
      'batch_x',
      {
        id: 'batch_x',
        status: 'dancing',
        total: '3',
        succeeded: '1',
        metadata: '[1,2]',
        defaults: 'not json',
        webhooks: '["https://a.example", 7, null]',
        'error:rate_limited': '2',
        'error:overloaded': '0',
        'attempt_error:server_error': '4',
        ingest: 'done',
        created_at: '0',
      },
      1,
      false,
    );
    expect(batch.status).toBe('in_progress');
    expect(batch.counts).toEqual({ total: 3, succeeded: 1, errored: 0, cancelled: 0, expired: 0, pending: 2, rejected: 0 });
    expect(batch.metadata).toEqual({});
    expect(batch.defaults).toEqual({});
    expect(batch.webhooks).toEqual(['https://a.example']);
    expect(batch.errors).toEqual({ rate_limited: 2 });
    expect(batch.attempt_errors).toEqual({ server_error: 4 });
    expect(batch.ingest).toBe('done');
    expect(batch.created_at).toBe(new Date(0).toISOString());
    expect(batchFromRecord('batch_x', { id: 'batch_x', webhooks: '{"a":1}', metadata: 'null' }, 5, true)).toMatchObject({
      webhooks: [],
      metadata: {},
      ingest: 'running',
      counts: { pending: 0 },
    });
    expect(batchFromRecord('batch_x', { id: 'batch_x', webhooks: 'nope' }, 0).webhooks).toEqual([]);
  });

  it('keeps rejected lines in order and reads the first N; a source entry without a record is no batch', async () => {
    const id = 'batch_store3';
    await openBatch(redis, keys, id, { source: 'a.jsonl', sourcePath: '/in/c.jsonl' });
    await recordRejects(redis, keys, id, []);
    expect(await redis.exists(keys.batchRejects(id))).toBe(0);
    const rejects = [1, 4, 9].map((line) => ({ line, custom_id: line === 4 ? null : `c${line}`, error: `bad line ${line}` }));
    await recordRejects(redis, keys, id, rejects);
    expect(await getRejects(redis, keys, id)).toEqual(rejects);
    expect(await getRejects(redis, keys, id, 2)).toEqual(rejects.slice(0, 2));
    expect(await batchForSource(redis, keys, '/in/unknown.jsonl')).toBeNull();
    await redis.del(keys.batch(id));
    expect(await batchForSource(redis, keys, '/in/c.jsonl')).toBeNull();
  });
});

describe('prompt size classes', () => {
  it('puts a prompt in the class of the largest boundary it exceeds', () => {
    expect(promptClass(0)).toBe('');
    expect(promptClass(128_000)).toBe('');
    expect(promptClass(128_001)).toBe('>128000');
    expect(promptClass(200_001)).toBe('>200000');
    expect(promptClass(272_000)).toBe('>271999');
    expect(promptClass(272_001)).toBe('>272000');
    expect(isPromptClass('>200000')).toBe(true);
    expect(isPromptClass('>200001')).toBe(false);
    expect(isPromptClass('')).toBe(false);
  });
});
