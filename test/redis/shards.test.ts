/**
 * Batch shards (src/redis/keys.ts, src/redis/shards.ts): where keys land, and how a prefix's
 * shard count is fixed.
 */
import calculateSlot from 'cluster-key-slot';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newShardedBatchId } from '../../src/batches/batch-store.ts';
import { promptJobId } from '../../src/batches/prompt-job.ts';
import { createKeys, shardCountKey, shardTags } from '../../src/redis/keys.ts';
import { addCounts, openKeys, ShardCountError, sumShards } from '../../src/redis/shards.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir, writeConfig } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

describe('batch shards', () => {
  let redis: Redis;
  const prefixes: string[] = [];
  const prefix = (name: string) => {
    const made = testPrefix(name);
    prefixes.push(made);
    return made;
  };

  beforeAll(() => {
    redis = testRedis();
  });

  afterAll(async () => {
    for (const made of prefixes) await dropPrefix(redis, made);
    redis.disconnect();
  });

  it('keeps every key in the one tag {prefix} with one shard, as before shards existed', () => {
    const keys = createKeys('relayq');
    expect(shardTags('relayq', 1)).toEqual(['{relayq}']);
    expect(keys.promptQueuePrefixes).toEqual(['{relayq}']);
    expect(keys.batch('batch_x')).toBe('{relayq}:batch:batch_x');
    expect(keys.accountState('a')).toBe('{relayq}:account:a:state');
    expect(keys.schedPools()).toBe('{relayq}:sched:pools');
    expect(keys.usageDay('2026-12-04', 0)).toBe('{relayq}:usage:2026-12-04');
    expect(keys.queueOf('anything')).toBe(0);
  });

  it('spreads shard tags evenly over the slots: the k-th of n in the middle half of the k-th slot range', () => {
    for (const shards of [2, 3, 6, 12]) {
      const slots = shardTags('relayq', shards).map((tag) => calculateSlot(tag));
      const width = 16_384 / shards;
      slots.forEach((slot, k) => {
        expect(slot).toBeGreaterThanOrEqual(k * width + width / 4);
        expect(slot).toBeLessThan(k * width + (3 * width) / 4);
      });
      // Every process computes the same tags.
      expect(shardTags('relayq', shards)).toEqual(shardTags('relayq', shards));
    }
    // Three masters made by `redis-cli --cluster create` (0-5460, 5461-10922, 10923-16383) get two of six each.
    const owners = shardTags('relayq', 6).map((tag) => Math.floor(calculateSlot(tag) / 5461.34));
    expect(owners).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it("puts a batch's keys and the counters its results write in one slot, and its prompts in every queue", () => {
    const keys = createKeys('relayq', 6);
    const tags = new Set(keys.promptQueuePrefixes);
    expect(tags.size).toBe(6);
    const batchId = 'batch_mh2k1x0123456789abcdef';
    const shard = keys.shardOf(batchId);
    const slot = calculateSlot(keys.batch(batchId));
    const together = [
      keys.batchLines(batchId),
      keys.batchResults(batchId),
      keys.batchRejects(batchId),
      keys.batchDone(batchId),
      keys.batchErrored(batchId),
      keys.batchParked(batchId),
      keys.batchIngest(batchId),
      keys.batchOrder(batchId),
      keys.usageDay('2026-12-04', shard),
      keys.metricsResults(shard),
      keys.webhookOutbox(shard),
    ];
    expect(together.map((key) => calculateSlot(key))).toEqual(together.map(() => slot));
    expect(calculateSlot(keys.promptQueuePrefixes[shard] as string)).toBe(slot);
    // An account's keys share its group's slot; accounts spread over the groups; the account
    // index and bindings sit with the control keys; scheduling pools have a tag of their own.
    const control = calculateSlot(keys.batches());
    for (const id of ['a', 'b', 'anthropic-team-1']) {
      const slot = calculateSlot(keys.accountState(id));
      expect([calculateSlot(keys.accountLeases(id)), calculateSlot(keys.accountErrors(id))]).toEqual([slot, slot]);
      expect(calculateSlot(keys.promptQueuePrefixes[keys.accountGroupOf(id)] as string)).toBe(slot);
    }
    const groups = new Set(Array.from({ length: 60 }, (_, i) => keys.accountGroupOf(`acct-${i}`)));
    expect(groups.size).toBe(6);
    expect([calculateSlot(keys.accountIds()), calculateSlot(keys.accountBindings())]).toEqual([control, control]);
    expect(calculateSlot(keys.schedParked('pool'))).toBe(calculateSlot(keys.schedWaiting()));
    expect(new Set([control, calculateSlot(keys.schedPools()), ...keys.promptQueuePrefixes.map((p) => calculateSlot(p))]).size).toBe(8);
    // One batch's jobs use every queue, about evenly.
    const perQueue = new Array<number>(6).fill(0);
    for (let i = 0; i < 6000; i += 1) {
      const queue = keys.queueOf(promptJobId(batchId, `c${i}`));
      perQueue[queue] = (perQueue[queue] ?? 0) + 1;
    }
    for (const count of perQueue) expect(count).toBeGreaterThan(800);
  });

  it('fixes the shard count at first use; a different configured count is refused', async () => {
    const fresh = prefix('shards-fresh');
    expect((await openKeys(redis, fresh)).shards).toBe(1);
    expect(await redis.get(shardCountKey(fresh))).toBe('1');
    const six = prefix('shards-six');
    expect((await openKeys(redis, six, 6)).shards).toBe(6);
    // A later process without a configured count, or with the same one, gets the stored count.
    expect((await openKeys(redis, six)).shards).toBe(6);
    expect((await openKeys(redis, six, 6)).shards).toBe(6);
    await expect(openKeys(redis, six, 3)).rejects.toThrow(ShardCountError);
    await expect(openKeys(redis, six, 3)).rejects.toThrow(
      /redis.shards is 3, but the keys under prefix "test-shards-six-[0-9a-f]+" are laid out in 6 shards/,
    );
    // Keys from before shards existed stay in one shard whatever the config says.
    const older = prefix('shards-older');
    await redis.zadd(createKeys(older).batches(), 1, 'batch_old');
    expect((await openKeys(redis, older)).shards).toBe(1);
  });

  it('refuses a different count from the CLI with what to do, exit status 2, and no process left running', async () => {
    const made = prefix('shards-cli');
    await openKeys(redis, made, 3);
    const config = writeConfig(tempDir('relayq-shards'), { redis: { url: testRedisUrl(), prefix: made, shards: 4 } });
    const result = await runCli(['accounts', 'list', '-c', config], { timeoutMs: 30_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `relayq: redis.shards is 4, but the keys under prefix "${made}" are laid out in 3 shards ({${made}}:shards); use 3, or a new redis.prefix for a new count\n`,
    );
  });

  it('deals new batches out to the shards in turn', async () => {
    const keys = await openKeys(redis, prefix('shards-deal'), 6);
    const ids = [];
    for (let i = 0; i < 12; i += 1) ids.push(await newShardedBatchId(redis, keys));
    const shards = ids.map((id) => keys.shardOf(id));
    expect(new Set(shards.slice(0, 6)).size).toBe(6);
    expect(shards.slice(6)).toEqual(shards.slice(0, 6));
  });

  it('reads per-shard counters as one hash, summed field by field', async () => {
    expect(addCounts([{ a: '1', b: '2' }, null, { a: '3' }])).toEqual({ a: '4', b: '2' });
    const keys = await openKeys(redis, prefix('shards-sum'), 3);
    await redis.hset(keys.metricsResults(0), 'x', 2, 'y', 1);
    await redis.hset(keys.metricsResults(2), 'x', 5);
    expect(await sumShards(redis, keys, (shard) => keys.metricsResults(shard))).toEqual({ x: '7', y: '1' });
  });
});
