/**
 * Batch shards (see src/redis/keys.ts): how many a prefix has, and reading counter hashes kept
 * once per shard (usage of a day, result totals: each result counts in its batch's shard, in the
 * same step that stores it) as one, the shards' hashes summed field by field.
 */
import type { Redis } from 'ioredis';
import { ConfigError } from '../lib/config-error.ts';
import { allShards, createKeys, type Keys, shardCountKey } from './keys.ts';

/** Shards when the config names none: one on a single Redis, six on a cluster (two per master of three). */
function defaultShards(cluster: boolean): number {
  return cluster ? 6 : 1;
}

/** The prefix's shard count in Redis differs from the configured one (a config problem: the CLI exits with status 2). */
export class ShardCountError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'ShardCountError';
  }
}

/**
 * The keys of a prefix. Its shard count is fixed by the first process that uses the prefix
 * (stored at `{prefix}:shards`): every process then finds every batch where the others put it.
 * Keys from before shards existed (a batch list, no count) keep one shard. A configured count
 * that differs from the stored one is an error: moving batches between shards is not supported,
 * a new count needs a new prefix.
 */
export async function openKeys(redis: Redis, prefix: string, configured?: number): Promise<Keys> {
  const countKey = shardCountKey(prefix);
  let stored = await redis.get(countKey);
  if (stored === null) {
    const older = await redis.exists(createKeys(prefix).batches());
    const wanted = older === 1 ? 1 : (configured ?? defaultShards(redis.isCluster));
    await redis.set(countKey, wanted, 'NX');
    stored = (await redis.get(countKey)) ?? String(wanted);
  }
  const shards = Number(stored);
  if (!Number.isInteger(shards) || shards < 1) throw new ShardCountError(`${countKey} holds ${stored}, not a shard count`);
  if (configured !== undefined && configured !== shards) {
    throw new ShardCountError(
      `redis.shards is ${configured}, but the keys under prefix "${prefix}" are laid out in ${shards} shard${shards === 1 ? '' : 's'} (${countKey}); use ${shards}, or a new redis.prefix for a new count`,
    );
  }
  return createKeys(prefix, shards);
}

/** Field-by-field sums of counter hashes (HGETALL replies; anything else counts as empty). */
export function addCounts(hashes: readonly unknown[]): Record<string, string> {
  if (hashes.length === 1 && typeof hashes[0] === 'object' && hashes[0] !== null) return hashes[0] as Record<string, string>;
  const sums = new Map<string, number>();
  for (const hash of hashes) {
    if (typeof hash !== 'object' || hash === null) continue;
    for (const [field, value] of Object.entries(hash as Record<string, string>)) sums.set(field, (sums.get(field) ?? 0) + Number(value));
  }
  return Object.fromEntries([...sums].map(([field, sum]) => [field, String(sum)]));
}

/** The sum over every shard of the counter hash `keyOf(shard)`. */
export async function sumShards(redis: Redis, keys: Keys, keyOf: (shard: number) => string): Promise<Record<string, string>> {
  return addCounts(await Promise.all(allShards(keys).map((shard) => redis.hgetall(keyOf(shard)))));
}
